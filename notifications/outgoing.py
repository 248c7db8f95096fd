"""What the delivery loop hands a channel's sender, and the senders' contract.

Senders raise :class:`Undeliverable` when trying again cannot help (the address is
refused), and anything else for a passing failure, which is retried with back-off.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


class Undeliverable(Exception):
    """A permanent refusal; ``str()`` is the reason shown in the delivery log."""


@dataclass(frozen=True)
class OutgoingEmail:
    delivery_id: int
    to: str
    subject: str
    text: str
    html: str
    locale: str
    message_id: str  # the same on every attempt, so a receiving system can spot a repeat


@dataclass(frozen=True)
class OutgoingSms:
    delivery_id: int
    to: str
    text: str
    reference: str  # the same on every attempt, for the gateway's own de-duplication


class EmailSender(Protocol):
    def send(self, email: OutgoingEmail) -> None: ...


class SmsSender(Protocol):
    def send(self, sms: OutgoingSms) -> None: ...
