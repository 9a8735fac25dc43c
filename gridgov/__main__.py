"""``python -m gridgov`` and the ``gridgov`` command (``[project.scripts]``): the command line,
imported inside :func:`main` so that Ctrl-C while it is still importing (a second or two) ends
the program quietly with exit code 130, as it does once a command runs. A flag the parser
cannot read (``--days abc``, ``--bogus``) gets the same one-paragraph error, exit 2, as a flag
the commands check."""

from __future__ import annotations

import sys
from typing import Any


def main() -> None:
    """Import the command line and run it; Ctrl-C at any point exits 130 without a traceback."""
    try:
        code = _run()
    except KeyboardInterrupt:  # while importing, between the import and the command's own
        code = 130  # handling, or while an error is being printed
    sys.exit(code)


def _run() -> int:
    """The command's exit code; what the parser refuses is printed as one paragraph."""
    import typer

    from gridgov.cli import app

    click = parser_module()
    try:
        code = app(prog_name="gridgov", standalone_mode=False)
    except click.NoArgsIsHelpError as exc:  # `gridgov scenario`: its help
        print(exc.ctx.get_help())
        return exc.exit_code
    except click.UsageError as exc:
        return usage_error(exc, sys.argv[1:])
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except typer.Abort:  # end of input at a prompt
        return 1
    return code if isinstance(code, int) else 0


def parser_module() -> Any:
    """The exceptions of the click that typer parses with (typer 0.29 and later carry their own
    copy; older ones use click)."""
    try:
        from typer._click import exceptions as _click
    except ImportError:  # older typer: click itself
        from click import exceptions as _click
    return _click


def usage_error(exc: Any, argv: list[str]) -> int:
    """Print what the parser refused as one paragraph (the flag, the value given, where help
    is) and return its exit code (2).

    Example:
        >>> usage_error(parser_module().UsageError("No such option: --bogus"), ["run", "--bogus"])
        2
    """
    from gridgov.cli_common import bad_input

    message = exc.format_message().rstrip(".")
    param = getattr(exc, "param", None)
    given = _given(param.opts if param is not None else [], argv)
    if given is not None:
        message += f" (given: {given!r})"
    command = exc.ctx.command_path if exc.ctx is not None else "gridgov"
    return bad_input(f"{message}. '{command} --help' lists the options and what each allows"
                     ).exit_code


def _given(opts: list[str], argv: list[str]) -> str | None:
    """The value given on the command line for an option named by ``opts``, if any."""
    for i, arg in enumerate(argv):
        for opt in opts:
            if arg == opt and i + 1 < len(argv):
                return argv[i + 1]
            if arg.startswith(opt + "="):
                return arg[len(opt) + 1:]
    return None


if __name__ == "__main__":
    main()
