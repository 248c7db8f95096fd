"""Task forms: values are coerced to their types and each problem names its field."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from lxml import etree

from engine.forms import CAMUNDA_NS, FormField, field_problems, parse_form_data, validate_submission

FORM = [
    FormField("amount", "Amount", "money", required=True, min="0"),
    FormField("seats", "Seats", "long", max="500"),
    FormField("close", "Close date", "date"),
    FormField("signed", "Signed", "boolean"),
    FormField("outcome", "Outcome", "enum", options=(("advance", "Advance"), ("lost", "Lost"))),
    FormField("code", "Code", "string", minlength=2, maxlength=4),
    FormField("locked", "Locked", "string", readonly=True),
]


def test_valid_values_are_coerced():
    clean, errors = validate_submission(FORM, {
        "amount": "1,250.5", "seats": "12", "close": "2026-03-01", "signed": "on",
        "outcome": "lost", "code": "AB"})
    assert errors == {}
    assert clean == {"amount": Decimal("1250.50"), "seats": 12, "close": date(2026, 3, 1),
                     "signed": True, "outcome": "lost", "code": "AB"}


def test_each_bad_field_gets_its_own_message():
    _, errors = validate_submission(FORM, {
        "amount": "-1", "seats": "2.5", "close": "March", "signed": "maybe", "outcome": "won",
        "code": "A", "locked": "x", "approved": "yes"})
    assert errors == {
        "amount": "must be at least 0", "seats": "must be a whole number",
        "close": "must be a date (YYYY-MM-DD)", "signed": "must be yes or no",
        "outcome": "is not one of the allowed values", "code": "must be at least 2 characters",
        "approved": "is not a field of this form"}


def test_read_only_fields_keep_their_value():
    clean, errors = validate_submission(FORM, {"amount": "1", "locked": "changed"})
    assert errors == {} and "locked" not in clean


def test_required_fields_must_be_filled():
    _, errors = validate_submission(FORM, {"amount": "  "})
    assert errors == {"amount": "is required"}


STAGE_FORM = [
    FormField("outcome", "Outcome", "enum", required=True,
              options=(("advance", "Advance"), ("lost", "Lost"), ("abandoned", "Abandoned"))),
    FormField("quote_amount", "Quote amount", "money", required_if=("outcome", ("advance",))),
    FormField("reason", "Reason", "textarea", required_if=("outcome", ("lost", "abandoned"))),
]


def test_a_field_can_be_required_only_for_one_outcome():
    assert validate_submission(STAGE_FORM, {"outcome": "advance"})[1] == {"quote_amount": "is required"}
    assert validate_submission(STAGE_FORM, {"outcome": "lost"})[1] == {"reason": "is required"}
    assert validate_submission(STAGE_FORM, {"outcome": "abandoned", "reason": "No budget"})[1] == {}


def test_required_if_is_read_from_the_diagram_and_checked_at_deploy():
    xml = etree.fromstring(
        f'<camunda:formData xmlns:camunda="{CAMUNDA_NS}">'
        '<camunda:formField id="outcome" type="enum"><camunda:value id="advance"/><camunda:value id="lost"/>'
        '</camunda:formField>'
        '<camunda:formField id="reason" type="textarea"><camunda:validation>'
        '<camunda:constraint name="required_if" config="outcome=lost|won"/></camunda:validation>'
        '</camunda:formField>'
        '<camunda:formField id="note" type="textarea"><camunda:validation>'
        '<camunda:constraint name="required_if" config="mood=sad"/></camunda:validation>'
        '</camunda:formField></camunda:formData>')
    form = parse_form_data(xml)
    assert form[1].required_if == ("outcome", ("lost", "won"))
    assert field_problems(form) == [
        "form field 'reason': required_if value 'won' is not an option of 'outcome'",
        "form field 'note': required_if must name another field of the form, as in 'outcome=lost' (got 'mood')",
    ]
