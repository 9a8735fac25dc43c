"""Result folders are written whole or not at all, and ``--out`` is checked before a run.

The interrupt trials start ``gridgov run --out DIR`` and ``gridgov scenario run --out DIR`` on top
of an earlier result in DIR and send SIGINT, SIGTERM or SIGKILL at seeded random moments, spread
over the whole run and concentrated on the writing phase (from the moment the first file appears
in the staging folder). Afterwards DIR must hold the old result or the new one, each whole (the
manifest matches every file), and the next run must leave no staging folder or temporary file.

Most trials are forked from a launcher that has imported gridgov once (a trial then costs the
run, not two seconds of imports); the launcher's child calls the ``gridgov`` script's entry point,
as the script does. A few trials start gridgov afresh (``python -m gridgov``).
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from experiments.output import MANIFEST, read_result_manifest, stage_result, verify_result
from gridgov.cli import app
from tests.conftest import DATA

GRIDGOV = [sys.executable, "-m", "gridgov"]
RUN = ["run", "--config", str(DATA / "river_village.toml"), "--days", "5", "--json", "--force"]
SCENARIO = ["--reps", "2", "--workers", "1", "--follow-days", "3", "--scale", "0.03", "--json",
            "--force"]
SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGKILL)

LAUNCHER = r"""
import json, os, sys, traceback, warnings
from importlib.metadata import entry_points

import gridgov.cli  # imported once, here

try:
    main = entry_points(group="console_scripts")["gridgov"].load()  # what the gridgov script runs
except (ImportError, AttributeError, KeyError):  # an install older than this checkout
    main = lambda: gridgov.cli.app(prog_name="gridgov")
warnings.simplefilter("ignore", DeprecationWarning)  # fork() with BLAS threads, as Dask's workers

