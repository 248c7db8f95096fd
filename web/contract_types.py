"""Admin pages for contract types (which approval process each kind of contract runs)."""

from __future__ import annotations

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from workflows.contracts.models import ContractType
from workflows.contracts.types import contract_type_usage, save_contract_type

from .process_kinds import Kind, kind_pages

bp = Blueprint("contract_types", __name__, url_prefix="/admin/contract-types")
kind_pages(bp, Kind(
    model=ContractType, usage=contract_type_usage, save_kind=save_contract_type,
    key_attribute="approval_process_key",
    words={"title": _l("Contract types"), "key": _l("Approval process"), "count": _l("Contracts"),
           "active": _l("Active: new contracts may use it"), "new": _l("New contract type"),
           "intro": _l("Each contract type's approvals run the deployed process named here. Changing it "
                       "affects new submissions only."),
           "admins_only": _l("Only administrators may manage contract types"),
           "missing": _l("This contract type does not exist"), "saved": _l("Contract type %(name)s saved.")}))
