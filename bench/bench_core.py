"""Milliseconds per full-batch training iteration, measured interleaved in one run, and the ratios.

    python bench/bench_core.py [--data fashion-mnist|mnist-sample] [--iterations 20] [--turn 4] [--threads N]
                               [--profile]

Engines: the notebook's own NumPy code (float64, written as its equations), the Stepper (the window's
phase-by-phase engine and `python -m core train --engine phases`, float32, on each backend available),
FastTrainer (`train --engine fast`, float32, each backend) and, when torch is importable, PyTorch on the CPU
(float32, nn.Linear + autograd + optim.SGD). The engines take turns, so a busy machine slows them alike: in
each turn an engine runs untimed for SETTLE seconds (the previous engine's BLAS threads stop spinning, its own
wake up), then `--turn` timed iterations back to back, as in a training run; each reports the median of its
timed iterations (numba's compile or cache load happens before, and is printed apart). The engines on the
numba kernels run with NumPy's BLAS on one thread, as `python -m core train` runs them (core.training.
one_blas_thread; the kernels have threads of their own).
The bars (issue 13): the Stepper ≥ 2.5 × the notebook's speed; FastTrainer ≥ 4 × the notebook's and ≥ 3 ×
PyTorch's. --profile adds where the Stepper's time goes (cProfile of its iterations).
"""
from __future__ import annotations

import argparse
import cProfile
import io
import math
import os
import pstats
import statistics
import sys
import time
from pathlib import Path
from typing import Callable

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))       # the notebook's own code: tests/fixtures/notebook.py

from core import data  # noqa: E402
from core.config import TrainingConfig  # noqa: E402
from core.fast import FastTrainer, compile_kernels, numba_available, use_threads  # noqa: E402
from core.stepper import Stepper  # noqa: E402
from core.training import one_blas_thread  # noqa: E402
from fixtures import notebook  # noqa: E402

SETTLE = 0.15   # seconds of untimed iterations at the start of each engine's turn
# (engine, against, at least this many times as fast)
BARS = (("Stepper", "notebook (NumPy float64)", 2.5), ("FastTrainer", "notebook (NumPy float64)", 4.0),
        ("FastTrainer", "PyTorch CPU (float32)", 3.0))


def notebook_engine(X: np.ndarray, Y: np.ndarray, seed: int) -> Callable[[], None]:
    """The notebook's iteration, verbatim (tests/fixtures/notebook.py): float64, one_hot rebuilt each time, np.sum
    over all of dZ, its global m set to the columns of X."""
    notebook.m = X.shape[1]
    rng = np.random.default_rng(seed)
    params = [rng.random((10, 784)) - 0.5, rng.random((10, 1)) - 0.5, rng.random((10, 10)) - 0.5,
              rng.random((10, 1)) - 0.5]

    def iteration() -> None:
        W1, b1, W2, b2 = params
        Z1, A1, Z2, A2 = notebook.forward_prop(W1, b1, W2, b2, X)
        dW1, db1, dW2, db2 = notebook.backward_prop(Z1, A1, Z2, A2, W1, W2, X, Y)
        params[:] = notebook.update_params(W1, b1, W2, b2, dW1, db1, dW2, db2, 0.1)

    return iteration


def torch_engine(X_rows: np.ndarray, labels: np.ndarray, seed: int) -> Callable[[], None] | None:
    try:
        import torch
    except ImportError:
        return None
    torch.manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Linear(784, 10), torch.nn.ReLU(), torch.nn.Linear(10, 10))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    loss_function = torch.nn.CrossEntropyLoss()
    inputs = torch.from_numpy(np.ascontiguousarray(X_rows, dtype=np.float32))
    targets = torch.from_numpy(labels.astype(np.int64))

    def iteration() -> None:
        optimizer.zero_grad()
        loss = loss_function(model(inputs), targets)
        loss.backward()
        optimizer.step()

    return iteration


