"""The conversion report's summary of the stage history, ``pipeline_stay``, and keeping it
current: ``follow_stay`` is called by ``opportunities.tracking`` in the transaction
of every stage change, so the conversion report never disagrees with the stage history.

Migration 0024 fills the table from the history there was before; its rule is the same:
the first stay of an opportunity in a stage is its entry there, a stay's length is known
once it ends, and an opportunity has reached the stage it entered last, lost and
abandoned aside.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from core.db import Base, UTCDateTime
from workflows.opportunities.models import CLOSED, Opportunity, StageVisit


class PipelineStay(Base):
    """One stay of an opportunity in a stage (its ``opportunity_stage`` row) with what the
    conversion report counts it by, kept current by ``follow_stay`` in the transaction of
    every stage change.

    Counting conversion from the stage history alone means grouping every stay by
    opportunity to learn how far each got: over 400 ms for the company in ``bench/reports.py``
    (100,000 opportunities), against the goal of 300. Here each stay already knows whether it
    was the opportunity's first in its stage, how long it lasted and where the opportunity got
    to since, so the report is one pass over the stays of one business type (130 ms).
    """

    __tablename__ = "pipeline_stay"
    __table_args__ = (Index("ix_pipeline_stay_type_stage", "business_type_id", "stage"),)

    id: Mapped[int] = mapped_column(ForeignKey("opportunity_stage.id", ondelete="CASCADE"), primary_key=True,
                                    autoincrement=False)
    opportunity_id: Mapped[int] = mapped_column(ForeignKey("opportunity.id"), index=True)
    business_type_id: Mapped[int] = mapped_column(ForeignKey("business_type.id"))
    stage: Mapped[str] = mapped_column(String(100))
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime())
    first_entry: Mapped[bool] = mapped_column(Boolean)  # the opportunity's first stay in this stage
    seconds: Mapped[int | None] = mapped_column(Integer)  # how long it lasted, once it has ended
    # The stage the opportunity entered last, leaving aside lost and abandoned: as a deal
    # never goes back (reopening returns it to the stage it left), the furthest it got.
    reached: Mapped[str] = mapped_column(String(100))

    visit: Mapped[StageVisit] = relationship()


def follow_stay(session: Session, opportunity: Opportunity, visit: StageVisit, ended: StageVisit | None,
                status: str) -> None:
    """Record ``visit``, the stay the opportunity just began (with ``status``), and the length
    of ``ended``, the stay it left for it."""
    if ended is not None and ended.left_at is not None:
        stay = session.get(PipelineStay, ended.id)
        if stay is not None:
            stay.seconds = round((ended.left_at - ended.entered_at).total_seconds())
    earlier = session.execute(select(PipelineStay.stage, PipelineStay.reached)
                              .where(PipelineStay.opportunity_id == opportunity.id)).all()
    reached = next((row.reached for row in earlier), visit.stage) if status in CLOSED else visit.stage
    if earlier and reached != earlier[0].reached:
        session.execute(update(PipelineStay).where(PipelineStay.opportunity_id == opportunity.id)
                        .values(reached=reached))
    first = visit.stage not in {row.stage for row in earlier}
    session.add(PipelineStay(visit=visit, opportunity_id=opportunity.id,
                             business_type_id=opportunity.business_type_id, stage=visit.stage,
                             entered_at=visit.entered_at, first_entry=first, reached=reached))
