"""Admins manage contract types: each names the approval process its contracts run."""

from __future__ import annotations

from sqlalchemy.orm import Session

from core.phrases import Phrase
from workflows.org.visibility import Viewer
from workflows.process_kinds import KindRules, kind_usage, kinds, save_kind

from .models import Contract, ContractType

RULES = KindRules(model=ContractType, key_attribute="approval_process_key", used_by=Contract.contract_type_id,
                  denied=Phrase("Only administrators may manage contract types"),
                  missing=Phrase("This contract type does not exist"),
                  name_taken=Phrase("another contract type already has this name"))


def save_contract_type(session: Session, actor: Viewer, type_id: int | None, name: str,
                       approval_process_key: str, active: bool) -> ContractType:
    """Create (``type_id`` None) or change a contract type. A new approval process applies
    to submissions made afterwards; approvals already running stay on theirs."""
    saved: ContractType = save_kind(session, actor, RULES, type_id, name, approval_process_key, active)
    return saved


def contract_types(session: Session, active_only: bool = True) -> list[ContractType]:
    return kinds(session, ContractType, active_only)


def contract_type_usage(session: Session) -> list[tuple[ContractType, int]]:
    """Every contract type with its number of contracts, for the admin list."""
    return kind_usage(session, RULES)
