"""Small Solara widgets the pages share: a number field that says what is wrong in place, a
choice with translated labels, a PNG image that scales to its column, a map picture that knows
its dots (hover, click, double-click), a simple table."""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence

import ipywidgets
import reacton.ipywidgets as rw
import solara
from solara.alias import rv

from coordination.words import Lang, t
from dashboards.levers import LeverSpec, check_number


def _shown(value: float | int | None) -> str:
    if value is None:
        return ""
    return f"{value:g}" if isinstance(value, float) else str(value)


@solara.component
def NumberField(label: str, value: float | int | None, on_value: Callable[[float | int], str | None],
                spec: LeverSpec, lang: Lang = "en", width: str = "100%",
                on_error: Callable[[str], None] | None = None, fresh: int = 0):
    """A number typed in, checked against ``spec``; ``on_value`` may return a further error.

    A bad entry (not a number, out of range, refused by the config's validation) stays in the
    field with its message under it; the value in force does not change. ``on_error`` hears
    the field's message each time it changes ("" once the entry is good), so that a page can
    hold back what the entry is for. A new ``fresh`` (a Reset) shows the value in force again.
    """
    text, set_text = solara.use_state(_shown(value), key=f"text-{spec.path}")
    error, set_error = solara.use_state("", key=f"error-{spec.path}")

    def show(problem: str) -> None:
        set_error(problem)
        if on_error is not None:
            on_error(problem)

    def sync() -> None:
        set_text(_shown(value))
        show("")

    solara.use_effect(sync, [value, fresh])

    def commit(new: str | None) -> None:
        new = new or ""
        set_text(new)
        number, problem = check_number(spec, new, lang)
        if problem is not None:
            show(problem)
            return
        assert number is not None
        show(on_value(number) or "")

    with solara.Div(style={"width": width, "flex": "0 0 auto"},
                    classes=[f"field-{spec.path.replace('.', '-')}"]):
        solara.InputText(label, value=text, on_value=commit, error=error or False, dense=True)


@solara.component
def ChoiceField(label: str, value: str, choices: Sequence[str], on_value: Callable[[str], None],
                names: Callable[[str], str] = str, classes: Sequence[str] = ()):
    """A drop-down of ``choices`` shown by ``names``."""
    rv.Select(label=label, v_model=value, on_v_model=on_value, dense=True, hide_details=True,
              items=[{"text": names(c), "value": c} for c in choices], class_=" ".join(classes),
              style_="margin-bottom: 6px")


@solara.component
def PngImage(data: bytes, width: str = "100%", max_width: str = "none", classes: Sequence[str] = ()):
    """PNG bytes shown at the column's width (the figure keeps its aspect ratio)."""
    with solara.Div(classes=list(classes), style={"max-width": max_width, "width": width}):
        rw.Image(value=data, format="png", layout=ipywidgets.Layout(width="100%", height="auto"))


@solara.component_vue("map_image.vue")
def _MapImage(src: str, dots: list, event_pick: Callable[[int], None] | None = None,
              event_zoom: Callable[[list], None] | None = None):
    pass


@solara.component
def MapImage(data: bytes, dots: list, on_pick: Callable[[int], None] | None = None,
             on_zoom: Callable[[float, float], None] | None = None, max_width: str = "none",
             classes: Sequence[str] = ()):
    """A PNG map with its dots: pointing at a dot shows its text (in the browser, no round trip),
    clicking one calls ``on_pick(case id)``, a double-click ``on_zoom(x, y)``.

    ``dots`` are ``[x, y, text, case id or None]``, ``x, y`` fractions of the picture's width and
    height from its top left corner (:meth:`dashboards.town_map.TownMap.dots`).
    """
    src = "data:image/png;base64," + base64.b64encode(data).decode("ascii")
    with solara.Div(classes=list(classes), style={"max-width": max_width, "width": "100%"}):
        _MapImage(src=src, dots=dots, event_pick=on_pick or (lambda _: None),
                  event_zoom=(lambda xy: on_zoom(float(xy[0]), float(xy[1]))) if on_zoom
                  else (lambda _: None))


@solara.component
def Table(columns: Sequence[str], rows: Sequence[Sequence[object]], highlight: int | None = None,
          dense: bool = True, max_height: str = "none", classes: Sequence[str] = (),
          cell_style: Callable[[int, int], str] | None = None):
    """A plain table; row ``highlight`` is marked; ``cell_style(row, column)`` styles a cell."""
    head = rv.Html(tag="thead", children=[rv.Html(tag="tr", children=[
        rv.Html(tag="th", children=[str(c)]) for c in columns])])
    body = rv.Html(tag="tbody", children=[
        rv.Html(tag="tr", children=[rv.Html(tag="td", children=[str(v)],
                                            style_=cell_style(i, j) if cell_style else "")
                                    for j, v in enumerate(row)],
                style_="background: #fff3c4; font-weight: 600" if i == highlight else "")
        for i, row in enumerate(rows)])
    rv.SimpleTable(dense=dense, children=[head, body], class_=" ".join(classes),
                   style_=f"max-height: {max_height}; overflow-y: auto")


@solara.component
def ErrorBoundary(children: Sequence = (), lang: Lang = "en"):
    """Its ``children``, or, if drawing them raised, the error in place with Try again: the bar
    and the session (its runs, its settings) are kept, the page is not replaced by a traceback."""
    error, clear = solara.use_exception()
    if error is None:
        solara.Div(children=list(children))
        return
    with solara.Column(classes=["page-error"], style={"gap": "8px", "max-width": "900px"}):
        solara.Error(t("page_failed", lang, error=f"({type(error).__name__}: {error})"))
        solara.Button(t("try_again", lang), icon_name="mdi-refresh", on_click=clear,
                      classes=["page-error-retry"])
