"""The dashboard's pages rendered with Solara's test helpers (``solara.render`` and the widget
finder), without a browser: press a button, see what a user would see change."""

from __future__ import annotations

import base64
import time

import ipyvue
import ipyvuetify as v
import ipywidgets
import pytest
import solara

from dashboards.app import Layout
from dashboards.pages import city, compare, explore, sweep_results, train
from dashboards.session import Session, SessionContext
from dashboards.sweep_data import EXAMPLE_SWEEP

pytestmark = [
    # ipywidgets and ipyvue use APIs their dependencies have deprecated; not ours to fix
    #     pytest.mark.filterwarnings("ignore::DeprecationWarning:ipywidgets.*"),
    #     pytest.mark.filterwarnings("ignore::DeprecationWarning:ipyvue.*"),
    #     pytest.mark.filterwarnings("ignore::DeprecationWarning:traitlets.*"),
]


@solara.component
def WithSession(session: Session, page):
    SessionContext.provide(session)
    page()


SCALE = 0.1  # a smaller town than the dashboard's default: the same pages, faster tests


def render(page, session: Session | None = None):
    session = session or Session(scale=SCALE)
    _, rc = solara.render(WithSession(session, page), handle_error=False)
    return session, rc


def images(rc) -> list[bytes]:
    return [bytes(w.value) for w in rc.find(ipywidgets.Image).widgets]


def text_of(rc, css: str) -> str:
    return "".join(str(c) for c in rc.find(v.Html, class_=css).widget.children)


def button(rc, css: str) -> v.Btn:
    return rc.find(v.Btn, class_=css).widget


def field(rc, css: str) -> v.TextField:
    """The text field inside the wrapper with class ``css`` (once it is there)."""
    wait_for(lambda: rc.find(v.Html, class_=css).widgets)
    wrapper = rc.find(v.Html, class_=css).widget
    return next(w for w in rc.find(v.TextField).widgets if _inside(w, wrapper))


def _inside(widget, container) -> bool:
    stack = list(container.children)
    while stack:
        item = stack.pop()
        if item is widget:
            return True
        stack.extend(getattr(item, "children", []) or [])
    return False


def type_into(widget: v.TextField, text: str) -> None:
    widget.v_model = text
    widget.fire_event("keyup.enter", None)


def enter(rc, css: str, text: str, until) -> None:
    """Type ``text`` into the field ``css`` until ``until()`` holds (a page still drawing may
    replace the field under the first keystrokes, as a browser's would be)."""

    def typed() -> bool:
        type_into(field(rc, css), text)
        time.sleep(0.3)
        return until()

    wait_for(typed)


def wait_text(rc, css: str, expected: str) -> None:
    """Wait until the element with class ``css`` reads ``expected`` (a render may finish in
    another thread, as it does in the server)."""
    wait_for(lambda: text_of(rc, css) == expected)
    assert text_of(rc, css) == expected


