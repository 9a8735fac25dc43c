"""The tally: every figure of a run, counted from the case log row by row as the run goes.

A :class:`Tally` subscribes to a model's :class:`~coordination.case_log.CaseLog` and updates a
few counters with each row written; every metric (:data:`METRICS`) and every other measure
(:data:`MEASURES`, such as the calibration's hotline figures) is a small function of those
counters, defined once, here. ``model.metrics()``, the model's DataCollector, the dashboard's
live history and the calibration all read a tally, so they cannot disagree. A tally made during
a run (:meth:`JointEnforcementModel.tally_from`) counts the rows from then on: a window.

A rate with nothing to divide by is ``nan`` (no closed case: no on-time rate), never a made-up
zero. Three metrics are gauges of the agents rather than counts of the log: officer hours,
meeting hours and resident trust.

To add a metric: count what it needs in :meth:`Tally.add` (if nothing counted yet serves) and
define it with ``@metric`` below; it is then in ``metrics()``, ``--json``, sweeps and the docs'
list of names.

Example:
    >>> from coordination import JointEnforcementModel
    >>> model = JointEnforcementModel(scale=0.05, rng=1)
    >>> model.run_for(24 * 30)
    >>> m = model.metrics()
    >>> m["closure_rate"] == m["cases_closed"] / m["cases_registered"]
    True
"""

from __future__ import annotations

import math
import statistics
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from coordination.case_log import ROW, Row
from institutions.codes import ActorKind, Outcome, Reason, Step

if TYPE_CHECKING:
    from coordination.model import JointEnforcementModel

PROPERTY_MANAGERS = "property_managers"
"""Workload key of all property managers together."""
_CASE, _INCIDENT, _TIME, _STEP = ROW["case_id"], ROW["incident_id"], ROW["time"], ROW["step"]
_OUTCOME, _REASON, _STATE, _DETAILS = ROW["outcome"], ROW["reason"], ROW["incident_state"], len(ROW)
_CATEGORY, _ACTOR = ROW["category"], ROW["actor_id"]
CALLS = (Reason.HOTLINE, Reason.REPEAT_CALL)
CATEGORIES = ("part", "event")


@dataclass
class UnitCounts:
    """What one handler did with its work orders (what a ranking publishes rates of)."""

    orders: int = 0  # work orders received
    declines: int = 0  # sent back (including refused reclassifications)
    done: int = 0  # reported done
    reworked: int = 0  # sent back by a check
    closed: int = 0  # closed after a check passed
    on_time: int = 0  # of them, by the deadline in force
    callers: int = 0  # residents called back about its closed cases
    satisfied: int = 0  # of them, saying they are satisfied


def workload_key(kind: str, key: str | None) -> str:
    """Whose workload a work order counts in: a department by its id, property managers
    together, a joint team as ``joint_enforcement``.

    Example:
        >>> workload_key("department", "cheng_guan"), workload_key("property_manager", "pm_a")
        ('cheng_guan', 'property_managers')
    """
    if kind == ActorKind.PROPERTY_MANAGER:
        return PROPERTY_MANAGERS
    return key if kind == ActorKind.DEPARTMENT and key else str(kind)


