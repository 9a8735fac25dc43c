"""Batch sweeps as a researcher uses them, in this process (workers=0): specs, designs, the
folder of results, resume, failed runs, and the analyses (summary, Sobol', Morris, PRIM, charts).

The Dask cluster tests (real scheduler and worker processes, killed workers and drivers) are in
test_sweep_cluster.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import experiments.sweep as sweep_module
from experiments.designs import build_design
from experiments.sensitivity import morris_effects, parse_failure, prim_box, sobol_indices
from experiments.sweep import run_sweep
from experiments.sweep_results import load_sweep, point_summary, results_digest, to_ema
from experiments.sweep_spec import parse_spec
from gridgov.cli import app
from institutions import ConfigError

EXAMPLES = Path(__file__).parent.parent / "examples" / "sweeps"

# tiny runs (~0.05 s): a twentieth of N town for 20 days, residents who report a lot
TOWN = """
days = 20
scale = 0.05
outputs = ["cases_reported", "declines", "injuries", "real_resolution_rate"]
"""
FACTORIAL = TOWN + """
replications = 3
[parameters."institutions.authority.kind"]
values = ["none", "command", "escalation"]
[parameters."residents.report_propensity"]
values = [0.001]
"""
SOBOL = TOWN + """
replications = 2
[parameters."residents.report_propensity"]
low = 0.0001
high = 0.002
[parameters."institutions.assessment.stakes"]
low = 0.0
high = 30.0
[design]
kind = "sobol"
samples = 8
"""


def cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def write(tmp_path: Path, text: str, name: str = "spec.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def factorial_sweep(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("factorial") / "sweep"
    spec, town = parse_spec(FACTORIAL)
    run_sweep(spec, town, out, workers=0, flush_runs=4)
    return out


@pytest.fixture(scope="module")
def sobol_sweep(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("sobol") / "sweep"
    spec, town = parse_spec(SOBOL)
    run_sweep(spec, town, out, workers=0)
    return out


# --- specs -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("extra", "named", "allowed"), [
    ('colour = "red"\n', "colour", "replications"),
    ('[parameters."institutions.authority.kinds"]\nvalues = ["none"]\n',
     "parameters.institutions.authority.kinds", "kind"),
    ('[parameters."institutions.authority.kind"]\nvalues = ["boss"]\n',
     "parameters.institutions.authority.kind", "'command'"),
    ('[parameters."institutions.authority.kind"]\nlow = 1\nhigh = 2\n',
     "parameters.institutions.authority.kind", "values"),
    ('[parameters.reforms]\nvalues = ["training@90"]\n', "parameters.reforms", "0 to 20"),
    ('[parameters."residents.report_propensity"]\nlow = 0.1\nhigh = 0.2\n[design]\nkind = "sobol"\n'
     'samples = 10\n', "design", "power of 2"),
    ('[parameters."residents.report_propensity"]\nlow = 0.1\nhigh = 0.2\n[design]\nkind = "grid"\n',
     "design.kind", "'factorial', 'lhs', 'sobol' or 'morris'"),
])
def test_a_bad_spec_exits_2_naming_the_field_and_what_is_allowed(tmp_path, extra, named, allowed):
    text = "days = 20\nreplications = 2\n" + extra
    if "[parameters" not in extra:
        text += '[parameters."institutions.authority.kind"]\nvalues = ["none"]\n'
    code, output = cli("sweep", str(write(tmp_path, text)), "--out", str(tmp_path / "out"))
    assert code == 2
    assert named in output and allowed in output
    assert "Traceback" not in output
    assert not (tmp_path / "out").exists()


def test_an_unknown_output_is_refused_with_the_metric_names():
    with pytest.raises(ConfigError, match=r"'injury' is not a metric; allowed: .*injuries"):
        parse_spec(FACTORIAL.replace('"injuries"', '"injury"'))


def test_dotted_names_may_be_quoted_or_nested_tables():
    quoted, _ = parse_spec(FACTORIAL)
    nested, _ = parse_spec(FACTORIAL.replace('[parameters."institutions.authority.kind"]',
                                             "[parameters.institutions.authority.kind]"))
    assert nested.digest() == quoted.digest()


def test_a_range_over_a_whole_number_field_gives_whole_numbers():
    spec, _ = parse_spec(TOWN + 'replications = 1\n[parameters."departments.cheng_guan.officers"]\n'
                                'low = 5\nhigh = 9\n[design]\nkind = "lhs"\nsamples = 20\n')
    values = build_design(spec).points["departments.cheng_guan.officers"]
    assert all(isinstance(v, int) for v in values) and set(values) <= set(range(5, 10))


# --- designs -----------------------------------------------------------------------------------

def test_designs_have_the_documented_number_of_points_and_stable_ids():
    base = (TOWN + 'replications = 1\n[parameters."residents.report_propensity"]\nlow = 0.0001\n'
            'high = 0.002\n[parameters."institutions.authority.kind"]\n'
            'values = ["none", "command", "escalation"]\n')
    sizes = {'kind = "lhs"\nsamples = 30': 30, 'kind = "sobol"\nsamples = 16': 16 * (2 + 2),
             'kind = "sobol"\nsamples = 16\nsecond_order = true': 16 * (2 * 2 + 2),
             'kind = "morris"\nsamples = 5': 5 * (2 + 1)}
    for design, rows in sizes.items():
        spec, _ = parse_spec(base + "[design]\n" + design)
        points = build_design(spec).points
        assert len(points) == rows
        assert points["point_id"].tolist() == build_design(spec).points["point_id"].tolist()
    factorial, _ = parse_spec(base.replace("high = 0.002", "high = 0.0003\nlevels = 3"))
    points = build_design(factorial).points
    assert len(points) == 9 and points["point_id"].is_unique
    assert sorted(set(points["residents.report_propensity"])) == [0.0001, 0.0002, 0.0003]


def test_latin_hypercube_puts_one_point_in_each_stratum():
    spec, _ = parse_spec(TOWN + 'replications = 1\n[parameters."residents.report_propensity"]\n'
                                'low = 0.0\nhigh = 1.0\n[design]\nkind = "lhs"\nsamples = 10\n')
    values = build_design(spec).points["residents.report_propensity"].to_numpy()
    assert sorted(np.floor(values * 10).astype(int)) == list(range(10))


# --- the folder --------------------------------------------------------------------------------

def test_a_sweep_folder_has_a_manifest_and_one_row_per_run(factorial_sweep):
    manifest, runs = load_sweep(factorial_sweep)
    assert manifest["runs_total"] == 9 and manifest["root_seed"] == 1
    assert {"gridgov", "mesa", "numpy", "pandas", "dask"} <= set(manifest["versions"])
    assert "git_commit" in manifest and manifest["spec"]["replications"] == 3
    assert list(runs.columns) == ["run_id", "point_id", "replication", "seed", "institutions.authority.kind",
                                  "residents.report_propensity", "cases_reported", "declines", "injuries",
                                  "real_resolution_rate", "runtime_s", "error"]
    assert len(runs) == 9 and runs["run_id"].is_unique and runs["error"].isna().all()
    assert len(list((factorial_sweep / "runs").glob("part-*.parquet"))) == 3  # flushed every 4 runs
    # pandas reads the runs folder as one table
    assert len(pd.read_parquet(factorial_sweep / "runs")) == 9


def test_duckdb_and_pandas_read_a_sweep_still_being_written(factorial_sweep, tmp_path):
    """The queries of docs/sweeps.md, on a copy of the folder with a half-written part file."""
    import shutil

    import duckdb

    folder = shutil.copytree(factorial_sweep, tmp_path / "sweep")
    (folder / "runs" / ".part-00099.parquet.tmp").write_bytes(b"PAR1 half a file")
    by_pandas = (pd.read_parquet(folder / "runs").query("error.isna()")
                 .groupby("institutions.authority.kind")["declines"].agg(["mean", "count"]))
    by_duckdb = duckdb.sql(
        'SELECT "institutions.authority.kind" AS authority, avg(declines), count(*) '
        f"FROM read_parquet('{folder}/runs/*.parquet') WHERE error IS NULL GROUP BY 1 ORDER BY 1"
    ).fetchall()
    assert [a for a, _, _ in by_duckdb] == list(by_pandas.index) == ["command", "escalation", "none"]
    assert [m for _, m, _ in by_duckdb] == pytest.approx(list(by_pandas["mean"]))
    assert [n for _, _, n in by_duckdb] == list(by_pandas["count"]) == [3, 3, 3]


def test_replications_share_seeds_across_points_common_random_numbers(factorial_sweep):
    _, runs = load_sweep(factorial_sweep)
    seeds = runs.pivot(index="replication", columns="point_id", values="seed")
    assert (seeds.nunique(axis=1) == 1).all() and seeds.iloc[:, 0].is_unique


def test_without_common_random_numbers_each_point_has_its_own_seeds(tmp_path):
    spec, town = parse_spec("common_random_numbers = false\n" + FACTORIAL.replace("replications = 3",
                                                                                  "replications = 1"))
    run_sweep(spec, town, tmp_path / "s", workers=0)
    _, runs = load_sweep(tmp_path / "s")
    assert runs["seed"].is_unique


def test_same_spec_same_results(factorial_sweep, tmp_path):
    spec, town = parse_spec(FACTORIAL)
    run_sweep(spec, town, tmp_path / "again", workers=0, flush_runs=100)
    assert results_digest(load_sweep(tmp_path / "again")[1]) == results_digest(load_sweep(factorial_sweep)[1])


def test_a_run_that_raises_is_recorded_and_the_sweep_goes_on(tmp_path, monkeypatch):
    real = sweep_module.run_metrics

    def flaky(cfg, **kwargs):
        if cfg.institutions.authority.kind == "command":
            raise RuntimeError("the squad's radio is broken")
        return real(cfg, **kwargs)

    monkeypatch.setattr(sweep_module, "run_metrics", flaky)
    spec, town = parse_spec(FACTORIAL)
    counts = run_sweep(spec, town, tmp_path / "s", workers=0)
    assert (counts.done, counts.failed) == (9, 3)
    _, runs = load_sweep(tmp_path / "s")
    failed = runs[runs["error"].notna()]
    assert set(failed["institutions.authority.kind"]) == {"command"}
    assert failed["error"].str.contains("RuntimeError: the squad's radio is broken").all()
    assert failed["declines"].isna().all() and runs["error"].isna().sum() == 6
    summary = point_summary(runs, ["declines"]).set_index("institutions.authority.kind")
    assert summary.loc["command", "failed"] == 3 and summary.loc["command", "n"] == 0


def test_resume_finishes_a_sweep_that_lost_its_last_parts(tmp_path, factorial_sweep):
    spec_path = write(tmp_path, FACTORIAL)
    out = tmp_path / "s"
    assert cli("sweep", str(spec_path), "--out", str(out), "--workers", "0", "--flush-runs", "2")[0] == 0
    parts = sorted((out / "runs").glob("part-*.parquet"))
    assert len(parts) == 5
    for part in parts[-2:]:  # 3 runs, as if the driver died before writing them
        part.unlink()
    (out / "runs" / ".part-00009.parquet.x1.tmp").write_bytes(b"half a file")
    # the same sweep under another name, from a copy of the spec elsewhere, is still this sweep
    (tmp_path / "elsewhere").mkdir()
    renamed = write(tmp_path / "elsewhere", 'name = "kept for the report"\n' + FACTORIAL, "renamed.toml")
    code, output = cli("sweep", str(renamed), "--out", str(out), "--workers", "0", "--resume")
    assert code == 0, output
    assert "3 runs done (0 failed), 6 already present, of 9" in output
    _, runs = load_sweep(out)
    assert runs["run_id"].is_unique and len(runs) == 9
    assert results_digest(runs) == results_digest(load_sweep(factorial_sweep)[1])
    assert not list((out / "runs").glob(".*.tmp"))


CRASH_BETWEEN_PARTS = """
import os, sys
import pyarrow as pa
from experiments.designs import build_design
from experiments.sweep_results import load_sweep
from experiments.sweep_spec import load_spec
from experiments.sweep_store import PartWriter, prepare_folder, runs_schema

