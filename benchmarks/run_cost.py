"""The CPU cost of a run, the figures behind the command line's bound on work (``gridgov.cli_common``).

Each preset is built, run for ``--days`` days and its metrics taken, at 1:100 and at 1:1, in this
process on one core, the better of ``--repeat`` tries; CPU time (``time.process_time``, which
other load on the machine disturbs less than wall time) is split into

- the build, per resident of the town at 1:1 (``BUILD_SECONDS_PER_RESIDENT``);
- a day of the town at 1:100, nearly all of it what does not grow with the population: grids,
  staff, meetings (``SECONDS_PER_DAY``);
- a day at 1:1 less a day at 1:100, per resident (``SECONDS_PER_RESIDENT_DAY``).

It prints each preset's figures and, last, the largest of each over the presets, which
``gridgov.cli_common`` rounds up: the estimate is of the costliest town, so that it errs on the
side of too much. Dongcheng, with a stock of minor disorder found on every round, costs about
fifteen times as much per resident-day as N town.

With ``--memory``: the peak memory (``ru_maxrss``) of a fresh process per preset at 1:5, after
the import (``BYTES_PER_PROCESS``), the build (per resident, ``BYTES_PER_RESIDENT``) and 10 and
120 simulated days (the difference per resident-day, ``BYTES_PER_RESIDENT_DAY``).

Measured on this project's 2-core machine (AMD EPYC, Python 3.12), December 2026: build 1.9 to
2.2 µs per resident, up to 5.0 ms per day (Dongcheng), 0.03 (Zhoushan) to 0.79 µs (Dongcheng) per
resident-day, N town 0.05; memory 170 MB a process, 230 to 350 bytes per resident, 0.5 (Zhoushan)
to 5.3 bytes (Dongcheng) per resident-day.

Usage:
    .venv/bin/python benchmarks/run_cost.py [--days 30] [--repeat 2] [--presets n_town dongcheng]
    .venv/bin/python benchmarks/run_cost.py --memory
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

from coordination import JointEnforcementModel
from institutions import HOURS_PER_DAY, list_presets, load_preset


def measure(preset: str, scale: float, days: int) -> tuple[float, float]:
    """CPU seconds of the build (with the metrics) and of the days, for one run."""
    cfg = load_preset(preset)
    t0 = time.process_time()
    model = JointEnforcementModel(cfg, scale=scale, rng=1)
    t1 = time.process_time()
    model.run_for(HOURS_PER_DAY * days)
    t2 = time.process_time()
    model.metrics()
    t3 = time.process_time()
    return (t1 - t0) + (t3 - t2), t2 - t1


MEMORY = r"""
import resource, sys
from coordination import JointEnforcementModel
from institutions import HOURS_PER_DAY, load_preset
preset, scale, days = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
rss = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
imported = rss()
model = JointEnforcementModel(load_preset(preset), scale=scale, rng=1)
built = rss()
model.run_for(HOURS_PER_DAY * days)
model.metrics()
print(imported, built - imported, rss() - built)
"""


def memory(presets: list[str], scale: float = 0.2) -> None:
    """Peak memory of a fresh process per preset: import, build, 10 and 120 days."""
    worst = {"process": 0.0, "resident": 0.0, "resident_day": 0.0}
    print(f"{'preset':<10} {'import MB':>9} {'B/resident':>11} {'B/resident-day':>15}")
    for preset in presets:
        people = load_preset(preset).population * scale
        figures = []
        for days in (10, 120):
            out = subprocess.run([sys.executable, "-c", MEMORY, preset, str(scale), str(days)],
                                 capture_output=True, text=True, check=True).stdout.split()
            figures.append([float(x) for x in out])
        (imported, built, short), (_, _, long) = figures
        per_day = max(0.0, long - short) / (people * 110)
        for key, value in (("process", imported), ("resident", built / people),
                           ("resident_day", per_day)):
            worst[key] = max(worst[key], value)
        print(f"{preset:<10} {imported / 1e6:>9.0f} {built / people:>11.0f} {per_day:>15.2f}")
    print(f"largest: {worst['process'] / 1e6:.0f} MB a process, {worst['resident']:.0f} bytes per "
          f"resident, {worst['resident_day']:.2f} bytes per resident-day")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--presets", nargs="+", default=list_presets())
    parser.add_argument("--memory", action="store_true", help="peak memory instead of CPU time")
    args = parser.parse_args()
    if args.memory:
        memory(args.presets)
        return
    measure("n_town", 0.01, 2)  # warm-up: imports settled, caches filled
    worst = {"build": 0.0, "day": 0.0, "resident_day": 0.0}
    print(f"{'preset':<10} {'residents':>9} {'build µs/resident':>18} {'ms/day at 1:100':>16} "
          f"{'µs/resident-day':>16}")
    for preset in args.presets:
        people = load_preset(preset).population
        small = min((measure(preset, 0.01, args.days) for _ in range(args.repeat)), key=sum)
        full = min((measure(preset, 1.0, args.days) for _ in range(args.repeat)), key=sum)
        build = full[0] / people
        day = small[1] / args.days
        resident_day = max(0.0, full[1] / args.days - day) / (0.99 * people)
        for key, value in (("build", build), ("day", day), ("resident_day", resident_day)):
            worst[key] = max(worst[key], value)
        print(f"{preset:<10} {people:>9,} {build * 1e6:>18.2f} {day * 1e3:>16.2f} "
              f"{resident_day * 1e6:>16.3f}")
    print(f"largest: build {worst['build'] * 1e6:.2f} µs per resident, {worst['day'] * 1e3:.2f} ms "
          f"per day, {worst['resident_day'] * 1e6:.3f} µs per resident-day")


if __name__ == "__main__":
    main()
