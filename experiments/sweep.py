"""Running a sweep: every (design point, replication) once, on Dask or in this process, streamed
to disk as runs finish (a journal at once, Parquet part files every so often).

Seeds come from ``numpy.random.SeedSequence(root_seed, spawn_key=(replication,))``: they depend on
the replication alone, never on the worker count or order, and replication ``r`` of every point
faces the same incidents (common random numbers). With ``common_random_numbers = false`` the key
is ``(point, replication)`` instead. A run's id is a hash of its point and replication, so
``resume`` can tell what is done. A run that raises is recorded with its error; a run on a
worker that dies is run again elsewhere by Dask.

Example:
    >>> import tempfile
    >>> from experiments.sweep_spec import parse_spec
    >>> spec, town = parse_spec('''
    ... days = 5
    ... scale = 0.02
    ... replications = 2
    ... outputs = ["cases_reported"]
    ... [parameters."institutions.authority.kind"]
    ... values = ["none", "command"]
    ... ''')
    >>> counts = run_sweep(spec, town, Path(tempfile.mkdtemp()) / "sweep", workers=0)
    >>> counts.done, counts.failed
    (4, 0)
"""

from __future__ import annotations

import hashlib
import itertools
import logging
import math
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from experiments.designs import Design, build_design
from experiments.replications import reforms_of, run_metrics
from experiments.sweep_spec import REFORMS_PARAMETER, SweepSpec
from experiments.sweep_store import (
    MATCH_ON_WORKERS,
    PartWriter,
    done_run_ids,
    package_versions,
    prepare_folder,
    runs_schema,
)
from institutions import ConfigError, TownConfig, load_preset, validate_config, with_overrides

if TYPE_CHECKING:
    from distributed import Client

FLUSH_RUNS = 200
FLUSH_SECONDS = 10.0
RETRIES = 2
TASK_SECONDS = 1.0
MAX_CHUNK = 64
WORKER_WAIT_SECONDS = 60.0


class SweepError(RuntimeError):
    """The sweep cannot go on (no cluster, workers with other versions); finished runs are kept."""


@dataclass(frozen=True)
class RunTask:
    """One run: a design point's parameter values, its replication and seed."""

    run_id: str
    point_id: str
    replication: int
    seed: int
    params: dict[str, Any]


@dataclass(frozen=True)
class RunContext:
    """What a worker needs besides the task: the town (preset name or config), days, scale, outputs."""

    preset: str | None
    config: dict[str, Any] | None
    days: int
    scale: float
    outputs: tuple[str, ...]


@dataclass
class SweepCounts:
    """Progress of a sweep: runs in it, already present at start, done now, failed, part files."""

    total: int
    skipped: int = 0
    done: int = 0
    failed: int = 0
    parts: int = 0


def run_id(point_id: str, replication: int) -> str:
    """The id of a run: a hash of its point and replication (16 hex digits).

    Example:
        >>> run_id("3f2a9c0d1b7e", 0) == run_id("3f2a9c0d1b7e", 0) != run_id("3f2a9c0d1b7e", 1)
        True
    """
    return hashlib.sha256(f"{point_id}:{replication}".encode()).hexdigest()[:16]


def run_seed(root_seed: int, replication: int, point_id: str, common: bool = True) -> int:
    """The seed of a run, from a ``SeedSequence`` keyed by the replication (and the point if not
    ``common``); a whole number below 2**63.

    Example:
        >>> run_seed(1, 0, "aaaaaaaaaaaa") == run_seed(1, 0, "bbbbbbbbbbbb")
        True
        >>> run_seed(1, 0, "aaaaaaaaaaaa", common=False) == run_seed(1, 0, "bbbbbbbbbbbb", common=False)
        False
    """
    key = (replication,) if common else (int(point_id, 16), replication)
    state = np.random.SeedSequence(root_seed, spawn_key=key).generate_state(1, dtype=np.uint64)
    return int(state[0] >> np.uint64(1))


def plan(spec: SweepSpec, design: Design, done: np.ndarray | None = None) -> Iterator[RunTask]:
    """The runs of a sweep, point by point, leaving out those whose id is in ``done``."""
    done = done if done is not None else np.zeros(0, dtype=np.uint64)
    names = list(spec.parameters)
    unique = design.points.drop_duplicates("point_id")
    for values in unique.itertuples(index=False, name=None):
        pid, params = values[0], dict(zip(names, values[1:], strict=True))
        params = {k: v.item() if isinstance(v, np.generic) else v for k, v in params.items()}
        for rep in range(spec.replications):
            rid = run_id(pid, rep)
            key = np.uint64(int(rid, 16))
            at = int(np.searchsorted(done, key))
            if at < len(done) and done[at] == key:
                continue
            yield RunTask(rid, pid, rep, run_seed(spec.seed, rep, pid, spec.common_random_numbers), params)


