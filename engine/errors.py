"""Engine errors. Each message is written for the person who can act on it."""

from __future__ import annotations

from dataclasses import dataclass

from core.errors import Conflict, DealflowError, InvalidInput, NotFound
from core.phrases import Phrase


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a diagram, pinned to the element a designer must fix.

    ``severity`` is "error" (the engine refuses to deploy it, or an instance would fail or
    stall there) or "warning" (it runs, but not as its designer may expect).
    """

    message: str
    element_id: str | None = None
    element_name: str | None = None
    file: str | None = None
    severity: str = "error"

    @property
    def blocking(self) -> bool:
        return self.severity == "error"

    def __str__(self) -> str:
        where = [self.file] if self.file else []
        if self.element_id:
            named = f" ({self.element_name})" if self.element_name else ""
            where.append(f"element '{self.element_id}'{named}")
        return f"{', '.join(where)}: {self.message}" if where else self.message


class DeployError(InvalidInput):
    """The files cannot be deployed; ``problems`` names every offending element."""

    def __init__(self, problems: list[Problem]) -> None:
        summary = "; ".join(str(p) for p in problems[:3])
        more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
        super().__init__(f"Deployment rejected: {summary}{more}", [str(p) for p in problems])
        self.details = problems


class DefinitionNotFound(NotFound):
    pass


class InstanceNotFound(NotFound):
    pass


class DecisionNotFound(NotFound):
    """The process calls no decision table of that id."""


class DecisionInputInvalid(InvalidInput):
    """The data given cannot be fed to a decision table."""


class TaskNotFound(NotFound):
    pass


class TaskAlreadyCompleted(Conflict):
    pass


class TaskAssignedToOther(Conflict):
    pass


class InstanceBusy(Conflict):
    """Another request kept the instance locked longer than we were willing to wait."""


class InstanceNotRunning(Conflict):
    pass


class NoMatchingWait(NotFound):
    """A message arrived that no running instance with that business key waits for."""


class FormInvalid(InvalidInput):
    """Submitted task data failed the form's rules; ``field_errors`` maps field id to message."""

    def __init__(self, field_errors: dict[str, str]) -> None:
        fields = ", ".join(sorted(field_errors))
        super().__init__(Phrase("Please correct: %(fields)s", fields=fields),
                         [f"{k}: {v}" for k, v in field_errors.items()])
        self.field_errors = field_errors


class ProcessStepFailed(DealflowError):
    """An expression, script or service failed while the process was advancing."""

    def __init__(self, message: str, element_id: str | None = None) -> None:
        super().__init__(message)
        self.element_id = element_id
