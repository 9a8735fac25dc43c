"""Train: a failure the paper reports, planted in a normal run of its town, told step by step.

Pick a scenario and run it; step through the planted problem's timeline (每一步: who acted, and
why) with the problem ringed on the map of the town at that moment; then replay it on the same
seed under a reform: the same incidents arise, only the institutions differ.
"""

from __future__ import annotations

import math
import threading

import solara

from coordination.timeline import key_events, timeline
from coordination.words import Lang, reform_label, t
from dashboards.levers import LeverSpec
from dashboards.pages.compare import WORKERS, Cancelled
from dashboards.pages.explore import SEED
from dashboards.session import TrainState, use_session
from dashboards.sweep_data import inside_root, sweeps_root
from dashboards.town_map import TownMap
from dashboards.widgets import ChoiceField, NumberField, PngImage, Table
from experiments import BASELINE
from experiments.scenarios import SCENARIOS, Scenario, failure_rates, load_scenario, replicate, run_scenario
from institutions import REFORMS, ConfigError


def story_rows(story, lang: Lang) -> list[tuple[str, str, str, str]]:
    """The planted problem's timeline in ``lang``: (when, step, who, what and why)."""
    frame = timeline(story.model, story.incident.id, lang)
    return list(frame[["when", "step_name", "who", "text"]].itertuples(index=False, name=None))


def scenarios(state: TrainState) -> dict[str, Scenario]:
    """The built-in scenarios and those this session opened from files."""
    return {**SCENARIOS, **state.own.value}


@solara.component
def ScenarioFile(tr: TrainState, lang: Lang):
    """A scenario file (docs/scenarios.md) under the dashboard's folder, opened and chosen."""
    text, set_text = solara.use_state("")

    def open_file(path: str | None = None) -> None:
        path = (path if path is not None else text).strip()
        set_text(path)
        try:
            sc = load_scenario(inside_root(path))
        except ConfigError as exc:
            tr.file_message.value = str(exc).replace(str(sweeps_root()), ".")
            return
        tr.file_message.value = ""
        tr.own.value = {**tr.own.value, sc.name: sc}
        tr.scenario.value = sc.name

    with solara.Div(style={"width": "360px"}, classes=["field-scenario-file"]):
        solara.InputText(t("scenario_file", lang), value=text, on_value=open_file, dense=True,
                         error=tr.file_message.value or False)


def advance_replay(state: TrainState, setting: str, hours: float) -> tuple[object, object]:
    """The story's scenario on its seed under ``setting``, brought to just after ``hours``
    (rebuilt to go back in time): ``(model, planted incident)``."""
    target = math.floor(hours) + 1
    story = state.story.value
    with state.lock:
        model, incident = state.replays.get(setting, (None, None))
        if model is None or model.time > target:
            replay = run_scenario(scenarios(state)[story.scenario], seed=story.seed, setting=setting,
                                  follow_days=0)
            model, incident = replay.model, replay.incident
            state.replays[setting] = (model, incident)
        if target > model.time:
            model.run_for(int(target - model.time))
        return model, incident


def town_at(state: TrainState, setting: str, hours: float, lang: Lang) -> bytes:
    """The town under ``setting`` at ``hours``, the planted problem ringed."""
    model, incident = advance_replay(state, setting, hours)
    with state.lock:
        town = state.towns.get(setting)
        if town is None or town[0] is not model or town[1] != lang:
            town = state.towns[setting] = (model, lang, TownMap(model, lang=lang))
        return town[2].png(model, highlight=incident)


