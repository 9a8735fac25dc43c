"""Shifts and crews: when people are on duty and when a piece of work they take on is done.

Seats of the grid centre, officers of a department and staff of a property manager are all a
:class:`Workforce`: a few people working a daily shift, each taking the next job first come,
first served. Work is measured in hours of effort; an officer who gives only part of the shift
to work orders (the rest goes to core duties) takes proportionally longer.

Example:
    >>> from institutions.schema import Shift
    >>> crew = Workforce(size=1, shift=Shift(start=8, hours=9))
    >>> crew.finish_time(now=7.0, hours=2.0)   # waits for 8:00, done at 10:00
    10.0
    >>> crew.finish_time(now=7.0, hours=8.0)   # queued behind: 10:00-17:00, then 8:00-9:00 next day
    33.0
"""

from __future__ import annotations

import math

from institutions.schema import Shift
from institutions.units import HOURS_PER_DAY


def advance_on_duty(now: float, hours: float, shift: Shift) -> float:
    """The clock time at which ``hours`` of on-duty time, starting at ``now``, have passed.

    Example:
        >>> advance_on_duty(16.0, 2.0, Shift(start=8, hours=9))   # 16-17, then 8-9 next day
        33.0
        >>> advance_on_duty(26.0, 4.0, Shift(start=20, hours=9))  # night shift: 2-5, then 20-21
        45.0
        >>> advance_on_duty(0.0, 1e308, Shift(start=0, hours=4))  # beyond any clock: never
        inf
    """
    if shift.hours >= HOURS_PER_DAY:
        return now + hours
    start, length = float(shift.start), float(shift.hours)
    begin = math.floor((now - start) / HOURS_PER_DAY) * HOURS_PER_DAY + start  # last shift start
    if now >= begin + length:  # that shift is over: wait for the next
        begin += HOURS_PER_DAY
    t = max(now, begin)
    left_in_shift = begin + length - t
    if hours <= left_in_shift:
        return t + hours
    hours -= left_in_shift
    whole_shifts = float(math.floor(hours / length))  # a float, so that days past reach become inf
    hours -= whole_shifts * length
    next_begin = begin + HOURS_PER_DAY * (1 + whole_shifts)
    if hours == 0.0:
        return next_begin - HOURS_PER_DAY + length
    return next_begin + hours

class Workforce:
    """``size`` people on a shift, each giving ``availability`` of it to this kind of work.

    Example:
        >>> crew = Workforce(size=2, shift=Shift(start=0, hours=24), availability=0.5)
        >>> crew.finish_time(now=0.0, hours=3.0), crew.finish_time(now=0.0, hours=1.0)
        (6.0, 2.0)
        >>> crew.backlog_hours(now=0.0)
        8.0
    """

    def __init__(self, size: int, shift: Shift, availability: float = 1.0) -> None:
        self.shift = shift
        self.availability = availability
        self.free_at: list[float] = [0.0] * size
        self.hours_worked = 0.0

    @property
    def size(self) -> int:
        return len(self.free_at)

    def resize(self, size: int, now: float) -> None:
        """Add or remove people (staffing changes); new people are free from ``now``."""
        if size > self.size:
            self.free_at.extend([now] * (size - self.size))
        else:
            self.free_at = sorted(self.free_at)[:size]

    def finish_time(self, now: float, hours: float) -> float:
        """Give ``hours`` of effort to the person free first; when the work is done.

        Raises ``ValueError`` for a crew of nobody: check :attr:`size` first.
        """
        i, done = self._earliest(now, hours)
        self.free_at[i] = done
        self.hours_worked += hours
        return done

    def preview(self, now: float, hours: float) -> float:
        """When ``hours`` of effort taken on now would be done, without taking them on."""
        return self._earliest(now, hours)[1] if self.free_at else math.inf

    def _earliest(self, now: float, hours: float) -> tuple[int, float]:
        if not self.free_at:
            raise ValueError("a workforce of size 0 cannot take work")
        i = min(range(len(self.free_at)), key=self.free_at.__getitem__)
        begin = max(now, self.free_at[i])
        return i, advance_on_duty(begin, hours / self.availability, self.shift)

    def backlog_hours(self, now: float) -> float:
        """Clock hours of work already promised, summed over the crew (0 when all are free)."""
        return sum(max(0.0, t - now) for t in self.free_at)
