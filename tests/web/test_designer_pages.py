"""The process designer: who gets in, drafts, the check pinned to elements, deploy with a note
and its audit entry, new processes from templates and uploads, and the form preview."""

from __future__ import annotations

import io
import json
import re
from dataclasses import replace
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

import bootstrap
from engine import ProcessDefinition
from engine.models import ProcessDraft
from tests import diagrams
from tests.web.conftest import csrf_token
from web import create_app
from workflows.audit import AuditEvent
from workflows.org.demo import DEMO_PASSWORD, load_demo

SHIPPED = bootstrap.SHIPPED_PROCESSES
SALE = (SHIPPED / "pipelines" / "standard_sale.bpmn").read_text()
ROUTE = (SHIPPED / "approvals" / "approval_route.dmn").read_text()
LOST_FLOW = re.compile(r'(<bpmn:sequenceFlow id="flow_discover_lost"[^>]*>)\s*<bpmn:conditionExpression[^<]*'
                       r'</bpmn:conditionExpression>\s*(</bpmn:sequenceFlow>)')


@pytest.fixture
def sale(app, container: bootstrap.Container) -> None:
    """Standard sale v1, deployed as shipped."""
    with container.uow() as uow:
        container.engine.deploy(uow.session, {"standard_sale.bpmn": SALE}, "system", "shipped")
        uow.commit()


@pytest.fixture
def designer(login) -> FlaskClient:
    return login("yang.fan")


def post_json(client: FlaskClient, url: str, body: dict[str, Any]) -> Any:
    token = csrf_token(client.get("/designer").text)
    return client.post(url, json=body, headers={"X-CSRFToken": token})


def page_data(page: str) -> dict[str, Any]:
    """The JSON the editor's script starts from."""
    raw = page.split('<script type="application/json" id="design-data">')[1].split("</script>")[0]
    return json.loads(raw)


def renamed(xml: str, name: str) -> str:
    return xml.replace('<bpmn:process id="standard_sale" name="Standard sale"',
                       f'<bpmn:process id="standard_sale" name="{name}"')


def without_condition(xml: str) -> str:
    """The 'lost' flow out of the first stage's gateway, its condition removed."""
    changed = LOST_FLOW.sub(r"\1\2", xml)
    assert changed != xml
    return changed


def versions_of(container: bootstrap.Container, key: str) -> list[tuple[int, str, str | None]]:
    with container.session_factory() as session:
        rows = session.execute(select(ProcessDefinition.version, ProcessDefinition.note, ProcessDefinition.deployed_by)
                               .where(ProcessDefinition.key == key).order_by(ProcessDefinition.version)).all()
    return [tuple(row) for row in rows]


def drafts(container: bootstrap.Container) -> list[str]:
    with container.session_factory() as session:
        return list(session.scalars(select(ProcessDraft.key)))


# --- access -------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/designer", "/designer/standard_sale", "/processes/standard_sale/versions",
                                 "/designer/standard_sale/versions/1"])
def test_a_rep_is_refused_with_a_message(login, sale, url):
    response = login("wang.fang").get(url)
    assert response.status_code == 403
    assert "Only process designers and administrators may use the process designer." in response.text


def test_a_rep_cannot_deploy_even_by_posting_directly(login, sale, container):
    rep = login("wang.fang")
    token = csrf_token(rep.get("/inbox").text)
    response = rep.post("/designer/standard_sale/deploy", json={"files": {"standard_sale.bpmn": SALE}, "note": "x"},
                        headers={"X-CSRFToken": token})
    assert response.status_code == 403
    assert versions_of(container, "standard_sale") == [(1, "shipped", "system")]


@pytest.mark.parametrize("username", ["yang.fan", "admin"])
def test_designers_and_admins_see_the_designer_and_its_nav_link(login, sale, username):
    page = login(username).get("/designer").text
    assert 'href="/designer"' in page and "Standard sale" in page and "v1" in page


def test_the_nav_link_is_not_shown_to_a_rep(login):
    assert 'href="/designer"' not in login("wang.fang").get("/inbox").text


# --- drafts -------------------------------------------------------------------------------


