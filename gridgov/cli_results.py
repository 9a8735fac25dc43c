"""How commands that write a result folder (``run``, ``compare``, ``scenario run``) treat
``--out`` and ``--force``, interrupts and failures: see experiments/output.py.

Example:
    >>> with writing_result(None):
    ...     pass
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from typing import Annotated

import typer

from experiments.output import StagedResult, sigterm_as_interrupt
from gridgov.cli_common import bad_input, err
from institutions import ConfigError

Force = Annotated[bool, typer.Option("--force", help="Replace the result already in --out "
                                     "(only a folder gridgov wrote, never files of yours).")]


@contextmanager
def writing_result(staged: StagedResult | None) -> Iterator[None]:
    """Run a command's work with SIGTERM as Ctrl-C. On an interrupt say what ``--out`` holds
    and exit 130; on any failure remove the staging folder, so ``--out`` is as it was."""
    try:
        with sigterm_as_interrupt(), staged or nullcontext():
            yield
    except KeyboardInterrupt:
        if staged is None:
            err.print("interrupted", highlight=False)
        elif staged.committed:
            err.print(f"interrupted after the result was written whole to {staged.given}",
                      highlight=False, soft_wrap=True, markup=False)
        else:
            err.print(f"interrupted: {staged.given} is as it was (nothing of this run written)",
                      highlight=False, soft_wrap=True, markup=False)
        raise typer.Exit(code=130) from None
    except ConfigError as exc:  # --out changed during the run: files of yours appeared there
        raise bad_input(str(exc)) from None


def discard(staged: StagedResult | None) -> None:
    """Remove a staging folder (a command that stops before its work begins)."""
    if staged is not None:
        staged.discard()
