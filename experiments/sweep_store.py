"""Writing a sweep folder: the manifest, the design, and runs streamed into Parquet part files.

Every file is written whole or not at all (temporary name, fsync, rename). Runs reach the
journal (``runs/.journal.arrows``) as they arrive, and the journal's runs become a part file every
so many runs or seconds; so a crash at any moment leaves every finished run readable, and
``--resume`` moves the journal's runs into a part file before it goes on. The reading side is
:mod:`experiments.sweep_results`.

Example:
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> schema = pa.schema([("run_id", pa.string()), ("injuries", pa.float64())])
    >>> writer = PartWriter(folder, schema)
    >>> writer.add([{"run_id": "00000000000000ff", "injuries": 2.0}])
    >>> journal_table(folder).num_rows, part_files(folder)
    (1, [])
    >>> writer.flush()
    >>> [p.name for p in part_files(folder)], done_run_ids(folder).tolist(), journal_table(folder)
    (['part-00000.parquet'], [255], None)
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.metadata
import os
import platform
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from experiments.designs import Design
from experiments.output import to_json, write_atomic
from experiments.sweep_results import JOURNAL, MANIFEST, RUNS_DIR, journal_table, part_files, read_manifest
from experiments.sweep_spec import REFORMS_PARAMETER, SweepSpec
from institutions import ConfigError, TownConfig

MANIFEST_FORMAT = 1
DESIGN_FILE = "design.parquet"
VERSIONED = ("gridgov", "mesa", "numpy", "pandas", "pyarrow", "scipy", "SALib", "dask", "distributed")
MATCH_ON_WORKERS = ("gridgov", "mesa", "numpy", "pandas")


def package_versions() -> dict[str, str | None]:
    """Versions of Python and the packages a sweep's results depend on (``None`` if absent)."""
    out: dict[str, str | None] = {"python": platform.python_version()}
    for name in VERSIONED:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = None
    return out


def git_commit() -> str | None:
    """The commit of the git checkout gridgov runs from, read from ``.git`` (``None`` if none)."""
    here = Path(__file__).resolve().parent
    for folder in (here, *here.parents):
        dot_git = folder / ".git"
        if dot_git.is_file():  # a worktree: "gitdir: PATH"
            text = dot_git.read_text(encoding="utf-8").strip()
            dot_git = (folder / text.removeprefix("gitdir:").strip()).resolve()
        if not dot_git.is_dir():
            continue
        try:
            head = (dot_git / "HEAD").read_text(encoding="utf-8").strip()
            if not head.startswith("ref:"):
                return head or None
            ref = head.removeprefix("ref:").strip()
            common = dot_git
            if (dot_git / "commondir").is_file():
                common = (dot_git / (dot_git / "commondir").read_text(encoding="utf-8").strip()).resolve()
            for base in (dot_git, common):
                if (base / ref).is_file():
                    return (base / ref).read_text(encoding="utf-8").strip() or None
            packed = common / "packed-refs"
            if packed.is_file():
                for line in packed.read_text(encoding="utf-8").splitlines():
                    if line.endswith(f" {ref}"):
                        return line.split()[0]
        except OSError:
            return None
        return None
    return None


def town_digest(base: TownConfig) -> str:
    """A hash of the town a sweep starts from."""
    return hashlib.sha256(base.model_dump_json().encode()).hexdigest()[:16]


def parameter_type(spec: SweepSpec, name: str) -> pa.DataType:
    """The Arrow type of a parameter's column."""
    par = spec.parameters[name]
    if name == REFORMS_PARAMETER:
        return pa.string()
    if par.values is None:
        return pa.int64() if par.integer else pa.float64()
    kinds = {type(v) for v in par.values}
    if kinds == {str}:
        return pa.string()
    if kinds == {bool}:
        return pa.bool_()
    return pa.int64() if kinds == {int} else pa.float64()


def runs_schema(spec: SweepSpec) -> pa.Schema:
    """The columns of every part file: run identity, parameters, outputs, runtime and error."""
    return pa.schema([("run_id", pa.string()), ("point_id", pa.string()), ("replication", pa.int64()),
                      ("seed", pa.int64()),
                      *((name, parameter_type(spec, name)) for name in spec.parameters),
                      *((name, pa.float64()) for name in spec.outputs),
                      ("runtime_s", pa.float64()), ("error", pa.string())])


def done_run_ids(folder: Path) -> np.ndarray:
    """The run ids already in part files, as sorted 64-bit numbers (compact for big sweeps)."""
    chunks = [np.array([int(r, 16) for r in pq.read_table(f, columns=["run_id"]).column(0).to_pylist()],
                       dtype=np.uint64) for f in part_files(folder)]
    return np.sort(np.concatenate(chunks)) if chunks else np.zeros(0, dtype=np.uint64)


