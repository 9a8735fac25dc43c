"""A sweep spec: which town, how long, which parameters over which values, which design.

A spec is a TOML file validated by pydantic, then checked against the town: every parameter
is a dotted config path (``institutions.assessment.kind``, ``departments.cheng_guan.officers``)
that :func:`institutions.with_overrides` accepts with each of its values, or ``reforms``
(named reform settings, ``A+B`` and ``NAME@DAY`` allowed). Outputs are metric names. Then
the design's points are checked together (:func:`experiments.designs.check_design`), so a
combination the town does not allow is refused before anything runs, not as failed runs.
Numbers are finite and of their own type (no ``"10"`` for 10), as in a town config.

Example:
    >>> spec, base = parse_spec('''
    ... days = 10
    ... scale = 0.02
    ... replications = 2
    ... outputs = ["injuries"]
    ... [parameters."institutions.authority.kind"]
    ... values = ["none", "command"]
    ... [parameters."departments.cheng_guan.officers"]
    ... low = 10
    ... high = 40
    ... levels = 2
    ... ''')
    >>> spec.design.kind, spec.parameters["departments.cheng_guan.officers"].integer
    ('factorial', True)
"""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from coordination import METRIC_NAMES
from experiments.replications import check_setting
from institutions import (
    ConfigError,
    TownConfig,
    load_config,
    load_preset,
    parse_reform,
    scaled,
    with_overrides,
)
from institutions.errors import validated
from institutions.loading import parse_toml, read_toml
from institutions.paths import value_at

REFORMS_PARAMETER = "reforms"
SCALAR_METRICS = tuple(m for m in METRIC_NAMES if m != "workload_share")
DESIGN_KINDS = ("factorial", "lhs", "sobol", "morris")
Scalar = bool | int | float | str
MAX_DAYS = 36_500
"""Simulated days of a run (a hundred years)."""
MAX_SCALE = 100.0
"""The largest ``scale`` (the scaled town must also keep within the config's limits)."""
MAX_REPLICATIONS = 100_000
MAX_LEVELS = 1_000
"""Levels of a range in a factorial design, or of a Morris grid."""
MAX_SAMPLES = 1_000_000
MAX_POINTS = 1_000_000
"""Rows of a design."""
MAX_RUNS = 10_000_000
"""Runs of a sweep: design rows x replications."""
STRICT = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)


class Parameter(BaseModel):
    """One swept parameter: categorical ``values``, or a numeric range ``low`` … ``high``.

    ``integer`` (ranges) is taken from the town's field when not given; ``levels`` is the
    number of evenly spaced values a factorial design takes from a range (default 3).
    """

    model_config = STRICT

    values: list[Scalar] | None = Field(default=None, min_length=1)
    low: float | None = None
    high: float | None = None
    integer: bool | None = None
    levels: int | None = Field(default=None, ge=2, le=MAX_LEVELS)

    @field_validator("values", mode="before")
    @classmethod
    def _plain_values(cls, values: Any) -> Any:
        """Each value a string, a finite number or a boolean, and none twice."""
        if not isinstance(values, list):
            return values
        for i, v in enumerate(values):
            if not isinstance(v, bool | int | float | str):
                raise ValueError(f"values[{i}] = {v!r}: allowed: a string, a number or a boolean")
            if isinstance(v, float) and not math.isfinite(v):
                raise ValueError(f"values[{i}] = {v!r}: allowed: a finite number")
        for i, v in enumerate(values):
            if any(type(v) is type(w) and v == w for w in values[:i]):
                raise ValueError(f"values[{i}] = {v!r} comes twice; give each value once")
        return values

    @model_validator(mode="after")
    def _one_kind(self) -> Parameter:
        ranged = self.low is not None or self.high is not None
        if self.values is not None and (ranged or self.levels is not None or self.integer is not None):
            raise ValueError("give either `values` (a list) or a range (`low`, `high`, optionally "
                             "`integer`, `levels`), not both")
        if self.values is None:
            if self.low is None or self.high is None:
                raise ValueError("give `values` (a list) or both `low` and `high`")
            if not self.low < self.high:
                raise ValueError(f"`low` ({self.low:g}) must be below `high` ({self.high:g})")
        elif len({type(v) for v in self.values}) > 1:
            if not all(type(v) in (int, float) for v in self.values):
                raise ValueError(f"`values` mixes types ({self.values!r}); give values of one type")
            self.values = [float(v) for v in self.values]  # 1 and 2.5: numbers, all floats
            if len(set(self.values)) < len(self.values):
                raise ValueError(f"`values` ({self.values!r}) gives a number twice; give each once")
        return self

    @property
    def categorical(self) -> bool:
        return self.values is not None


