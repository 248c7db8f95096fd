"""Settings: sensible embedded defaults, and one clear line for each bad value."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.settings import Settings, SettingsError


def test_defaults_give_the_embedded_setup(tmp_path: Path):
    settings = Settings.from_env({}, instance_path=tmp_path)
    assert settings.database_url == f"sqlite:///{tmp_path / 'dealflow.db'}"
    assert settings.scheduler == "embedded" and settings.broker_url is None


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
    ],
)
def test_bad_values_name_the_variable(environ: dict[str, str], message: str):
    with pytest.raises(SettingsError) as error:
        Settings.from_env(environ)
    assert str(error.value).startswith(message)
    assert "\n" not in str(error.value)
