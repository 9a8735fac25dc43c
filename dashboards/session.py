"""Per-session state: each browser session has its own runs, settings and language.

The app's layout creates one :class:`Session` per page (``solara.use_memo`` in the layout
component, which lives as long as the page) and hands it to the pages through
:data:`SessionContext`. One visitor's play, reset or settings never reach another's. The one
module-level object, :data:`KEPT`, hands a reloaded page what its browser's old page left
(:class:`Keeper`): a reload keeps the session's runs, settings and language.

Models are mutated in place; ``version`` counters tell the components that read them to redraw.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import solara

from coordination.words import Lang
from dashboards.state import DEFAULT_SCALE, ExploreRun, ExploreSettings
from institutions import ConfigError


class Keeper:
    """What a browser session keeps across a reload of its page: the values of its reactive
    variables (by name) and its runs. A reload makes a new page (a new Solara kernel, whose
    reactive variables start afresh); the new page's :class:`Session` starts from these.

    Example:
        >>> keeper = Keeper()
        >>> keeper.values["explore.days_per_step"] = 7
        >>> keep = keeper.scope("explore")
        >>> keep("days_per_step", 1).value, keep("tab", 0).value
        (7, 0)
    """

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}

    def scope(self, prefix: str) -> Callable[..., solara.Reactive]:
        """``keep(name, default, **reactive_options)``: a reactive variable that starts from the
        kept value of ``prefix.name`` (else ``default``) and keeps each new value."""
        def keep(name: str, default: Any, **options: Any) -> solara.Reactive:
            key = f"{prefix}.{name}"
            variable = solara.reactive(self.values.get(key, default), **options)
            variable.subscribe(lambda value: self.values.__setitem__(key, value))
            return variable
        return keep


class KeptSessions:
    """The :class:`Keeper` of each open page, by browser session (its cookie), so that a page
    reloaded in the same browser takes up the keeper its old page left; a second tab open at
    the same time gets its own. Keepers of closed pages are dropped beyond ``spare`` (the
    oldest first): each holds its runs' models in memory."""

    def __init__(self, spare: int = 6, wait_s: float = 3.0) -> None:
        self.spare, self.wait_s = spare, wait_s
        self._lock = threading.Lock()
        self._pages: dict[str, tuple[str, Keeper]] = {}  # kernel id -> (session id, keeper)

    @staticmethod
    def _open(kernel_id: str) -> bool:
        """Whether the page of a kernel is still connected."""
        from solara.server import kernel_context

        context = kernel_context.contexts.get(kernel_id)
        return (context is not None and not context.closed_event.is_set() and any(
            status == kernel_context.PageStatus.CONNECTED for status in context.page_status.values()))

    def take(self, session_id: str, kernel_id: str) -> Keeper:
        """The keeper for a new page: the one a closed page of the same browser left, else new."""
        deadline = time.monotonic() + self.wait_s
        while True:
            with self._lock:
                mine = [k for k, (sid, _) in self._pages.items() if sid == session_id and k != kernel_id]
                closed = [k for k in mine if not self._open(k)]
                if closed or not mine or time.monotonic() >= deadline:
                    keeper = self._pages.pop(closed[-1])[1] if closed else Keeper()
                    self._pages[kernel_id] = (session_id, keeper)
                    self._drop_spare()
                    return keeper
            time.sleep(0.1)  # a reload: the old page may not have said goodbye yet

    def _drop_spare(self) -> None:
        closed = [k for k in self._pages if not self._open(k)]
        for kernel_id in closed[: max(0, len(closed) - self.spare)]:
            del self._pages[kernel_id]


