"""The dashboard app: five pages under one bar with the page links and the language switch.

Serve it with ``gridgov dashboard`` (offline, loopback) or ``solara run dashboards/app.py``.
Each browser session gets its own :class:`dashboards.session.Session`, made by the layout; a
reload of the page keeps it (its runs, settings and language).
"""

from __future__ import annotations

import solara
from solara.alias import rv

from coordination.words import t
from dashboards.pages import city, compare, explore, sweep_results, train
from dashboards.session import Session, SessionContext
from dashboards.widgets import ErrorBoundary

PAGES = (("/", "explore"), ("/compare", "compare"), ("/train", "train"), ("/sweep", "sweep"),
         ("/city", "city"))

CSS = """
.v-application .v-input--dense .v-label { font-size: 0.85rem; }
.v-expansion-panel-content__wrap { padding: 4px 12px 8px 12px; }
.lever-panels .v-input { margin-bottom: 4px; }
.lever-panels .v-text-field { padding-top: 14px; margin-top: 0; }
.gridgov-bar a { text-decoration: none; }
table td, table th { font-size: 0.85rem; }
.case-timeline td:nth-child(-n+2), .train-timeline td:nth-child(-n+2),
.replay-timeline td:nth-child(-n+2) { white-space: nowrap; }
"""


@solara.component
def Layout(children=()):
    """The bar (pages, language) above the page; one session per browser session."""
    session = solara.use_memo(Session.of_page, [])  # a reload of the page keeps its session
    lang = session.lang.value
    router = solara.use_router()
    SessionContext.provide(session)
    solara.Title(t("app_title", lang))
    solara.Style(CSS)
    current = "/" + router.path.strip("/").split("/")[0] if router.path.strip("/") else "/"
    with solara.Column(style={"gap": "0", "min-height": "100vh"}):
        with rv.Sheet(dark=True, color="primary", tile=True, class_="gridgov-bar",
                      style_="display: flex; align-items: center; gap: 4px; padding: 4px 16px;"):
            rv.Html(tag="span", children=[t("app_title", lang)],
                    style_="font-size: 1.15rem; font-weight: 600; margin-right: 24px; white-space: nowrap")
            for path, key in PAGES:
                with solara.Link(path):
                    solara.Button(t(key, lang), text=current != path, outlined=current == path,
                                  dark=True, classes=[f"nav-{key}"])
            rv.Spacer()
            solara.ToggleButtonsSingle(value=session.lang, dense=True, classes=["lang-switch"],
                                       children=[solara.Button("EN", value="en", classes=["lang-en"]),
                                                 solara.Button("中文", value="zh", classes=["lang-zh"])])
        with solara.Column(style={"padding": "10px 16px", "gap": "8px"}, classes=["gridgov-page"]):
            ErrorBoundary(children=list(children), lang=lang).key(f"page {current}")


routes = [
    solara.Route(path="/", component=explore.Page, label="Explore", layout=Layout),
    solara.Route(path="compare", component=compare.Page, label="Compare"),
    solara.Route(path="train", component=train.Page, label="Train"),
    solara.Route(path="sweep", component=sweep_results.Page, label="Sweep results"),
    solara.Route(path="city", component=city.Page, label="City"),
]
