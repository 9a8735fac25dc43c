r"""What every ``gridgov`` command shares: the error console, bad-input exits, user text shown as
text, checks of flags and their ranges, the bound on the work a command may start, the progress
bar and the options several commands take.

Example:
    >>> exit_ = bad_input("--days: 0 is not allowed; a whole number of days >= 1")
    >>> exit_.exit_code
    2
    >>> printable("town\x1b[2J")
    'town\\x1b[2J'
"""

from __future__ import annotations

import math
import os
import re
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, NamedTuple

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, ProgressColumn, TaskID, TextColumn, TimeRemainingColumn
from rich.text import Text

from coordination import JointEnforcementModel
from coordination.words import Lang, check_lang
from institutions import HOURS_PER_DAY, ConfigError, TownConfig, load_config, load_preset
from institutions.reforms import REFORM_GRAMMAR, REFORMS, parse_reform

err = Console(stderr=True)
PROGRESS_AFTER_SECONDS = 2.0
DEFAULT_PRESET = "n_town"
REFORM_HELP = (f"A named reform: {REFORM_GRAMMAR} Repeat for several. One of: "
               + ", ".join(REFORMS) + ".")

# -- the ranges of flags -------------------------------------------------------------------------
MAX_DAYS = 36_500
"""A century of simulated days: the longest run a command takes."""
MAX_SCALE = 10.0
"""Ten times the town: beyond that a run no longer fits in a workstation's memory."""
MAX_SEED = 2**32 - 1
MAX_REPS = 100_000
"""Replications (or seeds) per setting."""
MAX_WORKERS = 256
MAX_ITERATIONS = 10_000
"""Iterations of a calibration search."""


