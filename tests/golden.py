"""Golden figures: what given seeds produced before a refactoring, to hold the model to.

``python -m tests.golden`` writes ``tests/data/golden.json`` from the code as it stands; the
test in ``tests/test_golden.py`` runs the same cases and asserts the same figures. Record it
only when a change of results is intended, and say why in the commit.

Each case uses only the public surface (the model, its metrics and daily series, the
calibration's measures, a scenario's outcome), so it reads the same before and after a change
of internals.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

GOLDEN = Path(__file__).parent / "data" / "golden.json"
DAYS = 60
SCALE = 0.2
SETTINGS = {
    "n_town": ["", "joint_meetings", "clear_mandates", "department_kpis", "centre_authority@10",
               "standing_joint_enforcement", "training", "outsourcing", "differentiated_governance",
               "community_participation", "closure_kpi_only", "clear_mandates+training"],
    "c_town": ["", "clear_mandates", "joint_meetings"],
    "d_street": ["", "training+department_kpis"],
    "dongcheng": ["", "centre_authority"],
    "zhoushan": ["", "department_kpis@20"],
    "yichang": ["", "standing_joint_enforcement"],
}


def _plain(value: Any) -> Any:
    """A JSON-able copy: NaN as None, numpy numbers as Python ones."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def run_case(preset: str, setting: str) -> dict[str, Any]:
    """One preset under one setting, seed 7: every metric and the daily series."""
    from coordination import JointEnforcementModel
    from institutions import load_preset

    model = JointEnforcementModel(load_preset(preset), scale=SCALE, rng=7,
                                  reforms=[setting] if setting else [])
    model.run_for(24 * DAYS)
    series = model.timeseries()
    return {"metrics": _plain(model.metrics()),
            "series": {c: _plain(series[c].tolist()) for c in series.columns}}


def calibration_case() -> dict[str, Any]:
    """C town's hotline figures over its calibration window, at a tenth of its size."""
    from experiments.calibration import run_window
    from institutions import load_preset

    return _plain(run_window(load_preset("c_town"), seed=3, scale=0.1))


def scenario_cases() -> dict[str, Any]:
    """Every scenario's outcome at seed 2, at a fifth of its town."""
    from experiments.scenarios import SCENARIOS, run_scenario, squad_month

    out = {}
    for name in SCENARIOS:
        story = run_scenario(name, seed=2, scale=0.2)
        out[name] = {"failed": story.failed, "outcome": _plain(story.outcome),
                     "steps": len(story.timeline)}
    story = run_scenario("squad_overload", seed=2, scale=0.2)
    out["squad_month"] = _plain(squad_month(story.model, story.incident.time))
    return out


def record() -> dict[str, Any]:
    """Every golden figure, computed now."""
    return {"runs": {f"{p}|{s}": run_case(p, s) for p, settings in SETTINGS.items()
                     for s in settings},
            "calibration": calibration_case(), "scenarios": scenario_cases()}


if __name__ == "__main__":
    figures = record()
    lines = [f"{json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}" for k, v in figures.items()]
    GOLDEN.write_text("{\n" + ",\n".join(lines) + "\n}\n", encoding="utf-8")
    print(f"wrote {GOLDEN}")
