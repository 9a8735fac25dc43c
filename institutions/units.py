"""Units of the model's clock: one step is one simulated hour.

Example:
    >>> 30 * HOURS_PER_DAY
    720
"""

HOURS_PER_DAY = 24
"""Hours in a simulated day (every duration in a config is in hours, every run in days)."""