class Tally:
    """Counters of a case log, fed one row at a time (call the tally with the row); rows
    before ``since`` (hours) are left out."""

    def __init__(self, model: JointEnforcementModel, since: float = -math.inf) -> None:
        self.model = model
        self.since = since
        self.reports = 0
        self.reported_incidents: set[int] = set()
        self.at_intake: set[int] = set()  # reports not yet taken in by an intake seat
        self.registered = 0
        self.deadlines: dict[int, float] = {}  # open cases: their deadlines
        self.registered_at: dict[int, float] = {}
        self.closed = 0
        self.closed_fixed = 0
        self.closed_on_time = 0
        self.hours_to_close: list[float] = []
        self.closed_incidents: set[int] = set()
        self.fed_back: set[int] = set()
        self.reworked: set[int] = set()
        self.superficial = 0
        self.paper = 0
        self.declines = 0
        self.dispatches = 0
        self.dispatches_of: Counter[int] = Counter()  # case -> work orders sent
        self.workload: Counter[str] = Counter()
        self.hops: Counter[tuple[str, str]] = Counter()  # (from, to) handler -> moves
        self._last_handler: dict[int, str] = {}
        self.injuries = 0
        self.escalations = 0
        self.calls = 0
        self._called: set[int] = set()  # cases that came in by the hotline
        self.hotline_cases: set[int] = set()  # of them, registered
        self.hotline_first: Counter[str] = Counter()  # their first work orders, by handler
        self.hotline_fixed = 0
        self.excluded = 0
        self.extensions = 0
        self.reopened = 0
        self.worked_on = 0
        self.callers_asked = 0  # call-backs of closed cases: callers
        self.callers_satisfied = 0  # of them, satisfied
        self.registered_by: Counter[str] = Counter()  # by category (part, event)
        self.closed_by: Counter[str] = Counter()
        self.fixed_by: Counter[str] = Counter()
        self._first_dispatch: dict[int, float] = {}
        self.hours_to_handle: list[float] = []  # first work order -> first report of done
        self.units: defaultdict[str, UnitCounts] = defaultdict(UnitCounts)  # by handler id
        self._handler_of: dict[int, str] = {}  # case -> handler of its last work order
        self._undertaken_by: dict[int, str] = {}  # case -> handler that last accepted it (承接)

    def __call__(self, row: Row) -> None:
        if row[_TIME] >= self.since:
            self.add(row)

    def add(self, row: Row) -> None:
        """Count one log row."""
        step, outcome, case = row[_STEP], row[_OUTCOME], row[_CASE]
        if step == Step.COLLECT:
            self.reports += 1
            self.reported_incidents.add(row[_INCIDENT])
            self.at_intake.add(case)
            if row[_REASON] in CALLS:
                self.calls += 1
                self._called.add(case)
        elif step == Step.REGISTER:
            if outcome != Outcome.REOPENED:
                self.at_intake.discard(case)
            if outcome == Outcome.REGISTERED:
                self.registered += 1
                self.registered_by[row[_CATEGORY]] += 1
                self.deadlines[case] = row[_DETAILS]["deadline"]
                self.registered_at[case] = row[_TIME]
                if case in self._called:
                    self.hotline_cases.add(case)
            elif outcome == Outcome.REOPENED:  # closed on time in the figures, open again anew
                self.reopened += 1
                self._first_dispatch.pop(case, None)
                if case in self._called:
                    self._called.add(row[_DETAILS]["other_case"])
                self._close(row)
        elif step == Step.DISPATCH:
            if outcome == Outcome.DISPATCHED:
                details = row[_DETAILS]
                key = workload_key(details["target_kind"], details["target_id"])
                self.dispatches += 1
                self.workload[key] += 1
                if case in self.hotline_cases and case not in self.dispatches_of:
                    self.hotline_first[details["target_id"] or key] += 1
                self.dispatches_of[case] += 1
                self._first_dispatch.setdefault(case, row[_TIME])
                if details["target_id"]:
                    self._handler_of[case] = details["target_id"]
                    self.units[details["target_id"]].orders += 1
                last = self._last_handler.get(case)
                if last is not None and last != key:
                    self.hops[(last, key)] += 1
                self._last_handler[case] = key
        elif step == Step.HANDLE:
            if outcome == Outcome.ACCEPTED:
                self._undertaken_by[case] = row[_ACTOR]
            elif outcome == Outcome.SUPERFICIAL_FIX:
                self.superficial += 1
            elif outcome == Outcome.PAPER_CLOSURE:
                self.paper += 1
            elif outcome == Outcome.EXTENDED:
                self.extensions += 1
                if case in self.deadlines:
                    self.deadlines[case] = row[_DETAILS]["deadline"]
        elif step == Step.FEEDBACK:
            if outcome == Outcome.DECLINED:
                self.declines += 1
                if row[_ACTOR] in self.units:
                    self.units[row[_ACTOR]].declines += 1
            elif outcome == Outcome.DONE:
                self.fed_back.add(case)
                first = self._first_dispatch.pop(case, None)
                if first is not None:
                    self.hours_to_handle.append(row[_TIME] - first)
                if row[_ACTOR] in self.units:
                    self.units[row[_ACTOR]].done += 1
            elif outcome == Outcome.EXCLUDED:
                self.excluded += 1
                self.deadlines.pop(case, None)
                self.registered_at.pop(case, None)
        elif step == Step.VERIFY:
            if outcome == Outcome.CLOSED:
                self._close(row)
            else:
                self.reworked.add(case)
                if case in self._handler_of:
                    self.units[self._handler_of[case]].reworked += 1
        elif step == Step.EVALUATE:
            if outcome == Outcome.WORKED_ON_CALLER:
                self.worked_on += 1
            else:
                details = row[_DETAILS]
                self.callers_asked += details["callers"]
                self.callers_satisfied += details["satisfied"]
                if case in self._handler_of:
                    unit = self.units[self._handler_of[case]]
                    unit.callers += details["callers"]
                    unit.satisfied += details["satisfied"]
        elif step == Step.INJURY:
            self.injuries += 1
        elif step == Step.ESCALATION:
            self.escalations += 1

    def _close(self, row: Row) -> None:
        case, now = row[_CASE], row[_TIME]
        self.closed += 1
        self.closed_incidents.add(row[_INCIDENT])
        fixed = row[_STATE] == "fixed"
        self.closed_fixed += fixed
        self.closed_by[row[_CATEGORY]] += 1
        self.fixed_by[row[_CATEGORY]] += fixed
        deadline = self.deadlines.pop(case, None)
        registered = self.registered_at.pop(case, None)
        on_time = deadline is not None and now <= deadline
        if registered is not None:  # registered before the tally began: not in its window
            self.hours_to_close.append(now - registered)
            self.closed_on_time += on_time
            self.hotline_fixed += fixed and case in self.hotline_cases
        if case in self._handler_of:
            unit = self.units[self._handler_of[case]]
            unit.closed += 1
            unit.on_time += on_time

    # -- reading it ---------------------------------------------------------------------------
    def value(self, name: str) -> Any:
        """One measure by name (a metric or one of :data:`MEASURES`); ``KeyError`` if unknown.
        ``NAME.KEY`` is one entry of a measure by key (``workload_share.cheng_guan``), 0 if absent.

        Example:
            >>> from coordination import JointEnforcementModel
            >>> model = JointEnforcementModel(scale=0.05, rng=1)
            >>> model.run_for(24 * 10)
            >>> 0 <= model.tally.value("workload_share.cheng_guan") <= 1
            True
        """
        base, _, key = name.partition(".")
        if key:
            return MEASURES[base](self).get(key, 0)
        return MEASURES[name](self)

    def metrics(self) -> dict[str, Any]:
        """Every metric, by name, in the documented order."""
        return {name: fn(self) for name, fn in METRICS.items()}

    def values(self, names: Iterable[str]) -> dict[str, Any]:
        """The named measures."""
        return {name: self.value(name) for name in names}


