"""One training iteration, written once: from a state, a batch, the settings and α to the next state.

    train_step(state, batch, config, α):
        arrays = W1, b1, W2, b2 of the state, X and Y of the batch
        for each computing phase Z1 … db1:  arrays[phase] = phase_array(phase, arrays, …)   (finite, or Diverged)
        update: the loss (finite, below LOSS_LIMIT), the optimizer's rule, the new parameters (finite)
        → Step(new state, arrays, loss, train accuracy)

The Stepper calls kernel_pass, phase_array and update one phase at a time (and train_step to replay an iteration
after a rewind), FastTrainer's NumPy path and the bug lab call train_step, so every engine computes the same numbers in
the same way. A bug of the bug lab is this step with one phase function replaced (`replace`). With numba, the
ten phases' arrays come from the fast kernel's one pass over X kept as uint8 (core/kernels.py) instead of from
NumPy's products: the same numbers to float rounding, checked phase by phase all the same. Nothing here keeps
state: TrainingData holds the split's arrays in the training dtype, nothing more.
"""
from __future__ import annotations

import contextlib
import math
import threading
from dataclasses import dataclass
from typing import Callable, ContextManager, Mapping

import numpy as np

from . import kernels, network, optimizers
from .config import ConfigError, TrainingConfig
from .data import Split
from .history import TrainingState

BACKENDS: tuple[str, ...] = ("auto", "numba", "numpy")

# A mean cross-entropy above this has left learning behind: a uniform guess scores ln 10 ≈ 2.3, and even
# wild but recovering runs (α = 1 with 1,024 hidden units) peak in the hundreds. α = 1e8 reaches ~1e29.
LOSS_LIMIT = 1e6
# Loading the kernels from numba's disk cache takes about a second; compiling them (the first start after
# installing, or after numba changed) about half a minute. The window and the terminal say so after this long.
ANNOUNCE_AFTER = 3.0
PREPARING = "Preparing the fast kernels: the first start takes about half a minute …"
UNDEFINED = "would become infinite or undefined"

Forward = Callable[[Mapping[str, np.ndarray], np.ndarray, str], tuple[np.ndarray, ...]]


class Diverged(ArithmeticError):
    """A step that would make a parameter, an activation or the loss non-finite (or the loss explode past
    LOSS_LIMIT); nothing was changed. Its fields say where and why, for a window to put in its own words."""

    def __init__(self, iteration: int, phase: str, what: str, alpha: float, reason: str = UNDEFINED):
        self.iteration = iteration      # the iteration that failed
        self.phase = phase              # the phase that failed, one of network.PHASES
        self.what = what                # the array or quantity: "Z1", "W2", "the loss"
        self.alpha = alpha              # the learning rate in force
        self.reason = reason            # "would become infinite or undefined", "reached 3e+07, past the limit …"
        super().__init__(f"{self.summary}; the parameters keep their last finite values — lower the learning rate")

    @property
    def summary(self) -> str:
        """"diverged at iteration N: W1 would become infinite or undefined in phase update with learning rate α"."""
        return (f"diverged at iteration {self.iteration}: {self.what} {self.reason} in phase {self.phase} "
                f"with learning rate {self.alpha:g}")

    @property
    def last_good_iteration(self) -> int:
        """Where a lower learning rate can still help: before the update that made the parameters blow up.

        A forward or backward phase of iteration N overflows because the update of iteration N − 1 made the
        parameters huge, so that is N − 1; an update that would overflow changed nothing yet, so N.
        """
        return self.iteration if self.phase == "update" else max(0, self.iteration - 1)


def check_loss(loss: float, iteration: int, alpha: float) -> None:
    """Raise Diverged unless the loss is finite and below LOSS_LIMIT."""
    if not math.isfinite(loss):
        raise Diverged(iteration, "update", "the loss", alpha)
    if loss > LOSS_LIMIT:
        raise Diverged(iteration, "update", "the loss", alpha,
                       reason=f"reached {loss:.2g}, past the limit of {LOSS_LIMIT:g} (a uniform guess scores 2.3)")


