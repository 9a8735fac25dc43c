"""Writing results: JSON that is strict (no NaN), single files written whole or not at all, and
result folders written whole or not at all.

A result folder (``gridgov run --out DIR``, ``scenario run``, ``compare``) is written into a
hidden sibling ``.DIR.gridgov-new.PID.TOKEN`` (same parent, so renames are atomic), each file
synced, then a ``manifest.json`` naming the run and every file with its size and SHA-256, the
folder synced, and the sibling swapped with ``DIR`` in one step (Linux ``renameat2`` with
``RENAME_EXCHANGE``; elsewhere two renames, the old folder first moved to
``.DIR.gridgov-old.PID.TOKEN``). The next writer to ``DIR`` finishes or undoes a swap that a kill
interrupted and removes what dead writers left, so ``DIR`` is the old result whole or the new one
whole. A folder holding anything gridgov did not write is never replaced.

Example:
    >>> to_json({"a": float("nan"), "b": 1.5})
    '{"a": null, "b": 1.5}'
    >>> import tempfile
    >>> out = Path(tempfile.mkdtemp()) / "run"
    >>> with stage_result(out, command="gridgov run", force=False) as staged:
    ...     staged.write("metrics.json", lambda p: p.write_text("{}"))
    ...     staged.commit({"seed": 1})
    >>> sorted(p.name for p in out.iterdir()), verify_result(out)
    (['manifest.json', 'metrics.json'], [])
"""

from __future__ import annotations

import contextlib
import ctypes
import datetime as dt
import errno
import hashlib
import json
import math
import os
import platform
import re
import secrets
import shutil
import signal
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from institutions import ConfigError

MANIFEST = "manifest.json"
MANIFEST_FORMAT = 1
RESULT_KIND = "gridgov result"
SWEEP_KIND = "gridgov sweep"
LEGACY_FILES = frozenset({"metrics.json", "config.json", "case_log.parquet", "timeseries.parquet",
                          "scenario.json", "runs.parquet", "page.html", "summary.csv", "summary.json"})
"""The files result folders held before they had a manifest (gridgov 0.2.0 and earlier)."""
_LEGACY_STRAY = re.compile(r"^\.(?P<name>[^/]+)\.[A-Za-z0-9_]+\.tmp$")
_STAGING = re.compile(r"^\.(?P<name>.+)\.gridgov-(?P<role>new|old)\.(?P<pid>\d+)\.(?P<token>[0-9a-f]+)$")
_VIRTUAL = (Path("/proc"), Path("/sys"), Path("/dev"))
_VIRTUAL_ALLOWED = (Path("/dev/shm"),)
_HELD: set[str] = set()  # tokens of staging folders this process is writing


def _clean(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


def to_json(data: Any, indent: int | None = None) -> str:
    """Strict JSON: NaN and infinities become null."""
    return json.dumps(_clean(data), ensure_ascii=False, indent=indent, allow_nan=False)


def _alive(pid: int) -> bool:
    """Whether a process with this id runs (this process's own id counts as dead: it is asked
    about what an earlier holder of the id left)."""
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove_stale_temporaries(path: Path) -> None:
    """Remove the temporaries of ``path`` that writers killed before they finished left."""
    pattern = re.compile(rf"^\.{re.escape(path.name)}\.(\d+)\.[A-Za-z0-9_]+\.tmp$")
    with contextlib.suppress(OSError):
        for entry in os.scandir(path.parent):
            found = pattern.match(entry.name)
            if found and not _alive(int(found.group(1))):
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)


