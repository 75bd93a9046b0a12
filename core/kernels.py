"""The fast kernel: X as uint8 rows (a quarter of the bytes of float32 columns), read once per iteration in
cache-sized blocks by code compiled with numba (core/kernel_loops.py), on one thread per core, with results that do
not depend on the number of threads.

`fused_pass` computes Z1 … dZ1 for each block of 128 examples and adds the block's share of every gradient
while it is in cache (each example's forward and backward pass depend on that example alone, so this is the same
sum in another order). The two products over all m examples, W1 · X and dZ1 · Xᵀ, are most of an iteration's
work: the first a dense product a few examples × a few hidden units at a time (the rows converted to float on the
way, the rows further on prefetched meanwhile), the second over the block's rows while they are in cache. The
softmax's exp is the kernel's own, in float64 within an ulp of np.exp, so that it runs several examples at a time.
FastTrainer takes only the gradients; the Stepper, the window's phase-by-phase engine (through core/training.py),
also takes every example's Z1, A1, Z2, A2, dZ2 and dZ1 in the training dtype, so it can hand out every phase's
array.

The examples are cut into chunks (how many depends on m only), run on one thread per core, each into its own
float64 sums, which are then added in chunk order: results are deterministic, so a rewind that recomputes an
iteration gets the same bits. Sums may be reassociated (fastmath reassoc/contract only; NaN and infinity keep
their meaning), so they agree with NumPy's products to float rounding, not bit for bit, and the bits depend on
the processor's vector width.
numba is optional (`pip install numba`); its compiled code is cached on disk after the first run.
"""
from __future__ import annotations

import importlib.util
import math
import os
import threading
import time
import weakref
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable, Mapping

import numpy as np

from . import kernel_loops as loops
from . import network

ACTIVATION_CODES: Mapping[str, int] = {"relu": 0, "leaky_relu": 1, "sigmoid": 2, "tanh": 3}
BLOCK = 128             # examples per block: their float copy (400 kB in float32) stays in the L2 cache
MIN_CHUNK = 512         # examples per chunk, at least; at most MAX_CHUNKS chunks
MAX_CHUNKS = 16
# Below this many examples a kernel runs in the calling thread: a few milliseconds of work gain less from a second
# core than they lose handing it over (measured on 4,000 examples), and the window's UI thread keeps a core.
PARALLEL_EXAMPLES = 16384


def numba_available() -> bool:
    """True when numba is installed (found without importing it, which takes most of a second)."""
    return importlib.util.find_spec("numba") is not None


def training_rows(X: np.ndarray, dtype: np.dtype | str) -> tuple[np.ndarray, float]:
    """X (784, m) as rows (m, 784) and a scale with X = scale · rows in `dtype`, exactly.

    uint8 rows and scale 1/255 when every value of X, in dtype, is dtype(pixel) / 255 for a whole pixel
    (as core.data.as_columns makes it); otherwise the float rows of X in dtype and scale 1.
    """
    dtype = np.dtype(dtype)
    m = X.shape[1]
    rows = np.empty((m, X.shape[0]), np.uint8)
    for start in range(0, m, 8192):  # in slices, so the temporaries stay small
        columns = X[:, start:start + 8192].astype(dtype)
        pixels = np.rint(columns * dtype.type(255))
        if not (np.all((pixels >= 0) & (pixels <= 255))
                and np.array_equal(pixels.astype(np.uint8).astype(dtype) / dtype.type(255), columns)):
            return np.ascontiguousarray(X.T, dtype=dtype), 1.0
        rows[start:start + 8192] = pixels.T
    return rows, 1.0 / 255.0


_rows_of: dict[tuple[int, str], tuple[weakref.ref, np.ndarray, float]] = {}


def pixel_rows(X: np.ndarray, dtype: np.dtype | str) -> tuple[np.ndarray, float]:
    """training_rows(X, dtype), made once per read-only X (a split's, shared by the run, its race lanes, its bug
    lab and its exports) and kept while X lives."""
    if X.flags.writeable:
        return training_rows(X, dtype)
    key = (id(X), np.dtype(dtype).str)
    kept = _rows_of.get(key)
    if kept is not None and kept[0]() is X:
        return kept[1], kept[2]
    rows, scale = training_rows(X, dtype)
    # (the callback holds the table itself: at interpreter exit the module's globals may be gone before X)
    _rows_of[key] = (weakref.ref(X, lambda _, kept=_rows_of: kept.pop(key, None)), rows, scale)
    return rows, scale


