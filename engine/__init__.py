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
from .models import EngineTimer, HistoryEvent, HumanTask, ProcessDefinition, ProcessInstance
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
    "EngineTimer",
    "FormField",
    "FormInvalid",
    "HistoryEvent",
    "HumanTask",
    "InstanceBusy",
    "MatchedRule",
    "NoMatchingWait",
    "Problem",
    "ProcessDefinition",
    "ProcessEngine",
    "ProcessInstance",
    "ProcessStepFailed",
    "ServiceCall",
    "ServiceRegistry",
    "Starters",
    "SweepReport",
    "TaskAlreadyCompleted",
    "TaskAssignedToOther",
    "TaskFilter",
    "TaskNotFound",
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
    "task_completion",
]
