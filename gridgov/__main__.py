from gridgov.cli import app

app(prog_name="gridgov")
