"""``gridgov town``: a street or town (街道/镇) from a few numbers, as a TOML town file.

Example: gridgov town generate --population 80000 --area 4.2 --kind central --name Example --out ex.toml
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from experiments.output import check_file_target, write_atomic
from gridgov.cli_common import bad_input, check_number, check_whole, err, printable
from institutions import ConfigError
from institutions.generator import (
    MAX_AREA_KM2,
    MAX_PER_10K,
    MIN_GRID_RESIDENTS,
    MIN_POPULATION,
    PLACE_KINDS,
    TownSpec,
    generate_town,
    town_spec,
    town_toml,
)
from institutions.limits import MAX_STAFF, MAX_TOWN_POPULATION

app = typer.Typer(help="Generate a street or town (街道/镇) from its population, area and kind of "
                       "place.", no_args_is_help=True)

FLAGS = {"name": "--name", "name_zh": "--name-zh", "population": "--population", "area_km2": "--area",
         "kind": "--kind", "grids": "--grids", "officers_per_10k": "--officers-per-10k",
         "inspectors_per_grid": "--inspectors-per-grid"}
"""The flag of each field of :class:`TownSpec`."""


@app.command("generate")
def generate(
    population: Annotated[int, typer.Option(help=f"Residents ({MIN_POPULATION:,} to "
                                                 f"{MAX_TOWN_POPULATION:,}).")],
    area: Annotated[float, typer.Option(help="Area in km² (above 0).")],
    kind: Annotated[str, typer.Option(help="Kind of place: " + ", ".join(PLACE_KINDS) + ".")],
    name: Annotated[str, typer.Option(help="The town's name.")],
    name_zh: Annotated[str, typer.Option("--name-zh", help="Its name in Chinese.")] = "",
    grids: Annotated[int | None, typer.Option(help="Number of grids (网格); default: the "
                                                    "preset's residents per grid.")] = None,
    officers_per_10k: Annotated[float | None, typer.Option(
        "--officers-per-10k", help="Department officers per 10,000 residents; default: the "
                                    "preset's.")] = None,
    inspectors_per_grid: Annotated[float | None, typer.Option(
        "--inspectors-per-grid", help="Inspectors per grid; default: the preset's per "
                                       "resident.")] = None,
    out: Annotated[Path | None, typer.Option(help="Write the TOML town file here (default: print "
                                                  "it).")] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace the file at --out if there is "
                                                        "one.")] = False,
) -> None:
    """Write a generated town as a TOML file that `gridgov run --config` loads, every norm and
    its source in comments.

    Example: gridgov town generate --population 80000 --area 4.2 --kind central --name Example --out ex.toml
    """
    try:
        spec = check_spec(population=population, area_km2=area, kind=kind, name=name,
                          name_zh=name_zh, grids=grids, officers_per_10k=officers_per_10k,
                          inspectors_per_grid=inspectors_per_grid)
        check_file_target(out)
        if out is not None and out.exists() and not force:
            raise ConfigError(f"--out: '{out}' exists; allowed: a new file, or --force to "
                              "replace it")
        text = town_toml(spec)
    except ConfigError as exc:
        raise bad_input(str(exc)) from None
    if out is None:
        typer.echo(text, nl=False)
        return
    write_atomic(out, lambda p: p.write_text(text, encoding="utf-8"))
    cfg = generate_town(spec)
    err.print(printable(f"wrote {out}: {cfg.town.name}, {cfg.population:,} residents in "
                        f"{len(cfg.grids)} grids (run it: gridgov run --config {out})"),
              highlight=False, markup=False, soft_wrap=True)


def check_spec(*, population: int, area_km2: float, kind: str, name: str, name_zh: str = "",
               grids: int | None = None, officers_per_10k: float | None = None,
               inspectors_per_grid: float | None = None) -> TownSpec:
    """The flags as a :class:`TownSpec`; :class:`ConfigError` naming the flag, the value and what
    is allowed."""
    check_whole("--population", population, MIN_POPULATION, MAX_TOWN_POPULATION, "residents")
    check_number("--area", area_km2, 0.0, MAX_AREA_KM2, low_open=True, what="an area in km²")
    if kind not in PLACE_KINDS:
        raise ConfigError(f"--kind: '{kind}' is not a kind of place; allowed: " + ", ".join(PLACE_KINDS))
    if not name.strip():
        raise ConfigError("--name: an empty name is not allowed; give the town's name")
    if grids is not None:
        check_whole("--grids", grids, 1, max(1, population // MIN_GRID_RESIDENTS),
                    f"a number of grids (at least {MIN_GRID_RESIDENTS} residents a grid)")
    if officers_per_10k is not None:
        check_number("--officers-per-10k", officers_per_10k, 0.0, MAX_PER_10K, low_open=True,
                     what="officers per 10,000 residents")
    if inspectors_per_grid is not None:
        check_number("--inspectors-per-grid", inspectors_per_grid, 0.0, float(MAX_STAFF),
                     what="inspectors per grid")
    given = {"population": population, "area_km2": float(area_km2), "kind": kind, "name": name,
             "name_zh": name_zh, "grids": grids, "officers_per_10k": officers_per_10k,
             "inspectors_per_grid": inspectors_per_grid}
    try:
        return town_spec(given, source="the town")
    except ConfigError as exc:  # what the checks above do not catch, in the flags' words
        message = str(exc)
        for field, flag in FLAGS.items():
            message = message.replace(f": {field}: ", f": {flag}: ").replace(f"; {field}: ",
                                                                             f"; {flag}: ")
        raise ConfigError(message) from None