def fsync_path(path: Path) -> None:
    """Sync a file or a folder (its entries) to disk."""
    fd = os.open(path, os.O_RDONLY | (os.O_DIRECTORY if path.is_dir() else 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(path: Path, write: Callable[[Path], None]) -> None:
    """Write through ``write(tmp_path)`` to a temporary file, fsync it, then rename it into place.

    A crash leaves either the old file or the new one, never half of one. The temporary is
    ``.NAME.PID.RANDOM.tmp`` beside ``path``; one that a killed writer left is removed by the
    next write of ``path``.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_temporaries(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp")
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # as an ordinary file would be, not mkstemp's owner-only
    try:
        write(Path(tmp))
        fsync_path(Path(tmp))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    with contextlib.suppress(OSError):
        fsync_path(path.parent)


def check_file_target(path: Path | None, option: str = "--out") -> None:
    """Check, before any work, that a single output file can be written at ``path``: not a
    folder, not in a virtual file system, its folder creatable and writable
    (:class:`ConfigError` naming ``option`` otherwise)."""
    if path is None:
        return
    target = Path(os.path.realpath(path))
    if str(path) in ("", "."):
        raise ConfigError(f"{option}: '{path}' is not a file name; give the path of a file")
    _check_not_virtual(target, path, option)
    if target.is_dir():
        raise ConfigError(f"{option}: '{path}' is a folder; give the path of a file")
    _check_no_file_above(target, path, option)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.{os.getpid()}.",
                                     suffix=".tmp")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise ConfigError(f"{option}: cannot write '{path}': {exc.strerror or exc}") from None


def _check_not_virtual(target: Path, given: Path, option: str) -> None:
    for root in _VIRTUAL:
        if target.is_relative_to(root) and not any(target.is_relative_to(a) for a in _VIRTUAL_ALLOWED):
            raise ConfigError(f"{option}: '{given}' is in {root}, a virtual file system of the "
                              "operating system; give a path on disk")


def _check_no_file_above(target: Path, given: Path, option: str) -> None:
    for above in target.parents:
        if above.exists():
            if not above.is_dir():
                raise ConfigError(f"{option}: '{given}' is under '{above}', which is a file, not a "
                                  "folder; give another path")
            return


# -- result folders -------------------------------------------------------------------------------


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_result_manifest(folder: Path) -> dict[str, Any] | None:
    """The manifest of a result folder, ``None`` if it has none or it is not a JSON object."""
    try:
        manifest = json.loads((Path(folder) / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return manifest if isinstance(manifest, dict) else None


def verify_result(folder: Path) -> list[str]:
    """What is wrong with a result folder: an unreadable manifest, a file missing, of another
    size or content than the manifest says, or a file it does not list; ``[]`` when whole."""
    folder = Path(folder)
    manifest = read_result_manifest(folder)
    if manifest is None or not isinstance(manifest.get("files"), list):
        return [f"{folder}: no readable {MANIFEST} listing its files"]
    problems = []
    listed = set()
    for entry in manifest["files"]:
        name = entry.get("name", "")
        listed.add(name)
        path = folder / name
        if not path.is_file():
            problems.append(f"{name}: missing")
        elif path.stat().st_size != entry.get("bytes"):
            problems.append(f"{name}: {path.stat().st_size} bytes, the manifest says {entry.get('bytes')}")
        elif _sha256(path) != entry.get("sha256"):
            problems.append(f"{name}: its SHA-256 differs from the manifest's")
    for extra in sorted({p.name for p in folder.iterdir()} - listed - {MANIFEST}):
        problems.append(f"{extra}: not in the manifest")
    return problems


def _describe(manifest: dict[str, Any]) -> str:
    options = manifest.get("options") or {}
    parts = [f"{key} {options[key]}" for key in ("scenario", "preset", "config", "seed", "days", "reps")
             if options.get(key) is not None]
    created = manifest.get("created")
    return ", ".join(parts + ([f"written {created}"] if created else []))


def _listing(names: list[str], limit: int = 5) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def _check_existing(target: Path, given: Path, force: bool) -> None:
    """Refuse to replace what is at ``target`` unless it is a gridgov result and ``force``."""
    if not target.exists():
        return
    if not target.is_dir():
        raise ConfigError(f"--out: '{given}' exists and is not a folder; give a folder path")
    if os.path.ismount(target):
        raise ConfigError(f"--out: '{given}' is a mount point; give a folder inside it")
    entries = sorted(e.name + ("/" if e.is_dir() else "") for e in os.scandir(target))
    if not entries:
        return
    manifest = read_result_manifest(target)
    if manifest is not None and manifest.get("kind") == SWEEP_KIND:
        raise ConfigError(f"--out: '{given}' holds a gridgov sweep; it is never replaced (not even "
                          "with --force): give another folder")
    if manifest is not None and manifest.get("kind") == RESULT_KIND:
        listed = {f.get("name") for f in manifest.get("files") or [] if isinstance(f, dict)} | {MANIFEST}
        what = f"a result of `{manifest.get('command')}` ({_describe(manifest)})"
    else:
        listed = set(LEGACY_FILES)
        listed |= {e for e in entries if (m := _LEGACY_STRAY.match(e)) and m.group("name") in LEGACY_FILES}
        what = f"a result of an earlier gridgov ({_listing(entries)})"
    foreign = [e for e in entries if e not in listed]
    if foreign:
        raise ConfigError(f"--out: '{given}' holds what gridgov did not write ({_listing(foreign)}); "
                          "gridgov replaces only folders it wrote, never files of yours (not even with "
                          "--force): give a new or empty folder")
    if not force:
        raise ConfigError(f"--out: '{given}' already holds {what}; add --force to replace it, or "
                          "give another folder")


def _staging_of(target: Path) -> list[tuple[str, int, str, Path]]:
    """The staging folders beside ``target``: (role, pid, token, path)."""
    found = []
    with contextlib.suppress(OSError):
        for entry in os.scandir(target.parent):
            m = _STAGING.match(entry.name)
            if m and m.group("name") == target.name and entry.is_dir(follow_symlinks=False):
                found.append((m.group("role"), int(m.group("pid")), m.group("token"), Path(entry.path)))
    return found


def recover(target: Path) -> None:
    """Finish or undo a swap into ``target`` that a kill interrupted, then remove the staging
    folders that dead writers left beside it.

    Only the two-rename swap (where ``RENAME_EXCHANGE`` is missing) has a moment without
    ``target``: the old result is then ``.NAME.gridgov-old.*`` and the new one, whole,
    ``.NAME.gridgov-new.*``; the new one is moved in if its manifest matches its files, else the
    old one back.
    """
    dead = [s for s in _staging_of(target) if s[2] not in _HELD and not _alive(s[1])]
    if not os.path.lexists(target):
        olds = {token: path for role, _, token, path in dead if role == "old"}
        news = {token: path for role, _, token, path in dead if role == "new"}
        for token, old in olds.items():
            new = news.get(token)
            os.rename(new if new is not None and not verify_result(new) else old, target)
            fsync_path(target.parent)
            break
    for _, _, _, path in dead:
        if path.exists():
            shutil.rmtree(path, ignore_errors=True)


_libc: Any = None


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one atomic step (Linux ``renameat2(RENAME_EXCHANGE)``); ``False``
    where the system or file system cannot."""
    global _libc
    if not sys.platform.startswith("linux"):
        return False
    if _libc is None:
        _libc = ctypes.CDLL(None, use_errno=True)
    renameat2 = getattr(_libc, "renameat2", None)
    if renameat2 is None:
        return False
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(b))


@contextlib.contextmanager
def deferred_signals() -> Iterator[None]:
    """Hold SIGINT and SIGTERM until the block ends, then act on them (as KeyboardInterrupt)."""
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    previous = {sig: signal.signal(sig, lambda signum, frame: caught.append(signum))
                for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if caught:
            raise KeyboardInterrupt


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM stops a command like Ctrl-C (KeyboardInterrupt): a result's staging folder is removed,
    a sweep writes the runs in memory first.
    A process forked from this one (a pool worker) inherits the handler; there SIGTERM keeps
    its usual meaning."""
    main = os.getpid()

    def handler(signum: int, frame: Any) -> None:
        if os.getpid() != main:
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class StagedResult:
    """A result folder being written: files go to :attr:`path` (a hidden sibling of the target)
    through :meth:`write`; :meth:`commit` adds the manifest and swaps it into place. Leaving the
    ``with`` block without a commit removes the staging folder and leaves the target as it was."""

    def __init__(self, target: Path, given: Path, command: str, force: bool, path: Path,
                 token: str) -> None:
        self.target, self.given, self.command, self.force = target, given, command, force
        self.path, self.token = path, token
        self.committed = False

    def write(self, name: str, write: Callable[[Path], None]) -> None:
        """Write the file ``name`` through ``write(path)`` and sync it."""
        path = self.path / name
        write(path)
        fsync_path(path)

    def manifest(self, options: dict[str, Any]) -> dict[str, Any]:
        """The manifest of what is staged: the command and its ``options``, the command line,
        versions, the time, and each file with its size and SHA-256."""
        from importlib.metadata import PackageNotFoundError, version

        try:
            gridgov_version = version("gridgov")
        except PackageNotFoundError:
            gridgov_version = None
        files = [{"name": p.name, "bytes": p.stat().st_size, "sha256": _sha256(p)}
                 for p in sorted(self.path.iterdir()) if p.name != MANIFEST]
        return {"format": MANIFEST_FORMAT, "kind": RESULT_KIND, "command": self.command,
                "options": options,
                "argv": sys.argv[1:] if Path(sys.argv[0]).name in ("gridgov", "__main__.py") else None,
                "gridgov_version": gridgov_version, "python": platform.python_version(),
                "created": _now(), "files": files}

    def commit(self, options: dict[str, Any]) -> None:
        """Write the manifest (last), sync the folder and swap it with the target.

        SIGINT and SIGTERM wait until the swap is done; after it the target holds the new result.
        """
        manifest = self.manifest(options)
        self.write(MANIFEST, lambda p: p.write_text(to_json(manifest, indent=2), encoding="utf-8"))
        fsync_path(self.path)
        _check_existing(self.target, self.given, self.force)  # nothing of yours appeared meanwhile
        with deferred_signals():
            old = None
            if os.path.lexists(self.target):
                if _exchange(self.path, self.target):
                    old = self.path
                else:
                    old = self.path.with_name(self.path.name.replace(".gridgov-new.", ".gridgov-old."))
                    os.rename(self.target, old)
                    os.rename(self.path, self.target)
            else:
                os.rename(self.path, self.target)
            fsync_path(self.target.parent)
            self.committed = True
            if old is not None:
                shutil.rmtree(old, ignore_errors=True)
            _HELD.discard(self.token)

    def discard(self) -> None:
        """Remove the staging folder (nothing if committed)."""
        if not self.committed:
            shutil.rmtree(self.path, ignore_errors=True)
            _HELD.discard(self.token)

    def __enter__(self) -> StagedResult:
        return self

    def __exit__(self, *exc: object) -> None:
        self.discard()


def stage_result(out: Path, *, command: str, force: bool) -> StagedResult:
    """Check ``--out`` before any work and start writing a result folder there.

    Refuses (:class:`ConfigError`, a message for the user): the current directory or one above
    it (``--out ""`` too), a path in /proc, /sys or /dev, under a file, a file, a mount point, a
    sweep, a folder holding anything gridgov did not write, a gridgov result without ``force``,
    and a parent that cannot be created or written (the staging folder is made here, at once).
    """
    given = Path(out)
    try:
        return _stage(given, command, force)
    except OSError as exc:
        raise ConfigError(f"--out: cannot write '{given}': {exc.strerror or exc}") from None


def _stage(given: Path, command: str, force: bool) -> StagedResult:
    target = Path(os.path.realpath(given))
    cwd = Path.cwd().resolve()
    if target == cwd or target in cwd.parents:
        raise ConfigError(f"--out: '{given}' is the current directory or one above it (an empty "
                          "--out means the current directory); give a folder for the result, e.g. "
                          "out/run1")
    _check_not_virtual(target, given, "--out")
    _check_no_file_above(target, given, "--out")
    recover(target)
    _check_existing(target, given, force)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"--out: cannot create '{given.parent}': {exc.strerror or exc}") from None
    token = secrets.token_hex(6)
    staging = target.with_name(f".{target.name}.gridgov-new.{os.getpid()}.{token}")
    try:
        staging.mkdir()
        probe = staging / ".probe"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise ConfigError(f"--out: cannot write in '{given.parent}': {exc.strerror or exc}") from None
    _HELD.add(token)
    return StagedResult(target, given, command, force, staging, token)
