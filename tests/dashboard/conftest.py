"""Fixtures of the dashboard tests: a kernel context per component test, a small sweep folder,
and for the browser tests a real ``gridgov dashboard`` server on a free loopback port with the
system's chromium (never a downloaded browser)."""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gridgov.cli_dashboard import free_port, served

CHROMIUM = Path(os.environ.get("GRIDGOV_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
ROOT = Path(__file__).resolve().parents[2]


# -- component tests ----------------------------------------------------------------------------
@pytest.fixture
def kernel_context():
    """A fresh Solara kernel context (one browser session's worth of state) for one test."""
    from solara.server import kernel, kernel_context

    loop = asyncio.new_event_loop()  # the context asks for one; Python 3.12 no longer makes it
    asyncio.set_event_loop(loop)
    context = kernel_context.VirtualKernelContext(id=f"test-{uuid.uuid4()}",
                                                  session_id=f"test-{uuid.uuid4()}", kernel=kernel.Kernel())
    try:
        with context:
            yield context
    finally:  # not context.close(): outside a server the widgets have no comms to close
        asyncio.set_event_loop(None)
        loop.close()


# -- a sweep folder ------------------------------------------------------------------------------
def write_sweep(folder: Path, *, analysis: bool = True) -> Path:
    """A small sweep folder as ``gridgov sweep`` writes it: a 3 × 2 grid of two parameters,
    three replications per point, one failed run; with Sobol' indices if ``analysis``."""
    rng = np.random.default_rng(7)
    rows = []
    point = 0
    for authority in ("none", "command", "escalation"):
        for propensity in (0.005, 0.02):
            point += 1
            for rep in range(3):
                effect = {"none": 6.0, "command": 2.0, "escalation": 4.0}[authority]
                rows.append({
                    "run_id": f"p{point}-r{rep}", "point_id": f"p{point}", "replication": rep,
                    "seed": 100 + rep, "institutions.authority.kind": authority,
                    "residents.report_propensity": propensity,
                    "injuries": effect + 100 * propensity + rng.normal(0, 0.5),
                    "real_resolution_rate": 0.5 + (0.2 if authority == "command" else 0.0)
                    + rng.normal(0, 0.02),
                    "runtime_s": 0.1, "error": None,
                })
    rows[-1]["error"] = "RuntimeError: for the test"
    rows[-1]["injuries"] = np.nan
    (folder / "runs").mkdir(parents=True)
    pd.DataFrame(rows).to_parquet(folder / "runs" / "part-00000.parquet")
    spec = {"parameters": {"institutions.authority.kind": {"values": ["none", "command", "escalation"]},
                           "residents.report_propensity": {"values": [0.005, 0.02]}},
            "outputs": ["injuries", "real_resolution_rate"], "design": {"kind": "grid"},
            "replications": 3}
    (folder / "manifest.json").write_text(json.dumps({"format": 1, "kind": "gridgov sweep",
                                                      "spec": spec, "points": point}))
    if analysis:
        (folder / "analysis").mkdir()
        pd.DataFrame([
            {"output": "injuries", "parameter": "institutions.authority.kind", "S1": 0.7,
             "S1_conf": 0.05, "ST": 0.75, "ST_conf": 0.06},
            {"output": "injuries", "parameter": "residents.report_propensity", "S1": 0.2,
             "S1_conf": 0.04, "ST": 0.25, "ST_conf": 0.05},
        ]).to_csv(folder / "analysis" / "sobol.csv", index=False)
    return folder


@pytest.fixture(autouse=True)
def sweeps_root(tmp_path_factory, monkeypatch) -> Path:
    """The folder the Sweep results page may open sweeps under: pytest's temporary folder (where
    :func:`sweep_folder` is written), as ``gridgov dashboard --sweeps-root`` would set it."""
    root = tmp_path_factory.getbasetemp()
    monkeypatch.setenv("GRIDGOV_SWEEPS_ROOT", str(root))
    return root


@pytest.fixture(scope="session")
def sweep_folder(tmp_path_factory) -> Path:
    return write_sweep(tmp_path_factory.mktemp("sweep") / "grid")


# -- browser tests -------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def dashboard_url(tmp_path_factory) -> Iterator[str]:
    """``gridgov dashboard`` on a free 127.0.0.1 port, stopped (and waited for) at the end."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make chromium` (Debian's chromium package)")
    log = tmp_path_factory.mktemp("server") / "dashboard.log"
    with served(free_port(), log=log, cwd=tmp_path_factory.getbasetemp()) as url:
        yield url


@pytest.fixture(scope="session")
def base_url(dashboard_url: str) -> str:
    """Playwright's base URL: the dashboard under test (replaces pytest-playwright's own)."""
    return dashboard_url


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """The system's chromium, sandbox off (we run as root in CI), no network of its own."""
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM), "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1366, "height": 768}, "locale": "en-US"}


_SHOTS: list[Path] = []


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory) -> Path:
    """Where the browser tests put their screenshots (named at the end of the run); with
    GRIDGOV_DOCS_SCREENSHOTS=DIR set, ``docs/images/`` for instance, they go there, as the
    pictures of docs/dashboard.md are made."""
    wanted = os.environ.get("GRIDGOV_DOCS_SCREENSHOTS")
    folder = Path(wanted) if wanted else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    _SHOTS.append(folder)
    return folder


def pytest_terminal_summary(terminalreporter):
    for folder in _SHOTS:
        terminalreporter.write_line(f"dashboard screenshots: {folder}")
