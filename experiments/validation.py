"""Validation: a scorecard of declared targets, figures real grid systems report, over seeds.

Each target (``experiments/targets.toml``, plus every preset's own calibration targets) names
its source and the sentence it rests on, a preset (and reforms), the measure of the tally read
over a window (after a warm-up), what is expected (``within`` a relative tolerance of a value,
``at_least`` or ``at_most`` it) and whether the figure was used to set parameters
(``calibration = true``: in sample) or only checked. :func:`validate` runs every target's
setting over the seeds, the runs of one setting shared by all its targets, and returns one row
per target: the mean over seeds, its 95% interval, and whether the target holds (the mean is
where it must be). docs/validation.md explains each figure.

Example:
    >>> table = validate(targets_for("c_town")[:1], seeds=2, workers=1)
    >>> list(table.columns)[:5]
    ['id', 'preset', 'setting', 'measure', 'expect']
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import Field, NonNegativeInt, PositiveFloat, PositiveInt, ValidationError

from coordination import JointEnforcementModel
from experiments.compare import interval
from experiments.replications import run_all
from institutions import HOURS_PER_DAY, ConfigError, list_presets, load_preset
from institutions.base import Section
from institutions.errors import describe_validation_error
from institutions.reforms import reform_names

TARGETS = Path(__file__).with_name("targets.toml")
"""The declared targets shipped with gridgov."""


class Target(Section):
    """One figure a preset must reproduce, with where it comes from."""

    id: str
    preset: str
    reforms: list[str] = Field(default_factory=list)
    measure: str
    over: str | None = None  # divide by this measure (a share)
    minus: str | None = None  # subtract this measure (a gap)
    per_town: bool = False  # a count: divided by the scale, as for the town at 1:1
    expect: Literal["within", "at_least", "at_most"] = "within"
    value: float
    tolerance: float = Field(0.0, ge=0.0)  # relative, for ``within``
    warmup_days: NonNegativeInt = 30
    days: PositiveInt = 30
    scale: PositiveFloat = 1.0
    calibration: bool = False
    source: str
    sentence: str = ""
    meaning: str = ""

    def setting(self) -> tuple[str, tuple[str, ...], int, int, float]:
        """What the target's runs are: targets with the same setting share them."""
        return (self.preset, tuple(self.reforms), self.warmup_days, self.days, self.scale)

    def holds(self, mean: float) -> bool:
        """Whether a mean over seeds is where the target says it must be."""
        return holds(self.expect, self.value, self.tolerance, mean)


def holds(expect: str, value: float, tolerance: float, mean: float) -> bool:
    """Whether ``mean`` is where a target says: within ``tolerance`` (relative) of ``value``,
    at least or at most it; never when the mean is NaN.

    Example:
        >>> holds("at_least", 0.5, 0.0, 0.6), holds("within", 1.0, 0.1, 1.2)
        (True, False)
    """
    if math.isnan(mean):
        return False
    if expect == "at_least":
        return mean >= value
    if expect == "at_most":
        return mean <= value
    return abs(mean - value) <= tolerance * abs(value)


class TargetFile(Section):
    """The ``[[target]]`` entries of a targets file."""

    target: list[Target] = Field(min_length=1)


def load_targets(path: Path = TARGETS) -> list[Target]:
    """The targets of a TOML file (``ConfigError`` naming the field if one is wrong)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        targets = TargetFile.model_validate(data).target
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except ValidationError as exc:
        raise ConfigError(describe_validation_error(exc, str(path))) from None
    presets = set(list_presets())
    for t in targets:
        if t.preset not in presets:
            raise ConfigError(f"{path}: target '{t.id}': preset '{t.preset}' is not known; "
                              f"allowed: {', '.join(sorted(presets))}")
        for spec in t.reforms:
            reform_names(spec)
    return targets


def calibration_targets(preset: str) -> list[Target]:
    """A preset's own calibration targets, as validation targets (in sample)."""
    cfg = load_preset(preset)
    spec = cfg.calibration
    if spec is None:
        return []
    return [Target(id=f"{preset}.{t.measure}", preset=preset, measure=t.measure, value=t.value,
                   tolerance=t.tolerance, warmup_days=spec.warmup_days, days=spec.days,
                   calibration=True, source=t.source, meaning="calibration target")
            for t in spec.targets]


def targets_for(preset: str | None = None, path: Path = TARGETS) -> list[Target]:
    """Every target (of one preset, if named): the presets' calibration targets, then the file's."""
    names = [preset] if preset else list_presets()
    out = [t for name in names for t in calibration_targets(name)]
    return out + [t for t in load_targets(path) if preset is None or t.preset == preset]


def _names(t: Target) -> list[str]:
    return [n for n in (t.measure, t.over, t.minus) if n]


def _run(job: tuple[tuple[str, tuple[str, ...], int, int, float], list[str], int]
         ) -> dict[str, float]:
    (preset, reforms, warmup, days, scale), names, seed = job
    model = JointEnforcementModel(load_preset(preset), scale=scale, rng=seed, reforms=list(reforms))
    window = model.tally_from(HOURS_PER_DAY * warmup)
    model.run_for(HOURS_PER_DAY * (warmup + days))
    return {name: float(window.value(name)) for name in names}


def _figure(t: Target, run: dict[str, float]) -> float:
    value = run[t.measure] / (t.scale if t.per_town else 1.0)
    if t.over:
        value = value / run[t.over] if run[t.over] else math.nan
    if t.minus:
        value -= run[t.minus]
    return value


def validate(targets: Sequence[Target], *, seeds: int = 20, workers: int | None = None,
             progress: Callable[[int, int], None] | None = None) -> pd.DataFrame:
    """Run every target's setting with seeds 1..``seeds``; one row per target."""
    settings: dict[tuple, list[str]] = {}
    for t in targets:
        names = settings.setdefault(t.setting(), [])
        names += [n for n in _names(t) if n not in names]
    jobs = [(setting, names, seed) for setting, names in settings.items()
            for seed in range(1, seeds + 1)]
    results = run_all(_run, jobs, workers=workers, progress=progress)
    by_setting: dict[tuple, list[dict[str, float]]] = {}
    for (setting, _, _), result in zip(jobs, results, strict=True):
        by_setting.setdefault(setting, []).append(result)
    rows = []
    for t in targets:
        values = np.array([_figure(t, r) for r in by_setting[t.setting()]], dtype=float)
        mean, low, high = interval(values)
        rows.append({"id": t.id, "preset": t.preset, "setting": "+".join(t.reforms) or "as it is",
                     "measure": _label(t), "expect": t.expect, "target": t.value,
                     "tolerance": t.tolerance, "mean": mean, "ci_low": low, "ci_high": high,
                     "seeds": seeds, "holds": t.holds(mean), "calibration": t.calibration,
                     "source": t.source, "sentence": t.sentence})
    return pd.DataFrame(rows)


def _label(t: Target) -> str:
    label = t.measure + (" per town" if t.per_town else "")
    if t.over:
        label += f" / {t.over}"
    if t.minus:
        label += f" - {t.minus}"
    return label
