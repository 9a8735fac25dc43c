"""Every bad flag exits 2 with one paragraph naming the flag, the value and what is allowed; no
traceback for any input; the work a command may start is bounded; user text is printed as text;
Ctrl-C while importing exits 130 quietly. Most cases run in this process (CliRunner); the
signals, the console script and whole runs in real processes."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gridgov.cli import app
from gridgov.cli_common import Work, as_text, check_work, printable, workers_for
from gridgov.cli_sweep import check_scheduler, design_runs
from institutions import ConfigError
from institutions.reforms import parse_reform
from tests.conftest import DATA

ROOT = Path(__file__).resolve().parents[1]
TRICKY = ["[/]", "[link=http://x]a[/link]", "\x1b]8;;http://evil\x07x\x1b]8;;\x07", "\x1b[2J"]
SPEC = """preset = "n_town"
days = {days}
scale = {scale}
replications = {reps}
outputs = ["declines"]
[parameters."institutions.authority.kind"]
values = ["none", "command"]
"""


RUNS_WORK = {"test_workers_are_capped_at_the_runs_and_cores_with_a_note",
             "test_sweep_messages_show_a_folder_named_like_markup"}


@pytest.fixture(autouse=True)
def nothing_runs(request, monkeypatch):
    """A command these tests expect to refuse must not start its work: if it does, it fails at
    once instead of running (a refusal that did not happen must not take the machine)."""
    if request.function.__name__ in RUNS_WORK:
        return

    def started(*args, **kwargs):
        raise AssertionError("the command started its work instead of refusing")

    for target in ("gridgov.cli.run_days", "gridgov.cli.run_replications",
                   "experiments.calibration.search", "experiments.calibration.check",
                   "experiments.validation.validate", "gridgov.cli_scenario.run_scenario",
                   "gridgov.cli_scenario.replicate", "gridgov.cli_sweep.run_sweep",
                   "gridgov.cli_dashboard.serve"):
        monkeypatch.setattr(target, started, raising=False)


def cli(*args: str, env: dict[str, str] | None = None):
    result = CliRunner().invoke(app, list(args), env=env)
    assert "Traceback" not in result.output, result.output
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit), \
        repr(result.exception)
    return result


def refused(*args: str, words: list[str], env: dict[str, str] | None = None) -> str:
    """Run a command that must be refused: exit 2, a one-paragraph message with ``words``."""
    result = cli(*args, env=env)
    assert result.exit_code == 2, (args, result.output)
    said = " ".join(result.stderr.split())
    for word in words:
        assert word in said, (word, said)
    assert result.stdout == ""
    return said


# -- numbers: finite, in range ------------------------------------------------------------------
@pytest.mark.parametrize("command", [["run"], ["compare", "--reps", "2"], ["scenario", "run", "manhole"]])
@pytest.mark.parametrize("scale", ["inf", "nan", "-inf", "1e6", "0", "-1"])
def test_scale_must_be_finite_positive_and_bounded_everywhere(command, scale):
    refused(*command, "--scale", scale, words=["--scale", "> 0", "<= 10"])


@pytest.mark.parametrize("args, words", [
    (["run", "--days", "100000000000000000000"], ["--days", "100000000000000000000", "36,500"]),
    (["run", "--days", "0"], ["--days", "0", "1 to 36,500"]),
    (["run", "--seed", "-1"], ["--seed", "-1", "0 to 4,294,967,295"]),
    (["run", "--seed", "99999999999999999999"], ["--seed", "4,294,967,295"]),
    (["compare", "--reps", "1"], ["--reps", "1", "at least 2"]),
    (["compare", "--workers", "-1"], ["--workers", "-1", "one per core"]),
    (["compare", "--workers", "100000"], ["--workers", "100000", "256"]),
    (["calibrate", "c_town", "--iterations", "-1"], ["--iterations", "-1", "the preset's"]),
    (["calibrate", "c_town", "--check-seeds", "1000000"], ["--check-seeds", "100,000"]),
    (["calibrate", "c_town", "--workers", "-3"], ["--workers", "-3"]),
    (["validate", "--seeds", "1"], ["--seeds", "1", "2 or more"]),
    (["validate", "--workers", "999"], ["--workers", "999", "256"]),
    (["scenario", "run", "manhole", "--reps", "1"], ["--reps", "1", "0 (no replications)"]),
    (["scenario", "run", "manhole", "--follow-days", "0"], ["--follow-days", "0"]),
    (["scenario", "run", "manhole", "--seed", "-5"], ["--seed", "-5"]),
    (["analyze", "no/such/sweep", "--rows", "-1"], ["--rows", "-1", "1 to 100,000"]),
    (["analyze", "no/such/sweep", "--density", "nan"], ["--density", "nan"]),
    (["run", "--max-hours", "nan"], ["--max-hours", "nan", "> 0"]),
    (["run", "--max-hours", "-1"], ["--max-hours", "-1"]),
    (["dashboard", "--port", "70000"], ["--port", "70000", "1 to 65535"]),
])
def test_integer_and_float_flags_are_checked_for_their_ranges(args, words):
    refused(*args, words=words)


def test_preset_and_config_together_are_refused():
    for command in (["run"], ["compare", "--reps", "2"]):
        refused(*command, "--preset", "c_town", "--config", str(DATA / "river_village.toml"),
                words=["--preset 'c_town'", "--config", "not both"])


# -- reforms: the grammar -----------------------------------------------------------------------
@pytest.mark.parametrize("spec, words", [
    ("centre_authority@nan", ["centre_authority@nan", "finite number"]),
    ("training@inf", ["training@inf", "finite number"]),
    ("training+", ["training+", "'+' with no reform"]),
    ("+training", ["+training", "'+' with no reform"]),
    ("training++clear_mandates", ["training++clear_mandates", "'+' with no reform"]),
    ("training@", ["training@", "no day after @"]),
    ("@5", ["@5", "names no reform"]),
    ("training@5@6", ["training@5@6", "a number"]),
    ("training+training", ["names training twice"]),
    ("training@400", ["training@400", "after the run ends at day 365", "0 to 365"]),
])
def test_reform_settings_follow_the_grammar(spec, words):
    refused("run", "--reform", spec, words=["--reform", *words])
    refused("compare", "--reps", "2", "--reform", spec, words=words)


def test_parse_reform_accepts_the_grammar_and_nothing_else():
    assert parse_reform("training") == ("training", 0.0)
    assert parse_reform("clear_mandates+training@7.5", days=30) == ("clear_mandates+training", 7.5)
    assert parse_reform(" training + clear_mandates @ 3 ") == ("training+clear_mandates", 3.0)
    for bad in ("A++B", "training@1e3", "training@-3", "training@ ", "", "nope@3"):
        with pytest.raises(ConfigError):
            parse_reform(bad)


def test_a_scenario_reform_after_the_replay_ends_is_refused():
    refused("scenario", "run", "manhole", "--reform", "training@500",
            words=["--reform", "training@500", "after the run ends"])


# -- workers ------------------------------------------------------------------------------------
def test_workers_are_capped_at_the_runs_and_cores_with_a_note(capsys):
    assert workers_for(64, 4) <= 4
    assert "--workers 64" in capsys.readouterr().err
    assert workers_for(0, 1) == 1
    result = cli("compare", "--reps", "2", "--days", "1", "--scale", "0.01", "--workers", "64",
                 "--json")
    assert result.exit_code == 0, result.output
    assert "--workers 64:" in result.stderr and "used (2 runs" in result.stderr


# -- the bound on work --------------------------------------------------------------------------
def test_work_estimate_grows_with_runs_days_and_residents():
    one = Work(1, 365, 180_000).seconds()
    assert 20 < one < 200  # N town, a year at 1:1: about 4 s measured, the bound errs high
    assert Work(10, 365, 180_000).seconds() == pytest.approx(10 * one)
    assert Work(1, 730, 180_000).seconds() > 1.9 * one - 1
    with pytest.raises(ConfigError, match="--reps 9: too much work: 9 runs"):
        check_work(Work(9, 365, 180_000), max_hours=0.01, asked="--reps 9")
    assert check_work(Work(10**9, 365, 180_000), max_hours=float("inf"), asked="x") > 1e6


@pytest.mark.parametrize("args", [
    ["compare", "--preset", "c_town", "--reps", "100", "--days", "36500", "--scale", "0.1"],
    ["compare", "--reps", "100000", "--days", "365"],
    ["scenario", "run", "manhole", "--reps", "100000"],
    ["validate", "--seeds", "100000"],
    ["calibrate", "c_town", "--search", "--iterations", "10000"],
])
def test_too_much_work_is_refused_with_the_estimate_and_the_way_out(args):
    said = refused(*args, words=["too much work", "CPU-hours", "limit of 24", "--max-hours",
                                 "GRIDGOV_MAX_HOURS"])
    assert " runs of up to " in said


def test_a_run_too_large_for_memory_is_refused():
    said = refused("run", "--days", "36500", "--scale", "10", "--max-hours", "inf",
                   words=["too much memory", "GB", "GRIDGOV_MAX_MEMORY_GB"])
    assert "1,800,000 residents" in said
    refused("run", "--days", "2", "--scale", "0.01", env={"GRIDGOV_MAX_MEMORY_GB": "0.001"},
            words=["too much memory", "GRIDGOV_MAX_MEMORY_GB=0.001"])
    refused("run", "--days", "2", "--scale", "0.01", env={"GRIDGOV_MAX_MEMORY_GB": "nan"},
            words=["GRIDGOV_MAX_MEMORY_GB", "nan"])


def test_the_limit_is_set_by_max_hours_or_the_environment():
    refused("run", "--days", "2", "--scale", "0.01", "--max-hours", "1e-9",
            words=["too much work", "1 runs", "limit of 1e-09"])
    refused("run", "--days", "2", "--scale", "0.01", env={"GRIDGOV_MAX_HOURS": "1e-9"},
            words=["too much work"])


def test_a_sweep_too_large_is_refused_before_anything_is_written(tmp_path):
    spec = tmp_path / "big.toml"
    spec.write_text(SPEC.format(days=365, scale=1.0, reps=100_000))
    refused("sweep", str(spec), "--out", str(tmp_path / "out"),
            words=["the design's 200,000 runs", "too much work"])
    assert not (tmp_path / "out").exists()


def test_design_runs_counts_without_building(tmp_path):
    from experiments.sweep_spec import parse_spec

    spec, _ = parse_spec(SPEC.format(days=2, scale=0.01, reps=3))
    assert design_runs(spec) == 6


# -- the Dask scheduler -------------------------------------------------------------------------
@pytest.mark.parametrize("address", ["not-a-url", "tcp://host", "http://host:8786", "tcp://h:0",
                                     "tcp://h:99999", "tcp://h:port", "tcp://h:1/path", ""])
def test_scheduler_addresses_are_checked(address):
    with pytest.raises(ConfigError, match="not a Dask scheduler address"):
        check_scheduler(address)


def test_scheduler_and_scheduler_file_that_cannot_work_exit_2(tmp_path):
    spec = tmp_path / "s.toml"
    spec.write_text(SPEC.format(days=2, scale=0.01, reps=1))
    out = tmp_path / "out"
    refused("sweep", str(spec), "--out", str(out), "--scheduler", "not-a-url",
            words=["--scheduler", "not-a-url", "tcp://"])
    not_json, no_address = tmp_path / "garbage.json", tmp_path / "empty.json"
    not_json.write_text("garbage")
    no_address.write_text('{"id": "x"}')
    for path, word in ((not_json, "not the JSON file"), (no_address, 'no "address"'),
                       (tmp_path / "missing.json", "does not exist"), (tmp_path, "is a folder")):
        refused("sweep", str(spec), "--out", str(out), "--scheduler-file", str(path),
                words=["--scheduler-file", word])
    assert not out.exists()


# -- user text printed as text ------------------------------------------------------------------
@pytest.mark.parametrize("text", TRICKY)
def test_printable_and_as_text_show_control_characters_and_no_markup(text):
    shown = printable(text)
    assert not any(ord(c) < 32 or 0x7f <= ord(c) <= 0x9f for c in shown)
    assert as_text(text).plain == shown
    assert printable("a\tb\nc") == "a\tb\nc"
    assert printable("\x9b\u202e") == "\\x9b\\u202e"


def _town_named(tmp_path: Path, name: str) -> Path:
    text = (DATA / "river_village.toml").read_text(encoding="utf-8")
    quoted = json.dumps(name)  # a TOML basic string, escapes included
    path = tmp_path / "town.toml"
    path.write_text(text.replace('name = "River village"', f"name = {quoted}", 1), encoding="utf-8")
    assert tomllib.loads(path.read_text(encoding="utf-8"))["town"]["name"] == name
    return path


def gridgov(*args: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gridgov", *args], capture_output=True, text=True,
                          timeout=300, **kw)


@pytest.mark.parametrize("name", TRICKY)
def test_a_town_name_is_printed_as_text(tmp_path, name):
    done = gridgov("run", "--config", str(_town_named(tmp_path, name)), "--days", "1",
                   "--scale", "0.05")
    assert "Traceback" not in done.stderr
    assert "\x1b" not in done.stdout + done.stderr and "\x07" not in done.stdout + done.stderr
    if done.returncode == 0:  # a name the schema takes: shown literally
        assert printable(name) in done.stdout
    else:  # or refused by the schema, the name shown as text
        assert done.returncode == 2, done.stderr


@pytest.mark.parametrize("name", TRICKY)
def test_user_values_in_messages_are_printed_as_text(name):
    said = refused("run", "--preset", name, words=[printable(name), "not"])
    assert "\x1b" not in said
    refused("scenario", "run", name, words=[printable(name)])


def test_sweep_messages_show_a_folder_named_like_markup(tmp_path):
    spec = tmp_path / "s.toml"
    spec.write_text(SPEC.format(days=1, scale=0.01, reps=1))
    out = tmp_path / "[/]"
    result = cli("sweep", str(spec), "--out", str(out), "--workers", "0", "--quiet")
    assert result.exit_code == 0, result.output
    assert f"{out}/runs" in " ".join(result.stderr.split())


# -- what the parser itself refuses -------------------------------------------------------------
@pytest.mark.parametrize(("args", "words"), [
    (["run", "--days", "abc"], ["--days", "'abc'", "integer", "gridgov run --help"]),
    (["run", "--scale=x"], ["--scale", "'x'", "gridgov run --help"]),
    (["run", "--bogus"], ["No such option: --bogus", "gridgov run --help"]),
    (["scenario", "bogus"], ["No such command 'bogus'", "gridgov scenario --help"]),
    (["analyze"], ["Missing argument", "gridgov analyze --help"]),
])
def test_flags_the_parser_cannot_read_get_one_paragraph_and_exit_2(args, words):
    done = subprocess.run([sys.executable, "-m", "gridgov", *args], capture_output=True,
                          text=True, timeout=60)
    said = " ".join(done.stderr.split())
    assert done.returncode == 2 and said.startswith("error:"), done.stderr
    assert "Traceback" not in said and "╭" not in said and len(done.stderr.strip().splitlines()) <= 3
    for word in words:
        assert word in said, (word, said)


def test_help_and_a_group_without_its_command_still_show_help():
    shown = subprocess.run([sys.executable, "-m", "gridgov", "run", "--help"], capture_output=True,
                           text=True, timeout=60)
    assert shown.returncode == 0 and "--days" in shown.stdout
    group = subprocess.run([sys.executable, "-m", "gridgov", "scenario"], capture_output=True,
                           text=True, timeout=60)
    assert group.returncode == 2 and "run" in group.stdout and "Traceback" not in group.stderr


# -- Ctrl-C while importing ---------------------------------------------------------------------
def test_the_console_script_enters_through_main():
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["gridgov"] == "gridgov.__main__:main"


@pytest.mark.parametrize("after", [0.3, 1.0])
@pytest.mark.parametrize("how", ["module", "script"])
def test_ctrl_c_while_importing_exits_130_quietly(after, how):
    script = Path(sys.executable).parent / "gridgov"
    command = [sys.executable, "-m", "gridgov"] if how == "module" else [str(script)]
    assert how == "module" or script.exists(), "the gridgov script is not installed (pip install -e .)"
    proc = subprocess.Popen([*command, "run", "--days", "2", "--scale", "0.01"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    time.sleep(after)
    proc.send_signal(signal.SIGINT)
    _, errors = proc.communicate(timeout=60)
    # 130: Python's handler, or -SIGINT: the signal came before Python had installed one (a slow
    # start on a busy machine), which a shell reports as 130 too; 0: it had finished already
    assert proc.returncode in (130, -signal.SIGINT, 0), errors
    assert "Traceback" not in errors and len(errors.splitlines()) <= 1


# -- the dashboard ------------------------------------------------------------------------------
@pytest.mark.parametrize("host", ["0.0.0.0", "::"])
def test_the_dashboard_refuses_every_interface_without_allow_remote(host):
    refused("dashboard", "--host", host, words=["--host", host, "not a loopback address",
                                                "--allow-remote"])
    refused("dashboard", "--host", host, "--allow-remote", words=["--sweeps-root: required"])
