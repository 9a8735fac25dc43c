"""``gridgov dashboard``: serve the Solara dashboard, offline, on loopback unless told otherwise.

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

from gridgov.cli_common import bad_input
from institutions import ConfigError

APP = "dashboards.app"
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


def dashboard(
    host: Annotated[str, typer.Option(help="Address to serve on; loopback unless you mean to share it.")]
    = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to serve on (1-65535).")] = 8765,
) -> None:
    """Serve the dashboard (explore, compare, train, sweep results) in the browser.

    Example: gridgov dashboard --port 8765, then open http://127.0.0.1:8765
    """
    try:
        check_port(host, port)
    except ConfigError as exc:
        raise bad_input(str(exc)) from None
    for key, value in offline_env().items():
        os.environ.setdefault(key, value)
    # plain http on loopback is the point here; solara would warn on every first page load
    warnings.filterwarnings("ignore", message="Cookies with samesite=none require https")
    from solara.__main__ import run as solara_run  # after the environment: solara reads it on import

    solara_run.main(args=[APP, "--host", host, "--port", str(port), "--production", "--no-open",
                          "--no-check-version"], prog_name="gridgov dashboard", standalone_mode=False)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def served(port: int, *, log: Path | None = None, cwd: Path | None = None,
           timeout: float = 60.0) -> Iterator[str]:
    """``gridgov dashboard`` on ``127.0.0.1:port`` in a process of its own, for tests and
    benchmarks: yields its URL once it answers, and stops it (and waits for it) on the way out.

    Raises :class:`RuntimeError` with the server's output if it stops or does not come up.
    """
    script = Path(sys.executable).parent / "gridgov"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "gridgov"]
    with open(log or os.devnull, "wb") as out:
        server = subprocess.Popen([*command, "dashboard", "--host", "127.0.0.1", "--port", str(port)],
                                  cwd=cwd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
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
