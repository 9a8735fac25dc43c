"""``python -m gridgov``: the same as the ``gridgov`` command."""

from gridgov.cli import app

if __name__ == "__main__":
    app(prog_name="gridgov")
