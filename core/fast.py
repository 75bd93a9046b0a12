"""Whole training iterations at speed: the Stepper's numbers without its phase records, checks and history.

FastTrainer runs the same iteration as Stepper.step_iteration (the eleven phases of core/network.py, the
optimizer of core/optimizers.py, the same mini-batch order, the same Diverged errors) and returns
(loss, train accuracy) per iteration. It has two backends:

numba   one fused pass over the training examples per iteration. X is kept as uint8 rows (a quarter of the
        bytes of float32 columns) and read once: for each block of 64 examples it computes Z1 … dZ1 for those
        examples and adds their share of dW1 = 1/m · dZ1 · Xᵀ while the block is still in cache. Each example's
        dZ1 depends only on its own forward pass, so this is the same sum in another order. The examples are
        cut into chunks (how many depends on m only, not on the number of cores), run on one thread per core,
        each into its own float64 sums, which are then added in chunk order: results are deterministic.
        Sums may be reassociated (fastmath reassoc/contract only; NaN and infinity keep their meaning).
        numba is optional (`pip install numba`); its compiled code is cached on disk after the first run.
numpy   the phase functions of core/network.py themselves, without the Stepper's records and history:
        bit-identical to the Stepper. Used when numba is not installed.

Both agree with the Stepper to rounding (float64: ~1e-15 relative per iteration; float32: ~1e-6).
The uint8 rows are rebuilt exactly from Split.X_train when its values are pixel / 255 in the training dtype;
otherwise (other data, or a float32 split trained in float64) the rows are the float values themselves.
"""
from __future__ import annotations

import importlib.util
import math
import os
from concurrent.futures import ThreadPoolExecutor
from types import MappingProxyType
from typing import Mapping

import numpy as np

from . import network, optimizers
from .config import TrainingConfig
from .data import Split
from .stepper import LOSS_LIMIT, BatchOrder, Diverged, starting_params

BACKENDS: tuple[str, ...] = ("auto", "numba", "numpy")
ACTIVATION_CODES: Mapping[str, int] = {"relu": 0, "leaky_relu": 1, "sigmoid": 2, "tanh": 3}
BLOCK = 64              # examples per block: their float copy (200 kB in float32) stays in the L2 cache
MIN_CHUNK = 512         # examples per parallel chunk, at least; at most MAX_CHUNKS chunks
MAX_CHUNKS = 16
GRADIENTS: tuple[str, ...] = ("dW1", "db1", "dW2", "db2")


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


