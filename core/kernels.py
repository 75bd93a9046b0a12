"""The fast kernel: X as uint8 rows (a quarter of the bytes of float32 columns), read once per iteration in
cache-sized blocks by code compiled with numba, on one thread per core, with results that do not depend on the
number of threads.

`fused_pass` computes Z1 … dZ1 for each block of 128 examples and adds the block's share of every gradient
while it is in cache (each example's forward and backward pass depend on that example alone, so this is the same
sum in another order). The two products over all m examples, W1 · X and dZ1 · Xᵀ, are most of an iteration's
work: the first a dense product 4 examples × 2 hidden units at a time (rows converted to float just before, the
rows further on prefetched meanwhile), the second skipping each unit's examples with dZ1 = 0 (a ReLU that is off
passes no error back). The softmax's exp is the kernel's own, in float64 within an ulp of np.exp, so that it
runs several examples at a time. FastTrainer takes only the gradients; the Stepper, the window's phase-by-phase
engine (through core/training.py), also takes every example's Z1, A1, Z2, A2, dZ2 and dZ1 in the training dtype,
so it can hand out every phase's array.

The examples are cut into chunks (how many depends on m only), run on one thread per core, each into its own
float64 sums, which are then added in chunk order: results are deterministic, so a rewind that recomputes an
iteration gets the same bits. Sums may be reassociated (fastmath reassoc/contract only; NaN and infinity keep
their meaning), so they agree with NumPy's products to float rounding, not bit for bit.
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

from . import network

ACTIVATION_CODES: Mapping[str, int] = {"relu": 0, "leaky_relu": 1, "sigmoid": 2, "tanh": 3}
BLOCK = 128             # examples per block: their float copy (400 kB in float32) stays in the L2 cache
# The forward pass asks for the rows of the examples this many positions ahead, so that reading X from memory
# overlaps with the products instead of stalling them (2 ms of 28 on Fashion-MNIST; from 8 to 32 is the same).
AHEAD = 16
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
    _rows_of[key] = (weakref.ref(X, lambda _: _rows_of.pop(key, None)), rows, scale)
    return rows, scale


# ---------------------------------------------------------------- the numba kernel
#
# Plain Python functions, compiled with numba on first use (so importing this module does not import numba)
# and cached on disk by numba (cache=True), so later starts load the machine code instead of compiling.
# Blocks hold examples in the last axis (Zt is H × block) so the per-example loops vectorise across examples.

_FASTMATH = {"reassoc", "contract"}   # reorder sums, fuse multiply-adds; NaN and infinity still propagate


def _forward_block(W1, buf, n, Zt, zero, rows, order, start):
    """Zt[h, k] = W1[h] · x_k for the n examples of a block (batch positions start …), 4 examples × 2 hidden units
    at a time. Each group's float rows go into buf just before the group's products (the backward pass reads them
    there too), while the rows of the examples AHEAD positions on are fetched from memory into the L2 cache."""
    H, P = W1.shape
    m = order.size or rows.shape[0]
    pairs = H // 2
    line = 64 // rows.itemsize                  # values per 64-byte cache line
    k = 0
    while k + 4 <= n:
        for j in range(k, k + 4):               # (a call per row here costs 0.7 ms per iteration)
            i = order[start + j] if order.size else start + j
            for p in range(P):
                buf[j, p] = rows[i, p]
        h = 0
        while h + 2 <= H:
            # one row of the group AHEAD positions on per pair of units (the last pair takes what is left)
            ahead = start + k + AHEAD + h // 2
            last = ahead + 1 if h // 2 < pairs - 1 else start + k + AHEAD + 4
            for j in range(ahead, min(last, m)):
                i = order[j] if order.size else j
                for p in range(0, P, line):
                    _prefetch(rows, i * P + p)
            a00 = a01 = a02 = a03 = a10 = a11 = a12 = a13 = zero
            for p in range(P):
                w0 = W1[h, p]
                w1 = W1[h + 1, p]
                x0 = buf[k, p]
                x1 = buf[k + 1, p]
                x2 = buf[k + 2, p]
                x3 = buf[k + 3, p]
                a00 += w0 * x0
                a01 += w0 * x1
                a02 += w0 * x2
                a03 += w0 * x3
                a10 += w1 * x0
                a11 += w1 * x1
                a12 += w1 * x2
                a13 += w1 * x3
            Zt[h, k], Zt[h, k + 1], Zt[h, k + 2], Zt[h, k + 3] = a00, a01, a02, a03
            Zt[h + 1, k], Zt[h + 1, k + 1], Zt[h + 1, k + 2], Zt[h + 1, k + 3] = a10, a11, a12, a13
            h += 2
        if h < H:
            for j in range(k, k + 4):
                a = zero
                for p in range(P):
                    a += W1[h, p] * buf[j, p]
                Zt[h, j] = a
        k += 4
    for j in range(k, n):
        i = order[start + j] if order.size else start + j
        for p in range(P):
            buf[j, p] = rows[i, p]
        for h in range(H):
            a = zero
            for p in range(P):
                a += W1[h, p] * buf[j, p]
            Zt[h, j] = a


def _prefetch(a, index):
    """Replaced by compile_kernels with numba code that prefetches a.flat[index] (see _prefetch_intrinsic)."""


def _backward_block(dZt, buf, n, acc, active):
    """acc[h] += Σ_k dZt[h, k] · buf[k], one hidden unit and eight examples at a time (the last few four, two and
    one at a time), skipping the examples where the unit's dZ1 is 0 (with ReLU, about two thirds of them: a
    switched-off unit passes no error back)."""
    H, P = acc.shape
    for h in range(H):
        count = 0
        for k in range(n):
            if dZt[h, k] != 0:
                active[count] = k
                count += 1
        j = 0
        while j + 8 <= count:
            k0, k1, k2, k3 = active[j], active[j + 1], active[j + 2], active[j + 3]
            k4, k5, k6, k7 = active[j + 4], active[j + 5], active[j + 6], active[j + 7]
            d0, d1, d2, d3 = dZt[h, k0], dZt[h, k1], dZt[h, k2], dZt[h, k3]
            d4, d5, d6, d7 = dZt[h, k4], dZt[h, k5], dZt[h, k6], dZt[h, k7]
            for p in range(P):
                acc[h, p] += (((d0 * buf[k0, p] + d1 * buf[k1, p]) + (d2 * buf[k2, p] + d3 * buf[k3, p]))
                              + ((d4 * buf[k4, p] + d5 * buf[k5, p]) + (d6 * buf[k6, p] + d7 * buf[k7, p])))
            j += 8
        if j + 4 <= count:
            k0, k1, k2, k3 = active[j], active[j + 1], active[j + 2], active[j + 3]
            d0, d1, d2, d3 = dZt[h, k0], dZt[h, k1], dZt[h, k2], dZt[h, k3]
            for p in range(P):
                acc[h, p] += (d0 * buf[k0, p] + d1 * buf[k1, p]) + (d2 * buf[k2, p] + d3 * buf[k3, p])
            j += 4
        if j + 2 <= count:
            k0, k1 = active[j], active[j + 1]
            d0, d1 = dZt[h, k0], dZt[h, k1]
            for p in range(P):
                acc[h, p] += d0 * buf[k0, p] + d1 * buf[k1, p]
            j += 2
        if j < count:
            k0 = active[j]
            d0 = dZt[h, k0]
            for p in range(P):
                acc[h, p] += d0 * buf[k0, p]


_LOG2E = 1.4426950408889634
_LN2_HI = 6.93147180369123816490e-01     # ln 2 in two parts (fdlibm's): j · _LN2_HI is exact for |j| < 2¹¹
_LN2_LO = 1.90821492927058770002e-10
_EXP_LOW = -708.0                        # below it exp is subnormal or 0: np.exp takes those (and NaN)


def _exp_shifted(Z2, tops, n, E, bits):
    """E[o, k] = exp(Z2[o, k] − tops[k]) (≤ 0: tops is the column's maximum) for the n examples of a block, in
    float64 within an ulp of np.exp: 2^j · e^r with j = round(x / ln 2), r = x − j · ln 2 (|r| ≤ ln 2 / 2) and e^r
    by its Taylor polynomial of degree 13 (error < 10⁻¹⁷). Plain arithmetic, so it runs 4–8 examples at a time
    where np.exp takes one (3 of an iteration's 35 ms on Fashion-MNIST); np.exp itself below −708, and for NaN."""
    O = Z2.shape[0]
    scales = bits.view(np.float64)                  # 2^j, made from its bits
    for o in range(O):
        for k in range(n):
            x = Z2[o, k] - tops[k]
            x = x if x > _EXP_LOW else _EXP_LOW     # (and NaN: both done again below)
            j = np.floor(x * _LOG2E + 0.5)
            r = (x - j * _LN2_HI) - j * _LN2_LO
            e = 1.0 / 6227020800.0
            e = e * r + 1.0 / 479001600.0
            e = e * r + 1.0 / 39916800.0
            e = e * r + 1.0 / 3628800.0
            e = e * r + 1.0 / 362880.0
            e = e * r + 1.0 / 40320.0
            e = e * r + 1.0 / 5040.0
            e = e * r + 1.0 / 720.0
            e = e * r + 1.0 / 120.0
            e = e * r + 1.0 / 24.0
            e = e * r + 1.0 / 6.0
            e = e * r + 0.5
            e = e * r + 1.0
            E[o, k] = e * r + 1.0
            bits[o, k] = (np.int64(j) + 1023) << 52
        for k in range(n):
            E[o, k] *= scales[o, k]
        for k in range(n):
            x = Z2[o, k] - tops[k]
            if not _EXP_LOW <= x <= 0.0:
                E[o, k] = np.exp(x)


def _chunk(rows, order, labels, W1, b1, W2, b2, zero, scale, activation, block, first, end,
           dW1c, db1c, dW2c, db2c, sums, Z1o, A1o, Z2o, A2o, dZ2o, dZ1o):
    """Add the sums of examples first … end−1 of the batch to dW1c, db1c, dW2c, db2c and sums; and, unless they
    are empty, write their columns of Z1, A1, Z2, A2, dZ2 and dZ1 (in the training dtype) to Z1o … dZ1o."""
    H, P = W1.shape
    O = W2.shape[0]
    keep = Z1o.shape[1] > 0
    buf = np.empty((block, P), W1.dtype)
    Zt = np.empty((H, block), W1.dtype)
    dZt = np.empty((H, block), W1.dtype)
    acc = np.zeros((H, P), W1.dtype)
    active = np.empty(block, np.int64)
    A1 = np.empty((H, block))
    G = np.empty((H, block))       # g'(Z1)
    Z2 = np.empty((O, block))
    dZ2 = np.empty((O, block))
    bits = np.empty((O, block), np.int64)
    lab = np.empty(block, np.int64)
    best = np.empty(block, np.int64)     # the predicted class, per example
    tops = np.empty(block)           # max over the outputs, per example
    totals = np.empty(block)         # Σ exp(Z2 − max), per example
    for start in range(first, end, block):
        n = min(block, end - start)
        for k in range(n):
            lab[k] = labels[order[start + k] if order.size else start + k]
        _forward_block(W1, buf, n, Zt, zero, rows, order, start)
        # A1 = g(Z1) and g'(Z1), in float64; one loop per activation, so that each runs along the examples
        z1_sum = 0.0
        for h in range(H):
            for k in range(n):
                z = Zt[h, k] * scale + b1[h]
                z1_sum += abs(z)
                A1[h, k] = z
        if keep:
            _copy_block(A1, Z1o, n, start)
        if activation == 0:
            for h in range(H):
                for k in range(n):
                    z = A1[h, k]
                    G[h, k] = 1.0 if z > 0 else 0.0
                    A1[h, k] = z if z > 0 else 0.0
        elif activation == 1:
            for h in range(H):
                for k in range(n):
                    z = A1[h, k]
                    G[h, k] = 1.0 if z > 0 else 0.01
                    A1[h, k] = z if z > 0 else 0.01 * z
        elif activation == 2:
            for h in range(H):
                for k in range(n):
                    s = 0.5 * (1.0 + np.tanh(0.5 * A1[h, k]))
                    A1[h, k] = s
                    G[h, k] = s * (1.0 - s)
        else:
            for h in range(H):
                for k in range(n):
                    t = np.tanh(A1[h, k])
                    A1[h, k] = t
                    G[h, k] = 1.0 - t * t
        sums[2] += z1_sum
        if keep:
            _copy_block(A1, A1o, n, start)
        z2_sum = 0.0
        # Z2 = W2 · A1 + b2
        for o in range(O):
            for k in range(n):
                Z2[o, k] = b2[o]
            for h in range(H):
                w = W2[o, h]
                for k in range(n):
                    Z2[o, k] += w * A1[h, k]
            for k in range(n):
                z2_sum += abs(Z2[o, k])
        sums[3] += z2_sum
        # A2 = softmax(Z2), the loss, the prediction, dZ2 = A2 − Y; row by row, so the loops run along the examples
        for k in range(n):
            tops[k] = Z2[0, k]
            totals[k] = 0.0
        for o in range(1, O):
            for k in range(n):
                tops[k] = max(tops[k], Z2[o, k])
        _exp_shifted(Z2, tops, n, dZ2, bits)
        for o in range(O):
            for k in range(n):
                totals[k] += dZ2[o, k]
        # the loss: Σ (top + log(total) − Z2 at the label); the logs as the logs of products of 64 totals (each
        # total is in [1, O]: 10⁶⁴ at most), so a few calls of np.log instead of one per example
        for run in range(0, n, 64):
            product = 1.0
            for k in range(run, min(n, run + 64)):
                product *= totals[k]
            sums[0] += np.log(product)
        loss = 0.0
        for k in range(n):
            loss += tops[k] - Z2[lab[k], k]
        sums[0] += loss
        # the prediction, the first maximum as argmax takes it (a NaN column: O − 1, and the caller falls back)
        for k in range(n):
            best[k] = O - 1
        for o in range(O - 2, -1, -1):
            for k in range(n):
                best[k] = o if Z2[o, k] == tops[k] else best[k]
        correct = 0
        for k in range(n):
            correct += best[k] == lab[k]
        sums[1] += correct
        for k in range(n):
            totals[k] = 1.0 / totals[k]             # one division per example, then products
        for o in range(O):
            for k in range(n):
                dZ2[o, k] = dZ2[o, k] * totals[k]
        if keep:
            _copy_block(Z2, Z2o, n, start)
            _copy_block(dZ2, A2o, n, start)         # dZ2 holds A2 until the next line
        for k in range(n):
            dZ2[lab[k], k] -= 1.0
        if keep:
            _copy_block(dZ2, dZ2o, n, start)
        # dW2 += dZ2 · A1ᵀ, db2 += Σ dZ2
        for o in range(O):
            total = 0.0
            for k in range(n):
                total += dZ2[o, k]
            db2c[o] += total
            for h in range(H):
                total = 0.0
                for k in range(n):
                    total += dZ2[o, k] * A1[h, k]
                dW2c[o, h] += total
        # dZ1 = W2ᵀ · dZ2 ⊙ g'(Z1), db1 += Σ dZ1
        for h in range(H):
            for k in range(n):
                A1[h, k] = 0.0             # A1 is no longer needed: reuse it for W2ᵀ · dZ2
            for o in range(O):
                w = W2[o, h]
                for k in range(n):
                    A1[h, k] += w * dZ2[o, k]
            for k in range(n):
                d = A1[h, k] * G[h, k]
                A1[h, k] = d
                dZt[h, k] = d
            # A sum in a loop of its own, that only reads: in a loop that also stores, the compiled code checks
            # at run time whether the arrays overlap and may take a scalar path that sums in another order,
            # which would make the bits depend on where the arrays happen to lie in memory.
            total = 0.0
            for k in range(n):
                total += A1[h, k]
            db1c[h] += total
        if keep:
            _copy_block(dZt, dZ1o, n, start)
        # dW1 += dZ1 · Xᵀ for this block, then into the float64 sum
        _backward_block(dZt, buf, n, acc, active)
        for h in range(H):
            for p in range(P):
                dW1c[h, p] += acc[h, p]
                acc[h, p] = 0


def _copy_block(block, out, n, start):
    """out[:, start:start + n] = block[:, :n] (a block's per-example values into the batch-wide array)."""
    for r in range(block.shape[0]):
        for k in range(n):
            out[r, start + k] = block[r, k]


def _fused_chunks(rows, order, labels, W1, b1, W2, b2, zero, scale, activation, block, bounds,
                  dW1c, db1c, dW2c, db2c, sums, Z1o, A1o, Z2o, A2o, dZ2o, dZ1o):
    """_chunk for each chunk (index, first, end) of bounds: one call, so one thread takes the interpreter once
    for all its chunks."""
    for c in range(bounds.shape[0]):
        i = bounds[c, 0]
        _chunk(rows, order, labels, W1, b1, W2, b2, zero, scale, activation, block, bounds[c, 1], bounds[c, 2],
               dW1c[i], db1c[i], dW2c[i], db2c[i], sums[i], Z1o, A1o, Z2o, A2o, dZ2o, dZ1o)


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
    global _compiled, _prefetch, _exp_shifted, _forward_block, _backward_block, _chunk, _copy_block, _fused_chunks
    if _compiled:
        return 0.0
    with _compiling:
        if _compiled:
            return 0.0
        start = time.perf_counter()
        import numba
        # nogil: the chunks run in Python threads. (numba's parallel=True would compile for ~15 s more, and its
        # OpenMP layer spins for ~100 ms per call on a busy machine.)
        jit = numba.njit(cache=True, nogil=True, fastmath=_FASTMATH)
        _prefetch = _prefetch_intrinsic() or jit(_prefetch)
        _forward_block, _backward_block, _copy_block = jit(_forward_block), jit(_backward_block), jit(_copy_block)
        # No reassociation in exp: its argument reduction subtracts j · ln 2 in two parts, in that order.
        _exp_shifted = numba.njit(cache=True, nogil=True, fastmath={"contract"})(_exp_shifted)
        _chunk, _fused_chunks = jit(_chunk), jit(_fused_chunks)
        _compiled = True
        _warm_up()
        return time.perf_counter() - start


def _prefetch_intrinsic():
    """_prefetch as numba code: LLVM's prefetch of a.flat[index] for reading, into the L2 cache (on x86
    `prefetcht1`; elsewhere what the processor has, or nothing). None if this numba cannot build it."""
    try:
        from llvmlite import ir
        from numba import types
        from numba.core import cgutils
        from numba.extending import intrinsic
    except ImportError:
        return None

    def prefetch(typingctx, array, index):
        def codegen(context, builder, signature, args):
            data = context.make_array(signature.args[0])(context, builder, args[0]).data
            byte_pointer = ir.IntType(8).as_pointer()
            function = cgutils.get_or_insert_function(builder.module, ir.FunctionType(
                ir.VoidType(), [byte_pointer] + [ir.IntType(32)] * 3), "llvm.prefetch.p0i8")
            read, keep_in_l2, data_cache = (ir.Constant(ir.IntType(32), value) for value in (0, 2, 1))
            builder.call(function, [builder.bitcast(builder.gep(data, [args[1]]), byte_pointer),
                                    read, keep_in_l2, data_cache])
            return context.get_dummy_value()
        return types.void(array, types.intp), codegen

    return intrinsic(prefetch)


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
    m = order.size or pixels.rows.shape[0]
    dtype = params["W1"].dtype
    # Writable C-contiguous copies (a few kB): numba compiles one version per argument type and layout.
    W1, b1, W2, b2 = (np.array(params[name]).ravel() if name[0] == "b" else np.array(params[name])
                      for name in network.PARAMETERS)
    hidden, outputs = W1.shape[0], network.OUTPUTS
    chunks = chunk_count(m)
    sums = (np.zeros((chunks, hidden, network.INPUTS)), np.zeros((chunks, hidden)),
            np.zeros((chunks, outputs, hidden)), np.zeros((chunks, outputs)), np.zeros((chunks, 4)))
    width = m if arrays else 0
    outs = {name: np.empty((rows, width), dtype) for name, rows in
            (("Z1", hidden), ("A1", hidden), ("Z2", outputs), ("A2", outputs), ("dZ2", outputs), ("dZ1", hidden))}
    _in_chunks(m, lambda bounds: _fused_chunks(
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
