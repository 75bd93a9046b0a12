#!/usr/bin/env bash
# Quick start: install what is needed, then open the window on the embedded MNIST sample.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/python -m visualizer "$@"