def run_context(spec: SweepSpec, base: TownConfig) -> RunContext:
    """The context shipped with every task: a preset by name, or a config file's contents."""
    if spec.config is None:
        return RunContext(spec.preset, None, spec.days, spec.scale, tuple(spec.outputs))
    return RunContext(None, base.model_dump(mode="json"), spec.days, spec.scale, tuple(spec.outputs))


_TOWNS: dict[str, TownConfig] = {}


def _town(ctx: RunContext) -> TownConfig:
    if ctx.preset is not None:
        key = f"preset:{ctx.preset}"
        if key not in _TOWNS:
            _TOWNS[key] = load_preset(ctx.preset)
        return _TOWNS[key]
    return validate_config(ctx.config or {})


def _number(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def run_one(ctx: RunContext, task: RunTask) -> dict[str, Any]:
    """Run one task; its row (parameters, outputs, runtime, and the error if it raised)."""
    started = time.perf_counter()
    metrics: dict[str, Any] = {}
    error = None
    try:
        town = _town(ctx)
        overrides = {k: v for k, v in task.params.items() if k != REFORMS_PARAMETER}
        cfg = with_overrides(town, overrides) if overrides else town
        metrics = run_metrics(cfg, days=ctx.days, scale=ctx.scale, seed=task.seed,
                              reforms=reforms_of(task.params.get(REFORMS_PARAMETER)))
    except Exception as exc:  # recorded in the run's row; the sweep goes on
        error = f"{type(exc).__name__}: {exc}"[:2000]
    return run_row(ctx, task, error, time.perf_counter() - started, metrics)


def run_row(ctx: RunContext, task: RunTask, error: str | None, runtime: float = math.nan,
               metrics: dict[str, Any] | None = None) -> dict[str, Any]:
    """The row of a run: its outputs from ``metrics`` (NaN where absent) and ``error``."""
    metrics = metrics or {}
    return {"run_id": task.run_id, "point_id": task.point_id, "replication": task.replication,
            "seed": task.seed, **task.params, **{o: _number(metrics.get(o)) for o in ctx.outputs},
            "runtime_s": runtime, "error": error}


def run_batch(ctx: RunContext, tasks: list[RunTask]) -> list[dict[str, Any]]:
    """Run several tasks in turn (the unit of work sent to a Dask worker)."""
    return [run_one(ctx, t) for t in tasks]


def worker_versions() -> dict[str, str | None]:
    """The versions that must match between the driver and every worker."""
    versions = package_versions()
    return {k: versions[k] for k in MATCH_ON_WORKERS}


class _Stream:
    """Collects rows, counts them, reports progress, and flushes part files by count or time."""

    def __init__(self, writer: PartWriter, counts: SweepCounts, flush_runs: int, flush_seconds: float,
                 progress: Callable[[SweepCounts], None] | None) -> None:
        self.writer, self.counts, self.progress = writer, counts, progress
        self.flush_runs, self.flush_seconds = flush_runs, flush_seconds
        self.last_flush = time.monotonic()

    def take(self, rows: list[dict[str, Any]]) -> None:
        self.writer.add(rows)
        self.counts.done += len(rows)
        self.counts.failed += sum(row["error"] is not None for row in rows)
        if len(self.writer) >= self.flush_runs:
            self.flush()
        else:
            self.tick()
        if self.progress:
            self.progress(self.counts)

    def seconds_to_flush(self) -> float:
        return max(0.05, self.flush_seconds - (time.monotonic() - self.last_flush))

    def tick(self) -> None:
        if len(self.writer) and time.monotonic() - self.last_flush >= self.flush_seconds:
            self.flush()

    def flush(self) -> None:
        if len(self.writer):
            self.writer.flush()
            self.counts.parts += 1
        self.last_flush = time.monotonic()


@contextmanager
def dask_client(workers: int | None = None, scheduler: str | None = None,
                scheduler_file: str | Path | None = None) -> Iterator[Client]:
    """A Dask client: on an existing scheduler (address or file), else on a new ``LocalCluster``
    of ``workers`` single-threaded processes on 127.0.0.1 (default: one per core)."""
    from distributed import Client, LocalCluster

    if scheduler_file is not None and not Path(scheduler_file).is_file():
        raise ConfigError(f"--scheduler-file: '{scheduler_file}' does not exist; give the file the "
                          "scheduler wrote (dask scheduler --scheduler-file FILE)")
    if scheduler is not None or scheduler_file is not None:
        try:
            client = Client(scheduler, scheduler_file=str(scheduler_file) if scheduler_file else None,
                            timeout="15s")
        except (OSError, TimeoutError) as exc:
            where = scheduler or f"the address in {scheduler_file}"
            raise SweepError(f"no Dask scheduler answered at {where}: {exc}") from None
        try:
            yield client
        finally:
            client.close()
        return
    with _local_workers():
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                               dashboard_address=None, silence_logs=logging.CRITICAL,
                               # its HTTP endpoints (health, metrics) on a free port, not on 8787
                               scheduler_kwargs={"dashboard_address": "127.0.0.1:0"})
        try:
            with Client(cluster) as client:
                yield client
        finally:
            cluster.close()


