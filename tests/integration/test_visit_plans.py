"""Visit plans against a real database and the real services: the reminder comes once before
the visit however late the sweep runs, the log task comes after it and logs a real contact;
a new time moves both, cancelling stops both; work plans count the visits of their period
and are visible to the rep's manager."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

import bootstrap
from bootstrap import Container
from core.errors import InvalidInput, NotFound, PermissionDenied
from engine import HumanTask, ProcessInstance, fire_due_timers
from notifications.models import Notification
from tests.usecases import refused, run
from workflows.accounts.models import Account
from workflows.activities.models import Activity
from workflows.leads.models import Lead
from workflows.leads.service import LeadInput, create_lead
from workflows.visits.models import VisitPlan
from workflows.visits.plans import VisitInput, cancel_visit, change_visit, get_visit, log_task, plan_visit
from workflows.visits.work_plans import WorkPlanInput, create_work_plan, get_work_plan, list_work_plans

TZ = "Asia/Shanghai"
# The clock starts on Monday 2026-01-05 at 17:00 in Shanghai; the visit is on Tuesday.
TUESDAY_10 = datetime(2026, 1, 6, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


@pytest.fixture
def records(container: Container, demo, clock) -> dict[str, int]:
    return wang_fangs_records(container, clock)


def wang_fangs_records(container: Container, clock) -> dict[str, int]:
    """wang.fang's lead Emily Zhou and her account ACME, with the shipped processes deployed."""
    bootstrap.deploy_shipped(container)
    with container.uow() as uow:
        now = clock.now()
        acme = Account(name="ACME", owner="wang.fang", created_at=now, updated_at=now)
        uow.session.add(acme)
        uow.session.flush()
        lead = create_lead(uow.session, None, LeadInput(name="Emily Zhou", company="Suzhou Precision"), now,
                           owner="wang.fang")
        uow.commit()
        return {"account": acme.id, "lead": lead.id}


def visit(starts_at: str = "2026-01-06T10:00", purpose: str = "Plant tour", **other: str) -> VisitInput:
    return VisitInput(starts_at=starts_at, purpose=purpose, **other)


def planned(container: Container, as_, records, data: VisitInput | None = None, subject: str = "lead",
            who: str = "wang.fang") -> VisitPlan:
    return run(container, plan_visit, container.engine, as_(who), subject, records[subject], data or visit(), TZ,
               container.engine.clock.now())


def sweep(container: Container) -> None:
    report = fire_due_timers(container.engine, container.session_factory)
    assert report.failed == []


def reminders(container: Container) -> list[Notification]:
    with container.session_factory() as session:
        rows = list(session.scalars(select(Notification).where(Notification.kind == "reminder")
                                    .order_by(Notification.id)))
        session.expunge_all()
        return rows


def fresh(container: Container, plan_id: int) -> VisitPlan:
    with container.session_factory() as session:
        plan = session.get_one(VisitPlan, plan_id)
        session.expunge(plan)
        return plan


def the_log_task(container: Container, plan_id: int) -> HumanTask | None:
    with container.session_factory() as session:
        task = log_task(session, session.get_one(VisitPlan, plan_id))
        if task is not None:
            session.expunge(task)
        return task


def log_it(container: Container, plan_id: int, **told: str) -> None:
    """The owner completes the plan's open log task with ``told``."""
    task = the_log_task(container, plan_id)
    assert task is not None
    with container.uow() as uow:
        container.engine.complete(uow.session, task.id, told, "wang.fang")
        uow.commit()


