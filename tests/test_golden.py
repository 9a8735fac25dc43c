"""The model gives the figures it gave before (``tests/golden.py`` recorded them), every preset
under several reforms: a refactoring of internals must not change a result."""

from __future__ import annotations

import json

import pytest

from tests.golden import GOLDEN, SETTINGS, calibration_case, run_case, scenario_cases

RECORDED = json.loads(GOLDEN.read_text(encoding="utf-8"))
CASES = [(p, s) for p, settings in SETTINGS.items() for s in settings]


@pytest.mark.slow
@pytest.mark.parametrize(("preset", "setting"), CASES, ids=[f"{p}-{s or 'own'}" for p, s in CASES])
def test_metrics_and_series_as_recorded(preset: str, setting: str) -> None:
    now, then = run_case(preset, setting), RECORDED["runs"][f"{preset}|{setting}"]
    assert {k: now["metrics"][k] for k in then["metrics"]} == then["metrics"]  # new ones may come
    for name, values in then["series"].items():  # a new series may be added, none changed
        assert now["series"][name] == values, name


@pytest.mark.slow
def test_calibration_measures_as_recorded() -> None:
    assert calibration_case() == RECORDED["calibration"]


@pytest.mark.slow
def test_scenario_outcomes_as_recorded() -> None:
    assert scenario_cases() == RECORDED["scenarios"]