# Local workers are forked from this process, which has already imported the model: they start
# at once and share its code and data pages (copy-on-write) instead of importing it all again.
# ``gc.freeze()`` first moves what is loaded into a generation the collector never visits, so
# neither this process's nor a worker's collections write to (and so copy) the shared pages
# (https://docs.python.org/3/library/gc.html#gc.freeze). Dask's nannies fork from a thread of
# theirs while the scheduler's event loop runs; Dask supports this ("fork" method) and Python,
# logging, asyncio, glibc, OpenBLAS and Arrow reset their locks in the child. Where fork is not
# the platform's way (macOS, Windows), or a user has chosen a method in Dask's config (e.g.
# DASK_DISTRIBUTED__WORKER__MULTIPROCESSING_METHOD=forkserver), Dask starts the workers its way.
_DASK_DEFAULT_METHOD = "spawn"


def _fork_workers() -> bool:
    import dask

    chosen = dask.config.get("distributed.worker.multiprocessing-method")
    return sys.platform.startswith("linux") and chosen == _DASK_DEFAULT_METHOD


WORKER_PRELOAD = "experiments.sweep_worker"


def _die_with_driver() -> dict[str, Any]:
    """Dask settings that add :mod:`experiments.sweep_worker` to the workers' preloads (after any
    of the user's), so that every local worker dies with the driver, however the driver ends."""
    import dask

    preload = dask.config.get("distributed.worker.preload", None) or []
    preload = [preload] if isinstance(preload, str) else list(preload)
    argv = dask.config.get("distributed.worker.preload-argv", None) or []
    settings: dict[str, Any] = {"distributed.worker.preload": [*preload, WORKER_PRELOAD]}
    if argv and not isinstance(argv[0], str):  # one list of arguments per preload
        settings["distributed.worker.preload-argv"] = [*argv, []]
    elif argv:
        settings["distributed.worker.preload-argv"] = [argv] * len(preload) + [[]]
    return settings


@contextmanager
def _local_workers() -> Iterator[None]:
    import gc

    import dask

    # no statistical profiler: it samples every 10 ms and its profiles grew workers by ~20 MB per
    # 1,000 runs in a 2,000-run sweep
    settings: dict[str, Any] = {"distributed.worker.profile.enabled": False, **_die_with_driver()}
    fork = _fork_workers()
    if fork:
        settings["distributed.worker.multiprocessing-method"] = "fork"
        gc.collect()
        gc.freeze()
    try:
        with dask.config.set(settings):
            yield
    finally:
        if fork:
            gc.unfreeze()


def check_workers(client: Client) -> int:
    """Wait for a worker, check that every worker imports gridgov at this driver's versions;
    the number of worker threads."""
    try:
        client.wait_for_workers(1, timeout=WORKER_WAIT_SECONDS)
    except TimeoutError:
        raise SweepError(f"no Dask worker joined the scheduler within {WORKER_WAIT_SECONDS:g} s") from None
    mine = worker_versions()
    try:
        theirs = client.run(worker_versions)
    except ImportError as exc:
        raise SweepError(f"a Dask worker cannot import gridgov ({exc}); install gridgov "
                         f"{mine['gridgov']} in the workers' environment") from None
    other = {addr: v for addr, v in theirs.items() if v != mine}
    if other:
        addr, versions = next(iter(other.items()))
        raise SweepError(f"{len(other)} Dask worker(s) run other versions than this driver "
                         f"(e.g. {addr}: {versions}; driver: {mine}); install the same versions")
    return sum(client.nthreads().values())


