"""How a department or property manager responds to a work order: the decision rule.

The handler compares four responses by their expected cost, in officer-hour equivalents,
using what the institutions make each outcome cost it (:class:`institutions.assessment.Stakes`)
and what it has learned about the checks:

- ``full`` fix: the work, ``W·u/s`` (effort × hour cost × load, divided by the crew's skill in
  the problem's domain: the unskilled take longer), plus the on-time KPI if it will finish late,
  minus the closure KPI if it will close on time;
- ``superficial`` fix (a warning sign): a share of the work; with the believed chance ``dₛ``
  that the check catches it, the false-closure penalty, the rework KPI and the full work after
  all; otherwise the verified-resolution KPI it forfeits, less the closure KPI it earns; plus
  the harm penalty while the lowered hazard stays, and a professional norm ``integrity × W``;
- closure on ``paper``: no work, the same with the believed ``dₚ``, the full hazard, twice
  the norm;
- ``decline`` ("not ours"): the decline penalty, which a decline incurs for certain, plus the
  full work weighted by the believed chance that the order comes back (one owner: 1; n
  plausible owners: 1/n to start with).

``u = hour_cost × (1 + load_sensitivity × load)`` grows with the work already queued, so an
overloaded handler cuts more corners. An owner bound by a leader or a meeting may not decline,
and faking a bound order costs extra. The handler picks with logit (softmax) probabilities at
``choice_temperature``. A ``compliant`` handler always accepts and fully fixes: a reference
point for researchers.

Example:
    >>> from institutions.assessment import Stakes
    >>> n_town = Stakes(decline=2, false_closure=1.5, rework=0, late=0, unresolved=0, closure=0,
    ...                 harm=0)
    >>> costs = response_costs(effort=6.0, unit=3.0, share=0.1, blame=1.0, detect_superficial=0.35,
    ...                        detect_paper=0.9, stakes=n_town, late_full=False, late_superficial=False,
    ...                        risk_unsolved=0.0, risk_partial=0.0, integrity=0.0)
    >>> min(costs, key=costs.get)   # the property manager's warning sign
    'superficial'
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from agents.organisation import WorkOrderHandler
    from coordination.workflow import Case
    from institutions.assessment import Stakes

RESPONSES = ("full", "superficial", "paper", "decline")


def response_costs(*, effort: float, unit: float, share: float, blame: float,
                   detect_superficial: float, detect_paper: float, stakes: Stakes,
                   late_full: bool, late_superficial: bool, risk_unsolved: float,
                   risk_partial: float, integrity: float, bound: float = 0.0,
                   skill: float = 1.0) -> dict[str, float]:
    """Expected cost of each response to one work order (see the module docstring)."""
    work = effort * unit / skill
    caught = stakes.false_closure + bound + stakes.rework + work
    passed = stakes.unresolved  # a closure that passes without a real fix forfeits this KPI
    norm = integrity * effort
    return {
        "full": work + (stakes.late if late_full else -stakes.closure),
        "superficial": share * effort * unit + detect_superficial * caught
        + (1 - detect_superficial) * (passed - (0.0 if late_superficial else stakes.closure))
        + (stakes.late if late_superficial else 0.0) + stakes.harm * risk_partial + norm,
        "paper": detect_paper * caught + (1 - detect_paper) * (passed - stakes.closure)
        + stakes.harm * risk_unsolved + 2 * norm,
        "decline": stakes.decline + blame * work,
    }


def choose_response(handler: WorkOrderHandler, case: Case, *, may_decline: bool = True
                    ) -> tuple[str, dict[str, float]]:
    """The handler's response to ``case`` (one of :data:`RESPONSES`) and the expected costs it
    weighed (empty for a compliant handler, which does not weigh)."""
    if handler.spec.behaviour == "compliant":
        return "full", {}
    model = handler.model
    inc, incentives = case.incident, model.config.incentives
    load = 1.0 + incentives.load_sensitivity * handler.load()
    horizon = inc.kind.deadline_hours
    rate = inc.harm_rate()
    share = inc.kind.superficial_share
    deadline = case.deadline if case.deadline is not None else math.inf
    costs = response_costs(
        effort=inc.effort, unit=handler.spec.hour_cost * load, share=share,
        blame=handler.expected_return(case), detect_superficial=handler.belief["superficial"],
        detect_paper=handler.belief["paper"], stakes=handler.stakes(),
        late_full=handler.expected_finish(case, "full") > deadline,
        late_superficial=handler.expected_finish(case, "superficial") > deadline,
        risk_unsolved=1 - math.exp(-rate * horizon),
        risk_partial=1 - math.exp(-rate * inc.kind.hazard.partial_fix_factor * horizon),
        integrity=handler.spec.integrity, bound=case.bound, skill=handler.skill(inc))
    options = [r for r in RESPONSES if may_decline or r != "decline"]
    scale = incentives.choice_temperature
    low = min(costs[r] for r in options)
    weights = [math.exp(-(costs[r] - low) / scale) for r in options]
    pick = model.org_rng.random() * sum(weights)
    weighed = {r: costs[r] for r in options}
    for option, weight in zip(options, weights, strict=True):
        pick -= weight
        if pick < 0:
            return option, weighed
    return options[-1], weighed


def cost_columns(costs: dict[str, float]) -> dict[str, float]:
    """The costs a handler weighed, as the case log's columns (``cost_full`` …).

    Example:
        >>> cost_columns({"full": 18.0, "decline": 20.04})
        {'cost_full': 18.0, 'cost_decline': 20.04}
    """
    return {f"cost_{response}": cost for response, cost in costs.items()}
