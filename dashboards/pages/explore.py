"""Explore: one town under the institutions you set, day by day.

Pick a preset, set the levers and the seed, then step, play, pause or reset; switch a reform
on mid-run. The map shows where cases stand, the charts how the run unfolds, the referral
network who passed cases to whom, and the case inspector one case's whole history.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections import Counter
from functools import cache

import solara
from solara.alias import rv

from coordination.timeline import timeline
from coordination.words import Lang, Names, metric_label, reform_label, t
from dashboards.charts import LiveCharts, handler_labels
from dashboards.figures import render
from dashboards.lever_panel import LeverPanel
from dashboards.levers import LeverSpec
from dashboards.referral_network import draw_referrals, draw_workload, referral_graph
from dashboards.session import ExploreState, use_session
from dashboards.state import ExploreRun, ExploreSettings
from dashboards.town_map import TownMap
from dashboards.widgets import ChoiceField, MapImage, NumberField, PngImage, Table
from institutions import REFORMS, list_presets, load_preset

STREET = "street:"  # the choice that stands for a town of its own (a city's street opened here)
SEED = LeverSpec("seed", "int", low=0.0)
SCALE = LeverSpec("scale", "float", low=0.0, high=1.0, low_open=True)
CASE = LeverSpec("case", "int", low=1.0)
PLAY_SPEEDS = {"slow": 1.0, "normal": 0.3, "fast": 0.0}  # pause between days when playing, seconds
NETWORK_DELAY_S = 1.0  # the network and shares are drawn once the steps pause this long
NOW_METRICS = ("open_cases", "overdue_cases", "cases_closed", "closure_rate", "real_resolution_rate",
               "injuries", "declines", "paper_closures", "resident_trust")


@cache
def _town(name: str) -> tuple[str, str]:
    town = load_preset(name).town
    return town.name, town.name_zh or town.name


def town_name(preset: str, lang: Lang) -> str:
    """A preset as a reader names it: ``N town`` / ``嘉定区 N 镇``."""
    return _town(preset)[1 if lang == "zh" else 0]


def fmt(name: str, value: float) -> str:
    """A metric's value as the page shows it: rates in percent, counts whole."""
    if isinstance(value, float) and math.isnan(value):
        return "–"
    if name.endswith("_rate"):
        return f"{100 * value:.1f}%"
    if name == "resident_trust":
        return f"{value:.3f}"
    return f"{int(value)}"


@solara.component
def RunSettings(ex: ExploreState, lang: Lang):
    """Preset, seed, scale and reforms from day 0 of the next run."""
    settings = ex.settings.value

    def set_preset(name: str) -> None:
        if name == STREET:
            return
        ex.settings.value = ExploreSettings(preset=name, seed=settings.seed, scale=settings.scale,
                                            reforms=settings.reforms)

    def set_field(name: str):
        def setter(value) -> None:
            ex.settings.value = dataclasses.replace(settings, **{name: value})
        return setter

    street = settings.town
    ChoiceField(t("preset", lang), STREET if street is not None else settings.preset,
                ([STREET] if street is not None else []) + list_presets(), set_preset,
                names=lambda name: (t("city_street", lang, name=(street.town.name_zh if lang == "zh"
                                                             else "") or street.town.name)
                                    if name == STREET else town_name(name, lang)),
                classes=["preset"])
    with solara.Row(style={"gap": "8px"}):
        fresh = ex.resets.value  # a Reset clears what was typed and refused
        NumberField(t("seed", lang), settings.seed, set_field("seed"), SEED, lang, width="45%",
                    fresh=fresh)
        NumberField(t("scale", lang), settings.scale, set_field("scale"), SCALE, lang, width="50%",
                    fresh=fresh)
    rv.Select(label=t("reforms_from_start", lang), v_model=list(settings.reforms), multiple=True,
              chips=True, small_chips=True, dense=True, hide_details=True,
              items=[{"text": reform_label(r, lang), "value": r} for r in REFORMS],
              on_v_model=lambda names: set_field("reforms")(tuple(names)))


@solara.component
def DayCounter(ex: ExploreState, lang: Lang, version: int):
    """The day the run has reached."""
    solara.Text(t("day_n", lang, n=ex.run.day), classes=["day-counter"],
                style={"font-size": "1.6rem", "font-weight": "700", "min-width": "7.5rem"})


