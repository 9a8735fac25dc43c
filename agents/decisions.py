"""How a department or property manager responds to a work order: the decision rule.

The handler compares four responses by their expected cost, in officer-hour equivalents:

- ``full`` fix: the work itself, ``effort × hour_cost × load``;
- ``superficial`` fix (a warning sign): a share of that work, plus the risk that the on-site
  check catches it (false-closure penalty and the full work after all), plus the expected
  harm penalty while the hazard stays, plus the handler's own professional norm against
  cutting corners, ``integrity`` per hour of effort the job needs (not raised by load);
- closure on ``paper``: no work, a higher chance of being caught, twice the norm cost;
- ``decline`` ("not ours"): the decline penalty and the full work if the order comes back,
  weighted by how clearly the mandate map makes the order the handler's own (one owner: 1;
  n plausible owners: 1/n).

``load`` grows with the work already queued, so an overloaded handler cuts more corners. The
handler picks a response with logit (softmax) probabilities at ``choice_temperature``, so
similar costs give mixed behaviour. A ``compliant`` handler always accepts and fully fixes:
a reference point for researchers. The institutional levers act by changing the numbers this
rule reads (``[incentives]`` and the centre's detection probabilities).

Example:
    >>> costs = response_costs(effort=6.0, unit=3.0, share=0.1, blame=1.0, detect_superficial=0.35,
    ...                        detect_paper=0.9, decline_penalty=1.0, false_closure_penalty=1.5,
    ...                        harm_cost_unsolved=0.0, harm_cost_partial=0.0, integrity=0.0)
    >>> min(costs, key=costs.get)   # the property manager's warning sign
    'superficial'
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from agents.organisation import WorkOrderHandler
    from coordination.workflow import Case

RESPONSES = ("full", "superficial", "paper", "decline")


def response_costs(*, effort: float, unit: float, share: float, blame: float,
                   detect_superficial: float, detect_paper: float, decline_penalty: float,
                   false_closure_penalty: float, harm_cost_unsolved: float,
                   harm_cost_partial: float, integrity: float) -> dict[str, float]:
    """Expected cost of each response to one work order (see the module docstring)."""
    full = effort * unit
    caught = false_closure_penalty + full
    norm = integrity * effort
    return {
        "full": full,
        "superficial": share * full + detect_superficial * caught + harm_cost_partial + norm,
        "paper": detect_paper * caught + harm_cost_unsolved + 2 * norm,
        "decline": blame * (decline_penalty + full),
    }


def choose_response(handler: WorkOrderHandler, case: Case, *, may_decline: bool = True) -> str:
    """The handler's response to ``case``: one of :data:`RESPONSES`."""
    if handler.spec.behaviour == "compliant":
        return "full"
    model = handler.model
    inc, cfg = case.incident, model.config
    incentives, centre = cfg.incentives, cfg.centre
    load = 1.0 + incentives.load_sensitivity * handler.load()
    horizon = inc.kind.deadline_hours
    harm_unsolved = incentives.harm_penalty * (1 - math.exp(-inc.harm_rate() * horizon))
    partial_rate = inc.harm_rate() * inc.kind.hazard.partial_fix_factor
    harm_partial = incentives.harm_penalty * (1 - math.exp(-partial_rate * horizon))
    costs = response_costs(
        effort=inc.effort, unit=handler.spec.hour_cost * load, share=inc.kind.superficial_share,
        blame=model.centre.blame(case, handler), detect_superficial=centre.detect_superficial,
        detect_paper=centre.detect_paper, decline_penalty=incentives.decline_penalty,
        false_closure_penalty=incentives.false_closure_penalty,
        harm_cost_unsolved=harm_unsolved, harm_cost_partial=harm_partial,
        integrity=handler.spec.integrity)
    options = [r for r in RESPONSES if may_decline or r != "decline"]
    scale = incentives.choice_temperature
    low = min(costs[r] for r in options)
    weights = [math.exp(-(costs[r] - low) / scale) for r in options]
    pick = model.org_rng.random() * sum(weights)
    for option, weight in zip(options, weights, strict=True):
        pick -= weight
        if pick < 0:
            return option
    return options[-1]
