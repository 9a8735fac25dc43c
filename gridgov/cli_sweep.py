"""``gridgov sweep`` and ``gridgov analyze``: batch sweeps over institutional settings, and what
they show (per-point means with intervals, Sobol' indices, Morris effects, PRIM boxes, charts).

Example:
    >>> from typer.testing import CliRunner
    >>> from gridgov.cli import app
    >>> result = CliRunner().invoke(app, ["analyze", "no/such/sweep"])
    >>> result.exit_code
    2
"""

from __future__ import annotations

import json
import math
import urllib.parse
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from experiments.designs import levels
from experiments.output import sigterm_as_interrupt, write_atomic
from experiments.sweep import FLUSH_RUNS, FLUSH_SECONDS, SweepCounts, SweepError, run_sweep
from experiments.sweep_results import ANALYSIS_DIR, load_sweep, point_summary
from experiments.sweep_spec import SweepSpec, load_spec
from gridgov.cli_common import (
    MAX_WORKERS,
    MaxHours,
    Work,
    as_text,
    bad_input,
    check_number,
    check_whole,
    check_work,
    cores,
    err,
    error_exit,
    printable,
    progress_bar,
)
from institutions import ConfigError

SCHEDULER_SCHEMES = ("tcp", "tls", "ws", "wss", "ucx")
"""The protocols of a Dask scheduler's address that a sweep can reach from another process."""
MAX_FLUSH_RUNS = 1_000_000
MAX_FLUSH_SECONDS = 86_400.0
MAX_CHUNK = 100_000
MAX_ROWS = 100_000


def check_scheduler(address: str, option: str = "--scheduler") -> str:
    """A Dask scheduler's address, ``[PROTOCOL://]HOST:PORT``; :class:`ConfigError` if it is not one.

    Example:
        >>> check_scheduler("tcp://10.0.0.5:8786")
        'tcp://10.0.0.5:8786'
        >>> check_scheduler("not-a-url")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        institutions.errors.ConfigError: --scheduler: 'not-a-url' is not a Dask ... (no port); ...
    """
    def refuse(why: str) -> ConfigError:
        return ConfigError(f"{option}: '{address}' is not a Dask scheduler address ({why}); give "
                           f"PROTOCOL://HOST:PORT with PROTOCOL one of {', '.join(SCHEDULER_SCHEMES)}, "
                           "for example tcp://10.0.0.5:8786")

    if not isinstance(address, str) or not address.strip():
        raise refuse("empty")
    scheme, sep, rest = address.strip().partition("://")
    if not sep:
        scheme, rest = "tcp", address.strip()
    if scheme not in SCHEDULER_SCHEMES:
        raise refuse(f"protocol '{scheme}'")
    parts = urllib.parse.urlsplit("//" + rest)
    try:
        port = parts.port
    except ValueError:
        raise refuse("the port is not a number from 1 to 65535") from None
    if not parts.hostname or parts.path or parts.query or parts.fragment or parts.username:
        raise refuse("not HOST:PORT")
    if port is None:
        raise refuse("no port")
    if not 1 <= port <= 65535:
        raise refuse("the port is not a number from 1 to 65535")
    return address.strip()


def check_scheduler_file(path: Path) -> str:
    """The address in the JSON file a Dask scheduler wrote (``--scheduler-file``)."""
    if not path.is_file():
        what = "is a folder" if path.is_dir() else "does not exist"
        raise ConfigError(f"--scheduler-file: '{path}' {what}; give the file the scheduler wrote "
                          "(dask scheduler --scheduler-file FILE)")
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ConfigError(f"--scheduler-file: '{path}' is not the JSON file a Dask scheduler writes "
                          f"({type(exc).__name__}: {exc}); give the file of "
                          "dask scheduler --scheduler-file FILE") from None
    address = info.get("address") if isinstance(info, dict) else None
    if not isinstance(address, str):
        raise ConfigError(f"--scheduler-file: '{path}' has no \"address\" of a scheduler; give the "
                          "file of dask scheduler --scheduler-file FILE")
    return check_scheduler(address, option=f"--scheduler-file: '{path}': address")


