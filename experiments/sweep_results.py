"""Reading a sweep folder: its manifest, its runs, per-point summaries and the EMA Workbench shape.

A sweep folder holds ``manifest.json`` (the spec, root seed, versions, git commit) and
``runs/part-*.parquet``: one row per run with ``run_id``, ``point_id``, ``replication``, ``seed``,
one column per parameter (its dotted name), one per output, ``runtime_s`` and ``error`` (null
for a run that finished). Runs finished since the last part file are in ``runs/.journal.arrows``
(an Arrow IPC stream, whole batches of rows) until the next part file takes them; a hidden file,
so Parquet readers of ``runs/`` see the part files only. Analyses go under ``analysis/``.

Example:
    >>> import pandas as pd
    >>> runs = pd.DataFrame({"run_id": ["a", "b", "c", "d"], "point_id": ["p", "p", "q", "q"],
    ...                      "replication": [0, 1, 0, 1], "seed": [1, 2, 1, 2],
    ...                      "institutions.authority.kind": ["none", "none", "command", "command"],
    ...                      "injuries": [4.0, 6.0, 1.0, 3.0], "runtime_s": [0.1] * 4,
    ...                      "error": [None] * 4})
    >>> table = point_summary(runs, ["injuries"])
    >>> table[["institutions.authority.kind", "output", "n", "mean"]].values.tolist()
    [['none', 'injuries', 2, 5.0], ['command', 'injuries', 2, 2.0]]
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from coordination import METRIC_NAMES
from experiments.compare import interval
from institutions import ConfigError

MANIFEST = "manifest.json"
RUNS_DIR = "runs"
JOURNAL = ".journal.arrows"
ANALYSIS_DIR = "analysis"
RUN_COLUMNS = ("run_id", "point_id", "replication", "seed")
TAIL_COLUMNS = ("runtime_s", "error")


def part_files(folder: Path) -> list[Path]:
    """The finished part files of a sweep folder, in name order (temporary files excluded)."""
    return sorted((Path(folder) / RUNS_DIR).glob("part-*.parquet"))


def journal_table(folder: str | Path) -> pa.Table | None:
    """The runs in a sweep's journal not yet in a part file's (whole batches: a batch cut short by
    a crash is left out); ``None`` if there is no journal.

    Example:
        >>> journal_table("no/such/folder") is None
        True
    """
    path = Path(folder) / RUNS_DIR / JOURNAL
    batches = []
    try:
        with path.open("rb") as fh:
            for batch in pa.ipc.open_stream(fh):
                batches.append(batch)
    except FileNotFoundError:
        return None
    except (pa.ArrowInvalid, OSError):  # the end of a journal a crash cut short
        pass
    if not batches:
        return None
    table = pa.Table.from_batches(batches)
    in_parts = [pq.read_table(f, columns=["run_id"]).column(0) for f in part_files(folder)]
    if in_parts:  # a crash between writing a part file and deleting the journal
        table = table.filter(pc.invert(pc.is_in(table.column("run_id"),
                                                value_set=pa.chunked_array(in_parts).combine_chunks())))
    return table


def read_manifest(folder: str | Path) -> dict[str, Any]:
    """The ``manifest.json`` of a sweep folder; :class:`ConfigError` if it is not a sweep folder."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ConfigError(f"sweep folder: '{folder}' does not exist or is not a folder; "
                          "give the --out folder of a `gridgov sweep`")
    path = folder / MANIFEST
    if not path.is_file():
        raise ConfigError(f"sweep folder: '{folder}' has no {MANIFEST}, so it is not a sweep folder; "
                          "give the --out folder of a `gridgov sweep`")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ConfigError(f"sweep folder: '{path}' is not valid JSON: {exc}") from None


def load_sweep(folder: str | Path) -> tuple[dict[str, Any], pd.DataFrame]:
    """The manifest and all runs finished so far: the part files' rows in file order, then the
    journal's (one row per run).

    Works while a sweep is still running, and after a crash: only whole files and whole journal
    batches are read.

    Example:
        >>> load_sweep("no/such/folder")
        Traceback (most recent call last):
        ...
        institutions.errors.ConfigError: sweep folder: 'no/such/folder' does not exist or is not \
a folder; give the --out folder of a `gridgov sweep`
    """
    manifest = read_manifest(folder)
    tables = [pq.read_table(f) for f in part_files(Path(folder))]
    journal = journal_table(folder)
    if journal is not None and journal.num_rows:
        tables.append(journal)
    if tables:
        runs = pd.concat([t.to_pandas() for t in tables], ignore_index=True)
    else:
        runs = pd.DataFrame({c: pd.Series(dtype="object") for c in (*RUN_COLUMNS, *TAIL_COLUMNS)})
    return manifest, runs


