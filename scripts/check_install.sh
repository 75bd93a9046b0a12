#!/usr/bin/env bash
# The app as users get it: builds the sdist and the wheel, installs the wheel (not editable) into a fresh venv
# outside the checkout and, from an unrelated folder that holds a student's core.py, runs what a user runs first:
# --version, a screenshot start, a short training run and a check of a correct notebook file. Then checks that
# the unpacked sdist carries everything the tests need (the whole suite collects; a few tests run).
# Usage: bash scripts/check_install.sh   (after scripts/setup.sh; CI runs it from .ci/run)
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python=${PYTHON:-python3}

.venv/bin/python -m pip install -q build
.venv/bin/python -m build -q -o "$work/dist" . >/dev/null
echo "check_install: built $(cd "$work/dist" && ls)"
"$python" -m venv "$work/venv"
"$work/venv/bin/python" -m pip install -q "$work"/dist/*.whl
echo "check_install: a fresh venv with the wheel holds $(du -sm "$work/venv" | cut -f1) MB"

mkdir "$work/student"
cd "$work/student"
echo 'raise SystemExit("a student core.py was imported instead of the app")' > core.py
cp "$repo/tests/fixtures/student_correct.py" my_notebook.py
export QT_QPA_PLATFORM=offscreen
"$work/venv/bin/backprop-visualizer" --version
"$work/venv/bin/backprop-visualizer-cli" --version
"$work/venv/bin/backprop-visualizer" --screenshot shot.png --steps 5 --size 1024x768
test -s shot.png
"$work/venv/bin/backprop-visualizer-cli" train --iterations 20 --log-every 10 --json
"$work/venv/bin/backprop-visualizer-cli" check my_notebook.py >check.txt || { cat check.txt; exit 1; }
echo "check_install: the wheel's window, train and check ran from $(pwd)"

tar xzf "$work"/dist/*.tar.gz -C "$work"
cd "$work"/backprop_visualizer-*/
"$work/venv/bin/python" -m pip install -q pytest pytest-qt hypothesis
"$work/venv/bin/python" -m pytest -q -p no:cacheprovider --collect-only >/dev/null
"$work/venv/bin/python" -m pytest -q -p no:cacheprovider tests/test_data.py tests/ui/test_startup.py
echo "check_install: the sdist's tests collect and run"
