"""The city (three generated streets): a spec that is refused names its field; a street restored
from its checkpoint goes on as one that never stopped; the same tables serially, on a real local
Dask cluster of 1 and 2 worker processes, after a worker is killed between periods and after the
driver is killed and the run resumed; a street's rank in the league table changes its
departments' behaviour in the direction of the stakes, over replications. Every process and
cluster a test starts is stopped by it."""

from __future__ import annotations

import json
import os
import pickle
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import psutil
import pytest
from typer.testing import CliRunner

from coordination.city import City, Street, SyncOrders, allocate
from experiments.city_run import load_city, read_state, run_city, street_case_log
from gridgov.cli import app
from institutions import ConfigError
from institutions.city_spec import CitySpec, parse_city_spec
from tests.stats import paired_difference_interval

ROOT = Path(__file__).resolve().parents[1]
SPEC = """
name = "three small streets"
seed = 3
days = 40
period_days = 10
ranking.enabled = true
summoning = {enabled = true, start_day = 10}
[[departments]]
id = "traffic_police"
level = "district"
officers = 60
[[departments]]
id = "city_market"
level = "city"
officers = 60
kinds = ["food_safety"]
[[districts]]
id = "central"
streets = [{id = "inner", scale = 0.05, town = {population = 60000, area_km2 = 3.5, kind = "central"}}]
[[districts]]
id = "north"
streets = [{id = "edge", scale = 0.04, town = {population = 80000, area_km2 = 30.0, kind = "near_suburb"}},
           {id = "farms", scale = 0.05, town = {population = 50000, area_km2 = 90.0, kind = "village"}}]
"""


@pytest.fixture(autouse=True)
def workers_by_forkserver():
    """By now the test process runs threads of other tests (servers, thread pools): its local
    clusters start their workers by forkserver, not by a fork of a threaded process (which hung
    once in three runs while a cluster started). The default, fork, is what the sweep tests and
    the driver test run in a fresh process exercise."""
    import dask
    import distributed  # noqa: F401  its defaults in dask's config first: leaving a set() of a
    # key that was not there removes the whole key, so an import of distributed inside the set
    # would take its defaults away with it (for every later test)

    with dask.config.set({"distributed.worker.multiprocessing-method": "forkserver"}):
        yield


@pytest.fixture(scope="module")
def spec() -> CitySpec:
    return parse_city_spec(SPEC)


@pytest.fixture(scope="module")
def serial(spec: CitySpec, tmp_path_factory: pytest.TempPathFactory) -> dict[str, pd.DataFrame]:
    """The reference: the city run in this process, without Dask."""
    out = tmp_path_factory.mktemp("serial") / "city"
    run_city(spec, out, workers=0)
    return tables(out)


def tables(out: Path) -> dict[str, pd.DataFrame]:
    """A city run's tables and every street's case log."""
    streets = sorted(read_state(out)["populations"])
    return {**load_city(out), **{f"case log of {s}": street_case_log(out, s) for s in streets}}


def same_tables(a: dict[str, pd.DataFrame], b: dict[str, pd.DataFrame]) -> None:
    assert a.keys() == b.keys()
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name], obj=name)


# -- the spec ------------------------------------------------------------------------------------
BAD = {
    "days not whole periods": ("days = 45", "days: 45"),
    "a typo": ("peroid_days = 10", "peroid_days: not a field"),
    "two sources": ('streets = [{id = "a", preset = "n_town", file = "x.toml"}]', "exactly one of"),
    "unknown preset": ('streets = [{id = "a", preset = "x_town"}]', "preset 'x_town'"),
    "duplicate street": ('streets = [{id = "a", preset = "n_town"}, {id = "a", preset = "c_town"}]',
                         "id 'a' appears twice"),
    "start off a sync point": ("ranking = {enabled = true, start_day = 15}", "ranking.start_day"),
    "a kind no street has": ('[[departments]]\nid = "water"\nofficers = 5\nkinds = ["flood"]',
                             "departments[0].kinds: 'flood'"),
    "a department no street has": ('[[departments]]\nid = "fire"\nofficers = 5', "departments.fire"),
    "missing town file": ('streets = [{id = "a", file = "nowhere.toml"}]', "file: 'nowhere.toml'"),
    "a generated town too small": ('streets = [{id = "a", town = {population = 5, area_km2 = 1.0, '
                                   'kind = "central"}}]', "town does not validate: population"),
}


def bad_spec(change: str) -> str:
    """The small spec with one line changed or added."""
    base = {"name": 'name = "bad"', "days": "days = 30", "period_days": "period_days = 10",
            "streets": 'streets = [{id = "a", preset = "n_town", scale = 0.02}]'}
    key = change.split("=")[0].strip()
    if key in base:
        base[key] = change
        extra = ""
    else:
        extra = change
    tables = extra if extra.startswith("[[") else ""
    top = "" if tables else extra
    return (f"{base['name']}\n{base['days']}\n{base['period_days']}\n{top}\n{tables}\n"
            f"[[districts]]\nid = \"d\"\n{base['streets']}\n")


