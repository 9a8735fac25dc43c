"""Where they meet: incidents, the case workflow and its log, the Mesa model, its metrics.

Example:
    >>> from coordination import JointEnforcementModel
    >>> JointEnforcementModel(scale=0.02, rng=1).config.town.name
    'N town'
"""

from coordination.case_log import STEP_ZH, Step
from coordination.metrics import METRIC_NAMES, compute_metrics
from coordination.model import JointEnforcementModel
from coordination.workflow import Case, CaseState, CaseWorkflow, WorkflowError

__all__ = [
    "METRIC_NAMES",
    "STEP_ZH",
    "Case",
    "CaseState",
    "CaseWorkflow",
    "JointEnforcementModel",
    "Step",
    "WorkflowError",
    "compute_metrics",
]
