"""Writing a preset back with calibrated values, keeping its comments (tomlkit).

Example:
    >>> import tempfile, pathlib
    >>> src = pathlib.Path(tempfile.mkdtemp()) / "t.toml"
    >>> _ = src.write_text('[residents]\\nreport_propensity = 0.1  # calibrated\\n[calibration]\\n')
    >>> write_calibrated(src, src, {"residents.report_propensity": 0.25}, 0.01)
    >>> "report_propensity = 0.25  # calibrated" in src.read_text()
    True
"""

from __future__ import annotations

from pathlib import Path

import tomlkit

from experiments.output import write_atomic
from institutions.paths import set_at


def _sig(value: float) -> float:
    """Six significant digits (small rates must not round to zero)."""
    return float(f"{value:.6g}")


def write_calibrated(source: Path, target: Path, found: dict[str, float], objective: float) -> None:
    """Copy ``source`` to ``target`` with the found values set and recorded in [calibration]."""
    doc = tomlkit.parse(source.read_text(encoding="utf-8"))
    for path, value in found.items():
        set_at(doc, path, _sig(value))
    record = doc["calibration"]
    record["found"] = {k: _sig(v) for k, v in found.items()}
    record["objective"] = _sig(objective)
    write_atomic(target, lambda p: p.write_text(tomlkit.dumps(doc), encoding="utf-8"))
