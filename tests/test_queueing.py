"""Reductions to queueing theory: where the model is a textbook queue, it must give the
textbook's numbers, measured from its case log (docs/case_log.md) over replications.

1. One compliant department with Poisson arrivals, exponential work and a crew on duty round
   the clock is an M/M/c queue: the share of orders that wait and their mean wait match
   Erlang C.
2. In a stable town (D street as it is) the mean number of open cases L equals the rate cases
   are registered λ times the mean time a case stays open W (Little's law).

Claims are checked over seeds with 99% intervals (tests/stats.py), never on one seed.
"""

from __future__ import annotations

import heapq
import math

import numpy as np
import pandas as pd
import pytest

from coordination import JointEnforcementModel
from experiments.replications import run_all
from institutions import HOURS_PER_DAY, load_preset, scaled, with_overrides
from tests.stats import mean_interval

SEEDS = range(1, 11)


def erlang_c(c: int, a: float) -> float:
    """Probability that an arrival waits in an M/M/c queue with offered load ``a = λ/μ < c``."""
    rho = a / c
    top = a**c / math.factorial(c) / (1 - rho)
    return top / (sum(a**k / math.factorial(k) for k in range(c)) + top)


# -- 1. M/M/c -------------------------------------------------------------------------------------
C, MU, LAM = 3, 1.0, 2.1  # officers, jobs an officer does an hour, orders an hour: ρ = 0.7
MMC_SCALE, MMC_DAYS, MMC_WARMUP_DAYS = 0.05, 90, 5


def mmc_config():
    """N town reduced to an M/M/c queue at its urban-management squad (城管中队).

    What is reduced, and why each is needed:

    - one department, the squad, with ``C`` officers (after scaling) who give all their time to
      work orders (``core_duty_share = 0``) round the clock (a 24-hour shift): otherwise work
      stops outside office hours and is stretched over core duties, and there are not ``C``
      servers of rate ``μ``;
    - ``behaviour = "compliant"``, full skill: every order is accepted and fully fixed, so no
      declines, superficial fixes, rework or short-of-skill fixes send work round again;
    - one incident kind, owned by the squad alone, arising at rate ``λ`` (the model draws each
      day's count from a Poisson law, at uniform times: a Poisson process), with exponential
      effort of mean ``1/μ``, on the street (no property manager), with no joint operation,
      procurement, escalation or going away by itself;
    - residents do not report (``public_visibility = 0``; their calls depend on their trust,
      which moves with outcomes, and repeat while the problem is there); a round-the-clock
      patrol finds each problem once, after an independent exponential delay, and does not fix
      it on the spot;
    - the centre's intake and dispatch take no time, round the clock (its seats are queues of
      their own in front of the squad's, and would make the squad's arrivals non-Poisson).

    The squad's own response time is left as in the preset: independent delays of a Poisson
    stream leave it Poisson, and the orders reach the crew's queue when the squad accepts them
    (the ``handle``/``accepted`` row); they leave it when the work is done (``full_fix``).
    """
    base = load_preset("n_town")
    squad = next(d for d in base.departments if d.id == "cheng_guan").model_dump()
    squad.update(officers=round(C / MMC_SCALE), core_duty_share=0.0, shift={"start": 0, "hours": 24},
                 behaviour="compliant", competence={}, default_competence=1.0)
    population = scaled(base, MMC_SCALE).population
    job = {"id": "job", "category": "event", "location": "street", "owners": ["cheng_guan"],
           "rate_per_10k_day": LAM * HOURS_PER_DAY * 10_000 / population,
           "effort_hours": {"dist": "exponential", "mean": 1 / MU},
           "public_visibility": 0.0, "inspector_visibility": 100.0}
    patrol = {"id": "patrol", "count": round(len(base.grids) / MMC_SCALE),  # one per grid
              "shift": {"start": 0, "hours": 24}, "coverage_per_shift": 1.0,
              "default_competence": 1.0, "on_spot_fix": False}
    no_time = {"dist": "fixed", "value": 0.0}
    return with_overrides(base, {"departments": [squad], "incident_kinds": [job],
                                 "inspectors": [patrol], "centre.shift": {"start": 0, "hours": 24},
                                 "centre.intake_minutes": no_time, "centre.dispatch_minutes": no_time})


def queue_of(log: pd.DataFrame) -> pd.DataFrame:
    """The crew's queue from the log: each order's arrival (accepted), start and departure
    (work done), in order of arrival. The log has no row for the start of the work; as the crew
    works first come, first served, an order starts when it has arrived and the first of the
    ``C`` officers is free (after the departure of the last order that officer took)."""
    accepted = log[(log["step"] == "handle") & (log["outcome"] == "accepted")]
    done = log[(log["step"] == "handle") & (log["outcome"] == "full_fix")]
    q = pd.DataFrame({"arrival": accepted.set_index("case_id")["time"]}).join(
        done.set_index("case_id")["time"].rename("departure"), how="left").sort_values("arrival")
    unfinished = np.flatnonzero(q["departure"].isna().to_numpy())
    q = q.iloc[: unfinished[0] if len(unfinished) else len(q)]  # up to the first still in hand
    free, starts = [0.0] * C, []
    for arrival, departure in zip(q["arrival"], q["departure"], strict=True):
        starts.append(max(arrival, heapq.heappop(free)))
        heapq.heappush(free, departure)
    q["start"] = starts
    # orders in the system (in service or waiting) just before each arrival
    q["found"] = np.arange(len(q)) - np.searchsorted(np.sort(q["departure"].to_numpy()),
                                                     q["arrival"].to_numpy(), side="left")
    return q


