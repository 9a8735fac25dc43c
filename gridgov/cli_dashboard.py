"""``gridgov dashboard``: serve the Solara dashboard, offline, on loopback unless told otherwise.

A host that is not a loopback address (``0.0.0.0``, a LAN address) is refused unless
``--allow-remote`` is given, and then ``--sweeps-root DIR`` is required: the Sweep results page
opens sweep folders only under that root (default when local: the current folder). The server
learns its root from the environment variable ``GRIDGOV_SWEEPS_ROOT``
(:data:`dashboards.sweep_data.SWEEPS_ROOT_ENV`), set here before Solara starts in this process.

Every script, style and font comes from the installed packages: Solara serves its front end
from the asset cache that the ``solara-assets`` package installs (``SOLARA_ASSETS_PROXY``), its
CDN address points at a closed loopback port so that nothing is ever fetched from the
internet, and telemetry and the version check are off.

Example:
    >>> env = offline_env()
    >>> env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"], env["SOLARA_ASSETS_PROXY"]
    ('False', 'True')
    >>> check_port("127.0.0.1", 0)
    Traceback (most recent call last):
    ...
    institutions.errors.ConfigError: --port: 0 is not allowed; a port number from 1 to 65535
"""

from __future__ import annotations

import ipaddress
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from gridgov.cli_common import bad_input, note
from institutions import ConfigError

APP = "dashboards.app"
SWEEPS_ROOT_ENV = "GRIDGOV_SWEEPS_ROOT"  # dashboards.sweep_data's, without importing the app here
NOWHERE = "http://127.0.0.1:9/"  # the discard port: a missing asset fails here, not on the internet


def offline_env() -> dict[str, str]:
    """Environment for a Solara server that needs no network."""
    return {
        "SOLARA_ASSETS_PROXY": "True",
        "SOLARA_ASSETS_CDN": NOWHERE,
        "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",
        "SOLARA_THEME_SHOW_BANNER": "False",
        "SOLARA_THEME_TITLE": "gridgov",
        "SOLARA_MODE": "production",
        # a session whose page is gone keeps its runs for an hour (a laptop asleep), then frees them
        "SOLARA_KERNEL_CULL_TIMEOUT": "1h",
    }


def check_port(host: str, port: int) -> None:
    """The port must be a valid number, and free on ``host``; :class:`ConfigError` if not."""
    if not 1 <= port <= 65535:
        raise ConfigError(f"--port: {port} is not allowed; a port number from 1 to 65535")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise ConfigError(f"--host: '{host}' is not an address of this machine ({exc.strerror}); "
                          "for example 127.0.0.1") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server will
        try:
            probe.bind(address)
        except OSError as exc:
            raise ConfigError(f"--port: {port} on {host} cannot be used ({exc.strerror}); "
                              "choose a free port, for example --port 8766") from None


def is_loopback(host: str) -> bool:
    """Whether every address ``host`` stands for is a loopback address (127.0.0.0/8, ::1).

    Example:
        >>> is_loopback("127.0.0.1"), is_loopback("::1"), is_loopback("0.0.0.0")
        (True, True, False)
    """
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise ConfigError(f"--host: '{host}' is not an address of this machine ({exc.strerror}); "
                          "for example 127.0.0.1") from None
    addresses = {info[4][0].split("%")[0] for info in infos}
    return bool(addresses) and all(ipaddress.ip_address(a).is_loopback for a in addresses)