KEPT = KeptSessions()


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

    def __init__(self, scale: float = DEFAULT_SCALE, keeper: Keeper | None = None) -> None:
        self.lock = threading.RLock()
        self.pacer = Pacer()
        self._kept = keeper or Keeper()
        keep = self._kept.scope("explore")
        self.settings = keep("settings", ExploreSettings(scale=scale))
        self.version = solara.reactive(0)
        self.playing = solara.reactive(False)
        self.days_per_step = keep("days_per_step", 1)
        self.speed = keep("speed", "normal")  # how fast Play goes: dashboards.pages.explore.PLAY_SPEEDS
        self.message = keep("message", "")
        self.resets = solara.reactive(0)  # Reset pressed: the fields start afresh, their messages gone
        self.inspected = keep("inspected", None)  # the case opened in the case inspector (ringed)
        self.zoom = keep("zoom", None)  # the grid the map shows close up (None: the town)
        self.tab = keep("tab", 0)  # 0 referral network, 1 case inspector

    @property
    def _run(self) -> ExploreRun | None:
        return self._kept.values.get("explore.run")

    @_run.setter
    def _run(self, run: ExploreRun) -> None:
        self._kept.values["explore.run"] = run  # a page reload keeps it

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
        self.inspected.value = None
        self.zoom.value = None
        self.resets.value += 1
        self.bump()

    def inspect(self, case_id: int) -> None:
        """Open a case in the case inspector (a dot clicked on the map)."""
        self.inspected.value = int(case_id)
        self.tab.value = 1

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

    def __init__(self, scale: float = DEFAULT_SCALE, keeper: Keeper | None = None) -> None:
        self.lock = threading.RLock()
        self.pacer = Pacer()
        self._kept = keeper or Keeper()
        keep = self._kept.scope("compare")
        self.preset = keep("preset", "n_town")
        self.seed = keep("seed", 1)
        self.scale = keep("scale", scale)
        self.reforms_a = keep("reforms_a", ())
        self.reforms_b = keep("reforms_b", ("department_kpis",))
        self.overrides_a = keep("overrides_a", {})  # levers of A set away from the preset's
        self.overrides_b = keep("overrides_b", {})
        self.version = solara.reactive(0)
        self.playing = solara.reactive(False)
        self.days_per_step = keep("days_per_step", 7)
        self.message = keep("message", "")
        self.reps = keep("reps", 10)
        self.days = keep("days", 90)
        self.progress = solara.reactive(None)  # (runs done, runs in all, seconds left)
        self.summary = keep("summary", None)  # (settings A, settings B, summary) once computed

    @property
    def _pair(self) -> Pair | None:
        return self._kept.values.get("compare.pair")

    @_pair.setter
    def _pair(self, pair: Pair) -> None:
        self._kept.values["compare.pair"] = pair  # a page reload keeps it

    def settings(self, side: str) -> ExploreSettings:
        """The settings of side ``"a"`` or ``"b"``: the same town, seed and scale; its own
        reforms and levers."""
        reforms, overrides = ((self.reforms_a, self.overrides_a) if side == "a"
                              else (self.reforms_b, self.overrides_b))
        return ExploreSettings(preset=self.preset.value, seed=self.seed.value, scale=self.scale.value,
                               reforms=tuple(reforms.value), overrides=dict(overrides.value))

    def set_levers(self, side: str) -> Callable[[ExploreSettings], None]:
        """What a side's lever panel calls with the settings edited."""
        overrides = self.overrides_a if side == "a" else self.overrides_b
        return lambda settings: overrides.set(dict(settings.overrides))

    @property
    def pair(self) -> Pair:
        """The two runs, built the first time they are needed."""
        with self.lock:
            if self._pair is None:
                self._pair = Pair(ExploreRun(self.settings("a")), ExploreRun(self.settings("b")))
            return self._pair

    def reset(self) -> None:
        """Start both runs over with the settings chosen."""
        self.playing.value = False
        try:
            pair = Pair(ExploreRun(self.settings("a")), ExploreRun(self.settings("b")))
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

    def __init__(self, keeper: Keeper | None = None) -> None:
        self.lock = threading.RLock()
        keep = (keeper or Keeper()).scope("train")
        self.scenario = keep("scenario", "manhole")
        self.seed = keep("seed", 1)
        self.story = keep("story", None, equals=_same)  # experiments.scenarios.Story
        self.index = keep("index", 0)  # the timeline event shown (of all its events)
        self.key_only = keep("key_only", False)  # the timeline's turning points only
        self.reps = keep("reps", 20)  # seeds for the failure probability
        self.rates = keep("rates", None)  # (scenario, seed, reform, failure_rates) once run
        self.rates_progress = solara.reactive(None)  # (runs done, runs in all)
        self.reform = keep("reform", "")
        self.reform_story = keep("reform_story", None, equals=_same)
        self.own = keep("own", {})  # scenarios opened from files this session, by name
        self.file_message = keep("file_message", "")
        # by setting (the story's own, the reform's): the scenario's model advanced to the event
        # shown, the planted problem in it, and (model, language, its TownMap)
        self.replays: dict[str, tuple[Any, Any]] = {}
        self.towns: dict[str, tuple[Any, str, Any]] = {}


class SweepState:
    """The Sweep results page: the folder typed in and what was read from it."""

    def __init__(self, keeper: Keeper | None = None) -> None:
        keep = (keeper or Keeper()).scope("sweep")
        self.folder = keep("folder", "")
        self.loaded = keep("loaded", None, equals=_same)  # a dashboards.sweep_data.Sweep
        self.message = keep("message", "")
        self.metric = keep("metric", "")
        self.x = keep("x", "")
        self.y = keep("y", "")

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


class CityState:
    """The City page: the run folder typed in, the city read from it, and what is shown."""

    def __init__(self, keeper: Keeper | None = None) -> None:
        keep = (keeper or Keeper()).scope("city")
        self.folder = keep("folder", "")
        self.loaded = keep("loaded", None, equals=_same)  # a dashboards.city_data.City
        self.message = keep("message", "")
        self.metric = keep("metric", "resolution_rate")
        self.period = keep("period", 1)
        self.street = keep("street", "")


class Session:
    """Everything one browser session owns."""

    def __init__(self, lang: Lang = "en", scale: float = DEFAULT_SCALE,
                 keeper: Keeper | None = None) -> None:
        self.keeper = keeper or Keeper()
        self.lang = self.keeper.scope("session")("lang", lang)
        self.explore = ExploreState(scale, self.keeper)
        self.compare = CompareState(scale, self.keeper)
        self.train = TrainState(self.keeper)
        self.sweep = SweepState(self.keeper)
        self.city = CityState(self.keeper)

    @classmethod
    def of_page(cls) -> Session:
        """The session of the page being opened: the one this browser had before a reload of
        the page (its runs, settings and language), else a new one."""
        return cls(keeper=KEPT.take(solara.get_session_id(), solara.get_kernel_id()))


SessionContext = solara.create_context(None)


def use_session() -> Session:
    """The session of the page being rendered (a fresh one when a page is rendered alone)."""
    own = solara.use_memo(Session, [])
    provided = solara.use_context(SessionContext)
    return provided if provided is not None else own
