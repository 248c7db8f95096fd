"""A lead arriving without an owner (the web form, an import): kept, then placed by the
``lead_intake`` process, whose decision table a designer edits to route leads to teams.

The intake runs to its end within the same transaction, so a lead is never seen half
placed: either a rep has it, or it waits in its pool. The instance keeps, in its history,
which rule chose the team and why a lead stayed in the pool.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from engine import ProcessEngine
from workflows.keys import LEAD, business_key

from .models import Lead
from .service import LeadInput, create_lead

INTAKE_PROCESS = "lead_intake"


def receive_lead(session: Session, engine: ProcessEngine, data: LeadInput, pool_id: int,
                 now: datetime) -> Lead:
    """Keep a lead that arrived on its own in ``pool_id``, then let the assignment table place it."""
    # A visitor cannot be asked whether a near match is them: warnings are let through, blocks are not.
    lead = create_lead(session, None, data, now, owner=None, pool_id=pool_id, confirmed=True)
    engine.start(session, INTAKE_PROCESS, business_key(LEAD, lead.id),
                 {"region": lead.region, "source": lead.source, "size": lead.size, "industry": lead.industry})
    return lead