def test_the_owner_is_reminded_once_before_the_visit_and_logs_it_after_as_a_contact(
        container, as_, records, clock):
    plan = planned(container, as_, records, visit(location="Suzhou plant", remind_minutes="60"))
    assert (plan.starts_at, plan.ends_at, plan.remind_at) == (
        TUESDAY_10, TUESDAY_10 + timedelta(hours=1), TUESDAY_10 - timedelta(hours=1))
    assert (plan.title, plan.owner, plan.status, plan.kind) == ("Emily Zhou", "wang.fang", "planned", "visit")
    with container.session_factory() as session:
        instance = session.get_one(ProcessInstance, plan.instance_id)
        assert (instance.process_key, instance.business_key, instance.status) == (
            "visit_plan", f"visit:{plan.id}", "running")

    clock.set(TUESDAY_10 - timedelta(hours=1, minutes=1))
    sweep(container)
    assert reminders(container) == []
    clock.advance(minutes=2)
    sweep(container)
    sweep(container)
    [told] = reminders(container)
    assert (told.username, told.link) == ("wang.fang", f"/visits/{plan.id}")
    assert "Plant tour" in told.subject and "Emily Zhou" in told.subject
    assert fresh(container, plan.id).reminded_at == clock.now()
    assert the_log_task(container, plan.id) is None

    clock.set(TUESDAY_10 + timedelta(hours=1, seconds=1))
    sweep(container)
    task = the_log_task(container, plan.id)
    assert task is not None
    assert (task.name, task.assignee, task.title, task.object_type) == (
        "Log the visit", "wang.fang", "Emily Zhou", "visit")
    assert task.due_at == clock.now() + timedelta(days=1)

    clock.advance(minutes=20)
    log_it(container, plan.id, outcome="Toured the plant", next_step="Quote")
    done = fresh(container, plan.id)
    assert done.status == "logged" and done.activity_id is not None
    with container.session_factory() as session:
        activity = session.get_one(Activity, done.activity_id)
        assert (activity.kind, activity.subject_type, activity.subject_id, activity.owner) == (
            "visit", "lead", records["lead"], "wang.fang")
        assert (activity.outcome, activity.next_step, activity.happened_at) == (
            "Toured the plant", "Quote", clock.now())
        lead = session.get_one(Lead, records["lead"])
        assert (lead.last_contacted_at, lead.status) == (clock.now(), "working")
        assert session.get_one(ProcessInstance, plan.instance_id).status == "completed"
    assert len(reminders(container)) == 1


def test_a_sweep_after_an_outage_reminds_once_and_a_visit_already_over_not_at_all(
        container, as_, records, clock):
    soon = planned(container, as_, records, visit())
    later = planned(container, as_, records, visit("2026-01-07T15:00", "Contract talk", kind="meeting"),
                    subject="account")
    clock.set(TUESDAY_10 - timedelta(minutes=20))  # the scheduler was down past the first reminder time
    for _ in range(3):
        sweep(container)
    assert [n.link for n in reminders(container)] == [f"/visits/{soon.id}"]

    clock.set(later.ends_at + timedelta(hours=3))  # and down again through the whole second visit
    sweep(container)
    assert [n.link for n in reminders(container)] == [f"/visits/{soon.id}"]
    assert fresh(container, later.id).reminded_at is None
    assert the_log_task(container, later.id) is not None and the_log_task(container, soon.id) is not None


def test_a_new_time_moves_the_reminder_and_the_log_task_and_gets_its_own_reminder(
        container, as_, records, clock):
    plan = planned(container, as_, records)
    first_instance = plan.instance_id
    clock.set(TUESDAY_10 - timedelta(minutes=30))
    sweep(container)
    assert len(reminders(container)) == 1

    rep = as_("wang.fang")
    moved = run(container, change_visit, container.engine, rep, plan.id,
                visit("2026-01-08T14:00", duration="90", remind_minutes="120"), TZ, clock.now())
    assert moved.instance_id != first_instance and moved.reminded_at is None
    assert (moved.starts_at, moved.ends_at) == (datetime(2026, 1, 8, 6, tzinfo=UTC), datetime(2026, 1, 8, 7, 30,
                                                                                             tzinfo=UTC))
    with container.session_factory() as session:
        assert session.get_one(ProcessInstance, first_instance).status == "cancelled"
    clock.set(TUESDAY_10 + timedelta(hours=2))  # the old end passes: no log task
    sweep(container)
    assert the_log_task(container, plan.id) is None

    renamed = run(container, change_visit, container.engine, rep, plan.id,
                  visit("2026-01-08T14:00", "Plant tour with the CTO", duration="90", remind_minutes="120",
                        location="Suzhou"), TZ, clock.now())
    assert renamed.instance_id == moved.instance_id  # same time: the process goes on as it was
    clock.set(datetime(2026, 1, 8, 4, 1, tzinfo=UTC))  # two hours before 14:00 in Shanghai
    sweep(container)
    second = reminders(container)[-1]
    assert len(reminders(container)) == 2 and "Plant tour with the CTO" in second.subject
    clock.set(datetime(2026, 1, 8, 7, 31, tzinfo=UTC))
    sweep(container)
    assert the_log_task(container, plan.id) is not None


