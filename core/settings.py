"""Settings read from ``DEALFLOW_*`` environment variables and validated at start-up.

A bad value stops the process with one line naming the variable, never a traceback.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import parseaddr
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import available_timezones

from babel.numbers import is_currency
from holidays import list_supported_countries
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

PREFIX = "DEALFLOW_"
DEFAULT_SECRET = "dev-only-secret-change-me"  # noqa: S105 - refused in production
_DATABASE_SCHEMES = ("sqlite", "postgresql")
_BROKER_SCHEMES = ("redis", "rediss", "amqp", "amqps", "memory")
DEFAULT_MAIL_FROM = "Dealflow <dealflow@localhost>"
DEFAULT_BASE_URL = "http://127.0.0.1:5000"


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names the variable."""


@dataclass(frozen=True)
class Settings:
    database_url: str
    secret_key: str = DEFAULT_SECRET
    broker_url: str | None = None
    smtp_url: str | None = None
    sms_url: str | None = None
    mail_from: str = DEFAULT_MAIL_FROM
    base_url: str = DEFAULT_BASE_URL
    production: bool = False
    demo: bool = False
    scheduler: str = "embedded"
    timer_interval_seconds: float = 5.0
    max_upload_bytes: int = 2 * 1024 * 1024
    currency: str = "CNY"
    holidays: str = "CN"  # whose public holidays (and make-up working days) working days skip
    time_zone: str = "Asia/Shanghai"  # the company's: where a working day starts and ends
    digest_hour: int = 8  # the company's hour of day the daily digest and reminders go out
    reminder_days: int = 3  # days ahead of a contact's birthday or a public holiday the owner is reminded

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, instance_path: Path | None = None
    ) -> Settings:
        """Build settings from the environment; defaults give the embedded SQLite setup."""
        env = os.environ if environ is None else environ
        instance = instance_path or Path.cwd() / "instance"

        def get(name: str) -> str | None:
            return env.get(PREFIX + name) or None

        production = get("ENV") == "production"
        settings = cls(
            database_url=get("DATABASE_URL") or f"sqlite:///{instance / 'dealflow.db'}",
            secret_key=get("SECRET_KEY") or DEFAULT_SECRET,
            broker_url=get("BROKER_URL"),
            smtp_url=get("SMTP_URL"),
            sms_url=get("SMS_URL"),
            mail_from=get("MAIL_FROM") or DEFAULT_MAIL_FROM,
            base_url=(get("BASE_URL") or DEFAULT_BASE_URL).rstrip("/"),
            production=production,
            demo=(get("DEMO") or ("0" if production else "1")) in ("1", "true", "yes"),
            scheduler=get("SCHEDULER") or ("celery" if get("BROKER_URL") else "embedded"),
            timer_interval_seconds=_number(get("TIMER_INTERVAL") or "5", "TIMER_INTERVAL"),
            max_upload_bytes=int(_number(get("MAX_UPLOAD_BYTES") or "2097152", "MAX_UPLOAD_BYTES")),
            currency=(get("CURRENCY") or "CNY").upper(),
            holidays=(get("HOLIDAYS") or "CN").upper(),
            time_zone=get("TIME_ZONE") or "Asia/Shanghai",
            digest_hour=_whole(get("DIGEST_HOUR") or "8", "DIGEST_HOUR", 0, 23),
            reminder_days=_whole(get("REMINDER_DAYS") or "3", "REMINDER_DAYS", 1, 30),
        )
        settings.validate()
        return settings

    def validate(self) -> None:
        """Raise :class:`SettingsError` naming the first bad variable."""
        _check_database_url(self.database_url)
        if self.broker_url:
            _check_url(self.broker_url, "BROKER_URL", _BROKER_SCHEMES)
        if self.smtp_url:
            _check_url(self.smtp_url, "SMTP_URL", ("smtp", "smtps"), needs_host=True)
        _check_delivery(self)
        if self.scheduler not in ("embedded", "celery", "off"):
            raise SettingsError(
                f"{PREFIX}SCHEDULER must be one of embedded, celery, off (got {self.scheduler!r})"
            )
        if self.scheduler == "celery" and not self.broker_url:
            raise SettingsError(f"{PREFIX}SCHEDULER=celery needs {PREFIX}BROKER_URL")
        if self.production and self.secret_key == DEFAULT_SECRET:
            raise SettingsError(f"{PREFIX}SECRET_KEY must be set in production")
        if not is_currency(self.currency):
            raise SettingsError(
                f"{PREFIX}CURRENCY must be an ISO 4217 code such as CNY (got {self.currency!r})"
            )
        if self.holidays not in list_supported_countries():
            raise SettingsError(
                f"{PREFIX}HOLIDAYS must be a country code the holidays library knows, such as CN "
                f"(got {self.holidays!r})"
            )
        if self.time_zone not in available_timezones():
            raise SettingsError(
                f"{PREFIX}TIME_ZONE must be an IANA time zone such as Asia/Shanghai (got {self.time_zone!r})"
            )
        if self.timer_interval_seconds <= 0:
            raise SettingsError(f"{PREFIX}TIMER_INTERVAL must be a positive number of seconds")


def _number(raw: str, name: str) -> float:
    try:
        return float(raw)
    except ValueError:
        raise SettingsError(f"{PREFIX}{name} must be a number (got {raw!r})") from None


def _whole(raw: str, name: str, low: int, high: int) -> int:
    if not (raw.isascii() and raw.isdigit() and low <= int(raw) <= high):
        raise SettingsError(f"{PREFIX}{name} must be a whole number from {low} to {high} (got {raw!r})")
    return int(raw)


def _check_database_url(url: str) -> None:
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise SettingsError(f"{PREFIX}DATABASE_URL is not a database URL: {url!r}") from None
    if parsed.get_backend_name() not in _DATABASE_SCHEMES:
        raise SettingsError(
            f"{PREFIX}DATABASE_URL must use sqlite or postgresql (got {parsed.drivername!r})"
        )


def _check_url(url: str, name: str, schemes: tuple[str, ...], needs_host: bool = False) -> None:
    parts = urlsplit(url)
    if parts.scheme not in schemes:
        raise SettingsError(
            f"{PREFIX}{name} must start with one of {', '.join(s + '://' for s in schemes)}"
            f" (got {_without_password(url)!r})"
        )
    try:
        parts.port  # noqa: B018 - urlsplit checks the port only when asked
    except ValueError:
        raise SettingsError(f"{PREFIX}{name} has a bad port (got {_without_password(url)!r})") from None
    if needs_host and not parts.hostname:
        raise SettingsError(f"{PREFIX}{name} must name a host (got {_without_password(url)!r})")


def _check_delivery(settings: Settings) -> None:
    """Where notifications go: the SMS gateway, the sender address, the site's own address."""
    if settings.sms_url:
        _check_url(settings.sms_url, "SMS_URL", ("http", "https"), needs_host=True)
    _check_url(settings.base_url, "BASE_URL", ("http", "https"), needs_host=True)
    if "@" not in parseaddr(settings.mail_from)[1]:
        raise SettingsError(f"{PREFIX}MAIL_FROM must be an email address (got {settings.mail_from!r})")


def _without_password(url: str) -> str:
    """The URL as it may appear in an error message: a password never does."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@", 1)).geturl()
