"""Trainers' own scenarios: a scenario is a TOML file, validated like a town, run by
`gridgov scenario run FILE`; the built-in six are such files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from experiments.scenario_spec import TESTS, builtin_scenarios, load_scenario
from experiments.scenarios import SCENARIOS, replicate
from gridgov.cli import app
from institutions import ConfigError
from tests.conftest import DATA

RAILING = """name = "railing_at_the_quay"
title = "A broken railing on the quay"
title_zh = "码头护栏损坏"
summary = "A railing breaks where people walk along the water."
summary_zh = "沿河步道的护栏断了。"
town = "river.toml"
scale = 1.0
follow_days = 15
reforms = ["clear_mandates", "department_kpis"]

[plant]
kind = "broken_railing"
grid = "south"
compound = "quay1"
day = 3
passers_per_hour = 40

[failure]
when = ["not_fixed_within", "declined_more_than"]
days = 4
times = 1
text = "it is not fixed within four days, or its orders are sent back twice or more"
text_zh = "四天内未修复,或工单被退回两次以上"
"""


@pytest.fixture
def scenario_file(tmp_path: Path) -> Path:
    """A scenario written from scratch on a town of its own (river village), its own failure."""
    shutil.copy(DATA / "river_village.toml", tmp_path / "river.toml")
    path = tmp_path / "railing.toml"
    path.write_text(RAILING, encoding="utf-8")
    return path


def test_the_built_in_scenarios_are_files_of_the_documented_form():
    folder = Path(__file__).resolve().parents[1] / "experiments" / "scenario_library"
    files = sorted(p.stem for p in folder.glob("*.toml"))
    assert sorted(SCENARIOS) == files == sorted(builtin_scenarios())
    for name in files:
        sc = load_scenario(folder / f"{name}.toml")
        assert set(sc.failed.when) <= set(TESTS) and sc.title and sc.title_zh


def test_a_scenario_of_ones_own_runs_from_the_command_line(scenario_file: Path):
    result = CliRunner().invoke(app, ["scenario", "run", str(scenario_file), "--reps", "6", "--json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["scenario"] == "railing_at_the_quay"
    rates = {row["setting"]: row for row in document["failure_rates"]}
    assert set(rates) == {"baseline", "clear_mandates", "department_kpis"}
    assert all(row["reps"] == 6 for row in rates.values())
    shown = CliRunner().invoke(app, ["scenario", "show", str(scenario_file), "--lang", "zh"])
    assert shown.exit_code == 0 and "码头护栏损坏" in shown.output


def test_its_failure_is_the_tests_it_names(scenario_file: Path):
    """Over the same seeds, the scenario fails exactly where one of its tests holds."""
    sc = load_scenario(scenario_file)
    runs = replicate(sc, reps=8, workers=1)
    late = runs["days_to_fix"].isna() | (runs["days_to_fix"] > 4)
    assert list(runs["failed"]) == list(late | (runs["sent_back"] > 1))


@pytest.mark.parametrize(("change", "named"), [
    (("grid = \"south\"", "grid = \"east\""), "plant.grid: 'east' is not a grid of the town"),
    (("compound = \"quay1\"", "compound = \"nowhere\""), "plant.compound: 'nowhere'"),
    (("kind = \"broken_railing\"", "kind = \"meteor\""), "plant.kind: 'meteor'"),
    (("days = 4\n", ""), "failure.days: required by the test not_fixed_within"),
    (("when = [\"not_fixed_within\", \"declined_more_than\"]", "when = [\"bored\"]"), "failure.when"),
    (("follow_days = 15", "follow_days = 15\nfolow = 3"), "folow"),
    (("day = 3", "day = \"3\""), "plant.day"),
    (("day = 3", "day = inf"), "plant.day"),
    (("reforms = [\"clear_mandates\", \"department_kpis\"]", "reforms = [\"magic\"]"), "magic"),
    (("town = \"river.toml\"", "town = \"river.toml\"\npreset = \"n_town\""), "exactly one"),
])
def test_a_malformed_scenario_exits_2_naming_the_field(scenario_file: Path, change, named):
    old, new = change
    scenario_file.write_text(RAILING.replace(old, new), encoding="utf-8")
    with pytest.raises(ConfigError, match=named.replace("(", r"\(").replace("[", r"\[")):
        load_scenario(scenario_file)
    result = CliRunner().invoke(app, ["scenario", "run", str(scenario_file), "--reps", "0"])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert named in " ".join(result.output.split()), result.output
