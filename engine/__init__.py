"""BPMN runtime over SpiffWorkflow: deploy versions, run instances, project tasks and timers.

Knows nothing of CRM objects; ``workflows`` plugs in through :class:`ServiceRegistry`
and a business-column resolver.
"""

from .api import ProcessEngine
from .decisions import Decision, MatchedRule, decide
from .diffing import Change, diff_definitions, diff_sources
from .errors import (
    DecisionInputInvalid,
    DecisionNotFound,
    DefinitionNotFound,
    DeployError,
    FormInvalid,
    InstanceBusy,
    NoMatchingWait,
    Problem,
    ProcessStepFailed,
    TaskAlreadyCompleted,
    TaskAssignedToOther,
    TaskNotFound,
)
from .forms import FormField
from .lint import check_design
from .migration import Migrated, MigrationCheck, MigrationRefused
from .models import EngineTimer, HistoryEvent, HumanTask, ProcessDefinition, ProcessInstance
from .monitoring import (
    ElementTime,
    InstancePage,
    RunningInstance,
    VersionCounts,
    WaitingWork,
    running_instances,
    time_per_element,
    version_counts,
    versions_of,
    waiting_work,
)
from .outline import Element
from .projection import BusinessColumns, business_from_data
from .queries import TaskFilter, catalogue, count_tasks, history, instance_view, list_tasks, task_completion
from .services import ServiceCall, ServiceRegistry
from .specs import Starters
from .timers import SweepReport, fire_due_timers

__all__ = [
    "BusinessColumns",
    "Change",
    "Decision",
    "DecisionInputInvalid",
    "DecisionNotFound",
    "DefinitionNotFound",
    "DeployError",
    "Element",
    "ElementTime",
    "EngineTimer",
    "FormField",
    "FormInvalid",
    "HistoryEvent",
    "HumanTask",
    "InstanceBusy",
    "InstancePage",
    "MatchedRule",
    "Migrated",
    "MigrationCheck",
    "MigrationRefused",
    "NoMatchingWait",
    "Problem",
    "ProcessDefinition",
    "ProcessEngine",
    "ProcessInstance",
    "ProcessStepFailed",
    "RunningInstance",
    "ServiceCall",
    "ServiceRegistry",
    "Starters",
    "SweepReport",
    "TaskAlreadyCompleted",
    "TaskAssignedToOther",
    "TaskFilter",
    "TaskNotFound",
    "VersionCounts",
    "WaitingWork",
    "business_from_data",
    "catalogue",
    "check_design",
    "count_tasks",
    "decide",
    "diff_definitions",
    "diff_sources",
    "fire_due_timers",
    "history",
    "instance_view",
    "list_tasks",
    "running_instances",
    "task_completion",
    "time_per_element",
    "version_counts",
    "versions_of",
    "waiting_work",
]
