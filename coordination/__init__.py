"""Where they meet: incidents, the case workflow and its log, the Mesa model, its metrics.

Example:
    >>> from coordination import JointEnforcementModel
    >>> JointEnforcementModel(scale=0.02, rng=1).config.town.name
    'N town'
"""

from coordination.case_log import SCHEMA_VERSION, ActorKind, Outcome, Reason, Step
from coordination.model import JointEnforcementModel
from coordination.tally import METRIC_NAMES, METRICS, Tally
from coordination.workflow import Case, CaseState, CaseWorkflow, WorkflowError

__all__ = [
    "METRICS",
    "METRIC_NAMES",
    "SCHEMA_VERSION",
    "ActorKind",
    "Case",
    "CaseState",
    "CaseWorkflow",
    "JointEnforcementModel",
    "Outcome",
    "Reason",
    "Step",
    "Tally",
    "WorkflowError",
]
