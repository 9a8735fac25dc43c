"""Every system in the paper as a preset: each loads, runs a month, carries the paper's numbers
with their sources, and shows the pattern the paper reports; C town reproduces its figures."""

from __future__ import annotations

import re

import pytest

from coordination import JointEnforcementModel
from institutions import apply_reforms, list_presets, load_preset
from institutions.loading import preset_path
from tests.stats import mean_interval

PRESETS = ["c_town", "d_street", "dongcheng", "n_town", "yichang", "zhoushan"]


def test_all_six_systems_of_the_paper_are_presets():
    assert set(PRESETS) <= set(list_presets())


@pytest.mark.parametrize("name", PRESETS)
def test_each_preset_loads_and_runs_a_month(name):
    model = JointEnforcementModel(load_preset(name), scale=0.25, rng=1)
    model.run_for(24 * 30)
    m = model.metrics()
    assert m["cases_registered"] > 0 and m["cases_closed"] > 0
    assert 0 < m["real_resolution_rate"] <= 1


# (preset, config value, the number in the paper, words of the source comment on its line)
PAPER_NUMBERS = [
    ("n_town", lambda c: c.town.area_km2, 33.27, "33.27 平方公里"),
    ("n_town", lambda c: c.population, 180_000, "约 18 万"),
    ("n_town", lambda c: len(c.grids), 7, "7 个网格"),
    ("n_town", lambda c: c.centre.intake_seats + c.centre.dispatch_seats, 2, "2 名工作人员"),
    ("n_town", lambda c: next(d.officers for d in c.departments if d.id == "cheng_guan"), 20,
     "20 名城管"),
    ("n_town", lambda c: sorted(t.count for t in c.inspectors), [50, 96, 120], "120 名联勤"),
    ("c_town", lambda c: c.town.area_km2, 27.22, "27.22平方公里"),
    ("c_town", lambda c: c.population, 406_000, "40.6 万"),
    ("c_town", lambda c: len(c.grids), 83, "83 个基础管理网格"),
    ("c_town", lambda c: c.centre.intake_seats, 15, "15个受理员座席"),
    ("c_town", lambda c: c.centre.dispatch_seats, 5, "5派遣员座席"),
    ("d_street", lambda c: c.town.area_km2, 6.24, "6.24"),
    ("d_street", lambda c: c.population, 88_700, "8.87"),
    ("d_street", lambda c: c.institutions.authority.kind, "command", "条包块管"),
    ("zhoushan", lambda c: c.institutions.assessment.kind, "public_ranking", "大屏幕"),
]

# The national cases model a representative part of the city (the paper gives no population):
# their whole-city numbers stand in the file as the source of the part's size.
WHOLE_CITY_NUMBERS = [
    ("dongcheng", "将 187 个社区划分为 589 个网格"),
    ("dongcheng", "21个行政执法部门、6个政府职能部门和10个"),
    ("zhoushan", "2360 个管理服务网格"),
    ("zhoushan", "100~150 户"),
    ("yichang", "1110个网格管理员"),
]


@pytest.mark.parametrize("name", PRESETS)
def test_every_named_reform_applies_to_every_preset(name):
    from institutions.reforms import REFORMS

    cfg = load_preset(name)
    for reform in REFORMS:  # each gives a valid town (D street already has command authority)
        apply_reforms(cfg, [reform])
    ids = [m.id for m in apply_reforms(cfg, ["joint_meetings"]).institutions.meetings]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("name, get, number, words", PAPER_NUMBERS)
def test_numbers_from_the_paper_are_in_the_presets_with_their_source(name, get, number, words):
    assert get(load_preset(name)) == number
    text = preset_path(name).read_text(encoding="utf-8")
    assert re.search(r"paper[^\n]*" + re.escape(words), text), f"no source for {words} in {name}"


def _patrol_find_share(model: JointEnforcementModel, domain: str) -> float:
    """Share of the problems of a domain that patrols found (rather than residents or nobody)."""
    log = model.case_log()
    domains = {k.id: k.domain for k in model.config.incident_kinds}
    arisen = log[log["step"] == "occurred"]
    found = log[(log["step"] == "collect") & log["reason"].str.startswith("patrol")]
    found = found.drop_duplicates("incident_id")
    n = (arisen["kind"].map(domains) == domain).sum()
    return float((found["kind"].map(domains) == domain).sum() / n) if n else float("nan")


@pytest.mark.parametrize("name, words", WHOLE_CITY_NUMBERS)
def test_national_cases_cite_the_papers_whole_city_numbers(name, words):
    text = preset_path(name).read_text(encoding="utf-8")
    assert re.search(r"paper[^\n]*" + re.escape(words), text), f"no source for {words} in {name}"


@pytest.mark.slow
def test_d_street_misses_professional_problems_and_disputes_escalate():
    """16 seeds: with special rectification ending some municipal problems early, 8 seeds'
    intervals touched (food [0.756, 0.851], municipal [0.849, 0.885])."""
    food, municipal, escalations = [], [], []
    for seed in range(1, 17):
        model = JointEnforcementModel(load_preset("d_street"), scale=0.5, rng=seed)
        model.run_for(24 * 120)
        food.append(_patrol_find_share(model, "food_drug"))
        municipal.append(_patrol_find_share(model, "municipal"))
        escalations.append(model.metrics()["escalations"])
    assert mean_interval(food)[1] < mean_interval(municipal)[0]
    assert mean_interval(escalations)[0] > 0


def test_calibrate_refuses_a_preset_without_targets():
    from tests.test_cli import gridgov

    done = gridgov("calibrate", "n_town")
    assert done.returncode == 2 and "[calibration]" in done.stderr and "c_town" in done.stderr
    done = gridgov("calibrate", "c_town", "--write", "x.toml")
    assert done.returncode == 2 and "--search" in done.stderr
