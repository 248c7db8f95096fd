"""Shared by the engine benchmark's sections: its sizes, processes and how to run an instance."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

import bootstrap
from bench._diagrams import pipeline, timer_wait
from core import migrate
from core.clock import ManualClock
from core.settings import Settings
from engine import HumanTask
from engine.specs import LoadedSpec, parse_sources

STAGE_DATA = {"note": "ok", "score": 3}
PIPELINE, LONG_PIPELINE, TIMER = "pipeline6", "pipeline10", "timer_wait"
_numbers = itertools.count(1)


@dataclass(frozen=True)
class Sizes:
    runs: int  # timed runs whose median is reported, for (a) and (b)
    memory_lifecycles: int  # per run, (a)
    persisted_lifecycles: int  # per run, (b)
    seeds: int  # task-list instances started through the API before cloning, (c)
    open_instances: tuple[int, int]  # (c)
    queries: int  # per scope and size, (c)
    timers: int  # pending timers, (d)
    due: int  # of which due, (d)
    timer_seeds: int  # per group, started through the API, (d)
    due_runs: int  # sweeps of `due` due timers, (d)
    empty_sweeps: int  # sweeps with nothing due, (d)


FULL = Sizes(runs=5, memory_lifecycles=300, persisted_lifecycles=20, seeds=300,
             open_instances=(10_000, 100_000), queries=300, timers=100_000, due=1_000,
             timer_seeds=20, due_runs=3, empty_sweeps=201)
QUICK = Sizes(runs=3, memory_lifecycles=100, persisted_lifecycles=8, seeds=60,
              open_instances=(1_000, 5_000), queries=200, timers=5_000, due=100,
              timer_seeds=10, due_runs=2, empty_sweeps=201)


# -- processes ------------------------------------------------------------------------------

def pipeline_spec(stages: int) -> LoadedSpec:
    [loaded] = parse_sources({f"pipeline{stages}.bpmn": pipeline(stages)}).processes
    return loaded


def deploy_all(container: bootstrap.Container) -> None:
    with container.uow() as uow:
        for key, xml in ((PIPELINE, pipeline(6)), (LONG_PIPELINE, pipeline(10)), (TIMER, timer_wait())):
            container.engine.deploy(uow.session, {f"{key}.bpmn": xml}, "bench")
        uow.commit()


def open_container(url: str, clock: ManualClock) -> bootstrap.Container:
    """Migrate ``url``, wire a container on it and deploy the benchmark's processes."""
    migrate.upgrade(url)
    container = bootstrap.build(Settings(database_url=url), clock=clock)
    deploy_all(container)
    return container


def open_task(session: Session, instance_id: int) -> str | None:
    return session.scalar(select(HumanTask.id).where(HumanTask.instance_id == instance_id))


def run_instance(container: bootstrap.Container, key: str, owner: str, stages: int) -> int:
    """Start ``key`` and complete its first ``stages`` tasks, each action its own transaction.

    The next task's id is read inside the action's transaction (one indexed SELECT), as the
    engine does not return it.
    """
    with container.uow() as uow:
        instance = container.engine.start(uow.session, key, f"opportunity:{next(_numbers)}",
                                          {"owner": owner}, owner)
        instance_id, task_id = instance.id, open_task(uow.session, instance.id)
        uow.commit()
    for _ in range(stages):
        if task_id is None:
            raise RuntimeError(f"instance {instance_id} has no open task")
        with container.uow() as uow:
            container.engine.complete(uow.session, task_id, STAGE_DATA, owner)
            task_id = open_task(uow.session, instance_id)
            uow.commit()
    return instance_id

