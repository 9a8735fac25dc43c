"""Fuzzing what users give the command line: a valid town (river village) and a valid sweep spec
(the documented example, on river village with the smallest budget) with random leaves replaced
by random values of random types (huge, negative, non-finite, strings, booleans, empty, nested,
unicode), keys deleted or added, or the file in another encoding. Whatever comes in, ``gridgov``
ends in time with exit 0, or exit 2 and a one-paragraph error: never a traceback, never a hang.

Most cases run in this process through typer's CliRunner (an alarm stops a hang); a few run the
installed ``gridgov`` in a subprocess with a timeout. Derandomized: the same cases every time.
"""

from __future__ import annotations

import copy
import re
import signal
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import tomlkit
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner, Result

from gridgov.cli import app

DATA = Path(__file__).parent / "data"
TOWN_TEXT = (DATA / "river_village.toml").read_text(encoding="utf-8")
TOWN: dict[str, Any] = tomllib.loads(TOWN_TEXT)
DOCS_EXAMPLE = re.search(r"```toml\n(.*?)```", (Path(__file__).parent.parent / "docs" / "sweeps.md")
                         .read_text(encoding="utf-8"), re.S)
SPEC: dict[str, Any] = tomllib.loads(DOCS_EXAMPLE.group(1).replace("cheng_guan", "water_bureau"))
SPEC.update(config="town.toml", days=2, scale=0.05, replications=1)  # the smallest budget
SPEC.pop("preset")
SPEC["parameters"]["institutions.assessment.kind"]["values"] = ["centre_process", "department_kpis"]
SPEC["parameters"]["institutions.authority.kind"]["values"] = ["none", "command"]
SPEC["parameters"]["departments.water_bureau.officers"].update(low=1, high=3, levels=2)
RUN_ARGS = ["--days", "2", "--scale", "0.05"]
IN_PROCESS_SECONDS = 30
SUBPROCESS_SECONDS = 90
GRIDGOV = Path(sys.executable).with_name("gridgov")

INTS = [-10**12, -1, 0, 1, 2, 3, 7, 10**7, 10**12, 2**63, 10**30]
FLOATS = [0.0, -0.5, 0.5, 1.5, 3.0, 1000.0, 1e-300, 5e-324, 1e7, 1e12, 1e300, -1e300,
          float("inf"), float("-inf"), float("nan")]
STRINGS = ["", " ", "800", "true", "inf", "property_manager", "volunteers", "none", "a.b",
           "water", "town.toml", "城管", "e\u0301", "\u0000", "\t\n", "x" * 3000, "../../etc/passwd"]
KEYS = ["id", "dist", "mean", "low", "high", "values", "kind", "population", "officers", "watr",
        "grids", "parameters", "design", "levels", "", "城管", "a.b"]


def _nested(depth: int, leaf: Any) -> Any:
    for _ in range(depth):
        leaf = [leaf]
    return leaf


scalars = st.one_of(st.sampled_from(INTS), st.sampled_from(FLOATS), st.booleans(),
                    st.sampled_from(STRINGS), st.text(max_size=6))
values = st.one_of(
    scalars,
    st.recursive(scalars, lambda kids: st.one_of(
        st.lists(kids, max_size=3),
        st.dictionaries(st.one_of(st.sampled_from(KEYS), st.text(max_size=5)), kids, max_size=3)),
        max_leaves=6),
    st.builds(_nested, st.integers(1, 150), scalars),
)


def _paths(node: Any, path: tuple = ()) -> Iterator[tuple]:
    """Every place in a document: dict values and list items, containers included."""
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, child in items:
        yield (*path, key)
        yield from _paths(child, (*path, key))


def _at(doc: Any, path: tuple) -> Any:
    for key in path:
        doc = doc[key]
    return doc


@st.composite
def mutated(draw: st.DrawFn, base: dict[str, Any], most: int) -> dict[str, Any]:
    """``base`` with 1 to ``most`` random changes: a value replaced by anything, a number nudged
    (zero, halved, doubled, ten times, negated: often still valid, so the run goes on into the
    model), a key or item deleted, a key added (to any table, the top one included)."""
    doc = copy.deepcopy(base)
    for _ in range(draw(st.integers(1, most))):
        paths = list(_paths(doc))
        op = draw(st.sampled_from(["replace", "replace", "nudge", "nudge", "delete", "add"]))
        if op == "nudge":
            numbers = [p for p in paths if type(_at(doc, p)) in (int, float)]
            if numbers:
                path = draw(st.sampled_from(numbers))
                old = _at(doc, path)
                new = draw(st.sampled_from([0, 1, old // 2 if type(old) is int else old / 2,
                                            old * 2, old * 10, -old]))
                _at(doc, path[:-1])[path[-1]] = new
            continue
        if op == "add" or not paths:
            tables = [()] + [p for p in paths if isinstance(_at(doc, p), dict)]
            table = _at(doc, draw(st.sampled_from(tables)))
            table[draw(st.one_of(st.sampled_from(KEYS), st.text(max_size=8)))] = draw(values)
            continue
        path = draw(st.sampled_from(paths))
        parent = _at(doc, path[:-1])
        if op == "delete":
            del parent[path[-1]]
        else:
            parent[path[-1]] = draw(values)
    return doc


