"""The rules, as data: the town config schema, presets, and how they are loaded.

Example:
    >>> from institutions import load_preset
    >>> cfg = load_preset("n_town")
    >>> len(cfg.grids)
    7
"""

from institutions.distributions import Distribution
from institutions.errors import ConfigError
from institutions.loading import (
    list_presets,
    load_config,
    load_preset,
    scaled,
    validate_config,
    with_overrides,
)
from institutions.reforms import REFORMS, apply_reforms, parse_reform
from institutions.schema import PROPERTY_MANAGER, IncidentKind, TownConfig
from institutions.units import HOURS_PER_DAY

__all__ = [
    "HOURS_PER_DAY",
    "PROPERTY_MANAGER",
    "REFORMS",
    "ConfigError",
    "Distribution",
    "IncidentKind",
    "TownConfig",
    "apply_reforms",
    "list_presets",
    "load_config",
    "load_preset",
    "parse_reform",
    "scaled",
    "validate_config",
    "with_overrides",
]
