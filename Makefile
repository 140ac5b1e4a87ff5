# The two commands of the README: `make run` (the product) and `make test` (the tests).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test install lint format typecheck bench demo-million messages clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev,local]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(PY) -m config.localrun run

test: $(STAMP)
	$(PY) -m config.localrun test $(ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run

typecheck: $(STAMP)
	$(VENV)/bin/mypy

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: $(STAMP)
	$(PY) -m config.localrun exec $(PY) bench/run.py $(ARGS)

messages: $(STAMP)
	$(PY) manage.py makemessages -l ru --no-location --no-obsolete -i '.venv/*' -i '.local/*'
	$(PY) manage.py compilemessages -l ru --ignore '.venv/*' --ignore '.local/*'

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
