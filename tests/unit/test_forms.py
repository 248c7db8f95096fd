"""Task forms: values are coerced to their types and each problem names its field."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from engine.forms import FormField, validate_submission

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
