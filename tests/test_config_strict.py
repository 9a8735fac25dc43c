"""Nothing is accepted that makes no sense (issue 14): each class of nonsense found in configs
and sweep specs is refused with a message naming the field, the value and what is allowed,
and the command line exits with code 2, never a traceback. Towns derive from river village."""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path
from typing import Any

import pytest
import tomlkit
from typer.testing import CliRunner

from experiments.sweep_spec import load_spec, parse_spec
from gridgov.cli import app
from institutions import ConfigError, load_config, load_preset, scaled, validate_config, with_overrides

DATA = Path(__file__).parent / "data"
VILLAGE: dict[str, Any] = tomllib.loads((DATA / "river_village.toml").read_text(encoding="utf-8"))


def village(**changes: Any) -> dict[str, Any]:
    """River village as parsed from TOML, with dotted paths (items by id) set, written or not."""
    data = copy.deepcopy(VILLAGE)
    for path, value in changes.items():
        *parents, key = path.split(".")
        node: Any = data
        for step in parents:
            node = next(i for i in node if i["id"] == step) if isinstance(node, list) else node[step]
        node[key] = value
    return data


def refused(data: dict[str, Any], *words: str) -> str:
    """Validate ``data``; it must be refused with a message holding every one of ``words``."""
    with pytest.raises(ConfigError) as info:
        validate_config(data)
    message = str(info.value)
    for word in words:
        assert word in message, (word, message)
    return message


def cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


# --- 1. non-finite numbers, and numbers no real town reaches -----------------------------------

NUMBER_FIELDS = [
    "incident_kinds.broken_railing.rate_per_10k_day",
    "incident_kinds.broken_railing.passers_per_hour",
    "incident_kinds.broken_railing.deadline_hours",
    "incident_kinds.broken_railing.effort_hours.mean",
    "incident_kinds.broken_railing.hazard.harm_per_exposure",
    "incident_kinds.stall_on_towpath.lasts_hours.median",
    "incident_kinds.boundary_quarrel.effort_hours.high",
    "departments.water_bureau.core_duty_share",
    "inspectors.wardens.coverage_per_shift",
    "inspectors.wardens.competence.water",
]
LEVERS = [  # fields that river village leaves at their defaults: set in their sections
    ("departments", 0, "hour_cost"), ("departments", 0, "integrity"),
    ("incentives", None, "decline_penalty"), ("incentives", None, "harm_penalty"),
    ("institutions.joint_enforcement", None, "lead_days"),
    ("institutions.joint_enforcement", None, "operation_hours"),
    ("institutions.assessment", None, "stakes"), ("institutions.meetings", 0, "duration_hours"),
    ("inspectors", 0, "report_quota_per_shift"), ("residents", None, "report_propensity"),
    ("town", None, "area_km2"),
]


def _set_lever(data: dict[str, Any], section: str, index: int | None, field: str, value: Any) -> None:
    node: Any = data
    for key in section.split("."):
        node = node.setdefault(key, [] if key == "meetings" else {})
    if index is not None:
        if not node:
            node.append({"id": "weekly", "kind": "weekly_special"})
        node = node[index]
    node[field] = value


@pytest.mark.parametrize("value", [float("inf"), float("-inf"), float("nan")])
@pytest.mark.parametrize("path", NUMBER_FIELDS)
def test_a_number_that_is_not_finite_is_refused(path: str, value: float) -> None:
    refused(village(**{path: value}), path.split(".")[-1], "finite number")


@pytest.mark.parametrize("value", [float("inf"), float("-inf")])
@pytest.mark.parametrize(("section", "index", "field"), LEVERS)
def test_a_lever_or_penalty_that_is_not_finite_is_refused(section, index, field, value) -> None:
    data = village()
    _set_lever(data, section, index, field, value)
    refused(data, field, "finite number", repr(value))