@solara.component
def RunNotes(ex: ExploreState, lang: Lang, version: int):
    """Settings waiting for Reset (or to be put in force), and what went wrong: beside the
    settings, so that the page does not move when they appear."""
    run = ex.run
    edited = ex.settings.value
    if edited != run.settings:
        town_changed = any(getattr(edited, f) != getattr(run.settings, f)
                           for f in ("preset", "seed", "scale"))
        with solara.Column(style={"gap": "2px", "margin": "4px 0"}):
            solara.Warning(t("pending_reset" if town_changed else "pending", lang), dense=True,
                           classes=["pending-note"])
            if not town_changed:  # the town, seed and scale cannot change during a run
                solara.Button(t("apply_now", lang), on_click=ex.apply_levers, text=True,
                              color="primary", classes=["apply-now"])
    if ex.message.value:
        solara.Error(ex.message.value, dense=True, classes=["run-message"])


@solara.component
def Controls(ex: ExploreState, lang: Lang, version: int):
    """Step, play, pause, reset, and a reform switched on now."""
    playing = ex.playing.value
    reform, set_reform = solara.use_state("department_kpis")

    def play_loop() -> None:
        while ex.playing.value:
            ex.step(1)
            ex.pacer.wait(ex.version.value)  # the page has drawn it: no steps pile up
            time.sleep(PLAY_SPEEDS[ex.speed.value])

    solara.lab.use_task(play_loop, dependencies=[playing], prefer_threaded=True)
    solara.use_effect(lambda: lambda: ex.playing.set(False), [])  # leaving the page pauses

    with solara.Row(style={"align-items": "center", "gap": "8px", "flex-wrap": "wrap"}):
        DayCounter(ex, lang, version)
        solara.Button(t("step", lang), icon_name="mdi-step-forward", on_click=lambda: ex.step(),
                      color="primary", disabled=playing, classes=["step-button"])
        solara.ToggleButtonsSingle(value=ex.days_per_step, dense=True, classes=["days-per-step"],
                                   children=[solara.Button(f"{n}", value=n) for n in (1, 7, 30)])
        solara.Text(t("step_days", lang), style={"font-size": "0.8rem", "color": "#666"})
        if playing:
            solara.Button(t("pause", lang), icon_name="mdi-pause", on_click=lambda: ex.playing.set(False),
                          classes=["pause-button"])
        else:
            solara.Button(t("play", lang), icon_name="mdi-play", on_click=lambda: ex.playing.set(True),
                          classes=["play-button"])
        solara.ToggleButtonsSingle(value=ex.speed, dense=True, classes=["play-speed"],
                                   children=[solara.Button(t(f"speed_{k}", lang), value=k,
                                                           classes=[f"speed-{k}"])
                                             for k in PLAY_SPEEDS])
        solara.Button(t("reset", lang), icon_name="mdi-restart", on_click=ex.reset, outlined=True,
                      classes=["reset-button"])
        with solara.Row(style={"align-items": "center", "gap": "4px", "margin-left": "12px"}):
            with solara.Div(style={"width": "230px"}):
                ChoiceField(t("reform", lang), reform, list(REFORMS), set_reform,
                            names=lambda r: reform_label(r, lang), classes=["reform-select"])
            solara.Button(t("switch_on", lang), on_click=lambda: ex.switch_on(reform), outlined=True,
                          color="deep-purple", classes=["switch-button"])


@solara.component
def TownView(ex: ExploreState, lang: Lang, version: int):
    """The map, redrawn each step: point at a dot to see what it is, click it to open its case,
    double-click a grid to zoom on it."""
    zoom, inspected = ex.zoom.value, ex.inspected.value
    run = ex.run
    town = solara.use_memo(lambda: TownMap(run.model, lang=lang), [id(run), lang])
    names = solara.use_memo(lambda: Names(run.model.config, lang), [id(run), lang])

    def draw() -> tuple[bytes, list]:
        with ex.lock:  # Play may be stepping the run in another thread
            town.zoom(zoom if zoom in run.model.grid_origin else None)
            case = run.model.workflow.cases.get(inspected) if inspected is not None else None
            image = town.png(run.model, case.incident if case is not None else None,
                             label=t("map_case", lang, case=inspected))
            return image, town.dots(run.model, names)

    image, dots = solara.use_memo(draw, [id(run), lang, version, zoom, inspected])

    def zoom_at(fx: float, fy: float) -> None:
        ex.zoom.value = None if ex.zoom.value is not None else town.grid_at(fx, fy)

    grids = ["", *run.model.grid_origin]  # "": the whole town
    with solara.Row(style={"align-items": "center", "gap": "8px"}):
        with solara.Div(style={"width": "190px", "flex": "0 0 auto"}):
            ChoiceField(t("map_zoom", lang), zoom or "", grids, lambda g: ex.zoom.set(g or None),
                        classes=["map-zoom"],
                        names=lambda g: t("map_grid", lang, grid=g) if g else t("map_whole", lang))
        solara.Text(t("map_help", lang), style={"font-size": "0.75rem", "color": "#666",
                                                "line-height": "1.2"})
    MapImage(image, dots, on_pick=ex.inspect, on_zoom=zoom_at, max_width="640px", classes=["town-map"])


