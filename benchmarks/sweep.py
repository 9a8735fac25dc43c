"""Sweep throughput and peak memory: ``mesa.batch_run``, the EMA Workbench and ``gridgov sweep``.

The same model, design and replications three ways, each in a fresh process tree whose memory is
sampled every 0.1 s (PSS, so pages a forked child shares with its parent count once; RSS as
well). The design: assessment kind (4) x assessment stakes (5 levels) = 20 points, each run
``runs / 20`` times with the same seeds (common random numbers) everywhere. At the end the three
results are compared run by run.

    .venv/bin/python benchmarks/sweep.py                 # 400 runs, a few minutes on 2 cores
    .venv/bin/python benchmarks/sweep.py --runs 2000     # the figure the issue asks about
    .venv/bin/python benchmarks/sweep.py --runs 2000 --repeat 3   # medians over three rounds

- mesa: ``mesa.batch_run(number_processes=2)`` on a thin subclass of the model that puts
  ``metrics()`` in its DataCollector at the end of the run;
- ema: ``MultiprocessingEvaluator(n_processes=2)`` on a function running the model;
- gridgov: ``gridgov sweep SPEC --workers 2`` (a Dask LocalCluster, results streamed to Parquet).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import mesa
import pandas as pd

from coordination import JointEnforcementModel

ASSESSMENTS = ["outcome_subjective", "centre_process", "department_kpis", "public_ranking"]
STAKES = [0.0, 6.0, 12.0, 18.0, 24.0]
OUTPUTS = ["cases_reported", "cases_closed", "declines", "injuries", "real_resolution_rate"]
BIN = Path(sys.executable).parent


def seeds(reps: int) -> list[int]:
    from experiments.sweep import run_seed

    return [run_seed(1, r, "") for r in range(reps)]


# --- mesa.batch_run ------------------------------------------------------------------------------

class MetricsAtEnd(JointEnforcementModel):
    """The model, with ``metrics()`` as its DataCollector's record at the end of the run."""

    def __init__(self, days: int = 30, **kwargs) -> None:
        super().__init__(**kwargs)
        self.end, self.final = 24 * days, {}
        self.datacollector = mesa.DataCollector(
            model_reporters={o: (lambda m, o=o: m.final.get(o)) for o in OUTPUTS})

    def step(self) -> None:
        super().step()
        if self.time >= self.end and not self.final:
            self.final = self.metrics()
            self.running = False
            self.datacollector.collect(self)


def run_mesa(reps: int, days: int, scale: float, out: Path) -> None:
    rows = mesa.batch_run(MetricsAtEnd, {"institutions__assessment__kind": ASSESSMENTS,
                                         "institutions__assessment__stakes": STAKES,
                                         "scale": scale, "days": days},
                          number_processes=2, max_steps=24 * days, data_collection_period=-1,
                          display_progress=False, rng=seeds(reps))
    frame = pd.DataFrame(rows).rename(columns={"institutions__assessment__kind": "assessment",
                                               "institutions__assessment__stakes": "stakes",
                                               "iteration": "replication"})
    frame[["assessment", "stakes", "replication", *OUTPUTS]].to_csv(out, index=False)


# --- EMA Workbench -------------------------------------------------------------------------------

def ema_run(assessment: str, stakes: float, replication: int, seed: int, days: int, scale: float) -> dict:
    from experiments.replications import run_metrics
    from institutions import load_preset, with_overrides

    cfg = with_overrides(load_preset("n_town"), {"institutions.assessment.kind": assessment,
                                                 "institutions.assessment.stakes": float(stakes)})
    metrics = run_metrics(cfg, days=days, scale=scale, seed=int(seed))
    return {o: float(metrics[o]) for o in OUTPUTS}


