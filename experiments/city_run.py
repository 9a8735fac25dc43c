"""Running a city (市) on Dask: every street a stateful task, advanced sync point by sync point,
checkpointed at each one, results streamed into Parquet as in sweeps.

A street lives on a Dask worker between sync points (kept in the worker's memory, keyed by the
run folder and the street); each period it is advanced by one task, which writes the street's
checkpoint (``checkpoints/STREET/period-NNNN.pkl``, a pickle of the town model; every
period by default, every ``checkpoint_every`` periods if asked) before it returns the street's
row. Each period the street's case log spills the period's rows to
``case_logs/STREET/period-NNNN.parquet`` and lets them go (so neither the worker's memory nor the
checkpoints grow with the log); :func:`street_case_log` reads a street's whole log back. A
task that finds the street missing from its worker's memory (the worker died, the street moved,
the driver was restarted) loads the last checkpoint instead and runs the periods since
again under their recorded orders; since a restored street continues exactly as one that never
stopped, a killed worker costs one period of its streets (up to ``checkpoint_every``), and a
killed driver resumes (``resume=True``) from the last period whose results are in
``state.json``. The driver alone does what happens at sync points
(:func:`coordination.city.sync_orders`): the league table, the allocation of shared officers.
Each street's randomness comes from the city seed and the street's id, never from where it runs,
so the results are the same serially, on any number of workers and after a resume.

The run folder::

    manifest.json                  the spec, its digest, versions, commit
    state.json                     the last period done, and its street rows (for the next sync)
    checkpoints/STREET/period-NNNN.pkl
    case_logs/STREET/period-NNNN.parquet  each street's case log, period by period
    streets/runs/part-*.parquet    each street's figures per period
    departments/runs/part-*.parquet  officers and work orders of shared departments' branches
    league/runs/part-*.parquet     the league table per period (排名)
    city/runs/part-*.parquet       the city's figures per period

Checkpoints and results are in the run folder, so with ``scheduler`` (a real cluster) the folder
must be on a file system every worker sees.

Example:
    >>> import tempfile
    >>> from institutions.city_spec import load_city_spec
    >>> spec = load_city_spec("examples/cities/three_streets.toml")
    >>> out = Path(tempfile.mkdtemp()) / "city"
    >>> counts = run_city(spec, out, workers=0)
    >>> counts.periods_done, len(load_city(out)["league"])
    (3, 9)
    >>> street_case_log(out, "inner")["time"].is_monotonic_increasing
    True
"""

from __future__ import annotations

import datetime as dt
import json
import os
import pickle
import uuid
from collections.abc import Callable
from contextlib import ExitStack, suppress
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from coordination.city import (
    COUNTS,
    PUBLISHED,
    Street,
    SyncOrders,
    check_city,
    city_row,
    league_table,
    ranked_in,
    sync_orders,
)
from experiments.output import to_json, write_atomic
from experiments.sweep import RETRIES, SweepError, check_workers, dask_client
from experiments.sweep_results import part_files
from experiments.sweep_store import PartWriter, git_commit, package_versions, recover_journal
from institutions import ConfigError
from institutions.city_spec import CitySpec

MANIFEST = "manifest.json"
STATE = "state.json"
CHECKPOINTS = "checkpoints"
CASE_LOGS = "case_logs"
KIND = "gridgov city"
MAX_CHECKPOINT_EVERY = 10_000
RATES = (*PUBLISHED, "real_resolution_rate")

TABLES: dict[str, pa.Schema] = {
    "streets": pa.schema([("street", pa.string()), ("district", pa.string()),
                          ("period", pa.int64()), ("day", pa.float64()),
                          ("population", pa.int64()), *((c, pa.int64()) for c in COUNTS),
                          *((r, pa.float64()) for r in RATES), ("resident_trust", pa.float64()),
                          ("street_factor", pa.float64())]),
    "departments": pa.schema([("street", pa.string()), ("district", pa.string()),
                              ("period", pa.int64()), ("department", pa.string()),
                              ("officers", pa.int64()), ("orders", pa.int64())]),
    "league": pa.schema([("period", pa.int64()), ("street", pa.string()), ("district", pa.string()),
                         ("score", pa.float64()), ("rank", pa.int64()), ("named", pa.bool_()),
                         ("factor", pa.float64()), *((r, pa.float64()) for r in PUBLISHED)]),
    "city": pa.schema([("period", pa.int64()), ("day", pa.float64()), ("streets", pa.int64()),
                       ("population", pa.int64()), *((c, pa.int64()) for c in COUNTS),
                       *((r, pa.float64()) for r in RATES)]),
}
"""The result tables of a city run and their columns."""
KEYS = {"streets": ["street", "period"], "departments": ["street", "period", "department"],
        "league": ["street", "period"], "city": ["period"]}


