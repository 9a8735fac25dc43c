"""The base of every config section: unknown keys are errors, assignments are validated, and
numbers are taken as they are written (docs/config.md, "What is refused").

``strict``: no string or boolean is turned into a number (``population = "800"`` and
``officers = true`` are errors; a whole number is still a number where a quantity is meant),
lists are lists. ``allow_inf_nan=False``: every number is finite.
"""

from pydantic import BaseModel, ConfigDict

SECTION_CONFIG = ConfigDict(extra="forbid", validate_assignment=True, strict=True, allow_inf_nan=False)
"""The pydantic settings of every section of a config (and of a sweep spec)."""


class Section(BaseModel):
    """A section of a town config."""

    model_config = SECTION_CONFIG
