"""Greetings ahead of public holidays: some days before a holiday break, each owner of key
contacts (people at VIP and strategic accounts) gets the list of those contacts to greet.

A break is a run of consecutive days off in the company's holiday calendar
(``DEALFLOW_HOLIDAYS``, from the holidays library), named by its holidays, so the eve of the
Spring Festival and the festival make one break; days off in lieu (调休) name nothing and
start no break of their own. One reminder per break and owner (key
``holiday:<first day>:<owner>``), with the holidays named in the owner's language.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache

import holidays
from sqlalchemy import select
from sqlalchemy.orm import Session

from notifications import Notice, notify
from notifications.rendering import supported_locale
from workflows.accounts.models import Account, Contact
from workflows.org.recipients import recipient

KEY_CATEGORIES = ("vip", "strategic")
MAX_CONTACTS = 50
# Our languages as the holidays library names them.
LANGUAGES = {"zh_CN": "zh_CN", "en": "en_US"}
_DAY = timedelta(days=1)


@dataclass(frozen=True)
class HolidayBreak:
    first_day: date
    names: tuple[str, ...]


@dataclass(frozen=True)
class GreetingsDue:
    owner: str
    holiday: HolidayBreak
    contacts: list[str]  # "name · account"
    more: int  # contacts left out of the list


def holiday_breaks(country: str, first: date, last: date, locale: str | None = None) -> list[HolidayBreak]:
    """The breaks that begin between ``first`` and ``last`` (both included), their holidays
    named in ``locale`` where the calendar has that language."""
    calendar = _calendar(country, first, last, locale)
    label = getattr(calendar, "substituted_label", None)
    in_lieu = calendar.tr(label).split("%s")[0] if label else None
    found, day = [], first
    while day <= last:
        if day in calendar and day - _DAY not in calendar:
            names: list[str] = []
            run = day
            while run in calendar:
                names += [name for name in calendar.get_list(run)
                          if not (in_lieu and name.startswith(in_lieu)) and name not in names]
                run += _DAY
            if names:
                found.append(HolidayBreak(day, tuple(names)))
        day += _DAY
    return found


def greetings_due(session: Session, country: str, today: date, days_ahead: int) -> list[GreetingsDue]:
    """For each break beginning within ``days_ahead`` days after today, each owner of key contacts."""
    breaks = holiday_breaks(country, today + _DAY, today + days_ahead * _DAY)
    if not breaks:
        return []
    contacts: dict[str, list[str]] = defaultdict(list)
    for owner, name, account in session.execute(
            select(Contact.owner, Contact.name, Account.name).join(Account, Account.id == Contact.account_id)
            .where(Account.category.in_(KEY_CATEGORIES), Contact.owner.is_not(None))  # a pool's: nobody's
            .order_by(Contact.owner, Account.name, Contact.name)):
        contacts[str(owner)].append(f"{name} · {account}")
    return [GreetingsDue(owner, holiday, lines[:MAX_CONTACTS], max(0, len(lines) - MAX_CONTACTS))
            for holiday in breaks for owner, lines in contacts.items()]


def remind_greetings(session: Session, country: str, due: GreetingsDue, now: datetime) -> bool:
    """Tell the owner whom to greet; False when they are gone or want no reminders."""
    owner = recipient(session, due.owner)
    if owner is None:
        return False
    first_day = due.holiday.first_day
    names = _names_in(country, first_day, owner.locale) or due.holiday.names
    return notify(session, Notice(
        recipient=owner, kind="reminder", template="holiday_greetings", link="/accounts",
        idempotency_key=f"holiday:{first_day.isoformat()}:{due.owner}",
        context={"holidays": list(names), "first_day": first_day, "contacts": due.contacts, "more": due.more},
    ), now) is not None


@lru_cache(maxsize=32)
def _names_in(country: str, first_day: date, locale: str | None) -> tuple[str, ...]:
    """The holidays of the break beginning on ``first_day`` in ``locale``: built once per language,
    not once per owner (a calendar takes some 30 ms to build)."""
    found = holiday_breaks(country, first_day, first_day, locale)
    return found[0].names if found else ()


def _calendar(country: str, first: date, last: date, locale: str | None) -> holidays.HolidayBase:
    """Public holidays without observed days: a holiday on a Sunday is not moved to Monday for greetings."""
    language = LANGUAGES.get(supported_locale(locale)) if locale else None
    if language not in holidays.list_localized_countries().get(country, ()):
        language = None
    return holidays.country_holidays(country, years=range(first.year - 1, last.year + 2), observed=False,
                                     language=language)
