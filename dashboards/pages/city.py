"""City: the results of a ``gridgov city run``: the league table of streets over time (排名), a
schematic map of the streets coloured by a rate, the table of one period, and one street opened
in Explore as the city ran it. The example city that ships with gridgov opens with one button.
"""

from __future__ import annotations

import dataclasses

import solara

from coordination.words import Lang, t
from dashboards.city_data import (
    EXAMPLE_CITY,
    EXAMPLE_COMMAND,
    METRICS,
    City,
    metric_name,
    open_city,
    rank_figure,
    rank_rows,
    street_map_figure,
)
from dashboards.figures import render
from dashboards.session import use_session
from dashboards.sweep_data import inside_root, sweeps_root
from dashboards.widgets import ChoiceField, PngImage, Table
from institutions import ConfigError


@solara.component
def Page():
    """The City page."""
    session = use_session()
    lang = session.lang.value
    state = session.city
    city: City | None = state.loaded.value
    router = solara.use_router()
    text, set_text = solara.use_state(state.folder.value)

    def open_folder(folder: str | None = None, example: bool = False) -> None:
        folder = (folder if folder is not None else text).strip()
        set_text(folder)
        state.folder.value = folder
        try:
            opened = open_city(EXAMPLE_CITY if example else inside_root(folder))
        except ConfigError as exc:
            state.message.value = str(exc).replace(str(sweeps_root()), ".")
            return
        except (OSError, ValueError, KeyError) as exc:  # a damaged part file or manifest
            state.message.value = f"city run folder: '{folder}' could not be read: {exc}"
            return
        state.message.value = ""
        state.period.value = opened.periods
        state.street.value = opened.spec.streets()[0].id
        state.loaded.value = opened

    with solara.Row(style={"gap": "12px", "align-items": "flex-start"}):
        with solara.Div(style={"flex": "0 1 640px"}, classes=["field-city-folder"]):
            solara.InputText(t("city_folder", lang), value=text, on_value=open_folder,
                             error=state.message.value or False, dense=True)
        solara.Button(t("city_open", lang), icon_name="mdi-folder-open", on_click=open_folder,
                      color="primary", classes=["open-city"])
        solara.Button(t("city_open_example", lang), icon_name="mdi-city-variant-outline", outlined=True,
                      on_click=lambda: open_folder("examples/cities/three_streets_run", example=True),
                      classes=["open-example-city"])
    if city is None:
        solara.Info(t("city_none", lang, command=EXAMPLE_COMMAND), dense=True, classes=["no-city-yet"])
    else:
        CityView(session, city, lang, router)


@solara.component
def CityView(session, city: City, lang: Lang, router):
    """One city run: the tiles, the league table over time, a period's table, a street to
    open in Explore."""
    state = session.city
    spec = city.spec
    solara.Text(t("city_summary", lang, name=(spec.name_zh if lang == "zh" else "") or spec.name,
                  streets=len(spec.streets()), districts=len(spec.districts), periods=city.periods,
                  days=spec.period_days), classes=["city-summary"], style={"font-weight": "700"})
    period = min(max(state.period.value, 1), max(city.periods, 1))
    metric = state.metric.value if state.metric.value in METRICS else METRICS[0]
    ranks = solara.use_memo(lambda: render(rank_figure, city, lang=lang), [id(city), lang])
    tiles = solara.use_memo(lambda: render(street_map_figure, city, metric, period, lang=lang),
                            [id(city), lang, metric, period])
    with solara.Row(style={"gap": "12px", "align-items": "center", "flex-wrap": "wrap"}):
        with solara.Div(style={"width": "330px"}):
            ChoiceField(t("city_metric", lang), metric, list(METRICS), state.metric.set,
                        names=lambda m: metric_name(m, lang), classes=["city-metric"])
        with solara.Div(style={"width": "320px"}, classes=["city-period"]):
            solara.SliderInt(t("city_period_pick", lang), value=period, min=1, max=max(city.periods, 1),
                             on_value=state.period.set, thumb_label="always")
    with solara.Row(style={"gap": "16px", "align-items": "flex-start", "flex-wrap": "wrap"}):
        with solara.Div(style={"flex": "1 1 520px", "max-width": "640px"}):
            PngImage(tiles, classes=["city-map"])
        with solara.Div(style={"flex": "1 1 520px", "max-width": "640px"}):
            PngImage(ranks, classes=["city-ranks"])
    Table(t("city_table_cols", lang).split("|"), rank_rows(city, period, lang), classes=["city-table"])

    names = city.names(lang)

    def to_explore() -> None:
        street = state.street.value
        explore = session.explore
        explore.settings.value = dataclasses.replace(explore.settings.value, town=city.town(street),
                                                     scale=1.0, overrides={}, reforms=())
        explore.reset()
        router.push("/")

    with solara.Row(style={"gap": "12px", "align-items": "center"}):
        with solara.Div(style={"width": "300px"}):
            ChoiceField(t("city_street_pick", lang), state.street.value, list(names), state.street.set,
                        names=names.get, classes=["city-street"])
        solara.Button(t("city_to_explore", lang), icon_name="mdi-magnify", on_click=to_explore,
                      outlined=True, color="primary", classes=["city-to-explore"])

