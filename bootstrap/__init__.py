"""Composition root: the one place that knows every concrete part and wires them.

Web requests, the Celery worker, the embedded scheduler and the tests all build their
collaborators here, so they run the same engine with the same services.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from core.clock import Clock, SystemClock
from core.db import make_engine, make_session_factory
from core.settings import Settings
from core.uow import UnitOfWork
from engine import ProcessDefinition, ProcessEngine, ServiceRegistry

SHIPPED_PROCESSES = Path(__file__).resolve().parent.parent / "bpmn"


@dataclass
class Container:
    settings: Settings
    db: Engine
    session_factory: sessionmaker[Session]
    engine: ProcessEngine

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.session_factory)


def build(settings: Settings | None = None, clock: Clock | None = None) -> Container:
    settings = settings or Settings.from_env()
    db = make_engine(settings.database_url)
    return Container(
        settings=settings,
        db=db,
        session_factory=make_session_factory(db),
        engine=ProcessEngine(clock=clock or SystemClock(), services=ServiceRegistry()),
    )


def shipped_bundles(root: Path = SHIPPED_PROCESSES) -> Iterator[dict[str, bytes]]:
    """Each shipped BPMN file together with the DMN tables of its folder."""
    for bpmn in sorted(root.rglob("*.bpmn")):
        files = {bpmn.name: bpmn.read_bytes()}
        files.update({dmn.name: dmn.read_bytes() for dmn in sorted(bpmn.parent.glob("*.dmn"))})
        yield files


def deploy_shipped(container: Container, deployed_by: str = "system") -> list[ProcessDefinition]:
    """Deploy every shipped process; unchanged ones keep their current version."""
    deployed = []
    with container.uow() as uow:
        for files in shipped_bundles():
            deployed += container.engine.deploy(uow.session, files, deployed_by, "shipped with Dealflow")
        uow.commit()
    return deployed
