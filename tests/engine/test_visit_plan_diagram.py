"""The visit plan diagram in memory, with a moving clock: one reminder before the visit,
however late the timers are looked at, then the log task once the visit is over."""

from __future__ import annotations

from datetime import timedelta

from engine.forms import validate_submission
from engine.stepping import waiting_timers


def plan(start, engine_clock, remind_in: timedelta, ends_in: timedelta):
    now = engine_clock.now()
    return start("visit_plan", owner="alice", title="ACME",
                 remind_at=(now + remind_in).isoformat(), ends_at=(now + ends_in).isoformat())


def test_the_reminder_comes_at_its_time_once_and_the_log_task_after_the_visit(engine_clock, start):
    started = engine_clock.now()
    run = plan(start, engine_clock, timedelta(hours=2), timedelta(hours=4))
    [(_, due)] = waiting_timers(run.workflow)
    assert due == started + timedelta(hours=2)
    assert run.services.calls == [] and run.ready() == []

    engine_clock.advance(hours=1, minutes=59)
    run.advance()
    assert run.services.calls == []

    engine_clock.advance(minutes=1, seconds=1)  # a timer fires once its moment has passed
    run.advance()
    assert run.services.calls == ["visit.remind"]
    [(_, due)] = waiting_timers(run.workflow)
    assert due == started + timedelta(hours=4)
    for _ in range(3):  # the sweep coming round again tells no one twice
        engine_clock.advance(minutes=10)
        run.advance()
    assert run.services.calls == ["visit.remind"] and run.ready() == []

    engine_clock.set(started + timedelta(hours=4, seconds=1))
    run.advance()
    task = run.only("Log the visit")
    ext = task.task_spec.extensions
    assert (ext["assignee"], ext["dueDate"]) == ("${owner}", "P1D")
    assert validate_submission(ext["form"], {"next_step": "Quote"})[1] == {"outcome": "is required"}
    assert validate_submission(ext["form"], {"outcome": "Met", "next_step": "x" * 301})[1] == {
        "next_step": "must be at most 300 characters"}
    run.submit(task, {"outcome": "Toured the plant", "next_step": "Send a quote by Friday"})
    assert run.services.calls == ["visit.remind", "visit.log"]
    assert run.ended_at == ["Visit logged"]
    assert (run.data["outcome"], run.data["next_step"]) == ("Toured the plant", "Send a quote by Friday")
    assert waiting_timers(run.workflow) == []


def test_a_sweep_that_comes_late_reminds_once_and_opens_the_log_task(engine_clock, start):
    run = plan(start, engine_clock, timedelta(hours=1), timedelta(hours=3))
    engine_clock.advance(hours=5)  # the scheduler was down through the whole visit
    for _ in range(3):
        run.advance()
    assert run.services.calls == ["visit.remind"]
    assert run.only("Log the visit")


def test_a_reminder_time_already_past_reminds_at_once(engine_clock, start):
    run = plan(start, engine_clock, -timedelta(minutes=30), timedelta(hours=1))
    assert run.services.calls == ["visit.remind"]
    assert run.ready() == [] and len(waiting_timers(run.workflow)) == 1
