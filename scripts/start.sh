#!/usr/bin/env bash
# Quick start: install what is missing (nothing, from the second start on), then open the window on the embedded
# MNIST sample (or the dataset used last).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/backprop-visualizer "$@"
