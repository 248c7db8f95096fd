"""Contract approval from the owner's side in the browser's HTML: the preview of who will
approve and why, submitting, the round history after a director's rejection, resubmitting,
withdrawing; others' contracts answer 404 and every form needs its CSRF token."""

from __future__ import annotations

import pytest
from sqlalchemy import event, select

import bootstrap
from engine import HumanTask
from tests.web.conftest import csrf_token
from tests.web.test_contract_pages import fields, make_contract, world  # noqa: F401 - world is a fixture
from workflows.approvals.history import approval_history
from workflows.approvals.models import ApprovalRound
from workflows.contracts.models import Contract

# wang.fang's approvers (display names): her branch's sales director, then head office.
SD, CD, SVC, GM = "陈浩", "李明", "赵丽", "王建国"


def at_margin(client, world, costs: str) -> str:  # noqa: F811 - world is the fixture's value
    """A draft of 100,000.00 revenue whose costs leave 100,000 - ``costs`` as gross margin."""
    return make_contract(client, world, (world["agv"], "1", "100000"), sales_expense="0", cost_reserve=costs)


def submit(client, url: str, note: str = "", **extra):
    token = csrf_token(client.get(url).text)
    return client.post(f"{url}/submit", data={"csrf_token": token, "note": note}, **extra)


def open_tasks(container: bootstrap.Container, url: str) -> dict[str, str]:
    """Assignee -> id of the contract's open approval tasks."""
    with container.session_factory() as session:
        contract = session.get_one(Contract, int(url.rsplit("/", 1)[1]))
        rows = session.execute(select(HumanTask.assignee, HumanTask.id)
                               .where(HumanTask.instance_id == contract.approval_instance_id))
        return {assignee: task_id for assignee, task_id in rows}


def decide(container: bootstrap.Container, task_id: str, user: str, decision: str, comment: str = "") -> None:
    with container.uow() as uow:
        container.engine.complete(uow.session, task_id, {"decision": decision, "comment": comment}, user)
        uow.commit()


def status_of(container: bootstrap.Container, url: str) -> str:
    with container.session_factory() as session:
        return session.get_one(Contract, int(url.rsplit("/", 1)[1])).status


def test_the_preview_shows_the_figures_the_rules_and_three_directors_at_15_percent(login, world):  # noqa: F811
    rep = login("wang.fang")
    url = at_margin(rep, world, "85000")
    assert f"{url}/submit" in rep.get(url).text and "Submit for approval…" in rep.get(url).text
    page = rep.get(f"{url}/submit").text
    for shown in ("Submit contract C-2026-00001 for approval", "CN¥100,000.00", "CN¥85,000.00",
                  "CN¥15,000.00", "15.00%", "Approval route", "Rule 1: Every contract",
                  "Rule 2: Margin below 30%", "Rule 3: Margin below 20%", "Sales director",
                  "Commercial director", "Service director", SD, CD, SVC, 'name="note"'):
        assert shown in page, shown
    assert "Rule 4" not in page and GM not in page and "General manager" not in page


def test_at_35_percent_only_the_sales_director_approves(login, world):  # noqa: F811
    rep = login("wang.fang")
    page = rep.get(f"{at_margin(rep, world, '65000')}/submit").text
    assert "35.00%" in page and "Rule 1: Every contract" in page and "Rule 2" not in page
    assert "Sales director" in page and SD in page
    assert "Commercial director" not in page and CD not in page


def test_a_contract_without_revenue_shows_the_problem_and_no_submit_button(login, world):  # noqa: F811
    rep = login("wang.fang")
    page = rep.get(f"{make_contract(rep, world, (world['agv'], '1', '0'))}/submit").text
    assert "without revenue there is no margin to approve" in page
    assert "<button type=\"submit\">Submit</button>" not in page


