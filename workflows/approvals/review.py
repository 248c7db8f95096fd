"""What an approver reads before deciding: the contract as submitted, the rules that routed
it, and what earlier rounds decided.

The task grants sight of its contract: a delegate from another branch reviews a contract
the record visibility rule alone would hide, so the contract is read through the task,
never through the contract list's rule. The matched rules are the decision table of the
version the approval runs, evaluated on the round's margin.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from core.errors import DealflowError
from engine import HumanTask, MatchedRule, ProcessEngine
from workflows.accounts.models import Account
from workflows.catalog.models import Product
from workflows.contracts.figures import Figures
from workflows.contracts.models import Contract, ContractLine
from workflows.org.visibility import Viewer, require_task_visible

from .history import ApprovalHistory, approval_history
from .models import ApprovalRound
from .rounds import current_round


@dataclass(frozen=True)
class ApprovalReview:
    """The approval task's contract, lines (each with its product's code), figures, the round
    being decided, the table's matched rules (or why it could not be evaluated), and the
    contract's approval history (every round, newest first, with the names it mentions)."""

    task_id: str
    contract: Contract
    account: Account
    lines: list[tuple[ContractLine, str]]
    figures: Figures
    current: ApprovalRound
    rules: tuple[MatchedRule, ...]
    rules_problem: str | None
    history: ApprovalHistory

    @property
    def earlier(self) -> list[ApprovalRound]:
        """The rounds before this one, newest first: what was decided and said then."""
        return [r for r in self.history.rounds if r.number < self.current.number]


def approval_review(session: Session, engine: ProcessEngine, viewer: Viewer,
                    task_id: str) -> ApprovalReview | None:
    """The review of an open approval task the viewer may see; None for any other kind of task.
    A task out of sight raises NotFound."""
    require_task_visible(session, viewer, task_id)
    task = session.get_one(HumanTask, task_id)
    deciding = current_round(session, task.instance_id)
    if deciding is None:
        return None
    contract = session.scalars(select(Contract).options(selectinload(Contract.lines))
                               .where(Contract.id == deciding.contract_id)).one()
    rules, problem = _matched(session, engine, task, deciding)
    return ApprovalReview(
        task_id=task_id, contract=contract, account=session.get_one(Account, contract.account_id),
        lines=_with_codes(session, contract.lines), figures=contract.figures, current=deciding,
        rules=rules, rules_problem=problem, history=approval_history(session, contract))


def _matched(session: Session, engine: ProcessEngine, task: HumanTask,
             deciding: ApprovalRound) -> tuple[tuple[MatchedRule, ...], str | None]:
    """The table's rules that match the round's margin, in the version this approval runs."""
    try:
        decision = engine.decide(session, None, {"margin": str(deciding.margin)},
                                 definition_id=task.definition_id)
    except DealflowError as exc:  # a version whose table cannot say (edited, or none at all)
        return (), exc.args[0] if exc.args else str(exc)
    return decision.matches, None


def _with_codes(session: Session, lines: list[ContractLine]) -> list[tuple[ContractLine, str]]:
    codes = {product_id: code for product_id, code in session.execute(
        select(Product.id, Product.code).where(Product.id.in_({line.product_id for line in lines})))}
    return [(line, codes.get(line.product_id, "")) for line in lines]