@pytest.mark.parametrize(("path", "value", "allowed"), [
    ("grids.north.population", 10**12, "1000000"),
    ("incident_kinds.broken_railing.rate_per_10k_day", 1e9, "1000"),
    ("incident_kinds.broken_railing.passers_per_hour", 1e12, "10000"),
    ("departments.water_bureau.officers", 10**6, "10000"),
    ("inspectors.wardens.count", 10**7, "10000"),
    ("property_managers.estate.staff", 10**9, "10000"),
    ("compounds.quay.count", 10**8, "10000"),
    ("incident_kinds.broken_railing.effort_hours.mean", 1e300, "1000000"),
    ("incident_kinds.stall_on_towpath.lasts_hours.sigma", 1e3, "5"),
])
def test_a_number_no_real_town_reaches_is_refused_naming_the_bound(path, value, allowed) -> None:
    message = refused(village(**{path: value}), path.split(".")[-1], "less than or equal to " + allowed)
    assert repr(value) in message


def test_a_town_too_big_in_all_is_refused_though_each_grid_fits() -> None:
    data = village()
    data["grids"] = [{"id": f"g{i}", "area": "bank", "population": 900_000} for i in range(12)]
    data["compounds"] = []
    data["incident_kinds"] = [k for k in data["incident_kinds"] if k.get("location") != "compound"]
    refused(data, "10,800,000 residents", "at most 10,000,000")


def test_scaling_keeps_the_limits_and_refuses_an_infinite_scale() -> None:
    cfg = load_config(DATA / "river_village.toml")
    for scale in (float("inf"), float("nan"), 0.0, -1.0):
        with pytest.raises(ConfigError, match="scale"):
            scaled(cfg, scale)
    with pytest.raises(ConfigError, match=r"at scale 1e\+06.*population.*less than or equal"):
        scaled(cfg, 1e6)
    code, output = cli("run", "--config", str(DATA / "river_village.toml"), "--days", "1",
                       "--scale", "1e9")
    assert code == 2 and "scale" in output and "Traceback" not in output


def test_the_cli_refuses_an_infinite_rate_with_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "town.toml"
    path.write_text(tomlkit.dumps(village(**{"incident_kinds.broken_railing.rate_per_10k_day":
                                             float("inf")})), encoding="utf-8")
    code, output = cli("run", "--config", str(path), "--days", "2", "--scale", "0.05")
    assert code == 2
    assert "rate_per_10k_day" in output and "finite" in output and "inf" in output


# --- 2. dictionary keys and lists of names must name what exists -----------------------------

@pytest.mark.parametrize(("path", "value", "words"), [
    ("inspectors.wardens.competence", {"watr": 0.8}, ["inspectors[0].competence", "'watr'", "'water'"]),
    ("departments.water_bureau.competence", {"trade": 0.5, "fishing": 0.5},
     ["departments[0].competence", "'fishing'", "'dispute'"]),
    ("incident_kinds.broken_railing.area_factors", {"banks": 2.0}, ["area_factors", "'banks'", "'bank'"]),
])
def test_a_typo_in_a_dictionary_key_is_an_error(path, value, words) -> None:
    refused(village(**{path: value}), *words)


@pytest.mark.parametrize(("lever", "value", "words"), [
    ("training", {"handlers": ["water_bureau", "fire_brigade"]},
     ["institutions.training.handlers", "'fire_brigade'", "'estate'", "'market_office'"]),
    ("training", {"qualifications": ["climbing_licence"]},
     ["institutions.training.qualifications", "'climbing_licence'"]),
    ("outsourcing", {"contractors": 2, "domains": ["water", "plumbing"]},
     ["institutions.outsourcing.domains", "'plumbing'", "'dispute'", "'trade'"]),
    ("assessment", {"covers": ["water_bureau", "water_bureau"]},
     ["institutions.assessment.covers", "'water_bureau' appears twice"]),
])
def test_unknown_ids_in_levers_are_named_with_the_allowed_ones(lever, value, words) -> None:
    data = village()
    data.setdefault("institutions", {})[lever] = value
    refused(data, *words)


