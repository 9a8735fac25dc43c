"""Writing results: JSON that is strict (no NaN), and files written whole or not at all.

Example:
    >>> to_json({"a": float("nan"), "b": 1.5})
    '{"a": null, "b": 1.5}'
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any


def _clean(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


def to_json(data: Any, indent: int | None = None) -> str:
    """Strict JSON: NaN and infinities become null."""
    return json.dumps(_clean(data), ensure_ascii=False, indent=indent, allow_nan=False)


def write_atomic(path: Path, write: Callable[[Path], None]) -> None:
    """Write through ``write(tmp_path)`` to a temporary file, fsync it, then rename it into place.

    A crash leaves either the old file or the new one, never half of one.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # as an ordinary file would be, not mkstemp's owner-only
    try:
        write(Path(tmp))
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
