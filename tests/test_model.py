"""The model as a user sees it: reproducible, fair comparisons, harm, queues, Mesa idioms."""

from __future__ import annotations

import warnings

import mesa
import pandas as pd

from coordination import METRIC_NAMES, JointEnforcementModel
from experiments.output import to_json
from institutions import validate_config
from tests.conftest import run_town
from tests.invariants import assert_every_report_accounted_for
from tests.stats import mean_interval, paired_difference_interval

SEEDS = range(12)


def test_no_arguments_builds_the_default_town_at_full_scale():
    model = JointEnforcementModel()
    assert model.config.town.name == "N town"
    assert model.n_residents == 180_000
    assert len(model.agents) > 180_000


def test_same_seed_gives_identical_logs_and_metrics(village):
    a, b = run_town(village, seed=5), run_town(village, seed=5)
    pd.testing.assert_frame_equal(a.case_log(), b.case_log())
    assert to_json(a.metrics()) == to_json(b.metrics())
    c = run_town(village, seed=6)
    assert not a.case_log()[["time"]].equals(c.case_log()[["time"]])


def _incident_stream(model):
    log = model.case_log()
    occurred = log[log["step"] == "occurred"]
    return occurred[["incident_id", "kind", "grid", "time", "reason"]].reset_index(drop=True)


def test_same_seed_under_two_settings_faces_the_same_incidents(village):
    base = run_town(village, seed=3)
    reformed = run_town(village, seed=3, **{
        "departments.water_bureau.officers": 6,
        "departments.water_bureau.behaviour": "compliant",
        "incentives.decline_penalty": 10.0,
        "residents.report_propensity": 0.05})
    assert base.case_log().shape != reformed.case_log().shape  # the settings do matter …
    pd.testing.assert_frame_equal(_incident_stream(base), _incident_stream(reformed))  # … not the world


def test_a_new_inspector_team_or_effort_distribution_leaves_the_incidents_alone(village):
    data = village.model_dump()
    data["inspectors"].append({"id": "neighbours", "count": 6, "competence": {"water": 0.9}})
    data["incident_kinds"][0]["effort_hours"] = 2.0  # a fixed effort draws nothing
    changed = JointEnforcementModel(validate_config(data), rng=3)
    changed.run_for(24 * 30)
    base = run_town(village, seed=3)
    pd.testing.assert_frame_equal(_incident_stream(base), _incident_stream(changed))


def test_every_metric_is_present_in_every_run(village):
    quiet = run_town(village, days=1, **{"incident_kinds.broken_railing.rate_per_10k_day": 0.0})
    for model in (run_town(village, days=20), quiet):
        metrics = model.metrics()
        assert tuple(metrics) == METRIC_NAMES
        assert 0 <= metrics["resident_trust"] <= 1
        assert isinstance(metrics["workload_share"], dict)


def test_unsolved_hazards_hurt_residents_and_fixing_them_stops_it(village):
    """Nobody to fix the railings vs a crew that always fixes them, same incidents."""
    neglect = {"departments.water_bureau.officers": 0, "property_managers.estate.staff": 0}
    repair = {"departments.water_bureau.officers": 4, "property_managers.estate.staff": 2,
              "departments.water_bureau.behaviour": "compliant",
              "property_managers.estate.behaviour": "compliant"}
    hurt, fixed = [], []
    for seed in SEEDS:
        hurt.append(run_town(village, days=40, seed=seed, **neglect).metrics()["injuries"])
        fixed.append(run_town(village, days=40, seed=seed, **repair).metrics()["injuries"])
    low, _ = mean_interval(hurt)
    assert low > 0
    diff_low, _ = paired_difference_interval(hurt, fixed)
    assert diff_low > 0


def test_a_department_with_no_officers_lets_its_queue_grow(village):
    staffed, unstaffed = [], []
    for seed in range(6):
        for officers, out in ((0, unstaffed), (3, staffed)):
            model = JointEnforcementModel(village, rng=seed, **{
                "departments__market_office__officers": officers,
                "departments__market_office__behaviour": "compliant",
                "incident_kinds__stall_on_towpath__owners": ["market_office"],
                "incident_kinds__stall_on_towpath__simple": False})
            office = model.departments["market_office"]
            model.run_for(24 * 10)
            early = office.queue_length()
            model.run_for(24 * 20)
            out.append((early, office.queue_length(), model.metrics()["open_cases"]))
    assert all(late > early for early, late, _ in unstaffed)
    assert max(late for _, late, _ in staffed) <= 3
    assert min(o for *_, o in unstaffed) > max(o for *_, o in staffed)


def test_a_centre_with_no_intake_seats_keeps_every_report_waiting_in_view(village):
    """No report vanishes: with nobody at intake each is counted as waiting, none registered;
    with seats, none waits for long."""
    unstaffed = run_town(village, days=20, **{"centre.intake_seats": 0})
    m = unstaffed.metrics()
    assert m["cases_registered"] == m["open_cases"] == 0
    assert m["reports_waiting"] == m["cases_reported"] > 20
    assert_every_report_accounted_for(unstaffed)
    staffed = run_town(village, days=20).metrics()
    assert staffed["cases_registered"] > 20 and staffed["reports_waiting"] <= 2


def test_mesa_batch_run_runs_the_model_with_flat_parameters():
    results = mesa.batch_run(
        JointEnforcementModel,
        parameters={"scale": 0.02, "rng": [1, 2], "residents__report_propensity": [0.0001, 0.001]},
        max_steps=24 * 5, number_processes=1, display_progress=False)
    frame = pd.DataFrame(results)
    assert len(frame) >= 4
    assert {"open_cases", "cases_closed", "injuries", "resident_trust"} <= set(frame.columns)


def test_our_code_raises_no_deprecation_warnings(village):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = JointEnforcementModel(village, rng=1)
        model.run_for(24 * 5)
        model.metrics()
        model.timeseries()


def test_daily_series_are_collected(village):
    model = run_town(village, days=10)
    series = model.timeseries()
    assert len(series) == 10
    assert series["day"].tolist() == list(range(1, 11))
