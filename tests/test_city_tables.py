"""City tables: Shanghai's and Beijing's districts add up to the published totals, every figure
names a source that the table defines, estimates are marked, a broken table is refused naming
the field, and a district's streets can be generated as towns."""

from __future__ import annotations

import json
import tomllib

import pytest

from institutions import ConfigError
from institutions.cities import (
    city_table_path,
    list_city_tables,
    load_city_table,
    read_city_table,
    street_specs,
)
from institutions.generator import generate_town


def test_both_tables_ship_and_load():
    assert list_city_tables() == ["beijing", "shanghai"]
    with pytest.raises(ConfigError, match="allowed: beijing, shanghai"):
        load_city_table("tianjin")


def test_shanghai_adds_up_to_the_census_and_215_streets_and_towns():
    sh = load_city_table("shanghai")
    assert len(sh.districts) == 16
    assert sh.city.population == 24_870_895
    assert abs(sh.total_population - sh.city.population) <= sh.city.population_tolerance
    assert sh.total_units == 215
    assert sum(d.streets for d in sh.districts) == 106
    assert sum(d.towns for d in sh.districts) == 107
    assert sum(d.townships for d in sh.districts) == 2
    assert sh.district("pudong").population == 5_681_512  # in the census release itself
    suburbs = ["minhang", "baoshan", "jiading", "jinshan", "songjiang", "qingpu", "fengxian",
               "chongming"]
    assert sum(sh.district(d).population for d in suburbs) == 12_505_671  # published subtotal


def test_every_shanghai_district_is_split_by_kind_of_place_and_checked_against_a_second_source():
    sh = load_city_table("shanghai")
    for d in sh.districts:
        assert sum(d.kinds.values()) == d.units, d.id
        assert d.population_check_10k is not None, d.id
        assert abs(d.population / 10_000 - d.population_check_10k) <= 0.05, d.id
        assert d.area_km2 is not None and d.area_source is not None, d.id
    assert sh.units_by_kind() == {"central": 89, "near_suburb": 53, "far_suburb": 56, "village": 17}


@pytest.mark.parametrize("name", ["shanghai", "beijing"])
def test_every_figure_names_a_defined_source_and_unfound_figures_are_marked_estimates(name):
    table = load_city_table(name)
    sources = {s.id: s for s in table.sources}
    assert all(s.publication for s in sources.values())
    for d in table.districts:
        assert d.population_source in sources and d.units_source in sources
        if d.population_source == "author":
            assert d.population_estimate, d.id
        if d.units_source == "author":
            assert d.units_estimate, d.id
    assert all(s.url for s in sources.values() if s.id not in ("author", "issue_16"))


def test_beijing_adds_up_to_the_census_and_343_streets_and_towns():
    bj = load_city_table("beijing")
    assert len(bj.districts) == 16
    assert bj.total_population == bj.city.population == 21_893_095
    assert bj.total_units == 343
    assert sum(d.streets for d in bj.districts) == 165
    assert sum(d.towns for d in bj.districts) == 143


def test_beijing_reform_record_starts_in_2019_and_rises():
    bj = load_city_table("beijing")
    dates = {e.date for e in bj.events}
    assert {"2018", "2019-01"} <= dates

    def rate(period: str, measure: str) -> float:
        return next(f.value for f in bj.figures if f.period == period and f.measure == measure)

    assert rate("2019-01", "resolution_rate") == pytest.approx(0.5309)
    assert rate("2019-01", "satisfaction_rate") == pytest.approx(0.6461)
    assert rate("2019-10", "resolution_rate") > rate("2019-01", "resolution_rate")
    assert rate("2024", "satisfaction_rate") == pytest.approx(0.973)
    assert all(f.estimate for f in bj.figures if f.source == "issue_16")


def _broken(tmp_path, edit) -> str:
    data = tomllib.loads(city_table_path("shanghai").read_text(encoding="utf-8"))
    edit(data)
    path = tmp_path / "broken.toml"
    path.write_text(_toml(data), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        read_city_table(path)
    return str(caught.value)


def test_a_table_whose_districts_miss_the_total_is_refused(tmp_path):
    said = _broken(tmp_path, lambda d: d["districts"][0].update(population=600_000,
                                                                 population_check_10k=60.0))
    assert "from the published 24,870,895" in said and "population_tolerance" in said


def test_a_figure_with_an_undefined_source_is_refused_naming_it(tmp_path):
    said = _broken(tmp_path, lambda d: d["districts"][1].update(population_source="rumour"))
    assert "districts.xuhui.population_source" in said and "'rumour'" in said


def test_a_kind_split_that_miscounts_is_refused(tmp_path):
    said = _broken(tmp_path, lambda d: d["districts"][0].update(kinds={"central": 9}))
    assert "huangpu" in said and "adding up to 10" in said


def test_a_district_of_the_table_can_be_generated_street_by_street():
    table = load_city_table("shanghai")
    specs = street_specs(table, "jiading")
    assert [s.kind for s in specs] == ["near_suburb"] * 3 + ["far_suburb"] * 7
    towns = [generate_town(s) for s in specs]
    assert sum(t.population for t in towns) == table.district("jiading").population
    with pytest.raises(ConfigError, match="no kind-of-place split"):
        street_specs(load_city_table("beijing"), "chaoyang")


def _toml(data: dict) -> str:
    """A city table as TOML (tables, arrays of tables, flat values), for the broken copies."""
    lines = []
    for key, value in data.items():
        if isinstance(value, dict):
            lines += [f"[{key}]", *(f"{k} = {_v(v)}" for k, v in value.items()), ""]
        else:
            for item in value:
                lines += [f"[[{key}]]", *(f"{k} = {_v(v)}" for k, v in item.items()), ""]
    return "\n".join(lines)


def _v(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{k} = {_v(x)}" for k, x in v.items()) + " }"
    return json.dumps(v, ensure_ascii=False) if isinstance(v, str) else repr(v)
