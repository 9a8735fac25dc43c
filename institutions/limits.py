"""What a number and an id in a config may be: the rules every section of the schema shares.

Every number is finite (``inf`` and ``nan`` are refused) and of its own type: a whole number
where a count is meant, a number (whole or not) where a quantity is meant, never a string or
a boolean. Counts, rates and multipliers that a run's work grows with are bounded far beyond
any real town, since a run at such a value would not end; the bounds are below, each in the
``description`` of its fields and in docs/config.md. An id is a short word that dotted paths
(``departments.cheng_guan.officers``) and command lines can carry.

Example:
    >>> from pydantic import TypeAdapter
    >>> TypeAdapter(Id).validate_python("cheng_guan")
    'cheng_guan'
    >>> try:
    ...     TypeAdapter(Id).validate_python("cheng guan")
    ... except ValueError as exc:
    ...     print(exc.errors()[0]["msg"][:39])
    Value error, 'cheng guan' is not an id:
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, Field

MAX_GRID_POPULATION = 1_000_000
"""Residents of one grid, or of one compound (real grids have hundreds to tens of thousands)."""
MAX_TOWN_POPULATION = 10_000_000
"""Residents of a whole town, after scaling (more than any district: each is a Mesa agent)."""
MAX_COMPOUNDS = 10_000
"""Compounds in one ``[[compounds]]`` entry."""
MAX_STAFF = 10_000
"""People in one department, property manager, inspector team, contractor pool or operation."""
MAX_SEATS = 1_000
"""Intake or dispatch seats of the grid centre."""
MAX_ROUNDS = 100
"""Dispatch rounds of a case, repeat calls of a resident."""
MAX_RATE_PER_10K_DAY = 1_000.0
"""Incidents of one kind per 10,000 residents a day (one resident in ten, every day)."""
MAX_INCIDENTS_PER_DAY = 1_000_000.0
"""Expected incidents a day in the whole town (real towns: hundreds)."""
MAX_PASSERS_PER_HOUR = 10_000.0
"""Passers-by of one spot an hour (a city-centre crossing has a few thousand)."""
MAX_FACTOR = 100.0
"""Multipliers of a rate: area factors, visibility, escalation factors, the reporting boost."""
MAX_VOLUNTEERS_PER_10K = 10_000.0
"""Volunteers per 10,000 residents (every resident a volunteer)."""
MAX_HOURS = 1_000_000.0
"""Any duration, and any parameter of a distribution (about 114 years in hours)."""
MAX_SIGMA = 5.0
"""The sigma of a log-normal's logarithm (a factor of 148 per standard deviation)."""
MAX_DAYS = 3_650
"""Days of a calibration window or warm-up (ten years)."""
MAX_SEEDS = 1_000
"""Seeds or iterations of a calibration."""

Share = Annotated[float, Field(ge=0.0, le=1.0, description="a share or probability, 0 to 1")]
"""A share or a probability: 0 to 1."""
Hours = Annotated[float, Field(ge=0.0, le=MAX_HOURS, description=f"hours, 0 to {MAX_HOURS:,.0f}")]
"""A duration in hours (or a distribution's parameter): 0 to :data:`MAX_HOURS`."""
PositiveHours = Annotated[float, Field(gt=0.0, le=MAX_HOURS,
                                       description=f"hours, above 0, at most {MAX_HOURS:,.0f}")]
"""A duration in hours that must be above 0."""
Factor = Annotated[float, Field(ge=0.0, le=MAX_FACTOR, description=f"a multiplier, 0 to {MAX_FACTOR:g}")]
"""A multiplier of a rate: 0 to :data:`MAX_FACTOR`."""
Staff = Annotated[int, Field(ge=0, le=MAX_STAFF, description=f"a head count, 0 to {MAX_STAFF:,}")]
"""A head count: 0 to :data:`MAX_STAFF`."""
Rounds = Annotated[int, Field(ge=0, le=MAX_ROUNDS, description=f"a count, 0 to {MAX_ROUNDS}")]
"""A small count: 0 to :data:`MAX_ROUNDS`."""

_ID = re.compile(r"[^\W_][\w-]{0,63}")
ID_RULE = ("1 to 64 letters, digits, '_' or '-', starting with a letter or digit "
           "(no spaces, dots or '__')")


def _is_id(value: str) -> str:
    if not _ID.fullmatch(value) or "__" in value:
        raise ValueError(f"{value!r} is not an id: {ID_RULE}")
    return value


Id = Annotated[str, AfterValidator(_is_id)]
"""The id of an area, grid, department, team, kind …: see :data:`ID_RULE`."""
