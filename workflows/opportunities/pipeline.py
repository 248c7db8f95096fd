"""A pipeline's stages, read from its deployed diagram (nothing about stages lives here).

A stage is a user task with a ``stage`` property; ``probability`` and ``playbook``
("action; action; ...") are optional properties beside it. Any other element with a
``stage`` property (an end event, or a gateway where a lost deal waits to be reopened) is
a closed state; its stage doubles as the opportunity's status when it is one of ``won``,
``lost`` or ``abandoned``.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from engine import Element, ProcessEngine

from .models import STATUSES


@dataclass(frozen=True)
class Stage:
    key: str
    name: str
    probability: int
    playbook: tuple[str, ...] = ()
    instructions: str = ""
    closed: bool = False

    @property
    def status(self) -> str:
        """The opportunity status this stage means: open stages are "open"."""
        return closed_status(self.key, self.probability) if self.closed else "open"


def closed_status(stage: str, chance: int) -> str:
    """A closed state's status: its stage when that names one, else won at 100%, else lost."""
    return stage if stage in STATUSES else "won" if chance >= 100 else "lost"


def stages(engine: ProcessEngine, session: Session, definition_id: int) -> list[Stage]:
    """Open stages in flow order, then the closed states (won, lost, abandoned), of one deployed version."""
    found = [_stage(e) for e in engine.outline(session, definition_id) if e.properties.get("stage")]
    unique: dict[str, Stage] = {}
    for stage in found:
        unique.setdefault(stage.key, stage)
    closed = sorted((s for s in unique.values() if s.closed), key=lambda s: STATUSES.index(s.status))
    return [s for s in unique.values() if not s.closed] + closed


def probability(raw: str | None) -> int:
    """A probability property as a whole percentage; anything unreadable counts as 0."""
    try:
        return max(0, min(100, round(float(raw or 0))))
    except ValueError:
        return 0


def _stage(element: Element) -> Stage:
    props = element.properties
    actions = tuple(a.strip() for a in props.get("playbook", "").split(";") if a.strip())
    return Stage(key=props["stage"], name=element.name, probability=probability(props.get("probability")),
                 playbook=actions, instructions=element.documentation,
                 closed=element.kind != "user_task")
