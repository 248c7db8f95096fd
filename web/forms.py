"""Run a form's use case as one unit of work and put its refusal back on the form."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask_wtf import FlaskForm
from sqlalchemy.orm import Session

from core.errors import Conflict, InvalidInput

from .context import container
from .i18n import message_of, translated

T = TypeVar("T")


def save(form: FlaskForm, work: Callable[[Session], T]) -> T | None:
    """All of ``work`` is committed, or (when refused) none of it, with the problems on the form."""
    try:
        with container().uow() as uow:
            result = work(uow.session)
            uow.commit()
    except (InvalidInput, Conflict) as exc:
        show_problems(form, exc)
        return None
    return result


def show_problems(form: FlaskForm, exc: InvalidInput | Conflict) -> None:
    """Each field's message goes next to that field, in the reader's language; the rest
    above the form."""
    for name, message in field_messages(exc).items():
        if name in form and name != "csrf_token":
            form[name].errors = [*form[name].errors, message]
        else:
            form.form_errors.append(f"{name}: {message}" if name else message)


def field_messages(exc: InvalidInput | Conflict) -> dict[str, str]:
    """Field name → translated message; "" for a message about no field in particular."""
    if isinstance(exc, InvalidInput) and exc.fields:
        return {name: translated(message) for name, message in exc.fields.items()}
    if isinstance(exc, InvalidInput) and exc.problems:
        parsed = (problem.partition(": ") for problem in exc.problems)
        return {name if colon else "": message if colon else name for name, colon, message in parsed}
    return {"": message_of(exc)}
