"""The kanban board: columns from the latest deployed diagram, totals and capped cards per column."""

from __future__ import annotations

from decimal import Decimal

import pytest

import bootstrap
from bootstrap import Container
from core.errors import NotFound
from tests.deals import add_deal, seed_deals
from workflows.opportunities import service
from workflows.opportunities.board import board
from workflows.opportunities.models import BusinessType
from workflows.opportunities.queries import OpportunityFilter
from workflows.opportunities.service import OpportunityInput


@pytest.fixture
def deals(container: Container, demo) -> dict[str, int]:
    bootstrap.deploy_shipped(container)
    return seed_deals(container)


def columns(container: Container, viewer, business_type: int, **options):  # type: ignore[no-untyped-def]
    with container.session_factory() as session:
        shown = board(session, container.engine, viewer, OpportunityFilter(business_type_id=business_type),
                      **options)
    return {(c.kind, c.key): c for c in shown.columns}, shown


def test_one_column_per_stage_in_pipeline_order_then_the_closed_ones(container, as_, deals):
    found, shown = columns(container, as_("liu.yang"), deals["sale"])
    assert [key for _, key in found] == ["discover", "analysis", "quotation", "negotiation", "collection",
                                         "won", "lost", "abandoned"]
    assert shown.version == 1 and shown.business_type == "Standard sale"
    assert [found["open", k].next for k in ("discover", "collection")] == ["analysis", "won"]
    assert found["closed", "won"].name == "Closed (won)"


def test_column_totals_and_cards_follow_visibility(container, as_, deals):
    team, _ = columns(container, as_("liu.yang"), deals["sale"])
    quotation = team["open", "quotation"]
    assert (quotation.count, quotation.amount) == (2, Decimal("50333.33"))
    assert [card.name for card in quotation.cards] == ["ACME conveyors", "Huajin AGVs"]  # largest first
    assert team["closed", "lost"].count == 0  # sun.li's lost deal is in another branch
    other_branch, _ = columns(container, as_("xu.tao"), deals["sale"])
    assert [(k, c.count) for k, c in other_branch.items() if c.count] == [
        (("open", "analysis"), 1), (("closed", "lost"), 1)]
    rep, _ = columns(container, as_("sun.li"), deals["tender"])
    assert sum(c.count for c in rep.values()) == 0


def test_cards_per_column_are_capped_and_the_rest_counted(container, as_, deals):
    found, _ = columns(container, as_("liu.yang"), deals["sale"], per_column=1)
    quotation = found["open", "quotation"]
    assert ([c.name for c in quotation.cards], quotation.count, quotation.more) == (["ACME conveyors"], 2, 1)
    assert quotation.list_params() == {"status": "open", "stage": "quotation"}


def test_a_stage_the_latest_pipeline_dropped_goes_to_other_stages(container, as_, deals, clock):
    with container.uow() as uow:
        add_deal(uow.session, name="Old pipeline deal", account_id=1, business_type_id=deals["sale"],
                 owner="wang.fang", stage="survey", stage_name="Site survey", probability=10, status="open",
                 amount=Decimal("7000"), created_at=clock.now(), updated_at=clock.now())
        uow.commit()
    found, _ = columns(container, as_("wang.fang"), deals["sale"])
    other = found["other", ""]
    assert ([c.stage_name for c in other.cards], other.count, other.next) == (["Site survey"], 1, None)
    assert list(found).index(("other", "")) == 5  # after the open stages, before won


def test_an_opportunity_started_through_its_pipeline_lands_in_the_first_stage(container, as_, deals):
    rep = as_("wang.fang")
    with container.uow() as uow:
        created = service.create_opportunity(uow.session, container.engine, rep, OpportunityInput(
            name="Real pipeline deal", account_id="1", business_type_id=str(deals["sale"]), amount="999"),
            container.engine.clock.now())
        uow.commit()
    found, _ = columns(container, rep, deals["sale"])
    assert created.id in [card.id for card in found["open", "discover"].cards]


def test_a_business_type_without_a_deployed_pipeline_has_only_closed_columns(container, as_, deals):
    with container.uow() as uow:
        draft = BusinessType(name="Draft", process_key="never_deployed")
        uow.session.add(draft)
        uow.commit()
        draft_id = draft.id
    found, shown = columns(container, as_("liu.yang"), draft_id)
    assert shown.version is None and [kind for kind, _ in found] == ["closed"] * 3


def test_an_unknown_business_type_does_not_exist(container, as_, deals):
    with pytest.raises(NotFound):
        columns(container, as_("liu.yang"), 9999)