def test_a_refused_submission_answers_400_on_the_page_and_changes_nothing(login, container, world):  # noqa: F811
    rep = login("wang.fang")
    url = at_margin(rep, world, "65000")
    response = submit(rep, url, "x" * 2001)
    assert response.status_code == 400 and "must be at most 2000 characters" in response.text
    empty = make_contract(rep, world, (world["agv"], "1", "0"))
    response = submit(rep, empty)
    assert response.status_code == 400 and "add at least one line with a price before submitting" in response.text
    assert status_of(container, url) == status_of(container, empty) == "draft"


def test_submitting_locks_the_contract_and_opens_a_task_per_director(login, container, world):  # noqa: F811
    rep = login("wang.fang")
    url = at_margin(rep, world, "85000")
    response = submit(rep, url, "Rush order", follow_redirects=True)
    assert f"Submitted for approval to {SD}, {CD}, {SVC}." in response.text
    assert status_of(container, url) == "submitted"
    assert sorted(open_tasks(container, url)) == sorted(["chen.hao", "li.ming", "zhao.li"])
    page = rep.get(url).text
    assert f"Waiting for approval from {SD}, {CD}, {SVC}." in page and "Submitted" in page
    assert "Approval history" in page and "Round 1" in page and "Rush order" in page and "15.00%" in page
    assert f"{url}/edit" not in page and f"{url}/submit" not in page

    again = submit(rep, url, follow_redirects=True)  # the page was open twice; the contract moved on
    assert again.status_code == 200
    assert "Contract C-2026-00001 is submitted for approval; only a draft or a contract sent back" in again.text
    assert len(open_tasks(container, url)) == 3
    late = rep.get(f"{url}/submit", follow_redirects=True)
    assert "can be submitted or withdrawn" in late.text


def test_a_rejection_is_shown_and_the_revised_contract_is_resubmitted(login, container, world):  # noqa: F811
    rep = login("wang.fang")
    url = at_margin(rep, world, "85000")
    submit(rep, url, "Rush order")
    tasks = open_tasks(container, url)
    decide(container, tasks["chen.hao"], "chen.hao", "approve", "Fine by me")
    decide(container, tasks["zhao.li"], "zhao.li", "reject", "Service cost is underestimated")

    page = rep.get(url).text
    assert f"Sent back for revision by {SVC}: Service cost is underestimated" in page
    assert "Needs revision" in page and "Fine by me" in page and "Rejected" in page
    for action in ("/edit", "/submit", "/withdraw"):
        assert f"{url}{action}" in page, action
    preview = rep.get(f"{url}/submit").text
    assert "Resubmit contract C-2026-00001 for approval" in preview and "Comments of round 1" in preview
    assert "Service cost is underestimated" in preview and ">Resubmit</button>" in preview

    edit = rep.get(f"{url}/edit").text  # the rep raises the price to a 25% margin
    revised = fields(world, (world["agv"], "1", "100000"), sales_expense="0", cost_reserve="75000")
    assert rep.post(f"{url}/edit", data={"csrf_token": csrf_token(edit), **revised}).status_code == 302
    route = rep.get(f"{url}/submit").text.split('id="route"')[1]  # below the last round's comments
    assert "25.00%" in route and "Rule 2: Margin below 30%" in route and "Service director" not in route
    response = submit(rep, url, "Price raised", follow_redirects=True)
    assert f"Submitted for approval to {SD}, {CD}." in response.text

    page = rep.get(url).text
    assert page.index("Round 2") < page.index("Round 1") and "Price raised" in page
    tasks = open_tasks(container, url)
    assert sorted(tasks) == ["chen.hao", "li.ming"]
    for director, task_id in tasks.items():
        decide(container, task_id, director, "approve")
    page = rep.get(url).text
    assert "Approved on Jan 5, 2026." in page and "Active" in page
    assert "Active" in rep.get(f"/opportunities/{world['deal']}").text  # the opportunity sees it too
    with container.session_factory() as session:
        outcomes = session.scalars(select(ApprovalRound.outcome).order_by(ApprovalRound.number)).all()
    assert outcomes == ["rejected", "approved"]
    assert history_queries(container, url) == 3  # rounds, all their decisions, the names: never one per round