class Design(BaseModel):
    """How points are chosen: every combination, or ``samples`` drawn by LHS, Sobol or Morris.

    ``samples`` is the number of points (lhs), the base sample N, a power of 2 (sobol: N·(D+2)
    points, N·(2D+2) with ``second_order``) or the number of trajectories (morris: r·(D+1)
    points on a grid of ``levels`` levels). ``seed`` (default: the spec's seed) drives sampling.
    """

    model_config = STRICT

    kind: Literal["factorial", "lhs", "sobol", "morris"] = "factorial"
    samples: int | None = Field(default=None, ge=1, le=MAX_SAMPLES)
    second_order: bool = False
    levels: int = Field(default=4, ge=2, le=MAX_LEVELS)
    seed: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _samples(self) -> Design:
        if self.kind == "factorial" and self.samples is not None:
            raise ValueError("`samples` is not used by a factorial design (it runs every "
                             "combination); remove it or choose kind lhs, sobol or morris")
        if self.kind != "factorial" and self.samples is None:
            raise ValueError(f"a {self.kind} design needs `samples`")
        if self.kind == "sobol" and self.samples is not None and self.samples & (self.samples - 1):
            raise ValueError(f"`samples` = {self.samples}: a sobol design needs a power of 2 "
                             "(e.g. 64, 128, 256)")
        return self