@solara.component
def Page():
    """The Train page."""
    session = use_session()
    lang = session.lang.value
    tr = session.train
    story = tr.story.value
    known = scenarios(tr)
    scenario = known.get(tr.scenario.value) or next(iter(known.values()))

    def run() -> None:
        tr.reform_story.value = None
        result = run_scenario(scenario, seed=tr.seed.value, lang=lang)
        with tr.lock:
            tr.replays.clear()
        tr.index.value = 0
        tr.reform.value = scenario.reforms[0] if scenario.reforms else "department_kpis"
        tr.story.value = result

    def replay() -> None:
        base = tr.story.value
        tr.reform_story.value = run_scenario(known[base.scenario], seed=base.seed, setting=tr.reform.value,
                                             lang=lang)

    running = solara.lab.use_task(run, dependencies=None, prefer_threaded=True)
    replaying = solara.lab.use_task(replay, dependencies=None, prefer_threaded=True)

    def set_seed(value: float | int) -> None:
        tr.seed.value = int(value)

    with solara.Row(style={"gap": "12px", "align-items": "center", "flex-wrap": "wrap"}):
        with solara.Div(style={"width": "420px"}):
            ChoiceField(t("scenario", lang), scenario.name, list(known), tr.scenario.set,
                        names=lambda n: known[n].title_zh if lang == "zh" else known[n].title,
                        classes=["scenario-select"])
        NumberField(t("seed", lang), tr.seed.value, set_seed, SEED, lang, width="90px")
        solara.Button(t("run_scenario", lang), icon_name="mdi-play", on_click=running,
                      disabled=running.pending, color="primary", classes=["run-scenario"])
        ScenarioFile(tr, lang)
    solara.Text(scenario.summary_zh if lang == "zh" else scenario.summary, style={"max-width": "70rem"})
    solara.Text(f"{t('source', lang)}: {scenario.source}", style={"font-size": "0.85rem", "color": "#555"})
    if running.pending:
        solara.ProgressLinear(True)
    if running.error:
        solara.Error(str(running.exception), dense=True)
    if story is None or story.scenario != scenario.name:
        return
    StoryView(tr, lang)
    ReplayView(tr, lang, replaying)
    FailureOdds(tr, lang)


WINDOW = 12
"""Timeline rows shown at once, the event shown among them (the rest by the slider)."""
REPS = LeverSpec("reps", "int", low=2.0, high=200.0)


def window(n: int, at: int, size: int = WINDOW) -> range:
    """The rows of an ``n``-row timeline to show around row ``at``: ``size`` rows, ``at`` the
    fourth where it can be, so the event shown is always in view.

    Example:
        >>> window(104, 50), window(104, 0), window(104, 103), window(5, 2)
        (range(47, 59), range(0, 12), range(92, 104), range(0, 5))
    """
    start = max(0, min(at - 3, n - size))
    return range(start, min(n, start + size))


