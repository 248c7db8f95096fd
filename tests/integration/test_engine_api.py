"""The engine API against a real database: SQLite and PostgreSQL."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from bootstrap import Container
from core.clock import ManualClock
from engine import (
    FormInvalid,
    HistoryEvent,
    HumanTask,
    InstanceBusy,
    NoMatchingWait,
    ProcessDefinition,
    ProcessInstance,
    TaskAlreadyCompleted,
    TaskAssignedToOther,
    TaskFilter,
    fire_due_timers,
    instance_view,
    list_tasks,
)
from tests import diagrams


def deploy(container: Container, xml: str, name: str = "p.bpmn") -> ProcessDefinition:
    with container.uow() as uow:
        [definition] = container.engine.deploy(uow.session, {name: xml}, "designer")
        uow.commit()
    return definition


def start(container: Container, key: str, data: dict, business_key: str = "opportunity:7") -> int:
    with container.uow() as uow:
        instance = container.engine.start(uow.session, key, business_key, data, "alice")
        uow.commit()
    return instance.id


def open_tasks(container: Container, user: str, scope: str = "mine", groups: tuple[str, ...] = ()) -> list:
    with container.session_factory() as session:
        return list(list_tasks(session, TaskFilter(user=user, groups=groups, scope=scope)).items)


def candidates(container: Container, task_id: str) -> set[tuple[str, str]]:
    with container.session_factory() as session:
        return {(c.kind, c.name) for c in session.get(HumanTask, task_id).candidates}


def complete(container: Container, task_id: str, data: dict, user: str) -> None:
    with container.uow() as uow:
        container.engine.complete(uow.session, task_id, data, user)
        uow.commit()


def test_redeploying_identical_files_keeps_the_version_and_a_change_makes_a_new_one(container):
    first = deploy(container, diagrams.two_stages())
    again = deploy(container, diagrams.two_stages())
    changed = deploy(container, diagrams.two_stages().replace("Approve", "Approve deal"))
    assert (first.version, again.version, changed.version) == (1, 1, 2)
    assert again.id == first.id


def test_running_instances_stay_on_their_version(container):
    deploy(container, diagrams.two_stages())
    old = start(container, "p", {"owner": "alice"})
    deploy(container, diagrams.two_stages().replace('name="Approve"', 'name="Approve deal"'))
    new = start(container, "p", {"owner": "alice"}, "opportunity:8")
    with container.session_factory() as session:
        versions = {i.id: i.definition.version for i in session.scalars(select(ProcessInstance))}
    assert versions == {old: 1, new: 2}


def test_a_started_process_offers_its_first_task_with_business_columns(container):
    deploy(container, diagrams.two_stages())
    start(container, "p", {"owner": "alice", "title": "ACME rollout", "amount": "125000.50"})
    [task] = open_tasks(container, "alice")
    assert (task.name, task.assignee, task.stage, task.title) == ("Qualify", "alice", "qualify", "ACME rollout")
    assert task.amount == Decimal("125000.50")
    assert (task.object_type, task.object_id) == ("opportunity", "7")
    assert candidates(container, task.id) == {("group", "sales_rep")}


def test_completing_a_task_validates_the_form_and_changes_nothing_when_invalid(container):
    deploy(container, diagrams.two_stages())
    instance_id = start(container, "p", {"owner": "alice"})
    [task] = open_tasks(container, "alice")
    with pytest.raises(FormInvalid) as error:
        complete(container, task.id, {"budget": "lots"}, "alice")
    assert error.value.field_errors == {"budget": "must be a number"}
    assert [t.id for t in open_tasks(container, "alice")] == [task.id]

    complete(container, task.id, {"budget": "5000", "note": "keen"}, "alice")
    assert open_tasks(container, "alice") == []
    [approval] = open_tasks(container, "dora", "claimable", ("sales_director",))
    assert approval.name == "Approve"
    assert approval.due_at == container.engine.clock.now() + __import__("datetime").timedelta(days=2)
    with container.session_factory() as session:
        events = [(e.event, e.bpmn_id, e.actor) for e in instance_view(session, instance_id).history]
        done = session.scalars(select(HistoryEvent).where(HistoryEvent.event == "task_completed")).one()
    assert ("task_completed", "qualify", "alice") in events
    assert ("stage_entered", "qualify", "alice") in events
    assert done.details == {"data": {"budget": "5000.00", "note": "keen"}}


def test_a_task_completed_meanwhile_gives_a_clear_conflict(container):
    deploy(container, diagrams.two_stages())
    start(container, "p", {"owner": "alice"})
    [task] = open_tasks(container, "alice")
    complete(container, task.id, {"budget": "1"}, "alice")
    with pytest.raises(TaskAlreadyCompleted, match="already completed by alice"):
        complete(container, task.id, {"budget": "2"}, "alice")


def test_a_step_on_an_instance_changed_underneath_writes_nothing(container, monkeypatch):
    deploy(container, diagrams.two_stages())
    start(container, "p", {"owner": "alice"})
    [task] = open_tasks(container, "alice")
    with container.session_factory() as session:
        before = session.scalar(select(func.count()).select_from(HistoryEvent))
    dumps = container.engine.serializer.dumps
    with container.uow() as uow:
        def dumps_after_a_sneaky_write(workflow):  # a writer that ignored the instance lock
            uow.session.connection().execute(ProcessInstance.__table__.update().values(version=99))
            return dumps(workflow)

        monkeypatch.setattr(container.engine.serializer, "dumps", dumps_after_a_sneaky_write)
        with pytest.raises(InstanceBusy, match="changed by someone else"):
            container.engine.complete(uow.session, task.id, {"budget": "1"}, "alice")
        assert uow.session.scalar(select(func.count()).select_from(HistoryEvent)) == before
        assert uow.session.scalars(select(HumanTask.bpmn_id)).all() == ["qualify"]
        assert uow.session.scalar(select(ProcessInstance.version)) == 99


def test_claim_unclaim_and_assign(container):
    deploy(container, diagrams.two_stages())
    start(container, "p", {"owner": "alice"})
    complete(container, open_tasks(container, "alice")[0].id, {"budget": "1"}, "alice")
    [task] = open_tasks(container, "dora", "claimable", ("sales_director",))
    with container.uow() as uow:
        container.engine.claim(uow.session, task.id, "dora")
        uow.commit()
    assert [t.id for t in open_tasks(container, "dora")] == [task.id]
    assert open_tasks(container, "eric", "claimable", ("sales_director",)) == []
    with container.uow() as uow, pytest.raises(TaskAssignedToOther, match="claimed by dora"):
        container.engine.claim(uow.session, task.id, "eric")
    with container.uow() as uow:
        container.engine.unclaim(uow.session, task.id, "dora")
        container.engine.assign(uow.session, task.id, "eric", "manager")
        uow.commit()
    assert [t.id for t in open_tasks(container, "eric")] == [task.id]
    with pytest.raises(TaskAssignedToOther):
        complete(container, task.id, {}, "dora")


def test_due_timers_fire_once_the_clock_reaches_them(container, clock: ManualClock):
    deploy(container, diagrams.timer_then_task("P3D"))
    start(container, "timed", {"owner": "alice"})
    assert fire_due_timers(container.engine, container.session_factory).fired == 0
    clock.advance(days=2, hours=23)
    assert fire_due_timers(container.engine, container.session_factory).fired == 0
    clock.advance(hours=2)
    assert fire_due_timers(container.engine, container.session_factory).fired == 1
    assert [t.name for t in open_tasks(container, "alice")] == ["Follow up"]
    assert fire_due_timers(container.engine, container.session_factory).fired == 0


def test_a_sweep_that_dies_before_commit_leaves_the_timer_for_the_next_one(container, clock):
    deploy(container, diagrams.timer_then_task("PT1H"))
    instance_id = start(container, "timed", {"owner": "alice"})
    clock.advance(hours=2)
    with container.session_factory() as session:
        container.engine.fire_timers(session, instance_id)
        session.rollback()  # the worker died before committing
    assert open_tasks(container, "alice") == []
    assert fire_due_timers(container.engine, container.session_factory).fired == 1
    assert fire_due_timers(container.engine, container.session_factory).fired == 0
    with container.session_factory() as session:
        fired = session.scalar(select(func.count()).where(HistoryEvent.event == "timer_fired"))
    assert fired == 1
    assert len(open_tasks(container, "alice")) == 1


def test_messages_reach_the_instance_waiting_under_that_business_key(container):
    deploy(container, diagrams.waits_for_message())
    start(container, "collect", {"owner": "alice"}, "contract:1")
    start(container, "collect", {"owner": "bob"}, "contract:2")
    with container.uow() as uow:
        assert container.engine.send_message(uow.session, "payment_received", "contract:2", {"paid": "100"}) == 1
        uow.commit()
    assert open_tasks(container, "alice") == []
    assert [t.name for t in open_tasks(container, "bob")] == ["Thank the customer"]
    with container.uow() as uow, pytest.raises(NoMatchingWait):
        container.engine.send_message(uow.session, "payment_received", "contract:9", {})


def test_cancel_removes_open_tasks_and_timers(container):
    deploy(container, diagrams.timer_then_task())
    instance_id = start(container, "timed", {"owner": "alice"})
    with container.uow() as uow:
        container.engine.cancel(uow.session, instance_id, "admin", "duplicate")
        uow.commit()
    with container.session_factory() as session:
        view = instance_view(session, instance_id)
        assert view.instance.status == "cancelled"
        assert view.active_elements == []
        assert view.history[-1].details == {"reason": "duplicate"}


def test_state_is_stored_without_the_process_spec(container):
    deploy(container, diagrams.two_stages())
    instance_id = start(container, "p", {"owner": "alice"})
    with container.session_factory() as session:
        state = session.get(ProcessInstance, instance_id).state
    assert "spec" not in json.loads(state)
    assert len(state) < 5000


def test_task_lists_never_need_the_instance_state(container):
    deploy(container, diagrams.two_stages())
    start(container, "p", {"owner": "alice"})
    with container.session_factory() as session:
        session.execute(ProcessInstance.__table__.update().values(state="not json"))
        session.commit()
        page = list_tasks(session, TaskFilter(user="alice"))
        assert [t.name for t in page.items] == ["Qualify"] and page.total == 1
        assert session.scalar(select(func.count()).select_from(HumanTask)) == 1


def test_a_timer_behind_an_event_based_gateway_is_swept(container, clock):
    from tests.engine.test_gateway_events_and_ids import first_of_timer_or_message

    deploy(container, first_of_timer_or_message())
    start(container, "cycle", {"owner": "alice"}, "lead:1")
    start(container, "cycle", {"owner": "alice"}, "lead:2")
    with container.uow() as uow:
        container.engine.send_message(uow.session, "contact_logged", "lead:2", {"channel": "visit"})
        uow.commit()
    clock.advance(days=7)
    assert fire_due_timers(container.engine, container.session_factory).fired == 0  # not yet past
    clock.advance(seconds=1)
    assert fire_due_timers(container.engine, container.session_factory).fired == 1
    with container.session_factory() as session:
        opened = session.execute(select(HumanTask.business_key, HumanTask.name)).all()
        statuses = dict(session.execute(select(ProcessInstance.business_key, ProcessInstance.status)).all())
    assert opened == [("lead:1", "Follow up")]
    assert statuses == {"lead:1": "running", "lead:2": "completed"}


def test_changed_data_reaches_the_open_tasks_business_columns(container):
    deploy(container, diagrams.two_stages())
    instance_id = start(container, "p", {"owner": "alice", "title": "ACME", "amount": "100"})
    with container.uow() as uow:
        container.engine.update_data(uow.session, instance_id, {"title": "ACME Robotics", "amount": "250"}, "alice")
        uow.commit()
    [task] = open_tasks(container, "alice")
    assert (task.title, task.amount) == ("ACME Robotics", Decimal("250.00"))