def results_digest(runs: pd.DataFrame) -> str:
    """A hash of a runs table's results: rows sorted by ``run_id``, ``runtime_s`` left out.

    Two sweeps of the same spec give the same digest whatever their worker count or order.

    Example:
        >>> a = pd.DataFrame({"run_id": ["x", "y"], "injuries": [1.0, 2.0], "runtime_s": [0.1, 0.2]})
        >>> b = pd.DataFrame({"run_id": ["y", "x"], "injuries": [2.0, 1.0], "runtime_s": [0.5, 0.6]})
        >>> results_digest(a) == results_digest(b)
        True
    """
    table = runs.drop(columns=["runtime_s"], errors="ignore").sort_values("run_id").reset_index(drop=True)
    table = table[sorted(table.columns)]
    rows = pd.util.hash_pandas_object(table.astype(object).where(table.notna(), None), index=False)
    return hashlib.sha256(rows.to_numpy().tobytes() + ",".join(table.columns).encode()).hexdigest()[:16]


def parameter_columns(runs: pd.DataFrame) -> list[str]:
    """The parameter columns of a runs table: all but the run's identity, outputs and tail."""
    fixed = set(RUN_COLUMNS) | set(TAIL_COLUMNS) | set(METRIC_NAMES)
    return [c for c in runs.columns if c not in fixed and not c.startswith("workload_share.")]


def output_columns(runs: pd.DataFrame) -> list[str]:
    """The output (metric) columns of a runs table, in the table's order."""
    return [c for c in runs.columns if c in METRIC_NAMES]


def finished(runs: pd.DataFrame) -> pd.DataFrame:
    """The runs that did not raise (``error`` is null)."""
    return runs[runs["error"].isna()] if "error" in runs.columns else runs


def point_summary(runs: pd.DataFrame, outputs: list[str] | None = None) -> pd.DataFrame:
    """Per design point and output: runs, failures, mean and 95% Student-t interval over replications.

    One row per (point, output), with the point's parameter values as columns; failed runs
    are counted in ``failed`` and left out of the statistics. Points keep their first-seen order.
    """
    outputs = outputs or output_columns(runs)
    params = parameter_columns(runs)
    ok = finished(runs)
    failed = (runs.groupby("point_id", sort=False)["error"].apply(lambda e: int(e.notna().sum()))
              if "error" in runs.columns else None)
    rows = []
    for point_id, group in runs.groupby("point_id", sort=False):
        mine = ok[ok["point_id"] == point_id]
        values = {p: group[p].iloc[0] for p in params}
        for output in outputs:
            column = pd.to_numeric(mine[output], errors="coerce").to_numpy(dtype=float)
            mean, lo, hi = interval(column)
            rows.append({"point_id": point_id, **values, "output": output,
                         "n": int(np.isfinite(column).sum()),
                         "failed": int(failed[point_id]) if failed is not None else 0,
                         "mean": mean, "ci_low": lo, "ci_high": hi})
    columns = ["point_id", *params, "output", "n", "failed", "mean", "ci_low", "ci_high"]
    return pd.DataFrame(rows, columns=columns)


def to_ema(runs: pd.DataFrame, outputs: list[str] | None = None
           ) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """The EMA Workbench's ``(experiments, outcomes)``: parameters per run, and outputs by name.

    Failed runs are left out. Text parameters become pandas categoricals, numbers floats (the
    Workbench's PRIM needs floats under pandas 3).

    Example:
        >>> runs = pd.DataFrame({"run_id": ["a"], "point_id": ["p"], "replication": [0],
        ...                      "seed": [1], "residents.report_propensity": [0.01],
        ...                      "injuries": [3], "runtime_s": [0.1], "error": [None]})
        >>> experiments, outcomes = to_ema(runs)
        >>> list(experiments.columns), outcomes["injuries"].tolist()
        (['residents.report_propensity'], [3.0])
    """
    ok = finished(runs).reset_index(drop=True)
    outputs = outputs or output_columns(runs)
    experiments = pd.DataFrame(index=ok.index)
    for p in parameter_columns(runs):
        col = ok[p]
        experiments[p] = (col.astype(float) if pd.api.types.is_numeric_dtype(col)
                          and not pd.api.types.is_bool_dtype(col) else col.astype(str).astype("category"))
    outcomes = {o: pd.to_numeric(ok[o], errors="coerce").to_numpy(dtype=float) for o in outputs}
    return experiments, outcomes
