"""What a message template may say, and the sandbox it is written in.

A template sees plain dicts of the allowed fields only, never ORM objects, so it cannot
reach anything it was not given. Before anything is rendered, its syntax tree is checked
against a whitelist: placeholders are ``object.field`` from :data:`FIELDS`, with ``if``,
comparisons and a few text filters; loops, calls, arithmetic and every other construct are
refused, as is any attribute trick (``contact.__class__``, ``''.__class__``). Rendering
then runs in Jinja's immutable sandbox with ``StrictUndefined`` as a second line of defence,
so a missing value raises rather than sending a blank.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from functools import lru_cache

from jinja2 import StrictUndefined, Template, TemplateSyntaxError, nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment

from core.phrases import Phrase

FIELDS: dict[str, tuple[str, ...]] = {
    "recipient": ("name", "title", "email", "phone"),
    "lead": ("name", "company", "title", "email", "phone", "address", "region", "industry"),
    "contact": ("name", "title", "email", "phone"),
    "account": ("name", "industry", "region", "phone", "address"),
    "sender": ("name", "email"),
}
# The objects a message to each kind of record can use; "recipient" works for both.
OBJECTS: dict[str, tuple[str, ...]] = {
    "lead": ("recipient", "lead", "sender"),
    "contact": ("recipient", "contact", "account", "sender"),
}
EVERY_OBJECT = tuple(FIELDS)
FILTERS = frozenset({"capitalize", "d", "default", "lower", "replace", "title", "trim", "truncate", "upper"})
# Plain text, conditions and placeholders: nothing that loops, calls, computes or defines.
_ALLOWED = (nodes.Template, nodes.Output, nodes.TemplateData, nodes.If, nodes.Const, nodes.Filter,
            nodes.Test, nodes.Not, nodes.And, nodes.Or, nodes.Compare, nodes.Operand, nodes.CondExpr,
            nodes.Concat, nodes.Keyword)
Context = Mapping[str, Mapping[str, str]]


class Unwritable(Exception):
    """The template cannot be written for this record; ``args[0]`` is a ``Phrase`` saying why."""


def available(objects: Collection[str]) -> list[str]:
    """Every placeholder the objects offer, as a person types it: ``contact.name``, ..."""
    return [f"{name}.{field}" for name in objects for field in FIELDS[name]]


def problem_in(text: str, objects: Collection[str]) -> Phrase | None:
    """What is wrong with ``text`` as a template over ``objects``: the first problem, or None."""
    try:
        tree = _environment().parse(text)
    except TemplateSyntaxError as exc:
        return Phrase("line %(line)s: %(problem)s", line=exc.lineno, problem=exc.message or "")
    return next(_culprits(tree, objects), None)


@lru_cache(maxsize=256)
def compiled(text: str) -> Template:
    """The sandboxed template of a text :func:`problem_in` found nothing wrong with."""
    return _environment().from_string(text)


def write(template: Template, context: Context) -> str:
    """The template written for one record's fields; Unwritable says why it cannot be."""
    try:
        return template.render(**context)
    except Exception as exc:  # the sandbox, a missing value, a filter given nonsense: all say why
        raise Unwritable(Phrase("the message cannot be written: %(problem)s", problem=str(exc))) from exc


def sample(objects: Collection[str]) -> dict[str, dict[str, str]]:
    """Example values for every field, to try a template out on when it is saved."""
    return {name: {field: f"{name} {field}" for field in FIELDS[name]} for name in objects}


def _culprits(node: nodes.Node, objects: Collection[str]) -> Iterator[Phrase]:
    """Each placeholder or construct of the tree that is not allowed, said with its line."""
    if isinstance(node, (nodes.Getattr, nodes.Getitem, nodes.Name)):
        path = None if isinstance(node, nodes.Name) else _path(node)  # a bare "{{ contact }}" prints a dict
        if path is None or path[0] not in objects or path[1] not in FIELDS[path[0]]:
            yield Phrase("%(field)s is not a field you can use (line %(line)s); available: %(available)s",
                         field=_describe(node), line=node.lineno, available=", ".join(available(objects)))
        return
    if isinstance(node, nodes.Filter) and node.name not in FILTERS:
        yield Phrase("line %(line)s: the filter %(name)s is not allowed in a message; use %(allowed)s",
                     line=node.lineno, name=node.name, allowed=", ".join(sorted(FILTERS)))
        return
    if not isinstance(node, _ALLOWED):
        yield Phrase("line %(line)s: %(construct)s is not allowed in a message; use placeholders, if and "
                     "filters", line=node.lineno, construct=type(node).__name__.lower())
        return
    for child in node.iter_child_nodes():
        yield from _culprits(child, objects)


def _path(node: nodes.Getattr | nodes.Getitem) -> tuple[str, str] | None:
    """``("contact", "name")`` for ``contact.name`` or ``contact["name"]``; None for anything deeper."""
    key = node.attr if isinstance(node, nodes.Getattr) else \
        node.arg.value if isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str) else None
    if key is None or not isinstance(node.node, nodes.Name):
        return None
    return node.node.name, key


def _describe(node: nodes.Node) -> str:
    """The expression as typed, near enough to find it: ``contact.nickname``, ``''.__class__``."""
    if isinstance(node, nodes.Name):
        return node.name
    if isinstance(node, nodes.Const):
        return repr(node.value)
    if isinstance(node, nodes.Getattr):
        return f"{_describe(node.node)}.{node.attr}"
    if isinstance(node, nodes.Getitem):
        return f"{_describe(node.node)}[{_describe(node.arg)}]"
    if isinstance(node, nodes.Call):
        return f"{_describe(node.node)}()"
    return "…"


@lru_cache(maxsize=1)
def _environment() -> ImmutableSandboxedEnvironment:
    # Plain text out: the HTML part of an email is made from it, escaped.
    return ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=False)
