"""The dashboard in a real browser: ``gridgov dashboard`` on a free loopback port, Debian's
chromium driven by Playwright. Each page is loaded, a setting changed, the model stepped, and
what is shown checked; a second browser session must not see the first one's run. Everything
the page loads must come from the server itself (no CDN)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, expect

pytestmark = [pytest.mark.browser, pytest.mark.slow]
TIMEOUT = 60_000
expect.set_options(timeout=30_000)  # a busy CI machine: wait for what a user would wait for


class Visit:
    """A page of one browser session, with every request it makes and every failure it meets."""

    def __init__(self, context: BrowserContext, base: str) -> None:
        self.base = base
        self.page: Page = context.new_page()
        self.page.set_default_timeout(TIMEOUT)
        self.requests: list[str] = []
        self.failures: list[str] = []
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("requestfailed", lambda r: self.failures.append(r.url))
        self.page.on("response", lambda r: self.failures.append(f"{r.status} {r.url}")
                     if r.status >= 400 else None)

    def open(self, path: str = "", ready: str = ".gridgov-page") -> Page:
        self.page.goto(self.base + path)
        self.page.wait_for_selector(ready)
        return self.page

    def src(self, css: str) -> str:
        return self.page.locator(f".{css} img").get_attribute("src") or ""

    def wait_redrawn(self, css: str, old: str) -> None:
        self.page.wait_for_function("([sel, old]) => document.querySelector(sel).src !== old",
                                    arg=[f".{css} img", old])

    def offline(self) -> None:
        host = self.base.rstrip("/")
        foreign = [u for u in self.requests
                   if not (u.startswith(host) or u.startswith(f"blob:{host}") or u.startswith("data:"))]
        assert not foreign, f"requests that left the server: {foreign[:5]}"
        assert not self.failures, f"failed requests: {self.failures[:5]}"


def next_event(page: Page, n: int) -> None:
    """Press Next until the counter reads event ``n`` (a click that lands while the page is still
    replacing the button after a redraw is lost, as it would be for a reader: press again)."""
    for _ in range(5):
        page.locator(".next-event").click()
        try:
            expect(page.locator(".event-counter")).to_contain_text(f"Event {n} of", timeout=6_000)
            return
        except AssertionError:
            continue
    expect(page.locator(".event-counter")).to_contain_text(f"Event {n} of")


def choose(page: Page, select_css: str, option: str) -> None:
    """Pick ``option`` in a Vuetify select."""
    page.locator(f".{select_css}").click()
    page.locator(".menuable__content__active .v-list-item", has_text=option).first.click()


@pytest.fixture
def session(browser, browser_context_args, dashboard_url):
    context = browser.new_context(**browser_context_args)
    yield Visit(context, dashboard_url)
    context.close()


def test_explore_steps_and_a_second_session_is_unaffected(browser, browser_context_args, session,
                                                          dashboard_url, screenshots: Path):
    page = session.open(ready=".day-counter")
    expect(page.locator(".day-counter")).to_have_text("Day 0")
    # a lever out of range is refused in place, then a good value is taken
    page.get_by_text("Assessment and KPIs").click()
    weight = page.locator(".field-institutions-assessment-weights-on_time input")
    weight.fill("1.5")
    weight.press("Enter")
    expect(page.get_by_text("1.5 is out of range; allowed: 0 to 1")).to_be_visible()
    weight.hover()  # what the lever does, and what it allows
    expect(page.locator(".v-tooltip__content").filter(has_text="Weight of on-time handling")).to_contain_text(
        "Allowed: 0 to 1")
    weight.fill("0.5")
    weight.press("Enter")
    expect(page.locator(".pending-note")).to_be_visible()
    charts, town = session.src("live-charts"), session.src("town-map")
    page.locator(".step-button").click()
    expect(page.locator(".day-counter")).to_have_text("Day 1")
    session.wait_redrawn("live-charts", charts)
    session.wait_redrawn("town-map", town)
    page.locator(".switch-button").click()
    expect(page.locator(".in-force")).to_have_text("Reforms in force: department KPIs from day 1")
    page.screenshot(path=screenshots / "explore.png")

    other_context = browser.new_context(**browser_context_args)
    try:
        other = Visit(other_context, dashboard_url)
        second = other.open(ready=".day-counter")
        expect(second.locator(".day-counter")).to_have_text("Day 0")
        expect(second.locator(".pending-note")).to_have_count(0)
        expect(second.locator(".in-force")).to_contain_text("none")
        second.locator(".step-button").click()
        second.locator(".step-button").click()
        expect(second.locator(".day-counter")).to_have_text("Day 2")
        expect(page.locator(".day-counter")).to_have_text("Day 1")
        other.offline()
    finally:
        other_context.close()
    session.offline()


def _dot(page: Page) -> dict:
    """The first dot on the town map that has a case, with where it is on the screen."""
    return page.evaluate("""() => {
      const map = document.querySelector('.town-map .map-image');
      const box = map.querySelector('img').getBoundingClientRect();
      const dot = map.__vue__.dots.find(d => d[3] !== null);
      return {x: box.left + dot[0] * box.width, y: box.top + dot[1] * box.height,
              text: dot[2], case: dot[3]};
    }""")


def test_the_map_tells_opens_and_zooms_and_a_reload_keeps_the_run(session, screenshots: Path):
    page = session.open(ready=".day-counter")
    page.locator(".days-per-step button", has_text="30").click()
    page.locator(".step-button").click()
    expect(page.locator(".day-counter")).to_have_text("Day 30")
    page.wait_for_function("document.querySelector('.town-map .map-image').__vue__.dots.length > 0")
    dot = _dot(page)
    page.mouse.move(dot["x"], dot["y"])  # pointing at a dot says what it is
    expect(page.locator(".map-tip")).to_have_text(dot["text"])
    assert dot["text"].startswith(f"Case {dot['case']}: ")
    town = session.src("town-map")
    page.mouse.click(dot["x"], dot["y"])  # clicking it opens its case below, ringed on the map
    expect(page.locator(".case-timeline")).to_contain_text(f"opens case {dot['case']}")
    expect(page.locator(".field-case input")).to_have_value(str(dot["case"]))
    session.wait_redrawn("town-map", town)
    page.screenshot(path=screenshots / "explore_case.png")
    page.mouse.dblclick(dot["x"], dot["y"])  # a double-click zooms on the dot's grid
    expect(page.locator(".map-zoom")).to_contain_text("grid g")
    grid = page.locator(".map-zoom").inner_text().split()[-1]
    page.wait_for_function("document.querySelector('.town-map .map-image').__vue__.dots.length > 0")
    box = page.locator(".town-map img").bounding_box()
    page.mouse.dblclick(box["x"] + box["width"] / 2, box["y"] + box["height"] / 3)
    expect(page.locator(".map-zoom")).to_contain_text("the whole town")
    page.mouse.dblclick(dot["x"], dot["y"])
    expect(page.locator(".map-zoom")).to_contain_text(f"grid {grid}")

    page.locator(".lang-zh").click()
    expect(page.locator(".day-counter")).to_have_text("第 30 天")
    page.reload()  # the run, the case opened, the zoom and the language are kept
    page.wait_for_selector(".day-counter")
    expect(page.locator(".day-counter")).to_have_text("第 30 天")
    expect(page.locator(".field-case input")).to_have_value(str(dot["case"]))
    expect(page.locator(".map-zoom")).to_contain_text(f"网格 {grid}")
    page.locator(".step-button").click()  # and goes on from where it was
    expect(page.locator(".day-counter")).to_have_text("第 60 天")
    session.offline()


def test_explore_plays_and_reads_in_chinese(session, screenshots: Path):
    page = session.open(ready=".day-counter")
    page.locator(".play-button").click()
    expect(page.locator(".day-counter")).not_to_have_text("Day 0")
    page.locator(".pause-button").click()
    page.locator(".lang-zh").click()
    expect(page.locator(".nav-explore")).to_have_text("探索")
    expect(page.locator(".day-counter")).to_contain_text("第")
    page.get_by_text("案件查看").click()
    expect(page.locator(".case-timeline")).to_contain_text("网格中心")
    page.screenshot(path=screenshots / "explore_zh.png", full_page=True)
    session.offline()


def test_compare_steps_both_settings_and_charts_the_difference(session, screenshots: Path):
    page = session.open("compare", ready=".cmp-day")
    expect(page.locator(".cmp-day")).to_have_text("Day 0")
    difference = session.src("difference-chart")
    page.locator(".cmp-step").click()
    expect(page.locator(".cmp-day")).to_have_text("Day 7")
    session.wait_redrawn("difference-chart", difference)
    expect(page.locator(".side-a")).to_contain_text("A: as it is")
    expect(page.locator(".side-b")).to_contain_text("B: department KPIs")
    page.locator(".cmp-levers-b").click()  # B's levers, as well as its reforms
    page.locator(".cmp-levers .section-sec_authority").last.click()
    penalty = page.locator(".cmp-levers .field-institutions-authority-order_penalty input").last
    penalty.fill("3")
    penalty.press("Enter")
    scale = page.locator(".field-scale input")
    scale.fill("0.05")
    scale.press("Enter")
    page.locator(".cmp-reset").click()
    expect(page.locator(".side-b")).to_contain_text("B: department KPIs, levers changed")
    page.locator(".cmp-levers-b").click()  # closed again: the maps in view
    page.locator(".cmp-step").click()
    expect(page.locator(".cmp-day")).to_have_text("Day 7")
    expect(page.locator(".side-a")).not_to_contain_text("levers changed")
    reps = page.locator(".field-reps input")
    reps.fill("1")
    reps.press("Enter")
    expect(page.get_by_text("1 is out of range; allowed: 2 to 100")).to_be_visible()
    expect(page.locator(".reps-button")).to_be_disabled()  # not run on the last good value
    reps.fill("2")
    reps.press("Enter")
    page.locator(".field-days input").fill("5")
    page.locator(".field-days input").press("Enter")
    page.locator(".reps-button").click()
    expect(page.locator(".reps-table")).to_contain_text("B − A", timeout=120_000)
    expect(page.locator(".reps-table")).to_contain_text("B: department KPIs, levers changed")
    expect(page.locator(".reps-forest img")).to_be_visible()
    page.screenshot(path=screenshots / "compare_replications.png", full_page=True)
    page.locator(".lang-zh").click()
    expect(page.locator(".reps-table")).to_contain_text("真实解决率")
    page.screenshot(path=screenshots / "compare_replications_zh.png", full_page=True)
    table = page.locator(".reps-table").inner_text()
    assert not re.findall(r"\b[A-Za-z]*[a-z][A-Za-z]*[a-z][A-Za-z]*\b", table), table[:300]
    page.locator(".lang-en").click()
    expect(page.locator(".nav-compare")).to_have_text("Compare")
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=screenshots / "compare.png")
    session.offline()


def test_compare_replications_are_cancelled_from_the_page(session):
    page = session.open("compare", ready=".cmp-day")
    for field, value in (("reps", "100"), ("days", "365")):  # an hour's work on two cores
        page.locator(f".field-{field} input").fill(value)
        page.locator(f".field-{field} input").press("Enter")
    page.locator(".reps-button").click()
    expect(page.locator(".reps-progress")).to_contain_text("left", timeout=120_000)  # under way
    page.locator(".reps-cancel").click()
    expect(page.locator(".reps-cancel")).to_have_count(0, timeout=30_000)  # stopped within 30 s
    expect(page.locator(".reps-progress")).to_have_count(0)
    expect(page.locator(".reps-table")).to_have_count(0)  # nothing half-done is shown
    expect(page.locator(".reps-button")).to_be_enabled()
    session.offline()


def test_train_steps_through_a_scenario_and_replays_it(session, screenshots: Path):
    page = session.open("train", ready=".run-scenario")
    choose(page, "scenario-select", "An illegal structure that needs a climbing licence")
    page.locator(".run-scenario").click()
    expect(page.locator(".event-counter")).to_contain_text("Event 1 of")
    expect(page.locator(".train-map img")).to_be_visible()
    town = session.src("train-map")
    next_event(page, 2)
    session.wait_redrawn("train-map", town)
    page.locator(".replay-button").click()
    expect(page.locator(".replay-result")).to_contain_text("Under training")
    expect(page.locator(".train-map-reform img")).to_be_visible()  # the replay, map beside map
    beside = session.src("train-map-reform")
    total = int(page.locator(".event-counter").inner_text().split(" of ")[1])
    for n in range(3, total + 1):  # it steps with the story, to the story's end
        next_event(page, n)
    session.wait_redrawn("train-map-reform", beside)
    page.screenshot(path=screenshots / "train_replay.png")
    total = page.locator(".event-counter").inner_text().split(" of ")[1]
    page.locator(".key-events input").check(force=True)
    expect(page.locator(".event-counter")).not_to_contain_text(f" of {total}")
    expect(page.locator(".timeline-rows")).to_contain_text("events 1 to")
    seeds = page.locator(".field-reps input")
    seeds.fill("3")
    seeds.press("Enter")
    page.locator(".odds-button").click()
    expect(page.locator(".odds-as-is")).to_contain_text("of 3 seeds", timeout=180_000)
    expect(page.locator(".odds-reform")).to_contain_text("training")
    page.screenshot(path=screenshots / "train.png", full_page=True)
    session.offline()


def test_the_city_page_opens_the_example_city_and_a_street_in_explore(session, screenshots: Path):
    page = session.open("city", ready=".open-example-city")
    expect(page.locator(".no-city-yet")).to_contain_text("gridgov city run")
    page.locator(".open-example-city").click()
    expect(page.locator(".city-summary")).to_contain_text("3 streets in 2 districts, 3 periods")
    expect(page.locator(".city-map img")).to_be_visible()
    expect(page.locator(".city-ranks img")).to_be_visible()
    expect(page.locator(".city-table")).to_contain_text("Farm town")
    page.screenshot(path=screenshots / "city.png", full_page=True)
    page.locator(".lang-zh").click()
    expect(page.locator(".city-table")).to_contain_text("真实解决率")
    table = page.locator(".city-table").inner_text()
    words = re.findall(r"\b[A-Za-z]*[a-z][A-Za-z]*[a-z][A-Za-z]*\b", table)
    assert set(words) <= {"Inner", "street", "Edge", "town", "Farm", "central", "north"}, words
    page.screenshot(path=screenshots / "city_zh.png", full_page=True)
    page.locator(".lang-en").click()
    expect(page.locator(".nav-city")).to_have_text("City")
    page.locator(".city-to-explore").click()
    expect(page.locator(".day-counter")).to_have_text("Day 0")
    expect(page.locator(".preset")).to_contain_text("a city's street")
    page.locator(".step-button").click()
    expect(page.locator(".day-counter")).to_have_text("Day 1")
    session.offline()


def test_sweep_results_say_what_is_wrong_and_chart_a_sweep(session, sweep_folder: Path,
                                                           screenshots: Path, tmp_path: Path):
    page = session.open("sweep", ready=".open-sweep")
    folder = page.locator(".field-sweep-folder input")
    folder.fill(str(tmp_path / "no-such-sweep"))
    folder.press("Enter")
    expect(page.get_by_text("does not exist or is not a folder")).to_be_visible()
    folder.fill(str(sweep_folder))
    folder.press("Enter")
    expect(page.locator(".sweep-summary")).to_have_text("18 runs at 6 points (1 failed)")
    line = session.src("sweep-chart")
    choose(page, "sweep-y", "residents.report_propensity")
    session.wait_redrawn("sweep-chart", line)
    expect(page.locator(".sweep-sobol img")).to_be_visible()
    page.screenshot(path=screenshots / "sweep.png", full_page=True)
    session.offline()


def test_a_second_sweep_with_other_parameters_opens_in_place(session, sweep_folder: Path,
                                                             screenshots: Path):
    """Switching to a sweep that lacks the parameter on the x axis: the page resets its choices
    and keeps the session (it used to be replaced by a KeyError traceback)."""
    page = session.open("sweep", ready=".open-sweep")
    folder = page.locator(".field-sweep-folder input")
    folder.fill(str(sweep_folder))
    folder.press("Enter")
    expect(page.locator(".sweep-summary")).to_have_text("18 runs at 6 points (1 failed)")
    choose(page, "sweep-x", "residents.report_propensity")
    page.locator(".open-example-sweep").click()
    expect(page.locator(".sweep-summary")).to_have_text("60 runs at 12 points (0 failed)")
    expect(page.locator(".sweep-x")).to_contain_text("assessment")
    expect(page.locator(".sweep-chart img")).to_be_visible()
    expect(page.locator(".nav-explore")).to_be_visible()
    expect(page.get_by_text("Traceback")).to_have_count(0)
    page.screenshot(path=screenshots / "sweep_example.png", full_page=True)
    session.offline()


def test_sweep_results_refuse_a_folder_outside_the_sweeps_root(session):
    page = session.open("sweep", ready=".open-sweep")
    folder = page.locator(".field-sweep-folder input")
    for outside in ("/etc", "../../.."):
        folder.fill(outside)
        folder.press("Enter")
        expect(page.get_by_text(f"sweep folder: '{outside}' is outside the sweeps root of this "
                                "dashboard")).to_be_visible()
    expect(page.locator(".sweep-summary")).to_have_count(0)
    session.offline()


@pytest.mark.parametrize("path", ["compare", "train", "sweep"])
def test_every_page_reads_in_chinese(session, screenshots: Path, path: str):
    """Each page in Chinese: its bar and its own words (a picture of each for the docs)."""
    ready = {"compare": ".cmp-day", "train": ".run-scenario", "sweep": ".open-sweep"}[path]
    page = session.open(path, ready=ready)
    page.locator(".lang-zh").click()
    words = {"compare": ("比较", "重复实验"), "train": ("培训", "运行情景"),
             "sweep": ("扫描结果", "打开示例扫描")}
    for word in words[path]:
        expect(page.get_by_text(word).first).to_be_visible()
    if path == "train":
        page.locator(".run-scenario").click()
        expect(page.locator(".event-counter")).to_contain_text("事件")
    if path == "sweep":
        page.locator(".open-example-sweep").click()
        expect(page.locator(".sweep-x")).to_contain_text("考核方式")
    page.screenshot(path=screenshots / f"{path}_zh.png", full_page=True)
    page.locator(".lang-en").click()
    session.offline()
