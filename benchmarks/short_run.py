"""The short run that sweeps are made of, before and after: a baseline revision against the working tree.

Measures ``JointEnforcementModel(preset="n_town", scale=0.05, rng=seed)`` (N town at 1:20, 9,000
residents) run for 30 days (``model.run_for(24 * 30)``) and then ``model.metrics()``: the build,
run and metrics times and their sum, the time per run, each the median over ``--runs`` runs
(seeds 1..runs) after one warm-up run, in a fresh single-threaded child process on one core.

"Before" is the code of a baseline git revision (``--before``, by default feeef4c, the commit
before the case-log refactoring), checked out in a temporary ``git worktree`` (removed at the
end) and imported from there (the child reports the file it imported, and the benchmark checks
it); "after" is the working tree. The two alternate, before, after, before, after … for
``--rounds`` rounds, so that load on the machine falls on both alike; the table gives the median
over rounds with the range (min-max) of the rounds' medians, and the ratio before / after of
the time per run. It also says whether the seed-1 run's metrics are the same before and after.

With ``--year``: one year of N town at 1:1 (scale 1.0, 365 days, seed 1), before and after,
alternating for ``--rounds`` rounds: the wall time of build + run + metrics and the peak memory.

Usage:
    python benchmarks/short_run.py [--runs 30] [--rounds 3] [--before REV]
    python benchmarks/short_run.py --year [--rounds 2] [--before REV]

Goals: a short run's time at least 2x lower than before (ratio before / after >= 2);
a 1:1 year no slower than before (ratio >= 1).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SHORT = r"""
import json, statistics, sys, time
import coordination
from coordination import JointEnforcementModel

def one(seed):
    t0 = time.perf_counter()
    model = JointEnforcementModel(preset="n_town", scale=0.05, rng=seed)
    t1 = time.perf_counter()
    model.run_for(24 * 30)
    t2 = time.perf_counter()
    metrics = model.metrics()
    t3 = time.perf_counter()
    return dict(build=t1 - t0, run=t2 - t1, metrics=t3 - t2, per_run=t3 - t0), metrics, model

one(0)  # warm-up: imports settled, caches filled
times, first = [], None
for seed in range(1, {runs} + 1):
    t, metrics, model = one(seed)
    times.append(t)
    if seed == 1:
        first, residents = metrics, model.n_residents
print(json.dumps(dict(module=coordination.__file__, residents=residents,
                      figures=json.loads(json.dumps(first, default=str)),
                      **{{k: statistics.median(t[k] for t in times) for k in times[0]}})))
"""

YEAR = r"""
import json, resource, time
import coordination
from coordination import JointEnforcementModel
t0 = time.perf_counter()
model = JointEnforcementModel(preset="n_town", scale=1.0, rng={seed})
t1 = time.perf_counter()
model.run_for(24 * {days})
t2 = time.perf_counter()
metrics = model.metrics()
t3 = time.perf_counter()
print(json.dumps(dict(module=coordination.__file__, residents=model.n_residents,
                      figures=json.loads(json.dumps(metrics, default=str)),
                      build=t1 - t0, run=t2 - t1, metrics_s=t3 - t2, total=t3 - t0,
                      peak_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)))
"""

SHORT_ROWS = [("build", "build"), ("run", "run (30 days)"), ("metrics", "metrics"),
              ("per_run", "per run")]
YEAR_ROWS = [("build", "build (s)"), ("run", "run (s)"), ("metrics_s", "metrics (s)"),
             ("total", "build+run+metrics (s)"), ("peak_mb", "peak memory (MB)")]


def run_child(code: str, root: Path = ROOT) -> dict:
    """Run ``code`` in a fresh single-threaded process on one core, importing from ``root``;
    the last line it prints, as JSON (its ``module``, if it prints one, must be under ``root``)."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
           "MKL_NUM_THREADS": "1", "PYTHONPATH": str(root)}
    cmd = [sys.executable, "-c", code]
    if hasattr(os, "sched_setaffinity") and shutil.which("taskset") is not None:
        cmd = ["taskset", "-c", "0", *cmd]  # one core of the machine
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=root, check=False)
    if out.returncode != 0:
        raise SystemExit(f"the child importing from {root} failed:\n{out.stderr}")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    module = Path(result.get("module", root)).resolve()
    if not module.is_relative_to(root.resolve()):
        raise SystemExit(f"the child meant to import from {root} imported {module}")
    return result


def _git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True,
                          check=True).stdout.strip()