for line in sys.stdin:
    cmd = json.loads(line)
    if cmd["op"] == "run":
        pid = os.fork()
        if pid == 0:
            fd = os.open(cmd["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
            os.dup2(fd, 1)
            os.dup2(fd, 2)
            os.chdir(cmd["cwd"])
            sys.argv = ["gridgov", *cmd["args"]]
            code = 1
            try:
                main()
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else int(exc.code is not None)
            except BaseException:
                traceback.print_exc()
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
        print(json.dumps({"pid": pid}), flush=True)
    elif cmd["op"] == "ping":
        print(json.dumps({}), flush=True)
    elif cmd["op"] == "wait":
        _, status = os.waitpid(cmd["pid"], 0)
        print(json.dumps({"code": os.waitstatus_to_exitcode(status)}), flush=True)
"""


class Launcher:
    """A process that has imported gridgov and forks a child per command line."""

    def __init__(self, cwd: Path) -> None:
        self.cwd = cwd
        self.proc = subprocess.Popen([sys.executable, "-c", LAUNCHER], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, start_new_session=True)
        self._ask(op="ping")  # once it has imported gridgov

    def _ask(self, **cmd: object) -> dict:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps(cmd) + "\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())

    def start(self, args: list[str], log: Path) -> int:
        return self._ask(op="run", args=args, cwd=str(self.cwd), log=str(log))["pid"]

    def wait(self, pid: int) -> int:
        return self._ask(op="wait", pid=pid)["code"]

    def close(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)


@pytest.fixture(scope="module")
def launcher(tmp_path_factory):
    home = tmp_path_factory.mktemp("launcher")
    la = Launcher(home)
    try:
        yield la
    finally:
        la.close()


def staging(target: Path, pid: int | None = None) -> list[Path]:
    """The staging folders beside ``target`` (of process ``pid``, or of any)."""
    head = f".{target.name}.gridgov-"
    return [p for p in target.parent.iterdir() if p.name.startswith(head)
            and (pid is None or f".{pid}." in p.name)]


def writing_started(target: Path, pid: int) -> bool:
    for folder in staging(target, pid):
        try:
            if any(not e.name.startswith(".") for e in os.scandir(folder)):
                return True
        except FileNotFoundError:  # swapped in, or removed, meanwhile
            return True
    return False


def whole_result(target: Path) -> dict:
    """The manifest of ``target``, after checking that it is a whole result."""
    assert target.is_dir(), f"{target} is missing"
    problems = verify_result(target)
    assert problems == [], problems
    manifest = read_result_manifest(target)
    assert manifest is not None
    return manifest


def run_identity(manifest: dict) -> tuple:
    o = manifest["options"]
    return (manifest["command"], o.get("scenario"), o.get("seed"))


def running(pid: int) -> bool:
    import psutil

    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def wait_for_writing(target: Path, pid: int) -> float:
    """Wait until process ``pid`` has written its first file into its staging folder (or ended);
    the time then."""
    deadline = time.monotonic() + 60
    while not writing_started(target, pid) and running(pid) and time.monotonic() < deadline:
        time.sleep(0.001)
    return time.monotonic()


def plans(commands: list[list[str]], writing_share: float) -> list[tuple]:
    """(command, signal, phase) for each command: signals in turn, the first ``writing_share``
    of every three trials in the writing phase, the others anywhere in the run."""
    return [(args, SIGNALS[i % len(SIGNALS)], "writing" if (i % 3) < 3 * writing_share else "anywhere")
            for i, args in enumerate(commands)]


def interrupt_trials(start, wait, target: Path, trials: list[tuple], rng: random.Random,
                     timing: tuple[float, float]) -> dict[str, int]:
    """Run the interrupted commands of ``trials`` over the result in ``target``; count outcomes:
    how many left the old result, how many the new one (each whole, or this fails).

    ``timing``: an uninterrupted run's seconds in all and in its writing phase. A trial in the
    writing phase is interrupted at a uniform moment in 1.2 times that phase, from its first
    file; any other at a uniform moment of the whole run."""
    full, writing = timing
    counts = {"old": 0, "new": 0, "writing": 0}
    for args, sig, phase in trials:
        before = run_identity(whole_result(target))
        pid = start(args)
        if phase == "writing":
            wait_for_writing(target, pid)
            counts["writing"] += 1
            time.sleep(rng.uniform(0, 1.2 * writing))
        else:
            time.sleep(rng.uniform(0, full))
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)
        code = wait(pid)
        after = run_identity(whole_result(target))
        new = ("gridgov " + ("scenario run" if args[0] == "scenario" else args[0]),
               args[2] if args[0] == "scenario" else None, int(args[args.index("--seed") + 1]))
        assert after in (before, new), (after, before, new, code)
        counts["new" if after == new and after != before else "old"] += 1
        assert code in (0, 1, 130, -sig), code
    return counts


def assert_clean(target: Path) -> None:
    """Nothing beside ``target`` but what the test put there, nothing hidden inside it."""
    assert staging(target) == [], staging(target)
    assert not list(target.parent.glob(".*.tmp")) and not list(target.glob(".*"))


def timed(start, wait, target: Path, args: list[str]) -> tuple[float, float]:
    """Run ``args`` to its end; its seconds in all and from its first file to its end."""
    started = time.monotonic()
    pid = start(args)
    writing = wait_for_writing(target, pid)
    assert wait(pid) == 0
    ended = time.monotonic()
    return ended - started, ended - writing


def interrupt_many(launcher, log: Path, target: Path, command, trials: int, seed: int) -> str:
    """A first result, ``trials`` commands interrupted at seeded moments, then one more result
    (``command(-1)``); asserts the folder is whole after each and clean at the end."""

    def start(args: list[str]) -> int:
        return launcher.start(args, log)

    timing = timed(start, launcher.wait, target, command(0))
    commands = [command(i + 1) for i in range(trials)]
    counts = interrupt_trials(start, launcher.wait, target, plans(commands, 2 / 3), random.Random(seed),
                              timing)
    timed(start, launcher.wait, target, command(-1))
    assert_clean(target)
    assert "Traceback" not in log.read_text(errors="replace")
    return (f"(uninterrupted {timing[0]:.2f} s, writing {timing[1]:.3f} s): {counts} of {trials} "
            "interrupted trials, each left the folder whole")


def test_run_interrupted_at_random_moments_leaves_the_old_result_or_the_new_one_whole(
        launcher, tmp_path):
    home = launcher.cwd / "run"
    home.mkdir()
    target = home / "result"

    def run(i: int) -> list[str]:
        seed = {0: 1, -1: 2}.get(i, 99 + i)
        return [*RUN, "--seed", str(seed), "--out", str(target)]

    said = interrupt_many(launcher, tmp_path / "run.log", target, run, 30, 14)
    assert run_identity(whole_result(target)) == ("gridgov run", None, 2)
    print("run", said)


def test_scenario_run_interrupted_at_random_moments_leaves_a_whole_result(launcher, tmp_path):
    home = launcher.cwd / "scenario"
    home.mkdir()
    target = home / "result"

    def scenario(i: int) -> list[str]:
        name, seed = {0: ("manhole", 1), -1: ("lawn_parking", 3)}.get(
            i, (("lawn_parking", "manhole")[(i - 1) % 2], 199 + i))
        return ["scenario", "run", name, *SCENARIO, "--seed", str(seed), "--out", str(target)]

    said = interrupt_many(launcher, tmp_path / "scenario.log", target, scenario, 9, 15)
    assert run_identity(whole_result(target)) == ("gridgov scenario run", "lawn_parking", 3)
    assert {"scenario.json", "runs.parquet", "page.html", MANIFEST} == {p.name for p in target.iterdir()}
    print("scenario", said)


def test_gridgov_started_afresh_and_killed_while_writing_leaves_a_whole_result(launcher, tmp_path):
    """``python -m gridgov`` in a new process, one trial per signal, in the writing phase."""
    home = launcher.cwd / "script"
    home.mkdir()
    target, log = home / "result", tmp_path / "script.log"
    procs: dict[int, subprocess.Popen] = {}

    def start(args: list[str]) -> int:
        with log.open("ab") as out:
            proc = subprocess.Popen([*GRIDGOV, *args], cwd=tmp_path, stdout=out,
                                    stderr=subprocess.STDOUT)
        procs[proc.pid] = proc
        return proc.pid

    def wait(pid: int) -> int:
        return procs.pop(pid).wait(timeout=120)

    try:
        timing = timed(lambda args: launcher.start(args, log), launcher.wait, target,
                       [*RUN, "--seed", "1", "--out", str(target)])
        commands = [[*RUN, "--seed", str(300 + i), "--out", str(target)] for i in range(3)]
        counts = interrupt_trials(start, wait, target, plans(commands, 1), random.Random(16), timing)
        assert launcher.wait(launcher.start([*RUN, "--seed", "2", "--out", str(target)], log)) == 0
        assert_clean(target)
        assert "Traceback" not in log.read_text(errors="replace")
        print(f"python -m gridgov: {counts} of 3 interrupted trials, each left the folder whole")
    finally:
        for proc in procs.values():
            proc.kill()
            proc.wait()


def test_compare_stopped_by_sigterm_ends_its_workers_and_keeps_the_old_result(launcher, tmp_path):
    """SIGTERM to ``compare`` (its pool workers are not signalled): it exits 130 at once, its
    workers end with it and the earlier result stays whole."""
    import psutil

    home = launcher.cwd / "compare"
    home.mkdir()
    target, log = home / "result", tmp_path / "compare.log"
    args = ["compare", "--config", str(DATA / "river_village.toml"), "--reform", "training",
            "--days", "60", "--workers", "2", "--force", "--out", str(target)]
    assert launcher.wait(launcher.start([*args, "--reps", "2"], log)) == 0
    before = whole_result(target)
    pid = launcher.start([*args, "--reps", "40"], log)
    deadline = time.monotonic() + 60
    while len(psutil.Process(pid).children()) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    workers = psutil.Process(pid).children()
    os.kill(pid, signal.SIGTERM)
    stopped = time.monotonic()
    assert launcher.wait(pid) == 130
    _, alive = psutil.wait_procs(workers, timeout=10)
    for proc in alive:
        proc.kill()
    assert len(workers) == 2 and not alive and time.monotonic() - stopped < 15
    assert whole_result(target) == before and staging(target) == []
    assert "is as it was" in log.read_text(errors="replace")


# -- refusals, before any simulation ---------------------------------------------------------------


def cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, " ".join(result.output.split())


def test_a_second_run_into_the_same_folder_is_refused_without_force(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _ = cli(*RUN[:-1], "--seed", "1", "--out", "a")
    assert code == 0 and whole_result(tmp_path / "a")["options"]["seed"] == 1
    started = time.monotonic()
    code, message = cli("run", "--days", "365", "--seed", "2", "--out", "a")  # 1:1, a year: refused at once
    assert code == 2 and time.monotonic() - started < 10
    assert f"already holds a result of `gridgov run` (config {DATA / 'river_village.toml'}, seed 1, days 5" \
        in message, message
    assert "--force" in message
    code, message = cli("scenario", "run", "manhole", *SCENARIO[:-1], "--out", "a")
    assert code == 2 and "already holds a result of `gridgov run`" in message
    code, _ = cli("scenario", "run", "manhole", *SCENARIO, "--out", "a")
    assert code == 0 and whole_result(tmp_path / "a")["command"] == "gridgov scenario run"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a"]


def test_files_of_yours_are_never_replaced_not_even_with_force(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("precious")
    assert cli(*RUN, "--out", "mine")[0] == 2
    assert [p.name for p in mine.iterdir()] == ["notes.txt"]
    cli(*RUN, "--out", "res")
    (tmp_path / "res" / "notes.txt").write_text("added by hand")
    code, message = cli(*RUN, "--out", "res")
    assert code == 2 and "notes.txt" in message and "never files of yours" in message, message
    assert (tmp_path / "res" / "notes.txt").read_text() == "added by hand"
    sweep = tmp_path / "sweep"
    sweep.mkdir()
    (sweep / "manifest.json").write_text(json.dumps({"kind": "gridgov sweep"}))
    (sweep / "design.parquet").write_bytes(b"")
    code, message = cli(*RUN, "--out", "sweep")
    assert code == 2 and "holds a gridgov sweep" in message, message
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_an_earlier_gridgov_result_without_manifest_is_replaced_with_force(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    old = tmp_path / "old"
    old.mkdir()
    for name in ("metrics.json", "config.json", "case_log.parquet", "timeseries.parquet",
                 ".config.json.k2j3h4l5.tmp"):
        (old / name).write_text("{}")
    code, message = cli(*RUN[:-1], "--out", "old")
    assert code == 2 and "a result of an earlier gridgov" in message, message
    assert cli(*RUN, "--out", "old")[0] == 0
    whole_result(old)


@pytest.mark.parametrize("out, says", [
    ("", "is the current directory"),
    (".", "is the current directory"),
    ("..", "is the current directory or one above it"),
    ("notes.txt", "exists and is not a folder"),
    ("notes.txt/result", "which is a file, not a folder"),
    ("/proc/gridgov", "is in /proc, a virtual file system"),
    ("/sys/gridgov", "is in /sys"),
    ("x" * 300, "cannot"),
])
def test_bad_out_paths_fail_at_once_with_exit_2(out, says, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.txt").write_text("precious")
    for command in (["run", "--days", "365"], ["scenario", "run", "manhole"], ["compare", "--reps", "2"]):
        started = time.monotonic()
        code, message = cli(*command, "--out", out)
        assert code == 2 and says in message and "--out" in message, (command, message)
        assert time.monotonic() - started < 10
    assert (tmp_path / "notes.txt").read_text() == "precious"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_a_read_only_location_fails_at_once(tmp_path):
    """A read-only file system, mounted in a user and mount namespace of this test's own."""
    ro = tmp_path / "ro"
    ro.mkdir()
    unshare = shutil.which("unshare")
    assert unshare is not None, "this test needs util-linux's unshare"
    probe = subprocess.run([unshare, "-rm", "sh", "-c", f"mount -t tmpfs -o ro none '{ro}'"],
                           capture_output=True)
    assert probe.returncode == 0, f"cannot mount a read-only tmpfs in a namespace: {probe.stderr!r}"
    done = subprocess.run([unshare, "-rm", "sh", "-c", 'mount -t tmpfs -o ro none "$0" '
                           '&& exec "$@"', str(ro), *GRIDGOV, "run", "--days", "365",
                           "--out", str(ro / "result")], capture_output=True, text=True, timeout=120)
    message = " ".join(done.stderr.split())
    assert done.returncode == 2 and "Read-only file system" in message, message


def test_validate_and_calibrate_check_their_files_at_once(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.txt").write_text("precious")
    for args in (["validate", "--out", "notes.txt/card.json"], ["validate", "--out", "/proc/card.json"],
                 ["validate", "--out", "."],
                 ["calibrate", "c_town", "--search", "--write", "notes.txt/c.toml"]):
        code, message = cli(*args)
        assert code == 2 and ("--out" in message or "--write" in message), (args, message)


# -- the swap without RENAME_EXCHANGE, and its recovery --------------------------------------------


def dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def result_in(folder: Path, seed: int) -> None:
    """A whole result in ``folder``, written through a staging folder elsewhere."""
    tmp = folder.parent / f"{folder.name}-build"
    with stage_result(tmp, command="gridgov run", force=True) as staged:
        staged.write("metrics.json", lambda p: p.write_text(json.dumps({"seed": seed})))
        staged.commit({"seed": seed})
    os.rename(tmp, folder)


@pytest.mark.parametrize("new_whole", [True, False])
def test_a_kill_between_the_two_renames_is_finished_or_undone_by_the_next_writer(
        new_whole, tmp_path, monkeypatch):
    """Where RENAME_EXCHANGE is missing the old folder is moved away first: a kill then leaves
    no DIR; the next writer moves the new result in if it is whole, else the old one back."""
    monkeypatch.chdir(tmp_path)
    target, pid = tmp_path / "result", dead_pid()
    old = tmp_path / f".result.gridgov-old.{pid}.abc123"
    new = tmp_path / f".result.gridgov-new.{pid}.abc123"
    result_in(old, 1)
    result_in(new, 2)
    if not new_whole:
        (new / "metrics.json").write_text("half")
    stray = tmp_path / f".result.gridgov-new.{dead_pid()}.def456"  # killed while running
    stray.mkdir()
    code, message = cli(*RUN[:-1], "--seed", "3", "--out", "result")
    assert code == 2 and f"seed {2 if new_whole else 1}" in message, message
    assert sorted(p.name for p in tmp_path.iterdir()) == ["result"]
    whole_result(target)


def test_the_two_rename_swap_replaces_a_result_whole(tmp_path, monkeypatch):
    import experiments.output as output

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(output, "_exchange", lambda a, b: False)
    assert cli(*RUN, "--seed", "1", "--out", "result")[0] == 0
    assert cli(*RUN, "--seed", "2", "--out", "result")[0] == 0
    assert whole_result(tmp_path / "result")["options"]["seed"] == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["result"]


def test_a_single_file_left_half_written_by_a_killed_writer_is_cleaned_up(tmp_path):
    from experiments.output import write_atomic

    stray = tmp_path / f".card.json.{dead_pid()}.x1y2z3.tmp"
    stray.write_text("half")
    write_atomic(tmp_path / "card.json", lambda p: p.write_text("{}"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["card.json"]

