"""The live charts of a run, the difference between two runs, and the charts of a sweep.

The charts of a sweep take a table and return a matplotlib figure, which
:func:`dashboards.figures.render` turns into PNG bytes. The live charts of a run and the
difference between two runs change every step, so they are objects built once that redraw only
their lines (:class:`dashboards.figures.BlitFigure`) and give PNG bytes from a
:class:`dashboards.state.History`.

Example:
    >>> import pandas as pd
    >>> from dashboards.figures import render
    >>> table = pd.DataFrame({"kind": ["none", "command"], "mean": [5.0, 2.0],
    ...                       "low": [4.0, 1.0], "high": [6.0, 3.0]})
    >>> render(draw_response, table, "injuries", "kind")[:4]
    b'\\x89PNG'
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from coordination.tally import PROPERTY_MANAGERS
from coordination.words import Lang, Names, catalogue, choice_label, metric_label, t
from dashboards.figures import BlitFigure, new_figure, plot_lang, styled
from dashboards.state import History

if TYPE_CHECKING:
    from coordination import JointEnforcementModel

DIFF_METRICS = ("open_cases", "real_resolution_rate", "injuries", "declines", "resident_trust",
                "paper_closures")


def handler_labels(model: JointEnforcementModel, lang: Lang = "en") -> dict[str, str]:
    """Department ids (and the property managers together) as a reader names them."""
    names = Names(model.config, lang)
    labels = {d.id: names.handler("department", d.id) for d in model.config.departments}
    labels[PROPERTY_MANAGERS] = t("property_managers", lang)
    return labels


def nice_ceiling(value: float, floor: float = 5.0) -> float:
    """The smallest of 1, 2, 2.5, 5 × 10^k that is at least ``value`` (and ``floor``).

    Example:
        >>> nice_ceiling(37), nice_ceiling(0.3, floor=1), nice_ceiling(260)
        (50.0, 1.0, 500.0)
    """
    value = max(float(value), floor)
    power = 10.0 ** math.floor(math.log10(value))
    for step in (1.0, 2.0, 2.5, 5.0, 10.0):
        if step * power >= value - 1e-12:
            return step * power
    return 10.0 * power


def grown(top: float, value: float) -> float:
    """The axis top for a running total at ``value``: ``top`` while it holds it (with a little
    room), else a round number about twice the total.

    Example:
        >>> grown(0, 3), grown(10, 8), grown(10, 9.8)
        (10.0, 10, 20.0)
    """
    return top if top > 0 and value * 1.05 <= top else nice_ceiling(value * 2, floor=10.0)


def horizon(day: float) -> float:
    """The x-axis end for a run at ``day``: 30 days, doubling as the run goes on."""
    end = 30.0
    while day > end:
        end *= 2
    return end


class LiveCharts:
    """Six panels of one run, redrawn cheaply each step: open and overdue cases; closure rate
    against verified real resolution; injuries; trust; declines and closures on paper; cases
    registered and closed. Dotted lines mark the days institutions changed during the run. (Who
    received the work orders is drawn beside the referral network, where its names fit.)

    Axis limits grow in round steps, so most steps redraw only the lines.

    Example:
        >>> from dashboards.state import ExploreRun, ExploreSettings
        >>> run = ExploreRun(ExploreSettings(scale=0.02))
        >>> charts = LiveCharts(lang="en")
        >>> before = charts.png(run.history, run.switches)
        >>> run.step(days=2)
        >>> before != charts.png(run.history, run.switches)
        True
    """

    LINES = (("open_cases", "open", "#1f77b4", 0), ("overdue_cases", "overdue", "#d62728", 0),
             ("closure_rate", "closure", "#2ca02c", 1), ("real_resolution_rate", "real", "#9467bd", 1),
             ("injuries", None, "#d62728", 2), ("resident_trust", None, "#17becf", 3),
             ("declines", "declines", "#ff7f0e", 4), ("paper_closures", "paper", "#8c564b", 4),
             ("cases_registered", "registered", "#1f77b4", 5), ("cases_closed", "closed", "#2ca02c", 5))
    TITLES = ("open_overdue", "closure_vs_real", "injuries_chart", "trust_chart", "declines_chart",
              "cases_chart")  # panels left to right, top to bottom

    def __init__(self, *, lang: Lang = "en", width: float = 6.2, height: float = 5.0) -> None:
        self.lang = plot_lang(lang)
        self._limits: tuple | None = None
        self._switches: tuple = ()
        with styled():
            fig = new_figure(width, height, layout=None)
            cols = ((0.075, 0.39), (0.585, 0.4))
            rows = (0.725, 0.405, 0.085)
            self.axes = [fig.add_axes((left, bottom, w, 0.215)) for bottom in rows for left, w in cols]
            self.lines = {}
            for key, label, colour, panel in self.LINES:
                (line,) = self.axes[panel].plot([], [], color=colour,
                                                label=t(label, self.lang) if label else None,
                                                drawstyle="steps-post" if key == "injuries" else "default")
                self.lines[key] = line
            for i, ax in enumerate(self.axes):
                ax.set_title(t(self.TITLES[i], self.lang), loc="left", fontsize=9.5)
            for i in (0, 4, 5):
                self.axes[i].legend(loc="upper left", frameon=False, borderaxespad=0.1, fontsize=7.5)
            self.axes[1].legend(loc="lower right", frameon=False, borderaxespad=0.1, fontsize=7.5)
            for i in (4, 5):
                self.axes[i].set_xlabel(t("day", self.lang), labelpad=1)
            self.axes[1].set_ylim(0, 1.02)
            self.switch_lines: list = []
        self.blit = BlitFigure(fig)
        self.blit.animate(*self.lines.values())

    def _set_limits(self, s: dict[str, list[float]], switches: Sequence[tuple[int, str]]) -> None:
        day = s["day"][-1] if s["day"] else 0.0
        most_open = max(max(s["open_cases"], default=0), max(s["overdue_cases"], default=0))
        before = self._limits[1] if self._limits else (0.0,) * 4
        # running totals only grow: their axes double when outgrown, so that few steps redraw all
        counts = (nice_ceiling(most_open * 1.1),
                  grown(before[1], max(s["injuries"], default=0)),
                  grown(before[2], max(max(s["declines"], default=0), max(s["paper_closures"], default=0))),
                  grown(before[3], max(s["cases_registered"], default=0)))
        trust = [v for v in s["resident_trust"] if np.isfinite(v)] or [0.5]
        low = math.floor((min(trust) - 0.01) * 20) / 20
        high = math.ceil((max(trust) + 0.01) * 20) / 20
        limits = (horizon(day), counts, max(low, 0.0), min(high, 1.0))
        if limits == self._limits and tuple(switches) == self._switches:
            return
        self._limits, self._switches = limits, tuple(switches)
        end, (open_top, injury_top, decline_top, case_top), low, high = limits
        with styled():
            for ax in self.axes:
                ax.set_xlim(0, end)
            self.axes[0].set_ylim(0, open_top)
            self.axes[2].set_ylim(0, injury_top)
            self.axes[3].set_ylim(low, high)
            self.axes[4].set_ylim(0, decline_top)
            self.axes[5].set_ylim(0, case_top)
            for line in self.switch_lines:
                line.remove()
            self.switch_lines = [ax.axvline(d, color="#444444", linestyle=":", linewidth=1)
                                 for d, _ in switches for ax in self.axes]
        self.blit.invalidate()

    def png(self, history: History, switches: Sequence[tuple[int, str]] = ()) -> bytes:
        """The charts of ``history`` now, as PNG bytes."""
        s = history.series
        self._set_limits(s, switches)
        for key, line in self.lines.items():
            line.set_data(s["day"], s[key])
        return self.blit.png()


class DifferenceCharts:
    """B − A for each metric, day by day, over the days both runs have reached; redrawn
    cheaply like :class:`LiveCharts`. Above zero (purple) B is higher, below (orange) lower.

    Example:
        >>> from dashboards.state import ExploreRun, ExploreSettings
        >>> a = ExploreRun(ExploreSettings(scale=0.02))
        >>> b = ExploreRun(ExploreSettings(scale=0.02, reforms=("centre_authority",)))
        >>> a.step(days=5)
        >>> b.step(days=5)
        >>> DifferenceCharts().png(a.history, b.history)[:4]
        b'\\x89PNG'
    """

    def __init__(self, *, lang: Lang = "en", metrics: Sequence[str] = DIFF_METRICS,
                 width: float = 10.2, height: float = 3.2) -> None:
        self.lang = plot_lang(lang)
        self.metrics = tuple(metrics)
        self._limits: tuple | None = None
        with styled():
            fig = new_figure(width, height, layout=None)
            n = len(self.metrics)
            per_row = math.ceil(n / 2)
            w = 0.92 / per_row
            self.axes = [fig.add_axes((0.055 + (i % per_row) * w, 0.58 if i < per_row else 0.12,
                                       w - 0.07, 0.3)) for i in range(n)]
            self.lines = []
            for ax, metric in zip(self.axes, self.metrics, strict=True):
                ax.set_title(metric_label(metric, self.lang), loc="left", fontsize=9.5)
                ax.axhline(0, color="#999999", linewidth=0.8)
                (line,) = ax.plot([], [], color="#6a3d9a")
                self.lines.append(line)
            for ax in self.axes[per_row:]:
                ax.set_xlabel(t("day", self.lang), labelpad=1)
        self.fills: list = []
        self.blit = BlitFigure(fig)
        self.blit.animate(*self.lines)

    def png(self, a: History, b: History) -> bytes:
        """The differences now, as PNG bytes."""
        n = min(len(a.series["day"]), len(b.series["day"]))
        days = np.asarray(a.series["day"][:n], dtype=float)
        diffs = [np.asarray(b.series[m][:n], dtype=float) - np.asarray(a.series[m][:n], dtype=float)
                 for m in self.metrics]
        tops = tuple(nice_ceiling(float(np.nanmax(np.abs(d))) * 1.1 if np.isfinite(d).any() else 0,
                                  floor=0.05 if m.endswith(("_rate", "_trust")) else 5.0)
                     for d, m in zip(diffs, self.metrics, strict=True))
        limits = (horizon(float(days[-1]) if n else 0.0), tops)
        with styled():
            if limits != self._limits:
                self._limits = limits
                for ax, top in zip(self.axes, tops, strict=True):
                    ax.set_xlim(0, limits[0])
                    ax.set_ylim(-top, top)
                self.blit.invalidate()
            for fill in self.fills:
                self.blit.dynamic.remove(fill)
                fill.remove()
            self.fills = []
            for ax, line, diff in zip(self.axes, self.lines, diffs, strict=True):
                line.set_data(days, diff)
                clean = np.nan_to_num(diff)
                for where, colour in ((clean > 0, "#6a3d9a"), (clean < 0, "#ff7f00")):
                    fill = ax.fill_between(days, 0, clean, where=where, color=colour, alpha=0.2,
                                           interpolate=True)
                    self.fills.append(fill)
            self.blit.animate(*self.fills)
        return self.blit.png()


def _tick(value: object, lang: Lang = "en") -> str:
    """A parameter's level on an axis: a number as %g, a lever's setting as a reader says it."""
    if isinstance(value, float):
        return f"{value:g}"
    label = choice_label(value, lang) if value in catalogue()["choice"] else str(value)
    return "\n".join(textwrap.wrap(label, 18)) or label


def draw_response(table: pd.DataFrame, metric: str, x: str, *, lang: Lang = "en",
                  labels: Callable[[str], str] = str, width: float = 7.0,
                  height: float = 3.8) -> Figure:
    """A metric's response to one parameter: the mean and its 95% interval at each level
    (``table`` is :func:`dashboards.sweep_data.response`); ``labels`` names a parameter."""
    lang = plot_lang(lang)
    fig = new_figure(width, height)
    ax = fig.subplots()
    levels = list(table[x])
    numeric = pd.api.types.is_numeric_dtype(table[x]) and not pd.api.types.is_bool_dtype(table[x])
    positions = np.asarray(levels, dtype=float) if numeric else np.arange(len(levels))
    ax.fill_between(positions, table["low"], table["high"], color="#1f77b4", alpha=0.2,
                    label=t("mean_ci", lang))
    ax.errorbar(positions, table["mean"],
                yerr=[table["mean"] - table["low"], table["high"] - table["mean"]],
                marker="o", color="#1f77b4", capsize=3)
    if not numeric:
        ax.set_xticks(positions, [_tick(v, lang) for v in levels])
    ax.set_xlabel(labels(x))
    ax.set_ylabel(metric_label(metric, lang))
    ax.legend(loc="best")
    return fig


def draw_heatmap(table: pd.DataFrame, metric: str, x: str, y: str, *, lang: Lang = "en",
                 labels: Callable[[str], str] = str, width: float = 7.0,
                 height: float = 4.4) -> Figure:
    """A metric's mean over two parameters, each cell annotated with ± its 95% half-interval."""
    lang = plot_lang(lang)
    rows = table.assign(half=(table["high"] - table["low"]) / 2)
    mean = rows.pivot_table(index=y, columns=x, values="mean", aggfunc="mean", observed=True)
    half = rows.pivot_table(index=y, columns=x, values="half", aggfunc="mean",
                            observed=True).reindex_like(mean)
    fig = new_figure(width, height)
    ax = fig.subplots()
    values, halves = mean.to_numpy(float), half.to_numpy(float)
    image = ax.imshow(values, cmap="viridis", aspect="auto", origin="lower")
    ax.set_xticks(range(len(mean.columns)), [_tick(v, lang) for v in mean.columns])
    ax.set_yticks(range(len(mean.index)), [_tick(v, lang) for v in mean.index])
    ax.set_xlabel(labels(x))
    ax.set_ylabel(labels(y))
    if values.size <= 100 and np.isfinite(values).any():
        low, high = np.nanmin(values), np.nanmax(values)
        for i in range(values.shape[0]):
            for j in range(values.shape[1]):
                if np.isfinite(values[i, j]):
                    bright = high > low and (values[i, j] - low) / (high - low) > 0.6
                    text = f"{values[i, j]:.3g}"
                    if np.isfinite(halves[i, j]):
                        text += f"\n±{halves[i, j]:.2g}"
                    ax.text(j, i, text, ha="center", va="center", fontsize=7.5,
                            color="black" if bright else "white")
    fig.colorbar(image, ax=ax, label=metric_label(metric, lang))
    return fig


