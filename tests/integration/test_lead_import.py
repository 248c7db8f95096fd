"""Importing leads from files: encodings, XLSX, mapping guesses, preview, the run and its report."""

from __future__ import annotations

import io
import time
from datetime import timedelta

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from core.errors import InvalidInput, NotFound
from workflows.dedupe import find_duplicates, load_default_rules
from workflows.leads.capture_models import ImportJob
from workflows.leads.import_files import guess_mapping, read_table
from workflows.leads.imports import create_import, preview, report, run_import, set_mapping, start_import
from workflows.leads.models import Lead
from workflows.leads.service import LeadInput, create_lead

HEADER = "姓名,公司,手机,邮箱,地区,行业,来源\n"


def test_headers_in_chinese_and_english_are_guessed():
    assert guess_mapping(["姓名", "公司名称", "手机号码", "E-mail", "地区", "Industry", "线索来源", "备注 ", "x",
                          "电话"]) == ["name", "company", "phone", "email", "region", "industry", "source", "note",
                                      "", ""]  # 电话 after 手机: each field takes one column


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_csv_is_read_in_utf8_with_or_without_bom_and_in_gbk(encoding):
    data = (HEADER + "张伟,上海锦程物流有限公司,13816612345,,上海,物流,网站\n").encode(encoding)
    header, rows = read_table("leads.csv", data)
    assert header[0] == "姓名" and rows == [["张伟", "上海锦程物流有限公司", "13816612345", "", "上海", "物流", "网站"]]


def test_unreadable_files_are_refused_with_a_message():
    for name, data in (("x.xlsx", b"not a zip"), ("x.csv", b"\xff\xfe\x00\xd8" * 10), ("x.pdf", b"%PDF"),
                       ("x.csv", b"")):
        with pytest.raises(InvalidInput):
            read_table(name, data)


def xlsx(rows: list[list[object]]) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_xlsx_numbers_come_back_as_phone_text():
    header, rows = read_table("leads.xlsx", xlsx([["Name", "Phone"], ["Emily", 13962150001], [None, None]]))
    assert header == ["Name", "Phone"] and rows == [["Emily", "13962150001"]]


def test_preview_names_each_rows_outcome_and_writes_nothing(container, clock, as_):
    rep = as_("wang.fang")
    data = (HEADER + "张伟,锦程物流,13816612345,,上海,物流,网站\n"
            ",无名公司,13816612346,,,,\n"
            "李娜,锦程物流,138 1661 2345,,,,\n"
            "王芳,宁波港联,12,bad@,,,\n").encode("gbk")
    with container.uow() as uow:
        job = create_import(uow.session, rep, "leads.csv", data, clock.now())
        uow.commit()
    with container.session_factory() as session:
        plans = preview(session, rep, job.id)
        assert [p.outcome for p in plans] == ["created", "rejected", "skipped", "rejected"]
        assert {r["field"] for r in plans[1].reasons} == {"name"}
        assert plans[2].reasons[0]["values"] == {"row": "1"}
        assert {r["field"] for r in plans[3].reasons} == {"phone", "email"}
        assert session.scalar(select(func.count()).select_from(Lead)) == 0


def test_ten_thousand_rows_with_duplicates_and_broken_rows_give_the_right_report(container, clock, as_):
    rep = as_("wang.fang")
    with container.uow() as uow:
        load_default_rules(uow.session)
        uow.commit()
    lines = [HEADER.strip()]
    for i in range(10_000):
        # names and companies as varied as real ones (two-character prefixes rarely shared)
        who, firm = chr(0x4E00 + (i * 7) % 2000) + chr(0x5E00 + i // 2000), chr(0x4E00 + i % 2000) + chr(
            0x6000 + i // 2000) + "科技有限公司"
        if i % 100 == 99:  # 1% broken: no name
            lines.append(f",{firm},139{i:08d},,,,")
        elif i % 20 == 10:  # 5% repeat the phone of the row before
            lines.append(f"{who}二,{firm}二,139{i - 1:08d},,,,")
        else:
            lines.append(f"{who},{firm},139{i:08d},c{i}@example.com,上海,物流,网站")
    data = "\n".join(lines).encode("utf-8-sig")
    with container.uow() as uow:
        job = create_import(uow.session, rep, "big.csv", data, clock.now())
        set_mapping(uow.session, rep, job.id, job.mapping, "user:wang.fang", clock.now())
        start_import(uow.session, rep, job.id, clock.now())
        uow.commit()
    started = time.perf_counter()
    assert run_import(container.session_factory, job.id, clock) == "done"
    print(f"10,000-row import: {time.perf_counter() - started:.1f} s")
    broken = 100
    duplicates = 500
    with container.session_factory() as session:
        job = session.get(ImportJob, job.id)
        assert (job.status, job.total, job.done) == ("done", 10_000, 10_000)
        assert (job.created, job.skipped, job.rejected) == (10_000 - broken - duplicates, duplicates, broken)
        assert session.scalar(select(func.count()).select_from(Lead).where(Lead.owner == "wang.fang")) == job.created
        rows = list(report(session, rep, job.id))
        assert [r.outcome for r in rows].count("skipped") == duplicates
        assert all(r.lead_id for r in rows if r.outcome == "created")
    assert run_import(container.session_factory, job.id, clock) == "done"
    with container.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Lead)) == 10_000 - broken - duplicates


