"""Messages rendered from Jinja templates in the recipient's language and time zone.

Each language has its own complete set of message templates
(``templates/messages/<locale>/<name>.txt``, blocks ``subject``, ``body`` and ``action``),
so a message reads as written in that language rather than as a sentence assembled from
fragments; the email layout around them (``templates/email/``) is shared, with its few
words in each language's ``_email.txt``. Templates see only the context they are given
and fail loudly on a missing value (``StrictUndefined``), so a typo shows in the tests and
never reaches a customer as an empty field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_date, format_time
from babel.numbers import format_decimal
from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template, pass_context, select_autoescape
from jinja2.runtime import Context

TEMPLATES = Path(__file__).resolve().parent / "templates"
LOCALES = ("zh_CN", "en")
DEFAULT_LOCALE = "zh_CN"
DEFAULT_TIME_ZONE = "Asia/Shanghai"


@dataclass(frozen=True)
class Message:
    """A rendered message: what the bell, the page, the email and the SMS all say."""

    subject: str
    body: str
    action: str  # the label of the link to the record, e.g. "Open the task"


@dataclass(frozen=True)
class Letter:
    """Everything an email is made from, in plain values."""

    locale: str
    recipient_name: str
    message: Message
    url: str | None  # absolute link to the record
    preferences_url: str


@dataclass(frozen=True)
class EmailContent:
    subject: str
    text: str
    html: str


def supported_locale(locale: str | None) -> str:
    """``zh-CN``, ``zh_Hans_CN`` or ``zh`` → ``zh_CN``; ``en_GB`` → ``en``; else the default."""
    language = (locale or "").replace("-", "_").split("_")[0].lower()
    return {"zh": "zh_CN", "en": "en"}.get(language, DEFAULT_LOCALE)


def render_message(template: str, locale: str, time_zone: str, context: Mapping[str, Any]) -> Message:
    """The subject, body and link label of message ``template`` for one reader."""
    locale = supported_locale(locale)
    loaded = environment().get_template(f"messages/{locale}/{template}.txt")
    values = {**context, "_locale": locale, "_zone": _zone(time_zone)}
    return Message(_block(loaded, "subject", values), _block(loaded, "body", values),
                   _block(loaded, "action", values))


def render_email(letter: Letter) -> EmailContent:
    """Text and HTML parts saying the same thing: both are made from the message's body."""
    locale = supported_locale(letter.locale)
    words: Any = environment().get_template(f"messages/{locale}/_email.txt").module
    values = {
        "lang": locale.replace("_", "-"),
        "greeting": str(words.greeting(letter.recipient_name)).strip(),
        "footer": str(words.footer(letter.preferences_url)).strip(),
        "action": str(words.action(letter.message.action, letter.url)).strip() if letter.url else "",
        "message": letter.message, "url": letter.url, "blocks": blocks(letter.message.body),
    }
    text = environment().get_template("email/layout.txt").render(values)
    html = environment().get_template("email/layout.html").render(values)
    return EmailContent(letter.message.subject, text.strip() + "\n", html)


def blocks(body: str) -> list[tuple[str, list[str]]]:
    """A plain-text body as HTML blocks: paragraphs split at blank lines, and ``- `` lines as
    a list, so the HTML part never says more or less than the text part."""
    found: list[tuple[str, list[str]]] = []
    for paragraph in body.strip().split("\n\n"):
        lines = [line.strip() for line in paragraph.strip().splitlines() if line.strip()]
        if lines and all(line.startswith("- ") for line in lines):
            found.append(("ul", [line[2:] for line in lines]))
        elif lines:
            found.append(("p", lines))
    return found


@cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES), undefined=StrictUndefined,
        autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True,
    )
    env.filters.update(datetime=_datetime, date=_date, amount=_amount)
    return env


def _block(template: Template, name: str, values: dict[str, Any]) -> str:
    render = template.blocks[name]
    text = "".join(render(template.new_context(values)))
    lines = "\n".join(line.strip() for line in text.strip().splitlines())
    return re.sub(r"\n{3,}", "\n\n", lines)  # a left-out optional paragraph leaves no gap


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or DEFAULT_TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_TIME_ZONE)


@pass_context
def _datetime(context: Context, value: datetime) -> str:
    """Date and minute in the reader's zone ("Jan 5, 2026 5:00 PM", "2026年1月5日 17:00")."""
    zone, locale = context["_zone"], context["_locale"]
    return f"{format_date(value.astimezone(zone), 'medium', locale=locale)} " \
           f"{format_time(value, 'short', tzinfo=zone, locale=locale)}"


@pass_context
def _date(context: Context, value: date | datetime, format: str = "medium") -> str:  # noqa: A002
    if isinstance(value, datetime):
        value = value.astimezone(context["_zone"]).date()
    return format_date(value, format, locale=context["_locale"])


@pass_context
def _amount(context: Context, value: Decimal | int | float) -> str:
    return format_decimal(value, "#,##0.00", locale=context["_locale"])
