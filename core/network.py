"""The network from scratch: 784 inputs -> H hidden units -> 10 softmax outputs.

Examples are columns: X is 784 x m (pixels / 255), Y is the one-hot 10 x m.
One training iteration is the eleven phases of PHASE_TABLE: each a small function
below, named as in the equations, and one Phase record that says what it reads
and writes, its equation, its live shapes and what it means:

    Z1 = W1 . X + b1          dZ2 = A2 - Y
    A1 = g(Z1)                dW2 = 1/m . dZ2 . A1^T
    Z2 = W2 . A1 + b2         db2 = 1/m . sum_j dZ2          (one value per row)
    A2 = softmax(Z2)          dZ1 = W2^T . dZ2 * g'(Z1)
                              dW1 = 1/m . dZ1 . X^T
                              db1 = 1/m . sum_j dZ1
    update: W <- W - alpha . dW (or the optimizer's rule)
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from types import MappingProxyType
from typing import Callable, Mapping

import numpy as np

INPUTS = 784
OUTPUTS = 10

PARAMETERS: tuple[str, ...] = ("W1", "b1", "W2", "b2")
GRADIENT_OF = {"W1": "dW1", "b1": "db1", "W2": "dW2", "b2": "db2"}


class ShapeError(ValueError):
    """Parameters or data whose shapes do not fit the network."""


# ---------------------------------------------------------------- activations

@dataclass(frozen=True)
class Activation:
    name: str
    g: Callable[[np.ndarray], np.ndarray]  # A = g(Z)
    g_prime: Callable[[np.ndarray], np.ndarray]  # dA/dZ, evaluated at Z
    formula: str


LEAKY_SLOPE = 0.01


def _sigmoid(Z: np.ndarray) -> np.ndarray:
    # 0.5 * (1 + tanh(z/2)) is the logistic function without overflow for large |z|.
    return 0.5 * (1.0 + np.tanh(0.5 * Z))


def _sigmoid_prime(Z: np.ndarray) -> np.ndarray:
    s = _sigmoid(Z)
    return s * (1.0 - s)


ACTIVATIONS: Mapping[str, Activation] = {
    "relu": Activation("relu", lambda Z: np.maximum(Z, 0), lambda Z: (Z > 0).astype(Z.dtype), "max(0, z)"),
    "leaky_relu": Activation(
        "leaky_relu",
        lambda Z: np.where(Z > 0, Z, Z.dtype.type(LEAKY_SLOPE) * Z),
        lambda Z: np.where(Z > 0, Z.dtype.type(1), Z.dtype.type(LEAKY_SLOPE)),
        "z if z > 0 else 0.01·z",
    ),
    "sigmoid": Activation("sigmoid", _sigmoid, _sigmoid_prime, "1 / (1 + e^(−z))"),
    "tanh": Activation("tanh", np.tanh, lambda Z: 1 - np.tanh(Z) ** 2, "tanh(z)"),
}

INITS: tuple[str, ...] = ("uniform", "he", "xavier")


def parameter_shapes(hidden: int) -> dict[str, tuple[int, int]]:
    return {"W1": (hidden, INPUTS), "b1": (hidden, 1), "W2": (OUTPUTS, hidden), "b2": (OUTPUTS, 1)}


def init_params(hidden: int, init: str, rng: np.random.Generator, dtype: np.dtype | str = np.float32
                ) -> dict[str, np.ndarray]:
    """W1, b1, W2, b2 drawn in that order from rng.

    uniform: every parameter uniform[0, 1) − 0.5 (the notebook's init);
    he: weights normal(0, 2/fan_in), biases 0; xavier: weights uniform ±sqrt(6/(fan_in+fan_out)), biases 0.
    """
    if init not in INITS:
        raise ValueError(f"unknown init {init!r}: choose one of {', '.join(INITS)}")
    if hidden < 1:
        raise ValueError(f"the hidden layer needs at least one unit, not {hidden}")
    params = {}
    for name, shape in parameter_shapes(hidden).items():
        fan_out, fan_in = shape
        if init == "uniform":
            value = rng.random(shape) - 0.5
        elif name.startswith("b"):
            value = np.zeros(shape)
        elif init == "he":
            value = rng.normal(0.0, np.sqrt(2.0 / fan_in), shape)
        else:
            limit = np.sqrt(6.0 / (fan_in + fan_out))
            value = rng.uniform(-limit, limit, shape)
        params[name] = value.astype(dtype)
    return params


def check_params(params: Mapping[str, np.ndarray]) -> int:
    """Raise ShapeError unless W1, b1, W2, b2 fit one network; return its hidden width."""
    missing = [name for name in PARAMETERS if name not in params]
    if missing:
        raise ShapeError(f"missing {', '.join(missing)}")
    hidden = np.shape(params["W1"])[0] if np.ndim(params["W1"]) == 2 else -1
    for name, shape in parameter_shapes(max(hidden, 1)).items():
        if np.shape(params[name]) != shape or hidden < 1:
            # Without a usable W1 the width H is unknown, so the expectation is written with H.
            expected = shape if hidden > 0 else f"(H, {INPUTS}) with H ≥ 1"
            width = hidden if hidden > 0 else "H"
            raise ShapeError(f"{name} has shape {np.shape(params[name])}, expected {expected} "
                             f"(W1 {width}×{INPUTS}, b1 H×1, W2 {OUTPUTS}×H, b2 {OUTPUTS}×1)")
    return hidden


# ---------------------------------------------------------------- the phases

def z1(W1: np.ndarray, X: np.ndarray, b1: np.ndarray) -> np.ndarray:
    return W1 @ X + b1


def a1(Z1: np.ndarray, activation: str = "relu") -> np.ndarray:
    return ACTIVATIONS[activation].g(Z1)


def z2(W2: np.ndarray, A1: np.ndarray, b2: np.ndarray) -> np.ndarray:
    return W2 @ A1 + b2


def softmax(Z2: np.ndarray) -> np.ndarray:
    """Column-wise softmax (over the 10 outputs of each example); the max is subtracted so exp never overflows."""
    exps = np.exp(Z2 - Z2.max(axis=0, keepdims=True))
    return exps / exps.sum(axis=0, keepdims=True)


def dz2(A2: np.ndarray, Y: np.ndarray) -> np.ndarray:
    return A2 - Y


def dw2(dZ2: np.ndarray, A1: np.ndarray) -> np.ndarray:
    return (1 / dZ2.shape[1]) * (dZ2 @ A1.T)


def db2(dZ2: np.ndarray) -> np.ndarray:
    return (1 / dZ2.shape[1]) * dZ2.sum(axis=1, keepdims=True)


def dz1(W2: np.ndarray, dZ2: np.ndarray, Z1: np.ndarray, activation: str = "relu") -> np.ndarray:
    return (W2.T @ dZ2) * ACTIVATIONS[activation].g_prime(Z1)


def dw1(dZ1: np.ndarray, X: np.ndarray) -> np.ndarray:
    return (1 / dZ1.shape[1]) * (dZ1 @ X.T)


def db1(dZ1: np.ndarray) -> np.ndarray:
    return (1 / dZ1.shape[1]) * dZ1.sum(axis=1, keepdims=True)


# ---------------------------------------------------------------- the phase table

@dataclass(frozen=True)
class Phase:
    """One phase of an iteration: what it computes from what, as an equation and in words, in one record."""
    name: str
    direction: str                      # "forward", "backward" or "update"
    compute: Callable[..., np.ndarray] | None   # takes `reads` in order (and g's name if uses_g); None: the update
    reads: tuple[str, ...]              # the arrays it reads
    writes: tuple[str, ...]             # the arrays it writes
    equation: str
    shapes: str                         # the equation with live shapes: {A1} is A1's shape, {A1ᵀ} its transpose's
    meaning: str                        # one sentence for a learner
    uses_g: bool = False                # g or g′ appears in it, so compute also takes the activation's name

    def run(self, arrays: Mapping[str, np.ndarray], activation: str,
            compute: Callable[..., np.ndarray] | None = None) -> np.ndarray:
        """The array this phase writes, computed from `arrays` by its own function (or by `compute`, a
        replacement with the same signature: a fast kernel, or a bug of the bug lab)."""
        compute = compute or self.compute
        if compute is None:
            raise ValueError(f"{self.name!r} is not a computing phase: the update is the optimizer's "
                             f"(core/optimizers.py)")
        operands = [arrays[name] for name in self.reads]
        return compute(*operands, activation) if self.uses_g else compute(*operands)

    def shape_equation(self, shapes: Mapping[str, tuple[int, ...]]) -> str:
        """The equation with the live shapes of its operands, e.g. "(10, 784)·(784, 200) + (10, 1) → (10, 200)"."""
        def shape(match: re.Match) -> str:
            dims = shapes[match.group(1)]
            return "(" + ", ".join(str(n) for n in (reversed(dims) if match.group(2) else dims)) + ")"
        return re.sub(r"\{([A-Za-z0-9]+)(ᵀ?)\}", shape, self.shapes)


PHASE_TABLE: tuple[Phase, ...] = (
    Phase("Z1", "forward", z1, reads=("W1", "X", "b1"), writes=("Z1",),
          equation="Z1 = W1 · X + b1", shapes="{W1}·{X} + {b1} → {Z1}",
          meaning="Each hidden unit takes a weighted sum of all 784 pixels of every example, plus its bias."),
    Phase("A1", "forward", a1, reads=("Z1",), writes=("A1",), uses_g=True,
          equation="A1 = g(Z1)", shapes="g{Z1} → {A1}",
          meaning="The activation keeps what a hidden unit found (ReLU: positive sums pass, negative ones become 0)."),
    Phase("Z2", "forward", z2, reads=("W2", "A1", "b2"), writes=("Z2",),
          equation="Z2 = W2 · A1 + b2", shapes="{W2}·{A1} + {b2} → {Z2}",
          meaning="Each output unit takes a weighted sum of the hidden activations, plus its bias: one score per "
                  "digit."),
    Phase("A2", "forward", softmax, reads=("Z2",), writes=("A2",),
          equation="A2 = softmax(Z2)", shapes="softmax{Z2} → {A2}",
          meaning="Softmax turns the ten scores of each example into probabilities that add up to 1."),
    Phase("dZ2", "backward", dz2, reads=("A2", "Y"), writes=("dZ2",),
          equation="dZ2 = A2 − Y", shapes="{A2} − {Y} → {dZ2}",
          meaning="The output error: predicted probability minus the truth (1 for the right digit, 0 elsewhere)."),
    Phase("dW2", "backward", dw2, reads=("dZ2", "A1"), writes=("dW2",),
          equation="dW2 = 1/m · dZ2 · A1ᵀ", shapes="{dZ2}·{A1ᵀ} → {dW2}",
          meaning="How much each hidden→output weight contributed to the error, averaged over the m examples."),
    Phase("db2", "backward", db2, reads=("dZ2",), writes=("db2",),
          equation="db2 = 1/m · Σⱼ dZ2", shapes="Σⱼ{dZ2} → {db2}",
          meaning="Each output bias moves by its unit's error summed over the examples (one value per row) and "
                  "divided by m."),
    Phase("dZ1", "backward", dz1, reads=("W2", "dZ2", "Z1"), writes=("dZ1",), uses_g=True,
          equation="dZ1 = W2ᵀ · dZ2 ⊙ g′(Z1)", shapes="{W2ᵀ}·{dZ2} ⊙ {Z1} → {dZ1}",
          meaning="The error flows back through W2ᵀ to the hidden units, and only through units the activation "
                  "let pass."),
    Phase("dW1", "backward", dw1, reads=("dZ1", "X"), writes=("dW1",),
          equation="dW1 = 1/m · dZ1 · Xᵀ", shapes="{dZ1}·{Xᵀ} → {dW1}",
          meaning="How much each pixel→hidden weight contributed to the error, averaged over the m examples."),
    Phase("db1", "backward", db1, reads=("dZ1",), writes=("db1",),
          equation="db1 = 1/m · Σⱼ dZ1", shapes="Σⱼ{dZ1} → {db1}",
          meaning="Each hidden bias moves by its unit's error summed over the examples and divided by m."),
    Phase("update", "update", None, reads=("W1", "b1", "W2", "b2", "dW1", "db1", "dW2", "db2"),
          writes=PARAMETERS,
          equation="W ← W − α · dW,  b ← b − α · db", shapes="W1 {W1}, b1 {b1}, W2 {W2}, b2 {b2}",
          meaning="Every weight and bias takes a small step against its gradient: this is where the network learns."),
)

# Everything below is read off the table, for the code that wants one column of it.
PHASE: Mapping[str, Phase] = MappingProxyType({phase.name: phase for phase in PHASE_TABLE})
PHASES: tuple[str, ...] = tuple(PHASE)
COMPUTING_PHASES: tuple[str, ...] = tuple(phase.name for phase in PHASE_TABLE if phase.compute is not None)
FORWARD_PHASES: tuple[str, ...] = tuple(phase.name for phase in PHASE_TABLE if phase.direction == "forward")
BACKWARD_PHASES: tuple[str, ...] = tuple(phase.name for phase in PHASE_TABLE if phase.direction == "backward")
EQUATIONS: Mapping[str, str] = MappingProxyType({phase.name: phase.equation for phase in PHASE_TABLE})
MEANINGS: Mapping[str, str] = MappingProxyType({phase.name: phase.meaning for phase in PHASE_TABLE})
READS: Mapping[str, tuple[str, ...]] = MappingProxyType({phase.name: phase.reads for phase in PHASE_TABLE})
WRITES: Mapping[str, tuple[str, ...]] = MappingProxyType({phase.name: phase.writes for phase in PHASE_TABLE})


def run_phase(phase: str, arrays: Mapping[str, np.ndarray], activation: str) -> np.ndarray:
    """Compute the array a (non-update) phase writes from the arrays it reads."""
    if phase not in PHASE:
        raise ValueError(f"unknown phase {phase!r}: choose one of {', '.join(PHASES)}")
    return PHASE[phase].run(arrays, activation)


def one_hot(labels: np.ndarray, dtype: np.dtype | str = np.float32) -> np.ndarray:
    """Y: 10 x m with Y[label_j, j] = 1."""
    Y = np.zeros((OUTPUTS, labels.size), dtype=dtype)
    Y[labels, np.arange(labels.size)] = 1
    return Y


# ---------------------------------------------------------------- whole passes

def forward(params: Mapping[str, np.ndarray], X: np.ndarray, activation: str = "relu"
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    Z1 = z1(params["W1"], X, params["b1"])
    A1 = a1(Z1, activation)
    Z2 = z2(params["W2"], A1, params["b2"])
    return Z1, A1, Z2, softmax(Z2)


def gradients(params: Mapping[str, np.ndarray], X: np.ndarray, Y: np.ndarray, activation: str = "relu"
              ) -> dict[str, np.ndarray]:
    """All arrays of one forward and backward pass, by phase name (plus X and Y)."""
    arrays = {**params, "X": X, "Y": Y}
    for phase in COMPUTING_PHASES:
        arrays[phase] = run_phase(phase, arrays, activation)
    return arrays


def predictions(A2: np.ndarray) -> np.ndarray:
    """The digit of each column: A2.argmax(axis=0), the first of equal maxima.

    NumPy's argmax along the first axis of a 10 × m array walks it column by column, ~20 times slower than
    these ten row comparisons (3 ms an iteration on 59,000 examples); NaN columns are left to argmax itself.
    """
    top = A2.max(axis=0)
    if np.isnan(top).any():
        return A2.argmax(axis=0)
    digits = np.zeros(A2.shape[1], dtype=np.intp)
    for output in range(A2.shape[0] - 1, 0, -1):      # from the last, so that the first maximum wins
        digits[A2[output] == top] = output
    digits[A2[0] == top] = 0
    return digits


def predict(params: Mapping[str, np.ndarray], X: np.ndarray, activation: str = "relu") -> np.ndarray:
    return predictions(forward(params, X, activation)[3])


def cross_entropy(Z2: np.ndarray, labels: np.ndarray) -> float:
    """Mean −log softmax(Z2)[label] over the examples, via log-sum-exp so it never overflows."""
    top = Z2.max(axis=0)
    log_sum_exp = top + np.log(np.exp(Z2 - top).sum(axis=0))
    return float(np.mean(log_sum_exp - Z2[labels, np.arange(labels.size)]))


def accuracy(A2: np.ndarray, labels: np.ndarray) -> float:
    return float(np.mean(predictions(A2) == labels)) if labels.size else float("nan")
