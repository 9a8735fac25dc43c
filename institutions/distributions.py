"""Named distributions for every rate and duration in a config.

A config writes a distribution as a TOML inline table, ``{dist = "lognormal", median = 4,
sigma = 0.5}``, or as a bare number, which means ``{dist = "fixed", value = ...}``. Every
parameter is finite and at most :data:`~institutions.limits.MAX_HOURS` (a sigma at most
:data:`~institutions.limits.MAX_SIGMA`), and a uniform's ``low`` is not above its ``high``.

Example:
    >>> import numpy as np
    >>> from pydantic import TypeAdapter
    >>> d = TypeAdapter(Distribution).validate_python({"dist": "exponential", "mean": 2.0})
    >>> d.mean
    2.0
    >>> float(d.sample(np.random.default_rng(1))) > 0
    True
    >>> round(d.quantile(0.5), 4)   # the median: draws by quantile keep runs coupled
    1.3863
"""

from __future__ import annotations

import math
from statistics import NormalDist
from typing import Annotated, Literal, Self

import numpy as np
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from institutions.base import SECTION_CONFIG
from institutions.limits import MAX_SIGMA, Hours, PositiveHours


class _Dist(BaseModel):
    model_config = ConfigDict(**SECTION_CONFIG, frozen=True)

    def quantile(self, u: float) -> float:  # pragma: no cover - each subclass defines it
        raise NotImplementedError


_EDGE = 1e-12


def _open_unit(u: float) -> float:
    return min(max(u, _EDGE), 1.0 - _EDGE)


class Fixed(_Dist):
    """Always the same value."""

    dist: Literal["fixed"] = "fixed"
    value: Hours

    @property
    def mean(self) -> float:
        return self.value

    def sample(self, rng: np.random.Generator, size: int | None = None) -> float | np.ndarray:
        return self.value if size is None else np.full(size, self.value)

    def quantile(self, u: float) -> float:
        return self.value


class Exponential(_Dist):
    """Exponential with the given mean (memoryless waits)."""

    dist: Literal["exponential"] = "exponential"
    mean: PositiveHours

    def sample(self, rng: np.random.Generator, size: int | None = None) -> float | np.ndarray:
        return rng.exponential(self.mean, size)

    def quantile(self, u: float) -> float:
        return -self.mean * math.log1p(-_open_unit(u))


class LogNormal(_Dist):
    """Log-normal given by its median and the sigma of its logarithm (skewed work times)."""

    dist: Literal["lognormal"] = "lognormal"
    median: PositiveHours
    sigma: float = Field(ge=0.0, le=MAX_SIGMA, description=f"0 to {MAX_SIGMA:g}")

    @property
    def mean(self) -> float:
        return self.median * math.exp(self.sigma**2 / 2)

    def sample(self, rng: np.random.Generator, size: int | None = None) -> float | np.ndarray:
        return rng.lognormal(math.log(self.median), self.sigma, size)

    def quantile(self, u: float) -> float:
        return self.median * math.exp(self.sigma * NormalDist().inv_cdf(_open_unit(u)))


class Uniform(_Dist):
    """Uniform between low and high."""

    dist: Literal["uniform"] = "uniform"
    low: Hours
    high: Hours

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.low > self.high:
            raise ValueError(f"low ({self.low:g}) is above high ({self.high:g}); "
                             "allowed: low <= high")
        return self

    @property
    def mean(self) -> float:
        return (self.low + self.high) / 2

    def sample(self, rng: np.random.Generator, size: int | None = None) -> float | np.ndarray:
        return rng.uniform(self.low, self.high, size)

    def quantile(self, u: float) -> float:
        return self.low + u * (self.high - self.low)


DISTRIBUTION_NAMES = ("fixed", "exponential", "lognormal", "uniform")
_WRITTEN = ("a number (fixed) or a table such as {dist = \"exponential\", mean = 4}, "
            f"dist one of {', '.join(DISTRIBUTION_NAMES)}")


def _number_means_fixed(value: object) -> object:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return {"dist": "fixed", "value": value}
    if isinstance(value, dict) and "dist" not in value:
        raise ValueError(f"a distribution table needs `dist`; allowed: {_WRITTEN}")
    if not isinstance(value, (dict, _Dist)):
        raise ValueError(f"not a distribution; allowed: {_WRITTEN}")
    return value


Distribution = Annotated[
    Annotated[Fixed | Exponential | LogNormal | Uniform, Field(discriminator="dist")],
    BeforeValidator(_number_means_fixed),
]
"""Any named distribution; the ``dist`` key chooses which."""
