"""Run a form's use case as one unit of work and put its refusal back on the form."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask_wtf import FlaskForm
from sqlalchemy.orm import Session
from wtforms import Field, FieldList

from core.errors import Conflict, InvalidInput

from .context import container
from .i18n import message_of, translated

T = TypeVar("T")


class RowsForm(FlaskForm):  # type: ignore[misc]
    """A form with tables of rows (FieldLists of subforms, listed in ``row_lists``). A use
    case names a row's problem ``<list>-<row>-<field>``, the row's own input name, so it is
    found here like any field and shown beside it."""

    row_lists: tuple[str, ...] = ("lines",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in self.row_lists:  # a submission without rows still shows a row to fill in
            if not self._list(name).entries:
                self._list(name).append_entry()

    def __contains__(self, name: object) -> bool:
        return super().__contains__(name) or self._row_field(str(name)) is not None

    def __getitem__(self, name: str) -> Field:
        return self._row_field(name) or super().__getitem__(name)

    def rows(self, name: str, kind: Callable[..., T]) -> list[T]:
        """Every row of list ``name`` as the use case's input dataclass ``kind``, as typed."""
        names = kind.__dataclass_fields__  # type: ignore[attr-defined]
        return [kind(**{field: str(entry.form[field].data or "") for field in names})
                for entry in self._list(name).entries]

    def _list(self, name: str) -> Any:
        found = getattr(self, name, None) if name in self.row_lists else None
        return found if isinstance(found, FieldList) else None

    def _row_field(self, name: str) -> Field | None:
        prefix, _dash, rest = name.partition("-")
        row, _dash, field = rest.partition("-")
        rows = self._list(prefix)
        if rows is None or not row.isdigit() or int(row) >= len(rows.entries):
            return None
        subform = rows.entries[int(row)].form
        return subform[field] if field in subform else None


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


def typed(form: FlaskForm, kind: type[Any]) -> dict[str, str]:
    """The submitted text of the fields the use case's input dataclass names."""
    return {name: str(form[name].data or "") for name in kind.__dataclass_fields__ if name in form}
