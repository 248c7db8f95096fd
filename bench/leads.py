"""Lead intake benchmark: the public web form and the CSV import on PostgreSQL, with the
default duplicate rules and the shipped assignment table running on every lead.

Run it from the project root (PostgreSQL must be reachable):

    PYTHONPATH=. .venv/bin/python bench/leads.py                  # 2,000 posts, a 10,000-row import
    PYTHONPATH=. .venv/bin/python bench/leads.py --rows 100000    # the issue's 100,000-row import
    PYTHONPATH=. .venv/bin/python bench/leads.py --quick          # a smoke run

PostgreSQL is ``postgresql+psycopg://postgres@127.0.0.1:5432/dealflow_leads_bench`` unless
``--postgres-url`` or ``DEALFLOW_BENCH_LEADS_POSTGRES_URL`` says otherwise. That database is
DROPPED and created afresh, so its name must contain "bench".

(a) Web-to-lead: POST /w2l/<key> through Flask's test client (the whole app in this
process, no sockets), each a new lead with its own phone; half from Shanghai (the table
gives them to a Team 1 rep round-robin), half from elsewhere (they stay in the pool).
Leads per second over the whole run, and the median and p95 of single posts.
(b) Import: a CSV with 5% repeated phones and 1% broken rows, uploaded, mapped and run
in-process in committed batches, as the background job runs it: rows per second.
(c) The same rows again with an industry column, imported with "update the existing lead's
empty fields": each row matches the lead (b) made and fills its industry.
This is a benchmark, not a test: nothing is asserted about time.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import time
from pathlib import Path

# ruff: noqa: E402
sys.path[:] = [str(Path(__file__).resolve().parents[1])] + [
    p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from sqlalchemy import func, select

import bootstrap
from bench._bulk import bench_parser, recreate_database
from bench._stats import Figure, median, ms, p95, summary_table
from core import migrate
from core.settings import Settings
from web import create_app
from web.web_to_lead import LIMITER
from workflows.leads import imports
from workflows.leads.capture import WebFormInput, save_web_form
from workflows.leads.capture_models import OUTCOMES
from workflows.leads.models import Lead, Pool
from workflows.leads.throttle import MemoryLimiter
from workflows.org.models import User
from workflows.org.visibility import Viewer, viewer_for

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/dealflow_leads_bench"


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    posts, rows = (100, 1_000) if args.quick else (args.posts, args.rows)
    recreate_database(args.postgres_url)
    migrate.upgrade(args.postgres_url)
    container = bootstrap.build(Settings(database_url=args.postgres_url))
    bootstrap.deploy_shipped(container)
    bootstrap.load_demo(container)
    started = time.perf_counter()
    figures = web_form(container, posts) + import_rows(container, rows)
    print(f"\nSummary (whole run {time.perf_counter() - started:.0f} s, load average at the end "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())})")
    print(summary_table(figures))


def web_form(container: bootstrap.Container, posts: int) -> list[Figure]:
    admin = _viewer(container, "admin")
    with container.uow() as uow:
        pool = uow.session.scalars(select(Pool.id).order_by(Pool.id)).first()
        form = save_web_form(uow.session, admin, WebFormInput(
            name="Contact us", fields=("name", "company", "phone", "region"), required=("name", "phone"),
            pool_id=str(pool)), container.engine.clock.now())
        uow.commit()
        key = form.public_key
    app = create_app(container=container)
    app.extensions[LIMITER] = MemoryLimiter(posts * 2)  # one address posts them all
    client = app.test_client()
    timings = []
    started = time.perf_counter()
    for number in range(posts):
        region = "上海" if number % 2 else "北京"
        began = time.perf_counter()
        response = client.post(f"/w2l/{key}", data={"name": f"访客{number}", "company": f"测试公司{number}",
                                                     "phone": f"139{number:08d}", "region": region})
        timings.append(time.perf_counter() - began)
        assert response.status_code == 200, response.status_code  # our own thank-you page
    elapsed = time.perf_counter() - started
    with container.session_factory() as session:
        assigned = session.scalar(select(func.count()).select_from(Lead).where(
            Lead.name.startswith("访客"), Lead.owner.is_not(None))) or 0
    print(f"(a) {posts} web-form posts in {elapsed:.1f} s; {assigned} assigned by the table, "
          f"{posts - assigned} left in the pool")
    print(f"    one post: median {ms(median(timings))}  p95 {ms(p95(timings))}")
    return [Figure("(a) web-form leads per second (dedupe + assignment)", f"{posts / elapsed:.0f}/s"),
            Figure("(a) one post, median (p95)", f"{ms(median(timings))} ({ms(p95(timings))})")]


def import_rows(container: bootstrap.Container, rows: int) -> list[Figure]:
    mapping = ["name", "company", "phone", "region"]
    return (_import(container, "(b) import", _csv(rows), mapping, "skip")
            + _import(container, "(c) update-mode import", _csv(rows, industry=True), [*mapping, "industry"],
                      "fill"))


def _import(container: bootstrap.Container, label: str, data: bytes, mapping: list[str],
            on_match: str) -> list[Figure]:
    manager = _viewer(container, "liu.yang")
    rows = data.count(b"\n") - 1
    now = container.engine.clock.now()
    with container.uow() as uow:
        job = imports.create_import(uow.session, manager, "leads.csv", data, now)
        imports.set_mapping(uow.session, manager, job.id, mapping, "user:liu.yang", now, on_match)
        imports.start_import(uow.session, manager, job.id, now)
        uow.commit()
        job_id = job.id
    started = time.perf_counter()
    status = imports.run_import(container.session_factory, job_id, container.engine.clock)
    elapsed = time.perf_counter() - started
    with container.session_factory() as session:
        done = imports.get_import(session, manager, job_id)
        counts = ", ".join(f"{outcome} {getattr(done, outcome):,}" for outcome in OUTCOMES)
    print(f"{label} of {rows:,} rows ({status}) in {elapsed:.1f} s: {counts}")
    return [Figure(f"{label} of {rows:,} rows, rows per second", f"{rows / elapsed:.0f}/s"),
            Figure(f"{label} of {rows:,} rows, total", f"{elapsed:.1f} s")]


SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍鹏辉玲丹建文斌宇浩凯俊"
CITIES = ("上海", "苏州", "无锡", "南京", "杭州", "宁波", "合肥", "常州", "嘉兴", "昆山", "南通", "绍兴")
TRADES = ("精密", "物流", "电子", "机械", "医疗", "仓储", "汽车", "化工", "食品", "纺织", "光电", "新材料")


def _csv(rows: int, industry: bool = False) -> bytes:
    """Names and companies as varied as a real list (so duplicate checks compare a few
    candidates, not the whole table); every 20th row repeats an earlier phone, every 100th
    has a broken one. ``industry`` adds a column saying each row's trade."""
    out = io.StringIO()
    out.write("姓名,公司,手机,地区" + (",行业" if industry else "") + "\n")
    for number in range(rows):
        phone = f"137{number:08d}" if number % 20 != 19 else f"137{number - 1:08d}"
        if number % 100 == 99:
            phone = "12-34"
        name = (SURNAMES[number % len(SURNAMES)] + GIVEN[(number // 7) % len(GIVEN)]
                + GIVEN[(number // 3) % len(GIVEN)])
        company = (f"{CITIES[(number // 11) % len(CITIES)]}{SURNAMES[(number // 5) % len(SURNAMES)]}"
                   f"{TRADES[number % len(TRADES)]}{number}有限公司")
        trade = f",{TRADES[number % len(TRADES)]}" if industry else ""
        out.write(f"{name},{company},{phone},江苏{trade}\n")
    return out.getvalue().encode("utf-8")


def _viewer(container: bootstrap.Container, username: str) -> Viewer:
    with container.session_factory() as session:
        user_id = session.scalars(select(User.id).where(User.username == username)).one()
        viewer = viewer_for(session, user_id)
    assert viewer is not None
    return viewer


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = bench_parser(__doc__ or "", "DEALFLOW_BENCH_LEADS_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    parser.add_argument("--posts", type=int, default=2_000, help="web-form posts")
    parser.add_argument("--rows", type=int, default=10_000, help="rows in the imported file")
    return parser.parse_args(argv)


if __name__ == "__main__":
    main()