@solara.component
def ChartsView(ex: ExploreState, lang: Lang, version: int):
    """The live charts, redrawn each step."""
    run = ex.run
    charts = solara.use_memo(lambda: LiveCharts(lang=lang),
                             [id(run), lang])
    image = solara.use_memo(lambda: charts.png(run.history, run.switches), [id(run), lang, version])
    solara.use_effect(lambda: ex.pacer.drawn(version), [version])  # runs once the page shows it
    PngImage(image, max_width="720px", classes=["live-charts"])


@solara.component
def NowStrip(ex: ExploreState, lang: Lang, version: int):
    """Today's figures in one line, and the reforms in force."""
    run = ex.run
    latest = run.history.latest()
    with solara.Row(style={"gap": "6px", "flex-wrap": "wrap", "align-items": "stretch"},
                    classes=["now-strip"]):
        for name in NOW_METRICS:
            with rv.Sheet(outlined=True, rounded=True, class_=f"now-{name}",
                          style_="padding: 2px 10px; min-width: 84px"):
                rv.Html(tag="div", children=[metric_label(name, lang)],
                        style_="font-size: 0.72rem; color: #555; white-space: nowrap")
                rv.Html(tag="div", children=[fmt(name, latest[name])],
                        style_="font-size: 1.05rem; font-weight: 700")
    solara.Text(t("in_force", lang) + ": " + in_force(run, lang), classes=["in-force"],
                style={"font-size": "0.85rem", "color": "#5e35b1"})


def in_force(run: ExploreRun, lang: Lang) -> str:
    """The reforms in force and the days they were switched on (levers put in force too).

    Example:
        >>> run = ExploreRun(ExploreSettings(scale=0.02, reforms=("training",)))
        >>> run.step(2)
        >>> run.switch_on("department_kpis")
        >>> in_force(run, "en")
        'training; department KPIs from day 2'
    """
    said = [reform_label(name, lang) if day == 0 else
            t("from_day", lang, what=reform_label(name, lang), day=int(day))
            for name, day in run.model.reforms_applied]
    said += [t("from_day", lang, what=t("levers_set", lang), day=day)
             for day, name in run.switches if name == "levers"]
    return t("force_sep", lang).join(said) if said else t("none_in_force", lang)


def troubled_cases(run: ExploreRun, lang: Lang, limit: int = 40, also: int | None = None
                   ) -> list[tuple[int, str]]:
    """Cases to inspect, the most dispatched first, and ``also`` (a case picked on the map)
    first if it is not among them: ``(case id, label)``."""
    cases, names = run.model.workflow.cases, Names(run.model.config, lang)
    sent = run.model.tally.dispatches_of
    ranked = sorted(sent, key=lambda c: (-sent[c], c))[:limit]
    if also in cases and also not in ranked:
        ranked.insert(0, also)
    return [(case_id, t("case_label", lang, case=case_id, hops=sent.get(case_id, 0),
                        kind=names.kind(cases[case_id].incident.kind.id)))
            for case_id in ranked]


@solara.component
def CaseInspector(ex: ExploreState, lang: Lang, version: int):
    """One case's whole history from the case log, told in words."""
    run = ex.run
    chosen, set_chosen = ex.inspected.value, ex.inspected.set
    cases = solara.use_memo(lambda: troubled_cases(run, lang, also=chosen), [id(run), lang, version, chosen])
    known = run.model.workflow.cases
    case_id = chosen if chosen in known else (cases[0][0] if cases else None)

    def typed(number: float | int) -> str | None:
        if int(number) not in known:
            return t("no_case", lang, value=int(number))
        set_chosen(int(number))
        return None

    def story() -> list[tuple[str, str, str, str]]:
        if case_id is None:
            return []
        frame = timeline(run.model, known[case_id].incident.id, lang)
        return list(frame[["when", "step_name", "who", "text"]].itertuples(index=False, name=None))

    rows = solara.use_memo(story, [id(run), lang, version, case_id])
    with solara.Row(style={"gap": "12px", "align-items": "flex-start"}):
        with solara.Div(style={"width": "420px"}):
            ChoiceField(t("case_pick", lang), case_id, [c for c, _ in cases], set_chosen,
                        names=dict(cases).get, classes=["case-select"])
        NumberField(t("case_number", lang), case_id, typed, CASE, lang, width="200px")
    if case_id is None:
        solara.Info(t("no_cases", lang), dense=True)
    else:
        Table([t("when", lang), t("what_step", lang), t("actor", lang), t("what", lang)], rows,
              max_height="360px", classes=["case-timeline"])


