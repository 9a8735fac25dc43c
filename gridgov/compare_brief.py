"""What `gridgov compare --out DIR` gives a reform designer to brief with: a forest plot of the
paired differences from the baseline (each metric's change in % of its baseline mean, with its
95% interval, coloured by whether the change is for the better), and a one-page HTML brief
(settings, seeds, the table, the plot, what each metric means) that opens offline.

A change is *better* or *worse* only when its interval excludes zero and the metric has a
direction (:data:`DIRECTION`: real resolution up is better, injuries up is worse; counts of
work such as ``cases_registered`` have none). The colours say so; the sign is the reader's.

Example:
    >>> import pandas as pd
    >>> from experiments.compare import summarise
    >>> runs = pd.DataFrame({"setting": ["baseline"] * 3 + ["x"] * 3, "seed": [1, 2, 3] * 2,
    ...                      "injuries": [5, 7, 6, 2, 3, 3]})
    >>> verdicts(summarise(runs, ["injuries"]))["verdict"].tolist()
    ['better']
"""

from __future__ import annotations

import base64
import html
import io
import math

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from coordination.words import Lang, metric_label, say
from dashboards.figures import new_figure, plot_lang, styled
from experiments.replications import BASELINE
from gridgov.scenario_page import setting_label

DIRECTION: dict[str, int] = {
    # +1: higher is better; -1: lower is better; 0: a volume, neither
    "cases_reported": 0, "cases_registered": 0, "cases_closed": 0, "closure_rate": 1,
    "on_time_rate": 1, "real_resolution_rate": 1, "rework_rate": -1, "paper_closures": -1,
    "superficial_fixes": -1, "declines": -1, "mean_hops": -1, "reports_waiting": -1,
    "open_cases": -1, "overdue_cases": -1, "injuries": -1, "escalations": -1, "repeat_reports": -1,
    "median_hours_to_close": -1, "workload_hhi": 0, "officer_hours": 0, "meeting_hours": 0,
    "resident_trust": 1, "satisfaction_rate": 1, "reported_resolution_rate": 1,
    "closure_rate_part": 1, "closure_rate_event": 1, "real_resolution_rate_part": 1,
    "real_resolution_rate_event": 1, "mean_hours_to_handle": -1, "repeat_report_share": -1,
    "excluded_cases": -1, "extensions": -1, "reopened_cases": -1, "callers_worked_on": -1,
    "caller_trust": 1,
}
"""Which way each metric of a comparison is better."""

COLOURS = {"better": "#1a9850", "worse": "#d73027", "unclear": "#7f7f7f"}


def verdicts(summary: pd.DataFrame) -> pd.DataFrame:
    """The rows of ``summary`` (:func:`experiments.compare.summarise`) that differ from the
    baseline, with ``relative``, ``relative_low``, ``relative_high`` (the paired difference in %
    of the baseline's mean; NaN where that mean is 0) and ``verdict``: ``better``, ``worse``, or
    ``unclear`` (the interval holds 0, or the metric has no direction)."""
    base = summary[summary["setting"] == BASELINE].set_index("metric")["mean"]
    rows = summary[summary["setting"] != BASELINE].copy()
    scale = rows["metric"].map(base).abs().replace(0.0, math.nan) / 100.0
    for column, source in (("relative", "diff"), ("relative_low", "diff_low"),
                           ("relative_high", "diff_high")):
        rows[column] = rows[source] / scale

    def verdict(row: pd.Series) -> str:
        sign = DIRECTION.get(row["metric"], 0)
        low, high = row["diff_low"], row["diff_high"]
        if not sign or not (np.isfinite(low) and np.isfinite(high)) or low <= 0 <= high:
            return "unclear"
        return "better" if (low > 0) == (sign > 0) else "worse"

    rows["verdict"] = [verdict(r) for _, r in rows.iterrows()] if len(rows) else []
    return rows.reset_index(drop=True)


def forest_figure(summary: pd.DataFrame, lang: Lang = "en", title: str | None = None) -> Figure:
    """The forest plot: one row per metric, one marker per setting other than the baseline,
    its change in % of the baseline's mean with the 95% interval, coloured by verdict."""
    lang = plot_lang(lang)
    rows = verdicts(summary).dropna(subset=["relative"])
    metrics = list(dict.fromkeys(rows["metric"]))
    settings = list(dict.fromkeys(rows["setting"]))
    fig = new_figure(8.0, 1.2 + 0.32 * max(len(metrics), 1) * max(1, min(len(settings), 3)))
    ax = fig.subplots()
    step = 0.8 / max(len(settings), 1)
    markers = "osD^vP*X"
    for k, setting in enumerate(settings):
        mine = rows[rows["setting"] == setting]
        y = np.array([metrics.index(m) for m in mine["metric"]]) - 0.4 + step * (k + 0.5)
        colours = [COLOURS[v] for v in mine["verdict"]]
        ax.hlines(y, mine["relative_low"], mine["relative_high"], colors=colours, linewidth=1.4)
        ax.scatter(mine["relative"], y, c=colours, marker=markers[k % len(markers)], zorder=3,
                   label=setting_label(setting, lang))
    ax.axvline(0, color="#555555", linewidth=0.9)
    ax.set_yticks(range(len(metrics)), [metric_label(m, lang) for m in metrics])
    ax.invert_yaxis()
    ax.set_xlabel(say("page", "forest_axis", lang))
    if len(settings) > 1:
        ax.legend(loc="best")
    ax.set_title(title or say("page", "forest_title", lang))
    return fig