# --- 3. rules over several fields --------------------------------------------------------------

@pytest.mark.parametrize(("path", "value", "words"), [
    ("incident_kinds.boundary_quarrel.effort_hours", {"dist": "uniform", "low": 6, "high": 2},
     ["effort_hours", "low (6) is above high (2)", "low <= high"]),
    ("inspectors.wardens.max_coverage_per_shift", 0.3,
     ["coverage_per_shift (0.5) is above max_coverage_per_shift (0.3)"]),
])
def test_fields_that_must_agree_are_checked_together(path, value, words) -> None:
    refused(village(**{path: value}), *words)


def test_kpis_need_a_weight_and_a_ranking_cannot_name_more_than_there_are() -> None:
    zero = dict.fromkeys(["on_time", "rework", "declines", "verified_resolution"], 0.0)
    data = village()
    data["institutions"] = {"assessment": {"kind": "department_kpis", "weights": zero}}
    refused(data, "all zero")
    data["institutions"] = {"assessment": {"kind": "public_ranking", "ranking": {"named": 3}}}
    refused(data, "ranking.named", "3 departments to name", "0 to 2")


def test_a_calibration_is_checked_before_it_runs() -> None:
    base = load_preset("c_town").model_dump()
    data = copy.deepcopy(base)
    data["calibration"]["parameters"][0]["drives"] = "hotline_tickts"
    with pytest.raises(ConfigError, match=r"drives: 'hotline_tickts' is not defined"):
        validate_config(data)
    data = copy.deepcopy(base)
    data["calibration"]["parameters"][0]["elasticity"] = 0.0
    with pytest.raises(ConfigError, match="elasticity 0"):
        validate_config(data)
    data = copy.deepcopy(base)
    data["calibration"]["found"]["residents.report_propensty"] = 0.1
    with pytest.raises(ConfigError, match=r"calibration.found.*'report_propensty' is not a field"):
        validate_config(data)


# --- 4. ids ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("path", "value", "words"), [
    ("departments.water_bureau.id", "property_manager", ["departments[0].id", "reserved"]),
    ("departments.water_bureau.id", "none", ["reserved"]),
    ("departments.water_bureau.id", "", ["departments.0.id", "is not an id"]),
    ("departments.water_bureau.id", "water.bureau", ["'water.bureau' is not an id", "letters, digits"]),
    ("departments.water_bureau.id", "water bureau", ["is not an id"]),
    ("departments.water_bureau.id", "water__bureau", ["is not an id"]),
    ("departments.water_bureau.id", "estate", ["id 'estate' appears twice",
                                               "departments and property_managers"]),
    ("inspectors.wardens.id", "volunteers", ["inspectors[0].id", "reserved", "contractors"]),
    ("areas.market.id", "village", ["areas[1].id", "'village' is an area kind", "'urban'"]),
    ("grids.north.id", "", ["grids.0.id", "is not an id"]),
    ("incident_kinds.broken_railing.domain", "wa ter", ["domain", "is not an id"]),
])
def test_ids_are_words_unique_in_their_namespace_and_not_reserved(path, value, words) -> None:
    refused(village(**{path: value}), *words)


def test_ids_in_other_scripts_and_with_hyphens_are_fine() -> None:
    data = village(**{"departments.market_office.id": "市场监管所", "grids.north.id": "c01-1"})
    data["incident_kinds"][1]["owners"] = ["市场监管所", "water_bureau"]
    cfg = validate_config(data)
    assert cfg.departments[1].id == "市场监管所"


# --- 5. no coercion ----------------------------------------------------------------------------