def test_existing_leads_are_skipped_by_the_blocking_rules_and_imports_are_private(container, clock, as_):
    rep, other = as_("wang.fang"), as_("sun.li")
    with container.uow() as uow:
        load_default_rules(uow.session)
        first = create_import(uow.session, rep, "a.csv", (HEADER + "张伟,锦程,13816612345,,,,\n").encode(),
                              clock.now())
        start_import(uow.session, rep, first.id, clock.now())
        uow.commit()
    run_import(container.session_factory, first.id, clock)
    with container.uow() as uow:
        second = create_import(uow.session, rep, "b.csv", (HEADER + "张伟二,别家,+86 138 1661 2345,,,,\n").encode(),
                               clock.now())
        uow.commit()
    with container.session_factory() as session:
        [plan] = preview(session, rep, second.id)
        assert plan.outcome == "skipped" and plan.reasons[0]["values"]["rule"] == "Same phone"
        with pytest.raises(NotFound):
            preview(session, other, second.id)
    with container.uow() as uow, pytest.raises(InvalidInput):
        set_mapping(uow.session, rep, second.id, second.mapping, "user:sun.li", clock.now())


def imported(container, clock, viewer, text: str, on_match: str, target: str | None = None, batch: int = 500):
    """Upload, map (as guessed), choose what a match does, run; the finished job and its report."""
    with container.uow() as uow:
        job = create_import(uow.session, viewer, "leads.csv", text.encode(), clock.now())
        set_mapping(uow.session, viewer, job.id, job.mapping, target or f"user:{viewer.username}", clock.now(),
                    on_match)
        start_import(uow.session, viewer, job.id, clock.now())
        uow.commit()
    assert run_import(container.session_factory, job.id, clock, batch) == "done"
    with container.session_factory() as session:
        return session.get(ImportJob, job.id), [(r.outcome, r.lead_id, r.reasons) for r in report(session, viewer, job.id)]


def existing(container, clock, viewer, name: str, company: str, **values) -> int:
    with container.uow() as uow:
        lead = create_lead(uow.session, viewer, LeadInput(name, company, **values), clock.now(), confirmed=True)
        uow.commit()
        return lead.id


def said(reasons) -> list[tuple[str, str]]:
    """A report's reasons as (field, English message)."""
    return [(r["field"], r["msgid"] % r["values"] if r["values"] else r["msgid"]) for r in reasons]


@pytest.fixture
def rules(container, demo):
    with container.uow() as uow:
        load_default_rules(uow.session)
        uow.commit()


def test_fill_mode_fills_a_matched_leads_empty_fields_and_a_second_run_changes_nothing(container, clock, as_,
                                                                                        rules):
    rep = as_("wang.fang")
    lead = existing(container, clock, rep, "张伟", "锦程物流", phone="13816612345", industry="物流")
    created = clock.now()
    file = HEADER + ("张伟,锦程物流有限公司,138 1661 2345,ZW@JC.cn,上海,仓储,网站\n"
                     "李娜,宁波港联,13900000001,,宁波,,\n"
                     ",无名,13900000002,,,,\n")
    clock.advance(hours=1)
    job, rows = imported(container, clock, rep, file, "fill")
    assert (job.created, job.updated, job.unchanged, job.skipped, job.rejected) == (1, 1, 0, 0, 1)
    outcome, lead_id, reasons = rows[0]
    assert (outcome, lead_id) == ("updated", lead)
    assert said(reasons) == [("phone", f'Duplicate of "张伟 · 锦程物流" (#{lead}) by the rule "Same phone"'),
                             ("email", "filled in with “ZW@JC.cn”"), ("region", "filled in with “上海”")]
    with container.session_factory() as session:
        row = session.get_one(Lead, lead)
        # Only the empty fields: the company, industry and source it had stay; whose it is, too.
        assert (row.company, row.industry, row.source, row.email, row.region) == (
            "锦程物流", "物流", "manual", "zw@jc.cn", "上海")
        assert (row.owner, row.pool_id, row.status, row.updated_at) == ("wang.fang", None, "new", clock.now())
        assert [d.record_id for d in find_duplicates(session, "lead", {"email": "zw@jc.cn"})] == [lead]
    clock.advance(hours=1)
    again, rows = imported(container, clock, rep, file, "fill")
    assert (again.created, again.updated, again.unchanged, again.skipped, again.rejected) == (0, 0, 2, 0, 1)
    assert [outcome for outcome, _lead, _reasons in rows] == ["unchanged", "unchanged", "rejected"]
    assert said(rows[0][2])[-1] == ("", "nothing to change")  # the second row found the lead the first run made
    with container.session_factory() as session:
        assert session.get_one(Lead, lead).updated_at == created + timedelta(hours=1)  # not touched again
        assert session.scalar(select(func.count()).select_from(Lead)) == 2


