"""Admin pages for business types (which pipeline each kind of deal runs)."""

from __future__ import annotations

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from workflows.opportunities.business_types import business_type_usage, save_business_type
from workflows.opportunities.models import BusinessType

from .process_kinds import Kind, kind_pages

bp = Blueprint("business_types", __name__, url_prefix="/admin/business-types")
kind_pages(bp, Kind(
    model=BusinessType, usage=business_type_usage, save_kind=save_business_type, key_attribute="process_key",
    words={"title": _l("Business types"), "key": _l("Pipeline process"), "count": _l("Opportunities"),
           "active": _l("Active: new opportunities may use it"), "new": _l("New business type"),
           "intro": _l("Each business type runs its own pipeline: the deployed process named here. "
                       "Changing it affects new opportunities only."),
           "admins_only": _l("Only administrators may manage business types"),
           "missing": _l("This business type does not exist"), "saved": _l("Business type %(name)s saved.")}))