def wait_for(condition, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the page")
        time.sleep(0.05)


# -- Explore -------------------------------------------------------------------------------------
def picture(rc, css: str) -> bytes:
    """The PNG shown in the element ``css``: an image widget, or the map's picture with its dots."""
    box = rc.find(v.Html, class_=css).widget
    images = [w for w in rc.find(ipywidgets.Image).widgets if _inside(w, box)]
    if images:
        return bytes(images[0].value)
    (town,) = [w for w in rc.find(ipyvue.VueTemplate).widgets if hasattr(w, "dots") and _inside(w, box)]
    return base64.b64decode(town.src.split(",", 1)[1])


def test_step_advances_the_day_and_redraws_the_map_and_charts(kernel_context):
    _, rc = render(explore.Page)
    wait_text(rc, "day-counter", "Day 0")
    town, charts = picture(rc, "town-map"), picture(rc, "live-charts")
    button(rc, "step-button").click()
    wait_text(rc, "day-counter", "Day 1")
    button(rc, "step-button").click()
    wait_text(rc, "day-counter", "Day 2")
    wait_for(lambda: picture(rc, "town-map") != town and picture(rc, "live-charts") != charts)
    wait_for(lambda: rc.find(v.Html, class_="workload-share").widgets)  # drawn in the background


def test_levers_now_is_offered_only_for_levers_and_reset_clears_refused_entries(kernel_context):
    import dataclasses

    session, rc = render(explore.Page)
    wait_text(rc, "day-counter", "Day 0")
    enter(rc, "field-seed", "-1", lambda: field(rc, "field-seed").error)  # refused in place
    button(rc, "reset-button").click()
    wait_for(lambda: not field(rc, "field-seed").error and field(rc, "field-seed").v_model == "1")
    ex = session.explore
    ex.settings.value = dataclasses.replace(ex.settings.value, seed=5)
    wait_for(lambda: rc.find(v.Alert, class_="pending-note").widgets)
    assert "press Reset" in str(rc.find(v.Alert, class_="pending-note").widget.children)
    assert not rc.find(v.Btn, class_="apply-now").widgets  # it would be refused
    ex.settings.value = dataclasses.replace(ex.settings.value, seed=1, overrides={
        "institutions.authority.kind": "command"})
    wait_for(lambda: rc.find(v.Btn, class_="apply-now").widgets)
    button(rc, "apply-now").click()
    wait_for(lambda: not rc.find(v.Alert, class_="pending-note").widgets)
    assert ex.run.settings.overrides == {"institutions.authority.kind": "command"}


def test_days_per_step_and_reset(kernel_context):
    session, rc = render(explore.Page)
    session.explore.days_per_step.value = 7
    button(rc, "step-button").click()
    wait_text(rc, "day-counter", "Day 7")
    button(rc, "reset-button").click()
    wait_text(rc, "day-counter", "Day 0")


def test_play_advances_until_paused(kernel_context):
    session, rc = render(explore.Page)
    button(rc, "play-button").click()
    wait_for(lambda: session.explore.run.day >= 3)
    button(rc, "pause-button").click()
    time.sleep(0.3)
    day = session.explore.run.day
    time.sleep(0.3)
    assert session.explore.run.day == day >= 3


def test_play_slow_waits_a_second_between_days(kernel_context):
    session, rc = render(explore.Page)
    session.explore.speed.value = "slow"  # the speed buttons' toggle, as the browser sets it
    button(rc, "play-button").click()
    wait_for(lambda: session.explore.run.day >= 1)
    started = time.monotonic()
    wait_for(lambda: session.explore.run.day >= 3)  # it goes on, day after day ...
    assert time.monotonic() - started >= 2 * explore.PLAY_SPEEDS["slow"] - 0.05  # ... a second apart
    button(rc, "pause-button").click()


def test_a_reform_switched_on_mid_run_is_marked(kernel_context):
    session, rc = render(explore.Page)
    button(rc, "step-button").click()
    button(rc, "switch-button").click()
    assert session.explore.run.switches == [(1, "department_kpis")]
    wait_for(lambda: any("Reforms in force: department KPIs from day 1" in str(w.children)
                         for w in rc.find(v.Html).widgets))


def test_a_lever_out_of_range_is_refused_in_place(kernel_context):
    session, rc = render(explore.Page)
    rc.find(v.ExpansionPanels, class_="lever-panels").widget.v_model = [2]  # open "Assessment and KPIs"
    weight = field(rc, "field-institutions-assessment-weights-on_time")
    type_into(weight, "1.5")
    wait_for(lambda: "1.5 is out of range; allowed: 0 to 1" in str(weight.messages) and weight.error)
    assert session.explore.settings.value.overrides == {}  # nothing taken
    type_into(weight, "0.5")
    wait_for(lambda: not weight.error)
    assert session.explore.settings.value.overrides == {"institutions.assessment.weights.on_time": 0.5}
    button(rc, "step-button").click()  # the page keeps working
    wait_text(rc, "day-counter", "Day 1")


def test_a_seed_that_is_not_a_number_is_refused_in_place(kernel_context):
    session, rc = render(explore.Page)
    seed = field(rc, "field-seed")
    type_into(seed, "seven")
    wait_for(lambda: "'seven' is not a number" in str(seed.messages))
    assert session.explore.settings.value.seed == 1
    type_into(seed, "7")
    assert session.explore.settings.value.seed == 7
    button(rc, "reset-button").click()
    assert session.explore.run.settings.seed == 7


def test_a_lever_change_waits_for_reset_or_is_put_in_force(kernel_context):
    session, rc = render(explore.Page)
    session.explore.settings.value = explore.ExploreSettings(
        scale=SCALE, overrides={"institutions.authority.kind": "command"})
    wait_for(lambda: rc.find(v.Alert, class_="pending-note").widgets)  # "settings changed" is shown
    assert session.explore.run.model.config.institutions.authority.kind == "none"
    session.explore.apply_levers()
    assert session.explore.run.model.config.institutions.authority.kind == "command"
    assert session.explore.run.switches == [(0, "levers")]


def test_the_case_inspector_tells_a_case_in_chinese(kernel_context):
    session = Session(lang="zh", scale=SCALE)
    session.explore.step(20)
    _, rc = render(explore.Page, session)
    rc.find(v.Tabs).widget.v_model = 1  # the case inspector's tab
    wait_for(lambda: rc.find(v.SimpleTable, class_="case-timeline").widgets)
    text = str(rc.find(v.SimpleTable, class_="case-timeline").widget)
    assert "网格中心" in text and "第" in text
    number = field(rc, "field-case")
    type_into(number, "99999")
    wait_for(lambda: "没有案件 99999" in str(number.messages))


# -- Compare -------------------------------------------------------------------------------------
def test_compare_steps_both_settings_on_the_same_incidents(kernel_context):
    session, rc = render(compare.Page)
    before = images(rc)
    button(rc, "cmp-step").click()
    pair = session.compare.pair
    wait_text(rc, "cmp-day", "Day 7")
    assert pair.a.day == pair.b.day == 7
    occurred = [[(i.id, i.kind.id, i.time) for i in run.model.incidents] for run in (pair.a, pair.b)]
    assert occurred[0] == occurred[1]  # common random numbers: the same incidents
    wait_for(lambda: all(a != b for a, b in zip(before, images(rc), strict=True)))  # maps, B − A


def test_compare_replications_show_the_summary(kernel_context):
    session, rc = render(compare.Page)
    session.compare.reps.value = 2
    session.compare.days.value = 5
    button(rc, "reps-button").click()
    wait_for(lambda: session.compare.summary.value is not None)
    a, b, summary = session.compare.summary.value
    assert set(summary["setting"]) == {"baseline", "B"}
    assert (a.reforms, b.reforms) == ((), ("department_kpis",)) and not a.overrides and not b.overrides
    wait_for(lambda: rc.find(v.SimpleTable, class_="reps-table").widgets)
    table = str(rc.find(v.SimpleTable, class_="reps-table").widget.children)
    assert "cases reported" in table and "A: as it is" in table and "B: department KPIs" in table
    wait_for(lambda: rc.find(v.Html, class_="reps-forest").widgets)
    session.lang.value = "zh"  # the table follows the page's language, no run again
    wait_for(lambda: "真实解决率" in str(rc.find(v.SimpleTable, class_="reps-table").widget.children))
    assert "real resolution" not in str(rc.find(v.SimpleTable, class_="reps-table").widget.children)


def test_compare_sets_levers_of_one_side_and_the_scale_of_both(kernel_context):
    session, rc = render(compare.Page)
    cmp = session.compare
    enter(rc, "field-scale", "0.05", lambda: cmp.scale.value == 0.05)
    rc.find(v.ExpansionPanels, class_="cmp-levers").widget.v_model = [1]  # open "Levers of B"
    wait_for(lambda: len(rc.find(v.ExpansionPanels, class_="lever-panels").widgets) == 2)
    rc.find(v.ExpansionPanels, class_="lever-panels").widgets[1].v_model = [0]  # its authority
    path = "institutions.authority.order_penalty"
    enter(rc, f"field-{path.replace('.', '-')}", "3", lambda: cmp.overrides_b.value.get(path) == 3)
    assert cmp.overrides_a.value == {}
    button(rc, "cmp-reset").click()
    wait_for(lambda: cmp.pair.b.settings.overrides == {path: 3})
    pair = cmp.pair
    assert pair.a.settings.scale == pair.b.settings.scale == 0.05 and pair.a.settings.overrides == {}
    assert pair.b.model.config.institutions.authority.order_penalty == 3
    assert pair.a.model.config.institutions.authority.order_penalty != 3
    titles = lambda: [str(w.children) for w in rc.find(v.Html).widgets if "levers changed" in str(w.children)]  # noqa: E731
    wait_for(lambda: any("B: department KPIs, levers changed" in x for x in titles()))
    assert not any("A: " in x for x in titles())
    cmp.reps.value, cmp.days.value = 2, 3
    button(rc, "reps-button").click()
    wait_for(lambda: cmp.summary.value is not None)
    a, b, _ = cmp.summary.value
    assert (a.scale, b.scale, b.overrides) == (0.05, 0.05, {path: 3})
    wait_for(lambda: rc.find(v.SimpleTable, class_="reps-table").widgets)
    assert "B: department KPIs, levers changed" in str(rc.find(v.SimpleTable, class_="reps-table").widget)


def test_compare_replications_can_be_cancelled_and_refuse_bad_inputs(kernel_context):
    session, rc = render(compare.Page)
    session.compare.reps.value = 100
    session.compare.days.value = 365
    button(rc, "reps-button").click()
    wait_for(lambda: rc.find(v.Btn, class_="reps-cancel").widgets)
    wait_for(lambda: (session.compare.progress.value or (0,))[0] >= 1)  # under way, time left shown
    assert "left" in text_of(rc, "reps-progress") or "runs done" in text_of(rc, "reps-progress")
    started = time.monotonic()
    button(rc, "reps-cancel").click()
    wait_for(lambda: not rc.find(v.Btn, class_="reps-cancel").widgets)
    assert time.monotonic() - started < 30 and session.compare.summary.value is None
    reps = field(rc, "field-reps")
    type_into(reps, "1")  # fewer than two: no interval
    wait_for(lambda: "out of range" in str(reps.messages) or reps.error_messages)
    wait_for(lambda: button(rc, "reps-button").disabled)
    assert session.compare.reps.value == 100  # the value in force is unchanged, and not used
    type_into(reps, "3")
    wait_for(lambda: not button(rc, "reps-button").disabled)


# -- Train ---------------------------------------------------------------------------------------
def run_train(scenario: str):
    """The Train page with ``scenario`` run and its first event shown."""
    session, rc = render(train.Page)
    session.train.scenario.value = scenario
    button(rc, "run-scenario").click()
    wait_for(lambda: session.train.story.value is not None)
    wait_for(lambda: rc.find(v.Html, class_="event-counter").widgets)
    return session, rc


@pytest.mark.slow
def test_train_steps_through_the_timeline_with_the_case_on_the_map(kernel_context):
    session, rc = run_train("qualification")
    assert text_of(rc, "event-counter").startswith("Event 1 of ")
    first_map = images(rc)[0]
    button(rc, "next-event").click()
    wait_for(lambda: text_of(rc, "event-counter").startswith("Event 2 of "))
    wait_for(lambda: images(rc)[0] != first_map)
    button(rc, "replay-button").click()
    wait_for(lambda: session.train.reform_story.value is not None)
    assert session.train.reform_story.value.setting == "training"
    # the replay steps with the story: a second map, the town under the reform at the same moment
    wait_for(lambda: rc.find(v.Html, class_="train-map-reform").widgets)
    tr = session.train
    under, as_is = tr.replays["training"][0], tr.replays["baseline"][0]
    assert under.time == as_is.time and under.config != as_is.config
    before, reform_map = under.time, picture(rc, "train-map-reform")
    wait_for(lambda: rc.find(v.Html, class_="event-counter").widgets)
    total = int(text_of(rc, "event-counter").split(" of ")[1])
    for n in range(3, total + 1):  # to the end of the story: both towns move on together
        button(rc, "next-event").click()
        wait_for(lambda n=n: rc.find(v.Html, class_="event-counter").widgets
                 and text_of(rc, "event-counter").startswith(f"Event {n} of "))
    wait_for(lambda: picture(rc, "train-map-reform") != reform_map)
    under, as_is = tr.replays["training"][0], tr.replays["baseline"][0]
    assert under.time == as_is.time > before


@pytest.mark.slow
def test_train_jumps_filters_and_keeps_the_event_in_view(kernel_context):
    session, rc = run_train("manhole")
    total = int(text_of(rc, "event-counter").split(" of ")[1])
    assert total > 40  # the long story a trainer clicked through one by one
    slider = rc.find(v.Slider).widget
    slider.v_model = 60  # jump
    wait_for(lambda: text_of(rc, "event-counter") == f"Event 61 of {total}")

    def shown_rows():
        table = rc.find(v.SimpleTable, class_="train-timeline").widget
        body = table.children[1]
        return [(row.style_ or "", str(row.children)) for row in body.children]

    rows = shown_rows()
    assert len(rows) <= 12 and sum("fff3c4" in style for style, _ in rows) == 1  # marked, in view
    assert f"events 58 to 69 of {total}" == text_of(rc, "timeline-rows")
    rc.find(v.Checkbox).widget.v_model = True  # turning points only
    wait_for(lambda: int(text_of(rc, "event-counter").split(" of ")[1]) < total)
    keys = int(text_of(rc, "event-counter").split(" of ")[1])
    assert keys < total * 0.7
    story = session.train.story.value
    from coordination.timeline import timeline

    frame = timeline(story.model, story.incident.id)
    shown = frame.iloc[session.train.index.value]
    assert shown["time"] >= frame.iloc[60]["time"]  # the same moment, or the next turning point


@pytest.mark.slow
def test_train_gives_the_failure_probability_over_seeds(kernel_context):
    session, rc = run_train("manhole")
    enter(rc, "field-reps", "1", lambda: button(rc, "odds-button").disabled)  # no interval from one
    enter(rc, "field-reps", "4", lambda: not button(rc, "odds-button").disabled)
    button(rc, "odds-button").click()
    wait_for(lambda: session.train.rates.value is not None, timeout=240)
    rates = session.train.rates.value[3]
    assert list(rates["reps"]) == [4, 4]
    wait_for(lambda: rc.find(v.Html, class_="odds-as-is").widgets)  # drawn in the render thread
    said = text_of(rc, "odds-as-is")
    assert said.startswith("As it is: ") and "of 4 seeds, 1 to 4" in said


def test_train_opens_a_scenario_file_of_ones_own_and_runs_it(kernel_context, tmp_path):
    import shutil

    from tests.conftest import DATA
    from tests.test_scenario_files import RAILING

    shutil.copy(DATA / "river_village.toml", tmp_path / "river.toml")
    (tmp_path / "railing.toml").write_text(RAILING, encoding="utf-8")
    (tmp_path / "broken.toml").write_text(RAILING.replace('grid = "south"', 'grid = "east"'),
                                          encoding="utf-8")
    session, rc = render(train.Page)
    enter(rc, "field-scenario-file", str(tmp_path / "broken.toml"),
          lambda: "plant.grid: 'east' is not a grid" in session.train.file_message.value)
    assert session.train.scenario.value == "manhole"  # nothing changed
    enter(rc, "field-scenario-file", "/etc/passwd.toml",
          lambda: "outside the sweeps root" in session.train.file_message.value)
    enter(rc, "field-scenario-file", str(tmp_path / "railing.toml"),
          lambda: session.train.scenario.value == "railing_at_the_quay")
    button(rc, "run-scenario").click()
    wait_for(lambda: session.train.story.value is not None)
    assert session.train.story.value.scenario == "railing_at_the_quay"
    wait_for(lambda: rc.find(v.Html, class_="event-counter").widgets)
    assert "Event 1 of" in text_of(rc, "event-counter")


# -- Sweep results -------------------------------------------------------------------------------
def test_sweep_results_read_a_folder_and_chart_a_response(kernel_context, sweep_folder):
    session, rc = render(sweep_results.Page)
    folder = field(rc, "field-sweep-folder")
    type_into(folder, str(sweep_folder))
    assert session.sweep.loaded.value is not None
    wait_text(rc, "sweep-summary", "18 runs at 6 points (1 failed)")
    wait_for(lambda: len(images(rc)) == 2)  # the response and the Sobol' indices
    line = picture(rc, "sweep-chart")
    session.sweep.y.value = "residents.report_propensity"  # the heat map
    wait_for(lambda: picture(rc, "sweep-chart") != line)


def test_sweep_results_say_what_is_wrong_with_a_folder(kernel_context, tmp_path):
    session, rc = render(sweep_results.Page)
    folder = field(rc, "field-sweep-folder")
    type_into(folder, str(tmp_path / "nowhere"))
    wait_for(lambda: "does not exist" in str(folder.messages))
    type_into(folder, str(tmp_path))
    wait_for(lambda: "not a sweep folder" in str(folder.messages))
    assert session.sweep.loaded.value is None


def test_opening_a_sweep_with_other_parameters_keeps_the_page(kernel_context, sweep_folder):
    """A choice made for one sweep that the next lacks is reset, not drawn (it was a KeyError
    that replaced the app with a traceback)."""
    session, rc = render(sweep_results.Page)
    type_into(field(rc, "field-sweep-folder"), str(sweep_folder))
    wait_text(rc, "sweep-summary", "18 runs at 6 points (1 failed)")
    session.sweep.x.value = "residents.report_propensity"
    session.sweep.metric.value = "real_resolution_rate"
    button(rc, "open-example-sweep").click()
    example = session.sweep.loaded.value
    assert example is not None and example.folder == EXAMPLE_SWEEP
    assert session.sweep.x.value in example.parameters and session.sweep.metric.value in example.outputs
    wait_text(rc, "sweep-summary", f"{len(example.runs)} runs at {example.points} points (0 failed)")
    wait_for(lambda: len(images(rc)) >= 1)
    type_into(field(rc, "field-sweep-folder"), str(sweep_folder))  # and back again
    wait_text(rc, "sweep-summary", "18 runs at 6 points (1 failed)")


def test_a_newcomer_is_told_how_to_get_a_sweep(kernel_context, tmp_path, monkeypatch):
    monkeypatch.setenv("GRIDGOV_SWEEPS_ROOT", str(tmp_path))  # nothing swept here yet
    session, rc = render(sweep_results.Page)
    wait_for(lambda: rc.find(v.Alert, class_="no-sweep-yet").widgets)
    said = str(rc.find(v.Alert, class_="no-sweep-yet").widget.children)
    assert "gridgov sweep examples/sweeps/assessment_authority.toml" in said
    button(rc, "open-example-sweep").click()
    wait_for(lambda: session.sweep.loaded.value is not None)
    assert not rc.find(v.Alert, class_="no-sweep-yet").widgets


def test_swept_parameters_are_named_as_readers_say_them(kernel_context):
    _, rc = render(sweep_results.Page, Session(scale=SCALE, lang="zh"))
    button(rc, "open-example-sweep").click()
    wait_for(lambda: rc.find(v.Select, class_="sweep-x").widgets)
    items = {i["value"]: i["text"] for i in rc.find(v.Select, class_="sweep-x").widget.items}
    assert items == {"institutions.assessment.kind": "考核方式",
                     "institutions.authority.kind": "中心的权威"}


# -- the shell -----------------------------------------------------------------------------------
def test_a_page_that_fails_shows_the_error_in_place_and_keeps_the_bar(kernel_context):
    broken = solara.reactive(True)

    @solara.component
    def Fragile():
        if broken.value:
            raise KeyError("institutions.assessment.kind")
        solara.Text("drawn", classes=["fragile-drawn"])

    @solara.component
    def App():
        with solara.RoutingProvider(routes=[solara.Route(path="/")], pathname="/"):
            Layout(children=[Fragile()])

    _, rc = solara.render(App(), handle_error=False)

    def error_shown() -> bool:
        return any("KeyError" in str(a.children) for a in rc.find(v.Alert).widgets)

    wait_for(error_shown)
    assert rc.find(v.Btn, class_="nav-compare").widgets  # the bar is still there
    broken.value = False
    button(rc, "page-error-retry").click()
    wait_for(lambda: rc.find(v.Html, class_="fragile-drawn").widgets)
    assert not error_shown() and not rc.find(v.Btn, class_="page-error-retry").widgets


def test_the_language_switch_turns_the_page_chinese(kernel_context):
    from dashboards.app import routes

    @solara.component
    def App():
        solara.RoutingProvider(routes=routes, pathname="/", children=[Layout(children=[explore.Page()])])

    _, rc = solara.render(App(), handle_error=False)
    wait_text(rc, "day-counter", "Day 0")
    rc.find(v.BtnToggle, class_="lang-switch").widget.v_model = 1  # the browser's click on 中文
    wait_text(rc, "day-counter", "第 0 天")


# -- City ----------------------------------------------------------------------------------------
def test_the_example_city_opens_and_a_street_goes_to_explore(kernel_context):
    from dashboards.app import routes

    session = Session(scale=SCALE)

    @solara.component
    def Routed():
        solara.RoutingProvider(routes=routes, pathname="/city", children=[WithSession(session, city.Page)])

    _, rc = solara.render(Routed(), handle_error=False)
    wait_for(lambda: rc.find(v.Alert, class_="no-city-yet").widgets)  # a newcomer is told how
    button(rc, "open-example-city").click()
    wait_for(lambda: rc.find(v.SimpleTable, class_="city-table").widgets)
    table = str(rc.find(v.SimpleTable, class_="city-table").widget)
    assert all(name in table for name in ("Inner street", "Edge town", "Farm town"))
    loaded = session.city.loaded.value
    assert session.city.period.value == loaded.periods == 3
    first = picture(rc, "city-map")
    session.city.metric.value = "real_resolution_rate"  # the streets coloured by another rate
    wait_for(lambda: picture(rc, "city-map") != first)
    session.lang.value = "zh"
    wait_for(lambda: "真实解决率" in str(rc.find(v.SimpleTable, class_="city-table").widget))
    session.city.street.value = "edge"
    button(rc, "city-to-explore").click()  # the street as the city ran it, in Explore
    wait_for(lambda: session.explore.run.settings.town is not None)
    run = session.explore.run
    assert run.model.config.population == loaded.town("edge").population
    assert len(run.model.config.grids) == len(loaded.town("edge").grids)
