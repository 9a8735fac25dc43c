"""Beijing's reform as a scenario of ``gridgov validate``: the shipped scenario's calendar and its
reform's start (no ranking before day 360), a tiny scenario's trajectory with the reported
figures beside the model's and its targets over replications with an interval, the command's
table and JSON, which scenarios run with which flags, and bad input (exit 2, named). Everything
that runs a city is tiny (two streets of about 1,000 residents, five months)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from typer.testing import CliRunner

from experiments.city_validation import (
    REFORM,
    STATUS_QUO,
    load_scenario,
    run_seed,
    selection,
    validate_city,
)
from experiments.validation import holds
from gridgov.cli import app
from institutions import ConfigError
from institutions.city_spec import CitySpec

runner = CliRunner()

# Five 30-day periods, November 2018 to March 2019; the reform from day 60 (January 2019).
TINY = """
[scenario]
id = "tiny"
name = "two tiny streets"
city_table = "beijing"
start = "2018-11"
windows = ["2018-11..2018-12", "2019-01", "2019-02..2019-03"]

[[scenario.match]]
figure = "2019-10"
window = "2019-02..2019-03"
note = "set beside the last two months"

[[scenario.target]]
id = "tiny_satisfaction_rises"
measure = "satisfaction_rate"
at = "2019-02..2019-03"
minus_at = "2019-01"
expect = "at_least"
value = 0.0
source = "test"

[[scenario.target]]
id = "tiny_gap"
measure = "resolution_gap"
at = "2019-02..2019-03"
expect = "at_most"
value = 1.0
source = "test"

[city]
name = "tiny"
days = 150
period_days = 30
scale = 0.05
ranking = {enabled = true, start_day = 60}
summoning = {enabled = true, start_day = 60}

[[city.districts]]
id = "d"
streets = [{id = "a", town = {population = 20000, area_km2 = 3.0, kind = "central"}},
           {id = "b", town = {population = 20000, area_km2 = 30.0, kind = "far_suburb"}}]