# -- user text, printed as text ------------------------------------------------------------------
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def printable(value: object) -> str:
    """``value`` as a string with every control character shown as an escape (``\\x1b``):
    C0 but newline and tab, DEL, C1 and the bidirectional overrides. The one way user text
    (names from configs, paths, reform settings, values of a sweep) reaches the terminal."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100
                        else f"\\u{ord(m.group()):04x}", str(value))


def as_text(value: object, style: str = "") -> Text:
    """User text for rich (a table's cell or title, a line): :func:`printable`, and never read
    as markup (``[/]``, ``[link=...]``) or as emoji codes."""
    return Text(printable(value), style=style)


def error_exit(message: str, code: int) -> typer.Exit:
    """Print a one-paragraph error on stderr and return the exit with ``code``."""
    err.print(Text.assemble(("error:", "bold red"), " ", as_text(message)), highlight=False,
              soft_wrap=True)
    return typer.Exit(code=code)


def bad_input(message: str) -> typer.Exit:
    """Print a one-paragraph error on stderr and return the exit for bad input (2)."""
    return error_exit(message, 2)


def note(message: str) -> None:
    """A one-line note on stderr (a flag's value that was changed, and why)."""
    err.print(Text.assemble(("note:", "bold"), " ", as_text(message)), highlight=False,
              soft_wrap=True)


# -- checks of flags -----------------------------------------------------------------------------
def check_language(lang: str) -> Lang:
    """``--lang``: en or zh; :class:`ConfigError` if not."""
    try:
        return check_lang(lang)
    except ValueError as exc:
        raise ConfigError(f"--{exc}") from None


def check_whole(option: str, value: int, low: int, high: int, what: str = "a whole number",
                zero: str | None = None) -> int:
    """``value`` of ``option`` within ``low`` to ``high``; ``zero`` names what 0 means when 0 is
    allowed besides a range starting above it. :class:`ConfigError` if not."""
    if value == 0 and zero is not None:
        return value
    if not low <= value <= high:
        allowed = f"{what} from {low:,} to {high:,}"
        if zero is not None:
            allowed = f"0 ({zero}) or {allowed}"
        raise ConfigError(f"{option}: {value} is not allowed; {allowed}")
    return value


def check_number(option: str, value: float, low: float, high: float, *,
                 low_open: bool = False, what: str = "a number") -> float:
    """A finite ``value`` of ``option`` within ``low`` (excluded if ``low_open``) and ``high``."""
    inside = math.isfinite(value) and (low < value if low_open else low <= value) and value <= high
    if not inside:
        bound = f"> {low:g}" if low_open else f">= {low:g}"
        raise ConfigError(f"--{option.lstrip('-')}: {value} is not allowed; {what} {bound} and "
                          f"<= {high:g}")
    return value


def check_scale(scale: float, option: str = "--scale") -> float:
    """A town's scale: finite, > 0 and at most :data:`MAX_SCALE` (1.0 is the town at 1:1)."""
    return check_number(option, scale, 0.0, MAX_SCALE, low_open=True,
                        what="a scale (1.0 is the town at 1:1)")


def check_seed(seed: int, option: str = "--seed") -> int:
    return check_whole(option, seed, 0, MAX_SEED)


def check_days(days: int, option: str = "--days") -> int:
    return check_whole(option, days, 1, MAX_DAYS, what="a whole number of days")


def check_workers(workers: int, option: str = "--workers") -> int:
    return check_whole(option, workers, 1, MAX_WORKERS, zero="one per core")


def cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def workers_for(workers: int, jobs: int, option: str = "--workers") -> int:
    """The processes to start for ``jobs`` runs: ``workers`` (0: one per core), at most one per
    run and one per core, with a note on stderr when that is fewer than asked."""
    check_workers(workers, option)
    used = max(1, min(workers or cores(), jobs, cores()))
    if workers and used < workers:
        note(f"{option} {workers}: {used} used ({jobs:,} runs, {cores()} cores)")
    return used


def check_common(days: int, seed: int, reforms: list[str], scale: float | None = None) -> None:
    """Check ``--days``, ``--seed``, ``--scale`` and that every ``--reform`` follows the grammar
    and switches on within the run."""
    check_days(days)
    check_seed(seed)
    if scale is not None:
        check_scale(scale)
    for spec in reforms:
        parse_reform(spec, days=days, option="--reform")


def check_out(out: Path | None) -> None:
    """``--out`` must be a folder, or not exist yet."""
    if out is not None and out.exists() and not out.is_dir():
        raise ConfigError(f"--out: '{out}' exists and is not a folder; give a folder path")


# -- the bound on work ---------------------------------------------------------------------------
# CPU seconds of one run on this project's machines (2-core AMD EPYC, Python 3.12), measured by
# benchmarks/run_cost.py and rounded up; the costliest preset sets each (Dongcheng per day and
# per resident-day, where N town costs a fifteenth as much), so that the estimate errs high.
SECONDS_PER_RUN = 0.05
"""A run's start, whatever its size: a process's job, the config, the metrics."""
BUILD_SECONDS_PER_RESIDENT = 2.5e-6
"""Building the town, per resident (measured: 1.9 to 2.2 µs)."""
SECONDS_PER_DAY = 6e-3
"""A simulated day of what does not grow with the population: grids, staff (measured: up to 5 ms)."""
SECONDS_PER_RESIDENT_DAY = 1e-6
"""A simulated day, per resident (measured: 0.03 µs for Zhoushan to 0.79 µs for Dongcheng)."""
MAX_HOURS = 24.0
"""The default bound: the CPU-hours a command may start without ``--max-hours``."""
MAX_HOURS_ENV = "GRIDGOV_MAX_HOURS"
# Peak memory of one run's process, measured by benchmarks/run_cost.py --memory and rounded up:
# the case log grows with the problems a town has, so with residents x days (Dongcheng the most).
BYTES_PER_PROCESS = 250e6
"""A process with the model imported (measured: 170 MB)."""
BYTES_PER_RESIDENT = 400.0
"""The town built, per resident (measured: 230 to 350 bytes)."""
BYTES_PER_RESIDENT_DAY = 8.0
"""The case log and the tally, per resident and simulated day (measured: 0.5 to 5.3 bytes)."""
MAX_MEMORY_SHARE = 0.75
"""The default bound on memory: this share of the machine's physical memory, for all the runs
in memory at once."""
MAX_MEMORY_ENV = "GRIDGOV_MAX_MEMORY_GB"


class Work(NamedTuple):
    """``runs`` runs of ``days`` simulated days each of a town of ``residents`` (at its scale)."""

    runs: int
    days: float
    residents: float

    def seconds(self) -> float:
        """Estimated CPU seconds (an upper estimate: the costliest preset's rate)."""
        one = (SECONDS_PER_RUN + BUILD_SECONDS_PER_RESIDENT * self.residents
               + self.days * (SECONDS_PER_DAY + SECONDS_PER_RESIDENT_DAY * self.residents))
        return self.runs * one

    def run_bytes(self) -> float:
        """Estimated peak memory of the process of one run (an upper estimate)."""
        return (BYTES_PER_PROCESS + BYTES_PER_RESIDENT * self.residents
                + BYTES_PER_RESIDENT_DAY * self.residents * self.days)


def memory_limit() -> tuple[float, str]:
    """The bytes all runs at once may take, and where that figure comes from."""
    given = os.environ.get(MAX_MEMORY_ENV)
    if given is not None:
        try:
            gb = float(given)
        except ValueError:
            gb = math.nan
        if not (math.isfinite(gb) or gb == math.inf) or gb <= 0:
            raise ConfigError(f"{MAX_MEMORY_ENV}: '{given}' is not allowed; a number of GB > 0 "
                              "(inf: no bound)")
        return gb * 1e9, f"{MAX_MEMORY_ENV}={given}"
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # not a POSIX system: no bound
        return math.inf, "no bound known"
    return MAX_MEMORY_SHARE * total, (f"{MAX_MEMORY_SHARE:.0%} of this machine's "
                                      f"{total / 1e9:.0f} GB")


def check_work(work: Work | Sequence[Work], *, max_hours: float | None, workers: int = 1,
               asked: str) -> float:
    """Refuse (:class:`ConfigError`) work estimated at more than ``max_hours`` CPU-hours
    (``None``: :data:`MAX_HOURS`; ``inf``: no bound), or whose runs in memory at once (one per
    process) would take more than :func:`memory_limit`; return the estimate in CPU-hours.

    ``asked`` names the flags that set the work (``"--reps 30 x 3 settings, --days 365"``).

    Example:
        >>> round(check_work(Work(runs=10, days=365, residents=180_000), max_hours=None,
        ...                  asked="--reps 10"), 2)
        0.19
    """
    limit = MAX_HOURS if max_hours is None else max_hours
    if math.isnan(limit) or limit <= 0:
        raise ConfigError(f"--max-hours: {limit} is not allowed; a number of CPU-hours > 0 "
                          "(inf: no bound)")
    parts = [work] if isinstance(work, Work) else list(work)
    hours = sum(w.seconds() for w in parts) / 3600
    if hours > limit:
        runs = sum(w.runs for w in parts)
        days = max((w.days for w in parts), default=0)
        residents = max((w.residents for w in parts), default=0)
        wall = hours / max(1, min(workers, runs))
        raise ConfigError(
            f"{asked}: too much work: {runs:,} runs of up to {days:,g} days of a town of up to "
            f"{residents:,.0f} residents, estimated at {_hours(hours)} CPU-hours (about "
            f"{_hours(wall)} hours on {max(1, min(workers, runs))} processes), above the limit of "
            f"{limit:g} CPU-hours. Ask for fewer runs, fewer days or a smaller scale, or raise the "
            f"limit with --max-hours H (or {MAX_HOURS_ENV}=H; inf for no bound). The estimate is "
            "of the costliest preset (benchmarks/run_cost.py); most towns run faster")
    processes = max(1, min(workers, sum(w.runs for w in parts)))
    peak = max((w.run_bytes() for w in parts), default=0.0)
    allowed, why = memory_limit()
    if peak * processes > allowed:
        big = max(parts, key=Work.run_bytes)
        raise ConfigError(
            f"{asked}: too much memory: a run of {big.days:,g} days of a town of "
            f"{big.residents:,.0f} residents is estimated to need {peak / 1e9:,.1f} GB "
            f"({peak * processes / 1e9:,.1f} GB for {processes} at once), above the limit of "
            f"{allowed / 1e9:,.1f} GB ({why}). Ask for fewer days or a smaller scale (or fewer "
            f"--workers), or set {MAX_MEMORY_ENV}=GB. The estimate is of the costliest preset "
            "(benchmarks/run_cost.py --memory)")
    return hours


def _hours(h: float) -> str:
    return f"{h:,.1f}" if h < 1e6 else f"{h:.2g}"


def choose_town(preset: str | None, config: Path | None) -> tuple[str | None, TownConfig]:
    """The preset's name (``None`` with ``--config``) and the town of ``--config`` if given, else
    of ``--preset`` (default :data:`DEFAULT_PRESET`); :class:`ConfigError` if both are given."""
    if preset is not None and config is not None:
        raise ConfigError(f"--preset '{preset}' and --config '{config}': give one of them, not both")
    if config is not None:
        return None, load_config(config)
    return preset or DEFAULT_PRESET, load_preset(preset or DEFAULT_PRESET)


def town(preset: str | None, config: Path | None) -> TownConfig:
    """The town of :func:`choose_town`."""
    return choose_town(preset, config)[1]


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
Preset = Annotated[str | None, typer.Option(help=f"Town preset (default: {DEFAULT_PRESET}; see "
                                                 "`gridgov presets list`); not with --config.")]
ConfigFile = Annotated[Path | None, typer.Option(help="A town config TOML file instead of a preset.")]
Days = Annotated[int, typer.Option(help=f"Simulated days (1 to {MAX_DAYS:,}).")]
Scale = Annotated[float, typer.Option(help=f"Population and staff multiplier (1.0 = 1:1; > 0 and "
                                           f"<= {MAX_SCALE:g}).")]
Reforms = Annotated[list[str] | None, typer.Option("--reform", help=REFORM_HELP)]
Workers = Annotated[int, typer.Option(help=f"Parallel processes (0: one per core; at most "
                                           f"{MAX_WORKERS}, one per run and one per core).")]
MaxHours = Annotated[float | None, typer.Option(
    "--max-hours", envvar=MAX_HOURS_ENV, show_envvar=True,
    help=f"Refuse work estimated at more CPU-hours than this (default {MAX_HOURS:g}; inf: no bound).")]
LangOption = Annotated[str, typer.Option("--lang", help="Language: en or zh.")]
