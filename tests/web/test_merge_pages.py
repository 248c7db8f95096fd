"""The merge pages: duplicates from a record's page, picks from a list, the side-by-side form
with a value per field, the result with its undo, and the history; others' records are 404."""

from __future__ import annotations

from sqlalchemy import select

import bootstrap
from tests.web.conftest import csrf_token
from workflows.accounts.models import Account, Contact
from workflows.dedupe import load_default_rules, refresh_match_columns
from workflows.leads.demo import load_demo_leads
from workflows.leads.models import Lead
from workflows.merge.models import RecordMerge


def accounts(container: bootstrap.Container, *names: str, owner: str = "wang.fang",
             parents: dict[str, str] | None = None) -> dict[str, int]:
    """Accounts by name (the first with a phone and a contact), with the default duplicate rules."""
    now = container.engine.clock.now()
    with container.uow() as uow:
        load_default_rules(uow.session)
        made = {name: Account(name=name, owner=owner, phone="13800138000" if n == 1 else "", created_at=now,
                              updated_at=now) for n, name in enumerate(names)}
        for account in made.values():
            refresh_match_columns(account)
        uow.session.add_all(made.values())
        uow.session.flush()
        for child, parent in (parents or {}).items():
            made[child].parent_id = made[parent].id
        uow.session.add(Contact(account_id=made[names[-1]].id, name="Li Lei", owner=owner, created_at=now,
                                updated_at=now))
        uow.commit()
        return {name: account.id for name, account in made.items()}


def row(html: str, row_id: str) -> str:
    """The cells of the table row ``row_id`` of a page."""
    return html.split(f'id="{row_id}"')[1].split("</tr>")[0]


def test_a_rep_merges_a_duplicate_found_from_the_account_page_and_undoes_it(login, container):
    ids = accounts(container, "上海锦程物流有限公司", "上海锦程物流")
    first, second = ids["上海锦程物流有限公司"], ids["上海锦程物流"]
    rep = login("wang.fang")
    assert "Find duplicates / Merge" in rep.get(f"/accounts/{first}").text
    found = rep.get(f"/merges/account/{first}/duplicates").text
    assert "上海锦程物流" in found and "Similar name" in found and f'value="account:{second}"' in found

    page = rep.get(f"/merges/new?records=account:{first}&records=account:{second}&master={first}")
    assert page.status_code == 200
    assert f'name="phone" value="{second}" checked' in page.text  # the master's phone is empty: the other's
    assert f'name="name" value="{first}" checked' in page.text
    form = {"records": [f"account:{first}", f"account:{second}"], "master": str(first), "name": str(second)}
    assert rep.post("/merges/new", data=form).status_code == 400  # no CSRF token: nothing happens
    with container.session_factory() as session:
        assert session.get(Account, second) is not None

    done = rep.post("/merges/new", data={**form, "csrf_token": csrf_token(page.text)})
    assert done.status_code == 302
    result = rep.get(done.location).text
    assert "Merged: the other records are now part of this one." in result and "Undo this merge" in result
    assert "<tr><td>Contacts</td><td>1</td></tr>" in result.split('id="moved"')[1]  # the other's contact moved
    with container.session_factory() as session:
        kept = session.get_one(Account, first)
        assert (kept.name, kept.phone) == ("上海锦程物流", "13800138000")
        assert session.scalars(select(Contact.account_id)).all() == [first]
    assert rep.get(f"/accounts/{second}").status_code == 404
    assert "上海锦程物流" in rep.get("/merges?kind=account").text

    undone = rep.post(f"{done.location}/undo", data={"csrf_token": csrf_token(result)}, follow_redirects=True)
    assert "The merge is undone" in undone.text
    assert rep.get(f"/accounts/{second}").status_code == 200
    again = rep.post(f"{done.location}/undo", data={"csrf_token": csrf_token(result)}, follow_redirects=True)
    assert "This merge was already undone" in again.text


