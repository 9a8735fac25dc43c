"""Sweeps on real Dask processes on 127.0.0.1: a scheduler and two workers started from another
directory, a local cluster, a worker killed mid-sweep and a driver killed mid-sweep. Every
process a test starts is stopped by it (process groups, in fixture finalizers).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from experiments.sweep import run_sweep
from experiments.sweep_results import load_sweep, part_files, results_digest
from experiments.sweep_spec import parse_spec

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent
# 4 points x 15 replications of a tiny town (~0.04 s a run): long enough to kill something mid-way
SPEC = """
days = 15
scale = 0.04
replications = 15
outputs = ["cases_reported", "declines", "real_resolution_rate", "officer_hours"]
[parameters."institutions.authority.kind"]
values = ["none", "command"]
[parameters."institutions.assessment.kind"]
values = ["outcome_subjective", "department_kpis"]
"""
TOTAL = 60


def start(args: list[str], cwd: Path, log: Path) -> subprocess.Popen:
    """A process in its own process group (so that it and its children can be stopped together)."""
    with log.open("ab") as out:
        return subprocess.Popen(args, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def stop(proc: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, sig)
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        except ProcessLookupError:
            pass


def wait_for(condition, timeout: float = 60.0, what: str = "", every: float = 0.02) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(every)


def workers_on(scheduler_file: Path) -> int:
    from distributed import Client

    with Client(scheduler_file=str(scheduler_file), timeout="10s") as client:
        return len(client.scheduler_info(n_workers=-1)["workers"])


class Cluster:
    """A ``dask scheduler`` and its ``dask worker`` processes, all run from ``home``."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.file = home / "scheduler.json"
        self.procs: list[subprocess.Popen] = []

    def start_scheduler(self) -> None:
        self.procs.append(start([str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", "0",
                                 "--no-dashboard", "--scheduler-file", str(self.file)],
                                self.home, self.home / "scheduler.log"))
        wait_for(self.file.exists, what="the scheduler file")

    def start_worker(self) -> subprocess.Popen:
        proc = start([str(BIN / "dask"), "worker", "--scheduler-file", str(self.file), "--nthreads", "1",
                      "--host", "127.0.0.1", "--no-dashboard", "--local-directory", str(self.home)],
                     self.home, self.home / "workers.log")
        self.procs.append(proc)
        return proc

    def stop(self) -> None:
        for proc in reversed(self.procs):
            stop(proc)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory) -> Iterator[Cluster]:
    home = tmp_path_factory.mktemp("dask_home")  # not the project: workers import gridgov as a package
    c = Cluster(home)
    try:
        c.start_scheduler()
        c.start_worker()
        c.start_worker()
        wait_for(lambda: workers_on(c.file) == 2, what="two workers", every=0.3)
        yield c
    finally:
        c.stop()


