"""Birthday reminders: a contact's owner hears of the birthday some days ahead and on the day.

A birthday on 29 February falls on 28 February in other years: still in February, and the
last day the contact was not yet a year older. Each reminder goes out once per contact and
year (keys ``birthday:<contact>:<year>:ahead`` and ``...:today``); the "ahead" one goes out on
the first run within the days ahead, so a day the job did not run loses nothing.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import and_, extract, or_, select
from sqlalchemy.orm import Session

from notifications import Notice, notify
from workflows.accounts.models import Account, Contact
from workflows.org.recipients import recipient


@dataclass(frozen=True)
class BirthdayDue:
    contact_id: int
    contact: str
    account: str
    owner: str
    birthday: date  # this occurrence
    days: int  # from today; 0 on the day


def birthday_on(birthday: date, year: int) -> date:
    """The day the birthday is kept in ``year``."""
    if birthday.month == 2 and birthday.day == 29 and not calendar.isleap(year):
        return date(year, 2, 28)
    return birthday.replace(year=year)


def next_birthday(birthday: date, today: date) -> date:
    """The birthday's next occurrence, today included."""
    this_year = birthday_on(birthday, today.year)
    return this_year if this_year >= today else birthday_on(birthday, today.year + 1)


def birthdays_due(session: Session, today: date, days_ahead: int) -> list[BirthdayDue]:
    """Contacts whose birthday is today or within the next ``days_ahead`` days."""
    days = [today + timedelta(days=n) for n in range(days_ahead + 1)]
    wanted = {(d.month, d.day) for d in days}
    if any(d.month == 2 and d.day == 28 and not calendar.isleap(d.year) for d in days):
        wanted.add((2, 29))
    month, day = extract("month", Contact.birthday), extract("day", Contact.birthday)
    rows = session.execute(
        select(Contact.id, Contact.name, Account.name, Contact.owner, Contact.birthday)
        .join(Account, Account.id == Contact.account_id)
        .where(Contact.birthday.is_not(None), Contact.owner.is_not(None),  # in a pool: nobody's to remind
               or_(*(and_(month == m, day == d) for m, d in sorted(wanted))))
        .order_by(Contact.id))
    found = []
    for contact_id, name, account, owner, birthday in rows:
        occurrence = next_birthday(birthday, today) if birthday else None
        if occurrence is not None and owner is not None and (occurrence - today).days <= days_ahead:
            found.append(BirthdayDue(contact_id, name, account, owner, occurrence, (occurrence - today).days))
    return found


def remind_birthday(session: Session, due: BirthdayDue, now: datetime) -> bool:
    """Tell the contact's owner; False when they are gone or want no reminders."""
    owner = recipient(session, due.owner)
    if owner is None:
        return False
    moment = "today" if due.days == 0 else "ahead"
    return notify(session, Notice(
        recipient=owner, kind="reminder", template="birthday_reminder", link=f"/contacts/{due.contact_id}",
        idempotency_key=f"birthday:{due.contact_id}:{due.birthday.year}:{moment}",
        context={"contact": due.contact, "account": due.account, "birthday": due.birthday, "days": due.days},
    ), now) is not None
