"""Build and one simulated year of a city on Dask: build and run time, peak memory per worker and
in all, time per street-year, checkpoint bytes.

The city is Shanghai's 16 districts: from ``institutions/cities/shanghai.toml`` if that city
table exists (a city spec, or a table of districts with their population and number of
streets/towns), otherwise a stand-in of 216 streets and towns summing to 24.87 M residents
(district populations of the 2020 census and approximate street/town counts, rounded; a stand-in
for timing, not a source). Each street is a generated town (``institutions.generator``) when the
generator is installed, otherwise the preset of its kind of place (central: d_street, near
suburb: c_town, far suburb: n_town) scaled to the street's population. The year is 12 monthly
periods (360 days) with the league table, summoning and checkpoints at every sync point.

    .venv/bin/python benchmarks/city.py --scale 0.01 --workers 1
    .venv/bin/python benchmarks/city.py --scale 0.1 --workers 2
    .venv/bin/python benchmarks/city.py --scale 0.1 --workers 2 --checkpoint-every 12
    .venv/bin/python benchmarks/city.py --scale 1 --workers 2      # Shanghai at 1:1
    .venv/bin/python benchmarks/city.py --scale 0.1 --workers 6 --memory-limit 600MB

With ``--memory-limit`` the benchmark starts its own local cluster of ``--workers`` processes,
each limited to that memory (Dask's nanny restarts a worker that passes 95% of it; its streets
are then loaded from their checkpoints), and runs the city on it through ``--scheduler``, as on
a real cluster: how the run spreads over more, smaller workers than this machine has cores
(their time is shared, so only memory per worker, restarts and the time of the sync points
carry over to a real cluster).

Memory is sampled every 0.2 s over the driver and all its child processes (RSS summed: the peak
"in all"); each worker's own peak is its ``ru_maxrss`` at the end.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import resource
import shutil
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parents[1]
SHANGHAI = ROOT / "institutions" / "cities" / "shanghai.toml"
# district: (name_zh, population 2020 census in 10,000s, streets and towns (approximate),
#            area km², kind of place)
STAND_IN = {
    "pudong": ("浦东新区", 568.15, 36, 1210.4, "near_suburb"),
    "huangpu": ("黄浦区", 66.20, 10, 20.5, "central"),
    "xuhui": ("徐汇区", 111.31, 13, 54.8, "central"),
    "changning": ("长宁区", 69.31, 10, 38.3, "central"),
    "jingan": ("静安区", 97.57, 14, 36.9, "central"),
    "putuo": ("普陀区", 123.98, 10, 54.8, "central"),
    "hongkou": ("虹口区", 75.74, 8, 23.5, "central"),
    "yangpu": ("杨浦区", 124.25, 12, 60.7, "central"),
    "minhang": ("闵行区", 265.35, 14, 370.8, "near_suburb"),
    "baoshan": ("宝山区", 223.52, 12, 271.0, "near_suburb"),
    "jiading": ("嘉定区", 183.43, 10, 464.2, "near_suburb"),
    "jinshan": ("金山区", 82.28, 10, 586.1, "far_suburb"),
    "songjiang": ("松江区", 190.97, 17, 605.6, "far_suburb"),
    "qingpu": ("青浦区", 127.14, 11, 670.1, "far_suburb"),
    "fengxian": ("奉贤区", 114.09, 11, 687.4, "far_suburb"),
    "chongming": ("崇明区", 63.79, 18, 1185.5, "far_suburb"),
}
PRESET_OF_KIND = {"central": "d_street", "near_suburb": "c_town", "far_suburb": "n_town",
                  "village": "n_town"}


def shanghai_streets(scale: float) -> tuple[list[dict[str, Any]], str]:
    """The districts of the city spec: from the Shanghai city table (generated towns, each
    district's residents and area shared out over its streets by the table's kind-of-place
    split), else from the stand-in (presets by kind of place); and where they come from."""
    try:
        from institutions.cities import load_city_table, street_specs
    except ImportError:
        load_city_table = None
    if load_city_table is not None and SHANGHAI.is_file():
        table = load_city_table("shanghai")
        districts = []
        for d in table.districts:
            streets = [{"id": f"{d.id}_{i + 1:02d}", "name": town.name, "scale": scale,
                        "town": town.model_dump(exclude={"name"})}
                       for i, town in enumerate(street_specs(table, d.id))]
            districts.append({"id": d.id, "name_zh": d.name_zh, "streets": streets})
        return districts, f"{SHANGHAI.relative_to(ROOT)}; streets: generated towns"
    from institutions.loading import load_preset

    preset_pop = {p: load_preset(p).population for p in set(PRESET_OF_KIND.values())}
    districts = []
    for did, (name_zh, pop, count, _area, kind) in STAND_IN.items():
        people = pop * 10_000 / count
        preset = PRESET_OF_KIND[kind]
        districts.append({"id": did, "name_zh": name_zh, "streets": [
            {"id": f"{did}_{i + 1:02d}", "preset": preset, "scale": scale * people / preset_pop[preset]}
            for i in range(count)]})
    return districts, "stand-in (2020 census populations, approximate street counts); presets"


def city_spec(scale: float, days: int, period_days: int) -> tuple[Any, str]:
    """The benchmark's city spec at ``scale``, and where its districts come from."""
    from institutions.city_spec import CitySpec

    districts, origin = shanghai_streets(scale)
    spec = CitySpec.model_validate({
        "name": f"Shanghai at scale {scale:g}", "seed": 1, "days": days,
        "period_days": period_days, "districts": districts,
        "ranking": {"enabled": True}, "summoning": {"enabled": True},
        "departments": [{"id": "traffic_police", "level": "district", "officers": 400}]})
    return spec, origin


