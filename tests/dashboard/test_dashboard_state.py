"""What the dashboard computes, apart from how it is shown: runs and their history, levers and
their ranges, sweep responses, strings in both languages, and the ``gridgov dashboard`` checks."""

from __future__ import annotations

import os
import re
import socket
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from coordination import words
from dashboards.app import PAGES
from dashboards.charts import LiveCharts
from dashboards.lever_panel import with_override
from dashboards.levers import MEETING_KINDS, check_number, lever_specs, meetings_with
from dashboards.state import ExploreRun, ExploreSettings
from dashboards.sweep_data import find_sweeps, indices_for, open_sweep, response
from dashboards.town_map import COLOURS, TownMap
from gridgov.cli import app
from gridgov.cli_dashboard import free_port, offline_env
from institutions import ConfigError, load_preset

DASHBOARDS = Path(__file__).resolve().parents[2] / "dashboards"


@pytest.mark.parametrize("preset", ["n_town", "c_town"])
def test_the_daily_history_is_the_runs_own_daily_series(preset):
    """The dashboard records each day the figures the model's DataCollector records, from day 0,
    across a reform switched on mid-run."""
    run = ExploreRun(ExploreSettings(preset=preset, scale=0.1, seed=2))
    run.step(days=20)
    run.switch_on("clear_mandates")
    run.step(days=20)
    history = run.history.frame()
    assert len(history) == 41 and run.day == 40
    assert history.iloc[0]["cases_registered"] == 0
    daily = run.model.timeseries().reset_index(drop=True)
    pd.testing.assert_frame_equal(history.iloc[1:].reset_index(drop=True), daily[history.columns],
                                  check_dtype=False)
    assert history.iloc[-1]["declines"] == run.model.metrics()["declines"]
    assert run.history.workload_share == run.model.metrics()["workload_share"]


def test_the_same_seed_gives_the_same_run_and_the_same_pictures():
    runs = [ExploreRun(ExploreSettings(scale=0.05, seed=5)) for _ in range(2)]
    pictures = []
    for run in runs:
        run.step(days=12)
        town = TownMap(run.model)
        charts = LiveCharts()
        pictures.append((town.png(run.model), charts.png(run.history)))
    pd.testing.assert_frame_equal(runs[0].history.frame(), runs[1].history.frame())
    assert pictures[0] == pictures[1]
    other = ExploreRun(ExploreSettings(scale=0.05, seed=6))
    other.step(days=12)
    assert not other.history.frame().equals(runs[0].history.frame())


def test_levers_put_in_force_mid_run_keep_the_reforms_and_refuse_a_new_town():
    run = ExploreRun(ExploreSettings(scale=0.05))
    run.step(days=3)
    run.switch_on("department_kpis")
    settings = ExploreSettings(scale=0.05, overrides={"institutions.authority.kind": "command"})
    run.apply_levers(settings)
    inst = run.model.config.institutions
    assert inst.authority.kind == "command" and inst.assessment.kind == "department_kpis"
    assert run.switches == [(3, "department_kpis"), (3, "levers")]
    with pytest.raises(ConfigError, match="seed: cannot change during a run"):
        run.apply_levers(ExploreSettings(scale=0.05, seed=9))


def test_every_lever_of_the_issue_is_offered_with_the_schemas_range():
    specs = lever_specs(load_preset("n_town"))
    paths = {s.path: s for section in specs.values() for s in section}
    for path in ("institutions.authority.kind", "institutions.mandates.clarity",
                 "institutions.assessment.kind", "institutions.assessment.weights.verified_resolution",
                 "institutions.joint_enforcement.mode", "centre.intake_seats",
                 "departments.cheng_guan.officers", "inspectors.lian_qin.count",
                 "institutions.training.competence_gain", "institutions.participation.report_boost",
                 "institutions.targeting"):
        assert path in paths, path
    assert paths["institutions.participation.report_boost"].allowed() == "1 to 100"
    assert paths["institutions.authority.escalate_after_declines"].allowed() == "> 0"
    assert paths["institutions.targeting"].choices == ("uniform", "differentiated")
    intake = paths["centre.intake_seats"]
    assert check_number(intake, "100000")[1] is not None  # no centre has that many seats
    assert set(specs) >= {"sec_meetings", "sec_staffing", "sec_targeting"}


