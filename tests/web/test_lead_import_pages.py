"""The import pages: upload, mapping, preview, run (inline here), progress and the report."""

from __future__ import annotations

import io

from openpyxl import Workbook
from sqlalchemy import select

from tests.web.conftest import csrf_token
from web.lead_imports import LAUNCHER
from workflows.dedupe import load_default_rules
from workflows.leads.capture_models import ImportJob
from workflows.leads.imports import run_import
from workflows.leads.models import Lead
from workflows.leads.service import LeadInput, create_lead

CSV = "姓名,公司,手机,邮箱\n张伟,锦程物流,13816612345,\n,无名,13816612346,\n李娜,锦程物流,13816612345,\n"


def upload(client, name: str, data: bytes):
    token = csrf_token(client.get("/leads/import").text)
    return client.post("/leads/import", data={"csrf_token": token, "file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def test_a_rep_imports_a_gbk_csv_into_their_own_name_and_downloads_the_report(app, login, container):
    app.extensions[LAUNCHER] = lambda job_id: run_import(container.session_factory, job_id, container.engine.clock)
    rep = login("wang.fang")
    response = upload(rep, "leads.csv", CSV.encode("gbk"))
    assert response.status_code == 302
    mapping_url = response.headers["Location"]
    page = rep.get(mapping_url)
    assert page.status_code == 200 and 'value="phone" selected' in page.text
    assert "user:sun.li" not in page.text  # a rep imports into their own name only
    token = csrf_token(page.text)
    refused = rep.post(mapping_url, data={"csrf_token": token, "column-0": "name", "column-1": "company",
                                          "column-2": "phone", "column-3": "email", "target": "user:sun.li"})
    assert refused.status_code == 400
    done = rep.post(mapping_url, data={"csrf_token": token, "column-0": "name", "column-1": "company",
                                       "column-2": "phone", "column-3": "", "target": "user:wang.fang"})
    assert done.status_code == 302
    preview = rep.get(done.headers["Location"])
    assert preview.status_code == 200 and "Skipped as duplicate" in preview.text and "same phone as row 1" in preview.text
    job_id = int(mapping_url.split("/")[-2])
    ran = rep.post(f"/leads/import/{job_id}/run", data={"csrf_token": csrf_token(preview.text)})
    assert ran.status_code == 302
    progress = rep.get(f"/leads/import/{job_id}")
    assert "Finished" in progress.text and 'http-equiv="refresh"' not in progress.text
    report = rep.get(f"/leads/import/{job_id}/report.csv")
    assert report.status_code == 200 and report.data.startswith("\ufeff".encode())
    text = report.data.decode("utf-8-sig").splitlines()
    assert len(text) == 4 and text[2].startswith("2,Rejected,") and "张伟" in text[1]
    with container.session_factory() as session:
        assert [lead.owner for lead in session.scalars(select(Lead))] == ["wang.fang"]
    other = login("sun.li")
    assert other.get(f"/leads/import/{job_id}").status_code == 404
    assert other.get(f"/leads/import/{job_id}/report.csv").status_code == 404


def test_an_xlsx_upload_and_a_broken_file(login, container):
    rep = login("wang.fang")
    book = Workbook()
    book.active.append(["Name", "Company", "Mobile"])
    book.active.append(["Emily Zhou", "Suzhou Parts", 13962150001])
    data = io.BytesIO()
    book.save(data)
    response = upload(rep, "leads.xlsx", data.getvalue())
    assert response.status_code == 302
    with container.session_factory() as session:
        job = session.scalars(select(ImportJob)).one()
        assert (job.total, job.mapping) == (1, ["name", "company", "phone"])
    broken = upload(rep, "leads.xlsx", b"PK\x03\x04 not really")
    assert broken.status_code == 400 and "not a readable XLSX" in broken.text


def test_the_mapping_step_chooses_to_update_matched_leads_and_the_preview_and_report_say_so(app, login, container):
    app.extensions[LAUNCHER] = lambda job_id: run_import(container.session_factory, job_id, container.engine.clock)
    now = container.engine.clock.now()
    with container.uow() as uow:
        load_default_rules(uow.session)
        lead = create_lead(uow.session, None, LeadInput("张伟", "锦程物流", phone="13816612345"), now,
                           owner="wang.fang")
        uow.commit()
        lead_id = lead.id
    rep = login("wang.fang")
    mapping_url = upload(rep, "leads.csv", "姓名,公司,手机,地区\n张伟,锦程物流,13816612345,上海\n".encode()).location
    page = rep.get(mapping_url).text
    assert "When a row matches an existing lead" in page and 'value="skip" checked' in page
    assert "update the existing lead&#39;s empty fields" in page
    fields = {"csrf_token": csrf_token(page), "column-0": "name", "column-1": "company", "column-2": "phone",
              "column-3": "region", "target": "user:wang.fang"}
    refused = rep.post(mapping_url, data=fields | {"on_match": "merge"})
    assert refused.status_code == 400 and "is not one of the allowed values" in refused.text
    assert 'value="merge"' not in refused.text
    preview = rep.get(rep.post(mapping_url, data=fields | {"on_match": "fill"}).location).text
    assert "Updated 1" in preview and "Matched, nothing to change 0" in preview and "Created 0" in preview
    assert f"(#{lead_id}) by the rule" in preview and "Region: filled in with “上海”" in preview
    job_id = int(mapping_url.split("/")[-2])
    rep.post(f"/leads/import/{job_id}/run", data={"csrf_token": csrf_token(preview)})
    progress = rep.get(f"/leads/import/{job_id}").text
    assert "<th>Updated</th><td>1</td>" in progress and "<th>Created</th><td>0</td>" in progress
    report = rep.get(f"/leads/import/{job_id}/report.csv").data.decode("utf-8-sig").splitlines()
    assert report[1].startswith("1,Updated,") and f",{lead_id},张伟," in report[1]
    with container.session_factory() as session:
        assert session.get_one(Lead, lead_id).region == "上海"


def test_in_skip_mode_the_pages_leave_out_the_update_outcomes(login, container):
    rep = login("wang.fang")
    mapping_url = upload(rep, "leads.csv", CSV.encode()).location
    page = rep.get(mapping_url).text
    preview = rep.get(rep.post(mapping_url, data={
        "csrf_token": csrf_token(page), "column-0": "name", "column-1": "company", "column-2": "phone",
        "column-3": "email", "target": "user:wang.fang", "on_match": "skip"}).location).text
    assert "Created 1 · Skipped as duplicate 1 · Rejected 1" in preview and "Updated" not in preview
