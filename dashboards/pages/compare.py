"""Compare: two settings side by side on the same seed and the same incidents.

Both runs are the same town with the same seed and scale, so they face the same incidents
(common random numbers); only the reforms and levers differ. The difference B − A is charted as
it unfolds, and the replication summary is the one ``gridgov compare`` prints: means with 95%
intervals and the paired difference over the same seeds.
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections.abc import Callable

import pandas as pd
import solara
from solara.alias import rv

from coordination.words import Lang, metric_label, reform_label, t
from dashboards.charts import DifferenceCharts
from dashboards.figures import plot_lang, render
from dashboards.lever_panel import LeverPanel
from dashboards.levers import LeverSpec
from dashboards.pages.explore import SCALE, SEED, fmt, town_name
from dashboards.session import CompareState, setting_label, use_session
from dashboards.state import ExploreRun, ExploreSettings
from dashboards.town_map import TownMap
from dashboards.widgets import ChoiceField, NumberField, PngImage, Table
from experiments import BASELINE, summarise
from experiments.compare import SUMMARY_METRICS
from experiments.replications import Run, execute_run, run_all
from gridgov.compare_brief import COLOURS, forest_figure, verdicts
from institutions import REFORMS, list_presets

REPS = LeverSpec("reps", "int", low=2.0, high=100.0)
DAYS = LeverSpec("days", "int", low=1.0, high=730.0)
WORKERS = min(2, os.cpu_count() or 1)
"""Processes for the replications (a forkserver pool: the server's threads are not forked)."""
MARKS = {"better": f"color: {COLOURS['better']}; font-weight: 600",
         "worse": f"color: {COLOURS['worse']}; font-weight: 600", "unclear": ""}
STRIP = ("open_cases", "real_resolution_rate", "injuries", "declines", "resident_trust")


def cell(mean: float, low: float, high: float) -> str:
    """A mean with its interval, every number of the cell to the same decimals (3 significant
    digits of the largest), or – where there is none.

    Example:
        >>> cell(-0.2, -17.36, 16.96), cell(0.4123, 0.3931, 0.4309), cell(math.nan, 0, 0)
        ('-0.2 [-17.4, 17.0]', '0.412 [0.393, 0.431]', '–')
    """
    if math.isnan(mean):
        return "–"
    shown = [x for x in (mean, low, high) if not math.isnan(x)]
    top = max(abs(x) for x in shown)
    decimals = max(0, 2 - math.floor(math.log10(top))) if top > 0 else 0
    text = lambda x: f"{x:,.{decimals}f}"  # noqa: E731
    return text(mean) if math.isnan(low) else f"{text(mean)} [{text(low)}, {text(high)}]"


class Cancelled(Exception):
    """The replications were cancelled from the page."""


def replications(a: ExploreSettings, b: ExploreSettings, *, reps: int, days: int, workers: int = 1,
                 progress: Callable[[int, int], None] | None = None) -> pd.DataFrame:
    """The summary of ``gridgov compare`` for A (as ``baseline``) and B (as ``B``), each with its
    reforms and levers, on A's town and scale over ``reps`` seeds from A's seed, the same for
    both, so that B − A is paired; ``workers`` processes.

    Example:
        >>> a = ExploreSettings(seed=1, scale=0.02)
        >>> b = ExploreSettings(seed=1, scale=0.02, overrides={"institutions.authority.kind": "command"})
        >>> summary = replications(a, b, reps=2, days=3)
        >>> sorted(set(summary["setting"])), summary["metric"].iloc[0]
        (['B', 'baseline'], 'cases_reported')
    """
    jobs = [Run(setting_label(side.reforms), a.seed + i, days, a.scale, side.config())
            for side in (a, b) for i in range(reps)]
    runs = pd.DataFrame(run_all(execute_run, jobs, workers=workers, progress=progress,
                                start_method="forkserver"))
    runs["setting"] = [BASELINE] * reps + ["B"] * reps  # run_all keeps the jobs' order
    return summarise(runs, SUMMARY_METRICS)


def side_label(settings: ExploreSettings, lang: Lang) -> str:
    """A side as the page names it: its reforms, and "levers changed" if any lever is.

    Example:
        >>> side_label(ExploreSettings(reforms=("training",), overrides={"seed_x": 1}), "en")
        'training, levers changed'
    """
    label = reform_label(setting_label(settings.reforms), lang)
    return label + t("levers_changed", lang) if settings.overrides else label


def table_rows(summary: pd.DataFrame, lang: Lang) -> tuple[list[tuple[str, ...]], list[str]]:
    """Rows of (metric, A, B, B − A) in ``lang``, and each row's verdict on B − A (better,
    worse, unclear: :func:`gridgov.compare_brief.verdicts`)."""
    table = summary.set_index(["setting", "metric"])
    judged = verdicts(summary).set_index("metric")["verdict"]
    rows, marks = [], []
    for metric in dict.fromkeys(summary["metric"]):
        ra, rb = table.loc[(BASELINE, metric)], table.loc[("B", metric)]
        rows.append((metric_label(metric, lang), cell(ra["mean"], ra["ci_low"], ra["ci_high"]),
                     cell(rb["mean"], rb["ci_low"], rb["ci_high"]),
                     cell(rb["diff"], rb["diff_low"], rb["diff_high"])))
        marks.append(judged.get(metric, "unclear"))
    return rows, marks


@solara.component
def ReformPicker(label: str, value: tuple[str, ...], on_value: Callable[[tuple[str, ...]], None],
                 lang: Lang, css: str):
    rv.Select(label=label, v_model=list(value), multiple=True, chips=True, small_chips=True,
              dense=True, hide_details=True, class_=css,
              items=[{"text": reform_label(r, lang), "value": r} for r in REFORMS],
              on_v_model=lambda names: on_value(tuple(names)), style_="max-width: 330px")


@solara.component
def Side(title: str, run: ExploreRun, version: int, lang: Lang, css: str):
    """One setting: its name, today's figures and its map."""
    town = solara.use_memo(lambda: TownMap(run.model, lang=lang, map_height=2.3, legend_height=0.8),
                           [id(run), lang])
    image = solara.use_memo(lambda: town.png(run.model), [id(run), lang, version])
    latest = run.history.latest()
    with solara.Column(style={"flex": "1 1 0", "min-width": "0", "gap": "4px"}, classes=[css]):
        solara.Text(title, style={"font-weight": "700", "font-size": "1.05rem"})
        with solara.Row(style={"gap": "10px", "flex-wrap": "wrap"}):
            for name in STRIP:
                solara.Text(f"{metric_label(name, lang)}: {fmt(name, latest[name])}",
                            style={"font-size": "0.85rem"}, classes=[f"{css}-{name}"])
        PngImage(image, max_width="440px", classes=[f"{css}-map"])


@solara.component
def Replications(cmp: CompareState, lang: Lang):
    """The replication summary of ``gridgov compare`` for A and B, on the local cores, with
    progress, the time left, Cancel, a table in the page's language and the forest plot."""
    cancel = solara.use_memo(threading.Event, [])
    problems, set_problems = solara.use_state({}, key="reps-problems")  # a field's message, by field

    def heard(field: str) -> Callable[[str], None]:
        return lambda problem: set_problems(lambda old: {**old, field: problem})

    invalid = any(problems.values())

    def work() -> None:
        cancel.clear()
        reps, days = cmp.reps.value, cmp.days.value
        a, b = cmp.settings("a"), cmp.settings("b")
        started = time.monotonic()
        cmp.progress.value = (0, 2 * reps, math.nan)

        def tick(done: int, of: int) -> None:
            if cancel.is_set():
                raise Cancelled
            elapsed = time.monotonic() - started
            cmp.progress.value = (done, of, elapsed / done * (of - done))

        try:
            summary = replications(a, b, reps=reps, days=days, workers=WORKERS, progress=tick)
        except Cancelled:
            cmp.progress.value = None
            return
        cmp.summary.value = (a, b, summary)
        cmp.progress.value = None

    task = solara.lab.use_task(work, dependencies=None, prefer_threaded=True)
    result = cmp.summary.value
    forest = solara.use_memo(
        lambda: None if result is None else render(
            forest_figure, result[2], lang, t("forest_b_vs_a", plot_lang(lang))),
        [id(result), lang])
    solara.Text(t("replications", lang), style={"font-weight": "700", "font-size": "1.05rem"})
    with solara.Row(style={"gap": "12px", "align-items": "flex-start"}):
        NumberField(t("reps", lang), cmp.reps.value, cmp.reps.set, REPS, lang, width="140px",
                    on_error=heard("reps"))
        NumberField(t("days", lang), cmp.days.value, cmp.days.set, DAYS, lang, width="140px",
                    on_error=heard("days"))
        solara.Button(t("run_reps", lang), on_click=task, disabled=task.pending or invalid,
                      color="primary", classes=["reps-button"])
        if task.pending:
            solara.Button(t("cancel", lang), icon_name="mdi-close", on_click=cancel.set,
                          outlined=True, classes=["reps-cancel"])
    if task.pending:
        solara.ProgressLinear(True)
        progress = cmp.progress.value
        if progress is not None:
            done, total, left = progress
            solara.Text(t("reps_progress", lang, done=done, total=total, workers=WORKERS)
                        + ("" if math.isnan(left) else " " + t("time_left", lang, s=f"{left:.0f}")),
                        classes=["reps-progress"])
    if task.error:
        solara.Error(str(task.exception), dense=True)
    if result is not None and forest is not None:
        a, b, summary = result
        rows, marks = table_rows(summary, lang)
        solara.Text(t("reps_help", lang), style={"font-size": "0.85rem"})
        label_a, label_b = side_label(a, lang), side_label(b, lang)
        with solara.Row(style={"gap": "16px", "align-items": "flex-start", "flex-wrap": "wrap"}):
            with solara.Div(style={"flex": "1 1 560px"}):
                Table([t("metric", lang), f"A: {label_a}", f"B: {label_b}", "B − A"], rows,
                      cell_style=lambda i, j: MARKS[marks[i]] if j == 3 else "",
                      classes=["reps-table"])
            with solara.Div(style={"flex": "1 1 480px", "max-width": "760px"}):
                PngImage(forest, classes=["reps-forest"])


@solara.component
def Page():
    """The Compare page."""
    session = use_session()
    lang = session.lang.value
    cmp = session.compare
    version = cmp.version.value
    playing = cmp.playing.value
    pair = cmp.pair
    diff = solara.use_memo(lambda: DifferenceCharts(lang=lang), [id(pair), lang])
    diff_image = solara.use_memo(lambda: diff.png(pair.a.history, pair.b.history),
                                 [id(pair), lang, version])

    def play_loop() -> None:
        while cmp.playing.value:
            cmp.step(1)
            cmp.pacer.wait(cmp.version.value)  # the page has drawn it: no steps pile up
            time.sleep(0.05)

    solara.lab.use_task(play_loop, dependencies=[playing], prefer_threaded=True)
    solara.use_effect(lambda: lambda: cmp.playing.set(False), [])  # leaving the page pauses
    solara.use_effect(lambda: cmp.pacer.drawn(version), [version])  # runs once the page shows it

    def set_seed(value: float | int) -> None:
        cmp.seed.value = int(value)

    with solara.Row(style={"gap": "12px", "align-items": "center", "flex-wrap": "wrap"}):
        with solara.Div(style={"width": "190px"}):
            ChoiceField(t("preset", lang), cmp.preset.value, list_presets(), cmp.preset.set,
                        names=lambda name: town_name(name, lang), classes=["cmp-preset"])
        NumberField(t("seed", lang), cmp.seed.value, set_seed, SEED, lang, width="90px")
        NumberField(t("scale", lang), cmp.scale.value, cmp.scale.set, SCALE, lang, width="150px")
        ReformPicker(t("setting_a", lang), cmp.reforms_a.value, cmp.reforms_a.set, lang, "cmp-a")
        ReformPicker(t("setting_b", lang), cmp.reforms_b.value, cmp.reforms_b.set, lang, "cmp-b")
        solara.Button(t("reset", lang), icon_name="mdi-restart", on_click=cmp.reset, outlined=True,
                      classes=["cmp-reset"])
    with solara.Row(style={"gap": "8px", "align-items": "center"}):
        solara.Text(t("day_n", lang, n=pair.a.day), classes=["cmp-day"],
                    style={"font-size": "1.4rem", "font-weight": "700", "min-width": "7rem"})
        solara.Button(t("step", lang), icon_name="mdi-step-forward", on_click=lambda: cmp.step(),
                      color="primary", disabled=playing, classes=["cmp-step"])
        solara.ToggleButtonsSingle(value=cmp.days_per_step, values=[1, 7, 30], dense=True)
        if playing:
            solara.Button(t("pause", lang), icon_name="mdi-pause", on_click=lambda: cmp.playing.set(False))
        else:
            solara.Button(t("play", lang), icon_name="mdi-play", on_click=lambda: cmp.playing.set(True),
                          classes=["cmp-play"])
        solara.Text(t("same_seed", lang), style={"font-size": "0.85rem", "color": "#555"})
    with rv.ExpansionPanels(multiple=True, flat=True, class_="cmp-levers",
                            style_="max-width: 1020px"):
        for side in ("a", "b"):
            with rv.ExpansionPanel():
                rv.ExpansionPanelHeader(children=[t(f"levers_{side}", lang)], class_=f"cmp-levers-{side}",
                                        style_="min-height: 36px; padding: 4px 12px; font-weight: 600")
                with rv.ExpansionPanelContent():
                    LeverPanel(cmp.settings(side), cmp.set_levers(side), lang)
    pending = cmp.settings("a") != pair.a.settings or cmp.settings("b") != pair.b.settings
    if pending:
        solara.Warning(t("reset_help", lang), dense=True)
    if cmp.message.value:
        solara.Error(cmp.message.value, dense=True)
    with solara.Row(style={"gap": "16px", "align-items": "flex-start", "flex-wrap": "nowrap"}):
        Side(f"A: {side_label(pair.a.settings, lang)}", pair.a, version, lang, "side-a")
        Side(f"B: {side_label(pair.b.settings, lang)}", pair.b, version, lang, "side-b")
    solara.Text(t("difference", lang), style={"font-weight": "700", "font-size": "1.05rem"})
    PngImage(diff_image, max_width="1020px", classes=["difference-chart"])
    Replications(cmp, lang)
