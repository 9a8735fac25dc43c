"""Planting a problem in a running town, and telling its story (the start of training scenarios)."""

from __future__ import annotations

import pandas as pd
import pytest

from coordination import JointEnforcementModel
from coordination.timeline import timeline


def _run(plant: bool, seed: int = 3):
    model = JointEnforcementModel(scale=0.2, rng=seed)
    planted = model.plant("manhole_cover_compound", "g1", day=5.4, compound="g1-a1") if plant else None
    model.run_for(24 * 40)
    return model, planted


def test_a_planted_problem_leaves_the_towns_own_incidents_alone():
    plain, _ = _run(False)
    planted, cover = _run(True)
    log_a, log_b = plain.case_log(), planted.case_log()
    occurred = lambda log: log[(log["step"] == "occurred") & (log["incident_id"] < 10**9)][  # noqa: E731
        ["incident_id", "kind", "grid", "compound", "time"]].reset_index(drop=True)
    pd.testing.assert_frame_equal(occurred(log_a), occurred(log_b))
    assert (log_b["incident_id"] == cover.id).sum() > 1  # it went through the workflow


@pytest.mark.parametrize("lang, words", [
    ("en", ["appears in compound g1-a1", "the grid centre opens case", "Property manager A",
            "expected costs in officer-hours"]),
    ("zh", ["出现窨井盖缺失", "网格中心立案", "派单至物业公司 A", "签收", "预期成本"]),
])
def test_the_timeline_names_each_actor_and_step_in_both_languages(lang, words):
    model, cover = _run(True)
    story = timeline(model, cover.id, lang=lang)
    text = " | ".join(story["text"])
    for word in words:
        assert word in text
    assert list(story["time"]) == sorted(story["time"])
    assert story["step"].iloc[0] == "occurred"


def test_planting_checks_its_input():
    model = JointEnforcementModel(scale=0.05, rng=1)
    with pytest.raises(ValueError, match="kind 'unicorn' is not defined"):
        model.plant("unicorn", "g1", day=1)
    with pytest.raises(ValueError, match="grid 'g99'"):
        model.plant("street_light", "g99", day=1)
    with pytest.raises(ValueError, match="allowed: en, zh"):
        timeline(model, 1, lang="fr")

