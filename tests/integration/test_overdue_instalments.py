"""An approved contract gets a first collection plan; an instalment past due and unpaid
becomes a task for the contract's owner, once, and paying it off withdraws the task."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from bootstrap import Container
from engine import HumanTask
from tests.contracts import SD, at_margin, decide, open_approvals, submit
from tests.usecases import run
from workflows.contracts import chasing
from workflows.contracts.models import Contract, Instalment
from workflows.contracts.plan import CollectionInput


def approved_contract(container: Container, as_, world) -> Contract:
    rep = as_("wang.fang")
    contract = at_margin(container, rep, world, "0.35")
    submit(container, rep, contract)
    decide(container, open_approvals(container, contract)[SD], SD, "approve")
    return contract


def instalments(container: Container, contract: Contract) -> list[Instalment]:
    with container.session_factory() as session:
        rows = list(session.scalars(select(Instalment).where(Instalment.contract_id == contract.id)))
        session.expunge_all()
        return rows


def chase_tasks(container: Container) -> list[HumanTask]:
    with container.session_factory() as session:
        rows = list(session.scalars(select(HumanTask).where(HumanTask.process_key == "overdue_instalment")))
        session.expunge_all()
        return rows


def sweep(container: Container) -> chasing.ChaseReport:
    return chasing.chase_overdue_instalments(container.engine, container.session_factory,
                                             container.engine.clock.now().date())


def test_an_approved_contract_starts_with_its_whole_revenue_due_in_30_days(container, as_, deployed, clock):
    contract = approved_contract(container, as_, deployed)
    [first] = instalments(container, contract)
    assert (first.amount, first.due_on) == (Decimal("100000.00"), clock.now().date() + timedelta(days=30))


def test_an_unpaid_instalment_past_due_is_chased_once_and_paying_it_withdraws_the_chase(
        container, as_, deployed, clock):
    contract = approved_contract(container, as_, deployed)
    [due] = instalments(container, contract)
    clock.advance(days=30)
    assert sweep(container).started == [] and chase_tasks(container) == []  # due today is not overdue yet

    clock.advance(days=1)
    assert sweep(container).started == [due.id]
    assert sweep(container).started == []  # never twice
    [task] = chase_tasks(container)
    assert (task.name, task.assignee, task.title, task.amount) == (
        "Chase overdue payment", "wang.fang", f"{contract.number} #1", Decimal("100000.00"))

    rep, today = as_("wang.fang"), str(clock.now().date())
    run(container, chasing.collect, container.engine, rep, due.id, CollectionInput("40000.00", today), clock.now())
    assert [t.id for t in chase_tasks(container)] == [task.id]  # 60,000.00 still outstanding
    run(container, chasing.collect, container.engine, rep, due.id, CollectionInput("60000.00", today), clock.now())
    assert chase_tasks(container) == []


def test_an_instalment_paid_before_its_due_date_is_never_chased(container, as_, deployed, clock):
    contract = approved_contract(container, as_, deployed)
    [due] = instalments(container, contract)
    run(container, chasing.collect, container.engine, as_("wang.fang"), due.id,
        CollectionInput("100000.00", str(clock.now().date())), clock.now())
    clock.advance(days=45)
    assert sweep(container).started == []