def test_a_saved_draft_is_what_the_designer_reopens_until_it_is_discarded(designer, sale, container):
    data = page_data(designer.get("/designer/standard_sale").text)
    assert data["revision"] is None and data["diagram"] == "standard_sale.bpmn"
    assert data["files"]["standard_sale.bpmn"] == SALE

    response = post_json(designer, "/designer/standard_sale/draft",
                         {"files": {"standard_sale.bpmn": renamed(SALE, "Standard sale 2")},
                          "revision": None, "based_on": data["based_on"]})
    assert response.status_code == 200, response.text
    revision = response.json["revision"]

    page = designer.get("/designer/standard_sale").text
    assert "Draft saved" in page and "It started from version 1." in page
    assert page_data(page)["files"]["standard_sale.bpmn"] == renamed(SALE, "Standard sale 2")
    assert page_data(page)["revision"] == revision
    assert "Saved" in designer.get("/designer").text  # the list shows the draft
    assert versions_of(container, "standard_sale") == [(1, "shipped", "system")]  # nothing deployed

    token = csrf_token(designer.get("/designer").text)
    response = designer.post("/designer/standard_sale/discard", data={"csrf_token": token})
    assert response.status_code == 302
    assert page_data(designer.get("/designer/standard_sale").text)["files"]["standard_sale.bpmn"] == SALE
    assert drafts(container) == []


def test_saving_over_someone_elses_newer_draft_is_refused(designer, login, sale, container):
    files = {"standard_sale.bpmn": renamed(SALE, "Mine")}
    first = post_json(login("admin"), "/designer/standard_sale/draft", {"files": files, "revision": None})
    assert first.status_code == 200
    response = post_json(designer, "/designer/standard_sale/draft", {"files": files, "revision": None})
    assert response.status_code == 409
    assert "saved this draft after you opened it" in response.json["error"]


def test_a_draft_must_keep_its_process_id(designer, sale, container):
    other = SALE.replace('id="standard_sale"', 'id="other_sale"')
    response = post_json(designer, "/designer/standard_sale/draft", {"files": {"standard_sale.bpmn": other}})
    assert response.status_code == 400
    assert "the process id must stay standard_sale" in response.json["problems"][0]["text"]
    assert drafts(container) == []


def test_a_malformed_draft_is_refused_naming_the_file(designer, sale, container):
    response = post_json(designer, "/designer/standard_sale/draft",
                         {"files": {"standard_sale.bpmn": SALE[:500]}})
    assert response.status_code == 400
    [problem] = response.json["problems"]
    assert problem["file"] == "standard_sale.bpmn" and "not well-formed XML" in problem["message"]
    assert drafts(container) == []


# --- check and deploy ---------------------------------------------------------------------


def test_check_pins_each_problem_on_its_element(designer, sale):
    response = post_json(designer, "/designer/standard_sale/check",
                         {"files": {"standard_sale.bpmn": without_condition(SALE)}})
    assert response.status_code == 200
    [problem] = response.json["problems"]
    assert problem["element_id"] == "flow_discover_lost" and problem["element_name"] == "lost"
    assert "without a condition" in problem["message"] and problem["severity"] == "error"
    assert problem["text"].startswith("standard_sale.bpmn, element flow_discover_lost (lost): ")
    assert response.json["message"] == "Not ready to deploy. Errors: 1; warnings: 0."
    clean = post_json(designer, "/designer/standard_sale/check", {"files": {"standard_sale.bpmn": SALE}})
    assert clean.json == {"problems": [], "errors": 0, "message": "No problems found."}


def test_deploy_is_refused_while_the_check_finds_problems(designer, sale, container):
    files = {"standard_sale.bpmn": without_condition(SALE)}
    post_json(designer, "/designer/standard_sale/draft", {"files": files})
    response = post_json(designer, "/designer/standard_sale/deploy", {"files": files, "note": "Try"})
    assert response.status_code == 400
    assert response.json["error"] == "Not deployed: the check found 1 error."
    assert response.json["problems"][0]["element_id"] == "flow_discover_lost"
    assert versions_of(container, "standard_sale") == [(1, "shipped", "system")]
    assert drafts(container) == ["standard_sale"]  # the draft is kept


def test_deploy_needs_a_change_note(designer, sale, container):
    response = post_json(designer, "/designer/standard_sale/deploy",
                         {"files": {"standard_sale.bpmn": renamed(SALE, "New")}, "note": "  "})
    assert response.status_code == 400 and "Write a change note" in response.json["error"]
    assert versions_of(container, "standard_sale") == [(1, "shipped", "system")]


