"""``gridgov scenario``: the paper's coordination failures, replayed and explained.

Example: gridgov scenario run manhole --reform department_kpis --lang zh --out out/manhole
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from coordination.words import Lang, Names, say
from experiments.output import stage_result, to_json
from experiments.replications import BASELINE, check_setting
from experiments.scenarios import (
    SCENARIOS,
    Scenario,
    Story,
    failure_rates,
    get_scenario,
    replicate,
    run_scenario,
)
from gridgov.cli_common import (
    MAX_REPS,
    REFORM_HELP,
    LangOption,
    MaxHours,
    Work,
    Workers,
    as_text,
    bad_input,
    check_days,
    check_language,
    check_scale,
    check_seed,
    check_whole,
    check_work,
    progress_bar,
    workers_for,
)
from gridgov.cli_results import Force, writing_result
from gridgov.scenario_page import outcome_value, scenario_page, setting_label
from institutions import ConfigError
from institutions.reforms import parse_reform

app = typer.Typer(help="Training scenarios: the paper's failures, replayed and explained.",
                  no_args_is_help=True)


@app.command("list")
def scenario_list() -> None:
    """List the scenarios.

    Example: gridgov scenario list
    """
    for sc in SCENARIOS.values():
        typer.echo(f"{sc.name}\t{sc.preset}\t{sc.title} ({sc.title_zh})")


@app.command("show")
def scenario_show(name: Annotated[str, typer.Argument(help="Scenario name (see `scenario list`), "
                                                       "or a scenario file FILE.toml.")],
                  lang: LangOption = "en") -> None:
    """Describe a scenario: what is planted where, the failure, the paper's words, the reforms.

    Example: gridgov scenario show manhole --lang zh
    """
    try:
        sc = get_scenario(name)
        check_language(lang)
    except ConfigError as exc:
        raise bad_input(str(exc)) from None
    zh, p = lang == "zh", sc.plant
    names = Names(sc.config(), lang)

    def w(key: str, **fields: object) -> str:
        return say("page", key, lang, **fields)

    where = w("planted_where", kind=names.kind(p.kind), grid=p.grid) + (
        w("planted_compound", compound=p.compound) if p.compound else "")
    lines = [f"{sc.title_zh if zh else sc.title}",
             f"  {sc.summary_zh if zh else sc.summary}",
             "  " + w("show_plant", town=sc.preset, where=where, day=f"{p.day:g}", days=sc.follow_days)
             + (w("show_footfall", n=f"{p.passers_per_hour:g}") if p.passers_per_hour else "")
             + (w("show_stays", hours=f"{p.lasts_hours:g}") if p.lasts_hours else ""),
             f"  {w('failure')}: {sc.failure_zh if zh else sc.failure}",
             f"  {w('source')}: {sc.source}",
             f"  {w('addressed_by')}: " + say("words", "list_sep", lang).join(
                 setting_label(r, lang) for r in sc.reforms)]
    typer.echo("\n".join(lines))


def _setting(reform: str, days: float) -> str:
    """A ``--reform`` of a scenario: by the grammar, switched on before the replay ends."""
    label = check_setting(reform)
    if label != BASELINE:
        parse_reform(reform, days=days, option="--reform")
    return label


@app.command("run")
def scenario_run(
    name: Annotated[str, typer.Argument(help="Scenario name (see `scenario list`), or a scenario "
                                             "file FILE.toml (docs/scenarios.md).")],
    reform: Annotated[list[str] | None, typer.Option(
        help=REFORM_HELP + " Default: the reforms that address the scenario.")] = None,
    lang: LangOption = "en",
    seed: Annotated[int, typer.Option(help="Seed of the replay shown step by step (>= 0).")] = 1,
    reps: Annotated[int, typer.Option(help="Replications per setting for the failure "
                                           f"probability (0: none; else 2 to {MAX_REPS:,}).")] = 20,
    scale: Annotated[float | None, typer.Option(help="Town scale (default: the scenario's; > 0 "
                                                     "and <= 10).")] = None,
    follow_days: Annotated[int | None, typer.Option(help="Days to follow the planted problem "
                                                         "(default: the scenario's).")] = None,
    workers: Workers = 0,
    max_hours: MaxHours = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print everything as one JSON object.")] = False,
    out: Annotated[Path | None, typer.Option(help="Write scenario.json, runs.parquet, a "
                                                  "self-contained page.html and manifest.json "
                                                  "to this folder, whole or not at all.")] = None,
    force: Force = False,
) -> None:
    """Replay a scenario under the town's own institutions and under reforms, same seed.

    Shows each timeline with the reasons actors had, the outcomes side by side, and over
    ``--reps`` replications (common random numbers) the probability of the failure under
    each setting with a 95% interval.

    Example: gridgov scenario run manhole --reform department_kpis --reps 30 --out out/manhole
    """
    try:
        sc = get_scenario(name)
        check_language(lang)
        check_seed(seed)
        check_whole("--reps", reps, 2, MAX_REPS, zero="no replications")
        if scale is not None:
            check_scale(scale)
        if follow_days is not None:
            check_days(follow_days, "--follow-days")
        length = sc.plant.day + (follow_days or sc.follow_days)  # the days a replay runs
        settings = list(dict.fromkeys([BASELINE, *(_setting(r, length) for r in (reform or sc.reforms))]))
        n_workers = workers_for(workers, max(1, reps * len(settings)))
        check_work(Work(len(settings) * (reps + 1), length,
                        sc.config().population * (scale or sc.scale)),
                   max_hours=max_hours, workers=n_workers,
                   asked=f"--reps {reps} x {len(settings)} settings of {sc.name}")
        staged = stage_result(out, command="gridgov scenario run", force=force) if out is not None else None
    except ConfigError as exc:
        raise bad_input(str(exc)) from None
    with writing_result(staged):
        stories = [run_scenario(sc, seed=seed, setting=s, scale=scale, follow_days=follow_days,
                                lang=lang) for s in settings]
        runs = rates = None
        if reps:
            with progress_bar("replications", reps * len(settings)) as bar:
                runs = replicate(sc, settings, reps=reps, seed=seed, scale=scale,
                                 follow_days=follow_days, workers=n_workers, progress=bar)
            rates = failure_rates(runs)
        document = _document(sc, stories, rates, reps, lang)
        if staged is not None:
            staged.write("scenario.json", lambda p: p.write_text(to_json(document, indent=2)))
            if runs is not None:
                staged.write("runs.parquet", lambda p: runs.to_parquet(p, index=False))
            page = scenario_page(sc, stories, rates, lang)
            staged.write("page.html", lambda p: p.write_text(page, encoding="utf-8"))
            staged.commit({"scenario": sc.name, "preset": sc.preset, "settings": settings,
                           "seed": seed, "reps": reps, "scale": scale, "follow_days": follow_days,
                           "lang": lang})
    if json_out:
        sys.stdout.write(to_json(document) + "\n")
    else:
        _print(sc, stories, rates, lang)


def _document(sc: Scenario, stories: list[Story], rates, reps: int, lang: str) -> dict:
    return {
        "scenario": sc.name, "title": sc.title_zh if lang == "zh" else sc.title, "preset": sc.preset,
        "failure": sc.failure_zh if lang == "zh" else sc.failure, "seed": stories[0].seed,
        "lang": lang, "reps": reps,
        "stories": [{"setting": s.setting, "failed": s.failed, "outcome": s.outcome,
                     "timeline": s.timeline.to_dict(orient="records")}
                    for s in stories],
        "failure_rates": None if rates is None else rates.to_dict(orient="records"),
    }


def _print(sc: Scenario, stories: list[Story], rates, lang: Lang) -> None:
    console, zh = Console(), lang == "zh"

    def w(key: str, **fields: object) -> str:
        return say("page", key, lang, **fields)

    console.print(as_text(f"{sc.title_zh if zh else sc.title}", style="bold")
                  + as_text(f"  ({sc.preset}, {w('seed')} {stories[0].seed})"))
    console.print(as_text(sc.summary_zh if zh else sc.summary))
    console.print(as_text(sc.source, style="dim"))
    console.print(as_text(f"{w('failure')}: {sc.failure_zh if zh else sc.failure}"))
    for story in stories:
        title = w("failed_title" if story.failed else "not_failed_title",
                  setting=setting_label(story.setting, lang))
        table = Table(title=as_text(title), show_lines=False, title_justify="left")
        table.add_column(w("when"), no_wrap=True)
        table.add_column(w("what"), overflow="fold")
        for r in story.timeline.itertuples():
            table.add_row(as_text(r.when), as_text(r.text))
        console.print(table)
    side = Table(title=w("side_by_side"), title_justify="left")
    side.add_column("")
    for s in stories:
        side.add_column(as_text(setting_label(s.setting, lang)), justify="right")
    side.add_row(w("failed"), *(outcome_value("failed", s.failed, lang) for s in stories))
    for key in stories[0].outcome:
        side.add_row(w(key), *(outcome_value(key, s.outcome[key], lang) for s in stories))
    console.print(side)
    if rates is not None:
        table = Table(title=w("rates_title", reps=int(rates["reps"].iloc[0])), title_justify="left")
        for col in ("setting", "failures", "probability", "wilson"):
            table.add_column(w(col), justify="left" if col == "setting" else "right")
        for r in rates.itertuples():
            table.add_row(as_text(setting_label(r.setting, lang)), f"{r.failures}/{r.reps}",
                          f"{r.rate:.0%}", f"{r.ci_low:.0%} – {r.ci_high:.0%}")
        console.print(table)