class _Chunker:
    """How many runs to send to a worker at a time: ``fixed``, or (auto) enough for about
    ``TASK_SECONDS`` of work, from the runtimes seen so far, while every thread stays busy."""

    def __init__(self, tasks: Iterator[RunTask], remaining: int, threads: int, fixed: int | None) -> None:
        self.tasks, self.remaining, self.threads, self.fixed = tasks, remaining, threads, fixed
        self.seconds, self.runs = 0.0, 0

    def learn(self, rows: list[dict[str, Any]]) -> None:
        for row in rows:
            if math.isfinite(row["runtime_s"]):
                self.seconds += row["runtime_s"]
                self.runs += 1

    def size(self) -> int:
        if self.fixed is not None:
            return self.fixed
        if not self.runs:
            return 1
        per_run = max(self.seconds / self.runs, 1e-4)
        busy = max(1, self.remaining // (4 * self.threads))
        return max(1, min(MAX_CHUNK, busy, int(TASK_SECONDS / per_run)))

    def next_batch(self) -> list[RunTask]:
        batch = list(itertools.islice(self.tasks, self.size()))
        self.remaining -= len(batch)
        return batch


def _on_dask(client: Client, ctx: RunContext, chunker: _Chunker, stream: _Stream) -> None:
    from distributed import wait

    token = uuid.uuid4().hex[:8]  # fresh keys, so a resumed sweep never meets a dead client's tasks
    in_flight: dict[Any, list[RunTask]] = {}

    def submit() -> None:
        batch = chunker.next_batch()
        if batch:
            future = client.submit(run_batch, ctx, batch, key=f"gridgov-run-{batch[0].run_id}-{token}",
                                   retries=RETRIES, pure=False)
            in_flight[future] = batch

    for _ in range(max(8, 4 * chunker.threads)):  # a bounded number in flight: flat driver memory
        submit()
    while in_flight:
        try:
            finished, _ = wait(list(in_flight), timeout=stream.seconds_to_flush(),
                               return_when="FIRST_COMPLETED")
        except TimeoutError:
            stream.tick()
            continue
        for future in finished:
            batch = in_flight.pop(future)
            if future.status == "error":  # raised outside a run, or took down worker after worker
                exc = future.exception()
                rows = [run_row(ctx, t, f"{type(exc).__name__}: {exc}"[:2000]) for t in batch]
            else:
                try:
                    rows = future.result()
                except Exception as exc:  # cancelled or lost: the cluster, not the run, failed
                    raise SweepError(f"the Dask cluster failed ({type(exc).__name__}: {exc}); the runs "
                                     "finished so far are saved: finish with --resume") from None
            chunker.learn(rows)
            stream.take(rows)
            submit()


def run_sweep(spec: SweepSpec, base: TownConfig, out: Path, *, workers: int | None = None,
              scheduler: str | None = None, scheduler_file: str | Path | None = None,
              resume: bool = False, flush_runs: int = FLUSH_RUNS, flush_seconds: float = FLUSH_SECONDS,
              chunk: int | None = None, progress: Callable[[SweepCounts], None] | None = None) -> SweepCounts:
    """Run a sweep into the folder ``out``; ``workers=0`` runs it in this process without Dask.

    Rows reach the journal ``out/runs/.journal.arrows`` as they arrive, and a part file
    ``out/runs/part-NNNNN.parquet`` every ``flush_runs`` runs or ``flush_seconds`` seconds and
    when the sweep ends or is interrupted. ``chunk`` runs go to a worker at a time (default: as
    many as take about a second, learnt from the runs so far).
    """
    if workers is not None and workers < 0:
        raise ConfigError(f"--workers: {workers} is not allowed; a whole number >= 0 (0: no Dask)")
    if workers is not None and (scheduler or scheduler_file):
        raise ConfigError("--workers starts a local cluster; give it or --scheduler/--scheduler-file, "
                          "not both")
    if scheduler and scheduler_file:
        raise ConfigError("give --scheduler or --scheduler-file, not both")
    if flush_runs < 1 or not flush_seconds > 0 or (chunk is not None and chunk < 1):
        raise ConfigError(f"--flush-runs ({flush_runs}), --chunk ({chunk}) need a whole number >= 1 "
                          f"and --flush-seconds ({flush_seconds}) a number > 0")
    design = build_design(spec)
    total = int(design.points["point_id"].nunique()) * spec.replications
    with ExitStack() as stack:
        client = None
        if workers != 0:  # connect before touching the folder: a missing cluster leaves nothing
            client = stack.enter_context(dask_client(workers, scheduler, scheduler_file))
            threads = check_workers(client)
        prepare_folder(out, spec, base, design, root_seed=spec.seed, total_runs=total, resume=resume)
        done = done_run_ids(out)
        counts = SweepCounts(total=total, skipped=len(done))
        stream = _Stream(PartWriter(out, runs_schema(spec)), counts, flush_runs, flush_seconds, progress)
        ctx = run_context(spec, base)
        tasks = plan(spec, design, done)
        try:
            if client is None:
                for task in tasks:
                    stream.take([run_one(ctx, task)])
            else:
                _on_dask(client, ctx, _Chunker(tasks, total - len(done), threads, chunk), stream)
        finally:
            stream.flush()
    return counts
