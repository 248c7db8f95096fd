"""PostgreSQL plumbing for the engine benchmark: a fresh database and fast bulk cloning.

Starting 100,000 instances through the API would take longer than the whole benchmark
may, so a few hundred are started for real and their rows are then copied with
``INSERT ... SELECT``. A clone gets a new instance id, a new task guid (an md5 of the
new instance id and the original guid, so candidate rows can be matched to it) and its
own owner among ``owners`` users; its state is the seed's state verbatim.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo
from sqlalchemy import Connection, Engine, text
from sqlalchemy.engine import make_url

RUNTIME_TABLES = ("human_task_candidate", "human_task", "engine_timer", "history_event", "process_instance")

_SEEDS = """
    FROM generate_series(1, :count) AS g
    JOIN unnest(CAST(:seeds AS integer[])) WITH ORDINALITY AS s(id, k) ON s.k = (g - 1) % :nseeds + 1
"""

_CLONE_INSTANCES = f"""
    INSERT INTO process_instance (id, definition_id, process_key, business_key, status, state,
        serializer_version, started_by, started_at, updated_at, version)
    SELECT :base + g, p.definition_id, p.process_key, 'opportunity:' || (:base + g), p.status, p.state,
        p.serializer_version, 'user_' || ((:base + g) % :owners), p.started_at - make_interval(secs => g),
        p.updated_at, p.version
    {_SEEDS}
    JOIN process_instance p ON p.id = s.id
"""

_NEW_GUID = "CAST(md5('clone:' || (:base + g) || ':' || t.id) AS uuid)::text"
# Instance id = round * owners + owner; an owner's task is unassigned in one round out of
# ``unassigned_every``, a different round for each owner.
_ASSIGNEE = """CASE WHEN ((:base + g) / :owners + :base + g) % :unassigned_every = 0 THEN NULL
        ELSE 'user_' || ((:base + g) % :owners) END"""

_CLONE_TASKS = f"""
    INSERT INTO human_task (id, instance_id, definition_id, process_key, bpmn_id, name, lane, assignee,
        form_key, created_at, due_at, follow_up_at, business_key, object_type, object_id, title, amount,
        stage, owner, region)
    SELECT {_NEW_GUID}, :base + g, t.definition_id, t.process_key, t.bpmn_id, t.name, t.lane, {_ASSIGNEE},
        t.form_key, t.created_at - make_interval(secs => g), t.due_at, t.follow_up_at,
        'opportunity:' || (:base + g), t.object_type, CAST(:base + g AS text), t.title, t.amount, t.stage,
        'user_' || ((:base + g) % :owners), t.region
    {_SEEDS}
    JOIN human_task t ON t.instance_id = s.id
"""

_CLONE_CANDIDATES = f"""
    INSERT INTO human_task_candidate (task_id, kind, name)
    SELECT {_NEW_GUID}, c.kind, c.name
    {_SEEDS}
    JOIN human_task t ON t.instance_id = s.id
    JOIN human_task_candidate c ON c.task_id = t.id
"""

_CLONE_TIMERS = f"""
    INSERT INTO engine_timer (instance_id, task_guid, bpmn_id, due_at)
    SELECT :base + g, t.task_guid, t.bpmn_id, COALESCE(CAST(:due_at AS timestamptz), t.due_at)
    {_SEEDS}
    JOIN engine_timer t ON t.instance_id = s.id
"""


def bench_parser(description: str, url_variable: str, default_url: str) -> argparse.ArgumentParser:
    """A benchmark's command line: ``--quick`` and the database it drops and recreates
    (``--postgres-url``, else ``url_variable``, else ``default_url``); sizes are its own."""
    parser = argparse.ArgumentParser(description=description,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--postgres-url", default=os.environ.get(url_variable, default_url))
    return parser


def recreate_database(url: str) -> None:
    """Drop and create the database ``url`` names, through the server's ``postgres`` database."""
    parsed = make_url(url)
    name = parsed.database or ""
    if "bench" not in name:
        raise SystemExit(f"refusing to drop database {name!r}: a benchmark database's name must "
                         "contain 'bench'")
    params = {"host": parsed.host, "port": parsed.port, "user": parsed.username,
              "password": parsed.password, "dbname": "postgres"}
    conninfo = make_conninfo("", **{k: v for k, v in params.items() if v is not None})
    with psycopg.connect(conninfo, autocommit=True) as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def truncate_runtime(db: Engine) -> None:
    """Empty every instance table, and what refers to instances (opportunities, contracts);
    deployed definitions stay."""
    with db.begin() as connection:
        connection.execute(text(f"TRUNCATE {', '.join(RUNTIME_TABLES)} RESTART IDENTITY CASCADE"))


def clone_instances(db: Engine, seeds: Sequence[int], count: int, owners: int = 500,
                    unassigned_every: int = 10, timer_due: datetime | None = None) -> None:
    """Add ``count`` copies of the ``seeds`` instances with their open tasks, candidates and timers.

    Copies are spread evenly over ``owners`` users (``user_0`` ...), and one in
    ``unassigned_every`` of each owner's tasks is left unassigned, for the claimable inbox.
    ``timer_due`` replaces the copied timers' due moment when given.
    """
    if count <= 0:
        return
    with db.begin() as connection:
        base = connection.scalar(text("SELECT COALESCE(max(id), 0) FROM process_instance"))
        params: dict[str, Any] = {"seeds": list(seeds), "nseeds": len(seeds), "count": count, "base": base,
                                  "owners": owners, "unassigned_every": unassigned_every,
                                  "due_at": timer_due}
        for statement in (_CLONE_INSTANCES, _CLONE_TASKS, _CLONE_CANDIDATES, _CLONE_TIMERS):
            connection.execute(text(statement), params)
        connection.execute(text(
            "SELECT setval(pg_get_serial_sequence('process_instance', 'id'), max(id)) FROM process_instance"))


def analyze(db: Engine) -> None:
    with db.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("ANALYZE"))


def count_rows(connection: Connection, table: str, where: str = "TRUE") -> int:
    return int(connection.scalar(text(f"SELECT count(*) FROM {table} WHERE {where}")) or 0)
