"""Contracts for use-case tests in the contract world of tests/integration/conftest.py: made,
submitted at a chosen margin, and decided on by the demo directors."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import select

from bootstrap import Container
from engine import HumanTask
from tests.usecases import run
from workflows.approvals import submission
from workflows.approvals.models import ApprovalRound
from workflows.contracts import service
from workflows.contracts.models import Contract
from workflows.contracts.service import ContractInput, ContractLineInput


def contract_input(world: dict[str, int], *lines: ContractLineInput, **fields: str) -> ContractInput:
    given = lines or (ContractLineInput(str(world["agv"]), "2", "150000.00"),)
    return ContractInput(**{"account_id": str(world["acme"]), "contract_type_id": str(world["type"]),
                            "lines": given, **fields})


def new_contract(container: Container, viewer: Any, world: dict[str, int], *lines: ContractLineInput,
                 **fields: str) -> Contract:
    return run(container, service.create_contract, viewer, contract_input(world, *lines, **fields),
               container.engine.clock.now())


# wang.fang is a Shanghai rep: her branch's sales director is chen.hao; head office has the rest.
SD, CD, SVC, GM = "chen.hao", "li.ming", "zhao.li", "wang.jianguo"


def at_margin(container: Container, viewer: Any, world: dict[str, int], margin: str) -> Contract:
    """A contract of 100,000.00 revenue whose costs leave exactly ``margin`` (a fraction)."""
    costs = Decimal("100000.00") * (1 - Decimal(margin))
    return new_contract(container, viewer, world, ContractLineInput(str(world["agv"]), "1", "100000.00"),
                        cost_reserve=str(costs))


def open_approvals(container: Container, contract: Contract) -> dict[str, str]:
    """Assignee -> task id of the contract's open approval tasks."""
    with container.session_factory() as session:
        instance_id = session.get_one(Contract, contract.id).approval_instance_id
        rows = session.execute(select(HumanTask.assignee, HumanTask.id, HumanTask.name)
                               .where(HumanTask.instance_id == instance_id))
        return {assignee: task_id for assignee, task_id, _name in rows}


def decide(container: Container, task_id: str, user: str, decision: str, comment: str = "") -> None:
    with container.uow() as uow:
        container.engine.complete(uow.session, task_id, {"decision": decision, "comment": comment}, user)
        uow.commit()


def submit(container: Container, viewer: Any, contract: Contract, note: str = "") -> None:
    run(container, submission.submit_contract, container.engine, viewer, contract.id, note)


def reload(container: Container, contract: Contract) -> Contract:
    with container.session_factory() as session:
        found = session.get_one(Contract, contract.id)
        session.expunge(found)
        return found


def rounds(container: Container, contract: Contract) -> list[ApprovalRound]:
    with container.session_factory() as session:
        found = list(session.scalars(select(ApprovalRound).where(ApprovalRound.contract_id == contract.id)
                                     .order_by(ApprovalRound.number)))
        for each in found:
            _ = each.decisions
        session.expunge_all()
        return found
