"""Logging in and passwords: credentials, the login rate limit, changing one's password.

Failed attempts are recorded in the database so the limit holds across web processes.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import cache
from math import ceil
from typing import NoReturn

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import NotFound, PermissionDenied, reject_fields
from core.phrases import Phrase
from core.uow import UnitOfWork

from .models import LoginFailure, User
from .passwords import hash_password, needs_rehash, verify_password
from .rules import password_problems

USER_FAILURE_LIMIT = 5
IP_FAILURE_LIMIT = 20
FAILURE_WINDOW = timedelta(minutes=15)
WRONG_CREDENTIALS = Phrase("Wrong username or password")
DEACTIVATED = Phrase("This account is deactivated")


class InvalidCredentials(PermissionDenied):
    """Login refused: unknown user, wrong password or a deactivated account."""


class TooManyAttempts(PermissionDenied):
    """Login refused before the password is checked, so guessing gains nothing."""

    def __init__(self, message: str, retry_after: timedelta) -> None:
        super().__init__(message)
        self.retry_after = retry_after


# --- logging in -------------------------------------------------------------------------


def normalize_username(username: str) -> str:
    """Usernames are stored lower-case, so "Zhang.Wei" and "zhang.wei" are one account."""
    return username.strip().lower()


def authenticate(session: Session, username: str, password: str, ip: str, now: datetime) -> User:
    """The active user with these credentials, or InvalidCredentials / TooManyAttempts.

    A failed attempt adds a ``LoginFailure`` row and *then* raises: the caller must commit
    the session on InvalidCredentials too (``log_in`` does), or the rate limit never sees
    the failures. Success clears nothing: old failures simply age out of the window.
    """
    name, ip = normalize_username(username)[:100], ip[:64]  # the LoginFailure column sizes
    check_login_rate(session, name, ip, now)
    user = session.scalar(select(User).where(User.username == name))
    if user is None:
        verify_password(_dummy_hash(), password)  # same cost as a real check: no timing oracle
        _refuse(session, name, ip, now, WRONG_CREDENTIALS)
    if not verify_password(user.password_hash, password):
        _refuse(session, name, ip, now, WRONG_CREDENTIALS)
    if not user.active:
        _refuse(session, name, ip, now, DEACTIVATED)
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def log_in(uow: UnitOfWork, username: str, password: str, ip: str, now: datetime) -> User:
    """``authenticate`` as a whole use case: commits on success and on a refused password."""
    try:
        user = authenticate(uow.session, username, password, ip, now)
    except InvalidCredentials:
        uow.commit()  # keep the LoginFailure row: the rate limit depends on it
        raise
    uow.commit()
    return user


def check_login_rate(session: Session, username: str, ip: str, now: datetime) -> None:
    """Refuse a login once the username or the IP has too many failures in the window."""
    since = now - FAILURE_WINDOW
    for column, value, limit in ((LoginFailure.username, username, USER_FAILURE_LIMIT),
                                 (LoginFailure.ip, ip, IP_FAILURE_LIMIT)):
        # The limit-th most recent failure: once it ages out, attempts are allowed again.
        blocking = session.scalar(
            select(LoginFailure.at).where(column == value, LoginFailure.at > since)
            .order_by(LoginFailure.at.desc()).offset(limit - 1).limit(1)
        )
        if blocking is not None:
            wait = blocking + FAILURE_WINDOW - now
            minutes = max(1, ceil(wait.total_seconds() / 60))
            raise TooManyAttempts(
                Phrase("Too many failed logins; try again in 1 minute") if minutes == 1
                else Phrase("Too many failed logins; try again in %(minutes)s minutes", minutes=minutes),
                wait)


def record_failed_login(session: Session, username: str, ip: str, now: datetime) -> None:
    """Remember a failure in the database, so the limit holds across web processes."""
    session.add(LoginFailure(username=normalize_username(username)[:100], ip=ip[:64], at=now))
    session.flush()


def _refuse(session: Session, username: str, ip: str, now: datetime, message: str) -> NoReturn:
    record_failed_login(session, username, ip, now)
    raise InvalidCredentials(message)


@cache
def _dummy_hash() -> str:
    return hash_password("not-a-real-password")


def change_password(session: Session, user_id: int, current: str, new: str) -> None:
    """A user changes their own password; the current one proves it is really them."""
    user = session.get(User, user_id)
    if user is None or not user.active:
        raise NotFound(Phrase("User %(id)s does not exist", id=user_id))
    problems: dict[str, Phrase] = {}
    if not verify_password(user.password_hash, current):
        problems["current_password"] = Phrase("the current password is wrong")
    problems |= password_problems("new_password", new)
    reject_fields(problems)
    user.password_hash = hash_password(new)
