"""What every ``gridgov`` command shares: the error console, bad-input exits, checks, progress.

Example:
    >>> exit_ = bad_input("--days: 0 is not allowed; a whole number of days >= 1")
    >>> exit_.exit_code
    2
"""

from __future__ import annotations

import time
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

from coordination import JointEnforcementModel
from institutions import ConfigError, TownConfig, load_config, load_preset
from institutions.reforms import REFORMS, parse_reform

err = Console(stderr=True)
PROGRESS_AFTER_SECONDS = 2.0
REFORM_HELP = ("A named reform, from day 0 (NAME) or switched on during the run (NAME@DAY); "
               "repeat for several. One of: " + ", ".join(REFORMS) + ".")


def error_exit(message: str, code: int) -> typer.Exit:
    """Print a one-paragraph error on stderr and return the exit with ``code``."""
    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    return typer.Exit(code=code)


def bad_input(message: str) -> typer.Exit:
    """Print a one-paragraph error on stderr and return the exit for bad input (2)."""
    return error_exit(message, 2)


def town(preset: str, config: Path | None) -> TownConfig:
    """The town of ``--config`` if given, else of ``--preset``."""
    return load_config(config) if config is not None else load_preset(preset)


def check_common(days: int, seed: int, reforms: list[str]) -> None:
    """Check ``--days``, ``--seed`` and that every ``--reform`` switches on within the run."""
    if days < 1:
        raise ConfigError(f"--days: {days} is not allowed; a whole number of days >= 1")
    if seed < 0:
        raise ConfigError(f"--seed: {seed} is not allowed; a whole number >= 0")
    for spec in reforms:
        _, day = parse_reform(spec)
        if day > days:
            raise ConfigError(f"--reform: '{spec}' switches on at day {day:g}, after the run "
                              f"ends at day {days}; allowed days: 0 to {days}")


def check_out(out: Path | None) -> None:
    """``--out`` must be a folder, or not exist yet."""
    if out is not None and out.exists() and not out.is_dir():
        raise ConfigError(f"--out: '{out}' exists and is not a folder; give a folder path")


def run_days(model: JointEnforcementModel, days: int, quiet: bool = False) -> None:
    """Run ``days`` simulated days, with a progress bar on stderr once it takes a while."""
    started = time.perf_counter()
    progress: Progress | None = None
    task = None
    for day in range(days):
        model.run_for(24)
        if progress is None and not quiet and time.perf_counter() - started > PROGRESS_AFTER_SECONDS:
            progress = Progress(TextColumn("simulating"), BarColumn(),
                                TextColumn("day {task.completed}/{task.total}"),
                                TimeRemainingColumn(), console=err, transient=True)
            progress.start()
            task = progress.add_task("run", total=days)
        if progress is not None and task is not None:
            progress.update(task, completed=day + 1)
    if progress is not None:
        progress.stop()
