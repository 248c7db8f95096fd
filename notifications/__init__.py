"""Email, SMS and in-app notifications, delivered after the transaction that caused them.

Everything that tells a person something calls :func:`notify` with a :class:`Notice`.
"""

from .delivery import PREFERENCES_PATH, Outcome, Postman, Senders
from .dispatch import DELIVER_TASK, SWEEP_TASK, CeleryDispatcher, Dispatcher, InlineDispatcher, install
from .notify import Notice, Recipient, notify
from .preferences import CHANNELS, KINDS, channels_for, preferences_of, set_preferences
from .sweep import SWEEP_INTERVAL_SECONDS, requeue_stale

__all__ = [
    "CHANNELS", "DELIVER_TASK", "KINDS", "PREFERENCES_PATH", "SWEEP_INTERVAL_SECONDS", "SWEEP_TASK",
    "CeleryDispatcher", "Dispatcher", "InlineDispatcher", "Notice", "Outcome", "Postman", "Recipient",
    "Senders", "channels_for", "install", "notify", "preferences_of", "requeue_stale", "set_preferences",
]