@pytest.mark.parametrize("text, lang, message", [
    ("abc", "en", "'abc' is not a number"),
    ("2.5", "en", "'2.5' is not a whole number"),
    ("-1", "en", "-1 is out of range; allowed: >= 0"),
    ("-1", "zh", "-1 超出范围;允许:>= 0"),
    ("inf", "en", "'inf' is not a number"),
])
def test_a_number_typed_in_is_checked_in_the_readers_language(text, lang, message):
    officers = next(s for s in lever_specs(load_preset())["sec_staffing"]
                    if s.path == "departments.cheng_guan.officers")
    assert check_number(officers, text, lang) == (None, message)
    assert check_number(officers, " 12 ", lang) == (12, None)


def test_the_towns_own_validation_speaks_when_a_lever_breaks_it():
    base = load_preset().model_dump()
    settings = ExploreSettings(overrides={"institutions.assessment.kind": "department_kpis"})
    for name in ("on_time", "rework", "declines"):  # closures is 0 already
        settings, problem = with_override(settings, base, f"institutions.assessment.weights.{name}", 0.0)
        assert settings is not None and not problem
    refused, problem = with_override(settings, base, "institutions.assessment.weights.verified_resolution",
                                     0.0)
    assert refused is None and "all zero under 'department_kpis'" in problem


def test_meetings_are_switched_on_and_off_and_tuned():
    meetings = meetings_with([], "daily_handover", held=True)
    meetings = meetings_with(meetings, "joint_conference", held=True)
    meetings = meetings_with(meetings, "daily_handover", capacity=4)
    assert [(m["kind"], m["capacity"]) for m in meetings] == [("daily_handover", 4), ("joint_conference", 30)]
    assert meetings_with(meetings, "daily_handover", held=False)[0]["kind"] == "joint_conference"
    cfg = ExploreSettings(overrides={"institutions.meetings": meetings}).config()
    assert [m.kind for m in cfg.institutions.meetings] == ["daily_handover", "joint_conference"]
    assert set(MEETING_KINDS) == {"daily_handover", "weekly_special", "joint_conference"}


def test_a_sweeps_response_has_a_mean_and_interval_per_level(sweep_folder):
    sweep = open_sweep(sweep_folder)
    assert (len(sweep.runs), sweep.points, sweep.failed) == (18, 6, 1)
    assert sweep.parameters == ["institutions.authority.kind", "residents.report_propensity"]
    line = response(sweep.runs, "injuries", "institutions.authority.kind")
    by_level = line.set_index("institutions.authority.kind")
    assert by_level.loc["command", "mean"] < by_level.loc["none", "mean"]
    assert (line["low"] < line["mean"]).all() and (line["mean"] < line["high"]).all()
    assert by_level.loc["escalation", "n"] == 5  # the failed run is left out
    grid = response(sweep.runs, "injuries", "institutions.authority.kind", "residents.report_propensity")
    assert len(grid) == 6
    assert list(indices_for(sweep, "injuries")) == ["sobol"]
    assert indices_for(sweep, "real_resolution_rate") == {}
    assert find_sweeps(sweep_folder.parent) == [str(sweep_folder)]


def test_a_continuous_parameter_is_binned():
    import numpy as np

    rng = np.random.default_rng(1)
    x = rng.uniform(0, 1, 200)
    runs = pd.DataFrame({"point_id": range(200), "error": None, "p": x, "injuries": 10 * x})
    table = response(runs, "injuries", "p", max_levels=5)
    assert len(table) == 5 and table["mean"].is_monotonic_increasing


def test_every_ui_string_used_exists_in_both_languages():
    used = set()
    for path in DASHBOARDS.rglob("*.py"):
        used |= set(re.findall(r"\bt\(\s*\"([a-z_]+)\"", path.read_text(encoding="utf-8")))
    assert used, "the pattern finds the strings"
    used |= set(LiveCharts.TITLES) | set(COLOURS) | {label for _, label in PAGES}
    missing = used - set(words.catalogue()["ui"])
    assert not missing
    for key, (en, zh) in words.catalogue()["ui"].items():
        assert en and zh, key
        assert re.findall(r"{(\w+)}", en) == re.findall(r"{(\w+)}", zh), key


def test_the_dashboard_command_refuses_a_bad_port():
    runner = CliRunner()
    result = runner.invoke(app, ["dashboard", "--port", "70000"])
    assert result.exit_code == 2
    assert "--port: 70000 is not allowed; a port number from 1 to 65535" in result.output
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = runner.invoke(app, ["dashboard", "--port", str(port)])
    assert result.exit_code == 2
    assert f"--port: {port} on 127.0.0.1 cannot be used" in result.output
    result = runner.invoke(app, ["dashboard", "--host", "no-such-host.invalid", "--port", "8765"])
    assert result.exit_code == 2 and "--host" in result.output


