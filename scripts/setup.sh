#!/usr/bin/env bash
# Installs what Backprop Visualizer needs into ./.venv: Debian packages (Qt's system libraries and the
# Fashion-MNIST dataset) when apt-get is available, then the Python packages — each only when missing, so a second
# run needs no network and takes a fraction of a second.
# Usage: bash scripts/setup.sh [test]   ("test" adds pytest, pytest-qt and hypothesis)
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(dataset-fashion-mnist libegl1 libgl1 libfontconfig1 libxkbcommon0 libxkbcommon-x11-0 libdbus-1-3
          libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-render-util0 libxcb-shape0
          fonts-dejavu-core)
if command -v apt-get >/dev/null 2>&1 && command -v dpkg-query >/dev/null 2>&1; then
  missing=()
  for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" || missing+=("$package")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
    echo "setup: installing ${missing[*]}" >&2
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
else
  echo "setup: no apt-get here; install Qt 6's system libraries yourself (Fashion-MNIST tests will be skipped)" >&2
fi

# numba (the "fast" extra) compiles the fused kernels the window and the terminal train with (core/kernels.py),
# about twice as fast as NumPy on the same arithmetic; the tests also need the "test" extra.
extras="fast"
[ "${1:-}" = "test" ] && extras="test,fast"
python=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$python" -m venv .venv
# What was installed, from which pyproject.toml: when neither changed there is nothing to do, so a second start
# needs no network and costs a fraction of a second.
stamp=.venv/backprop-visualizer-installed
project=$(.venv/bin/python -c 'import hashlib; print(hashlib.sha256(open("pyproject.toml", "rb").read()).hexdigest())')
case "$(cat "$stamp" 2>/dev/null || true)" in
  "$extras $project" | "test,fast $project") ;;          # installed already (test,fast includes fast)
  *)
    .venv/bin/python -m pip install -q -e ".[$extras]"
    # Installed in place (-e): compile the modules now, so that no start has to compile them from source (where
    # PYTHONDONTWRITEBYTECODE is set, every start did: 0.27 s of a 1.5-2 s cold start).
    .venv/bin/python -m compileall -q core visualizer >/dev/null
    echo "$extras $project" > "$stamp" ;;
esac
