"""Active supervision (监督员) on a report quota: volume follows the supervisors' effort.

Claims over replications carry intervals.
"""

from __future__ import annotations

from coordination import JointEnforcementModel
from institutions import load_preset, with_overrides
from tests.stats import paired_difference_interval

SEEDS = range(1, 7)
TEAM = "xin_xi_yuan"  # N town's information officers, the sparsest patrol


def _run(cfg, seed: int) -> tuple[dict, float, int]:
    model = JointEnforcementModel(cfg, scale=0.2, rng=seed)
    model.run_for(24 * 40)
    team = next(t for t in model.inspector_teams if t.spec.id == TEAM)
    return model.metrics(), team.search, team.found


def test_a_report_quota_makes_supervisors_search_harder_and_find_more():
    cfg = load_preset("n_town")
    quota = with_overrides(cfg, {f"inspectors.{TEAM}.report_quota_per_shift": 5.0})
    base = [_run(cfg, s) for s in SEEDS]
    pushed = [_run(quota, s) for s in SEEDS]
    assert all(search == 1.0 for _, search, _ in base)  # no quota: own coverage, every day
    spec = next(t for t in quota.inspectors if t.id == TEAM)
    ceiling = spec.max_coverage_per_shift / spec.coverage_per_shift
    assert all(1.0 < search <= ceiling for _, search, _ in pushed)
    found = paired_difference_interval([f for *_, f in pushed], [f for *_, f in base])
    assert found[0] > 0  # the quota's team finds more problems
    registered = paired_difference_interval([m["cases_registered"] for m, *_ in pushed],
                                            [m["cases_registered"] for m, *_ in base])
    assert registered[0] > 0  # and more cases come in, from the same problems


def test_supervisors_above_their_quota_ease_off_and_those_below_push_on():
    """The daily review moves the effort by the square root of quota / finds per member-shift."""
    cfg = with_overrides(load_preset("n_town"), {f"inspectors.{TEAM}.report_quota_per_shift": 2.0})
    model = JointEnforcementModel(cfg, scale=0.2, rng=1)
    team = next(t for t in model.inspector_teams if t.spec.id == TEAM)
    team.search, team._reviewed = 3.0, (0.0, team.found)
    team.found += 8 * team.size  # a day at four times the quota
    team.review_quota(24.0)
    assert team.search == 1.5  # eases off, by sqrt(2 / 8)
    team.found += team.size // 2  # a day at a quarter of it
    team.review_quota(48.0)
    assert team.search > 1.5  # pushes on again


def test_the_search_is_capped_at_full_coverage():
    cfg = with_overrides(load_preset("n_town"), {
        f"inspectors.{TEAM}.report_quota_per_shift": 1000.0,
        f"inspectors.{TEAM}.max_coverage_per_shift": 0.5})
    _, search, _ = _run(cfg, 1)
    spec = next(t for t in cfg.inspectors if t.id == TEAM)
    assert search == 0.5 / spec.coverage_per_shift
