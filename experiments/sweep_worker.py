"""A Dask worker preload for a sweep's local cluster: each worker process dies with the driver.

The driver's nannies start the workers; when the driver dies without closing them (SIGKILL, an
out-of-memory kill), Dask relies on a pipe whose write end only the driver should hold. Forked
workers inherit each other's ends of such pipes, and two in eleven driver kills left both workers
alive, reparented to PID 1, holding the dead scheduler's sockets. On Linux this preload asks the
kernel for ``SIGKILL`` when the worker's parent (the thread of the driver, or the fork server,
that started it) ends: ``prctl(PR_SET_PDEATHSIG)``. If the driver died before that, the worker
exits at once. Elsewhere it does nothing.

:func:`experiments.sweep.dask_client` names this module in ``distributed.worker.preload`` for
local clusters only; Dask calls :func:`dask_setup` in each worker process as it starts.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
from typing import Any

PR_SET_PDEATHSIG = 1
PR_GET_PDEATHSIG = 2


def _running(pid: int) -> bool:
    import psutil

    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def die_with_parent() -> bool:
    """Have the kernel kill this process when its parent ends (Linux); exit now if the process
    that started it is already gone. Whether the kernel was asked."""
    if not sys.platform.startswith("linux"):
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) != 0:
        return False
    starter = multiprocessing.parent_process()  # the driver, whichever start method
    if starter is not None and starter.pid is not None and not _running(starter.pid):
        os._exit(1)  # the driver died before the request: nobody is left to stop this worker
    return True


def dask_setup(worker: Any) -> None:
    """Dask's preload hook, called in each worker process as it starts."""
    die_with_parent()


def parent_death_signal() -> int:
    """The signal this process gets when its parent ends (0: none; Linux only)."""
    if not sys.platform.startswith("linux"):
        return 0
    value = ctypes.c_int(0)
    ctypes.CDLL(None, use_errno=True).prctl(PR_GET_PDEATHSIG, ctypes.byref(value), 0, 0, 0)
    return value.value