@solara.component
def Referrals(ex: ExploreState, lang: Lang, version: int):
    """The referral network of cases that moved between departments, and who received the work
    orders."""
    run = ex.run
    hops = Counter(run.model.tally.hops)
    orders = Counter(run.model.tally.workload)
    key = (tuple(sorted(hops.items())), tuple(sorted(orders.items())))

    def draw() -> tuple[tuple[int, str], bytes | None, bytes | None] | None:
        # in a thread, once the steps pause: a step shows its map and charts without waiting for
        # this, and Play does not draw a network for every day it passes
        time.sleep(NETWORK_DELAY_S)
        with ex.lock:  # Play may be stepping the run in another thread
            moved_on = (tuple(sorted(run.model.tally.hops.items())),
                        tuple(sorted(run.model.tally.workload.items()))) != key
        if moved_on:
            return None  # the task of the newer day draws it
        labels = handler_labels(run.model, lang)
        network = (render(draw_referrals, referral_graph(hops, orders), labels, lang=lang)
                   if hops else None)
        workload = render(draw_workload, orders, labels, lang=lang) if orders else None
        return (id(run), lang), network, workload

    task = solara.lab.use_task(draw, dependencies=[id(run), lang, key], prefer_threaded=True)
    solara.Text(t("referrals_help", lang), style={"font-size": "0.85rem"})
    latest = task.latest  # the last drawn (kept while a newer one is drawn)
    if not hops:
        solara.Info(t("no_referrals", lang), dense=True, classes=["no-referrals"])
    if latest is None or latest[0] != (id(run), lang):
        return
    with solara.Row(style={"gap": "12px", "align-items": "flex-start", "flex-wrap": "wrap"}):
        if hops and latest[1] is not None:
            PngImage(latest[1], max_width="640px", classes=["referral-network"])
        if latest[2] is not None:
            PngImage(latest[2], max_width="560px", classes=["workload-share"])


@solara.component
def Page():
    """The Explore page."""
    session = use_session()
    lang = session.lang.value
    ex = session.explore
    # read here once and handed down: a step is one render pass, not one per part that shows it
    version = ex.version.value
    tab, set_tab = ex.tab.value, ex.tab.set
    with solara.Row(style={"align-items": "flex-start", "gap": "16px", "flex-wrap": "nowrap"}):
        with solara.Column(style={"width": "290px", "flex": "0 0 290px", "gap": "4px",
                                  "max-height": "calc(100vh - 72px)", "overflow-y": "auto",
                                  "padding": "6px 4px 0 0"}, classes=["explore-settings"]):
            RunSettings(ex, lang)
            solara.Text(t("reset_help", lang), style={"font-size": "0.8rem", "color": "#666"})
            RunNotes(ex, lang, version)
            solara.Text(t("levers", lang), style={"font-weight": "700", "margin-top": "6px"})
            LeverPanel(ex.settings.value, ex.settings.set, lang)
        with solara.Column(style={"flex": "1 1 auto", "min-width": "0", "gap": "6px"}):
            Controls(ex, lang, version)
            NowStrip(ex, lang, version)
            with solara.Row(style={"gap": "12px", "align-items": "flex-start", "flex-wrap": "nowrap"}):
                with solara.Div(style={"flex": "42 1 0", "min-width": "0"}):
                    TownView(ex, lang, version)
                with solara.Div(style={"flex": "58 1 0", "min-width": "0"}):
                    ChartsView(ex, lang, version)
            with rv.Tabs(v_model=tab, on_v_model=set_tab, height="36px"):
                rv.Tab(children=[t("referrals", lang)])
                rv.Tab(children=[t("case_inspector", lang)])
            if tab == 0:
                Referrals(ex, lang, version)
            else:
                CaseInspector(ex, lang, version)
