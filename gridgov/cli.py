"""The ``gridgov`` command line.

Exit codes: 0 success, 2 bad input (a message naming the field, the value and what is
allowed; no traceback), 1 anything else.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import pandas as pd
import typer
from rich.console import Console
from rich.progress import TextColumn
from rich.table import Table

from coordination import METRIC_NAMES, SCHEMA_VERSION, JointEnforcementModel
from coordination.case_log import write_parquet
from coordination.words import Lang, metric_label, say, t
from experiments import run_replications, summarise
from experiments.output import (
    StagedResult,
    check_file_target,
    stage_result,
    to_json,
    write_atomic,
)
from experiments.replications import BASELINE, check_setting
from gridgov import __version__
from gridgov.cli_common import (
    MAX_ITERATIONS,
    MAX_REPS,
    REFORM_HELP,
    ConfigFile,
    Days,
    LangOption,
    MaxHours,
    Preset,
    Reforms,
    Scale,
    Work,
    Workers,
    as_text,
    bad_input,
    check_common,
    check_language,
    check_whole,
    check_work,
    check_workers,
    choose_town,
    err,
    printable,
    progress_bar,
    run_days,
    workers_for,
)
from gridgov.cli_results import Force, discard, writing_result
from gridgov.cli_scenario import app as scenario_app
from gridgov.compare_brief import brief_html, forest_files, number
from gridgov.scenario_page import setting_label
from institutions import (
    ConfigError,
    list_presets,
    load_preset,
    with_overrides,
)
from institutions.loading import preset_path
from institutions.reforms import describe_reforms

if TYPE_CHECKING:
    from experiments.city_validation import CityValidation

app = typer.Typer(
    help="gridgov: joint enforcement (联勤联动) in urban grid management (网格化管理).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
presets_app = typer.Typer(help="List and show the shipped town presets.", no_args_is_help=True)
app.add_typer(presets_app, name="presets")
app.add_typer(scenario_app, name="scenario")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"gridgov {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Show the version and exit.")] = False,
) -> None:
    """gridgov: joint enforcement (联勤联动) in urban grid management (网格化管理)."""


@app.command()
def run(
    preset: Preset = None,
    config: ConfigFile = None,
    days: Days = 365,
    seed: Annotated[int, typer.Option(help="Seed of all randomness (>= 0).")] = 1,
    scale: Scale = 1.0,
    reform: Reforms = None,
    max_hours: MaxHours = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the metrics as one JSON object.")] = False,
    out: Annotated[Path | None, typer.Option(help="Write metrics.json, case_log.parquet, "
                                                  "timeseries.parquet, config.json and "
                                                  "manifest.json to this folder, whole or not "
                                                  "at all.")] = None,
    force: Force = False,
) -> None:
    """Run one town and print its metrics.

    Example: gridgov run --preset n_town --days 90 --seed 7 --reform department_kpis@30 --json
    """
    reforms = list(reform or [])
    staged = None
    try:
        check_common(days, seed, reforms, scale)
        preset, cfg = choose_town(preset, config)
        check_work(Work(1, days, cfg.population * scale), max_hours=max_hours,
                   asked=f"--days {days}, --scale {scale:g}")
        staged = stage_result(out, command="gridgov run", force=force) if out is not None else None
        model = JointEnforcementModel(cfg, scale=scale, rng=seed, reforms=reforms)
    except BaseException as exc:
        discard(staged)
        if isinstance(exc, ConfigError):
            raise bad_input(str(exc)) from None
        raise
    with writing_result(staged):
        run_days(model, days, quiet=False)
        metrics = model.metrics()
        if staged is not None:
            _write_outputs(staged, model, metrics, dict(preset=None if config else preset,
                                                        config=str(config) if config else None,
                                                        days=days, seed=seed, scale=scale,
                                                        reforms=reforms))
    if json_out:
        sys.stdout.write(to_json(metrics) + "\n")
    else:
        _print_metrics(metrics, f"{model.config.town.name}: {days} days, seed {seed}, scale {scale}")


@app.command()
def compare(
    preset: Preset = None,
    config: ConfigFile = None,
    reform: Annotated[list[str] | None, typer.Option(
        help=REFORM_HELP + " A+B compares a combination.")] = None,
    reps: Annotated[int, typer.Option(help=f"Replications (seeds) per setting (2 to {MAX_REPS:,}).")] = 30,
    days: Days = 365,
    seed: Annotated[int, typer.Option(help="First seed; replication i uses seed + i.")] = 1,
    scale: Scale = 1.0,
    workers: Workers = 0,
    max_hours: MaxHours = None,
    metric: Annotated[list[str] | None, typer.Option(help="Metrics to show (default: all).")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the summary as one JSON object.")] = False,
    out: Annotated[Path | None, typer.Option(help="Write runs.parquet, summary.csv, "
                                                  "summary.json, the forest plot (forest.png, "
                                                  "forest.svg), a one-page brief.html and "
                                                  "manifest.json to this folder, whole or not "
                                                  "at all.")] = None,
    force: Force = False,
    lang: LangOption = "en",
) -> None:
    """Compare the baseline with reforms over the same seeds (common random numbers).

    For each metric: mean and 95% interval per setting, and the paired difference from the
    baseline with its 95% interval. With --out, a forest plot of the differences and a brief
    to print or send (--lang zh: in Chinese).

    Example: gridgov compare --preset n_town --reform department_kpis --reform joint_meetings --reps 30
    """
    settings = [BASELINE, *(reform or [])]
    try:
        lang = check_language(lang)
        check_common(days, seed, list(reform or []), scale)
        check_whole("--reps", reps, 2, MAX_REPS, what="at least 2 replications for an interval, "
                    "a whole number")
        check_workers(workers)
        for spec in settings:
            check_setting(spec)
        known = [m for m in METRIC_NAMES if m != "workload_share"]
        for m in metric or []:
            if m not in known:
                raise ConfigError(f"--metric: '{m}' is not a metric; allowed: {', '.join(known)}")
        preset, cfg = choose_town(preset, config)
        n_workers = workers_for(workers, len(settings) * reps)
        check_work(Work(len(settings) * reps, days, cfg.population * scale), max_hours=max_hours,
                   workers=n_workers, asked=f"--reps {reps} x {len(settings)} settings, "
                   f"--days {days}, --scale {scale:g}")
        JointEnforcementModel(cfg, scale=min(scale, 0.01), rng=seed)  # fail fast on a bad town
        staged = stage_result(out, command="gridgov compare", force=force) if out is not None else None
    except ConfigError as exc:
        raise bad_input(str(exc)) from None
    total = len(settings) * reps
    town_name = (cfg.town.name_zh or cfg.town.name) if lang == "zh" else cfg.town.name
    with writing_result(staged):
        with progress_bar("runs", total) as bar:
            runs = run_replications(settings, reps=reps, days=days, scale=scale, seed=seed,
                                    config=cfg, workers=n_workers, progress=bar)
        summary = summarise(runs, metric or None)
        if staged is not None:
            staged.write("runs.parquet", lambda p: runs.to_parquet(p, index=False))
            staged.write("summary.csv", lambda p: summary.to_csv(p, index=False))
            staged.write("summary.json", lambda p: p.write_text(
                to_json(summary.to_dict(orient="records"), indent=2)))
            pictures = forest_files(summary, lang)
            for name, data in pictures.items():
                staged.write(name, lambda p, data=data: p.write_bytes(data))
            about = {say("page", "brief_town", lang): town_name,
                     say("page", "brief_settings", lang): ", ".join(setting_label(s, lang)
                                                                   for s in settings),
                     say("page", "brief_runs_label", lang): say(
                         "page", "brief_runs", lang, reps=reps, first=seed, last=seed + reps - 1,
                         days=days, scale=f"{scale:g}"),
                     "gridgov": __version__}
            staged.write("brief.html", lambda p: p.write_text(
                brief_html(summary, about, pictures["forest.png"], lang), encoding="utf-8"))
            staged.commit({"preset": None if config else preset,
                           "config": str(config) if config else None, "settings": settings,
                           "reps": reps, "days": days, "seed": seed, "scale": scale,
                           "metrics": metric or None})
    if json_out:
        sys.stdout.write(to_json({"preset": None if config else preset, "reps": reps, "days": days,
                                  "scale": scale, "seed": seed, "settings": settings,
                                  "summary": summary.to_dict(orient="records")}) + "\n")
    else:
        _print_comparison(summary, f"{town_name}: " + say(
            "page", "brief_runs", lang, reps=reps, first=seed, last=seed + reps - 1, days=days,
            scale=f"{scale:g}"), lang)


def _print_comparison(summary, title: str, lang: Lang = "en") -> None:
    settings = list(dict.fromkeys(summary["setting"]))
    table = Table(title=as_text(title), caption=t("compare_caption", lang))
    table.add_column(t("metric", lang))
    for s in settings:
        table.add_column(as_text(setting_label(s, lang)), justify="right")
    for metric, rows in summary.groupby("metric", sort=False):
        cells = []
        for s in settings:
            r = rows[rows["setting"] == s].iloc[0]
            cell = f"{number(r['mean'])} [{number(r['ci_low'])}, {number(r['ci_high'])}]"
            if s != BASELINE:
                cell += f"\nΔ {number(r['diff'])} [{number(r['diff_low'])}, {number(r['diff_high'])}]"
            cells.append(cell)
        table.add_row(metric_label(metric, lang), *cells)
    Console().print(table)


@app.command()
def calibrate(
    name: Annotated[str, typer.Argument(help="A preset with a [calibration] section, e.g. c_town.")],
    search: Annotated[bool, typer.Option("--search", help="Re-run the search for the free "
                                         "parameters before checking.")] = False,
    iterations: Annotated[int, typer.Option(help=f"Search: iterations (0: the preset's; at most "
                                                 f"{MAX_ITERATIONS:,}).")] = 0,
    seeds: Annotated[int, typer.Option(help=f"Search: seeds per iteration (0: the preset's; at "
                                            f"most {MAX_REPS:,}).")] = 0,
    check_seeds: Annotated[int, typer.Option(help=f"Seeds for the check (0: the preset's; at most "
                                                  f"{MAX_REPS:,}).")] = 0,
    workers: Workers = 0,
    max_hours: MaxHours = None,
    write: Annotated[Path | None, typer.Option(help="Search: write the preset with the values "
                                               "found (and their record) to this TOML file.")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the check as one JSON object.")] = False,
) -> None:
    """Check a preset against the figures it must reproduce; optionally search again.

    Example: gridgov calibrate c_town --check-seeds 30
    """
    from experiments import calibration

    try:
        cfg = load_preset(name)
        if cfg.calibration is None:
            with_one = [n for n in list_presets() if load_preset(n).calibration]
            raise ConfigError(f"calibrate: preset '{name}' has no [calibration] section; "
                              f"presets with one: {', '.join(with_one)}")
        check_whole("--iterations", iterations, 1, MAX_ITERATIONS, zero="the preset's")
        check_whole("--seeds", seeds, 1, MAX_REPS, zero="the preset's")
        check_whole("--check-seeds", check_seeds, 1, MAX_REPS, zero="the preset's")
        check_workers(workers)
        if write is not None and not search:
            raise ConfigError("--write: only with --search (it records the values a search found)")
        check_file_target(write, "--write")
        spec = cfg.calibration
        per_round = seeds or spec.seeds
        searched = (iterations or spec.iterations) * per_round if search else 0
        checked = check_seeds or spec.check_seeds
        n_workers = workers_for(workers, max(per_round if search else 0, checked))
        check_work(Work(searched + checked, spec.warmup_days + spec.days, cfg.population),
                   max_hours=max_hours, workers=n_workers,
                   asked=f"calibrate {name}: {searched:,} search runs and {checked:,} check runs")
    except ConfigError as exc:
        raise bad_input(str(exc)) from None
    if search:
        with progress_bar("search", columns=(TextColumn("iteration {task.completed}"),
                                             TextColumn("{task.description}"))) as bar:
            found, loss = calibration.search(
                cfg, iterations=iterations or None, seeds=seeds or None, workers=n_workers,
                progress=lambda n, f: bar(n, description=f"loss {f:.4f}"))
        found = {k: float(f"{v:.6g}") for k, v in found.items()}  # as written, so as checked
        err.print(as_text(f"search: objective {loss:.4f} at "
                          + ", ".join(f"{k} = {v:.6g}" for k, v in found.items())))
        cfg = with_overrides(cfg, found)
        if write is not None:
            from gridgov.presets_io import write_calibrated
            write_calibrated(preset_path(name), write, found, loss)
    table = calibration.check(cfg, seeds=check_seeds or None, workers=n_workers)
    if json_out:
        sys.stdout.write(to_json({"preset": name, "check": table.to_dict(orient="records")}) + "\n")
        return
    out = Table(title=as_text(f"{cfg.town.name}: targets against {cfg.calibration.days}-day "
                              f"results, mean over {check_seeds or cfg.calibration.check_seeds} seeds"))
    for col in ("measure", "target", "mean", "sd", "5%-95%", "rel. error", "within"):
        out.add_column(col, justify="left" if col == "measure" else "right")
    for r in table.to_dict(orient="records"):
        out.add_row(as_text(r["measure"]), f"{r['target']:g}", f"{r['mean']:.3g}", f"{r['sd']:.2g}",
                    f"{r['p5']:.3g}-{r['p95']:.3g}", f"{r['relative_error']:+.0%}",
                    f"{'yes' if r['within'] else 'no'} (±{r['tolerance']:.0%})")
    Console().print(out)


@app.command()
def validate(
    preset: Annotated[str | None, typer.Option(help="Only this preset's targets (and a --city "
                                               "scenario's, if one is named).")] = None,
    seeds: Annotated[int, typer.Option(help=f"Seeds per setting and per city scenario (2 to "
                                       f"{MAX_REPS:,}).")] = 20,
    targets: Annotated[Path | None, typer.Option(help="A targets TOML file instead of the "
                                                 "shipped one (experiments/targets.toml).")] = None,
    city: Annotated[str | None, typer.Option(help="A city scenario (experiments/cities/, e.g. "
                                             "beijing_reform, or a scenario file .toml), or "
                                             "none. Default: every scenario when neither "
                                             "--preset nor --targets is given; --city NAME "
                                             "alone runs only that scenario.")] = None,
    workers: Workers = 0,
    max_hours: MaxHours = None,
    out: Annotated[Path | None, typer.Option(help="Also write the scorecard to this JSON file.")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the scorecard as one JSON object.")] = False,
) -> None:
    """Check the presets against the figures real grid systems report, and the city scenarios
    (Beijing's reform) against their reported trajectory (docs/validation.md).

    Exit 0 only when every target holds, 1 when one does not.

    Example: gridgov validate --preset c_town --seeds 20
    """
    from experiments import city_validation, validation

    try:
        check_whole("--seeds", seeds, 2, MAX_REPS, what="2 or more (an interval needs two), a "
                    "whole number")
        check_workers(workers)
        if preset is not None and preset not in list_presets():
            raise ConfigError(f"--preset: '{preset}' is not a preset; allowed: {', '.join(list_presets())}")
        scenarios = city_validation.list_scenarios()
        if city not in (None, "none", *scenarios) and not city.endswith(".toml"):
            raise ConfigError(f"--city: '{city}' is not a city scenario; allowed: "
                              f"{', '.join(scenarios)}, none, or a scenario file (.toml)")
        check_file_target(out)
        with_presets, names = city_validation.selection(preset, targets, city)
        chosen = (validation.targets_for(preset, targets or validation.TARGETS)
                  if with_presets else [])
        if not chosen and preset is not None:
            raise ConfigError(f"--preset: '{preset}' has no validation targets")
        try:
            cities = [city_validation.load_scenario(name) for name in names]
        except ConfigError as exc:
            raise ConfigError(f"--city: {exc}") from None
        settings = {t.setting(): t for t in chosen}.values()
        city_runs = sum(len(city_validation.jobs_of(c, seeds)) for c in cities)
        n_workers = workers_for(workers, len(settings) * seeds + city_runs)
        check_work([Work(seeds, t.warmup_days + t.days, load_preset(t.preset).population * t.scale)
                    for t in settings]
                   + [Work(len(city_validation.jobs_of(c, seeds)), c.spec.days, n)
                      for c in cities for n in c.residents.values()],
                   max_hours=max_hours, workers=n_workers,
                   asked=f"--seeds {seeds} x {len(settings)} settings and {len(cities)} city "
                         "scenarios")
    except ConfigError as exc:
        raise bad_input(str(exc)) from None
    table = pd.DataFrame()
    if chosen:
        with progress_bar("validate") as bar:
            table = validation.validate(chosen, seeds=seeds, workers=n_workers, progress=bar)
    results = []
    for c in cities:
        with progress_bar(f"city {c.id}") as bar:
            results.append(city_validation.validate_city(c, seeds=seeds, workers=n_workers,
                                                         progress=bar))
    frames = [f for f in (table, *(r.targets for r in results)) if len(f)]
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    document = {"seeds": seeds, "holds": bool(table["holds"].all()) if len(table) else True,
                "targets": table.to_dict(orient="records"),
                "cities": [{k: v for k, v in r.document().items() if k != "targets"}
                           for r in results]}
    if out is not None:
        write_atomic(out, lambda p: p.write_text(to_json(document, indent=2)))
    if json_out:
        sys.stdout.write(to_json(document) + "\n")
    else:
        _print_scorecard(table, seeds)
        for r in results:
            _print_trajectory(r)
    if not document["holds"]:
        raise typer.Exit(1)


def _print_scorecard(table: pd.DataFrame, seeds: int) -> None:
    view = Table(title=f"validation: {len(table)} targets, mean over seeds 1-{seeds}")
    for col in ("target", "measure", "expected", "mean", "95% interval", "holds", "set by"):
        view.add_column(col, justify="right" if col in ("mean", "95% interval") else "left",
                        no_wrap=col == "target")
    for r in table.to_dict(orient="records"):
        expected = {"within": f"{r['target']:g} ±{r['tolerance']:.0%}",
                    "at_least": f">= {r['target']:g}", "at_most": f"<= {r['target']:g}"}
        view.add_row(as_text(r["id"]), as_text(r["measure"]), expected[r["expect"]], f"{r['mean']:.3g}",
                     f"{r['ci_low']:.3g}-{r['ci_high']:.3g}", "yes" if r["holds"] else "NO",
                     "calibration" if r["calibration"] else "check")
    Console().print(view)


def _print_trajectory(result: CityValidation) -> None:
    """A city scenario's trajectory: the model's rates (mean and 95% interval), the same city
    with its levers off (the status quo continued), and the reported rates."""
    def cell(r: dict, m: str) -> str:
        return f"{r[m]:.1%} ({r[m + '_low']:.1%}-{r[m + '_high']:.1%})"

    def pct(v: float | None) -> str:
        return "" if v is None or v != v else f"{v:.1%}"

    rows = result.trajectory.to_dict(orient="records")
    control = bool(rows) and "status_quo_resolution_rate" in rows[0]
    view = Table(title=as_text(f"{result.scenario}: the city per window, mean (95% interval) over "
                               f"seeds 1-{result.seeds}" + (", the same city without the reform "
                                                            "(status quo)" if control else "")
                               + ", and the reported figures"))
    measures = (("resolution", "resolution_rate", True), ("satisfaction", "satisfaction_rate", True),
                ("real resolution", "real_resolution_rate", False))
    view.add_column("window")
    view.add_column("phase")
    for label, _, with_reported in measures:
        view.add_column(label, justify="right")
        if control:
            view.add_column("status quo", justify="right")
        if with_reported:
            view.add_column("reported", justify="right")
    for r in rows:
        cells = [as_text(r["window"]), as_text(r["phase"])]
        for _, m, with_reported in measures:
            cells.append(cell(r, m))
            if control:
                cells.append(pct(r.get(f"status_quo_{m}")))
            if with_reported:
                cells.append(pct(r[f"reported_{m}"]))
        view.add_row(*cells)
    Console(width=max(Console().width, 150)).print(view)
    for r in rows:
        if r["reported"]:
            err.print(as_text(f"reported beside {r['window']}: {r['reported']}"
                              + (f" ({r['note']})" if r["note"] else "")),
                      highlight=False, soft_wrap=True)
    if result.unmatched:
        err.print(as_text("reported, outside the windows (not compared): "
                          + "; ".join(result.unmatched)), highlight=False, soft_wrap=True)


@app.command("reforms")
def reforms_list() -> None:
    """List the named reforms and what each changes.

    Example: gridgov reforms
    """
    for name, what in describe_reforms().items():
        typer.echo(f"{name}\t{what}")


def _write_outputs(staged: StagedResult, model: JointEnforcementModel, metrics: dict,
                   run_args: dict) -> None:
    """Write a run's files into ``staged`` and swap the folder into place."""
    document = {"schema_version": SCHEMA_VERSION, "run": run_args, "metrics": metrics}
    staged.write("metrics.json", lambda p: p.write_text(to_json(document, indent=2)))
    staged.write("config.json",
                 lambda p: p.write_text(to_json(model.config.model_dump(mode="json"), indent=2)))
    log = model.case_log()
    staged.write("case_log.parquet", lambda p: write_parquet(log, p))
    series = model.timeseries().reset_index(drop=True)
    staged.write("timeseries.parquet", lambda p: series.to_parquet(p, index=False))
    staged.commit(run_args)


def _print_metrics(metrics: dict, title: str) -> None:
    table = Table(title=as_text(title))
    table.add_column(t("metric"))
    table.add_column(t("metric_name"), style="dim")
    table.add_column(t("value"), justify="right")
    for name, value in metrics.items():
        if isinstance(value, dict):
            value = ", ".join(f"{k} {v:.0%}" for k, v in sorted(value.items(), key=lambda kv: -kv[1]))
        elif isinstance(value, float):
            value = f"{value:.3f}"
        table.add_row(metric_label(name), name, as_text(value))
    Console().print(table)


@presets_app.command("list")
def presets_list() -> None:
    """List the shipped presets.

    Example: gridgov presets list
    """
    for name in list_presets():
        cfg = load_preset(name)
        typer.echo(printable(f"{name}\t{cfg.town.name} ({cfg.town.name_zh}), {cfg.population:,} "
                             f"people, {len(cfg.grids)} grids"))


@presets_app.command("show")
def presets_show(name: Annotated[str, typer.Argument(help="Preset name.")]) -> None:
    """Print a preset's TOML, with the source of each number.

    Example: gridgov presets show n_town
    """
    try:
        path = preset_path(name)
    except ConfigError as exc:
        raise bad_input(str(exc)) from None
    typer.echo(printable(path.read_text(encoding="utf-8")))


from gridgov.cli_sweep import analyze, sweep  # noqa: E402

app.command()(sweep)
app.command()(analyze)

from gridgov.cli_dashboard import dashboard  # noqa: E402

app.command()(dashboard)

from gridgov.cli_town import app as town_app  # noqa: E402

app.add_typer(town_app, name="town")

from gridgov.cli_city import app as city_app  # noqa: E402

app.add_typer(city_app, name="city")
