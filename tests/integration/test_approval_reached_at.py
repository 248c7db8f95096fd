"""Each approval decision keeps when its task reached the approver: created for them, or handed to
them later, the latest before the decision. Migration 0026 fills it in for decisions already
taken, from the same history, as the decisions would have recorded it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, delete, select

from bootstrap import Container
from core import migrate
from engine import HistoryEvent
from tests.contracts import CD, SD, at_margin, decide, open_approvals, submit
from tests.usecases import run
from workflows import handover
from workflows.approvals.models import ApprovalDecision

SUBMITTED = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def approved_with_a_handover(container: Container, as_, demo, deployed) -> None:
    """wang.fang submits at 25% on 2 March 01:00; chen.hao approves 6 hours later; li.ming leaves
    a day later, his task goes to zhao.li, who approves 12 hours after that."""
    clock, rep = container.engine.clock, as_("wang.fang")
    clock.set(SUBMITTED)
    contract = at_margin(container, rep, deployed, "0.25")
    submit(container, rep, contract)
    clock.set(SUBMITTED + timedelta(hours=6))
    decide(container, open_approvals(container, contract)[SD], SD, "approve")
    clock.set(SUBMITTED + timedelta(days=1))
    run(container, handover.hand_over, container.engine, as_("admin"), str(demo[CD]), str(demo["zhao.li"]), "",
        clock.now())
    clock.set(SUBMITTED + timedelta(days=1, hours=12))
    decide(container, open_approvals(container, contract)["zhao.li"], "zhao.li", "approve")


def reached(container: Container) -> dict[str, tuple[datetime | None, datetime]]:
    """Approver -> (reached at, decided at) of every decision."""
    with container.session_factory() as session:
        found = session.execute(select(ApprovalDecision.approver, ApprovalDecision.reached_at,
                                       ApprovalDecision.decided_at))
        return {approver: (reached_at, decided_at) for approver, reached_at, decided_at in found}


def test_a_decision_keeps_when_its_task_reached_the_approver_even_after_a_handover(container, as_, demo,
                                                                                   deployed):
    approved_with_a_handover(container, as_, demo, deployed)
    assert reached(container) == {
        SD: (SUBMITTED, SUBMITTED + timedelta(hours=6)),  # created for him on submission
        "zhao.li": (SUBMITTED + timedelta(days=1), SUBMITTED + timedelta(days=1, hours=12)),  # the handover
    }


def test_the_migration_fills_in_the_decisions_already_taken(container, as_, demo, deployed, database_url):
    """Down to before the column and up again: each decision gets what it recorded; one whose
    task left no history gets nothing, as the report then leaves it out."""
    approved_with_a_handover(container, as_, demo, deployed)
    recorded = reached(container)
    with container.uow() as uow:  # chen.hao's task as if from before the engine kept history
        guid = uow.session.scalars(select(ApprovalDecision.task_guid).where(ApprovalDecision.approver == SD)).one()
        uow.session.execute(delete(HistoryEvent).where(HistoryEvent.task_guid == guid))
        uow.commit()
    container.db.dispose()
    config = Config(str(migrate.ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(migrate.ROOT / "migrations"))
    db = create_engine(database_url)
    with db.connect() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0025")
        command.upgrade(config, "head")
    db.dispose()
    assert reached(container) == {SD: (None, recorded[SD][1]), "zhao.li": recorded["zhao.li"]}