def test_overwrite_mode_replaces_what_the_row_gives_and_keeps_owner_pool_and_status(container, clock, as_, rules):
    rep, manager = as_("zhang.wei"), as_("liu.yang")
    lead = existing(container, clock, rep, "张伟", "锦程物流", phone="13816612345", email="zw@jc.cn",
                    rating="cold")
    with container.uow() as uow:
        uow.session.get_one(Lead, lead).followup_stale = False  # as the cadence leaves it
        uow.commit()
    file = "姓名,公司,手机,邮箱,评级,备注\n张伟伟,锦程国际物流有限公司,+86 138-1661-2345,,热,\n"
    job, rows = imported(container, clock, manager, file, "overwrite")  # a manager updates a lead of their rep
    assert (job.updated, job.created) == (1, 0)
    assert said(rows[0][2])[1:] == [("name", "“张伟” replaced by “张伟伟”"),
                                    ("company", "“锦程物流” replaced by “锦程国际物流有限公司”"),
                                    ("rating", "“cold” replaced by “hot”")]  # the same phone typed otherwise: no change
    with container.session_factory() as session:
        row = session.get_one(Lead, lead)
        assert (row.name, row.company, row.rating, row.phone, row.email) == (
            "张伟伟", "锦程国际物流有限公司", "hot", "13816612345", "zw@jc.cn")  # empty cells change nothing
        assert (row.owner, row.status, row.followup_stale) == ("zhang.wei", "new", True)
        assert (row.match_name, row.match_company) == ("张伟伟", "锦程国际物流")
    again, rows = imported(container, clock, manager, file, "overwrite")
    assert (again.updated, again.unchanged) == (0, 1)


def test_a_row_matching_several_leads_or_one_out_of_sight_is_skipped_with_the_reason(container, clock, as_, rules):
    rep = as_("wang.fang")
    hers = existing(container, clock, rep, "李娜", "宁波港联", phone="13900000001")
    other = existing(container, clock, rep, "王芳", "苏州精密", email="wf@szjm.cn")
    unseen = existing(container, clock, as_("zhang.wei"), "刘建华", "上海申达", phone="13900000003")
    file = HEADER + ("李娜,别家,13900000001,wf@szjm.cn,,,\n"  # hers by phone, the other by email
                     "刘建华,上海申达,13900000003,,上海,,\n"  # zhang.wei's: wang.fang may not see it
                     "李娜,宁波港联,13900000004,,宁波,,\n"  # hers, by company and name
                     "李娜,宁波港联,13900000005,,,,\n")  # hers again: the row above had it
    with container.uow() as uow:
        job = create_import(uow.session, rep, "leads.csv", file.encode(), clock.now())
        set_mapping(uow.session, rep, job.id, job.mapping, "user:wang.fang", clock.now(), "fill")
        uow.commit()
    with container.session_factory() as session:
        plans = preview(session, rep, job.id)
    assert [p.outcome for p in plans] == ["skipped", "skipped", "updated", "skipped"]
    assert said(plans[0].reasons) == [("", f"matches 2 existing leads (#{hers}, #{other}): which one to update "
                                           "is unclear")]
    assert said(plans[1].reasons) == [("", f"matches lead #{unseen}, which you may not see")]
    assert said(plans[2].reasons)[1:] == [("region", "filled in with “宁波”")]
    assert said(plans[3].reasons) == [("", f"lead #{hers} was matched by row 3 already")]
    with container.session_factory() as session:  # the preview wrote nothing
        assert session.get_one(Lead, hers).region == ""
    with container.uow() as uow:
        start_import(uow.session, rep, job.id, clock.now())
        uow.commit()
    assert run_import(container.session_factory, job.id, clock, batch=2) == "done"  # the preview told the truth
    with container.session_factory() as session:
        assert [(r.outcome, r.lead_id) for r in report(session, rep, job.id)] == [
            ("skipped", None), ("skipped", None), ("updated", hers), ("skipped", None)]
        done = session.get_one(ImportJob, job.id)
        assert (done.done, done.updated, done.skipped) == (4, 1, 3)
        assert session.get_one(Lead, hers).region == "宁波" and session.get_one(Lead, unseen).region == ""


def test_in_skip_mode_a_match_is_skipped_as_before_and_a_bad_choice_is_named(container, clock, as_, rules):
    rep = as_("wang.fang")
    lead = existing(container, clock, rep, "张伟", "锦程物流", phone="13816612345")
    job, rows = imported(container, clock, rep, HEADER + "张伟,锦程物流,13816612345,zw@jc.cn,,,\n", "skip")
    assert (job.skipped, job.updated, rows[0][1]) == (1, 0, None)
    with container.session_factory() as session:
        assert session.get_one(Lead, lead).email == ""
    with container.uow() as uow:
        job = create_import(uow.session, rep, "leads.csv", HEADER.encode() + "张伟,x,1,,,,\n".encode(), clock.now())
        with pytest.raises(InvalidInput) as refused:
            set_mapping(uow.session, rep, job.id, job.mapping, "user:wang.fang", clock.now(), "merge")
    assert set(refused.value.fields) == {"on_match"}
