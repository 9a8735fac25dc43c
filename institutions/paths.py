"""Dotted paths into a config: ``departments.cheng_guan.officers``, list items addressed by id.

One walker serves every reader and writer of config fields: overrides, sweeps, the
calibration, the dashboard's levers and the preset writer. It works on a config's plain dump
and on a TOML document alike.

Example:
    >>> from institutions import load_preset
    >>> data = load_preset("n_town").model_dump()
    >>> value_at(data, "departments.cheng_guan.officers")
    20
    >>> set_at(data, "residents.report_propensity", 0.02)
    >>> value_at(data, "residents.report_propensity")
    0.02
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from institutions.errors import ConfigError


def locate(data: Any, path: str) -> tuple[Any, str]:
    """The mapping that holds the last key of ``path``, and that key.

    Raises :class:`ConfigError` naming the path, the key and what is allowed there.
    """
    node = data
    *parents, last = path.split(".")
    for key in parents:
        node = _child(node, key, path)
    if isinstance(node, list):
        _child(node, last, path)
        raise ConfigError(f"{path}: names a whole item; name one of its fields")
    if not isinstance(node, Mapping):
        raise ConfigError(f"{path}: '{last}' goes below a value that has no fields")
    if last not in node:
        raise ConfigError(f"{path}: '{last}' is not a field; allowed: {sorted(node)}")
    return node, last


def value_at(data: Any, path: str) -> Any:
    """The value at ``path``."""
    node, key = locate(data, path)
    return node[key]


def set_at(data: Any, path: str, value: Any) -> None:
    """Set the field at ``path`` (it must exist) to ``value``."""
    node, key = locate(data, path)
    node[key] = value


def _child(node: Any, key: str, path: str) -> Any:
    if isinstance(node, list):
        match = [item for item in node if isinstance(item, Mapping) and item.get("id") == key]
        if not match:
            ids = [item.get("id") for item in node if isinstance(item, Mapping)]
            raise ConfigError(f"{path}: no item with id '{key}'; allowed: {ids}")
        return match[0]
    if isinstance(node, Mapping):
        if key not in node:
            raise ConfigError(f"{path}: '{key}' is not a field; allowed: {sorted(node)}")
        return node[key]
    raise ConfigError(f"{path}: '{key}' goes below a value that has no fields")