"""


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("scenario") / "tiny.toml"
    path.write_text(TINY)
    return path


def test_the_shipped_scenario_is_a_status_quo_year_then_five_reform_years():
    s = load_scenario("beijing_reform")
    assert (s.spec.days, s.spec.period_days, s.spec.periods) == (2160, 30, 72)
    assert s.spec.ranking.start_day == s.spec.summoning.start_day == 360
    assert s.calendar(1) == "2018-01" and s.calendar(13) == "2019-01" and s.calendar(72) == "2023-12"
    assert s.period_range("2018") == (1, 12) and s.period_range("2023") == (61, 72)
    assert not any(t.calibration for t in s.scenario.target) and len(s.scenario.target) >= 3
    assert 3 <= len(s.spec.streets()) <= 6 and s.spec.scale <= 0.05
    reported = s.reported()
    assert {f["value"] for f in reported["2019-01"]} == {0.5309, 0.6461}
    assert {f["value"] for f in reported["2019-10"]} == {0.7436, 0.8539}
    assert {(f["period"], f["estimate"]) for f in reported["2023"]} == {("2024", True)}


def test_no_ranking_before_day_360():
    """The shipped city cut to its first 14 months: the ranking's stakes first reach a street
    in period 13 (January 2019; its street_factor NaN before) and the first league table is of
    period 13; the status quo variant has neither."""
    s = load_scenario("beijing_reform")
    data = s.spec.model_dump()
    data["days"] = 420
    spec = CitySpec.model_validate(data)
    reform = run_seed((spec, s.folder, 1, REFORM))
    assert reform["first_stakes_period"] == 13 and reform["first_league_period"] == 13
    control = run_seed((spec, s.folder, 1, STATUS_QUO))
    assert control["first_stakes_period"] is None and control["first_league_period"] is None
    # the same seed, the same city until the levers switch on
    assert reform["periods"][:12] == control["periods"][:12]


def test_trajectory_and_targets_over_replications(tiny: Path):
    result = validate_city(load_scenario(tiny), seeds=3, workers=1)
    traj = result.trajectory.set_index("window")
    assert list(traj.index) == ["2018-11..2018-12", "2019-01", "2019-02..2019-03"]
    assert list(traj["phase"]) == ["status quo", "reform year 1", "reform year 1"]
    assert traj.loc["2019-01", "reported_resolution_rate"] == 0.5309
    assert traj.loc["2019-02..2019-03", "reported_satisfaction_rate"] == 0.8539
    assert math.isnan(traj.loc["2018-11..2018-12", "reported_resolution_rate"])
    row = traj.loc["2019-01"]
    assert 0 <= row["resolution_rate_low"] <= row["resolution_rate"] <= row["resolution_rate_high"] <= 1
    assert {"status_quo_resolution_rate", "effect_satisfaction_rate_low"} <= set(traj.columns)
    # before the reform both variants are the same runs: no effect
    assert traj.loc["2018-11..2018-12", "effect_resolution_rate"] == 0.0
    assert any("2024" in f for f in result.unmatched)  # outside the windows: listed, not compared
    assert result.first_stakes_period == [3, 3, 3]
    for t in result.targets.to_dict(orient="records"):
        assert t["seeds"] == 3 and not t["calibration"]
        assert math.isfinite(t["ci_low"]) and t["ci_low"] <= t["mean"] <= t["ci_high"]
        assert t["holds"] == holds(t["expect"], t["target"], t["tolerance"], t["mean"])


def test_validate_prints_and_writes_the_scenario(tiny: Path, tmp_path: Path):
    out = tmp_path / "card.json"
    result = runner.invoke(app, ["validate", "--city", str(tiny), "--seeds", "2", "--workers", "1",
                                 "--out", str(out)], env={"COLUMNS": "200"})
    card = json.loads(out.read_text())
    assert result.exit_code == (0 if card["holds"] else 1), result.output
    assert [t["id"] for t in card["targets"]] == ["tiny_satisfaction_rises", "tiny_gap"]
    (city,) = card["cities"]
    assert city["scenario"] == "tiny" and len(city["trajectory"]) == 3
    assert city["trajectory"][1]["reported_resolution_rate"] == 0.5309
    assert "tiny_gap" in result.output and "53.1%" in result.output
    assert "status quo" in result.output


def test_which_scenarios_run():
    assert selection(None, None, None) == (True, ["beijing_reform"])
    assert selection("c_town", None, None) == (True, [])
    assert selection("c_town", None, "beijing_reform") == (True, ["beijing_reform"])
    assert selection(None, None, "beijing_reform") == (False, ["beijing_reform"])
    assert selection(None, None, "none") == (True, [])
    assert selection(None, Path("t.toml"), None) == (True, [])


@pytest.mark.parametrize(("change", "words"), [
    (("start = \"2018-11\"", "start = \"November\""), "start"),
    (("\"2019-01\", \"2019-02..2019-03\"]", "\"2019-01\", \"2019-04..2019-06\"]"), "outside the run"),
    (("measure = \"resolution_gap\"", "measure = \"happiness\""), "measure"),
    (("figure = \"2019-10\"", "figure = \"2031\""), "2031"),
    (("city_table = \"beijing\"", "city_table = \"atlantis\""), "atlantis"),
    (("days = 150", "days = 155"), "days"),
])
def test_a_bad_scenario_is_refused_naming_it(tmp_path: Path, change: tuple[str, str], words: str):
    assert change[0] in TINY
    bad = tmp_path / "bad.toml"
    bad.write_text(TINY.replace(*change))
    with pytest.raises(ConfigError, match=words):
        load_scenario(bad)
    result = runner.invoke(app, ["validate", "--city", str(bad), "--seeds", "2"])
    assert result.exit_code == 2 and words in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(("args", "words"), [
    (["--city", "atlantis"], "atlantis"),
    (["--city", "no/such/file.toml"], "file.toml"),
    (["--city", "beijing_reform", "--seeds", "1"], "--seeds"),
    (["--city", "beijing_reform", "--max-hours", "0.0001"], "too much work"),
])
def test_bad_validate_city_input_exits_2_naming_it(args: list[str], words: str):
    result = runner.invoke(app, ["validate", *args])
    assert result.exit_code == 2, result.output
    assert words in result.output and "Traceback" not in result.output