def history_queries(container: bootstrap.Container, url: str) -> int:
    """How many statements the contract page's approval history takes."""
    statements: list[str] = []
    with container.session_factory() as session:
        contract = session.get_one(Contract, int(url.rsplit("/", 1)[1]))
        listener = lambda *args: statements.append(args[2])  # noqa: E731 - (conn, cursor, statement, ...)
        event.listen(container.db, "before_cursor_execute", listener)
        try:
            history = approval_history(session, contract)
        finally:
            event.remove(container.db, "before_cursor_execute", listener)
    assert [len(r.decisions) for r in history.rounds] == [2, 2]
    return len(statements)


def test_a_draft_and_a_rejected_contract_can_be_withdrawn_after_confirming(login, container, world):  # noqa: F811
    rep = login("wang.fang")
    draft = at_margin(rep, world, "65000")
    confirm = rep.get(f"{draft}/withdraw").text
    assert "Withdraw contract C-2026-00001?" in confirm and 'method="post"' in confirm
    assert status_of(container, draft) == "draft"  # asking changes nothing
    response = rep.post(f"{draft}/withdraw", data={"csrf_token": csrf_token(confirm)}, follow_redirects=True)
    assert "The contract is withdrawn." in response.text and "This contract is withdrawn." in response.text
    assert status_of(container, draft) == "cancelled"

    rejected = at_margin(rep, world, "65000")
    submit(rep, rejected)
    decide(container, open_tasks(container, rejected)["chen.hao"], "chen.hao", "reject", "Not this year")
    rep.post(f"{rejected}/withdraw", data={"csrf_token": csrf_token(confirm)})
    assert status_of(container, rejected) == "cancelled" and open_tasks(container, rejected) == {}


def test_a_submitted_contract_is_not_withdrawn(login, container, world):  # noqa: F811
    rep = login("wang.fang")
    url = at_margin(rep, world, "65000")
    submit(rep, url)
    assert "can be submitted or withdrawn" in rep.get(f"{url}/withdraw", follow_redirects=True).text
    response = rep.post(f"{url}/withdraw", data={"csrf_token": csrf_token(rep.get(url).text)},
                        follow_redirects=True)
    assert response.status_code == 200 and "it cannot make this move" in response.text
    assert status_of(container, url) == "submitted"


def test_another_teams_rep_gets_404_on_every_approval_url(login, container, world):  # noqa: F811
    rep = login("wang.fang")
    url = at_margin(rep, world, "65000")
    stranger = login("sun.li")
    token = csrf_token(stranger.get("/contracts").text)
    for path in ("/submit", "/withdraw"):
        assert stranger.get(f"{url}{path}").status_code == 404, path
        assert stranger.post(f"{url}{path}", data={"csrf_token": token}).status_code == 404, path
    assert status_of(container, url) == "draft"


def test_approval_forms_need_their_csrf_token(login, container, world):  # noqa: F811
    rep = login("wang.fang")
    url = at_margin(rep, world, "65000")
    assert rep.post(f"{url}/submit", data={"note": "x"}).status_code == 400
    assert rep.post(f"{url}/withdraw").status_code == 400
    assert status_of(container, url) == "draft" and open_tasks(container, url) == {}


@pytest.mark.parametrize("reader", ["wang.fang", "chen.hao"])  # English, Chinese
def test_both_languages_render_the_approval_pages(login, world, reader):  # noqa: F811
    rep = login("wang.fang")
    url = at_margin(rep, world, "85000")
    client = rep if reader == "wang.fang" else login(reader)
    client.post("/language/zh_CN", data={"csrf_token": csrf_token(client.get(url).text)})
    preview = client.get(f"{url}/submit")
    assert preview.status_code == 200 and "销售总监" in preview.text and "商务总监" in preview.text
    submit(rep, url)
    for path in ("", "/withdraw"):
        assert client.get(f"{url}{path}", follow_redirects=True).status_code == 200, path
    assert "销售总监" in client.get(url).text
