"""Who patrols: the configured inspector teams as changed by training, outsourcing and
volunteers, and how each team is spread over the grids.

Example:
    >>> from institutions import load_preset, apply_reforms
    >>> [t.id for t in patrol_teams(apply_reforms(load_preset(), ["community_participation"]))]
    ['lian_qin', 'xiao_lian_qin', 'xin_xi_yuan', 'volunteers']
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from institutions.schema import InspectorTeam

if TYPE_CHECKING:
    from institutions.schema import TownConfig, WorkOrderHandler

COMPETENCE_CAP = 0.95


def patrol_teams(cfg: TownConfig) -> list[InspectorTeam]:
    """The inspector teams in force: trained, plus contractors and volunteers if any."""
    inst = cfg.institutions
    gain, licences = inst.training.competence_gain, inst.training.qualifications
    teams = []
    for team in cfg.inspectors:
        if gain or licences:
            domains = {k.domain for k in cfg.incident_kinds} | set(team.competence)
            team = team.model_copy(update={
                "competence": {d: min(COMPETENCE_CAP, team.competence.get(
                    d, team.default_competence) + gain) for d in sorted(domains)},
                "qualifications": sorted(set(team.qualifications) | set(licences)),
            })
        teams.append(team)
    out = inst.outsourcing
    if out.contractors > 0:
        teams.append(InspectorTeam(
            id="contractors", name="contractors", name_zh="外包专业服务", count=out.contractors,
            coverage_per_shift=0.1, competence=dict.fromkeys(out.domains, out.competence),
            default_competence=0.0, qualifications=out.qualifications, on_spot_fix=True))
    part = inst.participation
    volunteers = round(part.volunteers_per_10k * cfg.population / 10_000)
    if volunteers > 0:
        teams.append(InspectorTeam(
            id="volunteers", name="volunteers", name_zh="志愿者", count=volunteers,
            coverage_per_shift=0.05, default_competence=part.volunteer_competence,
            on_spot_fix=False))
    return teams


def handler_skill(cfg: TownConfig, spec: WorkOrderHandler, domain: str) -> float:
    """A handler's professional skill (专业性) in ``domain``, raised by training if it is trained.

    Example:
        >>> from institutions import load_preset, apply_reforms
        >>> d = apply_reforms(load_preset("d_street"), ["training"])
        >>> stations = next(h for h in d.departments if h.id == "workstations")
        >>> handler_skill(load_preset("d_street"), stations, "dispute"), handler_skill(d, stations, "dispute")
        (0.3, 0.55)
    """
    skill = spec.competence.get(domain, spec.default_competence)
    training = cfg.institutions.training
    if spec.id in training.handlers and skill < COMPETENCE_CAP:
        skill = min(COMPETENCE_CAP, skill + training.competence_gain)
    return skill


def grid_shares(cfg: TownConfig) -> dict[str, float]:
    """How a team is spread over grids: evenly (一刀切), or by expected problems (差别化治理)."""
    if cfg.institutions.targeting == "uniform":
        return {g.id: 1.0 / len(cfg.grids) for g in cfg.grids}
    kind_of_area = {a.id: a.kind for a in cfg.areas}
    load = {}
    for g in cfg.grids:
        load[g.id] = sum(k.rate_per_10k_day * g.population * k.area_factors.get(
            g.area, k.area_factors.get(kind_of_area[g.area], 1.0)) for k in cfg.incident_kinds)
    total = sum(load.values())
    if total <= 0:
        return {g.id: 1.0 / len(cfg.grids) for g in cfg.grids}
    return {g: v / total for g, v in load.items()}
