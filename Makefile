# Two commands set everything up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
export HF_HUB_OFFLINE ?= 1
export HF_HUB_DISABLE_TELEMETRY ?= 1
export GRADIO_ANALYTICS_ENABLED ?= False

.PHONY: install run ingest test check lint typecheck bench clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -c constraints.txt -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## run: install, ingest the guides if the index is missing or stale, serve on 127.0.0.1:7860
run: install
	$(PY) app.py

ingest: install
	$(PY) ingest.py

## test: install, then every test (unit, real model, real Chroma, real browser)
test: install
	$(PY) -m pytest

lint: install
	$(VENV)/bin/ruff check .

typecheck: install
	$(VENV)/bin/mypy

check: lint typecheck

clean:
	rm -rf .index artifacts .pytest_cache .mypy_cache .ruff_cache
