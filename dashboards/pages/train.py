"""Train: a failure the paper reports, planted in a normal run of its town, told step by step.

Pick a scenario and run it; step through the planted problem's timeline (每一步: who acted, and
why) with the problem ringed on the map of the town at that moment; then replay it on the same
seed under a reform: the same incidents arise, only the institutions differ.
"""

from __future__ import annotations

import math

import solara

from coordination.timeline import timeline
from coordination.words import Lang, reform_label, t
from dashboards.pages.explore import SEED
from dashboards.session import TrainState, use_session
from dashboards.town_map import TownMap
from dashboards.widgets import ChoiceField, NumberField, PngImage, Table
from experiments.scenarios import SCENARIOS, run_scenario
from institutions import REFORMS


def story_rows(story, lang: Lang) -> list[tuple[str, str, str, str]]:
    """The planted problem's timeline in ``lang``: (when, step, who, what and why)."""
    frame = timeline(story.model, story.incident.id, lang)
    return list(frame[["when", "step_name", "who", "text"]].itertuples(index=False, name=None))


def advance_replay(state: TrainState, hours: float) -> None:
    """Bring the replay model to just after ``hours``, rebuilding it to go back in time."""
    target = math.floor(hours) + 1
    story = state.story.value
    with state.lock:
        model = state.replay
        if model is None or model.time > target:
            replay = run_scenario(story.scenario, seed=story.seed, setting=story.setting,
                                  follow_days=0)
            state.replay = model = replay.model
            state.replay_incident = replay.incident
        if target > model.time:
            model.run_for(int(target - model.time))


@solara.component
def Page():
    """The Train page."""
    session = use_session()
    lang = session.lang.value
    tr = session.train
    story = tr.story.value
    scenario = SCENARIOS.get(tr.scenario.value) or next(iter(SCENARIOS.values()))

    def run() -> None:
        tr.reform_story.value = None
        result = run_scenario(scenario.name, seed=tr.seed.value, lang=lang)
        with tr.lock:
            tr.replay = None
        tr.index.value = 0
        tr.reform.value = scenario.reforms[0] if scenario.reforms else "department_kpis"
        tr.story.value = result

    def replay() -> None:
        base = tr.story.value
        tr.reform_story.value = run_scenario(base.scenario, seed=base.seed, setting=tr.reform.value,
                                             lang=lang)

    running = solara.lab.use_task(run, dependencies=None, prefer_threaded=True)
    replaying = solara.lab.use_task(replay, dependencies=None, prefer_threaded=True)

    def set_seed(value: float | int) -> None:
        tr.seed.value = int(value)

    with solara.Row(style={"gap": "12px", "align-items": "center", "flex-wrap": "wrap"}):
        with solara.Div(style={"width": "420px"}):
            ChoiceField(t("scenario", lang), scenario.name, list(SCENARIOS), tr.scenario.set,
                        names=lambda n: SCENARIOS[n].title_zh if lang == "zh" else SCENARIOS[n].title,
                        classes=["scenario-select"])
        NumberField(t("seed", lang), tr.seed.value, set_seed, SEED, lang, width="90px")
        solara.Button(t("run_scenario", lang), icon_name="mdi-play", on_click=running,
                      disabled=running.pending, color="primary", classes=["run-scenario"])
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


@solara.component
def StoryView(tr: TrainState, lang: Lang):
    """The outcome, the event shown, the map at that moment, and the whole timeline."""
    story = tr.story.value
    scenario = SCENARIOS[story.scenario]
    rows = solara.use_memo(lambda: story_rows(story, lang), [id(story), lang])
    frame_times = solara.use_memo(lambda: list(timeline(story.model, story.incident.id)["time"]),
                                  [id(story)])
    index = min(tr.index.value, len(rows) - 1)
    failure = scenario.failure_zh if lang == "zh" else scenario.failure
    if story.failed:
        solara.Error(t("failed_yes", lang, failure=failure), classes=["scenario-outcome"])
    else:
        solara.Success(t("failed_no", lang, failure=failure), classes=["scenario-outcome"])

    def town_png() -> bytes:
        advance_replay(tr, frame_times[index])
        model = tr.replay
        if tr.town is None or tr.town[0] is not model or tr.town[1] != lang:
            tr.town = (model, lang, TownMap(model, lang=lang))
        return tr.town[2].png(model, highlight=tr.replay_incident)

    image = solara.use_memo(town_png, [id(story), lang, index])
    when_, step, who, what = rows[index]
    with solara.Row(style={"gap": "16px", "align-items": "flex-start", "flex-wrap": "nowrap"}):
        with solara.Column(style={"flex": "0 1 480px", "min-width": "0", "gap": "4px"}):
            solara.Text(t("town_then", lang), style={"font-weight": "700"})
            PngImage(image, max_width="480px", classes=["train-map"])
        with solara.Column(style={"flex": "1 1 0", "min-width": "0", "gap": "8px"}):
            with solara.Row(style={"align-items": "center", "gap": "8px"}):
                solara.Button(t("previous", lang), icon_name="mdi-chevron-left", disabled=index == 0,
                              on_click=lambda: tr.index.set(index - 1), classes=["prev-event"])
                solara.Button(t("next", lang), icon_name="mdi-chevron-right", color="primary",
                              disabled=index >= len(rows) - 1, on_click=lambda: tr.index.set(index + 1),
                              classes=["next-event"])
                solara.Text(t("event_n", lang, i=index + 1, n=len(rows)), classes=["event-counter"],
                            style={"font-weight": "600"})
            with solara.Card(style={"background": "#fff8e1"}, classes=["event-card"]):
                solara.Text(f"{when_} · {step} · {who}", style={"font-size": "0.9rem", "color": "#555"})
                solara.Text(what, style={"font-weight": "700", "display": "block"})
            Table([t("when", lang), t("what_step", lang), t("actor", lang), t("what", lang)], rows,
                  highlight=index, max_height="330px", classes=["train-timeline"])


@solara.component
def ReplayView(tr: TrainState, lang: Lang, replaying):
    """The same scenario on the same seed under a reform, beside the story as it was."""
    story = tr.story.value
    scenario = SCENARIOS[story.scenario]
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
