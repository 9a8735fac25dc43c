"""Config: presets load, a town can be written from scratch, errors name the field."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import TypeAdapter

from institutions import ConfigError, Distribution, load_config, load_preset, scaled, validate_config
from institutions import with_overrides as override


def test_n_town_preset_has_the_papers_numbers():
    cfg = load_preset("n_town")
    assert len(cfg.grids) == 7
    assert cfg.population == 180_000
    assert cfg.centre.intake_seats + cfg.centre.dispatch_seats == 2
    teams = {t.id: t.count for t in cfg.inspectors}
    assert teams == {"lian_qin": 120, "xiao_lian_qin": 96, "xin_xi_yuan": 50}
    assert next(d for d in cfg.departments if d.id == "cheng_guan").officers == 20
    assert {k.category for k in cfg.incident_kinds} == {"part", "event"}


def test_a_town_from_scratch_loads(village):
    assert [a.id for a in village.areas] == ["bank", "market"]
    assert {k.id for k in village.incident_kinds} == {
        "broken_railing", "stall_on_towpath", "boundary_quarrel"}
    assert village.population == 2000


@pytest.mark.parametrize("spec, mean", [
    (2.5, 2.5),
    ({"dist": "fixed", "value": 4}, 4.0),
    ({"dist": "exponential", "mean": 3}, 3.0),
    ({"dist": "lognormal", "median": 2, "sigma": 0.5}, 2 * np.exp(0.125)),
    ({"dist": "uniform", "low": 1, "high": 5}, 3.0),
])
def test_named_distributions_sample_around_their_mean(spec, mean):
    dist = TypeAdapter(Distribution).validate_python(spec)
    draws = dist.sample(np.random.default_rng(0), 20_000)
    assert dist.mean == pytest.approx(mean)
    assert draws.mean() == pytest.approx(mean, rel=0.05)


def test_unknown_distribution_is_named():
    with pytest.raises(Exception, match="gamma"):
        TypeAdapter(Distribution).validate_python({"dist": "gamma", "mean": 1})


def _broken(village, **change):
    data = village.model_dump()
    for key, value in change.items():
        section, index, field = key.split("__")
        data[section][int(index)][field] = value
    return data


@pytest.mark.parametrize("change, words", [
    ({"grids__0__area": "nowhere"}, ["grids[0].area", "nowhere", "bank"]),
    ({"incident_kinds__0__owners": ["fire_brigade"]}, ["owners", "fire_brigade", "water_bureau"]),
    ({"departments__0__officers": -1}, ["departments.0.officers", "-1"]),
    ({"departments__0__core_duty_share": 1.5}, ["core_duty_share", "1.5"]),
    ({"incident_kinds__0__category": "thing"}, ["category", "part", "event"]),
])
def test_validation_errors_name_field_value_and_what_is_allowed(village, change, words):
    with pytest.raises(ConfigError) as info:
        validate_config(_broken(village, **change))
    for word in words:
        assert word in str(info.value)


def test_unknown_keys_are_errors_not_silently_ignored(village):
    data = village.model_dump()
    data["centre"]["intake_seat"] = 3
    with pytest.raises(ConfigError, match="intake_seat"):
        validate_config(data)


def test_malformed_toml_names_the_file(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[town\nname = 'x'\n")
    with pytest.raises(ConfigError, match=r"bad.toml.*not valid TOML"):
        load_config(bad)


def test_unknown_preset_lists_the_presets():
    with pytest.raises(ConfigError, match=r"allowed: .*n_town"):
        load_preset("atlantis")


def test_overrides_address_list_items_by_id(village):
    cfg = override(village, {"departments.market_office.officers": 7,
                             "residents.report_propensity": 0.5})
    assert next(d for d in cfg.departments if d.id == "market_office").officers == 7
    assert cfg.residents.report_propensity == 0.5
    with pytest.raises(ConfigError, match="no item with id 'police'"):
        override(village, {"departments.police.officers": 1})
    with pytest.raises(ConfigError, match="report_propensity"):
        override(village, {"residents.report_propensity": 2.0})


def test_scale_multiplies_people_and_keeps_every_role():
    small = scaled(load_preset("n_town"), 0.01)
    assert small.population == 1_800
    assert all(d.officers >= 1 for d in small.departments)
    assert small.centre.intake_seats == 1
    with pytest.raises(ConfigError, match="scale"):
        scaled(small, 0)
