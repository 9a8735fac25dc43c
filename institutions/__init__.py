"""The rules, as data: the town config schema, presets, and how they are loaded.

Example:
    >>> from institutions import load_preset
    >>> cfg = load_preset("n_town")
    >>> len(cfg.grids)
    7
"""

from institutions.distributions import Distribution
from institutions.loading import (
    ConfigError,
    list_presets,
    load_config,
    load_preset,
    scaled,
    validate_config,
    with_overrides,
)
from institutions.schema import PROPERTY_MANAGER, IncidentKind, TownConfig

__all__ = [
    "PROPERTY_MANAGER",
    "ConfigError",
    "Distribution",
    "IncidentKind",
    "TownConfig",
    "list_presets",
    "load_config",
    "load_preset",
    "scaled",
    "validate_config",
    "with_overrides",
]