@dataclass(frozen=True)
class CityContext:
    """What a worker needs besides the street and period: the run folder, the spec, and the
    folder the spec's town files are relative to."""

    run: str
    spec: CitySpec
    folder: str
    checkpoint_every: int = 1


@dataclass
class CityProgress:
    """Progress of a city run: streets done in the current period, periods done."""

    streets_total: int
    periods_total: int
    period: int = 0
    streets_done: int = 0
    periods_done: int = 0
    street: str | None = None  # the street just done (None: a period just ended)


# -- on a worker --------------------------------------------------------------------------------
_STREETS: dict[tuple[str, str], Street] = {}
"""The streets this process holds, by (run folder, street id)."""


def checkpoint_path(run: str | Path, street: str, period: int) -> Path:
    """The checkpoint of ``street`` after ``period`` periods (0: as built)."""
    return Path(run) / CHECKPOINTS / street / f"period-{period:04d}.pkl"


def case_log_path(run: str | Path, street: str, period: int) -> Path:
    """The Parquet file of the case log rows ``street`` wrote in ``period``."""
    return Path(run) / CASE_LOGS / street / f"period-{period:04d}.parquet"


def street_case_log(out: str | Path, street: str) -> pd.DataFrame:
    """The case log of one street of a city run, period after period (columns as a town's,
    docs/case_log.md), from the files its periods spilled.

    Example (the run of the module's example): ``street_case_log(out, "inner")``.
    """
    files = sorted((Path(out) / CASE_LOGS / street).glob("period-*.parquet"))
    if not files:
        raise SweepError(f"{out}: no case log of street '{street}' (no period of it has run)")
    return pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)


def save_checkpoint(street: Street, run: str | Path, keep_after: int | None = None) -> Path:
    """Write the street's checkpoint (a temporary file renamed into place: whole or not at all);
    remove those of periods up to ``keep_after`` (default: all but this one and the one before).

    Unlike the result tables, a checkpoint is not synced to disk: it must survive a killed
    process, which the operating system's cache ensures, not a power cut (after which the run
    resumes from an older one). An fsync per street and period cost more than the run itself
    on this machine's disk."""
    path = checkpoint_path(run, street.id, street.period)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(pickle.dumps(street, protocol=pickle.HIGHEST_PROTOCOL))
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    keep_after = street.period - 2 if keep_after is None else keep_after
    for old in path.parent.glob("period-*.pkl"):
        if int(old.stem.removeprefix("period-")) <= keep_after:
            old.unlink(missing_ok=True)
    return path


def load_checkpoint(run: str | Path, street: str, period: int) -> Street:
    """The street as it was after ``period`` periods (a checkpoint this run wrote)."""
    path = checkpoint_path(run, street, period)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise SweepError(f"checkpoint {path} is missing; the run folder must be on a file "
                         "system every worker sees") from None
    return pickle.loads(data)


