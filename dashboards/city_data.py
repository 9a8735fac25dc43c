"""A city run folder as the City page reads it: the league table over time (排名), each street's
published and real rates by period, and a street's town to open in Explore.

Example:
    >>> city = open_city(EXAMPLE_CITY)
    >>> city.periods, sorted(city.names("en"))
    (3, ['edge', 'farms', 'inner'])
    >>> rank_rows(city, 3, "en")[0][:2]
    ('1', 'Inner street')
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from matplotlib import colormaps
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from coordination.city import street_config
from coordination.words import Lang, t
from dashboards.figures import new_figure, plot_lang
from experiments.city_run import load_city, read_city_manifest
from institutions import TownConfig
from institutions.city_spec import CitySpec

EXAMPLE_CITY = Path(__file__).resolve().parents[1] / "examples" / "cities" / "three_streets_run"
"""The results of the example city that ship with gridgov (the output of :data:`EXAMPLE_COMMAND`
without its checkpoints)."""
EXAMPLE_COMMAND = ("gridgov city run examples/cities/three_streets.toml "
                   "--out examples/cities/three_streets_run")
METRICS = ("resolution_rate", "satisfaction_rate", "response_rate", "real_resolution_rate",
           "resident_trust")
"""What a street can be coloured and compared by: the three rates the league table publishes
(解决率, 满意率, 响应率), the verified real resolution the table does not see, and trust."""


@dataclass
class City:
    """A city run: its spec, its folder and its result tables (``streets``, ``league``, …)."""

    folder: Path
    spec: CitySpec
    spec_folder: Path
    tables: dict[str, pd.DataFrame]

    @property
    def periods(self) -> int:
        """Periods done."""
        league = self.tables["league"]
        return int(league["period"].max()) if len(league) else 0

    def names(self, lang: Lang) -> dict[str, str]:
        """Each street's name as the spec gives it, by its id."""
        return {s.id: ((s.name_zh if lang == "zh" else "") or s.name or s.id) for s in self.spec.streets()}

    def districts(self, lang: Lang) -> dict[str, str]:
        """Each district's name, by its id."""
        return {d.id: ((d.name_zh if lang == "zh" else "") or d.name or d.id) for d in self.spec.districts}

    def town(self, street: str) -> TownConfig:
        """The town of a street as the city ran it (its scale, the city's departments in it)."""
        spec = next(s for s in self.spec.streets() if s.id == street)
        return street_config(self.spec, spec, self.spec_folder)


def open_city(folder: str | Path) -> City:
    """The city run in ``folder``; :class:`ConfigError` if it is not one.

    Example:
        >>> open_city(EXAMPLE_CITY).spec.name
        'three streets'
    """
    folder = Path(folder)
    manifest = read_city_manifest(folder)
    spec = CitySpec.model_validate(manifest["spec"])
    spec_folder = Path(manifest.get("spec_folder") or folder.parent)
    if not spec_folder.is_dir():  # a run folder moved (or shipped): its spec sat beside it
        spec_folder = folder.parent
    return City(folder, spec, spec_folder, load_city(folder))


def metric_name(metric: str, lang: Lang) -> str:
    """A city metric as a reader says it."""
    return t(f"city_{metric}", lang)


def rank_rows(city: City, period: int, lang: Lang) -> list[tuple[str, ...]]:
    """The league table of ``period``: rank, street, district, score, the published rates, the
    real resolution rate, and the stakes factor for the next period."""
    league = city.tables["league"]
    streets = city.tables["streets"].set_index(["street", "period"])
    names, districts = city.names(lang), city.districts(lang)
    rows = []
    for row in league[league["period"] == period].sort_values("rank").itertuples(index=False):
        real = streets.loc[(row.street, period), "real_resolution_rate"]
        rows.append((str(row.rank), names[row.street], districts.get(row.district, row.district),
                     f"{row.score:.3f}", *(_pct(x) for x in (row.response_rate, row.resolution_rate,
                                                             row.satisfaction_rate, real)),
                     f"×{row.factor:g}" + (" " + t("city_named", lang) if row.named else "")))
    return rows


