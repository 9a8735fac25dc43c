"""Reading town configs from TOML: presets, files, overrides and scaling.

Loading never executes code: TOML in, validated pydantic objects out. A file that cannot be
read as UTF-8 TOML (a folder, another encoding, arrays nested beyond reason) is a
:class:`ConfigError` that says why, like any value the schema refuses.

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

import numpy as np

from institutions.errors import ConfigError, validated
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


def read_toml(path: str | Path, what: str = "config") -> dict[str, Any]:
    """The TOML document in the file at ``path``, parsed (``what`` names it in errors).

    Raises :class:`ConfigError` for a file that does not exist or is a folder, cannot be read,
    is not UTF-8 (a UTF-8 byte-order mark is allowed), is not valid TOML or nests arrays or
    tables too deeply to parse.

    Example:
        >>> read_toml("/")
        Traceback (most recent call last):
        ...
        institutions.errors.ConfigError: config: '/' is a folder; give a TOML file
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{what}: file '{path}' does not exist") from None
    except IsADirectoryError:
        raise ConfigError(f"{what}: '{path}' is a folder; give a TOML file") from None
    except OSError as exc:
        raise ConfigError(f"{what}: '{path}' cannot be read: {exc.strerror or exc}") from None
    return parse_toml(raw, f"{what}: '{path}'")


def parse_toml(raw: bytes | str, source: str) -> dict[str, Any]:
    """Parse TOML given as bytes (UTF-8) or text; :class:`ConfigError` naming ``source`` if it
    cannot be.

    Example:
        >>> parse_toml("a = " + "[" * 2000 + "]" * 2000, "spec")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        institutions.errors.ConfigError: spec: arrays or tables nested too deeply to read; ...
    """
    if isinstance(raw, bytes):
        if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
            raise ConfigError(f"{source} is UTF-16 text; allowed: UTF-8 (save it as UTF-8)")
        try:
            text = raw.decode("utf-8").removeprefix("\ufeff")
        except UnicodeDecodeError as exc:
            raise ConfigError(f"{source} is not UTF-8 text (byte {exc.start} is {raw[exc.start]:#04x}); "
                              "allowed: UTF-8 (save it as UTF-8)") from None
    else:
        text = raw
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source} is not valid TOML: {exc}") from None
    except RecursionError:
        raise ConfigError(f"{source}: arrays or tables nested too deeply to read; "
                          "allowed: a few levels") from None


def load_config(path: str | Path) -> TownConfig:
    """Load and validate a town config from a TOML file."""
    return validate_config(read_toml(path, "config"), source=str(path))


def validate_config(data: dict[str, Any], source: str = "config") -> TownConfig:
    """Validate a plain dict (as parsed from TOML) into a :class:`TownConfig`."""
    return validated(TownConfig, data, source)


def with_overrides(cfg: TownConfig, overrides: dict[str, Any], *, scale: float = 1.0) -> TownConfig:
    """A copy of ``cfg`` with dotted-path fields replaced and the result validated again.

    A list of items with ids is addressed by id: ``departments.cheng_guan.officers``. With a
    ``scale``, the result is also scaled as :func:`scaled` does it (one validation for both).

    Example:
        >>> cfg = with_overrides(load_preset(), {"departments.cheng_guan.officers": 5})
        >>> next(d.officers for d in cfg.departments if d.id == "cheng_guan")
        5
    """
    data = cfg.model_dump()
    for path, value in overrides.items():
        set_at(data, path, value.item() if isinstance(value, np.generic) else value)
    if scale != 1.0:
        _scale_data(data, _checked_scale(scale))
        return validate_config(data, source=f"overrides at scale {scale:g}")
    return validate_config(data, source="overrides")


def scaled(cfg: TownConfig, scale: float) -> TownConfig:
    """The same town with population, compounds' residents and all staff multiplied by ``scale``.

    Staff counts (and meetings' capacities) are rounded and kept at least 1 where they were
    positive, so a small test town still has every role. Rates are per resident, so incident
    numbers scale with the population. The scaled town is validated again: it must keep
    within the schema's limits (a town of at most 10 million residents).
    """
    if _checked_scale(scale) == 1.0:
        return cfg
    data = cfg.model_dump()
    _scale_data(data, scale)
    return validate_config(data, source=f"the town at scale {scale:g}")


def _checked_scale(scale: float) -> float:
    if isinstance(scale, bool) or not isinstance(scale, int | float) or not 0 < scale < math.inf:
        raise ConfigError(f"scale: {scale!r} is not allowed; a finite number > 0 "
                          "(1.0 is the town at 1:1)")
    return scale


def _scale_data(data: dict[str, Any], scale: float) -> None:
    """Scale a config's plain dump in place (see :func:`scaled`)."""

    def staff(n: int) -> int:
        return max(1, round(n * scale)) if n > 0 else 0

    def people(n: int) -> int:  # rounded down alike, so compounds still fit in their grid
        return math.floor(n * scale + 1e-9)

    for g in data["grids"]:
        g["population"] = people(g["population"])
    for c in data["compounds"]:
        c["population"] = people(c["population"])
    for d in data["departments"]:
        d["officers"] = staff(d["officers"])
    for p in data["property_managers"]:
        p["staff"] = staff(p["staff"])
    for t in data["inspectors"]:
        t["count"] = staff(t["count"])
    inst = data["institutions"]
    inst["outsourcing"]["contractors"] = staff(inst["outsourcing"]["contractors"])
    joint = inst["joint_enforcement"]
    joint["operation_officers"] = staff(joint["operation_officers"])
    for meeting in inst["meetings"]:
        meeting["capacity"] = staff(meeting["capacity"])
    data["centre"]["intake_seats"] = staff(data["centre"]["intake_seats"])
    data["centre"]["dispatch_seats"] = staff(data["centre"]["dispatch_seats"])