@pytest.mark.parametrize("case", list(BAD))
def test_a_bad_spec_exits_2_naming_the_field(case: str, tmp_path: Path) -> None:
    change, named = BAD[case]
    path = tmp_path / "city.toml"
    path.write_text(bad_spec(change), encoding="utf-8")
    result = CliRunner().invoke(app, ["city", "run", str(path), "--out", str(tmp_path / "out"),
                                      "--workers", "0", "--quiet"])
    assert result.exit_code == 2, result.output
    assert named in " ".join(result.output.split()), result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(("flags", "named"), [(["--workers", "-1"], "--workers: -1"),
                                              (["--scheduler", "nowhere"], "--scheduler: 'nowhere'")])
def test_bad_flags_exit_2(flags: list[str], named: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["city", "run", str(ROOT / "examples/cities/three_streets.toml"),
                                      "--out", str(tmp_path / "out"), *flags])
    assert result.exit_code == 2 and named in result.output, result.output


def test_the_shipped_example_results_are_what_its_spec_gives_now(tmp_path: Path) -> None:
    """The dashboard opens examples/cities/three_streets_run: it must not be stale."""
    from institutions.city_spec import load_city_spec

    spec = load_city_spec(ROOT / "examples/cities/three_streets.toml")
    assert len(spec.streets()) == 3 and spec.periods == 3
    run_city(spec, tmp_path / "city", folder=ROOT, workers=0)
    same_tables(tables(ROOT / "examples/cities/three_streets_run"), tables(tmp_path / "city"))


# -- the pieces ----------------------------------------------------------------------------------
def test_shared_officers_follow_demand_and_keep_the_floor() -> None:
    shares = allocate(12, {"a": 6.0, "b": 2.0, "c": 0.0}, floor=2)
    assert sum(shares.values()) == 12 and shares["c"] == 2 and shares["a"] > shares["b"]


def test_a_restored_street_goes_on_as_one_that_never_stopped(spec: CitySpec, tmp_path: Path) -> None:
    street_spec = spec.streets()[1]
    orders = SyncOrders(street_factor=2.0, ranking=True, summoning=True)
    straight = Street(spec, street_spec, "north")
    stopped = Street(spec, street_spec, "north")
    straight.run_period(orders)
    stopped.run_period(orders)
    stopped.model.log.spill(tmp_path / "period-0001.parquet")  # as a city run does
    restored = pickle.loads(pickle.dumps(stopped))  # as a checkpoint does
    a, b = straight.run_period(orders), restored.run_period(orders)
    assert pd.Series(a, dtype=object).equals(pd.Series(b, dtype=object))
    assert json.dumps(straight.model.metrics(), sort_keys=True) == \
        json.dumps(restored.model.metrics(), sort_keys=True)
    assert straight.model.case_log().equals(restored.model.case_log())


def test_every_published_rate_is_a_share(serial) -> None:
    """A backlog closed this period counts among the cases on the books: no rate above 1."""
    rates = ["response_rate", "resolution_rate", "satisfaction_rate", "real_resolution_rate"]
    for name in ("streets", "city"):
        values = serial[name][rates].to_numpy().ravel()
        values = values[~pd.isna(values)]  # a period with no case has no rate
        assert len(values) and ((values >= 0) & (values <= 1)).all(), serial[name][rates].describe()
    assert (serial["streets"]["open_at_start"] > 0).any()  # the backlog is counted


def test_the_league_table_gives_the_bottom_street_the_highest_stakes(spec: CitySpec) -> None:
    city = City(spec)
    city.run()
    league = city.league
    for _, table in league.groupby("period"):
        ranked = table[table["rank"] > 0].sort_values("rank")
        assert ranked["factor"].is_monotonic_increasing
        assert ranked["score"].is_monotonic_decreasing
    streets = city.streets
    later = streets[streets["period"] > 1].merge(
        league.assign(period=league["period"] + 1)[["street", "period", "factor"]])
    assert (later["street_factor"] == later["factor"]).all()  # the table's factor is in force


@pytest.mark.slow
def test_ranking_stakes_move_behaviour_in_the_direction_of_the_rank() -> None:
    """The same street, seed for seed, placed at the bottom of the table (factor 3) rather than
    at the top (factor 1): its departments decline fewer orders and close more, with 95%
    intervals over 10 replications."""
    one = CitySpec.model_validate({"name": "c", "days": 60, "ranking": {"enabled": True},
                                   "districts": [{"id": "d", "streets": [
                                       {"id": "a", "preset": "n_town", "scale": 0.05}]}]})
    measures: dict[float, list[dict]] = {1.0: [], 3.0: []}
    for seed in range(10):
        for factor in measures:
            city = one.model_copy(update={"seed": seed})
            street = Street(city, city.streets()[0], "d")
            for _ in range(2):
                street.run_period(SyncOrders(street_factor=factor, ranking=True))
            measures[factor].append(street.model.metrics())
    top, bottom = measures[1.0], measures[3.0]
    low, high = paired_difference_interval([m["declines"] for m in bottom],
                                           [m["declines"] for m in top])
    assert high < 0, (low, high)
    low, high = paired_difference_interval([m["closure_rate"] for m in bottom],
                                           [m["closure_rate"] for m in top])
    assert low > 0, (low, high)


