"""Reading town configs from TOML: presets, files, overrides and scaling.

Loading never executes code: TOML in, validated pydantic objects out.

Example:
    >>> cfg = load_preset("n_town")
    >>> small = scaled(cfg, 0.1)
    >>> small.population
    18000
    >>> with_overrides(cfg, {"residents.report_propensity": 0.02}).residents.report_propensity
    0.02
"""

from __future__ import annotations

import math
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from institutions.errors import ConfigError, describe_validation_error
from institutions.paths import set_at
from institutions.schema import TownConfig


def list_presets() -> list[str]:
    """Names of the presets shipped with the package.

    Example:
        >>> "n_town" in list_presets()
        True
    """
    folder = resources.files("institutions") / "presets"
    return sorted(p.name.removesuffix(".toml") for p in folder.iterdir() if p.name.endswith(".toml"))


def preset_path(name: str) -> Path:
    """The TOML file of a preset; :class:`ConfigError` for an unknown name."""
    if name not in list_presets():
        raise ConfigError(f"preset: '{name}' is not a preset; allowed: {', '.join(list_presets())}")
    return Path(str(resources.files("institutions") / "presets" / f"{name}.toml"))


def load_preset(name: str = "n_town") -> TownConfig:
    """Load and validate a shipped preset by name.

    Example:
        >>> load_preset("n_town").town.name
        'N town'
    """
    return load_config(preset_path(name))


def load_config(path: str | Path) -> TownConfig:
    """Load and validate a town config from a TOML file."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"config: file '{path}' does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config: '{path}' is not valid TOML: {exc}") from None
    return validate_config(data, source=str(path))


def validate_config(data: dict[str, Any], source: str = "config") -> TownConfig:
    """Validate a plain dict (as parsed from TOML) into a :class:`TownConfig`."""
    try:
        return TownConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(describe_validation_error(exc, source, TownConfig)) from None


def with_overrides(cfg: TownConfig, overrides: dict[str, Any]) -> TownConfig:
    """A copy of ``cfg`` with dotted-path fields replaced and the result validated again.

    A list of items with ids is addressed by id: ``departments.cheng_guan.officers``.

    Example:
        >>> cfg = with_overrides(load_preset(), {"departments.cheng_guan.officers": 5})
        >>> next(d.officers for d in cfg.departments if d.id == "cheng_guan")
        5
    """
    data = cfg.model_dump()
    for path, value in overrides.items():
        set_at(data, path, value)
    return validate_config(data, source="overrides")


def scaled(cfg: TownConfig, scale: float) -> TownConfig:
    """The same town with population, compounds' residents and all staff multiplied by ``scale``.

    Staff counts (and meetings' capacities) are rounded and kept at least 1 where they were
    positive, so a small test town still has every role. Rates are per resident, so incident
    numbers scale with the population.
    """
    if not scale > 0:
        raise ConfigError(f"scale: {scale} is not allowed; a number > 0 (1.0 is the town at 1:1)")
    if scale == 1.0:
        return cfg

    def staff(n: int) -> int:
        return max(1, round(n * scale)) if n > 0 else 0

    def people(n: int) -> int:  # rounded down alike, so compounds still fit in their grid
        return math.floor(n * scale + 1e-9)

    out = cfg.model_copy(deep=True)
    for g in out.grids:
        g.population = people(g.population)
    for c in out.compounds:
        c.population = people(c.population)
    for d in out.departments:
        d.officers = staff(d.officers)
    for p in out.property_managers:
        p.staff = staff(p.staff)
    for t in out.inspectors:
        t.count = staff(t.count)
    out.institutions.outsourcing.contractors = staff(out.institutions.outsourcing.contractors)
    for meeting in out.institutions.meetings:
        meeting.capacity = staff(meeting.capacity)
    out.centre.intake_seats = staff(out.centre.intake_seats)
    out.centre.dispatch_seats = staff(out.centre.dispatch_seats)
    return out