def design_runs(spec: SweepSpec) -> int:
    """The runs of a spec's design (points x replications), counted without building it."""
    d, n = len(spec.parameters), spec.design.samples or 1
    match spec.design.kind:
        case "factorial":
            points = math.prod(len(levels(p)) for p in spec.parameters.values())
        case "sobol":
            points = n * (2 * d + 2 if spec.design.second_order else d + 2)
        case "morris":
            points = n * (d + 1)
        case _:
            points = n
    return points * spec.replications


class _RateColumn(ProgressColumn):
    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:.1f} runs/s" if speed else "… runs/s", style="progress.data.speed")


def sweep(
    spec: Annotated[Path, typer.Argument(help="The sweep spec, a TOML file (docs/sweeps.md).")],
    out: Annotated[Path, typer.Option(help="Folder for manifest.json, design.parquet and "
                                           "runs/part-*.parquet.")],
    workers: Annotated[int | None, typer.Option(help="Worker processes of a local Dask cluster "
                                                     "(default: one per core; 0: in this process, "
                                                     f"without Dask; at most {MAX_WORKERS}).")] = None,
    scheduler: Annotated[str | None, typer.Option(help="Address of a running Dask scheduler, "
                                                       "e.g. tcp://10.0.0.5:8786.")] = None,
    scheduler_file: Annotated[Path | None, typer.Option(help="The file a running Dask scheduler "
                                                             "wrote (--scheduler-file).")] = None,
    resume: Annotated[bool, typer.Option(help="Finish the sweep in --out: skip the runs present.")] = False,
    flush_runs: Annotated[int, typer.Option(help="Turn the journal into a Parquet part file every "
                                                 "this many runs ...")] = FLUSH_RUNS,
    flush_seconds: Annotated[float, typer.Option(help="... or this many seconds.")] = FLUSH_SECONDS,
    chunk: Annotated[int | None, typer.Option(help="Runs sent to a worker at a time (default: "
                                                   "about a second's worth).")] = None,
    quiet: Annotated[bool, typer.Option(help="No progress bar.")] = False,
    max_hours: MaxHours = None,
) -> None:
    """Run a sweep: every design point x replication, in parallel, streamed into Parquet.

    Example: gridgov sweep examples/sweeps/assessment_authority.toml --out sweeps/aa --workers 2
    """
    try:
        if workers is not None:
            check_whole("--workers", workers, 1, MAX_WORKERS, zero="in this process, without Dask")
        if scheduler is not None:
            check_scheduler(scheduler)
        if scheduler_file is not None:
            check_scheduler_file(scheduler_file)
        check_whole("--flush-runs", flush_runs, 1, MAX_FLUSH_RUNS)
        check_number("--flush-seconds", flush_seconds, 0.0, MAX_FLUSH_SECONDS, low_open=True,
                     what="a number of seconds")
        if chunk is not None:
            check_whole("--chunk", chunk, 1, MAX_CHUNK)
        the_spec, base = load_spec(spec)
        runs = design_runs(the_spec)
        check_work(Work(runs, the_spec.days, base.population * the_spec.scale), max_hours=max_hours,
                   workers=(cores() if workers is None else workers) or 1,
                   asked=f"sweep '{spec}': the design's {runs:,} runs")
    except ConfigError as exc:
        raise bad_input(str(exc)) from None
    columns = (BarColumn(), MofNCompleteColumn(), TextColumn("[red]{task.fields[failed]} failed"),
               _RateColumn(), TimeElapsedColumn(), TextColumn("left"), TimeRemainingColumn())
    latest = SweepCounts(total=0)

    try:
        with sigterm_as_interrupt(), progress_bar("sweep", quiet=quiet, columns=columns) as bar:

            def report(counts: SweepCounts) -> None:
                nonlocal latest
                latest = counts
                bar(counts.done, counts.total - counts.skipped, failed=counts.failed)

            counts = run_sweep(the_spec, base, out, workers=workers, scheduler=scheduler,
                               scheduler_file=scheduler_file, resume=resume, flush_runs=flush_runs,
                               flush_seconds=flush_seconds, chunk=chunk, progress=report)
    except ConfigError as exc:
        raise bad_input(str(exc)) from None
    except SweepError as exc:
        raise error_exit(str(exc), 1) from None
    except KeyboardInterrupt:
        err.print(as_text(f"interrupted: {latest.done} runs of this session written to {out}/runs; "
                          "finish with --resume"), highlight=False)
        raise typer.Exit(code=130) from None
    err.print(as_text(f"{counts.done} runs done ({counts.failed} failed), {counts.skipped} already "
                      f"present, of {counts.total}; results in {out}/runs. Next: gridgov analyze {out}"),
              highlight=False, soft_wrap=True)