spec, town = load_spec(sys.argv[1])
done = load_sweep(sys.argv[2])[1]
rows = done.astype(object).where(done.notna(), None).to_dict("records")
prepare_folder(sys.argv[3], spec, town, build_design(spec), root_seed=spec.seed, total_runs=9, resume=False)
writer = PartWriter(sys.argv[3], runs_schema(spec))
writer.write_part(pa.Table.from_pylist(rows[:2], schema=runs_schema(spec)))
writer.add(rows[:2])  # a journal whose first runs also made it into a part file
writer.add(rows[2:5])
writer.add(rows[5:7])
os._exit(0)  # the process dies: no flush, nothing closed
"""


def test_a_crash_between_part_files_loses_no_finished_run(tmp_path, factorial_sweep):
    import subprocess
    import sys

    spec_path, out = write(tmp_path, FACTORIAL), tmp_path / "s"
    subprocess.run([sys.executable, "-c", CRASH_BETWEEN_PARTS, str(spec_path), str(factorial_sweep),
                    str(out)], check=True)
    journal = out / "runs" / ".journal.arrows"
    _, runs = load_sweep(out)  # the part file's 2 runs and the journal's other 5, each once
    assert len(runs) == 7 and runs["run_id"].is_unique and len(pd.read_parquet(out / "runs")) == 2
    journal.write_bytes(journal.read_bytes()[:-24])  # as if the crash cut the last batch short
    assert len(load_sweep(out)[1]) == 5
    code, output = cli("sweep", str(spec_path), "--out", str(out), "--workers", "0", "--resume")
    assert code == 0, output
    assert "4 runs done (0 failed), 5 already present, of 9" in output
    assert not journal.exists() and len(pd.read_parquet(out / "runs")) == 9
    assert results_digest(load_sweep(out)[1]) == results_digest(load_sweep(factorial_sweep)[1])


def test_a_folder_of_another_sweep_or_without_resume_is_refused_and_kept(tmp_path, factorial_sweep):
    before = sorted(p.read_bytes() for p in (factorial_sweep / "runs").glob("part-*"))
    spec = str(write(tmp_path, FACTORIAL))
    code, output = cli("sweep", spec, "--out", str(factorial_sweep), "--workers", "0")
    assert code == 2 and "already holds this sweep; add --resume" in output
    other = write(tmp_path, FACTORIAL.replace("replications = 3", "replications = 4"), "other.toml")
    code, output = cli("sweep", str(other), "--out", str(factorial_sweep), "--workers", "0", "--resume")
    assert code == 2 and "holds a different sweep" in output
    assert sorted(p.read_bytes() for p in (factorial_sweep / "runs").glob("part-*")) == before


def test_a_folder_that_is_not_a_sweep_is_named_in_the_error(tmp_path):
    with pytest.raises(ConfigError, match=r"has no manifest\.json, so it is not a sweep folder"):
        load_sweep(tmp_path)
    code, output = cli("analyze", str(tmp_path / "nowhere"))
    assert code == 2 and "does not exist" in output


def test_ema_workbench_shape_has_floats_and_categories(factorial_sweep):
    experiments, outcomes = to_ema(load_sweep(factorial_sweep)[1])
    assert list(experiments.columns) == ["institutions.authority.kind", "residents.report_propensity"]
    assert experiments["residents.report_propensity"].dtype == float
    assert isinstance(experiments["institutions.authority.kind"].dtype, pd.CategoricalDtype)
    assert set(outcomes) == {"cases_reported", "declines", "injuries", "real_resolution_rate"}
    assert all(len(v) == 9 for v in outcomes.values())


# --- analysis ----------------------------------------------------------------------------------

def test_analyze_prints_each_points_mean_and_interval(factorial_sweep):
    code, output = cli("analyze", str(factorial_sweep), "--output", "declines")
    assert code == 0, output
    assert "9 of 9 runs present (0 failed), 3 design points" in output
    assert "declines: mean and 95% interval over replications" in output
    summary = pd.read_csv(factorial_sweep / "analysis" / "point_summary.csv")
    command = summary[summary["institutions.authority.kind"] == "command"].iloc[0]
    assert (command["mean"], command["ci_low"], command["ci_high"]) == (0, 0, 0)  # an order is obeyed
    none = summary[summary["institutions.authority.kind"] == "none"].iloc[0]
    assert none["ci_low"] <= none["mean"] <= none["ci_high"] and none["mean"] > 0


def test_prim_finds_the_box_where_the_failure_concentrates(factorial_sweep):
    found = prim_box(load_sweep(factorial_sweep)[1], parse_failure("declines < 1"))
    assert found.stats["density"] == 1.0 and found.stats["coverage"] == 1.0
    assert found.limits.set_index("parameter").loc["institutions.authority.kind", "values"] == ["command"]
    code, output = cli("analyze", str(factorial_sweep), "--prim", "--failure", "declines<1", "--plots")
    assert code == 0, output
    assert "institutions.authority.kind: one of command" in output
    assert (factorial_sweep / "analysis" / "prim_trajectory.png").read_bytes()[:4] == b"\x89PNG"


def test_prim_without_a_failure_or_with_one_no_run_meets_exits_2(factorial_sweep):
    code, output = cli("analyze", str(factorial_sweep), "--prim")
    assert code == 2 and "--prim needs --failure" in output
    code, output = cli("analyze", str(factorial_sweep), "--prim", "--failure", "declines>10000")
    assert code == 2 and "no run has declines > 10000" in output


def test_sobol_gives_first_and_total_order_indices_with_intervals(sobol_sweep):
    manifest, runs = load_sweep(sobol_sweep)
    indices = sobol_indices(manifest, runs, ["cases_reported"]).set_index("parameter")
    assert set(indices.columns) >= {"S1", "S1_conf", "S1_low", "S1_high",
                                    "ST", "ST_conf", "ST_low", "ST_high"}
    assert np.isfinite(indices[["S1", "S1_conf", "ST", "ST_conf"]].to_numpy()).all()
    # the residents' propensity to report, not the stakes of assessment, drives reports
    total = indices["ST"]
    assert total["residents.report_propensity"] > total["institutions.assessment.stakes"]
    code, output = cli("analyze", str(sobol_sweep), "--sobol", "--plots", "--rows", "2")
    assert code == 0, output
    assert "Sobol' indices" in output
    assert "share of variance that is replication noise: cases_reported" in output
    assert (sobol_sweep / "analysis" / "sobol_cases_reported.png").exists()


def test_sobol_on_a_factorial_sweep_exits_2(factorial_sweep):
    code, output = cli("analyze", str(factorial_sweep), "--sobol")
    assert code == 2 and "Sobol' indices need design kind 'sobol'" in output


def test_morris_effects_on_a_morris_design(tmp_path):
    spec, town = parse_spec(SOBOL.replace('kind = "sobol"\nsamples = 8', 'kind = "morris"\nsamples = 3')
                            .replace("replications = 2", "replications = 1"))
    run_sweep(spec, town, tmp_path / "m", workers=0)
    effects = morris_effects(*load_sweep(tmp_path / "m"), ["cases_reported"]).set_index("parameter")
    assert list(effects.columns) == ["output", "mu", "mu_star", "mu_star_conf", "sigma"]
    assert effects.loc["residents.report_propensity", "mu_star"] > 0


def test_the_example_specs_are_valid():
    for path in sorted(EXAMPLES.glob("*.toml")):
        spec, _ = parse_spec(path.read_text(encoding="utf-8"), source=str(path))
        assert len(build_design(spec).points) > 1, path


def test_manifest_is_strict_json(factorial_sweep):
    json.loads((factorial_sweep / "manifest.json").read_text(encoding="utf-8"))


def test_the_example_sweep_that_ships_is_what_its_spec_gives():
    """The folder the dashboard opens for a newcomer is the output of its spec on today's model:
    the manifest names the spec, every run is there once, and the first and last runs, re-run
    now, give the figures recorded (re-make it with the command in its spec if this fails)."""
    from dashboards.sweep_data import EXAMPLE_SWEEP
    from experiments.sweep import plan, run_context, run_one
    from experiments.sweep_spec import load_spec

    spec, base = load_spec(EXAMPLE_SWEEP.parent / "assessment_authority.toml")
    manifest, runs = load_sweep(EXAMPLE_SWEEP)
    assert manifest["spec_digest"] == spec.digest()
    assert len(runs) == manifest["runs_total"] == 60 and runs["run_id"].is_unique
    assert runs["error"].isna().all()
    tasks = list(plan(spec, build_design(spec)))
    ctx = run_context(spec, base)
    recorded = runs.set_index("run_id")
    for task in (tasks[0], tasks[-1]):
        row = run_one(ctx, task)
        for output in spec.outputs:
            assert row[output] == pytest.approx(recorded.loc[task.run_id, output], nan_ok=True), output
