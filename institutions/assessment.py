"""Assessment and authority rules: what each outcome of a work order costs a handler.

The levers say what is assessed and who may order whom; :func:`stakes_for` turns them into
the numbers the handlers' decision rule reads, in officer-hour equivalents per order.

Example:
    >>> from institutions import load_preset, apply_reforms
    >>> n_town = load_preset("n_town")
    >>> stakes_for(n_town, "department", "public_works").decline
    2.0
    >>> stakes_for(apply_reforms(n_town, ["department_kpis"]), "department", "public_works").decline
    5.0
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from institutions.schema import TownConfig

HandlerKind = Literal["department", "property_manager"]


@dataclass(frozen=True)
class Stakes:
    """Expected costs (+) and rewards (−) of outcomes of one order, for one handler."""

    decline: float          # declining an order ("not ours")
    false_closure: float    # a superficial fix or paper closure caught by the check
    rework: float           # the rework KPI, per case sent back
    late: float             # the on-time KPI, per order finished after its deadline
    unresolved: float       # the verified-resolution KPI, lost by a closure without a real fix
    closure: float          # the closure KPI, per order closed on time
    harm: float             # a resident hurt while the problem is in the handler's hands
    dissatisfied: float = 0.0  # the satisfaction KPI, per caller not satisfied at the call-back


def stakes_for(cfg: TownConfig, kind: HandlerKind, handler_id: str,
               rank_factor: float | None = None, street_factor: float | None = None) -> Stakes:
    """The stakes of one handler under the town's incentives and institutions.

    Under a public ranking a department's KPI stakes are multiplied by its ``rank_factor`` from
    the last ranking (:mod:`coordination.ranking`), by ``ranking_multiplier`` before one. In a
    city whose league table ranks the streets (排名), the street passes its own rank's factor on
    to the departments it can summon: their KPI stakes are multiplied by ``street_factor``
    (None: no city ranking).

    Example:
        >>> from institutions import load_preset, apply_reforms
        >>> kpis = apply_reforms(load_preset("n_town"), ["department_kpis"])
        >>> stakes_for(kpis, "department", "public_works", street_factor=2.0).decline
        8.0
    """
    base, inst = cfg.incentives, cfg.institutions
    a, auth = inst.assessment, inst.authority
    rework = late = unresolved = closure = dissatisfied = 0.0
    harm = base.harm_penalty
    decline = base.decline_penalty
    false_closure = base.false_closure_penalty
    if a.kind in ("department_kpis", "public_ranking") and kind == "department":
        factor = a.ranking_multiplier if rank_factor is None else rank_factor
        scale = a.stakes * (factor if a.kind == "public_ranking" else 1.0)
        if street_factor is not None:
            scale *= street_factor
        w = a.weights
        decline += scale * w.declines
        rework, late = scale * w.rework, scale * w.on_time
        unresolved, closure = scale * w.verified_resolution, scale * w.closures
        dissatisfied = scale * w.satisfaction
    elif a.kind == "outcome_subjective" and handler_id in a.covers:
        harm += a.stakes * 0.5  # an injury on one's watch spoils the subjective rating
    commanded = auth.kind == "command" and (kind == "department" or auth.covers_property_managers)
    if commanded:
        decline += auth.order_penalty
        false_closure += auth.order_penalty / 2
    return Stakes(decline=decline, false_closure=false_closure, rework=rework, late=late,
                  unresolved=unresolved, closure=closure, harm=harm, dissatisfied=dissatisfied)
