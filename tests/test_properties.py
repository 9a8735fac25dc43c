"""Property-based tests: the workflow's invariants hold in random small towns."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agents.workforce import advance_on_duty
from coordination import JointEnforcementModel
from institutions import validate_config
from institutions.schema import Shift
from tests.invariants import (
    assert_every_report_accounted_for,
    assert_no_closure_without_check,
    assert_no_harm_from_solved_problems,
)

shifts = st.builds(lambda s, h: {"start": s, "hours": h},
                   st.integers(0, 23), st.sampled_from([4, 8, 9, 12, 24]))
dists = st.one_of(
    st.floats(0.1, 10),
    st.builds(lambda m: {"dist": "exponential", "mean": m}, st.floats(0.1, 10)),
    st.builds(lambda m, s: {"dist": "lognormal", "median": m, "sigma": s},
              st.floats(0.1, 10), st.floats(0, 1)),
)


@st.composite
def towns(draw) -> dict:
    n_grids = draw(st.integers(1, 3))
    grids = [{"id": f"g{i}", "area": "a", "population": draw(st.integers(1, 300))}
             for i in range(n_grids)]
    departments = [{"id": f"d{i}", "officers": draw(st.integers(0, 3)),
                    "core_duty_share": draw(st.floats(0, 0.9)), "shift": draw(shifts),
                    "behaviour": draw(st.sampled_from(["strategic", "compliant"])),
                    "response_hours": draw(dists)}
                   for i in range(draw(st.integers(1, 3)))]
    compounds, managers = [], []
    if draw(st.booleans()):
        managers = [{"id": "pm", "staff": draw(st.integers(0, 2))}]
        g = grids[0]
        compounds = [{"id": "c", "grid": g["id"], "property_manager": "pm",
                      "count": 2, "population": g["population"] // 3}]
    owner_pool = [d["id"] for d in departments] + (["property_manager"] if managers else [])
    kinds = []
    for i in range(draw(st.integers(1, 3))):
        kind = {
            "id": f"k{i}", "category": draw(st.sampled_from(["part", "event"])),
            "location": draw(st.sampled_from(["street", "any"] + (["compound"] if managers else []))),
            "rate_per_10k_day": draw(st.floats(5, 200)),
            "passers_per_hour": draw(st.floats(0, 30)),
            "hazard": {"harm_per_exposure": draw(st.floats(0, 0.01)),
                       "partial_fix_factor": draw(st.floats(0, 1))},
            "owners": draw(st.lists(st.sampled_from(owner_pool), max_size=3, unique=True)),
            "effort_hours": draw(dists), "simple": draw(st.booleans()),
            "deadline_hours": draw(st.floats(1, 100)),
            "qualification": draw(st.sampled_from([None, "licence"])),
        }
        if draw(st.booleans()):
            kind["lasts_hours"] = draw(dists)
        if draw(st.booleans()):
            kind["escalation"] = {"to": "worse", "after_hours": draw(dists)}
        kinds.append(kind)
    return {
        "town": {"name": "random"}, "areas": [{"id": "a"}], "grids": grids,
        "compounds": compounds, "property_managers": managers, "departments": departments,
        "centre": {"intake_seats": draw(st.integers(0, 2)), "dispatch_seats": draw(st.integers(0, 2)),
                   "shift": draw(shifts), "max_dispatch_rounds": draw(st.integers(1, 3)),
                   "catch_all": draw(st.sampled_from([None, "d0"]))},
        "inspectors": [{"id": f"t{i}", "count": draw(st.integers(0, 4)), "shift": draw(shifts),
                        "coverage_per_shift": draw(st.floats(0, 1)),
                        "qualifications": draw(st.sampled_from([[], ["licence"]]))}
                       for i in range(draw(st.integers(0, 2)))],
        "incident_kinds": kinds,
        "residents": {"report_propensity": draw(st.floats(0, 0.05))},
    }


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(town=towns(), seed=st.integers(0, 2**32 - 1), days=st.integers(1, 20))
def test_workflow_invariants_hold_in_any_town(town, seed, days):
    cfg = validate_config(town)
    model = JointEnforcementModel(cfg, rng=seed)
    model.run_for(24 * days)
    log = model.case_log()
    assert_no_closure_without_check(log)
    assert_every_report_accounted_for(model)
    assert_no_harm_from_solved_problems(model)
    m = model.metrics()
    for rate in ("closure_rate", "on_time_rate", "real_resolution_rate", "rework_rate"):
        assert pd.isna(m[rate]) or 0.0 <= m[rate] <= 1.0
    assert pd.isna(m["mean_hops"]) or m["mean_hops"] >= 1.0
    if m["workload_share"]:
        assert sum(m["workload_share"].values()) == pytest.approx(1.0)
    again = JointEnforcementModel(cfg, rng=seed)
    again.run_for(24 * days)
    pd.testing.assert_frame_equal(log, again.case_log())


@given(start=st.integers(0, 23), length=st.integers(1, 24), now=st.floats(0, 1000),
       hours=st.floats(0, 200))
def test_on_duty_time_adds_up(start, length, now, hours):
    shift = Shift(start=start, hours=length)
    done = advance_on_duty(now, hours, shift)
    assert done >= now + hours - 1e-9
    if length == 24:
        assert done == now + hours
    # the duty hours between now and done, counted hour-slice by hour-slice, equal ``hours``
    assert _duty_hours_between(now, done, shift) == pytest.approx(hours, abs=1e-6)


def _duty_hours_between(a: float, b: float, shift: Shift) -> float:
    total, lo = 0.0, ((a - shift.start) // 24 - 1) * 24 + shift.start
    while lo < b:
        total += max(0.0, min(b, lo + shift.hours) - max(a, lo))
        lo += 24
    return total
