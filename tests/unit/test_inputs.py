"""Reading ids typed or picked in forms and links."""

from __future__ import annotations

import pytest

from workflows.inputs import parse_id


@pytest.mark.parametrize(("raw", "expected"), [("42", 42), (" 7 ", 7), ("", None), ("-1", None), ("4.2", None),
                                               ("9" * 19, None), ("²", None), ("٣", None)])
def test_only_plain_ascii_digits_are_an_id(raw: str, expected: int | None):
    """Superscript and Arabic-Indic digits pass str.isdigit but not int() (or not as meant): a
    tampered form field carrying one raised a ValueError, a 500 on every page reading an id."""
    assert parse_id(raw) == expected