def read_only(array: np.ndarray) -> np.ndarray:
    """A new array made read-only down to the memory it views (fancy indexing can return a view of a
    temporary), so that no view handed out can be made writeable again."""
    part = array
    while isinstance(part, np.ndarray):
        part.flags.writeable = False
        part = part.base
    return array


# ---------------------------------------------------------------- the data of a run

def starting_params(config: TrainingConfig, params: Mapping[str, np.ndarray] | None = None
                    ) -> dict[str, np.ndarray]:
    """The parameters a run starts from: drawn by config.init from config.seed, or given ones, checked and cast."""
    dtype = np.dtype(config.dtype)
    if params is None:
        return network.init_params(config.hidden, config.init, np.random.default_rng(config.seed), dtype)
    hidden = network.check_params(params)
    if hidden != config.hidden:
        raise network.ShapeError(f"the weights have {hidden} hidden units but the configuration "
                                 f"asks for {config.hidden}")
    return {name: np.array(params[name], dtype=dtype) for name in network.PARAMETERS}


def initial_state(config: TrainingConfig, params: Mapping[str, np.ndarray] | None = None) -> TrainingState:
    """Iteration 0 of a run: starting_params and the optimizer's empty memory, read-only."""
    params = starting_params(config, params)
    memory = optimizers.initial_state(config.optimizer, params)
    for value in (*params.values(), *memory.values()):
        value.flags.writeable = False
    return TrainingState(0, params, memory)


class BatchOrder:
    """Which training columns each iteration uses: all of them (full batch), or for mini-batches a shuffle
    per epoch seeded by (seed, epoch), so any iteration's batch can be recomputed after a rewind."""

    def __init__(self, batch_size: int, m: int, seed: int):
        self.batch_size, self.m, self.seed = batch_size, m, seed
        self._epoch_order: tuple[int, np.ndarray] | None = None

    def indices(self, iteration: int) -> np.ndarray | None:
        """None for the full batch, else the columns of this iteration's mini-batch."""
        size, m = self.batch_size, self.m
        if size == 0 or size >= m:
            return None
        epoch, position = divmod(iteration, math.ceil(m / size))
        if self._epoch_order is None or self._epoch_order[0] != epoch:
            self._epoch_order = (epoch, np.random.default_rng([self.seed, epoch]).permutation(m))
        return self._epoch_order[1][position * size:(position + 1) * size]


Fused = Callable[[Mapping[str, np.ndarray], str], kernels.Pass]


@dataclass(frozen=True)
class Batch:
    """The examples of one iteration."""
    X: np.ndarray                   # 784 × m, pixels / 255 in the training dtype (read-only)
    Y: np.ndarray                   # 10 × m, one-hot
    labels: np.ndarray              # m digits
    # With the numba backend: (params, activation) → the fast kernel's one pass over these examples, with every
    # computing phase's array (core/kernels.py); None: each phase's own function, NumPy's products.
    fused: Fused | None = None


def resolve_backend(backend: str) -> str:
    """"numba" or "numpy" for a backend of BACKENDS ("auto": numba when it is installed)."""
    if backend not in BACKENDS:
        raise ConfigError(f"unknown backend {backend!r}: choose one of {', '.join(BACKENDS)}")
    if backend == "auto":
        return "numba" if kernels.numba_available() else "numpy"
    if backend == "numba" and not kernels.numba_available():
        raise ConfigError("the numba backend needs numba: `pip install numba` (or choose the numpy backend)")
    return backend


def one_blas_thread(backend: str) -> ContextManager[object]:
    """While training with the numba backend: NumPy's BLAS on one thread (threadpoolctl, which the fast extra
    installs; without it, or with the numpy backend, nothing changes).

    The kernels run on one thread per core of their own. A NumPy product between two of their passes (the dev
    set's accuracy, at every iteration of the Stepper) wakes BLAS's threads, which then spin for a while against
    the kernels': on two cores `python -m core train --engine phases` took 57 ms an iteration instead of 35.
    (The window sets one BLAS thread before NumPy loads, so it needs none of this.)
    """
    if backend != "numba":
        return contextlib.nullcontext()
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def prepare_kernels(backend: str, announce: Callable[[bool], object], after: float = ANNOUNCE_AFTER) -> float:
    """With the numba backend: compile the kernels now (or load them from numba's disk cache), once per process,
    and return the seconds it took (0 when there was nothing to do). announce(True) is called, from a timer
    thread, when it still runs after `after` seconds, and then announce(False) when it is done; never when the
    kernels were ready sooner."""
    if backend != "numba" or kernels.compiled():
        return 0.0
    lock = threading.Lock()
    running, said = True, False

    def say() -> None:
        nonlocal said
        with lock:          # either before the end, and then announce(False) follows, or not at all
            if running:
                said = True
                announce(True)
    timer = threading.Timer(after, say)
    timer.daemon = True
    timer.start()
    try:
        return kernels.compile_kernels()
    finally:
        timer.cancel()
        with lock:
            running = False
        if said:
            announce(False)


