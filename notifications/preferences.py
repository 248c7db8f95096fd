"""Which channels a user wants for each kind of notification.

Only explicit choices are stored, so a new user, or a kind added later, gets the default
(in-app and email, no SMS) without any migration of rows.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from core.errors import reject_fields
from core.phrases import Phrase

from .models import ChannelChoice

KINDS = ("task_assigned", "reminder", "activity_comment", "approval_decided", "recycled_to_pool",
         "daily_digest")
CHANNELS = ("in_app", "email", "sms")
DEFAULT_CHANNELS = frozenset({"in_app", "email"})

Choices = dict[str, frozenset[str]]


def preferences_of(session: Session, user_id: int) -> Choices:
    """Every kind with the channels the user gets it on (their choices over the defaults)."""
    return _merged(session, user_id, KINDS)


def channels_for(session: Session, user_id: int, kind: str) -> frozenset[str]:
    """The channels one notification of ``kind`` goes out on for this user."""
    check_kind(kind)
    return _merged(session, user_id, (kind,))[kind]


def _merged(session: Session, user_id: int, kinds: Collection[str]) -> Choices:
    chosen: dict[str, set[str]] = {kind: set(DEFAULT_CHANNELS) for kind in kinds}
    rows = session.execute(select(ChannelChoice.kind, ChannelChoice.channel, ChannelChoice.enabled)
                           .where(ChannelChoice.user_id == user_id, ChannelChoice.kind.in_(list(kinds))))
    for kind, channel, enabled in rows:
        if channel in CHANNELS:
            (chosen[kind].add if enabled else chosen[kind].discard)(channel)
    return {kind: frozenset(channels) for kind, channels in chosen.items()}


def set_preferences(session: Session, user_id: int, choices: Mapping[str, Collection[str]]) -> None:
    """Replace the user's choices; a kind left out keeps its default. Refused whole, naming
    the kind, when a kind or channel is unknown."""
    problems = {kind: Phrase("must be one of %(choices)s", choices=", ".join(KINDS))
                for kind in choices if kind not in KINDS}
    problems |= {kind: Phrase("must be one of %(choices)s", choices=", ".join(CHANNELS))
                 for kind, channels in choices.items() if kind in KINDS and set(channels) - set(CHANNELS)}
    reject_fields(problems)
    session.execute(delete(ChannelChoice).where(ChannelChoice.user_id == user_id,
                                                ChannelChoice.kind.in_(list(choices))))
    session.add_all(ChannelChoice(user_id=user_id, kind=kind, channel=channel, enabled=channel in wanted)
                    for kind, wanted in choices.items() for channel in CHANNELS)


def check_kind(kind: str) -> None:
    """A programming error, not user input: an unknown kind would silently reach no one."""
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind {kind!r}; known: {', '.join(KINDS)}")
