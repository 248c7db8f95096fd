"""Two people completing tasks of one instance at the same moment: one waits for the other."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import func, select, text

from core.errors import Conflict
from engine import HistoryEvent, HumanTask, ProcessInstance, TaskFilter, list_tasks
from tests import diagrams
from tests.integration.test_engine_api import deploy, open_tasks, start


def test_simultaneous_completions_leave_one_winner_and_an_intact_instance(container):
    deploy(container, diagrams.two_stages())
    instance_id = start(container, "p", {"owner": "alice"})
    [task] = open_tasks(container, "alice")
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def attempt(budget: str) -> None:
        with container.uow() as uow:
            barrier.wait()
            try:
                container.engine.complete(uow.session, task.id, {"budget": budget}, "alice")
                uow.commit()
                outcomes.append("won")
            except Conflict as exc:
                outcomes.append(f"conflict: {exc}")

    threads = [threading.Thread(target=attempt, args=(b,)) for b in ("100", "200")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes)[-1] == "won" and sorted(outcomes)[0].startswith("conflict: ")
    assert "already completed" in sorted(outcomes)[0] or "busy" in sorted(outcomes)[0]
    with container.session_factory() as session:
        approvals = list_tasks(session, TaskFilter(user="d", groups=["sales_director"], scope="claimable"))
        completions = session.scalar(select(func.count()).where(
            HistoryEvent.event == "task_completed", HistoryEvent.instance_id == instance_id))
    assert approvals.total == 1 and completions == 1
    with container.uow() as uow:  # the instance still loads and advances
        container.engine.complete(uow.session, approvals.items[0].id, {}, "dora")
        uow.commit()


def parallel_follow_ups() -> str:
    """Two branches, each a task and its follow-up, joined before the end."""
    return diagrams.process(
        '<bpmn:startEvent id="start"/><bpmn:parallelGateway id="split"/>'
        + diagrams.user_task("a", "A", 'camunda:assignee="alice"')
        + diagrams.user_task("a2", "A again", 'camunda:assignee="alice"')
        + diagrams.user_task("b", "B", 'camunda:assignee="bob"')
        + diagrams.user_task("b2", "B again", 'camunda:assignee="bob"')
        + '<bpmn:parallelGateway id="join"/><bpmn:endEvent id="end"/>'
        + diagrams.flows(("start", "split"), ("split", "a"), ("a", "a2"), ("a2", "join"),
                         ("split", "b"), ("b", "b2"), ("b2", "join"), ("join", "end")),
    )


def complete_while_locked(container, first: tuple[str, str], second: tuple[str, str],
                          data: dict | None = None) -> list[str]:
    """Complete ``first`` (task id, user) and keep its transaction open until a completion of
    ``second`` is waiting for the instance lock; then commit both. PostgreSQL only: there the
    waiting statement resumes with the instance as the first step left it."""
    holding, outcomes = threading.Event(), []

    def waiting_for_a_lock() -> bool:
        with container.db.connect() as connection:
            return bool(connection.scalar(text(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                "AND datname = current_database()")))

    def attempt(task_id: str, user: str, hold: bool) -> None:
        try:
            with container.uow() as uow:
                container.engine.complete(uow.session, task_id, data or {}, user)
                if hold:
                    holding.set()
                    for _ in range(200):
                        if waiting_for_a_lock():
                            break
                        time.sleep(0.05)
                    else:
                        outcomes.append("the second completion never waited for the lock")
                uow.commit()
            outcomes.append(f"{user} won")
        except Conflict as exc:
            outcomes.append(f"{user}: {exc}")
        finally:
            holding.set()

    threads = [threading.Thread(target=attempt, args=(*first, True)),
               threading.Thread(target=attempt, args=(*second, False))]
    threads[0].start()
    holding.wait(timeout=30)
    threads[1].start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


def test_a_completion_that_waited_for_the_lock_sees_the_tasks_the_other_step_opened(container):
    if container.db.dialect.name != "postgresql":
        pytest.skip("SQLite serialises writers at BEGIN IMMEDIATE: no statement waits mid-way")
    deploy(container, parallel_follow_ups())
    instance_id = start(container, "p", {})
    a = open_tasks(container, "alice")[0].id
    b = open_tasks(container, "bob")[0].id

    assert complete_while_locked(container, (a, "alice"), (b, "bob")) == ["alice won", "bob won"]

    [a2], [b2] = open_tasks(container, "alice"), open_tasks(container, "bob")
    assert (a2.bpmn_id, b2.bpmn_id) == ("a2", "b2")
    for task_id, user in ((a2.id, "alice"), (b2.id, "bob")):
        with container.uow() as uow:
            container.engine.complete(uow.session, task_id, {}, user)
            uow.commit()
    with container.session_factory() as session:
        assert session.get(ProcessInstance, instance_id).status == "completed"
        assert session.scalar(select(func.count()).select_from(HumanTask)) == 0


def test_a_completion_that_waited_for_the_lock_finds_its_task_completed(container):
    if container.db.dialect.name != "postgresql":
        pytest.skip("SQLite serialises writers at BEGIN IMMEDIATE: no statement waits mid-way")
    deploy(container, diagrams.two_stages())
    start(container, "p", {"owner": "alice"})
    [task] = open_tasks(container, "alice")

    outcomes = complete_while_locked(container, (task.id, "alice"), (task.id, "alice"), {"budget": "1"})

    assert outcomes == ["alice won", "alice: This task was already completed by alice"]