@contextmanager
def _worktree(rev: str):
    """The code of ``rev`` checked out in a temporary worktree, removed afterwards."""
    parent = Path(tempfile.mkdtemp(prefix="gridgov-before-"))
    path = parent / "tree"
    try:
        _git("worktree", "add", "--detach", str(path), rev)
        yield path
    finally:
        if path.exists():
            subprocess.run(["git", "worktree", "remove", "--force", str(path)], cwd=ROOT,
                           capture_output=True, check=False)
        subprocess.run(["git", "worktree", "prune"], cwd=ROOT, capture_output=True, check=False)
        shutil.rmtree(parent, ignore_errors=True)


def _interleaved(code: str, before: Path, rounds: int) -> tuple[list[dict], list[dict]]:
    results: tuple[list[dict], list[dict]] = ([], [])
    for i in range(rounds):
        for side, root in enumerate((before, ROOT)):
            results[side].append(run_child(code, root))
            label = ("before", "after")[side]
            print(f"  round {i + 1}/{rounds} {label:<6} done", file=sys.stderr, flush=True)
    return results


def _cell(values: list[float], scale: float, digits: int) -> str:
    v = [x * scale for x in values]
    return f"{statistics.median(v):.{digits}f} ({min(v):.{digits}f}-{max(v):.{digits}f})"


def _table(rows: list[tuple[str, str]], before: list[dict], after: list[dict], unit: str,
           scale: float, digits: int) -> None:
    print(f"  {'':<24}{f'before {unit}'.strip():>24}{f'after {unit}'.strip():>24}")
    for key, label in rows:
        s = scale if key != "peak_mb" else 1.0
        d = digits if key != "peak_mb" else 0
        print(f"  {label:<24}{_cell([r[key] for r in before], s, d):>24}"
              f"{_cell([r[key] for r in after], s, d):>24}")


def _same_metrics(before: dict, after: dict) -> str:
    common = sorted(set(before) & set(after))
    differ = [k for k in common if before[k] != after[k]]
    extra = f"; {len(set(after) - set(before))} metrics new, {len(set(before) - set(after))} gone"
    if differ:
        return f"no: {len(differ)} of {len(common)} differ ({', '.join(differ[:5])}){extra}"
    return f"yes, all {len(common)} in common{extra}"


def _ratio_line(key: str, before: list[dict], after: list[dict], goal: float, what: str,
                goal_text: str) -> None:
    b = statistics.median(r[key] for r in before)
    a = statistics.median(r[key] for r in after)
    paired = [x[key] / y[key] for x, y in zip(before, after, strict=True)]
    ratio = b / a
    met = "met" if ratio >= goal else "NOT met"
    print(f"  ratio before / after ({what}): {ratio:.2f}x  (rounds {min(paired):.2f}-"
          f"{max(paired):.2f}x)")
    print(f"  goal: {goal_text} (ratio >= {goal:g}): {met}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default="feeef4c", help="the baseline git revision")
    parser.add_argument("--runs", type=int, default=30, help="runs per child (seeds 1..runs)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds")
    parser.add_argument("--year", action="store_true", help="one 1:1 year of N town instead")
    parser.add_argument("--days", type=int, default=365, help="days of the --year run")
    args = parser.parse_args()

    rev = _git("rev-parse", "--short", args.before)
    subject = _git("log", "-1", "--format=%s", rev)
    head = _git("rev-parse", "--short", "HEAD")
    dirty = " + uncommitted changes" if _git("status", "--porcelain", "--untracked-files=no") else ""
    code = YEAR.format(seed=1, days=args.days) if args.year else SHORT.format(runs=args.runs)
    with _worktree(rev) as tree:
        before, after = _interleaved(code, tree, args.rounds)

    print(f"before: {rev} ({subject[:70]})")
    print(f"after:  working tree at {head}{dirty}")
    print(f"imported from: {Path(before[0]['module']).parent.parent} / "
          f"{Path(after[0]['module']).parent.parent}")
    if args.year:
        print(f"N town, scale 1.0 ({after[0]['residents']:,} residents), {args.days} days, seed 1, "
              f"one core; median (min-max) of {args.rounds} rounds")
        _table(YEAR_ROWS, before, after, "", 1.0, 2)
        _ratio_line("total", before, after, 1.0, "build+run+metrics",
                    "a 1:1 year no slower than before")
    else:
        print(f"N town, scale 0.05 ({after[0]['residents']:,} residents), 30 days; medians of "
              f"{args.runs} runs (seeds 1..{args.runs}) after a warm-up, one core;")
        print(f"median (min-max) over {args.rounds} rounds")
        _table(SHORT_ROWS, before, after, "ms", 1000.0, 1)
        _ratio_line("per_run", before, after, 2.0, "per-run time", "per-run time at least 2x lower")
    print(f"  same metrics (seed 1) before and after: "
          f"{_same_metrics(before[0]['figures'], after[0]['figures'])}")


if __name__ == "__main__":
    start = time.perf_counter()
    main()
    print(f"(benchmark wall time {time.perf_counter() - start:.1f} s)")