def last_checkpoint(period: int, every: int) -> int:
    """The period of the last checkpoint before ``period`` (0: as built), one every ``every``.

    Example:
        >>> last_checkpoint(5, 1), last_checkpoint(5, 3), last_checkpoint(3, 3)
        (4, 3, 0)
    """
    return ((period - 1) // every) * every


def advance(ctx: CityContext, street_id: str, period: int,
            orders: tuple[SyncOrders, ...] = ()) -> dict[str, Any]:
    """Build a street (``period`` 0) or advance it through ``period``; return its row. The
    street stays in this process for the next period, and is checkpointed every
    ``ctx.checkpoint_every`` periods.

    ``orders`` are the sync orders of every period since the last checkpoint, this one last: a
    street not in this process's memory is loaded from that checkpoint and the periods between
    are run again under their own orders (the same rows, since a street's randomness is its own).
    """
    from distributed import get_worker

    key = (ctx.run, street_id)
    street = _STREETS.pop(key, None)  # out while it changes: a failure leaves nothing half-run
    every = ctx.checkpoint_every
    if period == 0:
        district = ctx.spec.district_of()[street_id]
        street_spec = next(s for s in ctx.spec.streets() if s.id == street_id)
        street = Street(ctx.spec, street_spec, district, Path(ctx.folder))
        row: dict[str, Any] = {"street": street_id, "population": street.population}
    else:
        start = last_checkpoint(period, every)
        if len(orders) != period - start:
            raise ValueError(f"street {street_id}, period {period}: {len(orders)} periods of "
                             f"orders given, {period - start} needed")
        todo = orders[-1:]
        if street is None or street.period != period - 1:
            street, todo = load_checkpoint(ctx.run, street_id, start), orders
        for period_orders in todo:  # the periods since the checkpoint again, then this one
            row = street.run_period(period_orders)
            street.model.log.spill(case_log_path(ctx.run, street_id, street.period))
    if period % every == 0:
        save_checkpoint(street, ctx.run, keep_after=period - 2 * every)
    _STREETS[key] = street
    try:
        row["worker"] = get_worker().address
    except ValueError:  # not on a Dask worker
        row["worker"] = None
    return row


# -- the run folder -----------------------------------------------------------------------------
def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def read_state(out: Path) -> dict[str, Any]:
    """The run's state: the last period done and its street rows (period 0 before any)."""
    path = Path(out) / STATE
    if not path.is_file():
        return {"period": 0, "rows": None, "populations": None}
    return json.loads(path.read_text(encoding="utf-8"))


def _write_state(out: Path, state: dict[str, Any]) -> None:
    # plain json (NaN kept): the rows go back into the sync computation as they were
    write_atomic(out / STATE, lambda tmp: tmp.write_text(json.dumps(state), encoding="utf-8"))


def read_city_manifest(out: Path) -> dict[str, Any]:
    """The manifest of a city run folder; :class:`ConfigError` if the folder is not one."""
    path = Path(out) / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise ConfigError(f"city run folder: '{out}' has no readable {MANIFEST}; give the --out "
                          "folder of a `gridgov city run`") from None
    if not isinstance(manifest, dict) or manifest.get("kind") != KIND:
        raise ConfigError(f"city run folder: '{out}' holds no city run ({MANIFEST} of another "
                          "kind); give the --out folder of a `gridgov city run`")
    return manifest


def prepare_run_folder(out: Path, spec: CitySpec, folder: Path, resume: bool,
                       checkpoint_every: int = 1) -> dict[str, Any]:
    """Start a city run folder, or check that it holds this very city (checkpointed as often)
    when resuming."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out: '{out}' exists and is not a folder; give a folder path")
    if (out / MANIFEST).exists():
        manifest = read_city_manifest(out)
        if manifest.get("spec_digest") != spec.digest():
            raise ConfigError(f"--out: '{out}' holds a different city (its spec differs from this "
                              "one); give a new folder, or the spec it was run with")
        if not resume:
            raise ConfigError(f"--out: '{out}' already holds this city; add --resume to finish "
                              "it, or give a new folder")
        if manifest.get("checkpoint_every", 1) != checkpoint_every:
            raise ConfigError(f"--checkpoint-every: {checkpoint_every}, but the city in '{out}' "
                              f"was checkpointed every {manifest.get('checkpoint_every', 1)} "
                              "periods; allowed: the same when resuming")
        for name, schema in TABLES.items():
            recover_journal(out / name, schema)
        manifest.setdefault("resumed", []).append({"at": _now(), "versions": package_versions()})
        write_atomic(out / MANIFEST, lambda tmp: tmp.write_text(to_json(manifest, indent=2)))
        return manifest
    if out.exists() and any(out.iterdir()):
        raise ConfigError(f"--out: '{out}' is not empty and holds no city run ({MANIFEST}); give "
                          "a new or empty folder")
    out.mkdir(parents=True, exist_ok=True)
    manifest = {"format": 1, "kind": KIND, "created": _now(), "spec": spec.model_dump(mode="json"),
                "spec_digest": spec.digest(), "spec_folder": str(folder.resolve()),
                "seed": spec.seed, "periods": spec.periods,
                "streets": len(spec.streets()), "checkpoint_every": checkpoint_every,
                "versions": package_versions(),
                "git_commit": git_commit()}
    write_atomic(out / MANIFEST, lambda tmp: tmp.write_text(to_json(manifest, indent=2)))
    return manifest


# -- the driver ---------------------------------------------------------------------------------
class _Placement:
    """Where each street runs: the largest streets first, each on the least loaded worker; a
    street stays where its last task ran."""

    def __init__(self, populations: dict[str, int]) -> None:
        self.populations = populations
        self.at: dict[str, str] = {}

    def workers_for(self, alive: list[str], street: str) -> list[str] | None:
        """Where to run the street's next task (``alive``: the workers now; None: anywhere)."""
        if not alive:  # between a worker's death and its restart: anywhere, when one is back
            return None
        if self.at.get(street) not in alive:
            load = {w: 0 for w in alive}
            for s, w in self.at.items():
                if w in load:
                    load[w] += self.populations.get(s, 1)
            self.at[street] = min(alive, key=lambda w: (load[w], w))
        return [self.at[street]]

    def ran(self, street: str, worker: str | None) -> None:
        if worker:
            self.at[street] = worker


def _run_period(client: Any, ctx: CityContext, period: int,
                orders: dict[str, tuple[SyncOrders, ...]],
                placement: _Placement, token: str,
                on_street: Callable[[str], None]) -> dict[str, dict[str, Any]]:
    """Every street through ``period`` (0: build them); their rows by street."""
    streets = sorted(orders, key=lambda s: (-placement.populations.get(s, 0), s))
    if client is None:
        rows = {}
        for s in streets:
            rows[s] = advance(ctx, s, period, orders[s])
            rows[s].pop("worker", None)
            on_street(s)
        return rows
    from distributed import as_completed

    alive = sorted(client.nthreads())
    futures = {}
    for s in streets:
        where = placement.workers_for(alive, s)
        future = client.submit(advance, ctx, s, period, orders[s],
                               key=f"gridgov-city-{s}-{period}-{token}", pure=False, workers=where,
                               allow_other_workers=where is not None, retries=RETRIES)
        futures[future] = s
    rows = {}
    for future in as_completed(futures):
        s = futures[future]
        try:
            rows[s] = future.result()
        except Exception as exc:
            raise SweepError(f"street '{s}' failed in period {period} ({type(exc).__name__}: "
                             f"{exc}); the periods done are saved: finish with --resume") from None
        placement.ran(s, rows[s].pop("worker", None))
        on_street(s)
    return rows


def _table_rows(period: int, rows: list[dict[str, Any]],
                league: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    streets = [{k: r[k] for k in TABLES["streets"].names} for r in rows]
    departments = [{"street": r["street"], "district": r["district"], "period": period,
                    "department": d, "officers": r["officers"][d], "orders": r["orders"][d]}
                   for r in rows for d in sorted(r["orders"])]
    return {"streets": streets, "departments": departments, "league": league,
            "city": [city_row(period, rows)]}


def run_city(spec: CitySpec, out: Path, *, folder: Path | None = None, workers: int | None = None,
             scheduler: str | None = None, resume: bool = False, checkpoint_every: int = 1,
             progress: Callable[[CityProgress], None] | None = None) -> CityProgress:
    """Run a city into the folder ``out``; ``workers=0`` runs it in this process without Dask.

    Every street is checkpointed every ``checkpoint_every`` periods (1: at every sync point); a
    lost street then costs up to that many periods of it, and the results are the same.

    ``folder`` is where the spec's town files are (default: the current folder). ``progress``
    is called once the streets are built (``period`` 0), after each street of each period, and
    at each period's end (``street`` None).
    """
    if workers is not None and workers < 0:
        raise ConfigError(f"--workers: {workers} is not allowed; a whole number >= 0 (0: no Dask)")
    if workers is not None and scheduler:
        raise ConfigError("--workers starts a local cluster; give it or --scheduler, not both")
    if not 1 <= checkpoint_every <= MAX_CHECKPOINT_EVERY:
        raise ConfigError(f"--checkpoint-every: {checkpoint_every} is not allowed; a whole number "
                          f"of periods from 1 to {MAX_CHECKPOINT_EVERY:,}")
    out, folder = Path(out), Path(folder or Path.cwd())
    names = [s.id for s in spec.streets()]
    counts = CityProgress(streets_total=len(names), periods_total=spec.periods)
    check_city(spec, folder)  # a street that cannot be built is bad input, found here
    with ExitStack() as stack:
        client = None
        if workers != 0:  # connect before touching the folder: a missing cluster leaves nothing
            client = stack.enter_context(dask_client(workers, scheduler))
            check_workers(client)
        prepare_run_folder(out, spec, folder, resume, checkpoint_every)
        ctx = CityContext(str(out.resolve()), spec, str(folder.resolve()), checkpoint_every)
        state = read_state(out)
        writers = {name: PartWriter(out / name, schema) for name, schema in TABLES.items()}
        token = uuid.uuid4().hex[:8]

        def on_street(s: str) -> None:
            counts.streets_done += 1
            counts.street = s
            if progress:
                progress(counts)

        try:
            populations = state.get("populations")
            placement = _Placement(populations or {})
            if populations is None:  # build every street: checkpoint 0
                built = _run_period(client, ctx, 0, dict.fromkeys(names, ()), placement, token,
                                    lambda s: None)
                populations = {s: built[s]["population"] for s in names}
                placement.populations = populations
                state = {"period": 0, "rows": None, "populations": populations, "orders": {}}
                _write_state(out, state)
            counts.periods_done = state["period"]
            if progress:  # the streets are built (or were, before a resume)
                progress(counts)
            last = state["rows"]
            history = {int(p): {s: SyncOrders(**o) for s, o in by.items()}
                       for p, by in state.get("orders", {}).items()}
            for period in range(state["period"] + 1, spec.periods + 1):
                history[period], _ = sync_orders(spec, period, last, populations)
                start = last_checkpoint(period, checkpoint_every)
                history = {p: h for p, h in history.items() if p > start}
                orders = {s: tuple(history[p][s] for p in range(start + 1, period + 1))
                          for s in names}
                counts.period, counts.streets_done = period, 0
                by_street = _run_period(client, ctx, period, orders, placement, token, on_street)
                last = [by_street[s] for s in names]
                league = league_table(spec, last) if ranked_in(spec, period) else []
                for name, rows in _table_rows(period, last, league).items():
                    writers[name].add(rows)
                    writers[name].flush()
                _write_state(out, {"period": period, "rows": last, "populations": populations,
                                   "orders": {p: {s: asdict(o) for s, o in by.items()}
                                              for p, by in history.items()}})
                counts.periods_done, counts.street = period, None
                if progress:
                    progress(counts)
        finally:
            for writer in writers.values():
                writer.flush()
            if client is None:
                forget(ctx.run)
            else:
                with suppress(Exception):  # a cluster going down takes its streets with it
                    client.run(forget, ctx.run)
    return counts


def forget(run: str) -> int:
    """Drop the streets of the run folder ``run`` from this process's memory; how many."""
    keys = [k for k in _STREETS if k[0] == run]
    for k in keys:
        del _STREETS[k]
    return len(keys)


def load_city(out: Path) -> dict[str, pd.DataFrame]:
    """The results of a city run folder: ``streets``, ``departments``, ``league``, ``city``,
    each with the periods done (rows of a period cut short by a crash are left out).

    Example:
        >>> import tempfile
        >>> load_city(Path(tempfile.mkdtemp()))  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        institutions.errors.ConfigError: city run folder: ... has no readable manifest.json; ...
    """
    out = Path(out)
    read_city_manifest(out)
    done = read_state(out)["period"]
    tables = {}
    for name, schema in TABLES.items():
        parts = [pq.read_table(p) for p in part_files(out / name)]
        frame = (pa.concat_tables(parts).to_pandas() if parts
                 else schema.empty_table().to_pandas())
        frame = frame[frame["period"] <= done].drop_duplicates(KEYS[name], keep="last")
        tables[name] = frame.sort_values(KEYS[name] if name != "league" else ["period", "rank"]
                                         ).reset_index(drop=True)
    return tables


def cluster_pids(client: Any) -> dict[str, int]:
    """Process ids of the cluster's workers, by address (for tests and benchmarks)."""
    return client.run(os.getpid)
