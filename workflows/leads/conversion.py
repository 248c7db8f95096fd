"""Converting a qualified lead: into an account (a new one, or the existing customer a
duplicate rule recognises), a contact at it, and optionally an opportunity of a chosen
business type, whose pipeline starts at once. The lead's activities move to the account and
its follow-up cadence ends. One transaction: all of it, or nothing.

The account, contact and opportunity are made by their own use cases, so their checks,
duplicate rules and visibility apply exactly as when a rep enters them by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm import Session

from core.errors import Conflict, reject_fields
from core.phrases import Phrase
from engine import ProcessEngine
from workflows.accounts.contacts import ContactInput, create_contact
from workflows.accounts.service import AccountInput, create_account, get_account
from workflows.activities.models import Activity
from workflows.dedupe import Duplicate, find_duplicates
from workflows.inputs import parse_id
from workflows.opportunities.models import SOURCES as OPPORTUNITY_SOURCES
from workflows.opportunities.service import OpportunityInput, create_opportunity
from workflows.org.visibility import Viewer

from .cadence import follow_up_now
from .models import Lead
from .service import get_lead


@dataclass(frozen=True)
class ConversionInput:
    """``account_id`` empty: a new account named ``account_name`` (the lead's company by
    default). ``business_type_id`` empty: no opportunity."""

    account_id: str = ""
    account_name: str = ""
    business_type_id: str = ""
    opportunity_name: str = ""
    amount: str = ""


def matching_accounts(session: Session, viewer: Viewer, lead_id: int) -> list[Duplicate]:
    """Existing customers the lead's company may be, by the account duplicate rules."""
    lead = get_lead(session, viewer, lead_id)
    if not lead.company:
        return []
    return find_duplicates(session, "account", {"name": lead.company, "phone": lead.phone})


def convert_lead(session: Session, engine: ProcessEngine, viewer: Viewer, lead_id: int,
                 data: ConversionInput, now: datetime) -> Lead:
    lead = get_lead(session, viewer, lead_id, for_update=True)
    if lead.owner is None or lead.status in ("converted", "disqualified"):
        raise Conflict(Phrase("Only a lead someone is working can be converted; this one is %(status)s",
                              status=lead.status))
    if data.account_id.strip():
        account_id = parse_id(data.account_id)
        if account_id is None:
            reject_fields({"account_id": Phrase("choose an account")})
        account = get_account(session, viewer, account_id or 0)
        if account.owner is None:  # its contact and deals would be nobody's, or the pool bypassed
            reject_fields({"account_id": Phrase("this account waits in a public pool: claim it first")})
    else:
        name = data.account_name.strip() or lead.company or lead.name
        account = create_account(session, viewer, AccountInput(
            name=name, industry=lead.industry, region=lead.region, phone=lead.phone, address=lead.address,
            owner=lead.owner), now)
    person = ContactInput(account_id=str(account.id), name=lead.name, title=lead.title, phone=lead.phone,
                          email=lead.email)
    contact = create_contact(session, viewer, person, now)
    if data.business_type_id.strip():
        opportunity = create_opportunity(session, engine, viewer, OpportunityInput(
            name=data.opportunity_name.strip() or f"{account.name} · {lead.name}", account_id=str(account.id),
            business_type_id=data.business_type_id, amount=data.amount or "0",
            source=lead.source if lead.source in OPPORTUNITY_SOURCES else "other",
            contact_id=str(contact.id), owner=lead.owner), now)
        lead.opportunity_id = opportunity.id
    lead.account_id, lead.contact_id = account.id, contact.id
    # Its history goes with it: the calls and visits are the customer's now, on its account page.
    session.execute(update(Activity).where(Activity.subject_type == "lead", Activity.subject_id == lead.id)
                    .values(subject_type="account", subject_id=account.id))
    lead.status, lead.converted_at, lead.updated_at = "converted", now, now
    lead.reschedule_follow_up()
    follow_up_now(session, engine, [lead.id], now)  # its cadence ends
    session.flush()
    return lead
