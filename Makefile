# Two commands do all the set-up: `make run` and `make test` (see README.md).
# They create .venv with Python >= 3.12 (found on PATH or in pyenv) and install the project.

PYTHON ?= $(shell for p in python3.13 python3.12 $(HOME)/.pyenv/versions/3.1[2-9]*/bin/python3 python3; do \
	  if $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then echo $$p; break; fi; done)
VENV := .venv
STAMP := $(VENV)/.installed

.PHONY: run test bench clean chromium

$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "gridgov needs Python >= 3.12 (pyenv install 3.12, or set PYTHON=...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/gridgov run --preset n_town --days 365 --out out/n_town --force

test: $(STAMP) chromium
	$(VENV)/bin/ruff check .
	$(VENV)/bin/pytest --durations=25

# The dashboard's browser tests drive Debian's chromium (never a browser Playwright downloads);
# a CJK font draws its Chinese pages and charts. Both come from apt when missing (CI is root).
chromium:
	@if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi 'wenquanyi\|noto sans cjk'; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei; \
	fi

bench: $(STAMP)
	$(VENV)/bin/python benchmarks/town_year.py

clean:
	rm -rf $(VENV) out .pytest_cache .ruff_cache .hypothesis
