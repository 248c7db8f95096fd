"""Moving running instances to another version: the dry run, one instance, a bulk job; and the
moved instances carry on to their end (across an added and a removed stage, and timers)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bootstrap import Container
from core.clock import ManualClock
from core.errors import InvalidInput, PermissionDenied
from engine import (
    EngineTimer,
    HistoryEvent,
    HumanTask,
    MigrationRefused,
    ProcessDefinition,
    ProcessInstance,
    fire_due_timers,
)
from tests.versions import V1, V2, pipeline
from workflows.audit import AuditEvent
from workflows.instances import bulk, care
from workflows.instances.models import MigrationItem


def deploy(container: Container, xml: str) -> int:
    with container.uow() as uow:
        [definition] = container.engine.deploy(uow.session, {"pipe.bpmn": xml}, "yang.fan")
        uow.commit()
        return definition.id


def start_at(container: Container, stage_number: int, owner: str = "wang.fang") -> int:
    """An instance of the latest version, moved on to its ``stage_number``-th stage (from 0)."""
    with container.uow() as uow:
        instance = container.engine.start(uow.session, "pipe", f"opportunity:{stage_number}", {"owner": owner})
        uow.commit()
    for _ in range(stage_number):
        complete_open(container, instance.id)
    return instance.id


def open_task(container: Container, instance_id: int) -> HumanTask | None:
    with container.session_factory() as session:
        return session.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id)).first()


def complete_open(container: Container, instance_id: int) -> str:
    task = open_task(container, instance_id)
    assert task is not None
    with container.uow() as uow:
        container.engine.complete(uow.session, task.id, {}, task.assignee)
        uow.commit()
    return task.name


def run_to_end(container: Container, instance_id: int) -> list[str]:
    done = []
    while open_task(container, instance_id) is not None:
        done.append(complete_open(container, instance_id))
    return done


def instance(container: Container, instance_id: int) -> ProcessInstance:
    with container.session_factory() as session:
        found = session.get(ProcessInstance, instance_id)
        assert found is not None
        return found


@pytest.fixture
def versions(container: Container, demo) -> dict[str, int]:
    """Four instances of version 1, at Qualify, Propose, Negotiate and Sign; then version 2."""
    first = deploy(container, pipeline(*V1))
    ids = {stage: start_at(container, number) for number, stage in enumerate(V1)}
    second = deploy(container, pipeline(*V2))
    return {"v1": first, "v2": second, **ids}


def test_the_dry_run_refuses_the_instance_waiting_at_the_removed_stage_and_clears_the_others(
        container, versions, as_):
    with container.session_factory() as session:
        checks = {c.instance_id: c for c in bulk.dry_run(session, container.engine, as_("yang.fan"),
                                                          versions["v1"], versions["v2"]).items}
    negotiate = checks[versions["negotiate"]]
    assert not negotiate.can_move
    assert negotiate.reasons == ["waits at 'Negotiate', which version 2 removed"]
    assert negotiate.reasons[0].msgid == "waits at '%(element)s', which version %(version)s removed"
    assert negotiate.waits_at == ["Negotiate"]
    movable = [versions[s] for s in ("qualify", "propose", "sign")]
    assert all(checks[i].can_move for i in movable)
    assert [checks[i].waits_at for i in movable] == [["Qualify"], ["Propose"], ["Sign"]]
    assert instance(container, versions["qualify"]).definition_id == versions["v1"]  # a dry run moves nothing


def test_moved_instances_go_through_the_added_stage_to_the_end(container, versions, as_, clock: ManualClock):
    qualify_task = open_task(container, versions["qualify"])
    due = clock.now() + timedelta(days=3)
    with container.uow() as uow:  # a claim, data given to the waiting task and a due date stay
        container.engine.assign(uow.session, qualify_task.id, "li.na", "yang.fan")
        container.engine.update_data(uow.session, versions["qualify"], {"budget": "¥80,000"}, "yang.fan")
        uow.session.get_one(HumanTask, qualify_task.id).due_at = due
        uow.commit()
    clock.advance(hours=1)
    for stage in ("qualify", "propose", "sign"):
        with container.uow() as uow:
            moved = care.migrate_instance(uow.session, container.engine, as_("yang.fan"), versions[stage],
                                          versions["v2"], clock.now())
            uow.commit()
        assert (moved.from_version, moved.to_version, moved.moved) == (1, 2, True)

    task = open_task(container, versions["qualify"])
    assert (task.id, task.assignee, task.definition_id) == (qualify_task.id, "li.na", versions["v2"])
    assert (task.created_at, task.due_at) == (qualify_task.created_at, due)
    with container.session_factory() as session:
        assert container.engine.instance_data(session, versions["qualify"])["budget"] == "¥80,000"
    assert run_to_end(container, versions["qualify"]) == ["Qualify", "Review", "Propose", "Sign"]
    assert run_to_end(container, versions["propose"]) == ["Propose", "Sign"]
    assert run_to_end(container, versions["sign"]) == ["Sign"]
    for stage in ("qualify", "propose", "sign"):
        assert instance(container, versions[stage]).status == "completed"
    with container.session_factory() as session:
        moves = session.scalars(select(HistoryEvent).where(HistoryEvent.event == "instance_migrated",
                                                           HistoryEvent.instance_id == versions["qualify"])).all()
        audited = session.scalars(select(AuditEvent.subject).where(AuditEvent.action == "process_migrated")).all()
        created = session.scalars(select(HistoryEvent.bpmn_id).where(
            HistoryEvent.event == "task_created", HistoryEvent.instance_id == versions["qualify"])).all()
    assert [(m.actor, m.details["from_version"], m.details["to_version"]) for m in moves] == [("yang.fan", 1, 2)]
    assert sorted(audited) == sorted(f"process_instance:{versions[s]}" for s in ("qualify", "propose", "sign"))
    assert created == ["qualify", "review", "propose", "sign"]  # the moved task was not "created" again


def test_the_instance_at_the_removed_stage_stays_as_it_was(container, versions, as_, clock):
    before = open_task(container, versions["negotiate"])
    with container.uow() as uow, pytest.raises(MigrationRefused) as refused:
        care.migrate_instance(uow.session, container.engine, as_("yang.fan"), versions["negotiate"],
                              versions["v2"], clock.now())
    assert refused.value.reasons == ["waits at 'Negotiate', which version 2 removed"]
    assert instance(container, versions["negotiate"]).definition_id == versions["v1"]
    assert open_task(container, versions["negotiate"]).id == before.id
    assert run_to_end(container, versions["negotiate"]) == ["Negotiate", "Sign"]


def test_moving_an_instance_twice_changes_nothing_the_second_time(container, versions, as_, clock):
    for expected in (True, False):
        with container.uow() as uow:
            moved = care.migrate_instance(uow.session, container.engine, as_("admin"), versions["propose"],
                                          versions["v2"], clock.now())
            uow.commit()
        assert moved.moved is expected
    with container.session_factory() as session:
        events = session.scalars(select(HistoryEvent.event).where(
            HistoryEvent.instance_id == versions["propose"], HistoryEvent.event == "instance_migrated")).all()
    assert events == ["instance_migrated"]


def test_only_designers_move_instances_and_only_to_a_version_of_the_same_process(container, versions, as_, clock):
    with container.uow() as uow, pytest.raises(PermissionDenied):
        care.migrate_instance(uow.session, container.engine, as_("wang.fang"), versions["propose"],
                              versions["v2"], clock.now())
    other = deploy(container, pipeline(*V2, process_id="other"))
    with container.uow() as uow, pytest.raises(InvalidInput) as wrong:
        care.migrate_instance(uow.session, container.engine, as_("yang.fan"), versions["propose"], other,
                              clock.now())
    assert wrong.value.fields == {"target": "is not a version of this process"}


def test_a_bulk_migration_moves_what_it_can_and_says_why_not_for_the_rest(container, versions, as_):
    clock, designer = container.engine.clock, as_("yang.fan")
    with container.uow() as uow:
        job = bulk.start_migration(uow.session, designer, versions["v1"], versions["v2"], clock.now())
        uow.commit()
    assert (job.status, job.total) == ("queued", 4)
    assert bulk.run_migration(container.session_factory, container.engine, job.id, clock) == "done"
    with container.session_factory() as session:
        done = bulk.get_job(session, designer, job.id)
        refused = bulk.items(session, designer, job.id, "refused").items
        moved = bulk.items(session, designer, job.id, "moved").items
    assert (done.status, done.done, done.moved, done.refused) == ("done", 4, 3, 1)
    assert [(r.instance_id, r.reasons) for r in refused] == [
        (versions["negotiate"], ["waits at 'Negotiate', which version 2 removed"])]
    assert refused[0].reasons[0].msgid.startswith("waits at")  # shown in the reader's language
    assert {r.instance_id for r in moved} == {versions[s] for s in ("qualify", "propose", "sign")}
    assert run_to_end(container, versions["qualify"]) == ["Qualify", "Review", "Propose", "Sign"]

    with container.uow() as uow:  # run again (a job delivered twice): nothing more happens
        uow.session.get(type(done), job.id).status = "running"
        uow.commit()
    assert bulk.run_migration(container.session_factory, container.engine, job.id, clock) == "done"
    with container.session_factory() as session:
        again = bulk.get_job(session, designer, job.id)
        audits = session.scalars(select(AuditEvent.action).where(AuditEvent.actor == "yang.fan")).all()
        outcomes = session.scalars(select(MigrationItem.outcome).where(MigrationItem.job_id == job.id)).all()
    assert (again.done, again.moved, again.refused) == (4, 3, 1)
    assert sorted(audits) == ["process_migrated"] * 3 + ["process_migration_started"]
    assert sorted(outcomes) == ["moved", "moved", "moved", "refused"]


def test_a_bulk_migration_needs_running_instances_and_a_designer(container, versions, as_, clock):
    with container.uow() as uow, pytest.raises(PermissionDenied):
        bulk.start_migration(uow.session, as_("wang.fang"), versions["v1"], versions["v2"], clock.now())
    with container.uow() as uow, pytest.raises(InvalidInput):
        bulk.start_migration(uow.session, as_("yang.fan"), versions["v1"], versions["v1"], clock.now())


def test_a_waiting_timer_fires_at_its_moment_after_the_move(container, demo, as_, clock: ManualClock):
    first = deploy(container, pipeline("wait", "follow_up", timers={"wait": "P3D"}))
    started = clock.now()
    instance_id = start_at(container, 0)
    second = deploy(container, pipeline("wait", "follow_up", "thank", timers={"wait": "P3D"}))
    clock.advance(days=1)
    with container.uow() as uow:
        care.migrate_instance(uow.session, container.engine, as_("yang.fan"), instance_id, second, clock.now())
        uow.commit()
    with container.session_factory() as session:
        [due] = session.scalars(select(EngineTimer.due_at).where(EngineTimer.instance_id == instance_id)).all()
        assert session.get(ProcessDefinition, first).version == 1
    assert due == started + timedelta(days=3)
    clock.advance(days=1, hours=23)
    assert fire_due_timers(container.engine, container.session_factory).fired == 0
    clock.advance(hours=2)
    assert fire_due_timers(container.engine, container.session_factory).fired == 1
    assert run_to_end(container, instance_id) == ["Follow_Up", "Thank"]
    assert instance(container, instance_id).status == "completed"


def test_a_timer_whose_duration_changed_waits_the_new_duration_from_the_move(container, demo, as_, clock):
    deploy(container, pipeline("wait", "follow_up", timers={"wait": "P3D"}))
    instance_id = start_at(container, 0)
    longer = deploy(container, pipeline("wait", "follow_up", timers={"wait": "P5D"}))
    clock.advance(days=1)
    moved_at = clock.now()
    with container.uow() as uow:
        care.migrate_instance(uow.session, container.engine, as_("yang.fan"), instance_id, longer, moved_at)
        uow.commit()
    with container.session_factory() as session:
        [due] = session.scalars(select(EngineTimer.due_at).where(EngineTimer.instance_id == instance_id)).all()
    assert due == moved_at + timedelta(days=5)