def test_deploy_makes_a_version_with_its_note_audits_it_and_ends_the_draft(designer, sale, container):
    files = {"standard_sale.bpmn": renamed(SALE, "Standard sale (2026)")}
    revision = post_json(designer, "/designer/standard_sale/draft", {"files": files}).json["revision"]
    response = post_json(designer, "/designer/standard_sale/deploy",
                         {"files": files, "note": "Renamed for 2026", "revision": revision})
    assert response.status_code == 200, response.text
    assert response.json["message"] == "Version 2 of standard_sale is deployed; new instances start on it."
    assert response.json["location"] == "/processes/standard_sale/versions"
    assert versions_of(container, "standard_sale") == [(1, "shipped", "system"), (2, "Renamed for 2026", "yang.fan")]
    assert drafts(container) == []
    with container.session_factory() as session:
        [audit] = session.scalars(select(AuditEvent)).all()
    assert (audit.actor, audit.action, audit.subject) == ("yang.fan", "process_deployed", "process:standard_sale")
    assert audit.details["version"] == 2 and audit.details["note"] == "Renamed for 2026"

    page = designer.get("/processes/standard_sale/versions").text
    assert "Version 2 of standard_sale is deployed" in page  # the flash
    assert "Renamed for 2026" in page and "yang.fan" in page and "shipped" in page
    assert "/processes/standard_sale/diff?old=1&amp;new=2" in page


def test_deploying_over_a_draft_someone_saved_meanwhile_is_refused(designer, login, sale, container):
    files = {"standard_sale.bpmn": renamed(SALE, "Theirs")}
    assert post_json(login("admin"), "/designer/standard_sale/draft", {"files": files}).status_code == 200
    response = post_json(designer, "/designer/standard_sale/deploy",
                         {"files": {"standard_sale.bpmn": renamed(SALE, "Mine")}, "note": "Mine", "revision": None})
    assert response.status_code == 409 and "admin saved this draft after you opened it" in response.json["error"]
    assert versions_of(container, "standard_sale") == [(1, "shipped", "system")]
    assert drafts(container) == ["standard_sale"]


def test_deploying_identical_files_is_a_no_op_that_says_so(designer, sale, container):
    response = post_json(designer, "/designer/standard_sale/deploy",
                         {"files": {"standard_sale.bpmn": SALE}, "note": "Again"})
    assert response.status_code == 200
    assert response.json["unchanged"] is True
    assert "Nothing to deploy: the files are the same as version 1." in response.json["message"]
    assert versions_of(container, "standard_sale") == [(1, "shipped", "system")]
    with container.session_factory() as session:
        assert session.scalars(select(AuditEvent)).all() == []