Measure = Callable[[Tally], Any]
METRICS: dict[str, Measure] = {}
"""The metrics of every run (``model.metrics()``), in order, each with its definition."""
MEASURES: dict[str, Measure] = {}
"""Every figure a tally gives: the metrics, and measures that are not metrics."""


def metric(fn: Measure) -> Measure:
    """Define a metric: in ``metrics()`` of every run, under the function's name."""
    METRICS[fn.__name__] = MEASURES[fn.__name__] = fn
    return fn


def measure(fn: Measure) -> Measure:
    """Define a measure that a tally gives on request (not one of the run's metrics)."""
    MEASURES[fn.__name__] = fn
    return fn


def ratio(num: float, den: float) -> float:
    """``num / den``; ``nan`` with nothing to divide by."""
    return float(num) / float(den) if den else math.nan


@metric
def cases_reported(t: Tally) -> int:
    """Reports received, by patrol and the 12345 hotline, duplicates included."""
    return t.reports


@metric
def cases_registered(t: Tally) -> int:
    """Cases registered (立案)."""
    return t.registered


@metric
def cases_closed(t: Tally) -> int:
    """Cases closed (结案) after an on-site check."""
    return t.closed


@metric
def closure_rate(t: Tally) -> float:
    """Closed / registered (结案率)."""
    return ratio(t.closed, t.registered)


