# Two commands set everything up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
export HF_HUB_OFFLINE ?= 1
export HF_HUB_DISABLE_TELEMETRY ?= 1
export GRADIO_ANALYTICS_ENABLED ?= False

.PHONY: install run ingest test check lint typecheck bench clean chroma-server eval-llm

$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -c constraints.txt -e '.[dev]'
	@# The ONNX query encoder is exported here from the packaged model, so the first start does not wait for it.
	$(PY) -c 'from chatbot.encoders import OnnxEncoder; OnnxEncoder().embed(["warm up"])' \
		|| echo "note: the ONNX query encoder will be exported at first use"
	touch $(STAMP)

install: $(STAMP)

## run: install, ingest the guides if the index is missing or stale, serve on 127.0.0.1:7860
run: install
	$(PY) app.py

ingest: install
	$(PY) ingest.py

## test: install, provide a Chromium (CAREERBOT_CHROMIUM, /usr/bin/chromium, Playwright's, else apt-get install chromium), then every test
test: install
	@CAREERBOT_CHROMIUM="$$($(PY) scripts/browser.py)" || exit 1; export CAREERBOT_CHROMIUM; $(PY) -m pytest

## eval-llm: score eval/dev.jsonl extractive vs a local GGUF via llama-cpp-python (GGUF=path; builds it, not in test)
eval-llm: install
	VENV="$(VENV)" GGUF="$(GGUF)" bash scripts/eval_llm.sh

## bench: install, run bench/ (ingest, answer latency by size, LangChain peer, memory, cold start), rewrite BENCHMARKS.md
bench: install
	$(PY) bench/run.py

## chroma-server: Chroma's own server for several app processes (then set CAREERBOT_CHROMA_URL=http://127.0.0.1:8000)
CHROMA_PATH ?= .chroma-server
CHROMA_PORT ?= 8000
chroma-server: install
	RUST_LOG=warn $(VENV)/bin/chroma run --path $(CHROMA_PATH) --host 127.0.0.1 --port $(CHROMA_PORT)

lint: install
	$(VENV)/bin/ruff check .

typecheck: install
	$(VENV)/bin/mypy

check: lint typecheck

clean:
	rm -rf .index artifacts .pytest_cache .mypy_cache .ruff_cache
