"""The town generator: a street or town from population, area and kind of place runs, is the same
every time, says where its norms come from, and refuses bad specs naming the field; the CLI
writes a file that `gridgov run --config` loads and refuses bad flags with exit 2."""

from __future__ import annotations

import json
import math
import tomllib

import pytest
from typer.testing import CliRunner

from coordination import JointEnforcementModel
from gridgov.cli import app
from institutions import ConfigError, TownConfig, load_config, load_preset, scaled
from institutions.generator import PLACE_KINDS, TownSpec, generate_town, town_spec, town_toml

EXAMPLE = TownSpec(name="Example street", population=80_000, area_km2=4.2, kind="central")


@pytest.mark.parametrize("kind", PLACE_KINDS)
def test_a_generated_town_of_every_kind_runs_and_handles_cases(kind):
    cfg = generate_town(TownSpec(name=f"{kind} town", population=60_000, area_km2=12.0, kind=kind))
    assert isinstance(cfg, TownConfig) and cfg.population == 60_000
    model = JointEnforcementModel(scaled(cfg, 0.25), rng=3)
    model.run_for(24 * 20)
    m = model.metrics()
    assert m["cases_registered"] > 0
    assert 0.0 < m["closure_rate"] <= 1.0
    assert 0.0 <= m["resident_trust"] <= 1.0


def test_the_same_spec_gives_the_same_file_byte_for_byte_and_it_loads_as_the_same_town(tmp_path):
    text = town_toml(EXAMPLE)
    assert town_toml(TownSpec(**EXAMPLE.model_dump())) == text
    path = tmp_path / "example.toml"
    path.write_text(text, encoding="utf-8")
    assert load_config(path) == generate_town(EXAMPLE)


def test_a_name_with_quotes_and_backslashes_is_written_as_it_is(tmp_path):
    spec = TownSpec(name='"Old" town \\ [x] # y', name_zh="老城 \"东\"", population=20_000,
                    area_km2=3.0, kind="far_suburb")
    path = tmp_path / "quoted.toml"
    path.write_text(town_toml(spec), encoding="utf-8")
    town = load_config(path).town
    assert (town.name, town.name_zh) == (spec.name, spec.name_zh)


def test_the_file_states_its_norms_and_where_they_come_from():
    text = town_toml(TownSpec(name="Xinhe", population=60_000, area_km2=40.0, kind="village"))
    comments = " ".join(line for line in text.splitlines() if line.startswith("#"))
    for words in ("n_town", "residents per grid", "per 10,000 residents", "compounds",
                  "(assumed)", "paper", "szhjjp.com", "Checked, not used"):
        assert words in comments, words
    assert tomllib.loads(text)["town"]["area_km2"] == 40.0


def test_norms_follow_the_preset_of_the_kind_of_place():
    """Grids, officers and inspectors per resident are those of the preset, at another size."""
    d_street = load_preset("d_street")
    cfg = generate_town(TownSpec(name="Twice D", population=2 * d_street.population, area_km2=12.5,
                                 kind="central"))
    assert len(cfg.grids) == 2 * len(d_street.grids)
    assert [d.id for d in cfg.departments] == [d.id for d in d_street.departments]
    officers = sum(d.officers for d in cfg.departments)
    assert officers == pytest.approx(2 * sum(d.officers for d in d_street.departments), abs=6)
    assert cfg.incident_kinds[0].rate_per_10k_day == d_street.incident_kinds[0].rate_per_10k_day


def test_given_grids_and_staffing_norms_are_used():
    cfg = generate_town(TownSpec(name="Norms", population=100_000, area_km2=30.0, kind="far_suburb",
                                 grids=20, officers_per_10k=10.0, inspectors_per_grid=6.0))
    assert len(cfg.grids) == 20
    assert sum(d.officers for d in cfg.departments) == pytest.approx(100, abs=3)
    assert sum(t.count for t in cfg.inspectors) == 120
    housed = {}
    for c in cfg.compounds:
        housed[c.grid] = housed.get(c.grid, 0) + c.count * c.population
    assert all(housed.get(g.id, 0) <= g.population for g in cfg.grids)


def test_a_tiny_town_and_a_big_one_still_validate():
    tiny = generate_town(TownSpec(name="Tiny", population=1_000, area_km2=0.3, kind="near_suburb"))
    assert tiny.population == 1_000 and all(d.officers >= 1 for d in tiny.departments)
    one_grid = generate_town(TownSpec(name="One", population=5_000, area_km2=2.0, kind="near_suburb",
                                      grids=1))
    assert len(one_grid.grids) == 1 and len(one_grid.areas) == 1