class PartWriter:
    """Writes each batch of finished runs to the journal at once, and the journal's runs as the
    next ``runs/part-NNNNN.parquet`` (atomically) on :meth:`flush`.

    The journal is written straight to the operating system, so a run is safe from a crash of
    this process the moment :meth:`add` returns; it is synced to disk at least every
    ``sync_seconds`` (against a power cut), part files always.
    """

    def __init__(self, folder: Path, schema: pa.Schema, sync_seconds: float = 1.0) -> None:
        self.runs = Path(folder) / RUNS_DIR
        self.schema, self.sync_seconds = schema, sync_seconds
        self.rows: list[dict[str, Any]] = []
        existing = [int(p.stem.removeprefix("part-")) for p in part_files(folder)]
        self.next_index = max(existing, default=-1) + 1
        self._journal: Any = None
        self._stream: pa.ipc.RecordBatchStreamWriter | None = None
        self._synced = time.monotonic()

    def add(self, rows: list[dict[str, Any]]) -> None:
        """Journal a batch of finished runs."""
        if not rows:
            return
        if self._stream is None:
            self.runs.mkdir(parents=True, exist_ok=True)
            self._journal = (self.runs / JOURNAL).open("wb", buffering=0)
            self._stream = pa.ipc.new_stream(self._journal, self.schema)
        self._stream.write_batch(pa.RecordBatch.from_pylist(rows, schema=self.schema))
        if time.monotonic() - self._synced >= self.sync_seconds:
            os.fsync(self._journal.fileno())
            self._synced = time.monotonic()
        self.rows.extend(rows)

    def __len__(self) -> int:
        return len(self.rows)

    def flush(self) -> None:
        """Write the journaled runs (if any) as one part file, then start a new journal."""
        if self.rows:
            self.write_part(pa.Table.from_pylist(self.rows, schema=self.schema))
            self.rows = []
        if self._stream is not None:
            self._stream.close()
            self._journal.close()
            self._stream = self._journal = None
            (self.runs / JOURNAL).unlink(missing_ok=True)

    def write_part(self, table: pa.Table) -> None:
        """Write ``table`` as the next part file."""
        path = self.runs / f"part-{self.next_index:05d}.parquet"
        write_atomic(path, lambda tmp: pq.write_table(table, tmp))
        self.next_index += 1


def recover_journal(folder: Path, schema: pa.Schema) -> int:
    """Move the runs a stopped sweep left in its journal into a part file; how many there were.

    Example:
        >>> import tempfile
        >>> recover_journal(Path(tempfile.mkdtemp()), pa.schema([("run_id", pa.string())]))
        0
    """
    table = journal_table(folder)
    if table is not None and table.num_rows:
        PartWriter(folder, schema).write_part(table.cast(schema))
    (Path(folder) / RUNS_DIR / JOURNAL).unlink(missing_ok=True)
    return 0 if table is None else table.num_rows


def prepare_folder(out: Path, spec: SweepSpec, base: TownConfig, design: Design, *, root_seed: int,
                   total_runs: int, resume: bool) -> dict[str, Any]:
    """Start a sweep folder, or check that it holds this very sweep when resuming; the manifest.

    Refuses (:class:`ConfigError`) a folder holding another sweep, a sweep folder without
    ``--resume``, and a non-empty folder that is not a sweep.
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out: '{out}' exists and is not a folder; give a folder path")
    manifest_path = out / MANIFEST
    if manifest_path.exists():
        manifest = read_manifest(out)
        if (manifest.get("spec_digest"), manifest.get("town_digest")) != (spec.digest(), town_digest(base)):
            raise ConfigError(f"--out: '{out}' holds a different sweep (its manifest's spec or town "
                              "differs from this spec); give a new folder, or the spec it was run with")
        if not resume:
            raise ConfigError(f"--out: '{out}' already holds this sweep; add --resume to finish it, "
                              "or give a new folder")
        for stale in (out / RUNS_DIR).glob(".part-*.tmp"):  # left by a crash mid-write
            stale.unlink(missing_ok=True)
        recover_journal(out, runs_schema(spec))
        manifest.setdefault("resumed", []).append({"at": _now(), "versions": package_versions()})
        write_atomic(manifest_path, lambda tmp: tmp.write_text(to_json(manifest, indent=2)))
        if not (out / DESIGN_FILE).exists():
            _write_design(out, design)
        return manifest
    if out.exists() and any(out.iterdir()):
        raise ConfigError(f"--out: '{out}' is not empty and holds no sweep ({MANIFEST}); "
                          "give a new or empty folder")
    manifest = {"format": MANIFEST_FORMAT, "kind": "gridgov sweep", "created": _now(),
                "spec": spec.model_dump(mode="json"), "spec_digest": spec.digest(),
                "town_digest": town_digest(base), "root_seed": root_seed,
                "design_rows": len(design.points), "points": int(design.points["point_id"].nunique()),
                "replications": spec.replications, "runs_total": total_runs,
                "versions": package_versions(), "git_commit": git_commit()}
    write_atomic(manifest_path, lambda tmp: tmp.write_text(to_json(manifest, indent=2)))
    _write_design(out, design)
    return manifest


def _write_design(out: Path, design: Design) -> None:
    points = design.points.reset_index(names="row")
    write_atomic(out / DESIGN_FILE, lambda tmp: points.to_parquet(tmp, index=False))


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
