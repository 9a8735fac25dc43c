"""Per-session state: each browser session has its own runs, settings and language.

The app's layout creates one :class:`Session` per browser session (``solara.use_memo`` in the
layout component, which lives as long as the page) and hands it to the pages through
:data:`SessionContext`. Nothing here is module-level state: one visitor's play, reset or
settings never reach another's.

Models are mutated in place; ``version`` counters tell the components that read them to redraw.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import solara

from coordination.words import Lang
from dashboards.state import DEFAULT_SCALE, ExploreRun, ExploreSettings
from institutions import ConfigError


class Pacer:
    """Lets a player wait until the page has drawn the last step, so that playing never asks
    for steps faster than they are drawn (each step is drawn, and nothing piles up)."""

    def __init__(self) -> None:
        self._drawn = -1
        self._condition = threading.Condition()

    def drawn(self, version: int) -> None:
        """The page has drawn ``version``."""
        with self._condition:
            self._drawn = max(self._drawn, version)
            self._condition.notify_all()

    def wait(self, version: int, timeout: float = 5.0) -> bool:
        """Wait until ``version`` is drawn (or ``timeout`` seconds); whether it was."""
        with self._condition:
            return self._condition.wait_for(lambda: self._drawn >= version, timeout)


class ExploreState:
    """The Explore page: settings being edited, the run, and whether it is playing."""

    def __init__(self, scale: float = DEFAULT_SCALE) -> None:
        self.lock = threading.RLock()
        self.pacer = Pacer()
        self.settings = solara.reactive(ExploreSettings(scale=scale))
        self.version = solara.reactive(0)
        self.playing = solara.reactive(False)
        self.days_per_step = solara.reactive(1)
        self.message = solara.reactive("")
        self.resets = solara.reactive(0)  # Reset pressed: the fields start afresh, their messages gone
        self._run: ExploreRun | None = None

    @property
    def run(self) -> ExploreRun:
        """The current run, built from the settings the first time it is needed."""
        with self.lock:
            if self._run is None:
                self._run = ExploreRun(self.settings.value)
            return self._run

    def bump(self) -> None:
        self.version.value += 1

    def step(self, days: int | None = None) -> None:
        """Advance the run and tell the page."""
        with self.lock:
            self.run.step(days or self.days_per_step.value)
        self.bump()

    def reset(self) -> None:
        """Start over with the settings being edited; the message says why not if it cannot."""
        self.playing.value = False
        try:
            run = ExploreRun(self.settings.value)
        except ConfigError as exc:
            self.message.value = str(exc)
            return
        with self.lock:
            self._run = run
        self.message.value = ""
        self.resets.value += 1
        self.bump()

    def apply_levers(self) -> None:
        """Put the levers being edited in force in the running model."""
        try:
            with self.lock:
                self.run.apply_levers(self.settings.value)
        except ConfigError as exc:
            self.message.value = str(exc)
            return
        self.message.value = ""
        self.bump()

    def switch_on(self, reform: str) -> None:
        """Switch a named reform on now."""
        try:
            with self.lock:
                self.run.switch_on(reform)
        except ConfigError as exc:
            self.message.value = str(exc)
            return
        self.message.value = ""
        self.bump()


@dataclass
class Pair:
    """Two runs of the same town on the same seed (Compare page): the same incidents, only the
    institutions differ."""

    a: ExploreRun
    b: ExploreRun


def setting_label(reforms: tuple[str, ...]) -> str:
    """Reforms as a setting of :func:`experiments.run_replications`: ``A+B``, or ``baseline``.

    Example:
        >>> setting_label(()), setting_label(("clear_mandates", "training"))
        ('baseline', 'clear_mandates+training')
    """
    return "+".join(reforms) if reforms else "baseline"


class CompareState:
    """The Compare page: two settings, their runs side by side, and replications."""

    def __init__(self, scale: float = DEFAULT_SCALE) -> None:
        self.lock = threading.RLock()
        self.pacer = Pacer()
        self.scale = scale
        self.preset = solara.reactive("n_town")
        self.seed = solara.reactive(1)
        self.reforms_a = solara.reactive(())
        self.reforms_b = solara.reactive(("department_kpis",))
        self.version = solara.reactive(0)
        self.playing = solara.reactive(False)
        self.days_per_step = solara.reactive(7)
        self.message = solara.reactive("")
        self.reps = solara.reactive(10)
        self.days = solara.reactive(90)
        self.progress = solara.reactive(None)  # (runs done, runs in all, seconds left)
        self.summary = solara.reactive(None)  # (reforms A, reforms B, summary) once computed
        self._pair: Pair | None = None

    def settings(self, reforms: tuple[str, ...]) -> ExploreSettings:
        return ExploreSettings(preset=self.preset.value, seed=self.seed.value, scale=self.scale,
                               reforms=tuple(reforms))

    @property
    def pair(self) -> Pair:
        """The two runs, built the first time they are needed."""
        with self.lock:
            if self._pair is None:
                self._pair = Pair(ExploreRun(self.settings(self.reforms_a.value)),
                                  ExploreRun(self.settings(self.reforms_b.value)))
            return self._pair

    def reset(self) -> None:
        """Start both runs over with the settings chosen."""
        self.playing.value = False
        try:
            pair = Pair(ExploreRun(self.settings(self.reforms_a.value)),
                        ExploreRun(self.settings(self.reforms_b.value)))
        except ConfigError as exc:
            self.message.value = str(exc)
            return
        with self.lock:
            self._pair = pair
        self.message.value = ""
        self.version.value += 1

    def step(self, days: int | None = None) -> None:
        """Advance both runs by the same days."""
        with self.lock:
            pair = self.pair
            pair.a.step(days or self.days_per_step.value)
            pair.b.step(days or self.days_per_step.value)
        self.version.value += 1


def _same(a: Any, b: Any) -> bool:
    return a is b


class TrainState:
    """The Train page: the scenario, its story, the event shown, and a replay under a reform."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.scenario = solara.reactive("manhole")
        self.seed = solara.reactive(1)
        self.story = solara.reactive(None, equals=_same)  # experiments.scenarios.Story
        self.index = solara.reactive(0)  # the timeline event shown (of all its events)
        self.key_only = solara.reactive(False)  # the timeline's turning points only
        self.reps = solara.reactive(20)  # seeds for the failure probability
        self.rates = solara.reactive(None)  # (scenario, seed, reform, failure_rates) once run
        self.rates_progress = solara.reactive(None)  # (runs done, runs in all)
        self.reform = solara.reactive("")
        self.reform_story = solara.reactive(None, equals=_same)
        self.own = solara.reactive({})  # scenarios opened from files this session, by name
        self.file_message = solara.reactive("")
        self.replay: Any = None  # the scenario's model, advanced to the event shown
        self.replay_incident: Any = None  # the planted problem in that model
        self.town: Any = None  # (model, language, its TownMap)