def limit_threads(count: int) -> None:
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        # (threadpoolctl is no dependency) BLAS reads its thread count as it loads: run again with it set.
        names = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
        if any(os.environ.get(name) != str(count) for name in names):
            os.environ.update({name: str(count) for name in names})
            os.execv(sys.executable, [sys.executable, *sys.argv])
    else:
        threadpool_limits(count)     # NumPy's BLAS (the notebook, the Stepper, FastTrainer numpy)
    use_threads(count)           # FastTrainer numba
    try:
        import torch
    except ImportError:
        return
    torch.set_num_threads(count)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="fashion-mnist", choices=("fashion-mnist", "mnist-sample"))
    parser.add_argument("--iterations", type=int, default=20, help="timed iterations per engine (default 20)")
    parser.add_argument("--profile", action="store_true", help="also profile the Stepper's iterations")
    parser.add_argument("--threads", type=int, default=None,
                        help="threads for every engine (BLAS, PyTorch, FastTrainer); default: one per core. "
                             "On a busy machine --threads 1 keeps spinning BLAS and OpenMP threads out of the picture")
    parser.add_argument("--turn", type=int, default=4,
                        help=f"timed iterations per engine's turn, after {SETTLE} s of untimed ones (default 4)")
    options = parser.parse_args(argv)
    if options.iterations < 1 or options.turn < 1:
        parser.error("--iterations and --turn take a whole number of 1 or more")
    if options.threads is not None:
        limit_threads(options.threads)

    dataset = data.load(options.data)
    split = data.split(dataset, dev_size=1000, seed=0)
    m = split.train_size
    print(f"{options.data}: {m:,} training examples × 784, hidden 10, full batch, "
          f"{options.iterations} timed iterations each (median), measured interleaved, "
          f"{options.threads or 'default'} thread(s)")

    config = TrainingConfig(hidden=10, dtype="float32")
    backend_of: dict[str, str] = {}      # engine → backend (the notebook's and PyTorch's: none)
    engines: dict[str, Callable[[], object]] = {
        # The notebook's X: pixels / 255 in float64, the same columns as the split's.
        "notebook (NumPy float64)": notebook_engine(data.split(dataset, dev_size=1000, seed=0, dtype=np.float64
                                                               ).X_train, split.labels_train, seed=0),
    }
    backends = ["numba", "numpy"] if numba_available() else ["numpy"]
    if numba_available():
        print(f"numba: compiled or loaded from its cache in {compile_kernels():.2f} s (not in the times below)")
    steppers = {backend: Stepper(split, config, backend=backend) for backend in backends}
    for backend in backends:
        engines[f"Stepper {backend} (phases, float32)"] = steppers[backend].step_iteration
        backend_of[f"Stepper {backend} (phases, float32)"] = backend
    for backend in backends:
        engines[f"FastTrainer {backend} (float32)"] = FastTrainer(split, config, backend=backend).step
        backend_of[f"FastTrainer {backend} (float32)"] = backend
    torch = torch_engine(split.X_train.T, split.labels_train, seed=0)
    if torch is not None:
        engines["PyTorch CPU (float32)"] = torch
    else:
        print("(torch is not importable: no PyTorch row)")
    stepper = steppers[backends[0]]

    load_before = os.getloadavg()[0]
    times: dict[str, list[float]] = {name: [] for name in engines}
    for _ in range(math.ceil(options.iterations / options.turn)):
        for name, iteration in engines.items():
            # A turn: untimed iterations for SETTLE seconds (the first turn's warm up: numba's code loaded, caches
            # filled; OpenBLAS's threads spin for ~0.1 s after the previous engine's last product, taking the cores
            # this one's threads need), then `turn` timed ones, back to back as in a training run.
            with one_blas_thread(backend_of.get(name, "numpy")):
                settled = time.perf_counter() + SETTLE
                iteration()
                while time.perf_counter() < settled:
                    iteration()
                for _ in range(options.turn):
                    start = time.perf_counter()
                    iteration()
                    times[name].append(time.perf_counter() - start)
    median = {name: statistics.median(values) * 1000 for name, values in times.items()}

    print(f"load average (1 min) {load_before:.2f} before, {os.getloadavg()[0]:.2f} after")
    notebook = median["notebook (NumPy float64)"]
    torch_ms = median.get("PyTorch CPU (float32)")
    print()
    print("| engine | ms / iteration | notebook ÷ engine | PyTorch ÷ engine |")
    print("| --- | ---: | ---: | ---: |")
    for name, ms in median.items():
        print(f"| {name} | {ms:.1f} | {notebook / ms:.2f}× | " + (f"{torch_ms / ms:.2f}× |" if torch_ms else "– |"))
    print()
    for engine, against, bar in BARS:
        if against not in median:
            continue
        name = f"{engine} {backends[0]}" + (" (phases, float32)" if engine == "Stepper" else " (float32)")
        ratio = median[against] / median[name]
        print(f"{name}: {ratio:.2f} × as fast as {against} (bar ≥ {bar:g}): {'met' if ratio >= bar else 'NOT met'}")

    if options.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        stepper.run(options.iterations)
        profiler.disable()
        report = io.StringIO()
        pstats.Stats(profiler, stream=report).sort_stats("tottime").print_stats(15)
        print(f"\nWhere the Stepper's time goes ({options.iterations} iterations, sorted by own time):")
        print(report.getvalue())
    return 0


if __name__ == "__main__":
    sys.exit(main())
