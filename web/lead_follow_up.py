"""The cadence as people see it: which leads go back to a pool tomorrow or within a week
(and why), and how many have gone 7, 15, 30 or 60 days without contact."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from math import ceil
from zoneinfo import ZoneInfo

from flask import Blueprint, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user

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
    """Tomorrow (the viewer's calendar day) or the next seven days from now."""
    viewer: Viewer = current_user.viewer
    window = request.args.get("window", "tomorrow") if request.args.get("window") in WINDOWS else "tomorrow"
    page = max(1, request.args.get("page", 1, type=int))
    now = container().engine.clock.now()
    start, end = _window(window, now, current_user.timezone)
    with container().session_factory() as session:
        rows, total = recycling_between(session, viewer, start, end, page, PER_PAGE)
    return render_template("leads/recycling.html", rows=rows, total=total, window=window, windows=WINDOWS,
                           page=page, pages=ceil(min(total, COUNT_CAP) / PER_PAGE), query={"window": window},
                           now=now)


def _window(window: str, now: datetime, time_zone: str) -> tuple[datetime, datetime]:
    if window == "week":
        return now, now + timedelta(days=7)
    zone = ZoneInfo(time_zone)
    tomorrow = datetime.combine(now.astimezone(zone).date() + timedelta(days=1), time(), zone)
    return tomorrow, tomorrow + timedelta(days=1)