@pytest.fixture(scope="module")
def spec_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("spec") / "spec.toml"
    path.write_text(SPEC, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def serial_digest(tmp_path_factory) -> str:
    """The results of the sweep run in one process, without Dask: the reference."""
    out = tmp_path_factory.mktemp("serial") / "sweep"
    spec, town = parse_spec(SPEC)
    run_sweep(spec, town, out, workers=0)
    return results_digest(load_sweep(out)[1])


def gridgov_sweep(spec_file: Path, out: Path, *args: str, cwd: Path) -> subprocess.Popen:
    return start([str(BIN / "gridgov"), "sweep", str(spec_file), "--out", str(out), "--quiet", *args],
                 cwd, out.parent / f"{out.name}.log")


def finish(proc: subprocess.Popen, log: Path, timeout: float = 120) -> None:
    try:
        code = proc.wait(timeout=timeout)
    finally:
        stop(proc, signal.SIGKILL)
    assert code == 0, log.read_text(errors="replace")


def rows_in(out: Path) -> int:
    import pyarrow.parquet as pq

    return sum(pq.read_metadata(p).num_rows for p in part_files(out))


def test_cluster_and_local_workers_give_the_serial_results(cluster, spec_file, serial_digest, tmp_path):
    spec, town = parse_spec(SPEC)
    counts = run_sweep(spec, town, tmp_path / "on_cluster", scheduler_file=cluster.file, flush_runs=10)
    assert (counts.done, counts.failed) == (TOTAL, 0)
    assert results_digest(load_sweep(tmp_path / "on_cluster")[1]) == serial_digest

    for workers in ("1", "2"):
        out = tmp_path / f"local{workers}"
        finish(gridgov_sweep(spec_file, out, "--workers", workers, cwd=cluster.home), tmp_path / "local.log")
        _, runs = load_sweep(out)
        assert len(runs) == TOTAL and results_digest(runs) == serial_digest


def local_workers(driver: subprocess.Popen) -> list:
    """The worker processes of a driver's local cluster (forked from it, so its children)."""
    import psutil

    return psutil.Process(driver.pid).children()


@pytest.mark.parametrize("method", [None, "forkserver"])
def test_local_workers_are_forked_from_the_driver_unless_dask_is_told_otherwise(
        method, spec_file, serial_digest, tmp_path, monkeypatch):
    """Forked, the workers are the driver's children; with Dask's forkserver method they are the
    fork server's. The results are the same."""
    import psutil

    if method:
        monkeypatch.setenv("DASK_DISTRIBUTED__WORKER__MULTIPROCESSING_METHOD", method)
    out = tmp_path / "sweep"
    driver = gridgov_sweep(spec_file, out, "--workers", "2", cwd=tmp_path)
    try:
        wait_for(lambda: len(psutil.Process(driver.pid).children(recursive=True)) >= 2, what="the workers")
        children = [" ".join(p.cmdline()) for p in psutil.Process(driver.pid).children()]
    finally:
        finish(driver, tmp_path / "sweep.log")
    assert any("forkserver" in c for c in children) == bool(method), children
    assert results_digest(load_sweep(out)[1]) == serial_digest


def test_a_local_worker_killed_mid_sweep_is_replaced_and_loses_no_run(spec_file, serial_digest, tmp_path):
    out = tmp_path / "sweep"
    driver = gridgov_sweep(spec_file, out, "--workers", "2", "--flush-runs", "5", cwd=tmp_path)
    try:
        wait_for(lambda: rows_in(out) >= 5, what="the first part file")
        victim = local_workers(driver)[0]
        victim.kill()
        wait_for(lambda: len(local_workers(driver)) == 2 and victim not in local_workers(driver),
                 what="the nanny to start a new worker")
    finally:
        finish(driver, tmp_path / "sweep.log")
    _, runs = load_sweep(out)
    assert len(runs) == TOTAL and runs["run_id"].is_unique and runs["error"].isna().all()
    assert results_digest(runs) == serial_digest


def test_sigterm_stops_a_local_sweep_keeps_its_runs_and_leaves_no_process(spec_file, tmp_path):
    import psutil

    out = tmp_path / "sweep"
    driver = gridgov_sweep(spec_file, out, "--workers", "2", "--flush-runs", "5", cwd=tmp_path)
    try:
        wait_for(lambda: rows_in(out) >= 5, what="the first part file")
        workers = local_workers(driver)
        driver.send_signal(signal.SIGTERM)
        code = driver.wait(timeout=60)
        _, alive = psutil.wait_procs(workers, timeout=30)
    finally:
        stop(driver, signal.SIGKILL)
    log = " ".join((tmp_path / "sweep.log").read_text(errors="replace").split())
    assert code == 130 and "finish with --resume" in log and "Traceback" not in log, log
    assert len(workers) == 2 and not alive
    _, runs = load_sweep(out)
    assert 5 <= len(runs) <= TOTAL and runs["run_id"].is_unique


def test_a_worker_killed_mid_sweep_loses_no_run_and_doubles_none(cluster, spec_file, serial_digest, tmp_path):
    extra = cluster.start_worker()
    try:
        wait_for(lambda: workers_on(cluster.file) == 3, what="a third worker", every=0.3)
        out = tmp_path / "sweep"
        driver = gridgov_sweep(spec_file, out, "--scheduler-file", str(cluster.file), "--flush-runs", "5",
                               cwd=cluster.home)
        try:
            wait_for(lambda: rows_in(out) >= 5, what="the first part file")
            os.killpg(extra.pid, signal.SIGKILL)  # the worker and its nanny, mid-sweep
            assert rows_in(out) < TOTAL
        finally:
            finish(driver, tmp_path / "sweep.log")
    finally:
        stop(extra, signal.SIGKILL)
    _, runs = load_sweep(out)
    assert len(runs) == TOTAL and runs["run_id"].is_unique and runs["error"].isna().all()
    assert results_digest(runs) == serial_digest


def test_a_driver_killed_mid_sweep_then_resumed_gives_the_uninterrupted_results(
        cluster, spec_file, serial_digest, tmp_path):
    out = tmp_path / "sweep"
    # no part file in the sweep's first minutes: its runs are only in the journal when it is killed
    driver = gridgov_sweep(spec_file, out, "--scheduler-file", str(cluster.file), "--flush-runs", "1000",
                           "--flush-seconds", "600", cwd=cluster.home)
    try:
        wait_for(lambda: (out / "manifest.json").exists() and len(load_sweep(out)[1]) >= 10,
                 what="ten runs in the journal", every=0.1)
    finally:
        stop(driver, signal.SIGKILL)
    present = len(load_sweep(out)[1])
    assert rows_in(out) == 0 and 10 <= present < TOTAL
    finish(gridgov_sweep(spec_file, out, "--scheduler-file", str(cluster.file), "--resume",
                         cwd=cluster.home), tmp_path / "sweep.log")
    log = " ".join((tmp_path / "sweep.log").read_text().split())
    assert f"{TOTAL - present} runs done (0 failed), {present} already present, of {TOTAL}" in log, log
    _, runs = load_sweep(out)
    assert len(runs) == TOTAL and runs["run_id"].is_unique
    assert results_digest(runs) == serial_digest


def test_local_workers_ask_the_kernel_to_die_with_their_parent():
    from experiments.sweep import dask_client
    from experiments.sweep_worker import parent_death_signal

    if not sys.platform.startswith("linux"):
        pytest.skip("PR_SET_PDEATHSIG is Linux's")
    with dask_client(workers=1) as client:
        assert set(client.run(parent_death_signal).values()) == {signal.SIGKILL}


@pytest.mark.parametrize("method", [None, "forkserver"])
def test_a_driver_killed_by_sigkill_leaves_no_local_worker_alive(method, spec_file, tmp_path, monkeypatch):
    """SIGKILL the driver of a local-cluster sweep, as its workers start and mid-sweep (with a
    fork server: mid-sweep): within 30 s no process it started (workers, fork server) is left."""
    import psutil

    if method:
        monkeypatch.setenv("DASK_DISTRIBUTED__WORKER__MULTIPROCESSING_METHOD", method)
    for moment in ("mid-sweep",) if method else ("workers starting", "mid-sweep"):
        out = tmp_path / f"sweep-{moment.replace(' ', '-')}"
        driver = gridgov_sweep(spec_file, out, "--workers", "2", "--flush-runs", "5", cwd=tmp_path)
        started: list[psutil.Process] = []
        try:
            me = psutil.Process(driver.pid)
            wait_for(lambda: len(me.children(recursive=True)) >= 2, what="the workers")  # noqa: B023
            if moment == "mid-sweep":
                wait_for(lambda: rows_in(out) >= 5, what="the first part file")  # noqa: B023
            started = me.children(recursive=True)
            driver.kill()
            driver.wait(timeout=10)
            killed = time.monotonic()
            _, alive = psutil.wait_procs(started, timeout=30)
            print(f"{method or 'fork'}, {moment}: {len(started)} processes gone in "
                  f"{time.monotonic() - killed:.2f} s")
            assert not alive, (moment, [(p.pid, p.cmdline()) for p in alive])
        finally:
            for proc in started:
                with contextlib.suppress(psutil.NoSuchProcess):
                    proc.kill()
            stop(driver, signal.SIGKILL)
            with contextlib.suppress(ProcessLookupError):  # whatever is left of its group
                os.killpg(driver.pid, signal.SIGKILL)
