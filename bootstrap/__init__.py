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
from notifications.setup import Notifications
from notifications.setup import connect as connect_notifications
from workflows.accounts.cadence import SERVICES as ACCOUNT_CADENCE_SERVICES
from workflows.accounts.cadence import reconcile_stale as reconcile_stale_accounts
from workflows.accounts.demo import load_demo_accounts
from workflows.approvals.demo import load_demo_approvals
from workflows.approvals.services import SERVICES as APPROVAL_SERVICES
from workflows.approvals.tracking import record_decisions
from workflows.catalog.demo import load_demo_catalog
from workflows.contracts.chasing import ChaseReport, chase_overdue_instalments
from workflows.contracts.demo import load_demo_contracts
from workflows.dedupe import load_default_rules
from workflows.leads.assignment import SERVICES as LEAD_SERVICES
from workflows.leads.cadence import SERVICES as CADENCE_SERVICES
from workflows.leads.cadence import SweepReport, reconcile_stale
from workflows.leads.demo import load_demo_leads
from workflows.opportunities.demo import load_demo_pipelines
from workflows.opportunities.tracking import follow_pipeline
from workflows.org.demo import DemoLogin
from workflows.org.demo import load_demo as load_demo_org
from workflows.reminders.daily import DailyReport, run_daily
from workflows.reports.dashboards import ensure_default_dashboards
from workflows.services import register as register_services
from workflows.visits.demo import load_demo_visits
from workflows.visits.services import SERVICES as VISIT_SERVICES
from workflows.workdays import WorkingDays

SHIPPED_PROCESSES = Path(__file__).resolve().parent.parent / "bpmn"


@dataclass
class Container:
    settings: Settings
    db: Engine
    session_factory: sessionmaker[Session]
    engine: ProcessEngine
    notifications: Notifications

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.session_factory)


def build(settings: Settings | None = None, clock: Clock | None = None) -> Container:
    settings = settings or Settings.from_env()
    db = make_engine(settings.database_url)
    clock = clock or SystemClock()
    services = ServiceRegistry()
    register_services(services, clock, {**APPROVAL_SERVICES, **LEAD_SERVICES, **CADENCE_SERVICES,
                                         **ACCOUNT_CADENCE_SERVICES, **VISIT_SERVICES})
    working_days = WorkingDays(clock, settings.holidays, settings.time_zone)
    session_factory = make_session_factory(db)
    return Container(
        settings=settings,
        db=db,
        session_factory=session_factory,
        engine=ProcessEngine(clock=clock, services=services,
                             functions={"working_days": working_days.duration},
                             observers=[follow_pipeline, record_decisions]),
        notifications=connect_notifications(settings, session_factory, clock),
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


# Overdue instalments are a matter of days; looking once an hour is soon enough.
CHASE_INTERVAL_SECONDS = 3600.0


def chase_overdue(container: Container) -> ChaseReport:
    """Give each newly overdue instalment's owner a chase task; run by Celery beat or the
    embedded scheduler."""
    return chase_overdue_instalments(container.engine, container.session_factory,
                                     container.engine.clock.now().date())


def follow_up_leads(container: Container) -> SweepReport:
    """Give each lead and account whose owner, rating (category), contact or status changed the
    follow-up cycle that now fits; run with the timer sweep by Celery beat or the embedded
    scheduler. The report names them by business key ("lead:7", "account:3")."""
    report = reconcile_stale(container.engine, container.session_factory)
    return report.extend(reconcile_stale_accounts(container.engine, container.session_factory))


# The daily digest and reminders go out at DEALFLOW_DIGEST_HOUR; looking every ten minutes
# sends them within ten minutes of it, or as soon as the app is back after an outage.
DAILY_CHECK_INTERVAL_SECONDS = 600.0


def send_daily_reminders(container: Container, force: bool = False) -> DailyReport:
    """Each user's daily digest, birthday reminders and holiday greetings, once a day from the
    configured hour (``force``: now); run by Celery beat, the embedded scheduler or the CLI."""
    return run_daily(container.session_factory, container.settings, container.engine.clock.now(), force)


def load_demo(container: Container) -> list[DemoLogin]:
    """The demo company: people, customers, products, contracts (one waiting for approval), deals
    at every stage of the shipped pipelines and a few planned visits (deploy them first).
    Idempotent, one transaction."""
    now = container.engine.clock.now()
    with container.uow() as uow:
        logins = load_demo_org(uow.session, now)
        load_demo_accounts(uow.session, now)
        load_demo_catalog(uow.session)
        load_demo_contracts(uow.session, now)
        load_default_rules(uow.session)
        load_demo_leads(uow.session, now)
        load_demo_pipelines(uow.session, container.engine, now)
        load_demo_approvals(uow.session, container.engine)
        load_demo_visits(uow.session, container.engine, now)
        ensure_default_dashboards(uow.session, now)
        uow.commit()
    return logins
