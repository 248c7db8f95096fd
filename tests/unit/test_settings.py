"""Settings: sensible embedded defaults, and one clear line for each bad value."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.settings import Settings, SettingsError


def test_defaults_give_the_embedded_setup(tmp_path: Path):
    settings = Settings.from_env({}, instance_path=tmp_path)
    assert settings.database_url == f"sqlite:///{tmp_path / 'dealflow.db'}"
    assert settings.scheduler == "embedded" and settings.broker_url is None


def test_the_daily_hour_and_reminder_days_are_read():
    assert (Settings.from_env({}).digest_hour, Settings.from_env({}).reminder_days) == (8, 3)
    settings = Settings.from_env({"DEALFLOW_DIGEST_HOUR": "0", "DEALFLOW_REMINDER_DAYS": "30"})
    assert (settings.digest_hour, settings.reminder_days) == (0, 30)


def test_a_broker_switches_timers_to_celery():
    settings = Settings.from_env({"DEALFLOW_BROKER_URL": "redis://localhost:6379/0"})
    assert settings.scheduler == "celery"


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"DEALFLOW_DATABASE_URL": "not a url"}, "DEALFLOW_DATABASE_URL is not a database URL"),
        ({"DEALFLOW_DATABASE_URL": "mysql://x/y"}, "DEALFLOW_DATABASE_URL must use sqlite or postgresql"),
        ({"DEALFLOW_BROKER_URL": "http://x"}, "DEALFLOW_BROKER_URL must start with one of redis://"),
        ({"DEALFLOW_SMTP_URL": "mail.example.com"}, "DEALFLOW_SMTP_URL must start with one of smtp://"),
        ({"DEALFLOW_TIMER_INTERVAL": "soon"}, "DEALFLOW_TIMER_INTERVAL must be a number"),
        ({"DEALFLOW_SCHEDULER": "cron"}, "DEALFLOW_SCHEDULER must be one of embedded, celery, off"),
        ({"DEALFLOW_SCHEDULER": "celery"}, "DEALFLOW_SCHEDULER=celery needs DEALFLOW_BROKER_URL"),
        ({"DEALFLOW_CURRENCY": "RMB"}, "DEALFLOW_CURRENCY must be an ISO 4217 code"),
        ({"DEALFLOW_ENV": "production"}, "DEALFLOW_SECRET_KEY must be set in production"),
        ({"DEALFLOW_HOLIDAYS": "Narnia"}, "DEALFLOW_HOLIDAYS must be a country code"),
        ({"DEALFLOW_TIME_ZONE": "Shanghai"}, "DEALFLOW_TIME_ZONE must be an IANA time zone"),
        ({"DEALFLOW_DIGEST_HOUR": "24"}, "DEALFLOW_DIGEST_HOUR must be a whole number from 0 to 23"),
        ({"DEALFLOW_DIGEST_HOUR": "8am"}, "DEALFLOW_DIGEST_HOUR must be a whole number from 0 to 23"),
        ({"DEALFLOW_REMINDER_DAYS": "0"}, "DEALFLOW_REMINDER_DAYS must be a whole number from 1 to 30"),
        ({"DEALFLOW_REMINDER_DAYS": "-3"}, "DEALFLOW_REMINDER_DAYS must be a whole number from 1 to 30"),
    ],
)
def test_bad_values_name_the_variable(environ: dict[str, str], message: str):
    with pytest.raises(SettingsError) as error:
        Settings.from_env(environ)
    assert str(error.value).startswith(message)
    assert "\n" not in str(error.value)
