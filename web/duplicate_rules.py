"""Admin page for duplicate rules: list, create, edit and retire them per kind of record, and
a check form that shows which rules fire on typed values, with the score of each field,
so an admin can tune thresholds against real data before the rule warns or blocks anyone."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.wrappers import Response
from wtforms import BooleanField, FieldList, Form, FormField, SelectChoice, SelectField, StringField

from core.errors import PermissionDenied
from workflows.dedupe import (
    ConditionInput,
    MatchResult,
    RuleInput,
    deactivate_rule,
    list_rules,
    match,
    save_rule,
)
from workflows.dedupe.models import ACTIONS, FIELDS, MATCHES, OBJECTS, DuplicateRule
from workflows.dedupe.rules import MAX_CONDITIONS, get_rule

from .context import container
from .forms import RowsForm, save

bp = Blueprint("duplicate_rules", __name__, url_prefix="/admin/duplicate-rules")
MAX_CHECK_LENGTH = 300
OBJECT_LABELS = {"lead": _l("Leads"), "account": _l("Accounts"), "contact": _l("Contacts")}
FIELD_LABELS = {"name": _l("Name"), "company": _l("Company"), "phone": _l("Phone"), "email": _l("Email"),
                "address": _l("Address")}
MATCH_LABELS = {"exact": _l("Exact"), "fuzzy": _l("Similar (threshold)"), "prefix": _l("First N characters")}
ACTION_LABELS = {"warn": _l("Warn"), "block": _l("Block")}


class ConditionForm(Form):  # type: ignore[misc]
    """One field rule; a row without a field is left out."""

    field = SelectField(_l("Field"), validate_choice=False,
                        choices=[SelectChoice("", ""), *(SelectChoice(f, FIELD_LABELS[f]) for f in FIELDS)])
    match = SelectField(_l("Match"), validate_choice=False,
                        choices=[SelectChoice(m, MATCH_LABELS[m]) for m in MATCHES])
    threshold = StringField(_l("Threshold (0-100)"))
    prefix_length = StringField(_l("Characters"))


class RuleForm(RowsForm):
    """Field names match ``RuleInput``; a condition's problem is shown beside its cell."""

    row_lists = ("conditions",)
    object = SelectField(_l("Record"), validate_choice=False,
                         choices=[SelectChoice(o, OBJECT_LABELS[o]) for o in OBJECTS])
    name = StringField(_l("Name"))
    action = SelectField(_l("When it matches"), choices=[SelectChoice(a, ACTION_LABELS[a]) for a in ACTIONS],
                         validate_choice=False)
    position = StringField(_l("Position"), default="0")
    active = BooleanField(_l("Active: checks apply it"), default=True)
    conditions = FieldList(FormField(ConditionForm), min_entries=MAX_CONDITIONS,
                           max_entries=MAX_CONDITIONS)

    def rule_input(self) -> RuleInput:
        return RuleInput(object=self.object.data or "", name=self.name.data or "",
                         action=self.action.data or "", active=bool(self.active.data),
                         position=self.position.data or "",
                         conditions=self.rows("conditions", ConditionInput))


@bp.before_request
def _admins_only() -> None:
    if not current_user.viewer.is_admin:
        raise PermissionDenied(_("Only administrators may manage duplicate rules"))


@bp.context_processor
def _labels() -> dict[str, Any]:
    return {"object_labels": OBJECT_LABELS, "field_labels": FIELD_LABELS, "match_labels": MATCH_LABELS,
            "action_labels": ACTION_LABELS}


@bp.route("", methods=["GET", "POST"])
def index() -> Any:
    return _form_page(None)


@bp.route("/<int:rule_id>", methods=["GET", "POST"])
def edit(rule_id: int) -> Any:
    return _form_page(rule_id)


@bp.post("/<int:rule_id>/deactivate")
def deactivate(rule_id: int) -> Response:
    with container().uow() as uow:
        rule = deactivate_rule(uow.session, current_user.viewer, rule_id)
        name = rule.name
        uow.commit()
    flash(_("Duplicate rule %(name)s is no longer applied.", name=name))
    return redirect(url_for("duplicate_rules.index"))


def _form_page(rule_id: int | None) -> Any:
    """A refusal answers 400 with each problem beside its field."""
    with container().session_factory() as session:
        editing = get_rule(session, rule_id) if rule_id is not None else None
        form = RuleForm(data=_initial(editing))
        rules = list_rules(session)
        checked, check_problems = _check(session)
    status = 200
    if form.validate_on_submit():
        saved = save(form, lambda session: save_rule(session, current_user.viewer, rule_id,
                                                     form.rule_input()).name)
        if saved is not None:
            flash(_("Duplicate rule %(name)s saved.", name=saved))
            return redirect(url_for("duplicate_rules.index"))
        status = 400
    elif request.method == "POST":
        status = 400  # the CSRF token was missing or stale
    return render_template("admin/duplicate_rules.html", form=form, rules=rules, editing=editing,
                           checked=checked, check_problems=check_problems, check=request.args), status


def _initial(rule: DuplicateRule | None) -> dict[str, Any]:
    if rule is None:
        return {"object": request.args.get("object", "lead"), "active": True}
    conditions = [{key: str(value) for key, value in condition.items()} for condition in rule.fields]
    return {"object": rule.object, "name": rule.name, "action": rule.action, "position": str(rule.position),
            "active": rule.active, "conditions": conditions}


def _check(session: Any) -> tuple[MatchResult | None, dict[str, str]]:
    """The check form's outcome (GET, nothing is saved): matches and near misses with scores."""
    if "check_object" not in request.args:
        return None, {}
    object = request.args.get("check_object", "")
    values = {name: request.args.get(f"check_{name}", "") for name in FIELDS}
    problems = {f"check_{name}": _("must be at most %(count)s characters", count=MAX_CHECK_LENGTH)
                for name, value in values.items() if len(value) > MAX_CHECK_LENGTH}
    if object not in OBJECTS:
        problems["check_object"] = _("is not one of the allowed values")
    if problems:
        return None, problems
    return match(session, object, values), {}