class SweepState:
    """The Sweep results page: the folder typed in and what was read from it."""

    def __init__(self) -> None:
        self.folder = solara.reactive("")
        self.loaded = solara.reactive(None, equals=_same)  # a dashboards.sweep_data.Sweep
        self.message = solara.reactive("")
        self.metric = solara.reactive("")
        self.x = solara.reactive("")
        self.y = solara.reactive("")

    def show(self, sweep: Any) -> None:
        """Open ``sweep``: the metric and parameters chosen for the last one are kept where this
        one has them, else its first, and set before the sweep itself, so that nothing is drawn
        with a choice the new sweep does not have."""
        if self.metric.value not in sweep.outputs:
            self.metric.value = sweep.outputs[0] if sweep.outputs else ""
        if self.x.value not in sweep.parameters:
            self.x.value = sweep.parameters[0] if sweep.parameters else ""
        if self.y.value not in sweep.parameters or self.y.value == self.x.value:
            self.y.value = ""
        self.message.value = ""
        self.loaded.value = sweep


class Session:
    """Everything one browser session owns."""

    def __init__(self, lang: Lang = "en", scale: float = DEFAULT_SCALE) -> None:
        self.lang = solara.reactive(lang)
        self.explore = ExploreState(scale)
        self.compare = CompareState(scale)
        self.train = TrainState()
        self.sweep = SweepState()


SessionContext = solara.create_context(None)


def use_session() -> Session:
    """The session of the page being rendered (a fresh one when a page is rendered alone)."""
    own = solara.use_memo(Session, [])
    provided = solara.use_context(SessionContext)
    return provided if provided is not None else own
