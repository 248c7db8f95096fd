"""The follow-up cadence of leads: one ``lead_followup`` cycle per lead being worked (new,
working or qualified, with an owner), its frequency set by the lead's rating.

The cycle itself (deadlines from the pool, reconciling, the sweep, the diagram's services)
is the same for every record a pool takes back: see :mod:`workflows.leads.cycles`. Here is
what is particular to leads, and the lead-shaped entry points the pages and the sweep call.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from engine import ProcessEngine
from workflows.keys import LEAD

from . import cycles
from .cycles import SweepReport
from .models import HELD, Lead
from .pools import to_pool

FOLLOWUP_PROCESS = "lead_followup"


def _title(lead: Lead) -> str:
    return f"{lead.name} · {lead.company}" if lead.company else lead.name


def _start_data(lead: Lead) -> dict[str, Any]:
    return {"rating": lead.rating, "region": lead.region}


LEADS = cycles.Followed(
    kind=LEAD, model=Lead, process=FOLLOWUP_PROCESS,
    held=lambda lead: lead.owner is not None and lead.status in HELD,
    start_data=_start_data, title=_title, to_pool=lambda session, lead, pool, now: to_pool(lead, pool, now),
    page="/leads/{}")


def reconcile(session: Session, engine: ProcessEngine, lead: Lead, now: datetime) -> None:
    """End the lead's cycle if it no longer fits and start the one that does (locked lead)."""
    cycles.reconcile(session, engine, LEADS, lead, now)


def follow_up_now(session: Session, engine: ProcessEngine, lead_ids: Iterable[int], now: datetime) -> None:
    """Reconcile these leads' cycles in the caller's transaction, so a page shows the result at once."""
    cycles.follow_up_now(session, engine, LEADS, lead_ids, now)


def reconcile_stale(engine: ProcessEngine, session_factory: sessionmaker[Session],
                    now: datetime | None = None, limit: int = cycles.SWEEP_BATCH) -> SweepReport:
    """Give every lead whose cycle no longer fits the one that does (the sweep)."""
    return cycles.reconcile_stale(engine, session_factory, LEADS, now, limit)


SERVICES = cycles.services(LEADS)