def _cell(mean: float, low: float, high: float) -> str:
    if not math.isfinite(mean):
        return "–"
    return f"{mean:.3g} [{low:.3g}, {high:.3g}]" if math.isfinite(low) else f"{mean:.3g}"


def _print_points(summary: pd.DataFrame, params: list[str], outputs: list[str], limit: int) -> None:
    """One table per output: the design points (up to ``limit``), runs, mean and 95% interval."""
    points = list(dict.fromkeys(summary["point_id"]))[:limit]
    shown = summary[summary["point_id"].isin(points)]
    console = Console(width=max(Console().width, 100))
    for output in outputs:
        table = Table(title=as_text(f"{output}: mean and 95% interval over replications "
                                    f"({len(points)} of {summary['point_id'].nunique()} design points)"))
        for name in [*params, "runs", "failed", "mean", "95% interval"]:
            table.add_column(as_text(name), justify="left" if name in params else "right")
        for r in shown[shown["output"] == output].to_dict("records"):
            interval = (f"{r['ci_low']:.4g} to {r['ci_high']:.4g}" if math.isfinite(r["ci_low"]) else "–")
            mean = f"{r['mean']:.4g}" if math.isfinite(r["mean"]) else "–"
            table.add_row(*(_value(r[p]) for p in params), str(r["n"]), str(r["failed"]), mean, interval)
        console.print(table)


def _value(v: Any) -> Text:
    return as_text(f"{v:.4g}" if isinstance(v, float) else v)


def _save_csv(folder: Path, name: str, frame: pd.DataFrame) -> Path:
    path = folder / ANALYSIS_DIR / name
    write_atomic(path, lambda tmp: frame.to_csv(tmp, index=False))
    return path