@pytest.mark.parametrize(("change", "words"), [
    ({"population": 10}, ["population", "10"]),
    ({"population": 80_000.5}, ["population", "80000.5"]),
    ({"population": True}, ["population"]),
    ({"area_km2": 0.0}, ["area_km2", "0.0"]),
    ({"area_km2": math.inf}, ["area_km2", "inf"]),
    ({"area_km2": math.nan}, ["area_km2", "nan"]),
    ({"kind": "downtown"}, ["kind", "downtown", "central", "village"]),
    ({"grids": 5_000}, ["grids", "5,000", "at most 800"]),
    ({"grids": 0}, ["grids", "0"]),
    ({"officers_per_10k": -1.0}, ["officers_per_10k", "-1.0"]),
    ({"name": ""}, ["name"]),
    ({"name": "   "}, ["name", "blank"]),
    ({"name": "a\rb"}, ["name", "control characters"]),
    ({"streets": 3}, ["streets", "not a field", "population"]),
])
def test_bad_specs_are_refused_naming_the_field_and_the_value(change, words):
    data = {**EXAMPLE.model_dump(), **change}
    with pytest.raises(ConfigError) as caught:
        town_spec(data)
    for word in words:
        assert word in str(caught.value), (word, str(caught.value))


# -- the command line ----------------------------------------------------------------------------
def cli(*args: str):
    result = CliRunner().invoke(app, list(args))
    assert "Traceback" not in result.output, result.output
    return result


def test_the_cli_writes_a_town_file_that_run_config_accepts(tmp_path):
    out = tmp_path / "towns" / "example.toml"
    made = cli("town", "generate", "--population", "80000", "--area", "4.2", "--kind", "central",
               "--name", "Example street", "--out", str(out))
    assert made.exit_code == 0, made.output
    assert out.read_text(encoding="utf-8") == town_toml(EXAMPLE)
    ran = cli("run", "--config", str(out), "--days", "3", "--scale", "0.05", "--json")
    assert ran.exit_code == 0, ran.output
    assert json.loads(ran.stdout)["cases_reported"] >= 0


def test_the_cli_keeps_an_existing_file_unless_forced(tmp_path):
    out = tmp_path / "mine.toml"
    out.write_text("my notes", encoding="utf-8")
    args = ["town", "generate", "--population", "20000", "--area", "3", "--kind", "village",
            "--name", "Mine", "--out", str(out)]
    kept = cli(*args)
    assert kept.exit_code == 2 and "--force" in kept.stderr
    assert out.read_text(encoding="utf-8") == "my notes"
    assert cli(*args, "--force").exit_code == 0
    assert load_config(out).town.name == "Mine"


def test_town_generate_has_help_with_an_example():
    helped = cli("town", "generate", "--help")
    assert helped.exit_code == 0 and "Example: gridgov town generate" in helped.stdout
    assert "town" in cli("--help").stdout


def test_the_cli_prints_the_file_without_out():
    printed = cli("town", "generate", "--population", "20000", "--area", "3", "--kind", "village",
                  "--name", "Printed")
    assert printed.exit_code == 0
    assert tomllib.loads(printed.stdout)["town"]["name"] == "Printed"


@pytest.mark.parametrize(("flags", "words"), [
    (["--population", "50"], ["--population", "50", "1,000"]),
    (["--area", "-2"], ["--area", "-2", "> 0"]),
    (["--area", "inf"], ["--area", "inf"]),
    (["--kind", "city"], ["--kind", "city", "near_suburb"]),
    (["--grids", "900"], ["--grids", "900", "800"]),
    (["--officers-per-10k", "0"], ["--officers-per-10k", "0"]),
    (["--name", " "], ["--name"]),
])
def test_bad_flags_exit_2_naming_the_flag_the_value_and_what_is_allowed(flags, words, tmp_path):
    base = {"--population": "80000", "--area": "4.2", "--kind": "central", "--name": "X"}
    given = dict(zip(flags[::2], flags[1::2], strict=True))
    args = [a for k, v in {**base, **given}.items() for a in (k, v)]
    out = tmp_path / "x.toml"
    result = cli("town", "generate", *args, "--out", str(out))
    assert result.exit_code == 2, result.output
    said = " ".join(result.stderr.split())
    for word in words:
        assert word in said, (word, said)
    assert not out.exists()