# ---------------------------------------------------------------- compiling and running the kernels

_compiled = False
_compiling = threading.Lock()
_threads: ThreadPoolExecutor | None = None
_thread_count = 1


def compiled() -> bool:
    """True once this process has compiled the kernels (or loaded them from numba's cache)."""
    return _compiled


def compile_kernels() -> float:
    """Compile the kernels with numba (or load them from numba's disk cache): the first call of a process imports
    numba and does it; returns the seconds it took (0 afterwards). Needs numba. Every kernel calls it first."""
    global _compiled
    if _compiled:
        return 0.0
    with _compiling:
        if _compiled:
            return 0.0
        start = time.perf_counter()
        import numba

        from . import lanes
        # nogil: the chunks run in Python threads. (numba's parallel=True would compile for ~15 s more, and its
        # OpenMP layer spins for ~100 ms per call on a busy machine.)
        jit = numba.njit(cache=True, nogil=True, fastmath=loops.FASTMATH)
        loops.lanes = lanes
        for name in ("_units", "_unit", "_totals", "_backward_units", "_add_sums", "_aligned", "_copy_block", "_chunk",
                     "_fused_chunks"):
            setattr(loops, name, jit(getattr(loops, name)))
        # inlined by numba itself, so that its four sums stay in registers whatever LLVM decides
        loops._fma4 = numba.njit(cache=True, nogil=True, fastmath=loops.FASTMATH, inline="always")(loops._fma4)
        wide = lanes.BYTES == 64            # 512-bit vectors: see kernel_loops
        loops._forward_block = jit(loops._forward_block if wide else loops._forward_plain)
        loops._backward_block = jit(loops._backward_block if wide else loops._backward_sparse)
        # No reassociation in exp: its argument reduction subtracts j · ln 2 in two parts, in that order.
        loops._exp_shifted = numba.njit(cache=True, nogil=True, fastmath={"contract"})(loops._exp_shifted)
        _compiled = True
        _warm_up()
        return time.perf_counter() - start


def _warm_up() -> None:
    """numba compiles at a function's first call with each type of argument: make those calls now, on a
    one-example batch in float32 and float64, so that no training iteration pays for it."""
    for dtype in (np.float32, np.float64):
        params = {name: np.zeros(shape, dtype) for name, shape in network.parameter_shapes(2).items()}
        for rows in (np.zeros((1, network.INPUTS), np.uint8), np.zeros((1, network.INPUTS), dtype)):
            for order in (np.arange(0), np.zeros(1, np.int64)):     # all examples, and a mini-batch
                fused_pass(Pixels(rows, 1.0), order, np.zeros(1, np.int64), params, "relu", arrays=True)


def use_threads(count: int | None = None) -> None:
    """Run the kernels' chunks on `count` threads (None: one per core, the default). Same results."""
    global _threads, _thread_count
    if count is None:
        count = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    if count < 1:
        raise ValueError(f"the number of threads must be 1 or more, not {count}")
    if _threads is not None:
        _threads.shutdown(wait=False)
    _threads = ThreadPoolExecutor(max_workers=count, thread_name_prefix="fast-kernels")
    _thread_count = count


def chunk_count(m: int) -> int:
    """How many chunks m examples are cut into: a number that depends on m only, so results do not depend on
    the threads."""
    return min(MAX_CHUNKS, max(1, math.ceil(m / MIN_CHUNK)))


def _in_chunks(m: int, run: Callable[[np.ndarray], None]) -> None:
    """run(bounds) over the chunks of the m examples, bounds holding (chunk, first, end) rows: in this thread for
    fewer than PARALLEL_EXAMPLES examples or with one thread, else one call per pool thread, each for a run of
    chunks (one call each, so each thread takes the interpreter once)."""
    chunks = chunk_count(m)
    per_chunk = math.ceil(m / chunks)
    bounds = np.array([(chunk, min(m, chunk * per_chunk), min(m, (chunk + 1) * per_chunk))
                       for chunk in range(chunks)], dtype=np.int64)
    if _threads is None:
        use_threads()
    if m < PARALLEL_EXAMPLES or _thread_count == 1:
        run(bounds)
    else:
        list(_threads.map(run, np.array_split(bounds, min(_thread_count, chunks))))


