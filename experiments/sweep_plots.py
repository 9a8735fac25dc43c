"""Charts of a sweep's analysis, as PNG files: per-point means against each parameter, Sobol'
indices, Morris effects and the PRIM peeling trajectory.

Example:
    >>> import tempfile
    >>> from experiments.sweep_results import point_summary
    >>> runs = pd.DataFrame({"run_id": list("abcd"), "point_id": list("ppqq"), "replication": [0, 1] * 2,
    ...                      "seed": [1, 2] * 2, "x": [1.0, 1.0, 2.0, 2.0], "injuries": [1.0, 2.0, 3.0, 5.0],
    ...                      "runtime_s": [0.1] * 4, "error": [None] * 4})
    >>> summary = point_summary(runs, ["injuries"])
    >>> written = write_plots(Path(tempfile.mkdtemp()), runs, {"summary": summary}, ["x"], ["injuries"])
    >>> [p.name for p in written]
    ['points_injuries.png']
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from experiments.output import write_atomic


def _save(fig: Figure, path: Path) -> Path:
    write_atomic(path, lambda tmp: fig.savefig(tmp, format="png", dpi=110, bbox_inches="tight"))
    return path


def _figure(width: float, height: float, columns: int = 1) -> tuple[Figure, Any]:
    fig = Figure(figsize=(width, height))  # no pyplot: no global state, no GUI backend
    return fig, fig.subplots(1, columns, squeeze=False)[0]


def plot_points(summary: pd.DataFrame, params: list[str], output: str) -> Figure:
    """Per-point mean of ``output`` (with its 95% interval) against each parameter."""
    mine = summary[summary["output"] == output]
    fig, axes = _figure(4 * len(params), 3.2, len(params))
    for ax, param in zip(axes, params, strict=True):
        x = mine[param]
        numeric = pd.api.types.is_numeric_dtype(x) and not pd.api.types.is_bool_dtype(x)
        if not numeric:
            cats = list(dict.fromkeys(x.astype(str)))
            x = x.astype(str).map({c: i for i, c in enumerate(cats)})
            ax.set_xticks(range(len(cats)), cats, rotation=30, ha="right", fontsize=8)
        err = [(mine["mean"] - mine["ci_low"]).clip(lower=0), (mine["ci_high"] - mine["mean"]).clip(lower=0)]
        ax.errorbar(x, mine["mean"], yerr=err, fmt="o", ms=3, alpha=0.6, elinewidth=0.8)
        ax.set_xlabel(param, fontsize=8)
        ax.set_ylabel(output)
    fig.suptitle(f"{output}: mean over replications per design point, 95% intervals", fontsize=9)
    return fig


def plot_indices(indices: pd.DataFrame, output: str) -> Figure:
    """First- and total-order Sobol' indices of ``output`` with their intervals."""
    mine = indices[indices["output"] == output].reset_index(drop=True)
    fig, (ax,) = _figure(1.2 * len(mine) + 3, 3.2)
    pos = range(len(mine))
    ax.bar([p - 0.2 for p in pos], mine["S1"], 0.4, yerr=mine["S1_conf"], label="first order (S1)")
    ax.bar([p + 0.2 for p in pos], mine["ST"], 0.4, yerr=mine["ST_conf"], label="total order (ST)")
    ax.set_xticks(list(pos), mine["parameter"], rotation=30, ha="right", fontsize=8)
    ax.set_ylabel("share of variance")
    ax.set_title(f"Sobol' indices of {output}", fontsize=9)
    ax.legend(fontsize=8)
    return fig


def plot_morris(effects: pd.DataFrame, output: str) -> Figure:
    """Morris ``mu*`` against ``sigma`` for ``output``, one labelled point per parameter."""
    mine = effects[effects["output"] == output]
    fig, (ax,) = _figure(4.5, 3.5)
    ax.scatter(mine["mu_star"], mine["sigma"])
    for r in mine.itertuples(index=False):
        ax.annotate(r.parameter, (r.mu_star, r.sigma), fontsize=7)
    ax.set_xlabel("mu* (mean absolute effect)")
    ax.set_ylabel("sigma (interactions, non-linearity)")
    ax.set_title(f"Morris effects on {output}", fontsize=9)
    return fig


def plot_prim(found: Any) -> Figure:
    """The PRIM peeling trajectory (coverage against density), the chosen box marked."""
    t = found.trajectory
    fig, (ax,) = _figure(4.5, 3.5)
    sc = ax.scatter(t["coverage"], t["density"], c=t["res_dim"], cmap="viridis", s=12)
    ax.scatter([t.loc[found.chosen, "coverage"]], [t.loc[found.chosen, "density"]], s=80,
               facecolors="none", edgecolors="red", label="chosen box")
    fig.colorbar(sc, ax=ax, label="restricted parameters")
    ax.set_xlabel("coverage")
    ax.set_ylabel("density")
    ax.set_title(f"PRIM trajectory for {found.failure}", fontsize=9)
    ax.legend(fontsize=8)
    return fig


def write_plots(folder: Path, runs: pd.DataFrame, results: dict[str, Any], params: list[str],
                outputs: list[str]) -> list[Path]:
    """Write the charts of ``results`` (keys ``summary``, ``sobol``, ``morris``, ``prim``)."""
    folder = Path(folder)
    written = []
    for output in outputs:
        if params:
            chart = plot_points(results["summary"], params, output)
            written.append(_save(chart, folder / f"points_{output}.png"))
        if "sobol" in results:
            written.append(_save(plot_indices(results["sobol"], output), folder / f"sobol_{output}.png"))
        if "morris" in results:
            written.append(_save(plot_morris(results["morris"], output), folder / f"morris_{output}.png"))
    if "prim" in results:
        written.append(_save(plot_prim(results["prim"]), folder / "prim_trajectory.png"))
    return written