def test_another_teams_records_and_merges_answer_404(login, container):
    ids = accounts(container, "ACME", "ACME Ltd.", "ACME Co")
    records = [f"account:{ids['ACME']}", f"account:{ids['ACME Ltd.']}"]
    rep = login("wang.fang")
    page = rep.get("/merges/new", query_string={"records": records}).text
    rep.post("/merges/new", data={"csrf_token": csrf_token(page), "records": records, "master": str(ids["ACME"])})
    with container.session_factory() as session:
        merge_id = session.scalars(select(RecordMerge.id)).one()
    other = login("sun.li")  # Hangzhou: another branch
    token = csrf_token(other.get("/merges").text)
    assert other.get(f"/merges/account/{ids['ACME']}/duplicates").status_code == 404
    assert other.get(f"/merges/new?records=account:{ids['ACME']}&records=account:{ids['ACME Co']}").status_code == 404
    assert other.get(f"/merges/{merge_id}").status_code == 404
    assert other.post(f"/merges/{merge_id}/undo", data={"csrf_token": token}).status_code == 404
    assert "ACME" not in other.get("/merges?kind=account").text
    with container.session_factory() as session:
        assert session.get_one(RecordMerge, merge_id).undone_at is None


def test_a_wrong_selection_or_pick_is_said_and_nothing_changes(login, container):
    ids = accounts(container, "Huajin Office", "Huajin Group", "Huajin Plant",
                   parents={"Huajin Plant": "Huajin Group", "Huajin Office": "Huajin Plant"})
    office, group = ids["Huajin Office"], ids["Huajin Group"]
    rep = login("wang.fang")
    alone = rep.get(f"/merges/new?records=account:{office}")
    assert alone.status_code == 400 and "Choose 2 or 3 records to merge" in alone.text
    itself = rep.get(f"/merges/new?records=account:{office}&records=account:{office}")
    assert itself.status_code == 400 and "A record cannot be merged with itself" in itself.text
    mixed = rep.get(f"/merges/new?records=account:{office}&records=lead:{group}")
    assert mixed.status_code == 400 and "Records of different kinds cannot be merged" in mixed.text

    page = rep.get(f"/merges/new?records=account:{office}&records=account:{group}&master={office}").text
    refused = rep.post("/merges/new", data={"csrf_token": csrf_token(page), "master": str(office),
                                            "records": [f"account:{office}", f"account:{group}"]})
    assert refused.status_code == 400
    assert "cannot be a subsidiary of the accounts being merged" in row(refused.text, "row-parent_id")
    with container.session_factory() as session:
        assert session.get(Account, group) is not None


def test_leads_ticked_on_the_list_are_compared_and_a_single_one_is_refused(login, container):
    now = container.engine.clock.now()
    with container.uow() as uow:
        load_demo_leads(uow.session, now)
        uow.commit()
        leads = {name: lead_id for name, lead_id in uow.session.execute(select(Lead.name, Lead.id))}
    rep = login("wang.fang")  # sees her leads and those waiting in the Shanghai pool
    listing = rep.get("/leads?scope=visible").text
    assert "Merge the selected" in listing
    token = csrf_token(listing)
    picked = [str(leads["Emily Zhou"]), str(leads["周立群"])]
    chosen = rep.post("/merges/lead/select", data={"csrf_token": token, "lead_ids": picked})
    assert chosen.status_code == 302 and "/merges/new?records=lead" in chosen.location
    page = rep.get(chosen.location)
    assert page.status_code == 200 and "周立群" in row(page.text, "row-name")
    owners = row(page.text, "row-owner")  # who has a lead is shown with its pool and status
    assert "wang.fang · Working" in owners and "上海公海 Shanghai pool · In the pool" in owners
    one = rep.post("/merges/lead/select", data={"csrf_token": token, "lead_ids": picked[:1]},
                   follow_redirects=True)
    assert "Choose 2 or 3 records to merge" in one.text
    assert rep.post("/merges/lead/select", data={"lead_ids": picked}).status_code == 400
