"""What the Sweep results page reads from a sweep folder, and the response of a metric to one
or two parameters, with 95% intervals.

A sweep folder is what ``gridgov sweep`` writes (:mod:`experiments.sweep_results`):
``manifest.json``, ``runs/part-*.parquet`` and, once ``gridgov analyze`` ran, ``analysis/``
(``sobol.csv``, ``morris.csv``).

The page opens sweep folders only under one root, set when the server starts
(``gridgov dashboard --sweeps-root DIR``, passed in :data:`SWEEPS_ROOT_ENV`; default: the
server's current folder): a folder typed in is read relative to the root, resolved (``..``,
symlinks) and refused if it is not inside it (:func:`inside_root`).

Example:
    >>> import pandas as pd
    >>> runs = pd.DataFrame({"point_id": ["p", "p", "q", "q"], "error": [None] * 4,
    ...                      "institutions.authority.kind": ["none", "none", "command", "command"],
    ...                      "injuries": [4.0, 6.0, 1.0, 3.0]})
    >>> table = response(runs, "injuries", "institutions.authority.kind")
    >>> table[["institutions.authority.kind", "mean", "n"]].values.tolist()
    [['command', 2.0, 2], ['none', 5.0, 2]]
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from experiments.compare import interval
from experiments.sweep_results import (
    ANALYSIS_DIR,
    MANIFEST,
    finished,
    load_sweep,
    output_columns,
    parameter_columns,
)
from institutions import ConfigError, TownConfig, list_presets, load_config, load_preset

EXAMPLE_SWEEP = Path(__file__).resolve().parents[1] / "examples" / "sweeps" / "assessment_authority"
"""The example sweep that ships with gridgov (the output of :data:`EXAMPLE_COMMAND`)."""
EXAMPLE_COMMAND = ("gridgov sweep examples/sweeps/assessment_authority.toml "
                   "--out examples/sweeps/assessment_authority")
MAX_LEVELS = 10
SWEEPS_ROOT_ENV = "GRIDGOV_SWEEPS_ROOT"
"""The environment variable through which ``gridgov dashboard`` gives the server its sweeps root."""
INDEX_FILES = {"sobol": "sobol.csv", "morris": "morris.csv"}


@dataclass(frozen=True)
class Sweep:
    """A sweep folder as read: its manifest, runs, parameters, outputs and any indices."""

    folder: Path
    manifest: dict[str, Any]
    runs: pd.DataFrame
    parameters: list[str]
    outputs: list[str]
    indices: dict[str, pd.DataFrame]

    @property
    def points(self) -> int:
        return int(self.runs["point_id"].nunique()) if len(self.runs) else 0

    @property
    def failed(self) -> int:
        return int(self.runs["error"].notna().sum()) if "error" in self.runs else 0


def sweeps_root() -> Path:
    """The folder under which the page may open sweeps: :data:`SWEEPS_ROOT_ENV`, else the
    current folder, resolved."""
    return Path(os.environ.get(SWEEPS_ROOT_ENV) or os.getcwd()).resolve()


def inside_root(folder: str | Path, root: str | Path | None = None) -> Path:
    """``folder`` (relative to ``root``, or absolute) resolved, symlinks and ``..`` included;
    :class:`institutions.ConfigError` if that is not ``root`` or a folder under it.

    Example:
        >>> inside_root("a/../b", "/srv/sweeps").as_posix()
        '/srv/sweeps/b'
        >>> inside_root("../etc", "/srv/sweeps")
        Traceback (most recent call last):
        ...
        institutions.errors.ConfigError: sweep folder: '../etc' is outside the sweeps root of this \