def check_exposure(host: str, allow_remote: bool, sweeps_root: Path | None) -> Path:
    """The sweeps root to serve: ``--sweeps-root`` (required off loopback, which needs
    ``--allow-remote``) or the current folder; :class:`ConfigError` if that is not allowed."""
    local = is_loopback(host)
    if not local and not allow_remote:
        raise ConfigError(f"--host: '{host}' is not a loopback address: the dashboard would be open "
                          "to anyone who can reach this machine. Serve on --host 127.0.0.1 (the "
                          "default), or give "
                          "--allow-remote with --sweeps-root DIR to share it")
    if not local and sweeps_root is None:
        raise ConfigError(f"--sweeps-root: required with --allow-remote (--host '{host}'): the "
                          "only folder under which visitors may open sweeps, e.g. --sweeps-root sweeps")
    root = (sweeps_root or Path.cwd()).expanduser()
    if not root.is_dir():
        raise ConfigError(f"--sweeps-root: '{root}' is not a folder; give the folder that holds "
                          "the sweeps to show")
    return root.resolve()


def serve(host: str, port: int) -> None:
    """Run the Solara server of the app in this process until Ctrl-C."""
    # plain http on loopback is the point here; solara would warn on every first page load
    warnings.filterwarnings("ignore", message="Cookies with samesite=none require https")
    from solara.__main__ import run as solara_run  # after the environment: solara reads it on import

    solara_run.main(args=[APP, "--host", host, "--port", str(port), "--production", "--no-open",
                          "--no-check-version"], prog_name="gridgov dashboard", standalone_mode=False)


def dashboard(
    host: Annotated[str, typer.Option(help="Address to serve on: loopback (127.0.0.1, ::1), or "
                                           "another with --allow-remote.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to serve on (1-65535).")] = 8765,
    allow_remote: Annotated[bool, typer.Option(
        "--allow-remote", help="Allow a --host other than loopback: anyone who can reach it can "
                               "use the dashboard (needs --sweeps-root).")] = False,
    sweeps_root: Annotated[Path | None, typer.Option(
        envvar=SWEEPS_ROOT_ENV, help="The folder under which the Sweep results page opens sweeps, "
                                     "and no other (default: the current folder; required with "
                                     "--allow-remote).")] = None,
) -> None:
    """Serve the dashboard (explore, compare, train, sweep results) in the browser.

    Example: gridgov dashboard --port 8765, then open http://127.0.0.1:8765
    """
    try:
        root = check_exposure(host, allow_remote, sweeps_root)
        check_port(host, port)
    except ConfigError as exc:
        raise bad_input(str(exc)) from None
    if not is_loopback(host):
        note(f"--allow-remote: serving on {host}:{port}, open to anyone who can reach it; the "
             f"Sweep results page opens folders under {root} only")
    for key, value in offline_env().items():
        os.environ.setdefault(key, value)
    os.environ[SWEEPS_ROOT_ENV] = str(root)
    serve(host, port)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def served(port: int, *, log: Path | None = None, cwd: Path | None = None,
           sweeps_root: Path | None = None, timeout: float = 60.0) -> Iterator[str]:
    """``gridgov dashboard`` on ``127.0.0.1:port`` in a process of its own (sweeps under
    ``sweeps_root``, default its ``cwd``), for tests and benchmarks: yields its URL once it
    answers, and stops it (and waits for it) on the way out.

    Raises :class:`RuntimeError` with the server's output if it stops or does not come up.
    """
    script = Path(sys.executable).parent / "gridgov"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "gridgov"]
    with open(log or os.devnull, "wb") as out:
        root = ["--sweeps-root", str(sweeps_root)] if sweeps_root is not None else []
        server = subprocess.Popen([*command, "dashboard", "--host", "127.0.0.1", "--port", str(port),
                                   *root], cwd=cwd, stdout=out, stderr=subprocess.STDOUT,
                                  start_new_session=True)
    url = f"http://127.0.0.1:{port}/"
    said = (lambda: log.read_text(errors="replace")) if log else (lambda: "")
    try:
        deadline = time.monotonic() + timeout
        while True:
            if server.poll() is not None:
                raise RuntimeError(f"the dashboard server stopped: {said()}")
            try:
                with urllib.request.urlopen(url + "readyz", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the dashboard server did not come up: {said()}") from None
                time.sleep(0.1)
        yield url
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=10)
