"""What every ``gridgov`` command shares: the error console, bad-input exits, checks, the
progress bar and the options several commands take.

Example:
    >>> exit_ = bad_input("--days: 0 is not allowed; a whole number of days >= 1")
    >>> exit_.exit_code
    2
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, ProgressColumn, TaskID, TextColumn, TimeRemainingColumn

from coordination import JointEnforcementModel
from institutions import HOURS_PER_DAY, ConfigError, TownConfig, load_config, load_preset
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


class Bar:
    """A progress bar on stderr that appears once the work has taken ``after`` seconds (at
    once with 0) and disappears when it ends; :func:`progress_bar` makes one."""

    def __init__(self, label: str, total: int | None, after: float, quiet: bool,
                 columns: Sequence[ProgressColumn]) -> None:
        self.label, self.total, self.after, self.quiet = label, total, after, quiet
        self.columns = columns
        self.started = time.perf_counter()
        self.progress: Progress | None = None
        self.task: TaskID | None = None

    def __call__(self, done: int, total: int | None = None, description: str = "",
                 **fields: Any) -> None:
        """Show ``done`` of ``total`` (``None``: an open count), with a ``description``."""
        if total is not None:
            self.total = total
        if self.progress is None:
            if self.quiet or time.perf_counter() - self.started < self.after:
                return
            self.progress = Progress(TextColumn(self.label), *self.columns, console=err, transient=True)
            self.progress.start()
            self.task = self.progress.add_task(self.label, total=self.total, **fields)
        self.progress.update(self.task, completed=done, total=self.total, description=description,
                             **fields)

    def close(self) -> None:
        if self.progress is not None:
            self.progress.stop()


COUNT = (BarColumn(), TextColumn("{task.completed}/{task.total}"), TimeRemainingColumn())
"""The columns of a bar that counts runs or days: bar, done/total, time left."""


@contextmanager
def progress_bar(label: str, total: int | None = None, *, after: float = 0.0, quiet: bool = False,
                 columns: Sequence[ProgressColumn] = COUNT) -> Iterator[Bar]:
    """The command line's progress bar: ``with progress_bar("runs", 40) as bar: bar(done)``.

    Example:
        >>> with progress_bar("runs", 3, quiet=True) as bar:
        ...     for done in range(1, 4):
        ...         bar(done)
    """
    bar = Bar(label, total, after, quiet, columns)
    try:
        yield bar
    finally:
        bar.close()


def run_days(model: JointEnforcementModel, days: int, quiet: bool = False) -> None:
    """Run ``days`` simulated days, with a progress bar on stderr once it takes a while."""
    with progress_bar("simulating", days, after=PROGRESS_AFTER_SECONDS, quiet=quiet,
                      columns=(BarColumn(), TextColumn("day {task.completed}/{task.total}"),
                               TimeRemainingColumn())) as bar:
        for day in range(days):
            model.run_for(HOURS_PER_DAY)
            bar(day + 1)


# -- options that several commands share --------------------------------------------------------
Preset = Annotated[str, typer.Option(help="Town preset (see `gridgov presets list`).")]
ConfigFile = Annotated[Path | None, typer.Option(help="A town config TOML file instead of a preset.")]
Days = Annotated[int, typer.Option(help="Simulated days (>= 1).")]
Scale = Annotated[float, typer.Option(help="Population and staff multiplier (1.0 = 1:1).")]
Reforms = Annotated[list[str] | None, typer.Option("--reform", help=REFORM_HELP)]
Workers = Annotated[int, typer.Option(help="Parallel processes (0: one per core).")]
LangOption = Annotated[str, typer.Option("--lang", help="Language: en or zh.")]