class MemorySampler:
    """The peak of the RSS of this process and all its children, summed, sampled in a thread."""

    def __init__(self, every: float = 0.2) -> None:
        self.every, self.peak, self._stop = every, 0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        me = psutil.Process()
        while not self._stop.is_set():
            total = 0
            for proc in [me, *me.children(recursive=True)]:
                with contextlib.suppress(psutil.Error):
                    total += proc.memory_info().rss
            self.peak = max(self.peak, total)
            self._stop.wait(self.every)

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


@contextlib.contextmanager
def limited_cluster(workers: int, memory_limit: str | None) -> Any:
    """The address of a local cluster of ``workers`` single-threaded processes with
    ``memory_limit`` each, stopped on exit; None (run_city starts its own) without a limit."""
    if memory_limit is None:
        yield None
        return
    import dask
    from distributed import LocalCluster

    # A street lives in its worker's memory outside Dask's managed data, so a worker past Dask's
    # pause threshold (80%) would wait for memory that never frees: no pause, only the nanny's
    # restart at 95% (its streets are then loaded from their checkpoints on the others).
    with dask.config.set({"distributed.worker.memory.pause": False}), \
            LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                         memory_limit=memory_limit, dashboard_address=None) as cluster:
        yield cluster.scheduler_address


def _peak_rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=0.01)
    parser.add_argument("--workers", type=int, default=2, help="0: in this process, no Dask")
    parser.add_argument("--days", type=int, default=360)
    parser.add_argument("--period-days", type=int, default=30)
    parser.add_argument("--checkpoint-every", type=int, default=1, help="periods between checkpoints")
    parser.add_argument("--out", type=Path, default=None, help="run folder (default: a temporary one)")
    parser.add_argument("--memory-limit", default=None,
                        help="a local cluster of --workers processes with this memory each (e.g. 600MB)")
    args = parser.parse_args()

    from experiments import city_run
    from experiments.city_run import run_city

    spec, origin = city_spec(args.scale, args.days, args.period_days)
    streets = len(spec.streets())
    out = args.out or Path(tempfile.mkdtemp(prefix="city_bench_")) / "city"
    marks: dict[str, float] = {}
    worker_peaks: dict[str, int] = {}

    period_ends: list[float] = []
    used: set[str] = set()
    last_street: list[float] = [0.0]

    def progress(p: city_run.CityProgress) -> None:
        if p.street is not None:
            last_street[0] = time.perf_counter()
            return
        period_ends.append(time.perf_counter())
        if p.period == 0:
            marks["built"] = time.perf_counter()
        elif last_street[0]:  # from the period's last street to its end: tables and state
            marks["sync"] = marks.get("sync", 0.0) + period_ends[-1] - last_street[0]
        if args.workers != 0:
            from distributed import default_client

            client = default_client()
            used.update(client.scheduler_info()["workers"])  # a restarted worker: a new address
            if p.periods_done == p.periods_total:
                worker_peaks.update(client.run(_peak_rss))

    started = time.perf_counter()
    with MemorySampler() as memory, limited_cluster(args.workers, args.memory_limit) as address:
        counts = run_city(spec, out, workers=None if address else args.workers, scheduler=address,
                          checkpoint_every=args.checkpoint_every, progress=progress)
    ended = time.perf_counter()
    built = marks.get("built", started)
    years = args.days / 365
    checkpoint_bytes = sum(f.stat().st_size for f in (out / city_run.CHECKPOINTS).rglob("*.pkl"))
    latest = sum(f.stat().st_size for d in (out / city_run.CHECKPOINTS).iterdir()
                 for f in sorted(d.glob("*.pkl"))[-1:])
    people = sum(m for m in city_run.read_state(out)["populations"].values())
    print(f"city: {spec.name}, {streets} streets, {people:,} residents ({origin})")
    print(f"workers: {args.workers}, periods: {counts.periods_done} of {args.period_days} days, "
          f"a checkpoint every {args.checkpoint_every}")
    print(f"build (cluster start and every street built and checkpointed): {built - started:.1f} s")
    print(f"run ({args.days} days): {ended - built:.1f} s")
    print(f"time per street-year: {(ended - built) / (streets * years):.3f} s wall, "
          f"{(ended - built) * max(1, args.workers) / (streets * years):.3f} s of a worker")
    periods = [b - a for a, b in itertools.pairwise(period_ends)]
    if periods:
        print(f"time per period: mean {sum(periods) / len(periods):.1f} s, longest "
              f"{max(periods):.1f} s; writing tables and state at the sync points: "
              f"{marks.get('sync', 0.0):.1f} s in all")
    if args.workers:
        print(f"worker processes that ran a street: {len(used)} "
              f"({len(used) - args.workers} started again after a worker was lost)")
    if worker_peaks:
        for addr, peak in sorted(worker_peaks.items()):
            print(f"peak memory, worker {addr}: {peak / 2**20:,.0f} MB")
    print(f"peak memory, driver: {_peak_rss() / 2**20:,.0f} MB")
    print(f"peak memory, in all (RSS summed over the process tree): {memory.peak / 2**20:,.0f} MB")
    print(f"checkpoints: {latest / 2**20:,.1f} MB for the last period, "
          f"{checkpoint_bytes / 2**20:,.1f} MB on disk")
    if args.out is None:
        shutil.rmtree(out.parent, ignore_errors=True)


if __name__ == "__main__":
    main()
