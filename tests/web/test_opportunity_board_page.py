"""The kanban board page: columns from the diagram, cards, and what the drag script needs."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

import bootstrap
from tests.deals import add_deal, seed_deals
from workflows.opportunities.board import CARDS_PER_COLUMN


@pytest.fixture
def deals(app, container: bootstrap.Container) -> dict[str, int]:
    bootstrap.deploy_shipped(container)
    return seed_deals(container)


def column_keys(page: str) -> list[tuple[str, str]]:
    return re.findall(r'<section class="board-column \w+" data-key="(\w*)" data-kind="(\w+)"', page)


def cards_in(page: str, key: str) -> list[str]:
    section = page.split(f'data-key="{key}"')[1].split("</section>")[0]
    return re.findall(r'<a href="/opportunities/\d+" draggable="false">([^<]+)</a>', section)


def test_columns_are_the_stages_of_the_diagram_then_won_lost_abandoned(login, deals):
    page = login("liu.yang").get(f"/opportunities/board?business_type={deals['sale']}").text
    assert column_keys(page) == [("discover", "open"), ("analysis", "open"), ("quotation", "open"),
                                 ("negotiation", "open"), ("collection", "open"), ("won", "closed"),
                                 ("lost", "closed"), ("abandoned", "closed")]
    assert cards_in(page, "quotation") == ["ACME conveyors", "Huajin AGVs"]
    assert 'data-key="collection" data-kind="open"\n           data-next="won"' in page


def test_without_a_choice_the_first_active_business_type_is_shown(login, deals):
    page = login("wang.fang").get("/opportunities/board").text  # "Project tender" sorts first
    assert ("bidding", "open") in column_keys(page)
    assert f'href="/opportunities/board?business_type={deals["tender"]}" aria-current="page"' in page


def test_a_card_shows_account_amount_owner_and_days_in_stage(login, deals):
    page = login("wang.fang").get(f"/opportunities/board?business_type={deals['sale']}").text
    card = page.split('data-key="quotation"')[1].split("</li>")[0]
    assert all(text in card for text in ("ACME conveyors", "ACME", "CN¥50,000.00", "王芳", "1 day in this stage"))
    assert f'data-stage-url="/opportunities/{deals["ACME conveyors"]}/stage"' in card


def test_another_team_sees_the_columns_without_our_cards(login, deals):
    page = login("sun.li").get(f"/opportunities/board?business_type={deals['sale']}").text
    assert len(column_keys(page)) == 8 and "ACME" not in page
    assert cards_in(page, "analysis") == ["Westlake AGVs"]


def test_an_unknown_business_type_is_404(login, deals):
    assert login("wang.fang").get("/opportunities/board?business_type=999").status_code == 404


def test_bad_filters_on_the_board_are_reported(login, deals):
    response = login("wang.fang").get("/opportunities/board?business_type=x&close_to=never")
    assert response.status_code == 200 and "Filter ignored: Business type" in response.text


def test_more_cards_than_the_cap_link_to_the_filtered_list(login, deals, container, clock):
    with container.uow() as uow:
        for number in range(CARDS_PER_COLUMN):
            add_deal(uow.session, name=f"Small deal {number}", account_id=1, business_type_id=deals["sale"],
                     owner="wang.fang", stage="quotation", stage_name="Quotation", probability=40,
                     status="open", amount=Decimal(number), created_at=clock.now(), updated_at=clock.now())
        uow.commit()
    page = login("liu.yang").get(f"/opportunities/board?business_type={deals['sale']}").text
    section = page.split('data-key="quotation"')[1].split("</section>")[0]
    assert section.count('class="card"') == CARDS_PER_COLUMN and "Small deal 1<" not in section
    assert '<span class="count">52</span>' in section
    more = re.search(r'<a class="more" href="([^"]+)">还有 2 条</a>', section)  # liu.yang reads Chinese
    assert more is not None
    link = more.group(1).replace("&amp;", "&")
    assert link == (f"/opportunities?business_type={deals['sale']}&sort=amount&desc=1&status=open"
                    "&stage=quotation")


def test_no_business_types_yet(login):
    page = login("wang.fang").get("/opportunities/board").text
    assert "There are no business types yet" in page


def test_the_board_script_is_a_bundled_file_not_inline(login, deals):
    page = login("wang.fang").get("/opportunities/board").text
    assert '<script src="/static/dist/board.js" defer></script>' in page
    assert "<script>" not in page