@pytest.mark.parametrize(("path", "value", "words"), [
    ("grids.north.population", "800", ["grids.0.population", "valid integer", "'800'"]),
    ("departments.water_bureau.officers", True, ["officers", "valid integer", "True"]),
    ("departments.water_bureau.officers", 2.0, ["officers", "valid integer", "2.0"]),
    ("incident_kinds.broken_railing.rate_per_10k_day", "20", ["rate_per_10k_day", "valid number"]),
    ("incident_kinds.broken_railing.joint", "yes", ["joint", "valid boolean"]),
    ("incident_kinds.broken_railing.effort_hours", True, ["effort_hours", "not a distribution"]),
    ("incident_kinds.broken_railing.effort_hours", {"mean": 3}, ["needs `dist`"]),
    ("incident_kinds.broken_railing.owners", "water_bureau", ["owners", "valid list"]),
])
def test_strings_and_booleans_are_not_taken_for_numbers(path, value, words) -> None:
    refused(village(**{path: value}), *words)


def test_a_whole_number_is_still_a_number_where_a_quantity_is_meant() -> None:
    cfg = validate_config(village(**{"incident_kinds.broken_railing.passers_per_hour": 12}))
    assert cfg.incident_kinds[0].passers_per_hour == 12.0
    assert isinstance(cfg.incident_kinds[0].passers_per_hour, float)


# --- 6. files ----------------------------------------------------------------------------------

GOOD_SPEC = "days = 2\nreplications = 1\n[parameters.\"institutions.authority.kind\"]\nvalues = [\"none\"]\n"


@pytest.mark.parametrize(("content", "words"), [
    ((DATA / "river_village.toml").read_text(encoding="utf-8").encode("utf-16"), ["UTF-16", "UTF-8"]),
    ("[town]\nname = 'Rivière'\n".encode("latin-1"), ["not UTF-8", "0xe8"]),
    (("a = " + "[" * 5000 + "]" * 5000).encode(), ["nested too deeply"]),
    (("a = " + "{b = " * 3000 + "1" + "}" * 3000).encode(), ["nested too deeply"]),
    (b"[town\nname = 'x'\n", ["not valid TOML", "line 1"]),
])
def test_unreadable_files_are_config_errors_for_towns_and_specs(tmp_path, content, words) -> None:
    path = tmp_path / "file.toml"
    path.write_bytes(content)
    for load in (load_config, load_spec):
        with pytest.raises(ConfigError) as info:
            load(path)
        assert "file.toml" in str(info.value)
        for word in words:
            assert word in str(info.value)
    code, output = cli("run", "--config", str(path), "--days", "1")
    assert code == 2 and "Traceback" not in output


def test_a_folder_or_a_missing_file_is_named(tmp_path) -> None:
    for load, what in ((load_config, "config"), (load_spec, "sweep spec")):
        with pytest.raises(ConfigError, match=f"{what}: '.*' is a folder; give a TOML file"):
            load(tmp_path)
        with pytest.raises(ConfigError, match="does not exist"):
            load(tmp_path / "nothing.toml")
    assert cli("run", "--config", str(tmp_path), "--days", "1")[0] == 2
    assert cli("sweep", str(tmp_path), "--out", str(tmp_path / "out"))[0] == 2


def test_a_utf8_byte_order_mark_is_allowed(tmp_path) -> None:
    path = tmp_path / "town.toml"
    path.write_bytes(b"\xef\xbb\xbf" + (DATA / "river_village.toml").read_bytes())
    assert load_config(path).town.name == "River village"


def test_a_value_nested_deeply_inside_a_field_is_refused_briefly() -> None:
    deep: Any = 1.0
    for _ in range(150):
        deep = [deep]
    message = refused(village(**{"incident_kinds.broken_railing.passers_per_hour": deep}),
                      "passers_per_hour")
    assert len(message) < 400


# --- 7. sweep specs ----------------------------------------------------------------------------

def test_a_parameter_given_quoted_and_nested_is_an_error() -> None:
    text = GOOD_SPEC + "[parameters.institutions.authority.kind]\nvalues = [\"command\"]\n"
    with pytest.raises(ConfigError, match=r"parameters.institutions.authority.kind: given twice"):
        parse_spec(text)
    partly = GOOD_SPEC + "[parameters.institutions]\n\"authority.kind\" = {values = [\"command\"]}\n"
    with pytest.raises(ConfigError, match="given twice"):
        parse_spec(partly)