class Crash(Exception):
    pass


def test_a_run_stopped_between_checkpoints_resumes_to_the_same_tables(spec: CitySpec, serial,
                                                                      tmp_path: Path) -> None:
    """Checkpoints every 3 periods, the run stopped after period 2: the resumed run loads the
    streets as built and runs periods 1 and 2 again under their recorded orders."""
    def crash(progress) -> None:
        if progress.street is None and progress.periods_done == 2:
            raise Crash

    out = tmp_path / "city"
    with pytest.raises(Crash):
        run_city(spec, out, workers=0, checkpoint_every=3, progress=crash)
    assert read_state(out)["period"] == 2
    assert sorted(p.name for p in (out / "checkpoints" / "inner").iterdir()) == ["period-0000.pkl"]
    with pytest.raises(ConfigError, match="--checkpoint-every"):
        run_city(spec, out, workers=0, resume=True)
    run_city(spec, out, workers=0, checkpoint_every=3, resume=True)
    same_tables(serial, tables(out))


# -- on a real local Dask cluster ----------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("workers", [1, 2])
def test_the_same_tables_on_1_and_2_workers(workers: int, spec: CitySpec, serial, tmp_path: Path
                                            ) -> None:
    out = tmp_path / "city"
    run_city(spec, out, workers=workers)
    same_tables(serial, tables(out))


@pytest.mark.slow
@pytest.mark.parametrize("every", [1, 2])
def test_a_worker_killed_between_periods_costs_nothing_in_the_results(every: int, spec: CitySpec,
                                                                       serial, tmp_path: Path
                                                                       ) -> None:
    """Killed after period 3: with a checkpoint every 2 periods, its streets run period 3 again
    from the checkpoint of period 2."""
    killed: list[int] = []

    def kill_a_worker(progress) -> None:
        if progress.street is None and progress.periods_done == 3 and not killed:
            from distributed import default_client

            pids = sorted(default_client().run(os.getpid).values())
            os.kill(pids[0], signal.SIGKILL)
            killed.append(pids[0])

    out = tmp_path / "city"
    run_city(spec, out, workers=2, checkpoint_every=every, progress=kill_a_worker)
    assert killed
    same_tables(serial, tables(out))


DRIVER = textwrap.dedent("""
    import os, signal, sys
    from pathlib import Path
    from experiments.city_run import run_city
    from institutions.city_spec import load_city_spec

    def die(progress):
        if progress.street is None and progress.periods_done == 2:
            from distributed import default_client
            pids = default_client().run(os.getpid).values()
            Path(sys.argv[3]).write_text(" ".join(str(p) for p in pids))
            os.kill(os.getpid(), signal.SIGKILL)

    run_city(load_city_spec(sys.argv[1]), Path(sys.argv[2]), workers=2, progress=die)
""")


@pytest.mark.slow
def test_a_killed_driver_resumes_to_the_same_tables(serial, tmp_path: Path) -> None:
    spec_file, out, pids_file = tmp_path / "city.toml", tmp_path / "city", tmp_path / "pids"
    spec_file.write_text(SPEC, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    driver = subprocess.Popen([sys.executable, "-c", DRIVER, str(spec_file), str(out),
                               str(pids_file)], cwd=ROOT, env=env, start_new_session=True,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        output, _ = driver.communicate(timeout=300)
    finally:
        if driver.poll() is None:
            os.killpg(driver.pid, signal.SIGKILL)
            driver.wait()
    assert driver.returncode == -signal.SIGKILL, output.decode(errors="replace")
    workers = [psutil.Process(int(p)) for p in pids_file.read_text().split()
               if psutil.pid_exists(int(p))]
    _, alive = psutil.wait_procs(workers, timeout=60)  # they die with the driver
    for proc in alive:
        proc.kill()
    assert not alive
    assert read_state(out)["period"] == 2
    resumed = subprocess.run([sys.executable, "-m", "gridgov", "city", "run", str(spec_file),
                              "--out", str(out), "--resume", "--workers", "2", "--quiet"],
                             cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
                             start_new_session=True)
    assert resumed.returncode == 0, resumed.stderr
    same_tables(serial, tables(out))
    analyzed = CliRunner().invoke(app, ["city", "analyze", str(out)])
    assert analyzed.exit_code == 0 and "League table" in analyzed.output


@pytest.mark.parametrize("command", ["run", "analyze"])
def test_city_commands_have_help_with_an_example(command: str) -> None:
    helped = CliRunner().invoke(app, ["city", command, "--help"])
    assert helped.exit_code == 0 and "Example: gridgov city" in helped.output
