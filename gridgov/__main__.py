"""``python -m gridgov`` and the ``gridgov`` command (``[project.scripts]``): the command line,
imported inside :func:`main` so that Ctrl-C while it is still importing (a second or two) ends
the program quietly with exit code 130, as it does once a command runs."""

import sys


def main() -> None:
    """Import the command line and run it; Ctrl-C at any point exits 130 without a traceback."""
    try:
        from gridgov.cli import app
    except KeyboardInterrupt:
        sys.exit(130)
    try:
        app(prog_name="gridgov")
    except KeyboardInterrupt:  # between the import and the command's own handling
        sys.exit(130)


if __name__ == "__main__":
    main()