class TrainingData:
    """A split's arrays in the training dtype: the batch of each iteration and the dev set.

    With the numba backend the batches carry the fast kernel's pass, over X kept as uint8 rows.
    input_scale multiplies X (the bug lab's pixels not divided by 255).
    """

    def __init__(self, split: Split, config: TrainingConfig, backend: str = "auto", input_scale: float = 1.0):
        self.split = split
        self.dtype = np.dtype(config.dtype)
        self.backend = resolve_backend(backend)
        self.order = BatchOrder(config.batch_size, split.train_size, config.seed)
        self.labels = split.labels_train
        # The split's own arrays are read-only already (data.as_columns); converted copies are made so here.
        X = split.X_train if split.X_train.dtype == self.dtype else read_only(split.X_train.astype(self.dtype))
        self.X = X if input_scale == 1.0 else read_only(X * self.dtype.type(input_scale))
        self.X_dev = split.X_dev if split.X_dev.dtype == self.dtype else read_only(split.X_dev.astype(self.dtype))
        self._Y_full: np.ndarray | None = None
        self._input_scale = input_scale
        self._pixels: kernels.Pixels | None = None
        if self.backend == "numba":
            self.kernel_labels = np.ascontiguousarray(self.labels, dtype=np.int64)   # every row's, for the kernel

    @property
    def pixels(self) -> kernels.Pixels | None:
        """(numba backend; else None) X as the kernel reads it, made at the first iteration that needs it, not
        when the run is set up: the window shows iteration 0 without waiting for it."""
        self.prepare()
        return self._pixels

    def prepare(self) -> None:
        """Make the kernel's X now (numba backend; else nothing): the terminal does before its clock starts, the
        window's worker once the run's first snapshot is shown."""
        if self._pixels is None and self.backend == "numba":
            rows, scale = kernels.pixel_rows(self.split.X_train, self.dtype)
            self._pixels = kernels.Pixels(rows, scale * self._input_scale)

    def kernel_order(self, iteration: int) -> np.ndarray:
        """The rows an iteration's batch takes, as the kernel reads them: empty for all of them in order."""
        indices = self.batch_indices(iteration)
        return np.arange(0) if indices is None else indices.astype(np.int64)

    def batch_indices(self, iteration: int) -> np.ndarray | None:
        """The columns of X used by an iteration: None for the full batch, else a seeded shuffle per epoch."""
        return self.order.indices(iteration)

    def batch(self, iteration: int) -> Batch:
        indices = self.batch_indices(iteration)
        if indices is None:
            if self._Y_full is None:
                self._Y_full = read_only(network.one_hot(self.labels, self.dtype))
            X, Y, labels = self.X, self._Y_full, self.labels
        else:
            labels = self.labels[indices]
            X, Y = read_only(self.X[:, indices]), read_only(network.one_hot(labels, self.dtype))
        if self.pixels is None:
            return Batch(X, Y, labels)
        order, pixels, all_labels = self.kernel_order(iteration), self.pixels, self.kernel_labels

        def fused(params: Mapping[str, np.ndarray], activation: str) -> kernels.Pass:
            return kernels.fused_pass(pixels, order, all_labels, params, activation, arrays=True)

        return Batch(X, Y, labels, fused)

    def dev_accuracy(self, params: Mapping[str, np.ndarray], activation: str,
                     forward: Forward = network.forward) -> float | None:
        """Accuracy of params on the dev set (None without one), by `forward` (the bug lab's may be buggy)."""
        if self.split.dev_size == 0:
            return None
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            A2 = forward(params, self.X_dev, activation)[3]
        return network.accuracy(A2, self.split.labels_dev)