class FastTrainer:
    """Full training iterations of one run on one split; the same arithmetic as Stepper, much faster.

    step() does one iteration (forward, backward, update) and returns (loss, train_accuracy) of its forward
    pass, as the Stepper's history records them. It raises Diverged, changing nothing, where the Stepper would.
    """

    def __init__(self, split: Split, config: TrainingConfig, params: Mapping[str, np.ndarray] | None = None,
                 backend: str = "auto"):
        if backend not in BACKENDS:
            raise ValueError(f"unknown backend {backend!r}: choose one of {', '.join(BACKENDS)}")
        if backend == "auto":
            backend = "numba" if numba_available() else "numpy"
        elif backend == "numba" and not numba_available():
            raise ValueError("the numba backend needs numba: `pip install numba` (or choose the numpy backend)")
        self.backend = backend
        self.split = split
        self.config = config
        self.alpha = config.alpha
        self.dtype = np.dtype(config.dtype)
        params = starting_params(config, params)
        self._params = _read_only(params)
        self._optimizer = _read_only(optimizers.initial_state(config.optimizer, params))
        self.iteration = 0
        self._X: np.ndarray | None = None   # the Stepper's X, made when the phase functions need it
        self._labels = np.ascontiguousarray(split.labels_train, dtype=np.int64)
        self._Y_full: np.ndarray | None = None
        self._batch_order = BatchOrder(config.batch_size, split.train_size, config.seed)
        self._rows: np.ndarray | None = None
        self._scale = 1.0
        if backend == "numba":
            self._rows, self._scale = training_rows(split.X_train, self.dtype)
            self._chunks = min(MAX_CHUNKS, max(1, math.ceil(split.train_size / MIN_CHUNK)))

    # ------------------------------------------------------------ reading
    @property
    def params(self) -> Mapping[str, np.ndarray]:
        """W1, b1, W2, b2 after `iteration` updates (read-only arrays)."""
        return MappingProxyType(self._params)

    @property
    def optimizer_state(self) -> Mapping[str, np.ndarray]:
        return MappingProxyType(self._optimizer)

    def set_alpha(self, alpha: float) -> None:
        """A new learning rate from the next update on."""
        if not (math.isfinite(alpha) and alpha > 0):
            raise ValueError(f"the learning rate must be a positive number, not {alpha!r}")
        self.alpha = float(alpha)

    def evaluate_dev(self) -> float | None:
        """Accuracy of the current parameters on the dev set (None without one), as Stepper.evaluate_dev."""
        if self.split.dev_size == 0:
            return None
        X_dev = self.split.X_dev if self.split.X_dev.dtype == self.dtype else self.split.X_dev.astype(self.dtype)
        A2 = network.forward(self._params, X_dev, self.config.activation)[3]
        return network.accuracy(A2, self.split.labels_dev)

    # ------------------------------------------------------------ training
    def batch_indices(self, iteration: int) -> np.ndarray | None:
        """The training columns an iteration uses, as Stepper.batch_indices: None for the full batch."""
        return self._batch_order.indices(iteration)

    def gradients(self) -> tuple[dict[str, np.ndarray], float, float]:
        """(dW1, db1, dW2, db2 by name; loss; train accuracy) of the next iteration, without updating."""
        indices = self.batch_indices(self.iteration)
        if self.backend == "numba":
            return self._numba_gradients(indices)
        return self._phase_gradients(*self._batch(indices))

    def step(self) -> tuple[float, float]:
        """One iteration: forward, backward, update. Returns (loss, train accuracy) of its forward pass."""
        grads, loss, train_accuracy = self.gradients()
        with np.errstate(over="ignore", invalid="ignore"):  # non-finite parameters are reported as Diverged below
            new_params, new_optimizer = optimizers.step(self.config.optimizer, self._params, grads, self.alpha,
                                                        self._optimizer)
        for name, value in new_params.items():
            if not np.isfinite(value).all():
                raise Diverged(self.iteration, "update", name, self.alpha)
        self._params, self._optimizer = _read_only(new_params), _read_only(new_optimizer)
        self.iteration += 1
        return loss, train_accuracy

    step_iteration = step  # what core.cli.train calls on an engine

    def run(self, iterations: int) -> tuple[float, float] | None:
        """`iterations` steps; returns the last (loss, train accuracy), None for 0 iterations."""
        result = None
        for _ in range(iterations):
            result = self.step()
        return result

    # ------------------------------------------------------------ backends
    def _phase_gradients(self, X: np.ndarray, Y: np.ndarray, labels: np.ndarray
                         ) -> tuple[dict[str, np.ndarray], float, float]:
        """The phase functions of core/network.py on the batch, with the Stepper's divergence checks."""
        with np.errstate(over="ignore", invalid="ignore"):  # non-finite results are reported as Diverged below
            arrays = network.gradients(self._params, X, Y, self.config.activation)
            loss = network.cross_entropy(arrays["Z2"], labels)
        grads = {name: arrays[name] for name in GRADIENTS}
        # Z1, Z2, the loss and the four gradients finite imply that every phase was: check those first.
        if not (math.isfinite(loss) and all(np.isfinite(arrays[name]).all() for name in ("Z1", "Z2", *GRADIENTS))):
            for phase in network.PHASES[:-1]:
                if not np.isfinite(arrays[phase]).all():
                    raise Diverged(self.iteration, phase, phase, self.alpha)
            raise Diverged(self.iteration, "update", "the loss", self.alpha)
        self._check_loss(loss)
        return grads, loss, network.accuracy(arrays["A2"], labels)

    def _check_loss(self, loss: float) -> None:
        if loss > LOSS_LIMIT:
            raise Diverged(self.iteration, "update", "the loss", self.alpha, reason=f"reached {loss:.2g}, "
                           f"past the limit of {LOSS_LIMIT:g} (a uniform guess scores 2.3)")

    def _numba_gradients(self, indices: np.ndarray | None) -> tuple[dict[str, np.ndarray], float, float]:
        order = np.arange(0) if indices is None else indices.astype(np.int64)
        m = self.split.train_size if indices is None else indices.size
        chunks = self._chunks if indices is None else min(MAX_CHUNKS, max(1, math.ceil(m / MIN_CHUNK)))
        kernel = _compiled_chunk()
        # Writable C-contiguous copies (a few kB): numba compiles one version per argument type and layout.
        W1, b1, W2, b2 = (np.array(self._params[name]).ravel() if name[0] == "b" else np.array(self._params[name])
                          for name in network.PARAMETERS)
        hidden = W1.shape[0]
        sums = (np.zeros((chunks, hidden, network.INPUTS)), np.zeros((chunks, hidden)),
                np.zeros((chunks, network.OUTPUTS, hidden)), np.zeros((chunks, network.OUTPUTS)), np.zeros((chunks, 4)))
        per_chunk = math.ceil(m / chunks)

        def run_chunk(chunk: int) -> None:
            kernel(self._rows, order, self._labels, W1, b1, W2, b2, self.dtype.type(0), self._scale,
                   ACTIVATION_CODES[self.config.activation], BLOCK, min(m, chunk * per_chunk),
                   min(m, (chunk + 1) * per_chunk), *(part[chunk] for part in sums))

        if chunks == 1:
            run_chunk(0)
        else:
            list(_thread_pool().map(run_chunk, range(chunks)))
        # Chunk after chunk, so the result does not depend on how many threads ran them.
        dW1, db1, dW2, db2, (loss_sum, correct, z1_sum, z2_sum) = (part.sum(axis=0) for part in sums)
        dtype = self.dtype
        grads = {
            "dW1": (dW1 * (self._scale / m)).astype(dtype),
            "db1": (db1 / m).astype(dtype)[:, None],
            "dW2": (dW2 / m).astype(dtype),
            "db2": (db2 / m).astype(dtype)[:, None],
        }
        loss = float(loss_sum / m)
        # Anything that might not be finite in dtype (the Stepper computes Z1, Z2 and the loss in dtype): the
        # phase functions decide, and raise Diverged exactly where the Stepper would (rare: the cost is no matter).
        largest = float(np.finfo(dtype).max)
        if not (z1_sum <= largest and z2_sum <= largest and abs(loss) <= largest
                and all(np.isfinite(value).all() for value in grads.values())):
            return self._phase_gradients(*self._batch(indices))
        self._check_loss(loss)
        return grads, loss, float(correct) / m

    def _batch(self, indices: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """X, Y, labels of a batch, as the Stepper makes them."""
        if self._X is None:
            X = self.split.X_train
            self._X = X if X.dtype == self.dtype else X.astype(self.dtype)
        if indices is None:
            if self._Y_full is None:
                self._Y_full = network.one_hot(self._labels, self.dtype)
            return self._X, self._Y_full, self._labels
        labels = self._labels[indices]
        return self._X[:, indices], network.one_hot(labels, self.dtype), labels


def _read_only(arrays: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    for value in arrays.values():
        value.flags.writeable = False
    return dict(arrays)


# ---------------------------------------------------------------- the numba kernel
#
# Plain Python functions, compiled with numba on first use (so importing this module does not import numba)
# and cached on disk by numba (cache=True), so later starts load the machine code instead of compiling.
# Blocks hold examples in the last axis (Zt is H × block) so the per-example loops vectorise across examples.

_FASTMATH = {"reassoc", "contract"}   # reorder sums, fuse multiply-adds; NaN and infinity still propagate


def _forward_block(W1, buf, n, Zt, zero):
    """Zt[h, k] = W1[h] · buf[k] for the n examples of a block, 4 examples × 2 hidden units at a time."""
    H, P = W1.shape
    k = 0
    while k + 4 <= n:
        h = 0
        while h + 2 <= H:
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
        for h in range(H):
            a = zero
            for p in range(P):
                a += W1[h, p] * buf[j, p]
            Zt[h, j] = a


def _backward_block(dZt, buf, n, acc, active):
    """acc[h] += Σ_k dZt[h, k] · buf[k], two hidden units at a time, skipping examples where both are 0."""
    H, P = acc.shape
    h = 0
    while h + 2 <= H:
        count = 0
        for k in range(n):
            if dZt[h, k] != 0 or dZt[h + 1, k] != 0:   # with ReLU, inactive units contribute exactly 0
                active[count] = k
                count += 1
        j = 0
        while j + 4 <= count:
            k0, k1, k2, k3 = active[j], active[j + 1], active[j + 2], active[j + 3]
            d0, d1, d2, d3 = dZt[h, k0], dZt[h, k1], dZt[h, k2], dZt[h, k3]
            e0, e1, e2, e3 = dZt[h + 1, k0], dZt[h + 1, k1], dZt[h + 1, k2], dZt[h + 1, k3]
            for p in range(P):
                x0 = buf[k0, p]
                x1 = buf[k1, p]
                x2 = buf[k2, p]
                x3 = buf[k3, p]
                acc[h, p] += (d0 * x0 + d1 * x1) + (d2 * x2 + d3 * x3)
                acc[h + 1, p] += (e0 * x0 + e1 * x1) + (e2 * x2 + e3 * x3)
            j += 4
        for i in range(j, count):
            k0 = active[i]
            d0, e0 = dZt[h, k0], dZt[h + 1, k0]
            for p in range(P):
                acc[h, p] += d0 * buf[k0, p]
                acc[h + 1, p] += e0 * buf[k0, p]
        h += 2
    if h < H:
        for k in range(n):
            d0 = dZt[h, k]
            if d0 != 0:
                for p in range(P):
                    acc[h, p] += d0 * buf[k, p]


def _chunk(rows, order, labels, W1, b1, W2, b2, zero, scale, activation, block, first, end,
           dW1c, db1c, dW2c, db2c, sums):
    """Add the sums of examples first … end−1 of the batch to dW1c, db1c, dW2c, db2c and sums."""
    H, P = W1.shape
    O = W2.shape[0]
    buf = np.empty((block, P), W1.dtype)
    Zt = np.empty((H, block), W1.dtype)
    dZt = np.empty((H, block), W1.dtype)
    acc = np.zeros((H, P), W1.dtype)
    active = np.empty(block, np.int64)
    A1 = np.empty((H, block))
    G = np.empty((H, block))       # g'(Z1)
    Z2 = np.empty((O, block))
    dZ2 = np.empty((O, block))
    lab = np.empty(block, np.int64)
    for start in range(first, end, block):
        n = min(block, end - start)
        for k in range(n):
            i = order[start + k] if order.size else start + k
            lab[k] = labels[i]
            for p in range(P):
                buf[k, p] = rows[i, p]
        _forward_block(W1, buf, n, Zt, zero)
        # A1 = g(Z1) and g'(Z1), in float64
        z1_sum = 0.0
        for h in range(H):
            for k in range(n):
                z = Zt[h, k] * scale + b1[h]
                z1_sum += abs(z)
                if activation == 0:
                    A1[h, k] = z if z > 0 else 0.0
                    G[h, k] = 1.0 if z > 0 else 0.0
                elif activation == 1:
                    A1[h, k] = z if z > 0 else 0.01 * z
                    G[h, k] = 1.0 if z > 0 else 0.01
                elif activation == 2:
                    s = 0.5 * (1.0 + np.tanh(0.5 * z))
                    A1[h, k] = s
                    G[h, k] = s * (1.0 - s)
                else:
                    t = np.tanh(z)
                    A1[h, k] = t
                    G[h, k] = 1.0 - t * t
        sums[2] += z1_sum
        z2_sum = 0.0
        # Z2 = W2 · A1 + b2
        for o in range(O):
            for k in range(n):
                Z2[o, k] = 0.0
            for h in range(H):
                w = W2[o, h]
                for k in range(n):
                    Z2[o, k] += w * A1[h, k]
            for k in range(n):
                Z2[o, k] += b2[o]
                z2_sum += abs(Z2[o, k])
        sums[3] += z2_sum
        # A2 = softmax(Z2), the loss, the prediction, dZ2 = A2 − Y
        for k in range(n):
            top = Z2[0, k]
            best = 0
            for o in range(1, O):
                if Z2[o, k] > top:
                    top = Z2[o, k]
                    best = o
            total = 0.0
            for o in range(O):
                e = np.exp(Z2[o, k] - top)
                dZ2[o, k] = e
                total += e
            sums[0] += top + np.log(total) - Z2[lab[k], k]
            if best == lab[k]:
                sums[1] += 1.0
            for o in range(O):
                dZ2[o, k] = dZ2[o, k] / total
            dZ2[lab[k], k] -= 1.0
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
            total = 0.0
            for k in range(n):
                d = A1[h, k] * G[h, k]
                total += d
                dZt[h, k] = d
            db1c[h] += total
        # dW1 += dZ1 · Xᵀ for this block, then into the float64 sum
        _backward_block(dZt, buf, n, acc, active)
        for h in range(H):
            for p in range(P):
                dW1c[h, p] += acc[h, p]
                acc[h, p] = 0


_compiled = False
_threads: ThreadPoolExecutor | None = None


def _compiled_chunk():
    """_chunk compiled by numba: the first call of a process imports numba and loads (or compiles) the code."""
    global _compiled, _forward_block, _backward_block, _chunk
    if not _compiled:
        import numba
        # nogil: the chunks run in Python threads. (numba's parallel=True would compile for ~15 s more, and its
        # OpenMP layer spins for ~100 ms per call on a busy machine.)
        jit = numba.njit(cache=True, nogil=True, fastmath=_FASTMATH)
        _forward_block = jit(_forward_block)
        _backward_block = jit(_backward_block)
        _chunk = jit(_chunk)
        _compiled = True
    return _chunk


def use_threads(count: int | None = None) -> None:
    """Run the numba backend's chunks on `count` threads (None: one per core, the default). Same results."""
    global _threads
    if count is None:
        count = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    if count < 1:
        raise ValueError(f"the number of threads must be 1 or more, not {count}")
    if _threads is not None:
        _threads.shutdown(wait=False)
    _threads = ThreadPoolExecutor(max_workers=count, thread_name_prefix="fast-trainer")


def _thread_pool() -> ThreadPoolExecutor:
    if _threads is None:
        use_threads()
    return _threads
