"""Cold start of this checkout against another one, measured in one run: fresh processes taking turns.

    python bench/bench_start.py --against ../old-checkout [--runs 12]

Each start is bench_ui.py's (d): a fresh process from `python -c` to the window's first snapshot shown, offscreen
at 1280×720, with settings of its own (so both open the MNIST sample). The two checkouts alternate, so the
machine's drift over minutes falls on both alike; it prints each side's median and their ratio.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_ui import COLD_START, start_environment

ROOT = Path(__file__).resolve().parents[1]


def cold_start(checkout: Path, settings: Path) -> float:
    start = time.time()
    result = subprocess.run(
        [sys.executable, "-c", f"import sys; sys.path.insert(0, {str(checkout)!r})\n{COLD_START}", str(start)],
        capture_output=True, text=True, cwd=checkout, timeout=120,
        env=start_environment(BACKPROP_VISUALIZER_SETTINGS=str(settings)))
    if result.returncode != 0:
        raise RuntimeError(f"{checkout}: {result.stderr}")
    return float(result.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", type=Path, required=True, help="the other checkout's folder")
    parser.add_argument("--runs", type=int, default=12, help="starts of each (default 12)")
    args = parser.parse_args()
    sides = {"this": ROOT, "other": args.against.resolve()}
    times: dict[str, list[float]] = {name: [] for name in sides}
    with tempfile.TemporaryDirectory() as folder:
        for name, checkout in sides.items():         # one start each first: compiles, fills the disk cache
            cold_start(checkout, Path(folder) / f"{name}.ini")
        for run in range(args.runs):
            order = list(sides.items()) if run % 2 == 0 else list(reversed(sides.items()))
            for name, checkout in order:
                times[name].append(cold_start(checkout, Path(folder) / f"{name}.ini"))
    this, other = statistics.median(times["this"]), statistics.median(times["other"])
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"cold start, median of {args.runs} alternating starts (load {load:.1f}):")
    print(f"  this   {ROOT}: {this:.2f} s  (quartiles {_quartiles(times['this'])})")
    print(f"  other  {sides['other']}: {other:.2f} s  (quartiles {_quartiles(times['other'])})")
    print(f"  this ÷ other = {this / other:.2f}")
    return 0


def _quartiles(values: list[float]) -> str:
    low, _, high = statistics.quantiles(values, n=4)
    return f"{low:.2f}–{high:.2f}"


if __name__ == "__main__":
    sys.exit(main())