ZERO_WEIGHTS = "".join(f'[parameters."institutions.assessment.weights.{w}"]\n{{0}}\n'
                       for w in ("on_time", "rework", "declines", "verified_resolution"))


@pytest.mark.parametrize("weights, design", [
    ("values = [0.0, 0.5]", ""),                                     # a factorial grid: every point
    ("low = 0.0\nhigh = 1.0", '[design]\nkind = "lhs"\nsamples = 2000\n'),  # a big sample: extremes
])
def test_a_combination_the_town_refuses_is_found_before_anything_runs(tmp_path, weights, design) -> None:
    text = ("days = 2\nreplications = 1\nscale = 0.05\n"
            '[parameters."institutions.assessment.kind"]\nvalues = ["none", "department_kpis"]\n'
            + ZERO_WEIGHTS.format(weights) + design)
    with pytest.raises(ConfigError, match=r"design: the point \(.*'department_kpis'.*"
                                          r"on_time = 0\.0.*all zero"):
        parse_spec(text)
    spec = tmp_path / "spec.toml"
    spec.write_text(text, encoding="utf-8")
    code, output = cli("sweep", str(spec), "--out", str(tmp_path / "out"), "--workers", "0")
    assert code == 2 and "all zero" in output
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(("extra", "words"), [
    ("days = 2\nreplications = 1\n", ["given: inf"]),
    ('days = "2"\nreplications = 1\n', ["days", "valid integer"]),
    ("days = 2\nreplications = true\n", ["replications", "valid integer"]),
    ("days = 1000000\nreplications = 1\n", ["days", "36500"]),
    ("days = 2\nreplications = 1\nscale = inf\n", ["scale", "finite"]),
])
def test_spec_numbers_are_finite_typed_and_bounded(extra, words) -> None:
    par = "low = 0.0\nhigh = inf\n" if "inf" in words[0] else "values = [0.001]\n"
    text = extra + '[parameters."residents.report_propensity"]\n' + par
    with pytest.raises(ConfigError) as info:
        parse_spec(text)
    for word in words:
        assert word in str(info.value)


def test_a_design_too_large_to_run_is_refused() -> None:
    text = "days = 2\nreplications = 1\n" + "".join(
        f'[parameters."{p}"]\nlow = 0.0\nhigh = 0.5\nlevels = 1000\n'
        for p in ("centre.detect_paper", "centre.detect_superficial", "centre.rating_noise"))
    with pytest.raises(ConfigError, match=r"1,000,000,000 points; allowed: at most 1,000,000"):
        parse_spec(text)
    many = ('days = 2\nreplications = 100000\n[parameters."residents.report_propensity"]\n'
            "low = 0.0\nhigh = 0.01\nlevels = 200\n")
    with pytest.raises(ConfigError, match=r"200 points x 100,000 replications = 20,000,000 runs; "
                                          r"allowed: at most 10,000,000"):
        parse_spec(many)


def test_repeated_values_and_reforms_switched_on_never_are_refused() -> None:
    with pytest.raises(ConfigError, match=r"values\[1\] = 'none' comes twice"):
        parse_spec(GOOD_SPEC.replace('["none"]', '["none", "none"]'))
    with pytest.raises(ConfigError, match=r"parameters.reforms: .*'?training@nan"):
        parse_spec(GOOD_SPEC + '[parameters.reforms]\nvalues = ["training@nan"]\n')


def test_every_shipped_town_and_example_still_loads() -> None:
    from institutions import list_presets
    for name in list_presets():
        assert with_overrides(load_preset(name), {}).town.name
    for path in sorted((Path(__file__).parent.parent / "examples" / "sweeps").glob("*.toml")):
        load_spec(path)
