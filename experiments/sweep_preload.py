"""What the fork server of a local sweep cluster imports before it forks the workers.

The model's code, then ``gc.freeze()``: the imported objects move to a generation the garbage
collector never scans, so a forked worker does not copy the pages it shares with the server.
The freeze happens only in that server (``GRIDGOV_FORKSERVER=1``), never in a process that
merely imports this module.
"""

import gc
import os

import experiments.sweep  # noqa: F401

if os.environ.get("GRIDGOV_FORKSERVER") == "1":
    gc.collect()
    gc.freeze()