INDEX_COLUMNS = {"sobol": (("S1", "S1_conf", "#1f77b4"), ("ST", "ST_conf", "#ff7f0e")),
                 "morris": (("mu_star", "mu_star_conf", "#2ca02c"),)}


def draw_indices(indices: pd.DataFrame, kind: str, *, lang: Lang = "en",
                 labels: Callable[[str], str] = str, width: float = 7.0,
                 height: float = 3.4) -> Figure:
    """Sensitivity indices of one output by parameter, with their 95% half-intervals: Sobol'
    first-order and total (``S1``, ``ST``) or Morris ``mu_star``."""
    columns = [c for c in INDEX_COLUMNS[kind] if c[0] in indices]
    fig = new_figure(width, max(height, 0.9 + 0.35 * len(indices)))
    ax = fig.subplots()
    table = indices.sort_values(columns[-1][0]) if columns else indices
    ypos = np.arange(len(table))
    step = 0.8 / max(len(columns), 1)
    for k, (column, conf, colour) in enumerate(columns):
        err = table.get(conf)
        ax.barh(ypos - 0.4 + step * (k + 0.5), table[column], height=step * 0.95, xerr=err,
                color=colour, label=column, capsize=2)
    ax.set_yticks(ypos, [labels(p) for p in table["parameter"]])
    ax.axvline(0, color="#999999", linewidth=0.8)
    ax.legend(loc="lower right")
    return fig
