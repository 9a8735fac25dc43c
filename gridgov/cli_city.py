"""``gridgov city``: a city (市) of streets and towns (街镇) run on Dask, and what it shows (the
league table of streets over time, 排名; the city's figures per period).

Example:
    >>> from typer.testing import CliRunner
    >>> from gridgov.cli import app
    >>> result = CliRunner().invoke(app, ["city", "analyze", "no/such/city"])
    >>> result.exit_code
    2
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from experiments.city_run import (
    MAX_CHECKPOINT_EVERY,
    CityProgress,
    load_city,
    read_city_manifest,
    run_city,
)
from experiments.output import sigterm_as_interrupt, write_atomic
from experiments.sweep import SweepError
from experiments.sweep_results import ANALYSIS_DIR
from gridgov.cli_common import (
    MAX_WORKERS,
    as_text,
    bad_input,
    check_whole,
    err,
    error_exit,
    printable,
    progress_bar,
)
from gridgov.cli_sweep import check_scheduler
from institutions import ConfigError
from institutions.city_spec import load_city_spec

app = typer.Typer(help="Run a city of streets (districts, 12345 hotline, league table, "
                       "summoning) on Dask, and analyse it.", no_args_is_help=True)


@app.command("run")
def run(
    spec: Annotated[Path, typer.Argument(help="The city spec, a TOML file (docs/city.md).")],
    out: Annotated[Path, typer.Option(help="Folder for manifest.json, checkpoints and the "
                                           "result tables (Parquet).")],
    workers: Annotated[int | None, typer.Option(help="Worker processes of a local Dask cluster "
                                                     "(default: one per core; 0: in this process, "
                                                     f"without Dask; at most {MAX_WORKERS}).")] = None,
    scheduler: Annotated[str | None, typer.Option(help="Address of a running Dask scheduler, "
                                                       "e.g. tcp://10.0.0.5:8786 (--out on a "
                                                       "file system all workers see).")] = None,
    resume: Annotated[bool, typer.Option(help="Finish the city in --out from its last period "
                                              "done.")] = False,
    checkpoint_every: Annotated[int, typer.Option(help="Checkpoint every street every this many "
                                                       "periods (1: at every sync point; a lost "
                                                       "street costs up to this many periods; "
                                                       "the same results).")] = 1,
    quiet: Annotated[bool, typer.Option(help="No progress bar.")] = False,
) -> None:
    """Run a city: every street a town model, advanced period by period on Dask.

    Example: gridgov city run examples/cities/three_streets.toml --out cities/three --workers 2
    """
    try:
        if workers is not None:
            check_whole("--workers", workers, 1, MAX_WORKERS, zero="in this process, without Dask")
        if scheduler is not None:
            check_scheduler(scheduler)
            if workers is not None:
                raise ConfigError("--workers starts a local cluster; give it or --scheduler, "
                                  "not both")
        check_whole("--checkpoint-every", checkpoint_every, 1, MAX_CHECKPOINT_EVERY,
                    what="a whole number of periods")
        the_spec = load_city_spec(spec)
    except ConfigError as exc:
        raise bad_input(str(exc)) from None
    total = len(the_spec.streets()) * the_spec.periods
    columns = (BarColumn(), MofNCompleteColumn(), TextColumn("{task.description}"),
               TimeElapsedColumn())
    latest = CityProgress(streets_total=0, periods_total=the_spec.periods)
    try:
        with sigterm_as_interrupt(), progress_bar("city", total, quiet=quiet,
                                                  columns=columns) as bar:

            def report(p: CityProgress) -> None:
                nonlocal latest
                latest = p
                done = max(0, p.period - 1) * p.streets_total + p.streets_done
                where = f"street {p.street}" if p.street else "sync point"
                bar(done, total, description=printable(f"period {p.period}/{p.periods_total}, "
                                                       f"{where}"))

            counts = run_city(the_spec, out, folder=spec.parent, workers=workers,
                              scheduler=scheduler, resume=resume,
                              checkpoint_every=checkpoint_every, progress=report)
    except ConfigError as exc:
        raise bad_input(str(exc)) from None
    except SweepError as exc:
        raise error_exit(str(exc), 1) from None
    except KeyboardInterrupt:
        err.print(as_text(f"interrupted: {latest.periods_done} periods of {latest.periods_total} "
                          f"written to {out}; finish with --resume"), highlight=False)
        raise typer.Exit(code=130) from None
    err.print(as_text(f"{counts.periods_done} periods of {counts.streets_total} streets done; "
                      f"results in {out}. Next: gridgov city analyze {out}"),
              highlight=False, soft_wrap=True)


def _fmt(v: object) -> str:
    if isinstance(v, float):
        if not math.isfinite(v):
            return "–"
        return f"{int(v):,}" if v.is_integer() and abs(v) >= 1 else f"{v:.3g}"
    return str(v)


def _print_frame(title: str, frame: pd.DataFrame) -> None:
    table = Table(title=as_text(title))
    for col in frame.columns:
        table.add_column(as_text(col), justify="left" if frame[col].dtype == object else "right")
    for row in frame.itertuples(index=False):
        table.add_row(*(as_text(_fmt(v)) for v in row))
    Console(width=max(Console().width, 100)).print(table)


@app.command("analyze")
def analyze(
    folder: Annotated[Path, typer.Argument(help="The --out folder of a `gridgov city run`.")],
) -> None:
    """Show a city run: each street's rank in the league table period by period, and the city's
    figures (calls, cases, published and real rates). Tables go to DIR/analysis/*.csv too.

    Example: gridgov city analyze cities/three
    """
    try:
        manifest = read_city_manifest(folder)
        tables = load_city(folder)
    except ConfigError as exc:
        raise bad_input(str(exc)) from None
    city, league = tables["city"], tables["league"]
    typer.echo(printable(f"{manifest['spec']['name']}: {manifest['streets']} streets, "
                         f"{len(city)} of {manifest['periods']} periods done."))
    written = []
    if not league.empty:
        ranks = league.pivot(index=["district", "street"], columns="period", values="rank")
        ranks.columns = [f"p{c}" for c in ranks.columns]
        ranks = ranks.reset_index()
        ranks["mean rank"] = ranks[[c for c in ranks.columns if c.startswith("p")]].mean(axis=1)
        ranks = ranks.sort_values(["mean rank", "street"])
        _print_frame("League table of streets (排名): rank per period (0: not ranked)", ranks)
        written.append(_save(folder, "league_ranks.csv", ranks))
    shown = ["period", "day", "population", "calls", "routed_to_city", "cases_registered",
             "cases_closed", "response_rate", "resolution_rate", "satisfaction_rate",
             "real_resolution_rate", "paper_closures", "injuries"]
    if not city.empty:
        by_period = city[shown].set_index("period").T
        by_period.columns = [f"p{c}" for c in by_period.columns]
        _print_frame("The city per period (rates over the period's log rows)",
                     by_period.reset_index(names="figure"))
        written.append(_save(folder, "city.csv", city))
    typer.echo(printable("written: " + (", ".join(str(p) for p in written) or "nothing (no "
                                                                             "period done)")))


def _save(folder: Path, name: str, frame: pd.DataFrame) -> Path:
    path = folder / ANALYSIS_DIR / name
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, lambda tmp: frame.to_csv(tmp, index=False))
    return path