def test_a_cancelled_visit_reminds_no_one_and_asks_for_no_log(container, as_, records, clock):
    plan = planned(container, as_, records)
    rep = as_("wang.fang")
    cancelled = run(container, cancel_visit, container.engine, rep, plan.id, clock.now())
    assert cancelled.status == "cancelled"
    assert run(container, cancel_visit, container.engine, rep, plan.id, clock.now()).status == "cancelled"
    with container.session_factory() as session:
        assert session.get_one(ProcessInstance, plan.instance_id).status == "cancelled"
    clock.set(TUESDAY_10 + timedelta(days=1))
    sweep(container)
    assert reminders(container) == [] and the_log_task(container, plan.id) is None
    with pytest.raises(InvalidInput):
        run(container, change_visit, container.engine, rep, plan.id, visit("2026-01-09T10:00"), TZ, clock.now())


def test_a_visit_over_and_waiting_for_its_log_may_still_be_called_off(container, as_, records, clock):
    plan = planned(container, as_, records)
    clock.set(TUESDAY_10 + timedelta(hours=2))
    sweep(container)
    assert the_log_task(container, plan.id) is not None
    run(container, cancel_visit, container.engine, as_("wang.fang"), plan.id, clock.now())
    assert the_log_task(container, plan.id) is None
    with container.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(HumanTask)) == 0


def test_a_meeting_with_an_account_is_logged_as_a_meeting_on_the_account(container, as_, records, clock):
    plan = planned(container, as_, records, visit(kind="meeting"), subject="account")
    clock.set(plan.ends_at + timedelta(minutes=1))
    sweep(container)
    log_it(container, plan.id, outcome="Agreed the scope")
    with container.session_factory() as session:
        activity = session.get_one(Activity, fresh(container, plan.id).activity_id)
        assert (activity.kind, activity.subject_type, activity.subject_id) == (
            "meeting", "account", records["account"])


def test_a_visit_whose_lead_went_to_a_colleague_meanwhile_can_still_be_logged(container, as_, records, clock):
    plan = planned(container, as_, records)
    with container.uow() as uow:
        uow.session.get_one(Lead, records["lead"]).owner = "zhang.wei"  # handed over after the visit was planned
        uow.commit()
    clock.set(plan.ends_at + timedelta(minutes=1))
    sweep(container)
    log_it(container, plan.id, outcome="Met her anyway")
    done = fresh(container, plan.id)
    assert (done.status, done.activity_id) == ("logged", None)  # not on a record she may no longer see
    with container.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Activity)) == 0


def test_bad_input_is_named_field_by_field_and_nothing_is_planned(container, as_, records, clock):
    rep, now = as_("wang.fang"), clock.now()
    problems = refused(container, plan_visit, container.engine, rep, "lead", records["lead"], VisitInput(
        starts_at="tomorrow", purpose="", kind="party", duration="0", remind_minutes="99999",
        location="x" * 301), TZ, now)
    assert set(problems) == {"starts_at", "purpose", "kind", "duration", "remind_minutes", "location"}
    assert refused(container, plan_visit, container.engine, rep, "lead", records["lead"],
                   visit("2026-01-05T16:59"), TZ, now) == {"starts_at": "must be in the future"}
    assert refused(container, plan_visit, container.engine, rep, "lead", records["lead"],
                   visit("2026-02-30T10:00"), TZ, now) == {
        "starts_at": "must be a date and time (YYYY-MM-DD HH:MM)"}
    assert refused(container, plan_visit, container.engine, rep, "lead", records["lead"],
                   visit("9999-12-31T23:30"), TZ, now) == {"starts_at": "must be from 1970-01-01 to 2999-12-31"}
    with container.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(VisitPlan)) == 0
        assert session.scalar(select(func.count()).select_from(ProcessInstance)) == 0