@metric
def on_time_rate(t: Tally) -> float:
    """Closed by the case's deadline / closed (按期处置率)."""
    return ratio(t.closed_on_time, len(t.hours_to_close))


@metric
def real_resolution_rate(t: Tally) -> float:
    """Closed with the problem really fixed / registered (真实解决率)."""
    return ratio(t.closed_fixed, t.registered)


@metric
def rework_rate(t: Tally) -> float:
    """Cases sent back by a check at least once / cases reported done (返工率)."""
    return ratio(len(t.reworked), len(t.fed_back))


@metric
def paper_closures(t: Tally) -> int:
    """Work orders reported done with nothing done (纸面结案)."""
    return t.paper


@metric
def superficial_fixes(t: Tally) -> int:
    """Work orders done superficially: a warning sign, a word with the parties (表面处置)."""
    return t.superficial


@metric
def declines(t: Tally) -> int:
    """Work orders sent back as "not ours" (退单)."""
    return t.declines


@metric
def mean_hops(t: Tally) -> float:
    """Work orders per dispatched case (派遣次数)."""
    return ratio(t.dispatches, len(t.dispatches_of))


@metric
def reports_waiting(t: Tally) -> int:
    """Reports waiting for an intake seat (待受理): received, not yet registered, merged or
    rejected. A centre with no intake seats leaves every report here."""
    return len(t.at_intake)


@metric
def open_cases(t: Tally) -> int:
    """Registered cases not yet closed (在办)."""
    return len(t.deadlines)


@metric
def overdue_cases(t: Tally) -> int:
    """Open cases past their deadline (超期)."""
    now = t.model.time
    return sum(1 for deadline in t.deadlines.values() if deadline < now)


@metric
def injuries(t: Tally) -> int:
    """Residents hurt by unsolved hazards, and inspectors hurt acting without a licence."""
    return t.injuries


@metric
def escalations(t: Tally) -> int:
    """Problems grown into something worse, such as disputes into petitions (矛盾升级)."""
    return t.escalations


@metric
def repeat_reports(t: Tally) -> int:
    """Reports beyond the first about the same problem (重复上报)."""
    return t.reports - len(t.reported_incidents)


@metric
def median_hours_to_close(t: Tally) -> float:
    """Median hours from registration to closure."""
    return float(statistics.median(t.hours_to_close)) if t.hours_to_close else math.nan


@metric
def workload_share(t: Tally) -> dict[str, float]:
    """Share of work orders by department (property managers together), by id."""
    total = sum(t.workload.values())
    return {key: count / total for key, count in sorted(t.workload.items())}


@metric
def workload_hhi(t: Tally) -> float:
    """Herfindahl index of the workload shares (1: one handler takes everything)."""
    shares = np.array(list(workload_share(t).values()))
    return float(np.sum(shares**2)) if len(shares) else math.nan


@metric
def officer_hours(t: Tally) -> float:
    """Hours spent on work orders, joint-enforcement operations and meetings (a gauge)."""
    model = t.model
    return float(sum(h.hours_worked for h in model.handlers.values())
                 + model.joint.hours_worked + model.meetings.hours)


@metric
def meeting_hours(t: Tally) -> float:
    """Officer hours spent in joint-duty meetings (a gauge)."""
    return t.model.meetings.hours


