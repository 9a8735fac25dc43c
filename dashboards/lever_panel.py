"""The lever panel: every lever of :func:`dashboards.levers.lever_specs` as a widget, by section.

Edits go into the settings being edited (:attr:`dashboards.session.ExploreState.settings`); the
run changes only on Reset or "put levers in force now". A value the schema or the town's
validation refuses is shown with its message where it was typed and is not taken.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import solara
from solara.alias import rv

from coordination.words import Lang, Names, choice_label, lever_help, lever_label, lever_paper, t
from dashboards.levers import (
    MEETING_KINDS,
    MEETING_NUMBERS,
    LeverSpec,
    lever_specs,
    meetings_with,
)
from dashboards.state import ExploreSettings
from dashboards.widgets import ChoiceField, NumberField
from institutions import ConfigError, TownConfig
from institutions.paths import value_at

Setter = Callable[[ExploreSettings], None]


def with_override(settings: ExploreSettings, base: dict[str, Any], path: str, value: Any
                  ) -> tuple[ExploreSettings | None, str]:
    """Settings with ``path`` set to ``value`` (dropped if it is the preset's own value), or the
    validation message of the town if it refuses it.

    Example:
        >>> s = ExploreSettings()
        >>> base = ExploreSettings().base().model_dump()
        >>> new, _ = with_override(s, base, "institutions.authority.kind", "command")
        >>> new.overrides
        {'institutions.authority.kind': 'command'}
        >>> with_override(new, base, "institutions.authority.kind", "none")[0].overrides
        {}
    """
    overrides = dict(settings.overrides)
    if value_at(base, path) == value:
        overrides.pop(path, None)
    else:
        overrides[path] = value
    new = dataclasses.replace(settings, overrides=overrides)
    try:
        new.config()
    except ConfigError as exc:
        return None, str(exc)
    return new, ""


@solara.component
def LeverField(spec: LeverSpec, settings: ExploreSettings, base: dict[str, Any], cfg: TownConfig,
               set_settings: Setter, lang: Lang):
    """One lever's widget."""
    current = settings.overrides.get(spec.path, value_at(base, spec.path))
    label = Names(cfg, lang).parameter(spec.path)
    message, set_message = solara.use_state("")

    def take(value: Any) -> str | None:
        new, problem = with_override(settings, base, spec.path, value)
        if new is not None:
            set_settings(new)
        set_message(problem)
        return problem or None

    css = f"lever-{spec.path.replace('.', '-')}"
    with solara.Tooltip(help_text(spec, lang)), solara.Column(style={"gap": "0"}, classes=[f"help-{css}"]):
        if spec.kind == "choice":
            ChoiceField(label, current, spec.choices, take, names=lambda c: choice_label(c, lang),
                        classes=[css])
        elif spec.kind == "bool":
            solara.Checkbox(label=label, value=bool(current), on_value=take, style="margin-top: 0")
        else:
            NumberField(label, current, take, spec, lang)
    if message and spec.kind != "int" and spec.kind != "float":
        solara.Error(message, dense=True)


def help_text(spec: LeverSpec, lang: Lang) -> str:
    """The tooltip of a lever: what it does and its unit, for a number what is allowed, and
    what the study reports about it.

    Example:
        >>> from dashboards.levers import LeverSpec
        >>> help_text(LeverSpec("centre.intake_seats", "int", low=0, high=1000), "zh").split(" 研究")[0]
        '中心负责受理、立案的人员(人)。 允许:0 至 1000'
    """
    text = lever_help(spec.path, lang)
    if spec.kind in ("int", "float"):
        text = f"{text} {t('allowed_range', lang, allowed=spec.allowed(lang))}".strip()
    study = lever_paper(spec.path, lang)
    return f"{text} {t('the_study', lang, text=study)}" if study else text


@solara.component
def MeetingsField(settings: ExploreSettings, base: dict[str, Any], set_settings: Setter, lang: Lang):
    """Joint-duty meetings (联勤联动会议): which are held, how often, how many cases each takes."""
    meetings = settings.overrides.get("institutions.meetings", base["institutions"]["meetings"])
    message, set_message = solara.use_state("")

    def change(kind: str, held: bool | None = None, **fields: Any) -> str | None:
        new, problem = with_override(settings, base, "institutions.meetings",
                                     meetings_with(meetings, kind, held, **fields))
        if new is not None:
            set_settings(new)
        set_message(problem)
        return problem or None

    for kind in MEETING_KINDS:
        mine = next((m for m in meetings if m["kind"] == kind), None)
        solara.Checkbox(label=choice_label(kind, lang), value=mine is not None,
                        on_value=lambda held, kind=kind: change(kind, held), style="margin-top: 0")
        if mine is not None:
            with solara.Row(style={"gap": "8px", "padding-left": "28px"}):
                for name, spec in MEETING_NUMBERS.items():
                    NumberField(lever_label(spec.path, lang), mine[name],
                                lambda v, kind=kind, name=name: change(kind, **{name: v}),
                                dataclasses.replace(spec, path=f"meetings.{kind}.{name}"), lang,
                                width="110px")
    if message:
        solara.Error(message, dense=True)


@solara.component
def LeverPanel(settings: ExploreSettings, set_settings: Setter, lang: Lang):
    """All levers of the town being edited, in collapsible sections."""
    key = (settings.preset, id(settings.town))
    cfg = solara.use_memo(settings.base, [key])
    base = solara.use_memo(cfg.model_dump, [key])
    sections = solara.use_memo(lambda: lever_specs(cfg), [key])
    opened, set_opened = solara.use_state([])  # widgets only for the sections open: a fast first page
    with rv.ExpansionPanels(multiple=True, accordion=True, flat=True, class_="lever-panels",
                            v_model=opened, on_v_model=lambda v: set_opened(list(v or []))):
        for i, (key, specs) in enumerate(sections.items()):
            with rv.ExpansionPanel():
                rv.ExpansionPanelHeader(children=[t(key, lang)], class_=f"section-{key}",
                                        style_="min-height: 36px; padding: 4px 12px; font-weight: 600")
                with rv.ExpansionPanelContent():
                    if i not in opened:
                        continue
                    if key == "sec_meetings":
                        MeetingsField(settings, base, set_settings, lang)
                    for spec in specs:
                        LeverField(spec, settings, base, cfg, set_settings, lang)
