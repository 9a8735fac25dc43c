"""The command line as a user types it: real processes, real files, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from coordination import SCHEMA_VERSION, Outcome
from coordination.case_log import COLUMNS
from tests.conftest import DATA


def gridgov(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gridgov", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=300)


def test_run_json_prints_one_object_with_every_metric():
    done = gridgov("run", "--preset", "n_town", "--days", "20", "--scale", "0.05", "--seed", "3",
                   "--json")
    assert done.returncode == 0, done.stderr
    metrics = json.loads(done.stdout)
    assert {"closure_rate", "real_resolution_rate", "injuries", "workload_share",
            "resident_trust"} <= set(metrics)
    again = gridgov("run", "--days", "20", "--scale", "0.05", "--seed", "3", "--json")
    assert again.stdout == done.stdout


def test_run_out_writes_parquet_a_user_can_read(tmp_path):
    out = tmp_path / "run1"
    done = gridgov("run", "--config", str(DATA / "river_village.toml"), "--days", "15",
                   "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert "River village" in done.stdout
    log = pd.read_parquet(out / "case_log.parquet")
    assert list(log.columns) == list(COLUMNS)
    assert (log["step"] == "collect").sum() > 0
    assert str(log["outcome"].dtype) == "category" and set(log["outcome"]) <= set(Outcome)
    metadata = pq.read_schema(out / "case_log.parquet").metadata
    assert metadata[b"gridgov.schema_version"] == str(SCHEMA_VERSION).encode()
    series = pd.read_parquet(out / "timeseries.parquet")
    assert len(series) == 15
    saved = json.loads((out / "metrics.json").read_text())
    assert saved["run"]["days"] == 15 and "cases_closed" in saved["metrics"]
    assert saved["schema_version"] == SCHEMA_VERSION
    assert json.loads((out / "config.json").read_text())["town"]["name"] == "River village"
    assert not list(out.glob(".*.tmp"))


@pytest.mark.parametrize("args, words", [
    (["run", "--preset", "atlantis"], ["preset", "atlantis", "n_town"]),
    (["run", "--days", "-3"], ["--days", "-3"]),
    (["run", "--scale", "0"], ["scale", "> 0"]),
    (["run", "--seed", "abc"], ["--seed", "valid integer"]),
    (["presets", "show", "atlantis"], ["atlantis", "n_town"]),
])
def test_bad_input_exits_2_with_a_message_and_no_traceback(args, words):
    done = gridgov(*args)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    for word in words:
        assert word in done.stderr
    assert done.stdout == ""


def test_config_that_does_not_validate_names_the_field(tmp_path):
    text = (DATA / "river_village.toml").read_text().replace('officers = 2', 'officers = "two"')
    bad = tmp_path / "bad.toml"
    bad.write_text(text)
    done = gridgov("run", "--config", str(bad), "--days", "2")
    assert done.returncode == 2
    assert "departments.0.officers" in done.stderr and "two" in done.stderr
    assert "Traceback" not in done.stderr


def test_malformed_toml_and_missing_file_exit_2(tmp_path):
    bad = tmp_path / "broken.toml"
    bad.write_text("[town\n")
    for path in (bad, tmp_path / "missing.toml"):
        done = gridgov("run", "--config", str(path))
        assert done.returncode == 2 and "Traceback" not in done.stderr
        assert path.name in done.stderr


def test_out_pointing_at_a_file_is_refused_and_the_file_kept(tmp_path):
    precious = tmp_path / "notes.txt"
    precious.write_text("my notes")
    done = gridgov("run", "--days", "1", "--scale", "0.02", "--out", str(precious))
    assert done.returncode == 2 and "--out" in done.stderr
    assert precious.read_text() == "my notes"


def test_every_command_has_help_with_an_example():
    for args in (["run"], ["compare"], ["reforms"], ["presets", "list"], ["presets", "show"]):
        done = gridgov(*args, "--help")
        assert done.returncode == 0
        assert "Example: gridgov" in done.stdout


def test_presets_list_and_show():
    listed = gridgov("presets", "list")
    assert listed.returncode == 0 and "n_town" in listed.stdout and "180,000" in listed.stdout
    shown = gridgov("presets", "show", "n_town")
    assert "paper 一.(三)" in shown.stdout


def test_run_with_reforms_from_the_start_and_mid_run():
    base = json.loads(gridgov("run", "--days", "40", "--scale", "0.1", "--json").stdout)
    done = gridgov("run", "--days", "40", "--scale", "0.1", "--reform", "joint_meetings",
                   "--reform", "department_kpis@20", "--json")
    assert done.returncode == 0, done.stderr
    reformed = json.loads(done.stdout)
    assert reformed["meeting_hours"] > 0 == base["meeting_hours"]
    assert reformed != base


@pytest.mark.parametrize("args, words", [
    (["run", "--reform", "more_meetings"], ["more_meetings", "allowed", "joint_meetings"]),
    (["run", "--days", "30", "--reform", "training@45"], ["training@45", "day 45", "0 to 30"]),
    (["run", "--reform", "training@soon"], ["training@soon", "number"]),
    (["compare", "--reform", "nope", "--reps", "2"], ["nope", "allowed"]),
    (["compare", "--reps", "1"], ["--reps", "1", "at least 2"]),
    (["compare", "--metric", "happiness", "--reps", "2"], ["happiness", "closure_rate"]),
])
def test_bad_reforms_exit_2_naming_what_is_allowed(args, words):
    done = gridgov(*args)
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    for word in words:
        assert word in done.stderr


def test_lever_with_an_unknown_setting_in_a_config_file_exits_2(tmp_path):
    text = (DATA / "river_village.toml").read_text() + '\n[institutions.authority]\nkind = "emperor"\n'
    bad = tmp_path / "bad_lever.toml"
    bad.write_text(text)
    done = gridgov("run", "--config", str(bad), "--days", "2")
    assert done.returncode == 2
    assert "institutions.authority.kind" in done.stderr and "command" in done.stderr


def test_compare_prints_means_and_paired_differences(tmp_path):
    done = gridgov("compare", "--reform", "department_kpis", "--reform", "clear_mandates+training",
                   "--reps", "3", "--days", "20", "--scale", "0.05", "--workers", "2",
                   "--metric", "declines", "--metric", "real_resolution_rate", "--json",
                   "--out", str(tmp_path / "cmp"))
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["settings"] == ["baseline", "department_kpis", "clear_mandates+training"]
    rows = {(r["setting"], r["metric"]): r for r in report["summary"]}
    assert len(rows) == 6
    assert rows[("baseline", "declines")]["diff"] is None
    kpi = rows[("department_kpis", "declines")]
    assert kpi["ci_low"] <= kpi["mean"] <= kpi["ci_high"]
    assert kpi["diff_low"] <= kpi["diff"] <= kpi["diff_high"]
    runs = pd.read_parquet(tmp_path / "cmp" / "runs.parquet")
    assert len(runs) == 9 and set(runs["seed"]) == {1, 2, 3}
    table = gridgov("compare", "--reform", "department_kpis", "--reps", "2", "--days", "10",
                    "--scale", "0.05", "--metric", "declines")
    assert "Δ" in table.stdout and "department KPIs" in table.stdout


def test_reforms_lists_every_reform():
    done = gridgov("reforms")
    for name in ("joint_meetings", "clear_mandates", "department_kpis", "centre_authority",
                 "standing_joint_enforcement", "training", "outsourcing",
                 "differentiated_governance", "community_participation", "closure_kpi_only"):
        assert name in done.stdout
