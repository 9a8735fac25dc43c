"""Shared helpers: small towns that run in a fraction of a second."""

from __future__ import annotations

from pathlib import Path

import pytest

from coordination import JointEnforcementModel
from institutions import TownConfig, load_config, with_overrides

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="session")
def village() -> TownConfig:
    """River village: a town written from scratch, with its own kinds and departments."""
    return load_config(DATA / "river_village.toml")


def run_town(cfg: TownConfig, days: int = 30, seed: int = 1, **overrides) -> JointEnforcementModel:
    """Build and run a model for ``days`` days; ``overrides`` are dotted config paths."""
    if overrides:
        cfg = with_overrides(cfg, overrides)
    model = JointEnforcementModel(cfg, rng=seed)
    model.run_for(24 * days)
    return model
