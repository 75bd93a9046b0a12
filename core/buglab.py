"""The bug lab: the classic mistakes that copies of the notebook carry, switchable one at a time.

Each Bug replaces one or more of core.network's phase functions by the mistaken version (same
signature), or changes the input X as the notebook's data loading would: a bug is the correct training
step (core/training.py) with one line changed. gradients_with_bug runs the eleven phases with a bug
switched on; train_side_by_side trains a correct and a buggy network from the same initial weights with
that step; gradient_check compares a (possibly buggy) backward pass with central differences.

The gradient check tests the BACKWARD pass against the forward pass actually used: the numerical
gradient is that of the cross-entropy of the probabilities A2 that the (possibly buggy) forward pass
produced. It therefore catches every bug in the backward pass, and a forward bug whose backward no
longer matches it (softmax over the wrong axis: dZ2 = A2 − Y is the derivative of the column softmax
only). It cannot catch a bug in the data (pixels not divided by 255): the backward pass is the exact
derivative of that forward pass, the network just starts from inputs 255 times too large.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Mapping

import numpy as np

from . import network
from .config import TrainingConfig
from .data import Split
from .network import PARAMETERS, GRADIENT_OF
from .training import Diverged, TrainingData, initial_state, starting_params, train_step


class Stopped(Exception):
    """A lab run or gradient check ended early because its caller asked it to (should_stop)."""


class BugShapeError(network.ShapeError):
    """A bug that makes NumPy refuse a product; the message says which product, why, and where the fix goes."""


# ---------------------------------------------------------------- the mistaken phase functions

def db_sum_all(dZ: np.ndarray) -> np.ndarray:
    # The notebook's `1 / m * np.sum(dZ2)`: no axis, so one number for the whole layer.
    return np.asarray((1 / dZ.shape[1]) * np.sum(dZ))


def dw2_without_m(dZ2: np.ndarray, A1: np.ndarray) -> np.ndarray:
    return dZ2 @ A1.T


def db_without_m(dZ: np.ndarray) -> np.ndarray:
    return dZ.sum(axis=1, keepdims=True)


def dw1_without_m(dZ1: np.ndarray, X: np.ndarray) -> np.ndarray:
    return dZ1 @ X.T


def softmax_over_examples(Z2: np.ndarray) -> np.ndarray:
    """Softmax normalised along axis 1: each ROW (one digit across all examples) sums to 1."""
    exps = np.exp(Z2 - Z2.max(axis=1, keepdims=True))
    return exps / exps.sum(axis=1, keepdims=True)


def dz1_without_g_prime(W2: np.ndarray, dZ2: np.ndarray, Z1: np.ndarray, activation: str = "relu") -> np.ndarray:
    return W2.T @ dZ2


def dw1_without_transpose(dZ1: np.ndarray, X: np.ndarray) -> np.ndarray:
    try:
        return (1 / dZ1.shape[1]) * (dZ1 @ X)
    except ValueError as numpy_error:
        raise BugShapeError(transpose_message("dW1 = 1/m · dZ1 · X", "dZ1", dZ1.shape, "X", X.shape)
                            + f" (NumPy: {numpy_error})") from numpy_error


def transpose_message(product: str, left: str, left_shape: tuple[int, ...], right: str,
                      right_shape: tuple[int, ...]) -> str:
    """Why `left · right` does not fit, and the product the transpose of `right` makes."""
    rows, inner = left_shape
    right_rows, right_columns = right_shape
    return (f"{product}: {left} {_shape(left_shape)} · {right} {_shape(right_shape)}: the inner sizes "
            f"{inner} and {right_rows} differ (a product (a, b)·(c, d) needs b = c); "
            f"{right}ᵀ {_shape((right_columns, right_rows))} makes {_shape(left_shape)}·"
            f"{_shape((right_columns, right_rows))} → {_shape((rows, right_rows))}, so write {left} · {right}.T")


def _shape(shape: tuple[int, ...]) -> str:
    return "(" + ", ".join(str(n) for n in shape) + ")"


# ---------------------------------------------------------------- the bugs

@dataclass(frozen=True)
class Bug:
    name: str
    title: str                      # one line
    symptom: str                    # what a student sees when training with it
    phase: str                      # the first phase of network.PHASES it breaks
    gradient_check: str             # whether the gradient check catches it, and why
    replacements: Mapping[str, Callable[..., np.ndarray]] = field(default_factory=dict)  # phase -> function
    input_scale: float = 1.0        # X is multiplied by this before the phases (the data-loading bug)

    @property
    def changes_backward(self) -> bool:
        return any(phase in network.BACKWARD_PHASES for phase in self.replacements)


BUGS: Mapping[str, Bug] = {bug.name: bug for bug in (
    Bug("db_sum_all", "db = 1/m · np.sum(dZ) without axis=1: one number for every bias of the layer",
        "b2 moves all ten biases by the same amount — in fact by zero, since each column of A2 − Y sums to "
        "1 − 1 = 0 — so the output biases never learn which digit is more common; all hidden biases move together. "
        "Accuracy barely suffers, which is why copies of the notebook keep the bug.",
        "db2",
        "caught: the analytic db2 and db1 are one shared number, the numerical ones differ per unit.",
        {"db2": db_sum_all, "db1": db_sum_all}),
    Bug("missing_1_over_m", "dW and db without the 1/m: the gradient is summed, not averaged, over the examples",
        "every step is m times too large: with thousands of examples the loss jumps and the run diverges or "
        "the hidden units die, unless α is divided by m.",
        "dW2",
        "caught: the analytic gradient is m times the numerical one (relative error (m−1)/(m+1) ≈ 1).",
        {"dW2": dw2_without_m, "db2": db_without_m, "dW1": dw1_without_m, "db1": db_without_m}),
    Bug("softmax_wrong_axis", "softmax normalised over axis 1 (the examples) instead of axis 0 (the digits)",
        "softmax over the examples: each column no longer sums to 1 (each row does), so A2 is not a "
        "probability per example; accuracy stays near 10 % while the scores Z2 grow until the run diverges.",
        "A2",
        "caught: dZ2 = A2 − Y is the derivative of the column softmax's loss only; for the row softmax the "
        "loss's true derivative is (count of the digit)·A2 − Y, so the backward pass no longer matches the forward.",
        {"A2": softmax_over_examples}),
    Bug("missing_g_prime", "dZ1 = W2ᵀ · dZ2 without ⊙ g′(Z1)",
        "the error flows back through hidden units the ReLU switched off as if they were on: W1 and b1 no longer "
        "follow the loss's slope; training still works, a little worse, so the bug is easy to miss.",
        "dZ1",
        "caught in W1 and b1 (W2 and b2 are still right): the numerical gradient has zeros where ReLU was off.",
        {"dZ1": dz1_without_g_prime}),
    Bug("no_scaling", "pixels not divided by 255: X holds 0–255 instead of 0–1",
        "Z1 is 255 times too large: softmax saturates, the loss and the steps explode, the run diverges or "
        "the hidden units die and accuracy stays low.",
        "Z1",
        "not caught, and rightly: the backward pass is the exact derivative of this forward pass; the mistake "
        "is in the data, which the gradient check takes as given.",
        input_scale=255.0),
    Bug("missing_transpose", "dW1 = dZ1 · X without the transpose of X",
        "NumPy refuses the product at once: dZ1 (10, m) · X (784, m) do not fit; Xᵀ (m, 784) does.",
        "dW1",
        "not reached: the shape error stops the backward pass before there is a gradient to check.",
        {"dW1": dw1_without_transpose}),
)}


def _bug(bug: str | Bug | None) -> Bug | None:
    if bug is None or isinstance(bug, Bug):
        return bug
    if bug not in BUGS:
        raise ValueError(f"unknown bug {bug!r}: choose one of {', '.join(BUGS)}")
    return BUGS[bug]


# ---------------------------------------------------------------- passes with a bug switched on

def run_phase_with_bug(phase: str, arrays: dict[str, np.ndarray], activation: str, bug: str | Bug | None
                       ) -> np.ndarray:
    """network.run_phase, except that the bug's replacement computes the phases it breaks."""
    bug = _bug(bug)
    return network.PHASE[phase].run(arrays, activation, None if bug is None else bug.replacements.get(phase))