dashboard; give a folder under it (the dashboard opens no other), such as one listed below
    """
    base = Path(root).resolve() if root is not None else sweeps_root()
    text = str(folder).strip()
    if "\0" in text:
        raise ConfigError(f"sweep folder: {text!r} is not a folder name")
    path = (base / Path(text).expanduser()).resolve()
    if not path.is_relative_to(base):
        raise ConfigError(f"sweep folder: '{text}' is outside the sweeps root of this dashboard; "
                          "give a folder under it (the dashboard opens no other), such as one "
                          "listed below")
    return path


def open_sweep(folder: str | Path, root: str | Path | None = None) -> Sweep:
    """Read a sweep folder under ``root`` (default :func:`sweeps_root`);
    :class:`institutions.ConfigError` if it is outside the root, missing or not a sweep."""
    path = inside_root(folder, root)
    try:
        manifest, runs = load_sweep(path)
    except ConfigError as exc:  # named as typed: the root's own path is not the visitor's business
        raise ConfigError(str(exc).replace(f"'{path}'", f"'{str(folder).strip()}'")) from None
    indices = {}
    for name, file in INDEX_FILES.items():
        table = path / ANALYSIS_DIR / file
        if table.is_file():
            indices[name] = pd.read_csv(table)
    return Sweep(path, manifest, runs, parameter_columns(runs), output_columns(runs), indices)


def sweep_town(sweep: Sweep) -> TownConfig:
    """The town a sweep ran on, for its names: its config file if it can still be read, else
    its preset (the default town if neither is known)."""
    spec = sweep.manifest.get("spec") or {}
    if spec.get("config"):
        try:
            return load_config(spec["config"])
        except (ConfigError, OSError):
            pass
    return load_preset(spec.get("preset") if spec.get("preset") in list_presets() else "n_town")


def find_sweeps(root: str | Path = ".", depth: int = 3, budget: int = 2000) -> list[str]:
    """Sweep folders (a ``manifest.json`` beside ``runs/``) under ``root``, at most ``depth``
    levels down, skipping hidden folders and looking at no more than ``budget`` folders."""
    found: list[str] = []
    level = [Path(root)]
    for _ in range(depth + 1):
        below: list[Path] = []
        for folder in level:
            if budget <= 0:
                return sorted(found)
            budget -= 1
            if (folder / MANIFEST).is_file() and (folder / "runs").is_dir():
                found.append(str(folder))
                continue
            try:
                below += [p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")]
            except OSError:
                continue
        level = sorted(below)
    return sorted(found)


def _levels(values: pd.Series, max_levels: int) -> pd.Series:
    """A parameter's values as levels to group by: as they are when there are few, else binned
    into equal-width bins labelled by their middles (a Latin hypercube or Sobol' design)."""
    numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
    if not numeric or values.nunique() <= max_levels:
        return values
    bins = pd.cut(values.astype(float), max_levels)
    return bins.map(lambda b: round(float(b.mid), 6)).astype(float)


def response(runs: pd.DataFrame, metric: str, x: str, y: str | None = None,
             max_levels: int = MAX_LEVELS) -> pd.DataFrame:
    """Mean of ``metric`` and its 95% interval over the finished runs at each level of ``x``
    (and ``y``): one row per level, columns ``x`` (``y``), ``mean``, ``low``, ``high``, ``n``.

    Runs at a level differ by replication and by the other parameters, so the interval covers
    both. Continuous parameters are binned into ``max_levels`` equal-width bins.
    """
    ok = finished(runs).copy()
    keys = [x] if y is None else [x, y]
    for key in keys:
        ok[key] = _levels(ok[key], max_levels)
    rows = []
    for level, group in ok.groupby(keys, sort=True, observed=True):
        values = pd.to_numeric(group[metric], errors="coerce").to_numpy(dtype=float)
        mean, low, high = interval(values)
        level = level if isinstance(level, tuple) else (level,)
        rows.append({**dict(zip(keys, level, strict=True)), "mean": mean, "low": low, "high": high,
                     "n": int(np.isfinite(values).sum())})
    return pd.DataFrame(rows, columns=[*keys, "mean", "low", "high", "n"])


def indices_for(sweep: Sweep, metric: str) -> dict[str, pd.DataFrame]:
    """The sensitivity indices of ``metric`` that the folder holds, by analysis name."""
    return {name: table[table["output"] == metric] for name, table in sweep.indices.items()
            if "output" in table and (table["output"] == metric).any()}