def test_plans_follow_the_visibility_rule_and_only_their_owner_changes_them(container, as_, records, clock):
    with pytest.raises(NotFound):  # another team's lead
        planned(container, as_, records, who="sun.li")
    plan = planned(container, as_, records)
    manager, stranger, teammate = as_("liu.yang"), as_("sun.li"), as_("zhang.wei")
    with container.session_factory() as session:
        assert get_visit(session, manager, plan.id).id == plan.id  # wang.fang's manager
        with pytest.raises(NotFound):
            get_visit(session, stranger, plan.id)
        with pytest.raises(NotFound):
            get_visit(session, teammate, plan.id)
    with pytest.raises(PermissionDenied):
        run(container, cancel_visit, container.engine, as_("liu.yang"), plan.id, clock.now())
    with pytest.raises(NotFound):
        run(container, cancel_visit, container.engine, as_("sun.li"), plan.id, clock.now())
    assert fresh(container, plan.id).status == "planned"


def test_a_work_plan_counts_its_weeks_visits_and_the_manager_follows_it(container, as_, records, clock):
    rep = as_("wang.fang")
    work = run(container, create_work_plan, rep, WorkPlanInput("week", "2026-01-07", "3", "Suzhou cluster"),
               TZ, clock.now())
    assert (work.starts_on.isoformat(), work.goal) == ("2026-01-05", 3)
    assert refused(container, create_work_plan, rep, WorkPlanInput("week", "2026-01-09", "5"), TZ,
                   clock.now()) == {"day": "you already have a plan for this period"}
    assert set(refused(container, create_work_plan, rep, WorkPlanInput("fortnight", "soon", "-1"), TZ,
                       clock.now())) == {"period", "day", "goal"}

    logged = planned(container, as_, records, visit("2026-01-06T10:00"))
    overdue = planned(container, as_, records, visit("2026-01-07T10:00", "Second visit"))
    planned(container, as_, records, visit("2026-01-09T10:00", "Third visit"))
    dropped = planned(container, as_, records, visit("2026-01-10T10:00", "Dropped"), subject="account")
    planned(container, as_, records, visit("2026-01-12T10:00", "Next week"))  # Monday after: not counted
    run(container, cancel_visit, container.engine, rep, dropped.id, clock.now())
    clock.set(overdue.ends_at + timedelta(hours=1))
    sweep(container)
    log_it(container, logged.id, outcome="Went well")

    manager, stranger = as_("liu.yang"), as_("sun.li")
    with container.session_factory() as session:
        [row], total = list_work_plans(session, manager, clock.now())
        assert (total, row.plan.id, row.plan.owner) == (1, work.id, "wang.fang")
        progress = row.progress
        assert (progress.planned, progress.logged, progress.overdue, progress.upcoming) == (3, 1, 1, 1)
        assert list_work_plans(session, stranger, clock.now()) == ([], 0)
        with pytest.raises(NotFound):
            get_work_plan(session, stranger, work.id)
        with pytest.raises(NotFound):  # a person outside what sun.li sees
            list_work_plans(session, stranger, clock.now(), person="wang.fang")


def test_the_demo_company_has_a_few_visits_planned_once(container, clock):
    bootstrap.deploy_shipped(container)
    bootstrap.load_demo(container)
    bootstrap.load_demo(container)
    with container.session_factory() as session:
        plans = session.scalars(select(VisitPlan).order_by(VisitPlan.id)).all()
        assert [p.owner for p in plans] == ["zhang.wei", "zhang.wei", "wang.fang", "li.na"]
        assert all(p.status == "planned" and p.starts_at > clock.now() for p in plans)
        assert {session.get_one(ProcessInstance, p.instance_id).status for p in plans} == {"running"}