@solara.component
def StoryView(tr: TrainState, lang: Lang):
    """The outcome, the event shown, the map at that moment, and the timeline around it: a
    slider over every event (or only the turning points), the event shown always in view."""
    story = tr.story.value
    scenario = scenarios(tr)[story.scenario]
    frame = solara.use_memo(lambda: timeline(story.model, story.incident.id, lang), [id(story), lang])
    every = solara.use_memo(lambda: list(frame[["when", "step_name", "who", "text"]].itertuples(
        index=False, name=None)), [id(frame)])
    keys = solara.use_memo(lambda: [i for i, k in enumerate(key_events(frame)) if k], [id(frame)])
    shown = keys if tr.key_only.value else list(range(len(every)))
    here = min(tr.index.value, len(every) - 1)
    position = next((p for p, i in enumerate(shown) if i >= here), len(shown) - 1)
    index = shown[position]
    failure = scenario.failure_zh if lang == "zh" else scenario.failure
    if story.failed:
        solara.Error(t("failed_yes", lang, failure=failure), classes=["scenario-outcome"])
    else:
        solara.Success(t("failed_no", lang, failure=failure), classes=["scenario-outcome"])

    reform_story = tr.reform_story.value
    beside = (reform_story.setting if reform_story is not None
              and reform_story.scenario == story.scenario and reform_story.seed == story.seed else None)
    hours = float(frame["time"].iloc[index])
    image = solara.use_memo(lambda: town_at(tr, story.setting, hours, lang), [id(story), lang, index])
    other = solara.use_memo(lambda: town_at(tr, beside, hours, lang) if beside else None,
                            [id(story), lang, index, beside])
    when_, step, who, what = every[index]
    rows = window(len(shown), position)
    if other is not None:  # the replay under the reform, stepping with the story, map beside map
        with solara.Row(style={"gap": "16px", "align-items": "flex-start", "flex-wrap": "wrap"}):
            for title, picture, css in ((t("town_then", lang), image, "train-map"),
                                        (t("town_then_under", lang, reform=reform_label(beside, lang)),
                                         other, "train-map-reform")):
                with solara.Column(style={"flex": "0 1 480px", "min-width": "0", "gap": "4px"}):
                    solara.Text(title, style={"font-weight": "700"})
                    PngImage(picture, max_width="480px", classes=[css])
    with solara.Row(style={"gap": "16px", "align-items": "flex-start", "flex-wrap": "nowrap"}):
        if other is None:
            with solara.Column(style={"flex": "0 1 480px", "min-width": "0", "gap": "4px"}):
                solara.Text(t("town_then", lang), style={"font-weight": "700"})
                PngImage(image, max_width="480px", classes=["train-map"])
        with solara.Column(style={"flex": "1 1 0", "min-width": "0", "gap": "8px"}):
            with solara.Row(style={"align-items": "center", "gap": "8px", "flex-wrap": "wrap"}):
                solara.Button(t("previous", lang), icon_name="mdi-chevron-left", disabled=position == 0,
                              on_click=lambda: tr.index.set(shown[max(position - 1, 0)]),
                              classes=["prev-event"])
                solara.Button(t("next", lang), icon_name="mdi-chevron-right", color="primary",
                              disabled=position >= len(shown) - 1,
                              on_click=lambda: tr.index.set(shown[min(position + 1, len(shown) - 1)]),
                              classes=["next-event"])
                solara.Text(t("event_n", lang, i=position + 1, n=len(shown)), classes=["event-counter"],
                            style={"font-weight": "600"})
                with solara.Div(classes=["key-events"]):
                    solara.Checkbox(label=t("key_events_only", lang, n=len(keys), of=len(every)),
                                    value=tr.key_only)
            with solara.Div(style={"padding": "0 8px"}, classes=["event-slider"]):
                solara.SliderInt(t("timeline", lang), value=position, min=0, max=max(len(shown) - 1, 0),
                                 on_value=lambda p: tr.index.set(shown[p]), thumb_label=False)
            with solara.Card(style={"background": "#fff8e1"}, classes=["event-card"]):
                solara.Text(f"{when_} · {step} · {who}", style={"font-size": "0.9rem", "color": "#555"})
                solara.Text(what, style={"font-weight": "700", "display": "block"})
            Table([t("when", lang), t("what_step", lang), t("actor", lang), t("what", lang)],
                  [every[shown[p]] for p in rows], highlight=position - rows.start,
                  classes=["train-timeline"])
            solara.Text(t("rows_of", lang, first=rows.start + 1, last=rows.stop, n=len(shown)),
                        style={"font-size": "0.8rem", "color": "#666"}, classes=["timeline-rows"])


@solara.component
def ReplayView(tr: TrainState, lang: Lang, replaying):
    """The same scenario on the same seed under a reform, beside the story as it was."""
    story = tr.story.value
    scenario = scenarios(tr)[story.scenario]
    reform_story = tr.reform_story.value
    choices = list(dict.fromkeys([*scenario.reforms, *REFORMS]))
    solara.Text(t("replay_under", lang), style={"font-weight": "700", "font-size": "1.05rem"})
    with solara.Row(style={"gap": "12px", "align-items": "center"}):
        with solara.Div(style={"width": "320px"}):
            ChoiceField(t("reform", lang), tr.reform.value or choices[0], choices, tr.reform.set,
                        names=lambda r: reform_label(r, lang), classes=["replay-reform"])
        solara.Button(t("replay", lang), icon_name="mdi-replay", on_click=replaying,
                      disabled=replaying.pending, color="deep-purple", dark=True,
                      classes=["replay-button"])
    if replaying.pending:
        solara.ProgressLinear(True)
    if replaying.error:
        solara.Error(str(replaying.exception), dense=True)
    shown = reform_story is not None and reform_story.scenario == story.scenario
    rows = solara.use_memo(lambda: story_rows(reform_story, lang) if shown else [],
                           [id(reform_story), lang, shown])
    if not shown:
        return
    failure = scenario.failure_zh if lang == "zh" else scenario.failure
    solara.Text(t("replay_beside", lang), style={"font-size": "0.85rem", "color": "#555"})
    with solara.Row(style={"gap": "16px", "align-items": "flex-start"}, classes=["replay-result"]):
        for title, outcome in ((t("as_is", lang), story),
                               (t("under", lang, reform=reform_label(reform_story.setting, lang)),
                                reform_story)):
            with solara.Column(style={"flex": "1 1 0", "gap": "2px"}):
                solara.Text(title, style={"font-weight": "700"})
                message = t("failed_yes" if outcome.failed else "failed_no", lang, failure=failure)
                (solara.Error if outcome.failed else solara.Success)(message, dense=True)
    Table([t("when", lang), t("what_step", lang), t("actor", lang), t("what", lang)], rows,
          max_height="300px", classes=["replay-timeline"])