def _aligned_zeros(shape: tuple[int, ...], dtype: np.dtype | type) -> np.ndarray:
    """np.zeros(shape, dtype) starting on a 64-byte boundary (see kernel_loops._aligned)."""
    size = math.prod(shape) * np.dtype(dtype).itemsize
    flat = np.zeros(size + 64, np.uint8)
    skip = -flat.ctypes.data % 64
    return flat[skip:skip + size].view(dtype).reshape(shape)


@dataclass(frozen=True)
class Pixels:
    """The training examples as rows for the kernels: X = scale · rowsᵀ exactly (see training_rows)."""
    rows: np.ndarray        # (examples, 784): uint8, or the float values themselves
    scale: float


@dataclass(frozen=True)
class Pass:
    """What one fused pass over a batch computed."""
    grads: dict[str, np.ndarray]            # dW1, db1, dW2, db2 in the training dtype
    loss: float                             # mean cross-entropy, summed in float64
    train_accuracy: float
    largest: float                          # max(Σ|Z1|, Σ|Z2|, |loss|): not finite in the dtype → not to be trusted
    arrays: dict[str, np.ndarray]           # Z1, A1, Z2, A2, dZ2, dZ1 when asked for (else empty)

    @property
    def phases(self) -> dict[str, np.ndarray]:
        """The array of each computing phase (with arrays=True): the examples' arrays and the gradients."""
        return {**self.arrays, **self.grads}


def fused_pass(pixels: Pixels, order: np.ndarray, labels: np.ndarray, params: Mapping[str, np.ndarray],
               activation: str, arrays: bool = False) -> Pass:
    """One pass over the batch of rows `order` (empty: all rows in order) with labels `labels` (of all rows):
    every gradient, the loss and the accuracy; with arrays=True also every example's Z1 … dZ1 (the Stepper's)."""
    compile_kernels()
    # The loops read whole vectors of each row: 784 values are a whole number of them (16 or 8) in every dtype.
    if pixels.rows.shape[1] != network.INPUTS or params["W1"].shape[1] != network.INPUTS:
        raise ValueError(f"the kernels take rows of {network.INPUTS} pixels, not {pixels.rows.shape[1]}")
    m = order.size or pixels.rows.shape[0]
    dtype = params["W1"].dtype
    # Writable C-contiguous copies (a few kB): numba compiles one version per argument type and layout.
    W1 = _aligned_zeros(params["W1"].shape, dtype)
    W1[...] = params["W1"]
    b1, W2, b2 = np.array(params["b1"]).ravel(), np.array(params["W2"]), np.array(params["b2"]).ravel()
    hidden, outputs = W1.shape[0], network.OUTPUTS
    chunks = chunk_count(m)
    sums = (_aligned_zeros((chunks, hidden, network.INPUTS), np.float64), np.zeros((chunks, hidden)),
            np.zeros((chunks, outputs, hidden)), np.zeros((chunks, outputs)), np.zeros((chunks, 4)))
    width = m if arrays else 0
    outs = {name: np.empty((rows, width), dtype) for name, rows in
            (("Z1", hidden), ("A1", hidden), ("Z2", outputs), ("A2", outputs), ("dZ2", outputs), ("dZ1", hidden))}
    _in_chunks(m, lambda bounds: loops._fused_chunks(
        pixels.rows, order, labels, W1, b1, W2, b2, dtype.type(0), pixels.scale, ACTIVATION_CODES[activation],
        BLOCK, bounds, *sums, *outs.values()))
    # Chunk after chunk, so the result does not depend on how many threads ran them.
    dW1, db1, dW2, db2, (loss_sum, correct, z1_sum, z2_sum) = (part.sum(axis=0) for part in sums)
    grads = {
        "dW1": (dW1 * (pixels.scale / m)).astype(dtype),
        "db1": (db1 / m).astype(dtype)[:, None],
        "dW2": (dW2 / m).astype(dtype),
        "db2": (db2 / m).astype(dtype)[:, None],
    }
    loss = float(loss_sum / m)
    largest = float(np.max([z1_sum, z2_sum, abs(loss)]))     # NaN if any is NaN
    return Pass(grads, loss, float(correct) / m, largest, outs if arrays else {})