def mmc_run(seed: int) -> dict[str, float]:
    """One run of the reduced town: the squad's arrival rate, mean service time, share of
    orders that wait and mean wait, over the orders arriving after warm-up."""
    model = JointEnforcementModel(mmc_config(), scale=MMC_SCALE, rng=seed)
    crew = model.departments["cheng_guan"].crew
    assert (crew.size, crew.availability, crew.shift.hours) == (C, 1.0, 24)
    model.run_for(MMC_DAYS * HOURS_PER_DAY)
    log = model.case_log()
    assert set(log["outcome"]) <= {"occurred", "reported", "registered", "dispatched", "accepted",
                                   "full_fix", "done", "closed", "good", "fair",
                                   "reminded"}  # nothing off the M/M/c path
    q = queue_of(log)
    start, end = MMC_WARMUP_DAYS * HOURS_PER_DAY, (MMC_DAYS - 1) * HOURS_PER_DAY
    q = q[(q["arrival"] >= start) & (q["arrival"] < end)]
    # the orders that find every officer busy are exactly those that wait
    assert ((q["found"] >= C) == (q["start"] > q["arrival"])).all()
    return {"λ": len(q) / (end - start), "1/μ": float((q["departure"] - q["start"]).mean()),
            "P(wait)": float((q["found"] >= C).mean()),
            "W_q": float((q["start"] - q["arrival"]).mean())}


def erlang_c_prediction(lam: float) -> dict[str, float]:
    """What M/M/C with arrival rate ``lam`` and service rate ``MU`` predicts."""
    p = erlang_c(C, lam / MU)
    return {"λ": lam, "1/μ": 1 / MU, "P(wait)": p, "W_q": p / (C * MU - lam)}


@pytest.mark.slow
def test_a_compliant_department_is_an_m_m_c_queue_and_matches_erlang_c():
    """Over 10 seeds the 99% intervals of the arrival rate, the mean service time, the share of
    orders that wait and their mean wait contain what M/M/3 at ρ = 0.7 predicts (Erlang C), and
    are narrow enough to rule out the predictions at a load 10% lower or higher."""
    assert erlang_c(1, 0.7) == pytest.approx(0.7)  # M/M/1: P(wait) = ρ
    assert erlang_c(2, 1.0) == pytest.approx(1 / 3)  # two servers at ρ = 1/2
    runs = run_all(mmc_run, list(SEEDS), workers=2)
    expected = erlang_c_prediction(LAM)
    lighter, heavier = erlang_c_prediction(0.9 * LAM), erlang_c_prediction(1.1 * LAM)
    for name, value in expected.items():
        low, high = mean_interval([r[name] for r in runs], level=0.99)
        assert low <= value <= high, f"{name}: M/M/c gives {value:.4f}, measured [{low:.4f}, {high:.4f}]"
        if name in ("P(wait)", "W_q"):  # the test can tell a load 10% off
            assert lighter[name] < low and high < heavier[name], f"{name}: [{low:.4f}, {high:.4f}]"


# -- 2. Little's law ------------------------------------------------------------------------------
LITTLE_SCALE, WARMUP_DAYS, WINDOW_DAYS, COOLDOWN_DAYS = 0.5, 30, 120, 45


def littles_terms(log: pd.DataFrame, start: float, end: float) -> tuple[float, float, float]:
    """L, λ and W of the open cases over the window ``[start, end)``, from the log.

    A case is open from its ``register``/``registered`` row to its ``verify``/``closed`` row
    (or its exclusion as an unreasonable demand). ``L`` is the time-average number open in the
    window; ``λ`` the cases registered in it per hour; ``W`` their mean time open, to their
    closure, which may come after the window."""
    opened = log[log["outcome"] == "registered"].set_index("case_id")["time"]
    ends = log[((log["step"] == "verify") & (log["outcome"] == "closed"))
               | (log["outcome"] == "excluded")].set_index("case_id")["time"]
    assert ends.index.is_unique and ends.index.isin(opened.index).all()
    shut = ends.reindex(opened.index)
    in_window = opened[(opened >= start) & (opened < end)]
    assert shut[in_window.index].notna().all(), "a case of the window never closed: not stable"
    overlap = (shut.fillna(math.inf).clip(upper=end) - opened.clip(lower=start)).clip(lower=0)
    L = float(overlap.sum()) / (end - start)
    lam = len(in_window) / (end - start)
    W = float((shut[in_window.index] - in_window).mean())
    return L, lam, W


def little_run(seed: int) -> dict[str, float]:
    """One run of D street: L, λ and W over the window after warm-up."""
    start = WARMUP_DAYS * HOURS_PER_DAY
    end = start + WINDOW_DAYS * HOURS_PER_DAY
    model = JointEnforcementModel(preset="d_street", scale=LITTLE_SCALE, rng=seed)
    model.run_for(end + COOLDOWN_DAYS * HOURS_PER_DAY)
    L, lam, W = littles_terms(model.case_log(), start, end)
    return {"L": L, "λ": lam, "W": W}


@pytest.mark.slow
def test_littles_law_holds_for_the_open_cases_of_a_stable_town():
    """D street as it is (strategic departments and property managers, declines, rework,
    meetings, crews on office hours): every case registered in the window closes, and over 10
    seeds the 99% interval of L / λW contains 1 and lies within 3% of it."""
    runs = run_all(little_run, list(SEEDS), workers=2)
    for r in runs:
        assert r["L"] > 5 and r["W"] > 24  # a real backlog of cases, open for days
    low, high = mean_interval([r["L"] / (r["λ"] * r["W"]) for r in runs], level=0.99)
    assert low <= 1.0 <= high, f"L / λW: [{low:.4f}, {high:.4f}]"
    assert low > 0.97 and high < 1.03, f"L / λW: [{low:.4f}, {high:.4f}]"
