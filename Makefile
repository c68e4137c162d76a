# Two commands, each sets itself up: `make dashboard` and `make test`.
PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed-requirements

.PHONY: dashboard test refresh demo-data

$(STAMP): requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	cp requirements.txt $(STAMP)

## Start the dashboard on the bundled demo data (builds the database on first start).
dashboard: $(STAMP)
	$(VENV)/bin/streamlit run dashboard.py

## Run the whole test suite: unit, DuckDB, PostgreSQL, Streamlit and real-browser tests.
test: $(STAMP)
	$(VENV)/bin/python -m pytest

## Load the sources and compute the KPIs without starting the dashboard.
refresh: $(STAMP)
	$(VENV)/bin/python cli.py refresh

## Regenerate the bundled demo exports (deterministic).
demo-data: $(STAMP)
	$(VENV)/bin/python -m demo.generate
