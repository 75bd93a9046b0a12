#!/usr/bin/env bash
# Runs the whole suite with the oldest versions pyproject.toml allows: the oldest Python it names (from pyenv, or
# $PYTHON), and numpy, PyQt6 (with the Qt of the same version) and pyqtgraph at exactly their declared minimums.
# A minimum is declared only once this passes with it; the README's Install section gives the last result.
# Usage: bash scripts/test_minimums.sh [pytest arguments]   (about as long as the suite; needs the registry)
set -euo pipefail
cd "$(dirname "$0")/.."
oldest=$(sed -n 's/^requires-python = ">=\([0-9.]*\)"/\1/p' pyproject.toml)
python=${PYTHON:-$(ls -d "${PYENV_ROOT:-$HOME/.pyenv}"/versions/"$oldest".*/bin/python 2>/dev/null | tail -1)}
[ -x "$python" ] || { echo "test_minimums: no Python $oldest found; set PYTHON" >&2; exit 2; }
minimum() { sed -n "s/^ *\"$1>=\([0-9.]*\)\",*$/\1/p" pyproject.toml; }
numpy=$(minimum numpy); pyqt=$(minimum pyqt6); graph=$(minimum pyqtgraph)
qt=$(python3 -c "import sys; v = sys.argv[1].split('.'); print('.'.join(v[:2]) + '.*')" "$pyqt")
venv=$(mktemp -d)/venv
trap 'rm -rf "$(dirname "$venv")"' EXIT
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install -q "numpy==$numpy" "pyqt6==$pyqt" "pyqt6-qt6==$qt" "pyqtgraph==$graph" \
    pytest pytest-qt hypothesis
echo "test_minimums: $("$venv/bin/python" --version), numpy $numpy, PyQt6 $pyqt (Qt $qt), pyqtgraph $graph" >&2
QT_QPA_PLATFORM=offscreen "$venv/bin/python" -m pytest -q -p no:cacheprovider "$@"