@solara.component
def FailureOdds(tr: TrainState, lang: Lang):
    """How often the failure happens over N seeds, as the town is and under the reform chosen,
    with 95% Wilson intervals (as ``gridgov scenario run --reps N``); Cancel stops the runs."""
    story = tr.story.value
    scenario = scenarios(tr)[story.scenario]
    reform = tr.reform.value or (scenario.reforms[0] if scenario.reforms else "department_kpis")
    cancel = solara.use_memo(threading.Event, [])
    bad, set_bad = solara.use_state("", key="odds-bad")

    def work() -> None:
        cancel.clear()

        def tick(done: int, of: int) -> None:
            if cancel.is_set():
                raise Cancelled
            tr.rates_progress.value = (done, of)

        tr.rates_progress.value = (0, 2 * tr.reps.value)
        try:
            runs = replicate(scenario, [BASELINE, reform], reps=tr.reps.value, seed=story.seed,
                             workers=WORKERS, progress=tick, start_method="forkserver")
        except Cancelled:
            return
        finally:
            tr.rates_progress.value = None
        tr.rates.value = (scenario.name, story.seed, reform, failure_rates(runs))

    task = solara.lab.use_task(work, dependencies=None, prefer_threaded=True)
    failure = scenario.failure_zh if lang == "zh" else scenario.failure
    solara.Text(t("odds_title", lang, failure=failure), style={"font-weight": "700", "font-size": "1.05rem"})
    with solara.Row(style={"gap": "12px", "align-items": "flex-start"}):
        NumberField(t("seeds", lang), tr.reps.value, tr.reps.set, REPS, lang, width="120px",
                    on_error=set_bad)
        solara.Button(t("run_odds", lang, reform=reform_label(reform, lang)), on_click=task,
                      disabled=task.pending or bool(bad), color="primary", classes=["odds-button"])
        if task.pending:
            solara.Button(t("cancel", lang), icon_name="mdi-close", on_click=cancel.set, outlined=True,
                          classes=["odds-cancel"])
    progress = tr.rates_progress.value
    if task.pending and progress is not None:
        solara.ProgressLinear(progress[0] / max(progress[1], 1) * 100)
        solara.Text(t("reps_progress", lang, done=progress[0], total=progress[1], workers=WORKERS),
                    classes=["odds-progress"])
    if task.error:
        solara.Error(str(task.exception), dense=True)
    result = tr.rates.value
    if result is None or result[0] != scenario.name:
        return
    _, seed, chosen, rates = result
    for row in rates.itertuples(index=False):
        base = row.setting == BASELINE
        label = t("as_is", lang) if base else reform_label(chosen, lang)
        solara.Text(t("odds_row", lang, setting=label, rate=f"{row.rate:.0%}", low=f"{row.ci_low:.0%}",
                      high=f"{row.ci_high:.0%}", k=row.failures, n=row.reps, first=seed,
                      last=seed + row.reps - 1),
                    classes=["odds-as-is" if base else "odds-reform"], style={"display": "block"})