def test_sweep_folders_open_only_under_the_sweeps_root(tmp_path, sweep_folder):
    from dashboards.sweep_data import inside_root

    root = tmp_path / "root"
    (root / "a" / "b").mkdir(parents=True)
    (tmp_path / "secret").mkdir()
    (root / "out").symlink_to(tmp_path / "secret")  # a link out of the root
    (root / "back").symlink_to(root / "a")  # a link that stays inside
    assert inside_root("a/b", root) == (root / "a" / "b").resolve()
    assert inside_root("a/b/../..", root) == root.resolve()
    assert inside_root(str(root / "a"), root) == (root / "a").resolve()
    assert inside_root("back/b", root) == (root / "a" / "b").resolve()
    for outside in ("..", "a/../../secret", "out", "out/x", str(tmp_path / "secret"), "/", "/etc",
                    "~", f"{root}-other"):
        with pytest.raises(ConfigError, match="is outside the sweeps root of this dashboard"):
            inside_root(outside, root)
    with pytest.raises(ConfigError, match="outside the sweeps root"):
        open_sweep(sweep_folder, root=root)
    assert open_sweep(sweep_folder.name, root=sweep_folder.parent).points == 6


def test_the_dashboard_refuses_a_host_off_loopback_unless_allowed(monkeypatch, tmp_path):
    from gridgov import cli_dashboard

    served: list[tuple[str, int]] = []
    monkeypatch.setattr(cli_dashboard, "serve", lambda host, port: served.append((host, port)))
    monkeypatch.delenv("GRIDGOV_SWEEPS_ROOT")
    for key in offline_env():  # what the command sets is undone after the test
        monkeypatch.delenv(key, raising=False)
    runner = CliRunner()
    for args, expected in ((["--host", "0.0.0.0"], ["--host: '0.0.0.0' is not a loopback address",
                                                  "--allow-remote"]),
                        (["--host", "::"], ["not a loopback address"]),
                        (["--host", "0.0.0.0", "--allow-remote"], ["--sweeps-root: required"]),
                        (["--sweeps-root", str(tmp_path / "none")], ["is not a folder"])):
        result = runner.invoke(app, ["dashboard", *args, "--port", "8765"])
        assert result.exit_code == 2, result.output
        for word in expected:
            assert word in " ".join(result.stderr.split())
    assert served == []  # no server started
    result = runner.invoke(app, ["dashboard", "--host", "0.0.0.0", "--allow-remote",
                                 "--sweeps-root", str(tmp_path), "--port", str(free_port())])
    assert result.exit_code == 0, result.output
    assert served and served[0][0] == "0.0.0.0" and "open to anyone" in result.stderr
    assert os.environ["GRIDGOV_SWEEPS_ROOT"] == str(tmp_path.resolve())
    del os.environ["GRIDGOV_SWEEPS_ROOT"]  # as in a new process
    result = runner.invoke(app, ["dashboard", "--host", "localhost", "--port", str(free_port())])
    assert result.exit_code == 0 and os.environ["GRIDGOV_SWEEPS_ROOT"] == str(Path.cwd().resolve())


def test_a_range_with_an_open_end_is_said_as_it_is_in_both_languages():
    from dashboards.pages.explore import SCALE

    assert check_number(SCALE, "0") == (None, "0 is out of range; allowed: > 0 and <= 1")
    assert check_number(SCALE, "0", "zh") == (None, "0 超出范围;允许:> 0 且 <= 1")
    assert check_number(SCALE, "0.5") == (0.5, None)


def test_every_lever_of_every_preset_says_what_it_does_and_what_the_study_reports():
    from coordination.words import lever_help, lever_paper
    from dashboards.lever_panel import help_text
    from institutions import list_presets

    for preset in list_presets():
        for section, specs in lever_specs(load_preset(preset)).items():
            for spec in specs:
                en, zh = lever_help(spec.path, "en"), lever_help(spec.path, "zh")
                assert en and zh and en != zh, (preset, section, spec.path)
                en, zh = lever_paper(spec.path, "en"), lever_paper(spec.path, "zh")
                assert en and zh and en != zh, (preset, section, spec.path)
                assert help_text(spec, "en").endswith(f"The study: {en}")
                assert help_text(spec, "zh").endswith(f"研究所述:{zh}")