def figure_bytes(fig: Figure, fmt: str) -> bytes:
    """``fig`` as PNG or SVG bytes."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format=fmt, dpi=110, bbox_inches="tight")
    return buffer.getvalue()


def forest_files(summary: pd.DataFrame, lang: Lang = "en") -> dict[str, bytes]:
    """``forest.png`` and ``forest.svg`` of the comparison."""
    with styled():
        fig = forest_figure(summary, lang)
        return {"forest.png": figure_bytes(fig, "png"), "forest.svg": figure_bytes(fig, "svg")}


def number(value: float) -> str:
    """A figure as the brief and the tables print it: 3 significant digits, NaN as –.

    Example:
        >>> number(0.123456), number(1234.5), number(float("nan"))
        ('0.123', '1.23e+03', '–')
    """
    return "–" if not np.isfinite(value) else f"{value:.3g}"


def brief_html(summary: pd.DataFrame, about: dict[str, object], png: bytes,
               lang: Lang = "en") -> str:
    """A one-page, self-contained HTML brief: what was compared, the plot, the table with
    verdicts, and what each metric means."""
    w = lambda key, **f: html.escape(say("page", key, lang, **f))  # noqa: E731
    judged = verdicts(summary).set_index(["setting", "metric"])
    base = summary[summary["setting"] == BASELINE].set_index("metric")
    settings = [s for s in dict.fromkeys(summary["setting"]) if s != BASELINE]
    metrics = list(dict.fromkeys(summary["metric"]))
    head = "".join(f"<th>{html.escape(setting_label(s, lang))}</th>" for s in settings)
    body = []
    for m in metrics:
        cells = [f"<td>{number(base.loc[m, 'mean'])} [{number(base.loc[m, 'ci_low'])}, "
                 f"{number(base.loc[m, 'ci_high'])}]</td>" if m in base.index else "<td>–</td>"]
        for s in settings:
            r = judged.loc[(s, m)]
            cells.append(f"<td class='{r['verdict']}'>Δ {number(r['diff'])} "
                         f"[{number(r['diff_low'])}, {number(r['diff_high'])}]</td>")
        body.append(f"<tr><th>{html.escape(metric_label(m, lang))}</th>{''.join(cells)}</tr>")
    meanings = "".join(
        f"<dt>{html.escape(metric_label(m, lang))}{'' if lang == 'zh' else f' <code>{m}</code>'}</dt>"
        f"<dd>{html.escape(say('meaning', m, lang))}</dd>" for m in metrics)
    facts = "".join(f"<li>{html.escape(str(k))}: {html.escape(str(v))}</li>"
                    for k, v in about.items())
    image = base64.b64encode(png).decode()
    return f"""<!doctype html>
<html lang="{'zh' if lang == 'zh' else 'en'}"><head><meta charset="utf-8">
<title>{w('brief_title')}</title>
<style>
body {{ font-family: sans-serif; max-width: 60rem; margin: 1.5rem auto; padding: 0 1rem;
       color: #222; }}
table {{ border-collapse: collapse; font-size: 0.85rem; }}
th, td {{ border-bottom: 1px solid #ddd; padding: 3px 8px; text-align: left; }}
td.better {{ color: {COLOURS['better']}; font-weight: 600; }}
td.worse {{ color: {COLOURS['worse']}; font-weight: 600; }}
img {{ max-width: 100%; }} dt {{ font-weight: 600; margin-top: 0.4rem; }}
@media print {{ body {{ margin: 0; }} }}
</style></head><body>
<h1>{w('brief_title')}</h1>
<ul>{facts}</ul>
<p>{w('brief_reading')}</p>
<img alt="{w('forest_title')}" src="data:image/png;base64,{image}">
<table><thead><tr><th></th><th>{html.escape(setting_label(BASELINE, lang))}</th>{head}</tr></thead>
<tbody>{''.join(body)}</tbody></table>
<h2>{w('brief_metrics')}</h2><dl>{meanings}</dl>
</body></html>
"""
