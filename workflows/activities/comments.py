"""Comments on activities: a manager's remark on a rep's visit log, and the thread under it.

Whoever may see the record may comment; the activity's author reads the thread even once
the record is out of their sight. Someone else's comment tells the author, with a link to
the record (or to the activity itself when the author can no longer see the record).
Functions work in the caller's ``Session`` and never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from core.errors import NotFound
from core.phrases import Phrase
from notifications import Notice, notify
from workflows.inputs import Checker
from workflows.org.recipients import display_name, recipient
from workflows.org.visibility import Viewer, viewer_for

from .models import Activity, ActivityComment
from .records import RECORDS, record_path, record_titles

MAX_COMMENT = 2000
COMMENT_KIND = "activity_comment"  # a kind of its own, so reps choose its channels apart from reminders


@dataclass(frozen=True)
class Thread:
    """An activity with its comments as one viewer reads it."""

    activity: Activity
    record: str  # the record's name
    record_visible: bool  # whether the viewer sees the record, and so may comment and follow the link

    @property
    def path(self) -> str:
        return record_path(self.activity.subject_type, self.activity.subject_id)


def thread_of(session: Session, viewer: Viewer, activity_id: int) -> Thread:
    """The activity and its comments, for its author or anyone who may see its record."""
    activity = session.scalars(select(Activity).options(selectinload(Activity.comments))
                               .where(Activity.id == activity_id)).first()
    if activity is None:
        raise _missing()
    visible = _sees_record(session, viewer, activity)
    if not visible and activity.owner != viewer.username:
        raise _missing()
    return Thread(activity, _title(session, activity), visible)


def add_comment(session: Session, viewer: Viewer, activity_id: int, body: str,
                now: datetime) -> ActivityComment:
    """Comment on an activity whose record the viewer may see; its author hears of it."""
    activity = session.get(Activity, activity_id)
    if activity is None or not _sees_record(session, viewer, activity):
        raise _missing()
    check = Checker()
    text = check.text("body", body, MAX_COMMENT, required=True)
    check.done()
    comment = ActivityComment(activity_id=activity.id, author=viewer.username, body=text, created_at=now)
    session.add(comment)
    session.flush()
    if activity.owner != viewer.username:
        _tell_author(session, viewer, activity, comment, now)
    return comment


def _tell_author(session: Session, commenter: Viewer, activity: Activity, comment: ActivityComment,
                 now: datetime) -> None:
    author = recipient(session, activity.owner)
    if author is None:  # gone or deactivated: nobody to tell
        return
    author_view = viewer_for(session, author.user_id)
    sees = author_view is not None and _sees_record(session, author_view, activity)
    link = f"{record_path(activity.subject_type, activity.subject_id)}#activity-{activity.id}" if sees \
        else f"/activities/{activity.id}"
    notify(session, Notice(
        recipient=author, kind=COMMENT_KIND, template="activity_comment",
        idempotency_key=f"activity-comment:{comment.id}", link=link,
        context={"commenter": display_name(session, commenter.username), "record": _title(session, activity),
                 "kind": activity.kind, "happened_at": activity.happened_at, "comment": comment.body}), now)


def _sees_record(session: Session, viewer: Viewer, activity: Activity) -> bool:
    try:
        RECORDS[activity.subject_type](session, viewer, activity.subject_id)
    except NotFound:
        return False
    return True


def _title(session: Session, activity: Activity) -> str:
    ref = (activity.subject_type, activity.subject_id)
    return record_titles(session, [ref]).get(ref, "")


def _missing() -> NotFound:
    return NotFound(Phrase("This activity does not exist"))