@metric
def resident_trust(t: Tally) -> float:
    """Mean trust in government over all residents, 0-1 (公信力; a gauge)."""
    return float(t.model.mean_trust())


@metric
def satisfaction_rate(t: Tally) -> float:
    """Callers called back who said they were satisfied / callers called back (满意率), as the
    system reports it: what callers say, after any working on them (做工作)."""
    return ratio(t.callers_satisfied, t.callers_asked)


@metric
def reported_resolution_rate(t: Tally) -> float:
    """Cases closed as resolved / cases the system counts: registered, less those excluded as
    unreasonable (解决率 as reported; compare ``real_resolution_rate``)."""
    return ratio(t.closed, t.registered - t.excluded)


@metric
def closure_rate_part(t: Tally) -> float:
    """Closure rate of facilities (部件): closed / registered."""
    return ratio(t.closed_by["part"], t.registered_by["part"])


@metric
def closure_rate_event(t: Tally) -> float:
    """Closure rate of events (事件): closed / registered."""
    return ratio(t.closed_by["event"], t.registered_by["event"])


@metric
def real_resolution_rate_part(t: Tally) -> float:
    """Facilities (部件) closed with the problem really fixed / registered."""
    return ratio(t.fixed_by["part"], t.registered_by["part"])


@metric
def real_resolution_rate_event(t: Tally) -> float:
    """Events (事件) closed with the problem really fixed / registered."""
    return ratio(t.fixed_by["event"], t.registered_by["event"])


@metric
def mean_hours_to_handle(t: Tally) -> float:
    """Mean hours from a case's first work order to the handler's first report of it done
    (处置时长)."""
    return float(np.mean(t.hours_to_handle)) if t.hours_to_handle else math.nan


@metric
def repeat_report_share(t: Tally) -> float:
    """Repeat reports / reports (重复上报占比)."""
    return ratio(t.reports - len(t.reported_incidents), t.reports)


@metric
def excluded_cases(t: Tally) -> int:
    """Tickets taken out of the assessed figures as unreasonable or out of scope (不合理诉求)."""
    return t.excluded


@metric
def extensions(t: Tally) -> int:
    """Deadline extensions granted (延期)."""
    return t.extensions


@metric
def reopened_cases(t: Tally) -> int:
    """Orders closed at their deadline as done and opened again as new tickets (先结后开)."""
    return t.reopened


@metric
def callers_worked_on(t: Tally) -> int:
    """Callers talked round by a handler before the call-back (做工作)."""
    return t.worked_on


@metric
def caller_trust(t: Tally) -> float:
    """Mean trust in government of the residents who have called 12345, 0-1 (a gauge)."""
    return float(t.model.caller_trust())


@measure
def hotline_tickets(t: Tally) -> int:
    """12345 calls received, repeat calls included."""
    return t.calls


@measure
def hotline_registered(t: Tally) -> int:
    """Calls that became a case needing handling."""
    return len(t.hotline_cases)


@measure
def hotline_dispatched(t: Tally) -> dict[str, int]:
    """Those cases' first work orders, by handler id."""
    return dict(t.hotline_first)


@measure
def hotline_undertaken(t: Tally) -> dict[str, int]:
    """Those cases by the handler that undertook them (承接): the last to accept the order, or
    the last it was sent to if no one has accepted it."""
    return dict(Counter(t._undertaken_by.get(case) or t._handler_of.get(case, "none")
                        for case in t.hotline_cases))


@measure
def hotline_solved_share(t: Tally) -> float:
    """Share of those cases closed with the problem really fixed."""
    return ratio(t.hotline_fixed, len(t.hotline_cases))


METRIC_NAMES = tuple(METRICS)
SERIES = ("open_cases", "overdue_cases", "cases_registered", "cases_closed", "closure_rate",
          "real_resolution_rate", "injuries", "resident_trust", "declines", "paper_closures")
"""The metrics a run records every simulated day (its DataCollector's series)."""
