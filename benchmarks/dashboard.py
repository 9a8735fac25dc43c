"""How fast the dashboard is: one step with the redraw of map and charts, and the first page render.

(a) In process, at the dashboard's default scale: what the Explore page does when Step is
    pressed (advance one simulated day, record it, redraw the town map and the live charts to
    PNG), over the first days of a run.
(b) Through the browser: ``gridgov dashboard`` on a free loopback port and Debian's chromium
    (Playwright): from navigation start to the Explore page's map and charts shown, on the
    first visit after the server is up and on a second visit; then Step clicked in the page
    (timed in the page, with a pause between clicks as a reader makes) until the day counter
    and both pictures have changed.

(c) Two sessions: two browser sessions on the same server, each with its own run of N town at
    the dashboard's scale; Step timed in the first (to day counter, map and charts redrawn)
    while the second is open and idle, then while the second plays.
(d) The server's memory (resident set of the server process and its children) with 1, 3 and
    10 sessions open, each having stepped its own run 30 days.

Run: .venv/bin/python benchmarks/dashboard.py [--steps 120] [--clicks 20] [--sessions 1,3,10]
     [--no-browser]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dashboards.charts import LiveCharts
from dashboards.state import DEFAULT_SCALE, ExploreRun, ExploreSettings
from dashboards.town_map import TownMap
from gridgov.cli_dashboard import free_port, served

CHROMIUM = "/usr/bin/chromium"
PAUSE_S = 0.6
# Timed inside the page: click Step, then watch every animation frame until the day counter
# reads the next day and both pictures have been replaced and decoded.
STEP_IN_PAGE = """async (day) => {
  const images = () => [...document.querySelectorAll('.town-map img, .live-charts img')];
  const old = images().map(img => img.src);
  const t0 = performance.now();
  document.querySelector('.step-button').click();
  await new Promise(done => {
    const check = () => {
      const ok = document.querySelector('.day-counter').textContent === day &&
        images().every((img, k) => img.src !== old[k] && img.complete);
      ok ? done() : requestAnimationFrame(check);
    };
    check();
  });
  return performance.now() - t0;
}"""
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"]


def _summary(name: str, seconds: list[float]) -> str:
    ms = [1000 * s for s in seconds]
    return (f"{name}: mean {statistics.mean(ms):.0f} ms, median {statistics.median(ms):.0f} ms, "
            f"p90 {sorted(ms)[int(0.9 * (len(ms) - 1))]:.0f} ms, max {max(ms):.0f} ms (n={len(ms)})")


def in_process(steps: int) -> None:
    run = ExploreRun(ExploreSettings())
    started = time.perf_counter()
    town, charts = TownMap(run.model), LiveCharts()
    town.png(run.model)
    charts.png(run.history, run.switches)
    print(f"first draw of map and charts (model built): {1000 * (time.perf_counter() - started):.0f} ms")
    model_only, whole = [], []
    for _ in range(steps):
        t0 = time.perf_counter()
        run.step(1)
        t1 = time.perf_counter()
        town.png(run.model)
        charts.png(run.history, run.switches)
        t2 = time.perf_counter()
        model_only.append(t1 - t0)
        whole.append(t2 - t0)
    print(_summary("  model day only", model_only))
    print(_summary("  step with redraw of map and charts", whole))


def browser(clicks: int) -> None:
    from playwright.sync_api import sync_playwright

    started = time.perf_counter()
    with served(free_port()) as url, sync_playwright() as p:
        print(f"server up after {time.perf_counter() - started:.1f} s")
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for visit in ("first visit", "second visit"):
            context = chromium.new_context(viewport={"width": 1366, "height": 768})
            page = context.new_page()
            page.goto(url)
            page.wait_for_selector(".town-map img", state="visible", timeout=60_000)
            page.wait_for_function("[...document.querySelectorAll('.town-map img, .live-charts img')]"
                                   ".filter(img => img.complete && img.naturalWidth).length === 2",
                                   polling="raf")
            shown = page.evaluate("performance.now()")
            print(f"first page render, {visit}: {shown / 1000:.2f} s "
                  "(navigation start to map and charts shown)")
            if visit == "first visit":
                context.close()
        steps = []
        for i in range(clicks):
            time.sleep(PAUSE_S)  # a trainer reads between steps
            steps.append(page.evaluate(STEP_IN_PAGE, f"Day {i + 1}") / 1000)
        print(_summary("  step in the browser (Step clicked to day counter and both pictures updated)",
                       steps))
        context.close()
        chromium.close()

def _server_rss_mb(port: int) -> float:
    """Resident memory of the dashboard server on ``port`` and its children, in MB."""
    import psutil

    for proc in psutil.process_iter(["cmdline"]):
        cmdline = " ".join(proc.info["cmdline"] or [])
        if "dashboard" in cmdline and re.search(rf"--port {port}\b", cmdline):
            family = [proc, *proc.children(recursive=True)]
            return sum(p.memory_info().rss for p in family) / 2**20
    raise RuntimeError(f"no dashboard server on port {port}")


def _open_explore(chromium, url: str):
    context = chromium.new_context(viewport={"width": 1366, "height": 768})
    page = context.new_page()
    page.goto(url)
    page.wait_for_selector(".town-map img", state="visible", timeout=120_000)
    return context, page


def _timed_steps(page, clicks: int, first_day: int) -> list[float]:
    steps = []
    for i in range(clicks):
        time.sleep(PAUSE_S)  # a trainer reads between steps
        steps.append(page.evaluate(STEP_IN_PAGE, f"Day {first_day + i + 1}") / 1000)
    return steps


def sessions(clicks: int, counts: list[int]) -> None:
    from playwright.sync_api import sync_playwright

    port = free_port()
    with served(port) as url, sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        print(f"  server memory with no session: {_server_rss_mb(port):.0f} MB")
        (ctx_a, page_a), (ctx_b, page_b) = _open_explore(chromium, url), _open_explore(chromium, url)
        print(_summary("  two sessions, the other idle: step to map and charts redrawn",
                       _timed_steps(page_a, clicks, 0)))
        page_b.locator(".play-button").click()
        print(_summary("  two sessions, the other playing: step to map and charts redrawn",
                       _timed_steps(page_a, clicks, clicks)))
        page_b.locator(".pause-button").click()
        open_ = [(ctx_a, page_a), (ctx_b, page_b)]
        for count in sorted(counts):
            while len(open_) < count:
                open_.append(_open_explore(chromium, url))
            for _, page in open_[:count]:
                if page.locator(".day-counter").text_content() == "Day 0":
                    page.locator(".days-per-step button", has_text="30").click()
                    time.sleep(0.5)
                    page.evaluate(STEP_IN_PAGE, "Day 30")
            while len(open_) > count:
                open_.pop()[0].close()
            time.sleep(2)
            rss = _server_rss_mb(port)
            print(f"  server memory with {count} session{'s' if count > 1 else ''} open "
                  f"(each run stepped 30 days): {rss:.0f} MB")
        for context, _ in open_:
            context.close()
        chromium.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=120, help="in-process steps (days)")
    parser.add_argument("--clicks", type=int, default=20, help="Step presses in the browser")
    parser.add_argument("--sessions", default="1,3,10",
                        help="session counts for the server's memory, comma-separated")
    parser.add_argument("--no-browser", action="store_true", help="skip the browser measurements")
    args = parser.parse_args()
    counts = [int(n) for n in args.sessions.split(",") if n.strip()]
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"dashboard default scale: {DEFAULT_SCALE} of N town; {os.cpu_count()} cores; "
          f"load average {load} (other work on the machine slows every figure below)")
    print("(a) one step including the redraw of map and charts, in process:")
    in_process(args.steps)
    if not args.no_browser:
        print("(b) through the browser (gridgov dashboard + chromium):")
        browser(args.clicks)
        print(f"(c, d) two sessions on one server; the server's memory with {args.sessions} sessions:")
        sessions(args.clicks, counts)


if __name__ == "__main__":
    main()
