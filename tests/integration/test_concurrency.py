"""Two people completing the same task at the same moment: exactly one wins."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from core.errors import Conflict
from engine import HistoryEvent, TaskFilter, list_tasks
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