encodings = st.sampled_from(["utf-8"] * 8 + ["utf-16", "latin-1", "cut"])


def _write(doc: dict[str, Any], path: Path, encoding: str) -> None:
    """``doc`` as TOML in ``path``, in ``encoding`` (``cut``: UTF-8 cut inside a character)."""
    try:
        text = tomlkit.dumps(doc)
    except Exception:  # tomlkit cannot write every document: garbage is still an input
        text = repr(doc)
    if encoding == "cut":
        path.write_bytes((text + "\n# 城").encode("utf-8")[:-1])
    else:
        path.write_bytes(text.encode(encoding, errors="replace"))


class Hang(Exception):
    """The command ran past its time."""


@contextmanager
def alarm(seconds: int) -> Iterator[None]:
    def ring(signum: int, frame: Any) -> None:
        raise Hang(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, ring)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _invoke(args: list[str]) -> Result:
    with alarm(IN_PROCESS_SECONDS):
        return CliRunner().invoke(app, args)


def assert_clean_end(code: int, stderr: str, output: str) -> None:
    """Exit 0, or exit 2 with one paragraph on stderr; no traceback either way."""
    assert "Traceback" not in stderr and "Traceback" not in output, stderr[-3000:]
    assert code in (0, 2), (code, stderr[-3000:])
    if code == 2:
        message = stderr.strip()
        assert message.startswith("error:"), message[:500]
        assert "\n\n" not in message and message.count("\n") <= 2, message[:1000]


def _check_in_process(result: Result) -> None:
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"{type(result.exception).__name__}: {result.exception}") from result.exception
    assert_clean_end(result.exit_code, result.stderr, result.output)


FUZZ = settings(deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@settings(FUZZ, max_examples=60)
@given(town=mutated(TOWN, most=3), encoding=encodings)
def test_a_mutated_town_runs_or_is_refused_cleanly(town: dict[str, Any], encoding: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "town.toml"
        _write(town, path, encoding)
        _check_in_process(_invoke(["run", "--config", str(path), *RUN_ARGS]))


@settings(FUZZ, max_examples=30)
@given(spec=mutated(SPEC, most=2), encoding=encodings)
def test_a_mutated_sweep_spec_runs_or_is_refused_cleanly(spec: dict[str, Any], encoding: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "town.toml").write_text(TOWN_TEXT, encoding="utf-8")
        path = Path(folder) / "spec.toml"
        _write(spec, path, encoding)
        out = Path(folder) / "out"
        result = _invoke(["sweep", str(path), "--out", str(out), "--workers", "0", "--quiet"])
        _check_in_process(result)
        assert (result.exit_code == 0) == (out / "manifest.json").exists()


@settings(FUZZ, max_examples=4)
@given(town=mutated(TOWN, most=2), spec=mutated(SPEC, most=1))
def test_the_installed_command_ends_cleanly_in_a_subprocess(town: dict[str, Any],
                                                            spec: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        town_path, spec_path = Path(folder) / "town.toml", Path(folder) / "spec.toml"
        _write(town, town_path, "utf-8")
        _write(spec, spec_path, "utf-8")
        for args in (["run", "--config", str(town_path), *RUN_ARGS],
                     ["sweep", str(spec_path), "--out", str(Path(folder) / "out"), "--workers", "0",
                      "--quiet"]):
            done = subprocess.run([str(GRIDGOV), *args], capture_output=True, text=True,
                                  timeout=SUBPROCESS_SECONDS, check=False)
            assert_clean_end(done.returncode, done.stderr, done.stdout)


def test_the_unmutated_inputs_run() -> None:
    """The fuzzed inputs start valid: a failure above is the mutation's doing."""
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "town.toml").write_text(TOWN_TEXT, encoding="utf-8")
        (Path(folder) / "spec.toml").write_text(tomlkit.dumps(SPEC), encoding="utf-8")
        run = _invoke(["run", "--config", str(Path(folder) / "town.toml"), *RUN_ARGS])
        assert run.exit_code == 0, run.output
        sweep = _invoke(["sweep", str(Path(folder) / "spec.toml"), "--out", str(Path(folder) / "out"),
                         "--workers", "0", "--quiet"])
        assert sweep.exit_code == 0, sweep.output
