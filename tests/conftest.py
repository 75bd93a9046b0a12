"""Shared fixtures. Qt tests run offscreen unless BACKPROP_HEADED=1 (then they use $DISPLAY, e.g. Xvfb)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

# One BLAS thread, set before NumPy is imported: several test runs share the machine's cores, and BLAS threads
# that spin waiting for a busy core made a core test take 10 s instead of 2 s. (The numba kernels' own threads
# are not BLAS threads: they stay one per core.)
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_variable] = "1"

if os.environ.get("BACKPROP_HEADED") != "1":
    os.environ["QT_QPA_PLATFORM"] = "offscreen"

import numpy as np
import pytest

try:
    from hypothesis import settings

    # CI bounds the fuzz tests; run with HYPOTHESIS_PROFILE=thorough for a longer search.
    settings.register_profile("ci", max_examples=150, deadline=None)
    settings.register_profile("thorough", max_examples=3000, deadline=None)
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
except ImportError:  # hypothesis is in the test extra; only the fuzz tests need it
    pass

from core.data import Dataset, Split, split


@pytest.fixture(scope="session", autouse=True)
def kernels_compiled() -> None:
    """numba's kernels compiled (or loaded from its disk cache) before the first test. Whatever trains first would
    compile them otherwise, and say so on stderr or in the window's status bar when that takes a while: half a
    minute in a fresh clone. (tests/test_training.py and tests/ui/test_first_start.py fake that first start.)"""
    from core import kernels

    if kernels.numba_available():
        kernels.compile_kernels()


@pytest.fixture(scope="session")
def tiny_split() -> Split:
    """A deterministic 784-pixel dataset of 200 train + 50 dev examples (no files, no network)."""
    rng = np.random.default_rng(1234)
    labels = rng.integers(0, 10, 250).astype(np.uint8)
    # Each class lights up its own band of pixels, plus noise: learnable in a few dozen iterations.
    pixels = rng.integers(0, 60, (250, 784)).astype(np.uint8)
    for row, label in enumerate(labels):
        pixels[row, int(label) * 78:(int(label) + 1) * 78] = 200
    return split(Dataset("tiny", pixels, labels), dev_size=50, seed=0)


@pytest.fixture
def in_child():
    """Run Python code in a child process with a time limit, so that a reader that blocks (on a FIFO, a terminal)
    fails the test instead of hanging the suite; returns the CompletedProcess, its output as text."""
    def run(code: str, timeout: float = 120) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout,
                              cwd=Path(__file__).resolve().parents[1], stdin=subprocess.DEVNULL)
    return run
