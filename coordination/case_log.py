"""The case log: one row per workflow step of every case, plus the incidents' own events.

Every row is written by :meth:`CaseLog.write` and is structured: what happened (``step``,
``outcome``) and why (``reason``) are codes, who did it is a typed actor (``actor_kind`` and
``actor_id``), and the numbers behind a decision (the costs weighed, a crew's skill, the case a
duplicate joins …) have columns of their own. Nothing in the log is a sentence: words are the
catalogue's (:mod:`coordination.words`). docs/case_log.md describes every column and code.

Rows are kept as tuples while the model runs (cheap to append), each handed at once to the
tallies that subscribe (:class:`coordination.tally.Tally`); :meth:`CaseLog.frame` makes the
pandas DataFrame, with categorical dtypes, on demand. A long run may :meth:`CaseLog.spill` the
rows it holds to a Parquet file and let them go (a city's streets do, every period): the log
stays whole, :meth:`CaseLog.frame` reads the spilled parts back before the rows in memory.

Example:
    >>> from coordination import JointEnforcementModel
    >>> model = JointEnforcementModel(scale=0.05, rng=1)
    >>> model.run_for(24 * 10)
    >>> log = model.case_log()
    >>> declined = log[log["outcome"] == "declined"]
    >>> set(declined["step"]) <= {"feedback"}, str(log["actor_kind"].dtype)
    (True, 'category')
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from institutions.codes import ActorKind, Outcome, Reason, Step

if TYPE_CHECKING:
    from coordination.incidents import Incident

__all__ = ["CODES", "COLUMNS", "CORE", "DETAILS", "SCHEMA_VERSION", "TOWN", "ActorKind", "CaseLog",
           "Outcome", "Reason", "Step", "write_parquet"]

SCHEMA_VERSION = 5
"""Version of the log's columns and codes (1: the free-text log before them; 3: gaming,
procurement and persuasion codes, ``cost_reclassify``; 4: ``reopened``, ``reopened_ticket`` and
``deadline_due``, close and reopen; 5: ``repeat_ticket`` and ``campaign``, repeat tickets and
special rectification)."""


Actor = tuple[ActorKind, str | None, str | None]
"""How an actor is logged: ``(kind, id, team)``; ``team`` only for inspectors."""
TOWN: Actor = (ActorKind.TOWN, None, None)

CORE = ("case_id", "incident_id", "kind", "category", "area", "grid", "compound", "time", "step",
        "actor_kind", "actor_id", "team", "outcome", "reason", "incident_state")
"""The columns every row has, in the order of a row's tuple."""
DETAILS: dict[str, str] = {
    "deadline": "float64",  # register: the case's deadline, hours from the start
    "target_kind": "category",  # dispatch: the kind of handler the order goes to
    "target_id": "str",  # dispatch: its id
    "plan": "category",  # handle (accepted), feedback (done): full, superficial or paper
    "owners": "str",  # plausible owners a reason names: handler ids joined by ","
    "meeting": "str",  # the meeting that bound an owner or formed a joint team
    "other_case": "Int64",  # merged: the case joined; reopened: the new ticket, and back
    "skill": "float64",  # handle (fell_short): the crew's skill in the problem's domain
    "cost_full": "float64",  # the expected costs weighed, in officer-hour equivalents
    "cost_superficial": "float64",
    "cost_paper": "float64",
    "cost_decline": "float64",
    "cost_reclassify": "float64",
    "callers": "Int64",  # evaluate: residents called back
    "satisfied": "Int64",  # evaluate: of them, satisfied
}
"""Columns a row has only where its step carries them (null elsewhere), with their dtypes."""
COLUMNS = (*CORE, *DETAILS)
ROW = {name: i for i, name in enumerate(CORE)}
"""Position of each core column in a row's tuple; the details dict comes last."""
IDS = ("kind", "area", "grid", "compound", "actor_id", "team")
"""Core columns of ids from the town's config (strings)."""
CODES: dict[str, list[str]] = {
    "step": [s.value for s in Step], "outcome": [o.value for o in Outcome],
    "reason": [r.value for r in Reason], "actor_kind": [a.value for a in ActorKind],
    "target_kind": [a.value for a in ActorKind], "category": ["part", "event"],
    "incident_state": ["unsolved", "partial", "fixed", "gone"],
    "plan": ["full", "superficial", "paper"],
}
"""Columns of codes: categorical, with the same categories in every run (so logs concatenate)."""

Row = tuple[Any, ...]