def _pct(x: float) -> str:
    return "–" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{100 * x:.1f}%"


def rank_figure(city: City, lang: Lang) -> Figure:
    """Each street's rank, period after period (1 at the top), the league table over time."""
    lang = plot_lang(lang)
    league, names = city.tables["league"], city.names(lang)
    n = max(1, league["street"].nunique())
    fig = new_figure(6.2, 1.6 + 0.18 * min(n, 30))
    ax = fig.subplots()
    for street, rows in league.groupby("street"):
        rows = rows.sort_values("period")
        ax.plot(rows["period"], rows["rank"], marker="o", markersize=4, linewidth=1.4)
        if n <= 30:
            ax.annotate(names.get(street, street), (rows["period"].iloc[-1], rows["rank"].iloc[-1]),
                        xytext=(6, 0), textcoords="offset points", va="center", fontsize=7.5)
    ax.set_ylim(n + 0.5, 0.5)
    ax.set_yticks(range(1, n + 1) if n <= 30 else range(1, n + 1, max(1, n // 10)))
    ax.set_xlim(0.8, max(city.periods, 1) + 0.2 + 0.25 * max(city.periods, 1))
    ax.set_xticks(range(1, max(city.periods, 1) + 1))
    ax.set_xlabel(t("city_period", lang))
    ax.set_ylabel(t("city_rank", lang))
    ax.set_title(t("city_rank_title", lang), loc="left", fontsize=9.5)
    return fig


def street_map_figure(city: City, metric: str, period: int, lang: Lang) -> Figure:
    """A schematic map of the city: each district a column, each street a tile as tall as its
    population, coloured by ``metric`` in ``period`` (no geography: the spec has none).

    Example:
        >>> city = open_city(EXAMPLE_CITY)
        >>> len(street_map_figure(city, "resolution_rate", 1, "en").axes[0].patches)
        3
    """
    lang = plot_lang(lang)
    streets = city.tables["streets"]
    now = streets[streets["period"] == period].set_index("street")
    names = city.names(lang)
    districts = city.spec.districts
    fig = new_figure(6.2, 3.6, layout=None)
    ax = fig.add_axes((0.02, 0.04, 0.8, 0.8))
    colour_ax = fig.add_axes((0.86, 0.12, 0.03, 0.74))
    norm, palette = Normalize(0.0, 1.0), colormaps["RdYlGn"]  # every rate on one honest scale
    for column, district in enumerate(districts):
        mine = [s for s in district.streets if s.id in now.index]
        total = sum(float(now.loc[s.id, "population"]) for s in mine) or 1.0
        y = 0.0
        for s in mine:
            height = float(now.loc[s.id, "population"]) / total
            value = float(now.loc[s.id, metric])
            ax.add_patch(Rectangle((column + 0.03, y + 0.005), 0.94, height - 0.01,
                                   facecolor=palette(norm(value)) if not math.isnan(value) else "#dddddd",
                                   edgecolor="white", linewidth=1.5))
            if height > 0.06:
                ax.text(column + 0.5, y + height / 2, f"{names[s.id]}\n{_value(metric, value)}",
                        ha="center", va="center", fontsize=7 if len(districts) > 6 else 8)
            y += height
        ax.text(column + 0.5, 1.02, city.districts(lang)[district.id], ha="center", va="bottom",
                fontsize=7.5 if len(districts) > 6 else 8.5, fontweight="bold")
    ax.set_xlim(0, max(len(districts), 1))
    ax.set_ylim(0, 1.08)
    ax.axis("off")
    fig.colorbar(ScalarMappable(norm=norm, cmap=palette), cax=colour_ax)
    fig.suptitle(t("city_map_title", lang, metric=metric_name(metric, lang), period=period), x=0.02,
                 ha="left", fontsize=9, y=0.99)
    return fig


def _value(metric: str, value: float) -> str:
    if math.isnan(value):
        return "–"
    return f"{value:.3f}" if metric == "resident_trust" else f"{100 * value:.0f}%"