def _input(X: np.ndarray, bug: Bug | None) -> np.ndarray:
    """X as the buggy data loading leaves it."""
    return X if bug is None or bug.input_scale == 1.0 else X * X.dtype.type(bug.input_scale)


def gradients_with_bug(params: Mapping[str, np.ndarray], X: np.ndarray, Y: np.ndarray, activation: str = "relu",
                       bug: str | Bug | None = None) -> dict[str, np.ndarray]:
    """Like network.gradients, with the bug switched on (X is the correctly scaled input; the bug may rescale it).

    Raises BugShapeError when the bug makes a product impossible.
    """
    bug = _bug(bug)
    arrays = {**params, "X": _input(X, bug), "Y": Y}
    for phase in network.COMPUTING_PHASES:
        arrays[phase] = run_phase_with_bug(phase, arrays, activation, bug)
    return arrays


def forward_with_bug(params: Mapping[str, np.ndarray], X: np.ndarray, activation: str = "relu",
                     bug: str | Bug | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    bug = _bug(bug)
    arrays = {**params, "X": _input(X, bug)}
    for phase in network.FORWARD_PHASES:
        arrays[phase] = run_phase_with_bug(phase, arrays, activation, bug)
    return arrays["Z1"], arrays["A1"], arrays["Z2"], arrays["A2"]


def loss_of_forward(Z2: np.ndarray, labels: np.ndarray, bug: str | Bug | None = None) -> float:
    """Mean −log A2[label] of the probabilities the forward pass actually produced.

    Without a softmax bug this is network.cross_entropy; with softmax over the examples it is the same
    formula with the log-softmax taken along axis 1.
    """
    bug = _bug(bug)
    if bug is None or "A2" not in bug.replacements:
        return network.cross_entropy(Z2, labels)
    top = Z2.max(axis=1, keepdims=True)
    log_A2 = Z2 - (top + np.log(np.exp(Z2 - top).sum(axis=1, keepdims=True)))
    return float(-np.mean(log_A2[labels, np.arange(labels.size)]))


# ---------------------------------------------------------------- the gradient check

def gradient_check(params: Mapping[str, np.ndarray], X: np.ndarray, labels: np.ndarray, activation: str = "relu",
                   bug: str | Bug | None = None, samples: int = 20, eps: float = 1e-5, seed: int = 0,
                   should_stop: Callable[[], bool] = lambda: False) -> dict[str, float]:
    """Relative error, per parameter, between the backward pass's gradient and central differences.

    The numerical gradient is that of loss_of_forward: the loss of the forward pass actually used (with
    the bug's forward, if it has one). So this is a test of the backward pass against its own forward pass:
    about 1e-9 when they agree, near 1 when they do not. Everything runs in float64; `samples` entries
    of each parameter (all of them if it has fewer) are perturbed by ±eps.
    Raises BugShapeError when the bug's backward pass cannot be computed at all, and Stopped as soon as
    should_stop() says so (a window closing).
    """
    bug = _bug(bug)
    params = {name: np.array(params[name], dtype=np.float64) for name in PARAMETERS}
    X = np.asarray(X, dtype=np.float64)
    labels = np.asarray(labels)
    analytic = gradients_with_bug(params, X, network.one_hot(labels, np.float64), activation, bug)
    rng = np.random.default_rng(seed)

    def loss() -> float:
        return loss_of_forward(forward_with_bug(params, X, activation, bug)[2], labels, bug)

    errors = {}
    for name in PARAMETERS:
        value = params[name]
        gradient = np.broadcast_to(analytic[GRADIENT_OF[name]], value.shape)
        flat = value.reshape(-1)       # a view: perturbing it perturbs params[name]
        chosen = rng.choice(flat.size, size=min(samples, flat.size), replace=False)
        numerical = np.empty(chosen.size)
        for k, index in enumerate(chosen):
            if should_stop():
                raise Stopped("the gradient check was stopped")
            original = flat[index]
            flat[index] = original + eps
            above = loss()
            flat[index] = original - eps
            below = loss()
            flat[index] = original
            numerical[k] = (above - below) / (2 * eps)
        analytic_part = gradient.reshape(-1)[chosen]
        scale = np.linalg.norm(analytic_part) + np.linalg.norm(numerical)
        errors[name] = float(np.linalg.norm(analytic_part - numerical) / scale) if scale > 0 else 0.0
    return errors


# ---------------------------------------------------------------- training side by side

@dataclass
class Curves:
    """One run's measurements after each iteration; `problem` says why it stopped early, if it did."""
    loss: list[float] = field(default_factory=list)            # cross-entropy of the network's scores Z2
    train_accuracy: list[float] = field(default_factory=list)  # argmax of the A2 the (buggy) code computes
    dev_accuracy: list[float] = field(default_factory=list)
    problem: str | None = None

    @property
    def final_dev_accuracy(self) -> float | None:
        return self.dev_accuracy[-1] if self.dev_accuracy else None


def _train(split: Split, config: TrainingConfig, params: Mapping[str, np.ndarray], bug: Bug | None,
           iterations: int, should_stop: Callable[[], bool]) -> Curves:
    """The Stepper's training step (core/training.py) with the bug's phase functions and input in place.

    Both runs take NumPy's products (the phase functions themselves, not the fast kernel's one pass, which cannot
    have a phase replaced), so they are the same until the bug makes a difference."""
    data = TrainingData(split, config, backend="numpy", input_scale=1.0 if bug is None else bug.input_scale)
    replace = {} if bug is None else bug.replacements
    state = initial_state(config, params)
    batch = data.batch(0)      # the full batch, every iteration

    def forward(params: Mapping[str, np.ndarray], X: np.ndarray, activation: str) -> tuple[np.ndarray, ...]:
        return forward_with_bug(params, X, activation, bug)

    curves = Curves()
    for iteration in range(iterations):
        if should_stop():
            raise Stopped(f"training was stopped at iteration {iteration}")
        try:
            step = train_step(state, batch, config, config.alpha, replace)
        except BugShapeError as error:
            curves.problem = str(error)
            break
        except Diverged as error:
            curves.problem = error.summary
            break
        state = step.state
        curves.loss.append(step.loss)
        curves.train_accuracy.append(step.train_accuracy)
        dev_accuracy = data.dev_accuracy(state.params, config.activation, forward)
        if dev_accuracy is not None:
            curves.dev_accuracy.append(dev_accuracy)
    return curves


def train_side_by_side(split: Split, config: TrainingConfig, bug: str | Bug, iterations: int,
                       should_stop: Callable[[], bool] = lambda: False) -> tuple[Curves, Curves]:
    """(correct, buggy) curves of two full-batch runs from the same initial weights.

    The buggy run's divergence or shape error ends that run and is reported in its Curves.problem;
    should_stop() is asked before every iteration and raises Stopped when it says yes.
    """
    bug = _bug(bug)
    params = starting_params(config)
    return (_train(split, config, params, None, iterations, should_stop),
            _train(split, config, params, bug, iterations, should_stop))
