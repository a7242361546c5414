#!/usr/bin/env bash
# make eval-llm [GGUF=path]: score eval/dev.jsonl with the extractive answerer and with a local GGUF model
# run through llama-cpp-python. Installs llama-cpp-python (built from source, ~5 min on 2 cores) and fetches
# the default model (scripts/fetch_gguf.py) when needed. Not part of `make test`.
set -euo pipefail
cd "$(dirname "$0")/.."
export HF_HUB_OFFLINE="${HF_HUB_OFFLINE:-1}" HF_HUB_DISABLE_TELEMETRY="${HF_HUB_DISABLE_TELEMETRY:-1}"
# Spinning OpenMP threads slow llama.cpp badly when anything else runs on the machine (chatbot/llamacpp.py).
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"

VENV="${VENV:-.venv}"
PY="$VENV/bin/python"
LLAMA_CPP_VERSION=0.3.36
# The default native build crashes on the first decode on CPUs with AMX, so the SIMD levels are named explicitly.
LLAMA_CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_AVX512=ON"
QUESTIONS="${QUESTIONS:-eval/dev.jsonl}"

say() { printf '\n== %s\n' "$*" >&2; }

if ! [ -x "$PY" ]; then
    echo "error: no virtualenv at $VENV; run 'make install' first" >&2
    exit 1
fi

installed="$("$PY" -c 'import llama_cpp; print(llama_cpp.__version__)' 2>/dev/null || true)"
if [ "$installed" != "$LLAMA_CPP_VERSION" ]; then
    say "building llama-cpp-python==$LLAMA_CPP_VERSION from source (about 5 minutes on 2 cores)"
    if ! command -v cmake >/dev/null || ! command -v c++ >/dev/null; then
        if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
            export DEBIAN_FRONTEND=noninteractive
            apt-get update -qq
            apt-get install -y -qq cmake build-essential >/dev/null
        else
            echo "error: building llama-cpp-python needs cmake and a C++ compiler (apt-get install cmake build-essential)" >&2
            exit 1
        fi
    fi
    log="$(mktemp -t llama-cpp-build.XXXXXX.log)"
    start=$SECONDS
    if ! CMAKE_ARGS="$LLAMA_CMAKE_ARGS" CMAKE_BUILD_PARALLEL_LEVEL="$(nproc)" "$PY" -m pip install \
        --no-cache-dir --no-binary llama-cpp-python --disable-pip-version-check -c constraints.txt \
        "llama-cpp-python==$LLAMA_CPP_VERSION" >"$log" 2>&1; then
        tail -n 40 "$log" >&2
        echo "error: building llama-cpp-python failed; full log: $log" >&2
        exit 1
    fi
    echo "built in $((SECONDS - start)) s" >&2
    rm -f "$log"
fi

if [ -z "${GGUF:-}" ]; then
    say "fetching the default GGUF model"
    GGUF="$("$PY" scripts/fetch_gguf.py)"
elif ! [ -f "$GGUF" ]; then
    echo "error: GGUF=$GGUF is not a file" >&2
    exit 1
fi

say "bringing the index in line with knowledge/"
"$PY" ingest.py || echo "warning: ingest reported a problem; evaluating the index as it is" >&2

say "CAREERBOT_LLM=extractive"
CAREERBOT_LLM=extractive "$PY" -m chatbot.eval "$QUESTIONS"

say "CAREERBOT_LLM=llamacpp:$GGUF"
# Until chatbot/llms.py exists CAREERBOT_LLM is ignored, and this run would quietly score the extractive answerer again.
if ! "$PY" -c 'import chatbot.llms' 2>/dev/null; then
    echo "error: chatbot/llms.py (the LLM backends, llamacpp: among them) is not there yet; no llamacpp run" >&2
    exit 1
fi
status=0
CAREERBOT_LLM="llamacpp:$GGUF" "$PY" -m chatbot.eval "$QUESTIONS" || status=$?
if [ "$status" != 0 ]; then
    echo "error: the llamacpp run failed (exit $status); is the llamacpp backend in chatbot/llms.py there yet?" >&2
fi
exit "$status"
