"""``flask --app wsgi <command>``: migrate, deploy the shipped processes, serve, sweep timers."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from werkzeug.serving import run_simple

import bootstrap
from core import migrate
from core.scheduler import PeriodicThread
from engine import fire_due_timers
from notifications import SWEEP_INTERVAL_SECONDS

from .context import container


def init_app(app: Flask) -> None:
    app.cli.add_command(db_upgrade)
    app.cli.add_command(deploy_shipped)
    app.cli.add_command(serve)
    app.cli.add_command(sweep_timers)
    app.cli.add_command(chase_overdue_command)
    app.cli.add_command(send_daily_reminders_command)
    app.cli.add_command(load_demo_command)


@click.command("db-upgrade")
@with_appcontext
def db_upgrade() -> None:
    """Create or upgrade the database schema."""
    migrate.upgrade(container().settings.database_url)
    click.echo("database is up to date")


@click.command("deploy-shipped")
@with_appcontext
def deploy_shipped() -> None:
    """Deploy the processes shipped in bpmn/ (unchanged ones keep their version)."""
    for definition in bootstrap.deploy_shipped(container()):
        click.echo(f"deployed {definition.key} v{definition.version}")


@click.command("load-demo")
@with_appcontext
def load_demo_command() -> None:
    """Create the demo company, its people, customers and deals (idempotent); print the logins."""
    logins = bootstrap.load_demo(container())
    click.echo(f"Demo logins (password {logins[0].password} for all):")
    for login in logins:
        click.echo(f"  {login.username:<14} {login.description}")


@click.command("sweep-timers")
@with_appcontext
def sweep_timers() -> None:
    """Fire every due timer once and bring the leads' follow-up cycles up to date (what the
    scheduler does every few seconds)."""
    report = fire_due_timers(container().engine, container().session_factory)
    click.echo(f"fired {report.fired}, failed {len(report.failed)}")
    followed = bootstrap.follow_up_leads(container())
    click.echo(f"follow-up cycles started {len(followed.started)}, failed {len(followed.failed)}")


@click.command("chase-overdue")
@with_appcontext
def chase_overdue_command() -> None:
    """Start a chase for every newly overdue instalment (what the scheduler does hourly)."""
    report = bootstrap.chase_overdue(container())
    click.echo(f"chasing {len(report.started)} instalments, failed {len(report.failed)}")


@click.command("send-daily-reminders")
@with_appcontext
def send_daily_reminders_command() -> None:
    """Send today's digests, birthday reminders and holiday greetings now (what the scheduler
    does once a day at DEALFLOW_DIGEST_HOUR); nobody is told the same thing twice."""
    report = bootstrap.send_daily_reminders(container(), force=True)
    click.echo(f"{report.day}: digests {report.digests}, birthday reminders {report.birthdays}, "
               f"holiday greetings {report.greetings}, failed {len(report.failed)}")


@click.command("serve")
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=5000, type=int)
@with_appcontext
def serve(host: str, port: int) -> None:
    """Run the app with the embedded timer scheduler (the single-machine setup)."""
    c = container()
    if c.settings.scheduler == "embedded":
        PeriodicThread(c.settings.timer_interval_seconds,
                       lambda: fire_due_timers(c.engine, c.session_factory), "timer-sweep").start()
        PeriodicThread(c.settings.timer_interval_seconds, lambda: bootstrap.follow_up_leads(c),
                       "lead-follow-up").start()
        PeriodicThread(SWEEP_INTERVAL_SECONDS, c.notifications.sweep, "delivery-sweep").start()
        PeriodicThread(bootstrap.CHASE_INTERVAL_SECONDS, lambda: bootstrap.chase_overdue(c),
                       "overdue-instalments").start()
        PeriodicThread(bootstrap.DAILY_CHECK_INTERVAL_SECONDS, lambda: bootstrap.send_daily_reminders(c),
                       "daily-reminders").start()
    click.echo(f"Dealflow is running at http://{host}:{port}/  (Ctrl+C to stop)")
    run_simple(host, port, current_app._get_current_object(), threaded=True)  # type: ignore[attr-defined]
