"""A training scenario as one self-contained HTML page: a trainer can project or print it offline.

The page holds the story, the timelines side by side, a map of where it happened and the
failure probability under each setting as a chart. Both pictures are inline SVG drawn with
matplotlib; text stays text (``svg.fonttype = none``), so Chinese renders with the reader's
fonts. Nothing is fetched from the network.

Example:
    >>> from experiments.scenarios import run_scenario
    >>> story = run_scenario("manhole", seed=1, scale=0.1, follow_days=5)
    >>> html = scenario_page(story.scenario, [story], None, lang="en")
    >>> "<svg" in html and "http" not in html.split("<body>")[1].replace("http://www.w3.org", "")
    True
"""

from __future__ import annotations

import html
import io
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.patches import Rectangle

from coordination.words import Lang, reform_label, say
from experiments.scenarios import Scenario, scenario_of

if TYPE_CHECKING:
    import pandas as pd

    from experiments.scenarios import Story

STYLE = """
body{font-family:system-ui,"Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:1.5em;color:#222;
max-width:1500px}
h1{font-size:1.6em;margin-bottom:.2em} h2{font-size:1.2em;border-bottom:1px solid #ccc}
.row{display:flex;gap:1.5em;flex-wrap:wrap} .col{flex:1 1 420px;min-width:320px}
table{border-collapse:collapse;width:100%;font-size:.92em} td,th{border:1px solid #ddd;padding:.3em .5em;
vertical-align:top;text-align:left} th{background:#f3f3f3} .fail{color:#b00020;font-weight:bold}
.ok{color:#1b5e20;font-weight:bold} blockquote{color:#555;border-left:3px solid #ccc;margin:.5em 0;
padding-left:.8em} @media print{.row{display:block}}
"""


def _svg(fig: plt.Figure) -> str:
    buf = io.StringIO()
    with plt.rc_context({"svg.fonttype": "none"}):
        fig.savefig(buf, format="svg", bbox_inches="tight")
    plt.close(fig)
    text = buf.getvalue()
    return re.sub(r"<metadata>.*?</metadata>", "", text[text.index("<svg"):], flags=re.S)


def town_map(story: Story, lang: Lang = "en") -> str:
    """The town's grids and compounds, the problems still open at the end, and the planted one."""
    model = story.model
    fig, ax = plt.subplots(figsize=(5.5, 5.5))
    for grid, (x, y) in model.grid_origin.items():
        ax.add_patch(Rectangle((x, y), 1, 1, fill=False, lw=1, ec="#888"))
        ax.text(x + 0.04, y + 0.04, grid, fontsize=9, color="#555", va="top")
    xs, ys = zip(*model.compound_xy.values(), strict=True) if model.compound_xy else ((), ())
    ax.scatter(xs, ys, marker="s", s=18, color="#c8d6e5", zorder=1)
    still = [i.xy for i in model.incidents if not i.solved and i is not story.incident]
    if still:
        ox, oy = zip(*still, strict=True)
        ax.scatter(ox, oy, s=6, color="#f0a35e", alpha=0.6, label=say("page", "others", lang), zorder=2)
    px, py = story.incident.xy
    ax.scatter([px], [py], marker="*", s=380, color="#b00020", edgecolor="k", zorder=3,
               label=say("page", "planted", lang))
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.invert_yaxis()
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.02), ncol=2, frameon=False, fontsize=9)
    return _svg(fig)


def failure_chart(rates: pd.DataFrame, lang: Lang = "en") -> str:
    """The failure probability under each setting, with its 95% interval."""
    labels = [f"{setting_label(r.setting, lang)}\n{r.rate:.0%} ({r.failures}/{r.reps})"
              for r in rates.itertuples()]
    fig, ax = plt.subplots(figsize=(6.5, 0.6 + 0.55 * len(rates)))
    y = range(len(rates))
    err = [rates["rate"] - rates["ci_low"], rates["ci_high"] - rates["rate"]]
    ax.barh(list(y), rates["rate"], xerr=err, color="#d9534f", alpha=0.85, capsize=4)
    ax.set_yticks(list(y), labels)
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xlabel(f"{say('page', 'chance', lang)} ({say('page', 'interval', lang)})")
    return _svg(fig)