def analyze(
    folder: Annotated[Path, typer.Argument(help="The --out folder of a `gridgov sweep`.")],
    output: Annotated[list[str] | None, typer.Option("--output", help="An output to analyse "
                                                     "(repeat); default: all of the sweep's.")] = None,
    sobol: Annotated[bool, typer.Option(help="Sobol' indices (design kind 'sobol').")] = False,
    morris: Annotated[bool, typer.Option(help="Morris effects (design kind 'morris').")] = False,
    prim: Annotated[bool, typer.Option(help="PRIM box where --failure concentrates "
                                            "(needs gridgov[ema]).")] = False,
    failure: Annotated[str | None, typer.Option(help="The failure for --prim: OUTPUT>NUMBER, "
                                                     "e.g. 'injuries>5'.")] = None,
    density: Annotated[float, typer.Option(help="--prim: least share of failures in the box.")] = 0.8,
    plots: Annotated[bool, typer.Option(help="Write PNG charts to DIR/analysis.")] = False,
    rows: Annotated[int, typer.Option(help=f"Design points shown in the table (1 to {MAX_ROWS:,}).")] = 20,
) -> None:
    """Summarise a sweep: per design point, each output's mean and 95% interval over replications.

    Tables go to DIR/analysis/*.csv as well. Example: gridgov analyze sweeps/aa --prim --failure 'injuries>2'
    """
    from experiments import sensitivity

    try:
        check_whole("--rows", rows, 1, MAX_ROWS)
        check_number("--density", density, 0.0, 1.0, low_open=True, what="a share of failures")
        manifest, runs = load_sweep(folder)
        outputs = list(manifest["spec"]["outputs"])
        for name in output or []:
            if name not in outputs:
                raise ConfigError(f"--output: '{name}' is not an output of this sweep; "
                                  f"allowed: {', '.join(outputs)}")
        outputs = list(output or outputs)
        if runs.empty:
            raise ConfigError(f"sweep folder: '{folder}' has no finished runs yet")
        if prim and failure is None:
            raise ConfigError("--prim needs --failure OUTPUT>NUMBER, e.g. --failure 'injuries>5'; "
                              f"outputs of this sweep: {', '.join(outputs)}")
        the_failure = sensitivity.parse_failure(failure) if failure is not None else None
        params = list(manifest["spec"]["parameters"])
        summary = point_summary(runs, outputs)
        failed = int(runs["error"].notna().sum())
        total = manifest.get("runs_total", len(runs))
        typer.echo(printable(f"{len(runs)} of {total} runs present ({failed} failed), "
                             f"{summary['point_id'].nunique()} design points."))
        _print_points(summary, params, outputs, rows)
        written = [_save_csv(folder, "point_summary.csv", summary)]
        results: dict[str, Any] = {"summary": summary}
        if sobol:
            indices = sensitivity.sobol_indices(manifest, runs, outputs)
            noise = sensitivity.replication_noise(runs, outputs)
            _print_indices(indices, noise)
            written += [_save_csv(folder, "sobol.csv", indices), _save_csv(folder, "noise.csv", noise)]
            results["sobol"] = indices
        if morris:
            effects = sensitivity.morris_effects(manifest, runs, outputs)
            _print_frame("Morris effects (change over each parameter's whole range)", effects)
            written.append(_save_csv(folder, "morris.csv", effects))
            results["morris"] = effects
        if prim and the_failure is not None:
            found = sensitivity.prim_box(runs, the_failure, density)
            _print_prim(found)
            written += [_save_csv(folder, "prim_box.csv", found.limits.astype(str)),
                        _save_csv(folder, "prim_trajectory.csv", found.trajectory)]
            results["prim"] = found
    except ConfigError as exc:
        raise bad_input(str(exc)) from None
    if plots:
        from experiments.sweep_plots import write_plots

        written += write_plots(folder / ANALYSIS_DIR, runs, results, params, outputs)
    typer.echo(printable("written: " + ", ".join(str(p) for p in written)))


def _print_frame(title: str, frame: pd.DataFrame) -> None:
    table = Table(title=as_text(title))
    for col in frame.columns:
        table.add_column(as_text(col), justify="right" if pd.api.types.is_numeric_dtype(frame[col])
                         else "left")
    for row in frame.itertuples(index=False):
        table.add_row(*(as_text(f"{v:.3g}" if isinstance(v, float) else v) for v in row))
    Console().print(table)


def _print_indices(indices: pd.DataFrame, noise: pd.DataFrame) -> None:
    table = Table(title="Sobol' indices, with 95% bootstrap intervals")
    for col in ("output", "parameter", "S1", "ST"):
        table.add_column(col, justify="left" if col in ("output", "parameter") else "right")
    for r in indices.itertuples(index=False):
        table.add_row(as_text(r.output), as_text(r.parameter), _cell(r.S1, r.S1_low, r.S1_high),
                      _cell(r.ST, r.ST_low, r.ST_high))
    Console().print(table)
    shares = ", ".join(f"{r.output} {r.noise_share:.0%}" for r in noise.itertuples(index=False)
                       if math.isfinite(r.noise_share))
    typer.echo(printable(f"share of variance that is replication noise: {shares or '–'}"))


def _print_prim(found: Any) -> None:
    s = found.stats
    if int(s["res_dim"]) == 0:
        typer.echo(printable(f"PRIM found no box for {found.failure}: the failures do not "
                             "concentrate in any region of the parameters (share of failing runs "
                             f"overall: {s['density']:.0%})."))
        return
    typer.echo(f"PRIM box for {found.failure}: coverage {s['coverage']:.0%} (of failures), "
               f"density {s['density']:.0%} (failures in the box), mass {s['mass']:.0%} of runs, "
               f"{int(s['res_dim'])} restricted parameter(s):")
    for r in found.limits.to_dict("records"):
        inside = (f"one of {', '.join(r['values'])}" if r["values"] is not None
                  else f"{r['min']:.4g} to {r['max']:.4g}")
        typer.echo(printable(f"  {r['parameter']}: {inside}"))
