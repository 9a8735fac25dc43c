"""The map of the town: its grids (网格), compounds (小区), inspectors (巡查员) and problems.

Every open case is a dot at its problem's place, coloured by where the case stands in the
workflow; a triangle is a hazard to passers-by, a thick edge a case past its deadline. Problems
closed without being fixed (a warning sign, a closure on paper) and problems nobody has
reported yet are hollow: they are what the case statistics do not show.

Example:
    >>> from coordination import JointEnforcementModel
    >>> model = JointEnforcementModel(scale=0.02, rng=1)
    >>> model.run_for(24 * 5)
    >>> sum(len(v) for v in problem_points(model).values()) > 0
    True
    >>> TownMap(model, lang="zh").png(model)[:4]
    b'\\x89PNG'
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle

from coordination import CaseState
from coordination.incidents import Incident
from coordination.words import Lang, Names, t
from dashboards.figures import BlitFigure, new_figure, plot_lang, styled

if TYPE_CHECKING:
    from coordination import JointEnforcementModel

STATUS_OF_CASE: dict[CaseState, str] = {
    CaseState.COLLECTED: "st_waiting",
    CaseState.REGISTERED: "st_waiting",
    CaseState.DISPATCHED: "st_dispatched",
    CaseState.DECLINED: "st_declined",
    CaseState.STUCK: "st_declined",
    CaseState.ACCEPTED: "st_handling",
    CaseState.FED_BACK: "st_checking",
    CaseState.REWORK: "st_checking",
}
COLOURS = {
    "st_waiting": "#7f7f7f",
    "st_dispatched": "#1f77b4",
    "st_declined": "#ff7f0e",
    "st_handling": "#2ca02c",
    "st_checking": "#9467bd",
    "st_closed_unfixed": "#d62728",
    "st_unreported": "#8c8c8c",
}
AREA_COLOURS = ("#eef3fb", "#f5f0e6", "#eef7ee", "#f7eef4", "#f2f2f2", "#eef6f7")
FILLED = ("st_waiting", "st_dispatched", "st_declined", "st_handling", "st_checking")


def status(incident: Incident, model: JointEnforcementModel) -> str | None:
    """The map category of a problem, or None when there is nothing left to show."""
    if incident.solved or not incident.kind.needs_handling:
        return None
    case = incident.case  # the open, registered case about it, if any
    if case is not None and case.is_open:
        return STATUS_OF_CASE.get(case.state, "st_waiting")
    if incident.id in model.tally.closed_incidents:
        return "st_closed_unfixed"
    if incident.id in model.tally.reported_incidents:
        return "st_waiting"
    return "st_unreported"


def shown_problems(model: JointEnforcementModel) -> list[tuple[Incident, str, bool]]:
    """The problems the map shows now: ``(incident, category, overdue)`` each."""
    now = model.time
    shown = []
    for incident in model.incidents:
        if incident.time > now:
            continue
        category = status(incident, model)
        if category is None:
            continue
        case = incident.case
        overdue = bool(case is not None and case.is_open and case.deadline is not None
                       and case.deadline < now)
        shown.append((incident, category, overdue))
    return shown


def problem_points(model: JointEnforcementModel) -> dict[str, list[tuple[float, float, bool, bool]]]:
    """Problems to draw by category: ``(x, y, hazardous, overdue)`` each."""
    points: dict[str, list[tuple[float, float, bool, bool]]] = {k: [] for k in COLOURS}
    for incident, category, overdue in shown_problems(model):
        hazardous = incident.kind.hazard.harm_per_exposure > 0
        points[category].append((incident.xy[0], incident.xy[1], hazardous, overdue))
    return points


def case_of_incident(model: JointEnforcementModel) -> dict[int, int]:
    """The case of each reported problem: incident id -> the case open about it, else the first
    opened (later reports of an open case are merged into it as duplicates)."""
    cases: dict[int, int] = {}
    for case_id, case in sorted(model.workflow.cases.items()):
        cases.setdefault(case.incident.id, case_id)
    for incident in model.incidents:
        if incident.case is not None and incident.case.is_open:
            cases[incident.id] = incident.case.id
    return cases


def describe(model: JointEnforcementModel, names: Names, incident: Incident, category: str,
             overdue: bool, case_id: int | None) -> str:
    """What a dot on the map is, in a line (its hover text).

    Example:
        >>> from coordination import JointEnforcementModel
        >>> model = JointEnforcementModel(scale=0.02, rng=1)
        >>> model.run_for(24 * 5)
        >>> names = Names(model.config)
        >>> incident, category, overdue = shown_problems(model)[0]
        >>> describe(model, names, incident, category, overdue, None).endswith(")")
        True
    """
    lang, kind = names.lang, names.kind(incident.kind.id)
    state = t(category, lang)
    if case_id is None:
        return t("map_tip_problem", lang, kind=kind, status=state)
    case = model.workflow.cases[case_id]
    handler = ""
    if case.is_open and case.handler is not None:
        handler = t("map_tip_handler", lang, handler=names.handlers(case.handler.key))
    if overdue:
        handler += t("map_tip_overdue", lang)
    return t("map_tip_case", lang, case=case_id, kind=kind, status=state, handler=handler)


class TownMap:
    """The map of one model, redrawn cheaply: grids, compounds and inspectors are the static
    picture; problems (and a highlighted one) are drawn over it each time.

    Example:
        >>> from coordination import JointEnforcementModel
        >>> model = JointEnforcementModel(scale=0.02, rng=1)
        >>> town = TownMap(model)
        >>> before = town.png(model)
        >>> model.run_for(24 * 10)
        >>> before != town.png(model)
        True
    """

    def __init__(self, model: JointEnforcementModel, *, lang: Lang = "en", map_height: float = 3.9,
                 legend_height: float = 0.95) -> None:
        self.lang = plot_lang(lang)
        cols = max(gx for gx, _ in model.grid_origin.values()) + 1
        rows = max(gy for _, gy in model.grid_origin.values()) + 1
        width = min(max(map_height * cols / rows, 4.4), 6.4)
        height = map_height + legend_height
        with styled():
            self.fig = new_figure(width, height, layout=None)
            self.ax = self.fig.add_axes((0.01, legend_height / height, 0.98, map_height / height - 0.01))
            self._draw_static(model)
            self.layers = {}
            for category in COLOURS:
                for hazardous in (False, True):
                    filled = category in FILLED
                    layer = self.ax.scatter([], [], marker="^" if hazardous else "o",
                                            s=58 if hazardous else 38,
                                            facecolor=COLOURS[category] if filled else "none",
                                            edgecolor="black" if filled else COLOURS[category],
                                            linewidths=1.3, zorder=5 if filled else 4)
                    self.layers[(category, hazardous)] = layer
            self.ring = self.ax.scatter([], [], s=700, facecolor="none", edgecolor="#e6007e",
                                        linewidth=3, zorder=6)
            self.ring_label = self.ax.annotate(t("planted", self.lang), (0, 0), xytext=(12, 12),
                                               textcoords="offset points", color="#e6007e",
                                               fontsize=9, fontweight="bold", zorder=7)
            self.ring_label.set_visible(False)
        self.zoomed: str | None = None
        self._model = model
        self.blit = BlitFigure(self.fig)
        self.blit.animate(*self.layers.values(), self.ring, self.ring_label)
        self._staff = self._staff_key(model)

    @staticmethod
    def _staff_key(model: JointEnforcementModel) -> tuple[int, ...]:
        return tuple(t.size for t in model.inspector_teams)

    def _draw_static(self, model: JointEnforcementModel) -> None:
        ax, lang, cfg = self.ax, self.lang, model.config
        area_index = {a.id: i for i, a in enumerate(cfg.areas)}
        many = len(model.grid_origin) > 40
        for g in cfg.grids:
            gx, gy = model.grid_origin[g.id]
            colour = AREA_COLOURS[area_index.get(g.area, 0) % len(AREA_COLOURS)]
            ax.add_patch(Rectangle((gx, gy), 1, 1, facecolor=colour, edgecolor="white", linewidth=2))
            if not many:
                ax.text(gx + 0.03, gy + 0.03, g.id, fontsize=7.5, va="top", color="#555555")
        if model.compound_xy:
            cx, cy = zip(*model.compound_xy.values(), strict=True)
            ax.scatter(cx, cy, marker="s", s=60 if not many else 8, facecolor="#dcdcdc",
                       edgecolor="#a0a0a0", linewidth=0.6, zorder=2)
        self.inspectors = ax.scatter(*self._inspector_xy(model), marker="+", s=34 if not many else 12,
                                     color="#3b5b92", alpha=0.8, linewidth=1.2, zorder=3)
        self._set_limits(model, None)
        ax.set_aspect("equal")
        ax.axis("off")
        handles = [Line2D([], [], marker="o", linestyle="", markersize=7,
                          markerfacecolor=COLOURS[k] if k in FILLED else "none",
                          markeredgecolor="black" if k in FILLED else COLOURS[k], label=t(k, lang))
                   for k in COLOURS]
        handles += [Line2D([], [], marker="^", linestyle="", markersize=7, markerfacecolor="white",
                           markeredgecolor="black", label=t("hazard", lang)),
                    Line2D([], [], marker="o", linestyle="", markersize=7, markerfacecolor="white",
                           markeredgecolor="black", markeredgewidth=2.4, label=t("overdue", lang)),
                    Line2D([], [], marker="s", linestyle="", markersize=7, markerfacecolor="#dcdcdc",
                           markeredgecolor="#a0a0a0", label=t("compound", lang)),
                    Line2D([], [], marker="+", linestyle="", markersize=7, markeredgewidth=1.4,
                           color="#3b5b92", label=t("inspector", lang))]
        self.fig.legend(handles=handles, loc="lower center", ncol=3, frameon=False, fontsize=7.5,
                        handletextpad=0.3, columnspacing=0.8, bbox_to_anchor=(0.5, 0.0))

    @staticmethod
    def _inspector_xy(model: JointEnforcementModel) -> tuple[list[float], list[float]]:
        xs: list[float] = []
        ys: list[float] = []
        for grid, (gx, gy) in model.grid_origin.items():
            k = 0
            for team in model.inspector_teams:
                for _ in team.members.get(grid, ()):
                    k += 1
                    xs.append(gx + 0.06 + 0.88 * ((k * 0.7548777) % 1.0))
                    ys.append(gy + 0.06 + 0.88 * ((k * 0.5698403) % 1.0))
        return xs, ys

    def _set_limits(self, model: JointEnforcementModel, grid: str | None) -> None:
        if grid is None:
            cols = max(gx for gx, _ in model.grid_origin.values()) + 1
            rows = max(gy for _, gy in model.grid_origin.values()) + 1
            self.ax.set_xlim(-0.05, cols + 0.05)
            self.ax.set_ylim(rows + 0.05, -0.05)
        else:
            gx, gy = model.grid_origin[grid]
            self.ax.set_xlim(gx - 0.02, gx + 1.02)
            self.ax.set_ylim(gy + 1.02, gy - 0.02)

    def zoom(self, grid: str | None) -> None:
        """Show one grid close up (``None``: the whole town again)."""
        if grid == self.zoomed:
            return
        if grid is not None and grid not in self._model.grid_origin:
            raise ValueError(f"no grid {grid!r} in this town")
        self.zoomed = grid
        with styled():
            self._set_limits(self._model, grid)
        self.blit.invalidate()

    def _to_figure(self, xy: np.ndarray) -> np.ndarray:
        """Map coordinates to fractions of the picture, from its top left corner."""
        px = self.ax.transData.transform(xy)
        return np.column_stack((px[:, 0] / self.fig.bbox.width, 1 - px[:, 1] / self.fig.bbox.height))

    def grid_at(self, fx: float, fy: float) -> str | None:
        """The grid under a point of the picture given as fractions of its width and height from
        the top left corner (where a reader double-clicked), or None off the grids."""
        x, y = self.ax.transData.inverted().transform(
            (fx * self.fig.bbox.width, (1 - fy) * self.fig.bbox.height))
        for grid, (gx, gy) in self._model.grid_origin.items():
            if gx <= x < gx + 1 and gy <= y < gy + 1:
                return grid
        return None

    def dots(self, model: JointEnforcementModel, names: Names) -> list[list]:
        """The problems drawn by the last :meth:`png`, where they are in the picture and what
        they are: ``[x, y, text, case id or None]`` each, ``x, y`` as fractions of its width and
        height from the top left corner (for a pointer to find them)."""
        shown = shown_problems(model)
        if not shown:
            return []
        where = self._to_figure(np.array([incident.xy for incident, _, _ in shown]))
        cases = case_of_incident(model)
        dots = []
        for (incident, category, overdue), (fx, fy) in zip(shown, where, strict=True):
            if not (0 <= fx <= 1 and 0 <= fy <= 1) or (
                    self.zoomed is not None and incident.grid != self.zoomed):
                continue
            case_id = cases.get(incident.id) if category != "st_unreported" else None
            dots.append([round(float(fx), 4), round(float(fy), 4),
                         describe(model, names, incident, category, overdue, case_id), case_id])
        return dots

    def png(self, model: JointEnforcementModel, highlight: Incident | None = None,
            label: str | None = None) -> bytes:
        """The town now as PNG bytes; ``highlight`` rings one problem (a scenario's planted case,
        the case being inspected), with ``label`` beside it (default: the planted case)."""
        staff = self._staff_key(model)
        if staff != self._staff:  # training, volunteers or staffing changed during the run
            self._staff = staff
            with styled():
                self.inspectors.set_offsets(np.column_stack(self._inspector_xy(model)) if sum(staff)
                                            else np.empty((0, 2)))
            self.blit.invalidate()
        points = problem_points(model)
        for (category, hazardous), layer in self.layers.items():
            mine = [p for p in points[category] if p[2] == hazardous]
            layer.set_offsets(np.array([(p[0], p[1]) for p in mine]) if mine else np.empty((0, 2)))
            layer.set_linewidths([2.4 if p[3] else 0.6 for p in mine] if category in FILLED
                                 else [1.3])
        if highlight is not None:
            self.ring.set_offsets([highlight.xy])
            self.ring_label.xy = highlight.xy
            self.ring_label.set_text(label if label is not None else t("planted", self.lang))
        else:
            self.ring.set_offsets(np.empty((0, 2)))
        self.ring_label.set_visible(highlight is not None)
        return self.blit.png()
