"""Importing leads from files: encodings, XLSX, mapping guesses, preview, the run and its report."""

from __future__ import annotations

import io
import time

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from core.errors import InvalidInput, NotFound
from workflows.dedupe import load_default_rules
from workflows.leads.capture_models import ImportJob
from workflows.leads.import_files import guess_mapping, read_table
from workflows.leads.imports import create_import, preview, report, run_import, set_mapping, start_import
from workflows.leads.models import Lead

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
