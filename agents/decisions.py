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
  plausible owners: 1/n to start with);
- ``reclassify`` (a called-in ticket reported an unreasonable demand, 不合理诉求; only where the
  centre accepts such claims, with chance ``a``): accepted, nothing is assessed but the harm
  while the problem stays; refused, it is a decline; plus twice the norm, as for paper.

Under a satisfaction KPI a superficial fix or a paper closure also costs the callers it leaves
dissatisfied: per caller the KPI's stake times the chance they are not satisfied, or the cost
of working on them (做工作) and the stake times the chance that fails, whichever is less
(:func:`dissatisfaction_cost`). Where the centre grants deadline extensions, the on-time KPI
counts only when an extension would be refused.

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
from dataclasses import replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from agents.organisation import WorkOrderHandler
    from coordination.workflow import Case
    from institutions.assessment import Stakes

RESPONSES = ("full", "superficial", "paper", "decline", "reclassify")


def response_costs(*, effort: float, unit: float, share: float, blame: float,
                   detect_superficial: float, detect_paper: float, stakes: Stakes,
                   late_full: bool, late_superficial: bool, risk_unsolved: float,
                   risk_partial: float, integrity: float, bound: float = 0.0,
                   skill: float = 1.0, unhappy_superficial: float = 0.0,
                   unhappy_paper: float = 0.0, reclassify: float | None = None
                   ) -> dict[str, float]:
    """Expected cost of each response to one work order (see the module docstring);
    ``reclassify`` is the chance the centre accepts a reclassification (None: not open)."""
    work = effort * unit / skill
    caught = stakes.false_closure + bound + stakes.rework + work
    passed = stakes.unresolved  # a closure that passes without a real fix forfeits this KPI
    norm = integrity * effort
    decline = stakes.decline + blame * work
    costs = {
        "full": work + (stakes.late if late_full else -stakes.closure),
        "superficial": share * effort * unit + detect_superficial * caught
        + (1 - detect_superficial) * (passed + unhappy_superficial
                                      - (0.0 if late_superficial else stakes.closure))
        + (stakes.late if late_superficial else 0.0) + stakes.harm * risk_partial + norm,
        "paper": detect_paper * caught + (1 - detect_paper) * (passed + unhappy_paper
                                                               - stakes.closure)
        + stakes.harm * risk_unsolved + 2 * norm,
        "decline": decline,
    }
    if reclassify is not None:
        costs["reclassify"] = ((1 - reclassify) * decline + reclassify * stakes.harm * risk_unsolved
                               + 2 * norm)
    return costs


def dissatisfaction_cost(stake: float, satisfied: float, persuasion: float,
                         persuasion_cost: float) -> float:
    """What a caller left with an unsolved problem costs under a satisfaction KPI: the stake
    times the chance they say they are not satisfied (they are with chance ``satisfied``), or
    the cost of working on them (做工作) plus the stake times the chance that fails, if less.

    Example:
        >>> dissatisfaction_cost(stake=10.0, satisfied=0.2, persuasion=0.5, persuasion_cost=1.0)
        5.0
        >>> dissatisfaction_cost(stake=0.0, satisfied=0.2, persuasion=0.5, persuasion_cost=1.0)
        0.0
    """
    left = stake * (1 - satisfied)
    return min(left, persuasion_cost + left * (1 - persuasion))


def worth_working_on(stake: float, satisfied: float, persuasion: float,
                     persuasion_cost: float) -> bool:
    """Whether talking a caller round is worth its cost under a satisfaction KPI."""
    return stake > 0 and stake * (1 - satisfied) * persuasion > persuasion_cost


def choose_response(handler: WorkOrderHandler, case: Case, *, may_decline: bool = True
                    ) -> tuple[str, dict[str, float]]:
    """The handler's response to ``case`` (one of :data:`RESPONSES`) and the expected costs it
    weighed (empty for a compliant handler, which does not weigh)."""
    if handler.spec.behaviour == "compliant":
        return "full", {}
    model = handler.model
    cfg = model.config
    inc, incentives, gaming = case.incident, cfg.incentives, cfg.institutions.gaming
    load = 1.0 + incentives.load_sensitivity * handler.load()
    unit = handler.spec.hour_cost * load
    horizon = inc.kind.deadline_hours
    rate = inc.harm_rate()
    share = inc.kind.superficial_share
    deadline = case.deadline if case.deadline is not None else math.inf
    stakes = handler.stakes()
    if stakes.late and gaming.extension_grant and not case.extended:
        stakes = replace(stakes, late=stakes.late * (1 - gaming.extension_grant))
    callers = len(case.callers()) if stakes.dissatisfied else 0
    residents, cost = cfg.residents, gaming.persuasion_hours * unit
    reclassify = (gaming.reclassification_accepted
                  if gaming.reclassification_accepted and may_decline and case.called_in else None)
    costs = response_costs(
        effort=inc.effort, unit=unit, share=share,
        blame=handler.expected_return(case), detect_superficial=handler.belief["superficial"],
        detect_paper=handler.belief["paper"], stakes=stakes,
        late_full=handler.expected_finish(case, "full") > deadline,
        late_superficial=handler.expected_finish(case, "superficial") > deadline,
        risk_unsolved=1 - math.exp(-rate * horizon),
        risk_partial=1 - math.exp(-rate * inc.kind.hazard.partial_fix_factor * horizon),
        integrity=handler.spec.integrity, bound=case.bound, skill=handler.skill(inc),
        unhappy_superficial=callers * dissatisfaction_cost(
            stakes.dissatisfied, residents.satisfied_if_partial, gaming.persuasion, cost),
        unhappy_paper=callers * dissatisfaction_cost(
            stakes.dissatisfied, residents.satisfied_if_unsolved, gaming.persuasion, cost),
        reclassify=reclassify)
    options = [r for r in RESPONSES if r in costs and (may_decline or r != "decline")]
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