# ---------------------------------------------------------------- the step

@dataclass(frozen=True)
class Step:
    """What one iteration did: the state after it, every array it computed, and its forward pass's metrics."""
    state: TrainingState
    arrays: Mapping[str, np.ndarray]    # W1, b1, W2, b2 (before), X, Y and every phase's array, read-only
    loss: float
    train_accuracy: float


def first_arrays(state: TrainingState, batch: Batch) -> dict[str, np.ndarray]:
    """What the first phase reads: the parameters and the batch."""
    return {**state.params, "X": batch.X, "Y": batch.Y}


def phase_array(phase: str, arrays: Mapping[str, np.ndarray], activation: str, iteration: int, alpha: float,
                replace: Mapping[str, Callable[..., np.ndarray]] | None = None,
                computed: kernels.Pass | None = None) -> np.ndarray:
    """The array a computing phase writes, read-only: taken from the fast kernel's pass if there is one, else
    computed by the bug's replacement if `replace` has one, else by the phase's own function.
    Raises Diverged if it is not finite."""
    if computed is not None:
        result = computed.phases[phase]
    else:
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):  # a non-finite result is Diverged below
            result = network.PHASE[phase].run(arrays, activation, (replace or {}).get(phase))
    if not np.isfinite(result).all():
        raise Diverged(iteration, phase, phase, alpha)
    return read_only(result)


def kernel_pass(state: TrainingState, batch: Batch, activation: str,
                replace: Mapping[str, Callable[..., np.ndarray]] | None = None) -> kernels.Pass | None:
    """The fast kernel's pass over the batch (every phase's array), when the batch has it and no phase is replaced."""
    if batch.fused is None or replace:
        return None
    with np.errstate(over="ignore", invalid="ignore"):
        return batch.fused(state.params, activation)


def apply_update(state: TrainingState, grads: Mapping[str, np.ndarray], optimizer: str, alpha: float
                 ) -> TrainingState:
    """The state after the optimizer's step (read-only arrays); Diverged, changing nothing, if a parameter
    would not be finite."""
    with np.errstate(over="ignore", invalid="ignore"):  # non-finite parameters are reported as Diverged below
        params, memory = optimizers.step(optimizer, state.params, grads, alpha, state.optimizer)
    for name, value in params.items():
        if not np.isfinite(value).all():
            raise Diverged(state.iteration, "update", name, alpha)
    for value in (*params.values(), *memory.values()):
        value.flags.writeable = False
    return TrainingState(state.iteration + 1, params, memory)


def update(state: TrainingState, arrays: Mapping[str, np.ndarray], labels: np.ndarray, optimizer: str,
           alpha: float, computed: kernels.Pass | None = None) -> Step:
    """The update phase, after the ten others: the loss checked, then the optimizer's step. The loss and the
    accuracy are the kernel's when it computed the phases (summed in float64 as it went), else NumPy's."""
    if computed is not None:
        loss, train_accuracy = computed.loss, computed.train_accuracy
    else:
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            loss = network.cross_entropy(arrays["Z2"], labels)
        train_accuracy = network.accuracy(arrays["A2"], labels)
    check_loss(loss, state.iteration, alpha)
    return Step(apply_update(state, arrays, optimizer, alpha), arrays, loss, train_accuracy)


def train_step(state: TrainingState, batch: Batch, config: TrainingConfig, alpha: float,
               replace: Mapping[str, Callable[..., np.ndarray]] | None = None) -> Step:
    """One iteration: the ten computing phases, then the update. Raises Diverged and changes nothing where a
    result would not be finite."""
    arrays = first_arrays(state, batch)
    computed = kernel_pass(state, batch, config.activation, replace)
    for phase in network.COMPUTING_PHASES:
        arrays[phase] = phase_array(phase, arrays, config.activation, state.iteration, alpha, replace, computed)
    return update(state, arrays, batch.labels, config.optimizer, alpha, computed)
