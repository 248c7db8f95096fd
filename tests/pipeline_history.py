"""A generated pipeline history for the funnel and conversion reports: opportunities with their
stage stays written as rows, so every expected figure can be worked out by hand.

The shipped Standard sale pipeline: discover (0%), analysis (20%), quotation (40%),
negotiation (60%), collection (90%), then won. Owners: wang.fang and zhang.wei (Shanghai,
team 1: liu.yang's), zhao.qiang (Shanghai, team 2), sun.li (Hangzhou, team 3: xu.tao's).

    deal     owner       amount   close       stays (days)                                  now
    A        wang.fang   100,000  2026-03-31  discover 2, analysis 4, quotation …           quotation
    B        wang.fang    50,000  2026-02-15  discover 1, analysis 3, quotation 5,          won
                                              negotiation 6, collection 2, won
    C        zhang.wei    20,000  2026-01-20  discover 3, lost                              lost
    D        zhang.wei    80,000  2026-03-10  discover 1, analysis …                        analysis
    E        zhao.qiang   30,000  2026-04-30  discover 2, analysis 6, quotation 4,          negotiation
                                              negotiation …
    F        sun.li      900,000  2026-02-01  discover 1, analysis 2, quotation 3,          won
                                              negotiation 4, collection 5, won
    G        sun.li       10,000  2026-01-05  discover 1, analysis 2, abandoned             abandoned
    H        wang.fang    40,000  2026-03-31  discover 2, analysis 4, lost 1 (reopened),    quotation
                                              analysis 3, quotation …
    Legacy   wang.fang     5,000  2026-06-30  legacy … (a stage only an older version has) legacy, 10%
    Tender   wang.fang   700,000  2026-03-31  discover 1, confirmed … (Project tender)      confirmed

Deals start two days apart from 2025-12-01 09:00 UTC, except F, which starts on
2026-01-31 at 17:00 UTC: 1 February 01:00 in Shanghai. The conversion report's summary
(``pipeline_stay``) is filled from these stays as migration 0024 fills it from the history
before it.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import delete

import bootstrap
from workflows.accounts.models import Account
from workflows.opportunities.models import BusinessType, Opportunity, StageVisit
from workflows.reports.stays import PipelineStay

PROBABILITY = {"discover": 0, "analysis": 20, "quotation": 40, "negotiation": 60, "collection": 90, "won": 100,
               "lost": 0, "abandoned": 0, "legacy": 10, "confirmed": 20}
FIRST_START = datetime(2025, 12, 1, 9, 0, tzinfo=UTC)
F_START = datetime(2026, 1, 31, 17, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Deal:
    name: str
    owner: str
    amount: str
    close: date
    stays: tuple[tuple[str, int | None], ...]  # stage, days there (None: still there)
    status: str
    kind: str = "sale"


FULL_PATH = (("discover", 1), ("analysis", 3), ("quotation", 5), ("negotiation", 6), ("collection", 2))
DEALS = (
    Deal("A", "wang.fang", "100000", date(2026, 3, 31), (("discover", 2), ("analysis", 4), ("quotation", None)),
         "open"),
    Deal("B", "wang.fang", "50000", date(2026, 2, 15), (*FULL_PATH, ("won", None)), "won"),
    Deal("C", "zhang.wei", "20000", date(2026, 1, 20), (("discover", 3), ("lost", None)), "lost"),
    Deal("D", "zhang.wei", "80000", date(2026, 3, 10), (("discover", 1), ("analysis", None)), "open"),
    Deal("E", "zhao.qiang", "30000", date(2026, 4, 30),
         (("discover", 2), ("analysis", 6), ("quotation", 4), ("negotiation", None)), "open"),
    Deal("F", "sun.li", "900000", date(2026, 2, 1),
         (("discover", 1), ("analysis", 2), ("quotation", 3), ("negotiation", 4), ("collection", 5),
          ("won", None)), "won"),
    Deal("G", "sun.li", "10000", date(2026, 1, 5), (("discover", 1), ("analysis", 2), ("abandoned", None)),
         "abandoned"),
    Deal("H", "wang.fang", "40000", date(2026, 3, 31),
         (("discover", 2), ("analysis", 4), ("lost", 1), ("analysis", 3), ("quotation", None)), "open"),
    Deal("Legacy", "wang.fang", "5000", date(2026, 6, 30), (("legacy", None),), "open"),
    Deal("Tender", "wang.fang", "700000", date(2026, 3, 31), (("discover", 1), ("confirmed", None)), "open",
         "tender"),
)


def seed_history(container: bootstrap.Container) -> dict[str, int]:
    """The shipped pipelines deployed and the deals above; ids of "sale", "tender" and each deal."""
    bootstrap.deploy_shipped(container)
    now = container.engine.clock.now()
    with container.uow() as uow:
        types = {"sale": BusinessType(name="Standard sale", process_key="standard_sale"),
                 "tender": BusinessType(name="Project tender", process_key="project_tender")}
        owners = sorted({deal.owner for deal in DEALS})
        accounts = {owner: Account(name=f"{owner} account", owner=owner, created_at=now, updated_at=now)
                    for owner in owners}
        uow.session.add_all([*types.values(), *accounts.values()])
        uow.session.flush()
        ids = {key: kind.id for key, kind in types.items()}
        for number, deal in enumerate(DEALS):
            start = F_START if deal.name == "F" else FIRST_START + timedelta(days=2 * number)
            ids[deal.name] = _add(uow.session, deal, types[deal.kind].id, accounts[deal.owner].id, start)
        uow.commit()
    summarise(container)
    return ids


def summarise(container: bootstrap.Container) -> None:
    """Fill ``pipeline_stay`` afresh from the stage history, with migration 0024's own statement."""
    path = Path(__file__).resolve().parents[1] / "migrations" / "versions" / "0024_pipeline_stays.py"
    spec = importlib.util.spec_from_file_location("migration_0024", path)
    assert spec is not None and spec.loader is not None
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    with container.db.begin() as connection:
        connection.execute(delete(PipelineStay))
        migration.fill(connection)


def _add(session, deal: Deal, type_id: int, account_id: int, start: datetime) -> int:  # type: ignore[no-untyped-def]
    stage, _ = deal.stays[-1]
    opportunity = Opportunity(name=deal.name, account_id=account_id, business_type_id=type_id,
                              amount=Decimal(deal.amount), expected_close_date=deal.close, owner=deal.owner,
                              status=deal.status, stage=stage, stage_name=stage.title(),
                              probability=PROBABILITY[stage], created_at=start, updated_at=start)
    session.add(opportunity)
    session.flush()
    at = start
    for stage, days in deal.stays:
        left = at + timedelta(days=days) if days is not None else None
        session.add(StageVisit(opportunity_id=opportunity.id, stage=stage, name=stage.title(),
                               probability=PROBABILITY[stage], entered_at=at, entered_by=deal.owner,
                               left_at=left, left_by=deal.owner if left else None))
        at = left or at
    opportunity.stage_entered_at = at
    return opportunity.id