def setting_label(setting: str, lang: Lang = "en") -> str:
    """A setting as a reader names it: the town's own institutions, or its reforms.

    Example:
        >>> setting_label("baseline", "zh"), setting_label("department_kpis@30", "en")
        ('现行制度', 'department KPIs (from day 30)')
    """
    if setting == "baseline":
        return say("page", "baseline", lang)
    name, _, day = setting.partition("@")
    label = reform_label(name, lang)
    return say("page", "from_day", lang, setting=label, day=day) if day else label


def outcome_value(key: str, value: object, lang: Lang = "en") -> str:
    """One entry of a scenario's outcome as text: yes/no, the problem's state, a number, or –."""
    if isinstance(value, bool):
        return say("page", "yes" if value else "no", lang)
    if value is None:
        return "–"
    return say("state", str(value), lang) if key == "state" else str(value)


def scenario_page(name: Scenario | str, stories: Sequence[Story], rates: pd.DataFrame | None,
                  lang: Lang = "en") -> str:
    """The whole page: the stories under each setting (same seed) and, if given, the failure
    probabilities over replications."""
    sc, e = scenario_of(name), html.escape
    zh = lang == "zh"

    def w(key: str) -> str:
        return say("page", key, lang)

    settings = [setting_label(s.setting, lang) for s in stories]
    parts = [f"<!doctype html><html lang='{'zh-CN' if zh else 'en'}'><head><meta charset='utf-8'>",
             f"<title>{e(sc.title_zh if zh else sc.title)}</title><style>{STYLE}</style></head><body>",
             f"<h1>{e(sc.title_zh if zh else sc.title)}</h1>",
             f"<p>{e(sc.summary_zh if zh else sc.summary)}</p>",
             f"<blockquote>{w('source')}: {e(sc.source)}</blockquote>",
             f"<p><b>{w('failure')}:</b> {e(sc.failure_zh if zh else sc.failure)}. "
             f"{w('seed')} {stories[0].seed}.</p>",
             "<div class='row'>",
             f"<div class='col'><h2>{w('map')}</h2>{town_map(stories[0], lang)}</div>"]
    if rates is not None:
        parts.append(f"<div class='col'><h2>{w('chance')}</h2>{failure_chart(rates, lang)}"
                     f"<p>{w('reps')}: {int(rates['reps'].iloc[0])}</p></div>")
    parts.append("</div>")
    head = "".join(f"<th>{e(s)}</th>" for s in settings)
    rows = [f"<tr><th>{w('failed')}</th>" + "".join(
        f"<td class='{'fail' if s.failed else 'ok'}'>{outcome_value('failed', s.failed, lang)}</td>"
        for s in stories) + "</tr>"]
    for key in stories[0].outcome:
        rows.append(f"<tr><th>{w(key)}</th>" + "".join(
            f"<td>{e(outcome_value(key, s.outcome[key], lang))}</td>" for s in stories) + "</tr>")
    parts.append(f"<h2>{w('outcome')}</h2><table><tr><th></th>{head}</tr>{''.join(rows)}</table>")
    parts.append(f"<h2>{w('timeline')}</h2><div class='row'>")
    for label, story in zip(settings, stories, strict=True):
        body = "".join(f"<tr><td>{e(r.when)}</td><td>{e(r.text)}</td></tr>"
                       for r in story.timeline.itertuples())
        parts.append(f"<div class='col'><h3>{e(label)}</h3><table><tr><th>{w('when')}</th>"
                     f"<th>{w('what')}</th></tr>{body}</table></div>")
    parts.append("</div></body></html>")
    return "\n".join(parts)