def test_a_version_opens_read_only_with_its_files_and_can_be_restored_as_a_draft(designer, sale, container):
    page = designer.get("/designer/standard_sale/versions/1").text
    assert "shipped" in page and "/processes/1/diagram.bpmn" in page
    download = designer.get("/designer/standard_sale/versions/1/files/standard_sale.bpmn")
    assert download.text == SALE and "attachment" in download.headers["Content-Disposition"]
    assert designer.get("/designer/standard_sale/versions/1/files/nope.bpmn").status_code == 404
    assert designer.get("/designer/standard_sale/versions/7").status_code == 404

    response = designer.post("/designer/standard_sale/versions/1/restore", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 302
    assert drafts(container) == ["standard_sale"]


# --- new processes ------------------------------------------------------------------------


def test_a_new_pipeline_from_the_template_is_a_draft_under_its_own_id_until_deployed(designer, container):
    page = designer.get("/designer").text
    response = designer.post("/designer/new", data={
        "csrf_token": csrf_token(page), "new-template": "pipeline", "new-key": "key_account_sale",
        "new-name": "Key account sale"})
    assert response.status_code == 302 and response.headers["Location"] == "/designer/key_account_sale"
    data = page_data(designer.get("/designer/key_account_sale").text)
    diagram = data["files"]["key_account_sale.bpmn"]
    assert '<bpmn:process id="key_account_sale" name="Key account sale"' in diagram
    assert 'bpmnElement="key_account_sale"' in diagram and 'id="standard_sale"' not in diagram
    assert versions_of(container, "key_account_sale") == []

    response = post_json(designer, "/designer/key_account_sale/deploy",
                         {"files": data["files"], "note": "First", "revision": data["revision"]})
    assert response.status_code == 200, response.text
    assert versions_of(container, "key_account_sale") == [(1, "First", "yang.fan")]


def test_an_approval_from_the_template_brings_its_decision_table(designer):
    page = designer.get("/designer").text
    designer.post("/designer/new", data={"csrf_token": csrf_token(page), "new-template": "approval",
                                         "new-key": "deal_approval", "new-name": "Deal approval"})
    files = page_data(designer.get("/designer/deal_approval").text)["files"]
    assert sorted(files) == ["approval_route.dmn", "deal_approval.bpmn"]


@pytest.mark.parametrize(("key", "message"), [
    ("standard_sale", "is already the id of a process"),
    ("9 lives", "must start with a letter"),
])
def test_a_template_start_with_a_bad_id_is_refused_beside_the_field(designer, sale, container, key, message):
    page = designer.get("/designer").text
    response = designer.post("/designer/new", data={"csrf_token": csrf_token(page), "new-template": "cadence",
                                                    "new-key": key, "new-name": "Cadence"})
    assert response.status_code == 400 and message in response.text
    assert drafts(container) == []


def upload(client: FlaskClient, files: dict[str, bytes]) -> Any:
    """Post the upload form; the body is built in memory (the test client would spool a large
    one to a temporary file that stays open when the app refuses to read it)."""
    token = csrf_token(client.get("/designer").text)
    fields = MultiDict([("upload-csrf_token", token),
                        *(("files", FileStorage(io.BytesIO(content), name)) for name, content in files.items())])
    boundary, body = encode_multipart(fields)
    return client.post("/designer/upload", data=body, content_type=f"multipart/form-data; boundary={boundary}")


def test_an_uploaded_diagram_with_its_table_becomes_a_draft_and_is_checked_on_opening(designer, container):
    diagram = (SHIPPED / "approvals" / "contract_approval.bpmn").read_bytes()
    response = upload(designer, {"contract_approval.bpmn": diagram, "approval_route.dmn": ROUTE.encode()})
    assert response.status_code == 302
    assert response.headers["Location"] == "/designer/contract_approval?check=1"
    data = page_data(designer.get(response.headers["Location"]).text)
    assert sorted(data["files"]) == ["approval_route.dmn", "contract_approval.bpmn"] and data["check_now"] is True
    assert drafts(container) == ["contract_approval"] and versions_of(container, "contract_approval") == []


def test_uploaded_files_with_chinese_names_keep_their_kind(designer, container):
    diagram = (SHIPPED / "approvals" / "contract_approval.bpmn").read_bytes()
    response = upload(designer, {"合同审批.bpmn": diagram, "审批路线.dmn": ROUTE.encode()})
    assert response.status_code == 302
    assert sorted(page_data(designer.get("/designer/contract_approval").text)["files"]) == [
        "diagram.bpmn", "diagram.dmn"]


def test_an_upload_of_a_deployed_process_is_its_draft(designer, sale, container):
    response = upload(designer, {"My Standard Sale.bpmn": renamed(SALE, "Uploaded").encode()})
    assert response.status_code == 302
    data = page_data(designer.get("/designer/standard_sale").text)
    assert data["files"] == {"My_Standard_Sale.bpmn": renamed(SALE, "Uploaded")}
    assert upload(designer, {"again.bpmn": SALE.encode()}).status_code == 400  # its draft exists


@pytest.mark.parametrize(("files", "message"), [
    ({"broken.bpmn": SALE[:300].encode()}, "broken.bpmn: not well-formed XML"),
    ({"laughs.bpmn": b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>'
                     b'<d>&b;</d>'}, "laughs.bpmn: DOCTYPE declarations are not allowed"),
    ({"table.dmn": ROUTE.encode()}, "upload exactly one BPMN diagram"),
    ({"notes.txt": b"hello"}, "notes.txt: a file name must end in .bpmn or .dmn"),
    ({"wrong.dmn": SALE.encode(), "x.bpmn": SALE.encode()}, "wrong.dmn: a .bpmn file must hold BPMN 2.0"),
])
def test_a_bad_upload_is_refused_naming_the_file_and_nothing_is_stored(designer, container, files, message):
    response = upload(designer, files)
    assert response.status_code == 400
    assert message in response.text.replace("&#39;", "'")
    assert drafts(container) == []


def test_an_uploaded_script_that_imports_os_is_kept_as_data_but_never_deployed(designer, container):
    evil = diagrams.process(
        '<bpmn:startEvent id="start" name="Start"/><bpmn:scriptTask id="evil" name="Look around">'
        '<bpmn:script>import os</bpmn:script></bpmn:scriptTask><bpmn:endEvent id="end" name="End"/>'
        + diagrams.flows(("start", "evil"), ("evil", "end")), process_id="evil_process")
    assert upload(designer, {"evil.bpmn": evil.encode()}).status_code == 302  # a draft only: never run
    check = post_json(designer, "/designer/evil_process/check", {"files": {"evil.bpmn": evil}})
    assert [p["element_id"] for p in check.json["problems"] if p["severity"] == "error"] == ["evil"]
    response = post_json(designer, "/designer/evil_process/deploy",
                         {"files": {"evil.bpmn": evil}, "note": "try", "revision": 1})
    assert response.status_code == 400 and versions_of(container, "evil_process") == []


def test_an_upload_over_the_request_limit_is_refused_and_nothing_is_stored(designer, container):
    big = SALE.replace("</bpmn:definitions>", "<!--" + "x" * (3 * 1024 * 1024) + "--></bpmn:definitions>")
    response = upload(designer, {"big.bpmn": big.encode()})
    assert response.status_code == 413 and "The upload is larger than allowed." in response.text
    assert drafts(container) == []


def test_a_file_over_the_per_file_limit_is_refused_by_name(container):
    roomy = replace(container, settings=replace(container.settings, demo=True, max_upload_bytes=8 * 1024 * 1024))
    app = create_app(container=roomy)
    client = app.test_client()
    with container.uow() as uow:
        load_demo(uow.session, container.engine.clock.now())
        uow.commit()
    client.post("/login", data={"username": "yang.fan", "password": DEMO_PASSWORD,
                                "csrf_token": csrf_token(client.get("/login").text)})
    big = SALE.replace("</bpmn:definitions>", "<!--" + "x" * (3 * 1024 * 1024) + "--></bpmn:definitions>")
    response = upload(client, {"big.bpmn": big.encode()})
    assert response.status_code == 400
    assert "big.bpmn: file is " in response.text and "the limit is 2,097,152" in response.text
    assert drafts(container) == []


# --- form preview -------------------------------------------------------------------------


def test_the_form_preview_shows_the_task_form_as_people_see_it(designer, sale):
    response = post_json(designer, "/designer/standard_sale/form-preview",
                         {"xml": SALE, "file": "standard_sale.bpmn", "task_id": "stage_discover"})
    assert response.status_code == 200
    html = response.text
    assert '<select id="f_outcome" name="outcome">' in html and "Advance to next stage" in html
    assert '<textarea id="f_need" name="need"' in html and "What the customer wants to solve or buy." in html
    assert "<form" not in html  # nothing to submit in a preview


def test_the_form_preview_names_an_element_that_is_no_user_task(designer, sale):
    response = post_json(designer, "/designer/standard_sale/form-preview",
                         {"xml": SALE, "file": "standard_sale.bpmn", "task_id": "gateway_discover"})
    assert response.status_code == 400
    assert response.json["problems"][0]["text"] == ("standard_sale.bpmn, element gateway_discover: "
                                                    "is not a user task of this diagram")


def test_an_editor_open_past_its_token_gets_a_fresh_one(designer, sale):
    token = designer.get("/designer/csrf-token").json["token"]
    response = designer.post("/designer/standard_sale/check", json={"files": {"standard_sale.bpmn": SALE}},
                             headers={"X-CSRFToken": token})
    assert response.status_code == 200
    refused = designer.post("/designer/standard_sale/check", json={"files": {"standard_sale.bpmn": SALE}},
                            headers={"X-CSRFToken": "stale"})
    assert refused.status_code == 400 and not refused.is_json  # what the editor's script retries on


def test_the_process_catalogue_links_designers_to_the_designer_and_versions(login, sale):
    assert 'href="/processes/standard_sale/versions"' in login("yang.fan").get("/processes").text
    assert 'href="/processes/standard_sale/versions"' not in login("wang.fang").get("/processes").text


def test_a_request_the_editor_did_not_send_is_refused_in_json(designer, sale):
    response = post_json(designer, "/designer/standard_sale/check", {"files": ["not", "a", "mapping"]})
    assert response.status_code == 400
    assert response.json["error"] == "The request was not understood; reload the designer."