def run_ema(reps: int, days: int, scale: float, out: Path) -> None:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from ema_workbench import (
            CategoricalParameter,
            Constant,
            IntegerParameter,
            Model,
            MultiprocessingEvaluator,
            Sample,
            ScalarOutcome,
            perform_experiments,
        )
    model = Model("gridgov", function=ema_run)
    model.uncertainties = [CategoricalParameter("assessment", ASSESSMENTS),
                           CategoricalParameter("stakes", STAKES),
                           IntegerParameter("replication", 0, max(reps - 1, 1)),
                           IntegerParameter("seed", 0, 2**62)]
    model.constants = [Constant("days", days), Constant("scale", scale)]
    model.outcomes = [ScalarOutcome(o) for o in OUTPUTS]
    the_seeds = seeds(reps)
    scenarios = [Sample(assessment=a, stakes=s, replication=r, seed=the_seeds[r])
                 for a in ASSESSMENTS for s in STAKES for r in range(reps)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with MultiprocessingEvaluator(model, n_processes=2) as evaluator:
            experiments, outcomes = perform_experiments(model, scenarios=scenarios, evaluator=evaluator)
    frame = pd.DataFrame({"assessment": experiments["assessment"].astype(str),
                          "stakes": experiments["stakes"].astype(float),
                          "replication": experiments["replication"].astype(int), **outcomes})
    frame.to_csv(out, index=False)


# --- gridgov sweep -------------------------------------------------------------------------------

def gridgov_spec(reps: int, days: int, scale: float) -> str:
    return (f"days = {days}\nscale = {scale}\nreplications = {reps}\nseed = 1\n"
            f"outputs = {json.dumps(OUTPUTS)}\n"
            f'[parameters."institutions.assessment.kind"]\nvalues = {json.dumps(ASSESSMENTS)}\n'
            f'[parameters."institutions.assessment.stakes"]\nvalues = {json.dumps(STAKES)}\n')


def gridgov_results(folder: Path, out: Path) -> None:
    from experiments.sweep_results import load_sweep

    _, runs = load_sweep(folder)
    frame = runs.rename(columns={"institutions.assessment.kind": "assessment",
                                 "institutions.assessment.stakes": "stakes"})
    frame[["assessment", "stakes", "replication", *OUTPUTS]].to_csv(out, index=False)


# --- measuring -----------------------------------------------------------------------------------

def measure(tool: str, args: list[str], cwd: Path, timeout: float) -> tuple[float, float, float, int | str]:
    """Run a command; its wall time, peak PSS and peak RSS (MiB, whole process tree), exit code
    (or "hung" if it was stopped after ``timeout`` seconds)."""
    import psutil

    started = time.perf_counter()
    log = (cwd / f"{tool}.stderr").open("w+b")
    # stderr to a file, never a pipe: a full pipe would stall a tool that prints progress
    proc = subprocess.Popen(args, cwd=cwd, stdout=subprocess.DEVNULL, stderr=log, start_new_session=True)
    root = psutil.Process(proc.pid)
    peak_pss = peak_rss = 0.0
    while proc.poll() is None:
        if time.perf_counter() - started > timeout:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            return time.perf_counter() - started, peak_pss / 2**20, peak_rss / 2**20, "hung"
        pss = rss = 0.0
        try:
            for p in [root, *root.children(recursive=True)]:
                try:
                    info = p.memory_full_info()
                    pss += info.pss
                    rss += info.rss
                except (psutil.NoSuchProcess, psutil.AccessDenied):
                    pass
        except psutil.NoSuchProcess:
            pass
        peak_pss, peak_rss = max(peak_pss, pss), max(peak_rss, rss)
        time.sleep(0.2)
    elapsed = time.perf_counter() - started
    if proc.returncode:
        log.seek(0)
        sys.stderr.write(log.read().decode(errors="replace")[-3000:])
    log.close()
    return elapsed, peak_pss / 2**20, peak_rss / 2**20, proc.returncode


def median(rows: list[tuple[float, float, float]], column: int) -> float:
    return statistics.median(row[column] for row in rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=400, help="runs per tool (a multiple of 20)")
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--scale", type=float, default=0.05)
    parser.add_argument("--tools", default="mesa,ema,gridgov")
    parser.add_argument("--repeat", type=int, default=1,
                        help="rounds, each running every tool once (figures: median, min, max)")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds before a tool counts as hung")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    a = parser.parse_args()
    points = len(ASSESSMENTS) * len(STAKES)
    reps = max(1, a.runs // points)
    if a.child == "mesa":
        run_mesa(reps, a.days, a.scale, a.out)
        return
    if a.child == "ema":
        run_ema(reps, a.days, a.scale, a.out)
        return
    runs = reps * points
    print(f"{runs} runs ({points} points x {reps} replications), N town at scale {a.scale}, "
          f"{a.days} days, 2 processes each")
    here = Path(__file__).resolve()
    results: dict[str, pd.DataFrame] = {}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "spec.toml").write_text(gridgov_spec(reps, a.days, a.scale), encoding="utf-8")
        size = ["--runs", str(a.runs), "--days", str(a.days), "--scale", str(a.scale)]
        commands = {
            "mesa": [sys.executable, str(here), "--child", "mesa", *size, "--out", str(work / "mesa.csv")],
            "ema": [sys.executable, str(here), "--child", "ema", *size, "--out", str(work / "ema.csv")],
            "gridgov": [str(BIN / "gridgov"), "sweep", str(work / "spec.toml"), "--out", str(work / "sweep"),
                        "--workers", "2", "--quiet"],
        }
        labels = {"mesa": "mesa.batch_run (2 processes)", "ema": "EMA MultiprocessingEvaluator (2)",
                  "gridgov": "gridgov sweep --workers 2"}
        tools = a.tools.split(",")
        figures: dict[str, list[tuple[float, float, float]]] = {t: [] for t in tools}
        print(f"{'round':<6}{'tool':<34}{'runs/s':>8}{'wall s':>9}{'peak PSS MiB':>14}{'peak RSS MiB':>14}")
        for round_ in range(1, a.repeat + 1):  # interleaved, so a drift in the machine hits every tool
            for tool in tools:
                if tool == "gridgov":
                    shutil.rmtree(work / "sweep", ignore_errors=True)
                elapsed, pss, rss, code = measure(tool, commands[tool], work, a.timeout)
                status = "" if code == 0 else f"  (hung: stopped after {a.timeout:g} s)" if code == "hung" \
                    else f"  (exit {code})"
                print(f"{round_:<6}{labels[tool]:<34}{runs / elapsed:>8.1f}{elapsed:>9.1f}{pss:>14.0f}"
                      f"{rss:>14.0f}{status}", flush=True)
                if code == 0:
                    figures[tool].append((runs / elapsed, pss, rss))
                    if tool == "gridgov":
                        gridgov_results(work / "sweep", work / "gridgov.csv")
                    results[tool] = pd.read_csv(work / f"{tool}.csv")
        if a.repeat > 1:
            print(f"\nmedian of {a.repeat} rounds (min to max)")
            for tool, rows in figures.items():
                if rows:
                    rate, pss, _ = zip(*rows, strict=True)
                    print(f"{labels[tool]:<34}{median(rows, 0):>8.1f} runs/s ({min(rate):.1f} to "
                          f"{max(rate):.1f}){median(rows, 1):>8.0f} MiB PSS ({min(pss):.0f} to "
                          f"{max(pss):.0f})")
        ours = figures.get("gridgov")
        for tool in (t for t in tools if t != "gridgov" and figures[t] and ours):
            rate = median(ours, 0) / median(figures[tool], 0)
            pss = median(ours, 1) / median(figures[tool], 1)
            print(f"gridgov / {tool}: throughput x{rate:.2f}, peak PSS x{pss:.2f}")
    keys = ["assessment", "stakes", "replication"]
    frames = {t: f.sort_values(keys).reset_index(drop=True) for t, f in results.items()}
    if len(frames) > 1:
        first, *others = frames
        same = all(
            len(frames[t]) == len(frames[first]) and all(
                math.isclose(x, y, rel_tol=1e-9) or (math.isnan(x) and math.isnan(y))
                for c in OUTPUTS for x, y in zip(frames[t][c], frames[first][c], strict=True))
            for t in others)
        print(f"same results run by run ({', '.join(frames)}): {'yes' if same else 'NO'}")


if __name__ == "__main__":
    main()
