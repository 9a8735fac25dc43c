"""Sweep results: open a sweep's output folder and see how a metric responds to one or two
parameters (a line, or a heat map, with 95% intervals), and the sensitivity indices where
``gridgov analyze`` computed them. The example sweep that ships with gridgov opens with one
button, for a first look before any sweep of one's own.
"""

from __future__ import annotations

from pathlib import Path

import solara

from coordination.words import Lang, Names, metric_label, t
from dashboards.charts import draw_heatmap, draw_indices, draw_response
from dashboards.figures import plot_lang, render
from dashboards.session import SweepState, use_session
from dashboards.sweep_data import (
    EXAMPLE_COMMAND,
    EXAMPLE_SWEEP,
    find_sweeps,
    indices_for,
    open_sweep,
    response,
    sweep_town,
    sweeps_root,
)
from dashboards.widgets import ChoiceField, PngImage
from institutions import ConfigError

NONE = ""


@solara.component
def FolderPicker(sw: SweepState, lang: Lang):
    """The folder typed in (or picked from those found under the sweeps root), and Open. Only
    folders under the root open (:func:`dashboards.sweep_data.inside_root`); they are shown
    relative to it."""
    text, set_text = solara.use_state(sw.folder.value)

    def under_root() -> list[str]:
        root = sweeps_root()
        return [Path(f).relative_to(root).as_posix() for f in find_sweeps(root)
                if Path(f).resolve().is_relative_to(root)]  # not a symlink out of it

    found = solara.use_memo(under_root, [])

    def open_folder(folder: str | None = None, example: bool = False) -> None:
        folder = (folder if folder is not None else text).strip()
        set_text(folder)
        sw.folder.value = folder
        try:
            sweep = open_sweep(EXAMPLE_SWEEP, EXAMPLE_SWEEP) if example else open_sweep(folder)
        except ConfigError as exc:
            sw.message.value = str(exc)
            return
        except (OSError, ValueError) as exc:  # a damaged part file, unreadable CSV …
            sw.message.value = f"sweep folder: '{folder}' could not be read: {exc}"
            return
        sw.show(sweep)

    with solara.Row(style={"gap": "12px", "align-items": "flex-start"}):
        with solara.Div(style={"flex": "0 1 640px"}, classes=["field-sweep-folder"]):
            solara.InputText(t("sweep_folder", lang), value=text, on_value=open_folder,
                             error=sw.message.value or False, dense=True)
        solara.Button(t("open_folder", lang), icon_name="mdi-folder-open", on_click=open_folder,
                      color="primary", classes=["open-sweep"])
        solara.Button(t("open_example_sweep", lang), icon_name="mdi-flask-outline", outlined=True,
                      on_click=lambda: open_folder(t("example_sweep", lang), example=True),
                      classes=["open-example-sweep"])
    if not found and sw.loaded.value is None:
        solara.Info(t("no_sweep_yet", lang, command=EXAMPLE_COMMAND), dense=True,
                    classes=["no-sweep-yet"])
    if found:
        with solara.Row(style={"gap": "6px", "flex-wrap": "wrap"}):
            for folder in found[:8]:
                solara.Button(folder, text=True, small=True, style={"text-transform": "none"},
                              on_click=lambda folder=folder: open_folder(folder))


@solara.component
def SweepView(sw: SweepState, lang: Lang):
    """The response chart and the sensitivity indices of the sweep opened."""
    sweep = sw.loaded.value
    # a choice the sweep lacks (one made for another sweep) is never drawn
    metric = sw.metric.value if sw.metric.value in sweep.outputs else next(iter(sweep.outputs), "")
    x = sw.x.value if sw.x.value in sweep.parameters else next(iter(sweep.parameters), "")
    y = sw.y.value if sw.y.value in sweep.parameters and sw.y.value != x else NONE
    town = solara.use_memo(lambda: sweep_town(sweep), [id(sweep)])
    names, chart_names = Names(town, lang), Names(town, plot_lang(lang))

    def chart() -> bytes | None:
        if not (metric and x):
            return None
        table = response(sweep.runs, metric, x, y or None)
        if table.empty:
            return None
        if y:
            return render(draw_heatmap, table, metric, x, y, lang=lang, labels=chart_names.parameter)
        return render(draw_response, table, metric, x, lang=lang, labels=chart_names.parameter)

    image = solara.use_memo(chart, [id(sweep), metric, x, y, lang])
    indices = solara.use_memo(lambda: indices_for(sweep, metric) if metric else {},
                              [id(sweep), metric])
    index_images = solara.use_memo(
        lambda: {name: render(draw_indices, table, name, lang=lang, labels=chart_names.parameter)
                 for name, table in indices.items()},
        [id(sweep), metric, lang])
    solara.Text(t("runs_read", lang, runs=len(sweep.runs), points=sweep.points, failed=sweep.failed),
                classes=["sweep-summary"])
    if not sweep.outputs or not len(sweep.runs):
        solara.Warning(t("no_runs", lang), dense=True)
        return
    with solara.Row(style={"gap": "12px", "flex-wrap": "wrap"}):
        with solara.Div(style={"width": "260px"}):
            ChoiceField(t("metric", lang), metric, sweep.outputs, sw.metric.set,
                        names=lambda m: metric_label(m, lang), classes=["sweep-metric"])
        with solara.Div(style={"width": "340px"}):
            ChoiceField(t("param_x", lang), x, sweep.parameters, sw.x.set,
                        names=names.parameter, classes=["sweep-x"])
        with solara.Div(style={"width": "340px"}):
            ChoiceField(t("param_y", lang), y, [NONE, *[p for p in sweep.parameters if p != x]],
                        sw.y.set, names=lambda p: names.parameter(p) if p else t("none", lang),
                        classes=["sweep-y"])
    with solara.Row(style={"gap": "16px", "align-items": "flex-start", "flex-wrap": "wrap"}):
        with solara.Div(style={"flex": "1 1 560px", "max-width": "720px"}):
            if image is not None:
                PngImage(image, max_width="700px", classes=["sweep-chart"])
        with solara.Div(style={"flex": "1 1 420px", "max-width": "720px"}):
            solara.Text(t("sensitivity", lang), style={"font-weight": "700", "display": "block"})
            if not index_images:
                solara.Info(t("no_sensitivity", lang), dense=True, classes=["no-sensitivity"])
            for name, png in index_images.items():
                solara.Text(t(f"index_{name}", lang), style={"font-size": "0.9rem", "display": "block"})
                PngImage(png, max_width="700px", classes=[f"sweep-{name}"])


@solara.component
def Page():
    """The Sweep results page."""
    session = use_session()
    lang = session.lang.value
    sw = session.sweep
    FolderPicker(sw, lang)
    if sw.loaded.value is not None:
        SweepView(sw, lang)
