"""Leads and the public pools (公海) they, and accounts, return to.

A lead has an owner while a rep works it; without one it sits in a pool, where the
pool's members may claim it within the pool's limits. Accounts go the same way: what a
record needs for that (its owner, its pool, the follow-up cycle's columns) is
:class:`Pooled`, which both tables take. ``phone_e164`` and the normalised
``match_*`` columns are written with every change, so duplicate checks are indexed
lookups and fuzzy comparisons over a short candidate list, never a scan of all leads.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UTCDateTime
from workflows.opportunities.models import SOURCES as OPPORTUNITY_SOURCES

# Where leads come from: an opportunity's sources, with "manual" (typed in by a rep) for "other".
SOURCES = (*(source for source in OPPORTUNITY_SOURCES if source != "other"), "manual")
RATINGS = ("hot", "warm", "cold")
STATUSES = ("new", "working", "qualified", "converted", "disqualified", "pooled")
HELD = ("new", "working", "qualified")  # being worked by its owner: followed up, counted against max_held
SIZES = ("1-49", "50-199", "200-999", "1000+")
POOL_ROLES = ("member", "admin")
# How a lead's owner came to have it: the lead_intake rules, a manager by hand (or an import or
# entry for someone else), a claim from a pool, entered by the owner, a leaver's handover.
ASSIGNED_VIA = ("rule", "manager", "pool", "entered", "handover")
DEFAULT_RECYCLE_AFTER_DAYS = 30
DEFAULT_WARN_DAYS_BEFORE = 3


class Pool(Base):
    """A public pool: who may claim from it, and the limits that keep claiming fair."""

    __tablename__ = "lead_pool"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    max_claims_per_day: Mapped[int] = mapped_column(Integer, default=20)
    # Leads a member may own at once, and (counted apart) accounts: see workflows.leads.pools.
    max_held: Mapped[int] = mapped_column(Integer, default=200)
    reclaim_after_days: Mapped[int] = mapped_column(Integer, default=30)  # a former owner waits this long
    # No contact this long: back here, with a warning to the owner some days before.
    recycle_after_days: Mapped[int] = mapped_column(Integer, default=DEFAULT_RECYCLE_AFTER_DAYS)
    warn_days_before: Mapped[int] = mapped_column(Integer, default=DEFAULT_WARN_DAYS_BEFORE)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PoolMember(Base):
    __tablename__ = "lead_pool_member"

    pool_id: Mapped[int] = mapped_column(ForeignKey("lead_pool.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), primary_key=True,
                                         index=True)
    role: Mapped[str] = mapped_column(String(10), default="member")


class Pooled:
    """The columns of a record a public pool takes back when its owner lets it lie (a lead, an
    account): who has it, where it waits or returns to, who had it, and its follow-up cycle
    (workflows.leads.cycles): the cycle's instance, the contact or assignment it counts from,
    when the record goes back, and whether the cycle needs redoing."""

    owner: Mapped[str | None] = mapped_column(String(100))  # None: waiting in its pool
    pool_id: Mapped[int | None] = mapped_column(ForeignKey("lead_pool.id"))  # it waits in, or returns to
    former_owner: Mapped[str | None] = mapped_column(String(100))
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_contacted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    followup_instance_id: Mapped[int | None] = mapped_column(Integer)
    followup_since: Mapped[datetime | None] = mapped_column(UTCDateTime())
    recycle_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    followup_stale: Mapped[bool] = mapped_column(Boolean, default=True)

    if TYPE_CHECKING:  # each table maps its own
        id: Mapped[int]
        updated_at: Mapped[datetime]

    def reschedule_follow_up(self) -> None:
        """Its cycle no longer fits (new owner, rating, contact or status): the cadence redoes it."""
        self.followup_stale = True

    def assign_to(self, owner: str, now: datetime) -> None:
        """``owner`` works the record from ``now``: its follow-up counts from here."""
        for column, value in self.assignment(owner, now).items():
            setattr(self, column, value)

    @classmethod
    def assignment(cls, owner: str, now: datetime) -> dict[str, Any]:
        """The columns ``assign_to`` sets, also for a bulk UPDATE giving many records to ``owner``."""
        return {"owner": owner, "assigned_at": now, "updated_at": now, "followup_stale": True}

    def contacted(self, at: datetime) -> None:
        """A call, visit or meeting reached the record at ``at``: its follow-up counts from its
        latest contact."""
        if self.last_contacted_at is None or at > self.last_contacted_at:
            self.last_contacted_at = at
        self.reschedule_follow_up()

    def put_in_pool(self, pool_id: int, now: datetime) -> None:
        """Back to a pool, remembering who had it (release, recycling, a leaver's handover)."""
        self.former_owner, self.released_at = self.owner, now
        self.owner, self.pool_id, self.updated_at = None, pool_id, now
        self.reschedule_follow_up()


class Lead(Pooled, Base):
    __tablename__ = "lead"
    __table_args__ = (
        Index("ix_lead_owner_status", "owner", "status"),
        Index("ix_lead_pool_created", "pool_id", "created_at"),
        Index("ix_lead_owner_contacted", "owner", "last_contacted_at"),
        Index("ix_lead_owner_since", "owner", "followup_since"),  # a rep's, oldest contact first
        Index("ix_lead_since_owner", "followup_since", "owner"),  # a team's or everyone's
        Index("ix_lead_followup_stale", "followup_stale", "id"),
        Index("ix_lead_created_owner", "created_at", "owner"),  # the lead reports' period of creation
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    company: Mapped[str] = mapped_column(String(200), default="")
    title: Mapped[str] = mapped_column(String(120), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    phone_e164: Mapped[str | None] = mapped_column(String(20), index=True)
    email: Mapped[str] = mapped_column(String(200), default="", index=True)
    address: Mapped[str] = mapped_column(String(300), default="")
    region: Mapped[str] = mapped_column(String(100), default="")
    industry: Mapped[str] = mapped_column(String(100), default="")
    size: Mapped[str] = mapped_column(String(10), default="")
    source: Mapped[str] = mapped_column(String(20))
    rating: Mapped[str] = mapped_column(String(10), default="warm")
    status: Mapped[str] = mapped_column(String(20), default="new")
    note: Mapped[str] = mapped_column(Text, default="")
    # Normalised for duplicate checks: full/half width, simplified characters, no company suffix.
    match_name: Mapped[str] = mapped_column(String(120), default="", index=True)
    match_company: Mapped[str] = mapped_column(String(200), default="", index=True)
    team_unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"))
    # ASSIGNED_VIA: set by each path that gives the lead an owner; None while it waits in a pool.
    assigned_via: Mapped[str | None] = mapped_column(String(10))
    created_by: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # What a qualified lead became: its account and contact, and the opportunity if one was opened.
    converted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    disqualified_reason: Mapped[str] = mapped_column(String(300), default="")
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contact.id"), index=True)
    opportunity_id: Mapped[int | None] = mapped_column(ForeignKey("opportunity.id"))
    # Asked not to be emailed or texted (the record's page, or an unsubscribe link): bulk sends skip it.
    email_opt_out: Mapped[bool] = mapped_column(Boolean, default=False)
    sms_opt_out: Mapped[bool] = mapped_column(Boolean, default=False)

    def give_to(self, owner: str, now: datetime, via: str) -> None:
        """``owner`` works the lead from ``now``, given by ``via`` (one of ASSIGNED_VIA)."""
        self.assign_to(owner, now)
        self.assigned_via = via

    def put_in_pool(self, pool_id: int, now: datetime) -> None:
        """Back to a pool: nobody was given it any more."""
        super().put_in_pool(pool_id, now)
        self.assigned_via = None

    def contacted(self, at: datetime) -> None:
        """A call, visit or meeting reached the lead at ``at``: a new lead is being worked too."""
        super().contacted(at)
        if self.status == "new":
            self.status = "working"


class PoolClaim(Base):
    """Each claim from a pool (of a lead or of an account), so the daily claim limit is one
    indexed count."""

    __tablename__ = "lead_pool_claim"
    __table_args__ = (Index("ix_lead_pool_claim_user_at", "username", "claimed_at"),
                      UniqueConstraint("lead_id", "claimed_at"), UniqueConstraint("account_id", "claimed_at"),
                      CheckConstraint("(lead_id IS NULL) <> (account_id IS NULL)", name="one_record"))

    id: Mapped[int] = mapped_column(primary_key=True)
    pool_id: Mapped[int] = mapped_column(ForeignKey("lead_pool.id", ondelete="CASCADE"))
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("lead.id", ondelete="CASCADE"))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"))
    username: Mapped[str] = mapped_column(String(100))
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime())
