"""The cadence as people see it: which leads and accounts go back to a pool tomorrow or within
a week (and why), and how many have gone 7, 15, 30 or 60 days without contact."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from math import ceil
from zoneinfo import ZoneInfo

from flask import Blueprint, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from workflows.accounts.cadence import recycling_between as accounts_recycling_between
from workflows.inputs import COUNT_CAP
from workflows.leads.follow_up_status import NO_CONTACT_DAYS, no_contact_band, recycling_between
from workflows.org.visibility import Viewer

from .context import container

bp = Blueprint("lead_follow_up", __name__)
PER_PAGE = 50
WINDOWS = {"tomorrow": _l("Tomorrow"), "week": _l("Within 7 days")}


bp.add_app_template_global(no_contact_band)
bp.add_app_template_global(NO_CONTACT_DAYS, "no_contact_days")
bp.add_app_template_global(COUNT_CAP, "count_cap")


@bp.get("/leads/recycling")
def recycling() -> str:
    """Tomorrow (the viewer's calendar day) or the next seven days from now: the leads, then the
    accounts, each a page at a time (``page``, ``accounts_page``)."""
    viewer: Viewer = current_user.viewer
    window = request.args.get("window", "tomorrow") if request.args.get("window") in WINDOWS else "tomorrow"
    page = max(1, request.args.get("page", 1, type=int))
    account_page = max(1, request.args.get("accounts_page", 1, type=int))
    now = container().engine.clock.now()
    start, end = _window(window, now, current_user.timezone)
    with container().session_factory() as session:
        rows, total = recycling_between(session, viewer, start, end, page, PER_PAGE)
        accounts, account_total = accounts_recycling_between(session, viewer, start, end, account_page,
                                                             PER_PAGE)
    return render_template("leads/recycling.html", rows=rows, total=total, window=window, windows=WINDOWS,
                           page=page, pages=ceil(min(total, COUNT_CAP) / PER_PAGE),
                           query={"window": window, "accounts_page": account_page}, now=now,
                           accounts=accounts, account_total=account_total, account_page=account_page,
                           account_pages=ceil(min(account_total, COUNT_CAP) / PER_PAGE))


def _window(window: str, now: datetime, time_zone: str) -> tuple[datetime, datetime]:
    if window == "week":
        return now, now + timedelta(days=7)
    zone = ZoneInfo(time_zone)
    tomorrow = datetime.combine(now.astimezone(zone).date() + timedelta(days=1), time(), zone)
    return tomorrow, tomorrow + timedelta(days=1)