class CaseLog:
    """Append-only record of what happened to every case and incident.

    Args:
        clock: the model's clock (hours since the start), read at each write.
    """

    def __init__(self, clock: Callable[[], float]) -> None:
        self.rows: list[Row] = []
        self.parts: list[tuple[Path, int]] = []  # spilled rows: (Parquet file, number of rows)
        self._clock = clock
        self._listeners: list[Callable[[Row], None]] = []

    def __len__(self) -> int:
        return sum(n for _, n in self.parts) + len(self.rows)

    def subscribe(self, listener: Callable[[Row], None]) -> None:
        """Hand every row written from now on to ``listener`` (a tally)."""
        self._listeners.append(listener)

    def unsubscribe(self, listener: Callable[[Row], None]) -> None:
        """Stop handing rows to ``listener``."""
        self._listeners.remove(listener)

    def write(self, incident: Incident, case_id: int | None, step: Step, actor: Actor,
              outcome: Outcome, reason: Reason | None = None, **details: Any) -> None:
        """Record one step: the incident's place and state come from ``incident``, the time
        from the clock; ``details`` are columns of :data:`DETAILS`."""
        kind = incident.kind
        actor_kind, actor_id, team = actor
        row = (case_id, incident.id, kind.id, kind.category, incident.area, incident.grid,
               incident.compound, self._clock(), step, actor_kind, actor_id, team, outcome, reason,
               incident.state, details or None)
        self.rows.append(row)
        for listener in self._listeners:
            listener(row)

    def spill(self, path: str | Path) -> None:
        """Write the rows held in memory to the Parquet file ``path`` and let them go; the file
        stays part of the log (:meth:`frame` reads it back). The file is written whole or not at
        all (a temporary renamed into place), not synced to disk; nothing is written when no row
        is held. Writing the same rows to the same path again (a street run again from a
        checkpoint) replaces the file with the same one.

        Example:
            >>> import tempfile
            >>> from coordination import JointEnforcementModel
            >>> model = JointEnforcementModel(scale=0.02, rng=1)
            >>> model.run_for(24 * 5)
            >>> whole = model.case_log()
            >>> model.log.spill(Path(tempfile.mkdtemp()) / "part-1.parquet")
            >>> model.log.rows, model.case_log().equals(whole)
            ([], True)
        """
        if not self.rows:
            return
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            _write_table(_table(self.rows), tmp)
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        self.parts = [p for p in self.parts if p[0] != path] + [(path, len(self.rows))]
        self.rows = []

    def frame(self) -> pd.DataFrame:
        """The log as a DataFrame, in the order things happened (columns: :data:`COLUMNS`)."""
        if not self.parts:
            return _frame(self.rows)
        spilled = [pd.read_parquet(p) for p, _ in self.parts]
        return pd.concat([*spilled, _frame(self.rows)], ignore_index=True)


def _frame(rows: list[Row]) -> pd.DataFrame:
    """Rows as a DataFrame with the log's columns and dtypes."""
    df = pd.DataFrame([r[:len(CORE)] for r in rows], columns=list(CORE))
    for name, values in _details(rows).items():
        df[name] = values
    df["case_id"] = df["case_id"].astype("Int64")
    df["incident_id"] = df["incident_id"].astype("int64")
    df["time"] = df["time"].astype("float64")
    for name in COLUMNS:
        if name in CODES:
            df[name] = pd.Categorical(df[name].astype("object"), categories=CODES[name])
        elif name in IDS:
            df[name] = df[name].astype("str")
        elif name in DETAILS:
            df[name] = df[name].astype(DETAILS[name])
    return df


def write_parquet(log: pd.DataFrame, path: str | Path) -> None:
    """Write a case log to Parquet with its ``schema_version`` in the file's metadata.

    Example:
        >>> import tempfile
        >>> from coordination import JointEnforcementModel
        >>> model = JointEnforcementModel(scale=0.02, rng=1)
        >>> model.run_for(24 * 3)
        >>> path = Path(tempfile.mkdtemp()) / "log.parquet"
        >>> write_parquet(model.case_log(), path)
        >>> pq.read_schema(path).metadata[b"gridgov.schema_version"] == str(SCHEMA_VERSION).encode()
        True
    """
    _write_table(pa.Table.from_pandas(log, preserve_index=False), path)


def _write_table(table: pa.Table, path: str | Path) -> None:
    meta = {**(table.schema.metadata or {}), b"gridgov.schema_version": str(SCHEMA_VERSION).encode()}
    pq.write_table(table.replace_schema_metadata(meta), path)


def _details(rows: list[Row]) -> dict[str, list[Any]]:
    """The detail columns of rows (None where a row has no such detail)."""
    n = len(CORE)
    columns: dict[str, list[Any]] = {c: [None] * len(rows) for c in DETAILS}
    for i, row in enumerate(rows):
        if row[n]:
            for key, value in row[n].items():
                columns[key][i] = value
    return columns


@cache
def _schema() -> pa.Schema:
    """The Arrow schema of a log frame, with the pandas metadata that restores its dtypes."""
    return pa.Schema.from_pandas(_frame([]), preserve_index=False)


def _table(rows: list[Row]) -> pa.Table:
    """Rows as an Arrow table with the schema of :func:`_frame`'s frame, built column by column
    without pandas (a frame's per-column conversions cost more than a period of a small street;
    reading the table back with pandas gives the frame :func:`_frame` makes)."""
    columns = {name: [r[i] for r in rows] for i, name in enumerate(CORE)} | _details(rows)
    arrays = []
    for field in _schema():
        values = columns[field.name]
        if field.name in CODES:
            index = _code_index(field.name)
            arrays.append(pa.DictionaryArray.from_arrays(
                pa.array([None if v is None else index[v] for v in values], field.type.index_type),
                pa.array(CODES[field.name], field.type.value_type)))
        else:
            arrays.append(pa.array(values, field.type))
    return pa.Table.from_arrays(arrays, schema=_schema())


@cache
def _code_index(column: str) -> dict[str, int]:
    return {code: i for i, code in enumerate(CODES[column])}