class SweepSpec(BaseModel):
    """A sweep: the town, run length and size, replications, outputs, parameters and design."""

    model_config = STRICT

    name: str = ""
    preset: str = "n_town"
    config: str | None = None
    days: int = Field(ge=1, le=MAX_DAYS)
    scale: float = Field(default=1.0, gt=0, le=MAX_SCALE)
    replications: int = Field(ge=1, le=MAX_REPLICATIONS)
    seed: int = Field(default=1, ge=0)
    common_random_numbers: bool = True
    outputs: list[str] = Field(default_factory=lambda: list(SCALAR_METRICS), min_length=1)
    parameters: dict[str, Parameter] = Field(min_length=1)
    design: Design = Field(default_factory=Design)

    @property
    def sample_seed(self) -> int:
        return self.design.seed if self.design.seed is not None else self.seed

    def digest(self) -> str:
        """A hash of what makes the runs: two sweeps with the same digest are the same sweep. The
        name, and the config file's path (its contents count in the town's digest), are left out."""
        text = json.dumps(self.model_dump(mode="json", exclude={"name", "config"}), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


_LEAF_KEYS = set(Parameter.model_fields)


def _flatten_parameters(table: Any, prefix: str = "") -> Any:
    """``[parameters.a.b]`` (unquoted, so nested by TOML) becomes ``parameters."a.b"``.

    A parameter given in both forms (``"a.b"`` quoted and ``a.b`` nested, or partly each) is
    a :class:`ConfigError`: one would silently win.
    """
    if not isinstance(table, dict):
        return table
    flat: dict[str, Any] = {}
    for key, value in table.items():
        name = f"{prefix}{key}"
        nested = isinstance(value, dict) and value and all(isinstance(v, dict) for v in value.values())
        items = (_flatten_parameters(value, f"{name}.").items() if nested and not set(value) & _LEAF_KEYS
                 else [(name, value)])
        for full, par in items:
            if full in flat:
                raise ConfigError(f"parameters.{full}: given twice (as a quoted name and as nested "
                                  "tables, e.g. [parameters.\"a.b\"] and [parameters.a.b]); "
                                  "give each parameter once")
            flat[full] = par
    return flat


def check_against_town(spec: SweepSpec, base: TownConfig) -> SweepSpec:
    """Check every parameter and output against the town; fill in ``integer`` for ranges.

    Raises :class:`ConfigError` naming the parameter, the value and what is allowed.
    """
    for name in spec.outputs:
        if name == "workload_share":
            raise ConfigError("outputs: 'workload_share' is a share per department, not one number; "
                              "use 'workload_hhi' (its Herfindahl index)")
        if name not in SCALAR_METRICS:
            raise ConfigError(f"outputs: '{name}' is not a metric; allowed: {', '.join(SCALAR_METRICS)}")
    if len(set(spec.outputs)) != len(spec.outputs):
        raise ConfigError(f"outputs: {spec.outputs} names a metric twice; name each once")
    resolved: dict[str, Parameter] = {}
    for name, par in spec.parameters.items():
        where = f"parameters.{name}"
        if name == REFORMS_PARAMETER:
            if not par.categorical or not all(isinstance(v, str) for v in par.values or []):
                raise ConfigError(f"{where}: give `values`, a list of reform settings "
                                  "('baseline', 'NAME', 'A+B', 'NAME@DAY')")
            for value in par.values or []:
                try:
                    check_setting(value)
                    day = 0.0 if value in ("", "baseline") else parse_reform(value)[1]
                except ConfigError as exc:
                    raise ConfigError(f"{where}: {exc}") from None
                if not day <= spec.days:  # NaN too
                    raise ConfigError(f"{where}: '{value}' switches on at day {day:g}, after the "
                                      f"runs end at day {spec.days}; allowed days: 0 to {spec.days}")
            resolved[name] = par
            continue
        try:
            current = value_at(base.model_dump(), name)
        except ConfigError as exc:
            raise ConfigError(f"{where}: not a field of the town ({exc}); name a field by its "
                              "dotted path, or use 'reforms'") from None
        if par.categorical:
            trials = list(par.values or [])
        else:
            if isinstance(current, bool) or not isinstance(current, int | float | None):
                raise ConfigError(f"{where}: a range (low, high) needs a number field; this field "
                                  f"holds {current!r}; give `values` instead")
            integer = par.integer if par.integer is not None else isinstance(current, int)
            if integer and (par.low != int(par.low or 0) or par.high != int(par.high or 0)):
                raise ConfigError(f"{where}: an integer range needs whole-number bounds "
                                  f"(given: low={par.low:g}, high={par.high:g})")
            par = par.model_copy(update={"integer": integer})
            trials = [int(par.low), int(par.high)] if integer else [par.low, par.high]
        for value in trials:
            try:
                with_overrides(base, {name: value})
            except ConfigError as exc:
                raise ConfigError(f"{where}: the value {value!r} does not fit the town: {exc}") from None
        resolved[name] = par
    try:
        scaled(base, spec.scale)
    except ConfigError as exc:
        raise ConfigError(f"scale: {spec.scale:g} does not fit the town: {exc}") from None
    return spec.model_copy(update={"parameters": resolved})


def parse_spec(text: str, source: str = "sweep spec", folder: Path | None = None
               ) -> tuple[SweepSpec, TownConfig]:
    """Validate a spec given as TOML text; return it (checked) and the base town config."""
    return _checked(parse_toml(text, source), source, folder)


def _checked(data: dict[str, Any], source: str, folder: Path | None) -> tuple[SweepSpec, TownConfig]:
    """The spec in ``data`` checked field by field, against its town, then design point by point."""
    from experiments.designs import check_design  # designs imports this module

    if "parameters" in data:
        data["parameters"] = _flatten_parameters(data["parameters"])
    spec = validated(SweepSpec, data, source)
    if spec.config is not None:
        if "preset" in spec.model_fields_set:
            raise ConfigError(f"{source}: give `preset` or `config` (a town TOML file), not both")
        path = Path(spec.config)
        if not path.is_absolute() and folder is not None:
            path = folder / path
        base = load_config(path)
        spec = spec.model_copy(update={"config": str(path.resolve())})
    else:
        base = load_preset(spec.preset)
    spec = check_against_town(spec, base)
    check_design(spec, base)
    return spec, base


def load_spec(path: str | Path) -> tuple[SweepSpec, TownConfig]:
    """Read and check a sweep spec TOML file (``config`` paths are relative to it); a file that
    cannot be read as UTF-8 TOML is a :class:`ConfigError` saying why."""
    path = Path(path)
    return _checked(read_toml(path, "sweep spec"), f"sweep spec '{path}'", path.parent)
