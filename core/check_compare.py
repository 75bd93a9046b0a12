"""Check my code, the comparison: the reference's arrays, a learner's result against them, and what it looks like.

Every function of the learner is given the reference's inputs (backward_prop our forward arrays, update_params
our gradients), so one mistake does not cascade into the phases after it. A result is compared in float64 with
a relative tolerance; a differing one is compared with core.buglab's classic mistakes and a few more (a missing
transpose, a missing α, a wrong scale) to say which one it looks like. locate_dz1 says which part of
dZ1 = W2ᵀ · dZ2 ⊙ g′(Z1) is wrong when the output layer's gradients are right and the hidden layer's are not.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np

from . import buglab, data, network
from .check_contract import ALPHA, EXAMPLES, HIDDEN
from .check_report import Finding, shape_text

SEED = 0
LARGEST_KEPT = network.OUTPUTS * network.INPUTS     # entries of an array kept in a finding for display


@dataclass(frozen=True)
class Reference:
    """Our inputs and the float64 results every learner function is compared with."""
    params: dict[str, np.ndarray]
    X: np.ndarray                       # (784, m) pixels / 255
    labels: np.ndarray                  # (m,) int64
    arrays: dict[str, np.ndarray]       # network.gradients: Z1 … db1
    new_params: dict[str, np.ndarray]
    alpha: float = ALPHA

    @property
    def examples(self) -> int:
        return int(self.labels.size)

    def expected(self, phase: str) -> np.ndarray:
        """The reference's value of a phase ("dW1", "new W2") or of a helper ("ReLU_deriv", "get_accuracy")."""
        if phase.startswith("new "):
            return self.new_params[phase[4:]]
        helpers = {
            "ReLU": lambda: self.arrays["A1"],
            "ReLU_deriv": lambda: (self.arrays["Z1"] > 0).astype(np.float64),
            "softmax": lambda: self.arrays["A2"],
            "one_hot": lambda: network.one_hot(self.labels, np.float64),
            "get_predictions": lambda: self.predictions,
            "get_accuracy": lambda: np.asarray(np.mean(self.predictions == self.labels)),
        }
        return helpers[phase]() if phase in helpers else self.arrays[phase]

    @property
    def predictions(self) -> np.ndarray:
        return np.argmax(self.arrays["A2"], axis=0)

    def inputs(self) -> dict[str, np.ndarray]:
        """Every array a learner's function may be given, by the notebook's names (sent to the runner)."""
        return {**self.params, **{name: self.arrays[name] for name in ("Z1", "A1", "Z2", "A2", "dW1", "db1",
                                                                         "dW2", "db2")},
                "X": self.X, "Y": network.one_hot(self.labels, np.float64), "labels": self.labels,
                "predictions": self.predictions, "alpha": np.asarray(self.alpha)}


def make_reference(examples: int = EXAMPLES, seed: int = SEED) -> Reference:
    """`examples` digits of the mnist-sample, and the notebook's uniform init with 10 hidden units, in float64."""
    dataset = data.load("mnist-sample")
    rows = np.random.default_rng(seed).choice(dataset.labels.size, size=examples, replace=False)
    X = dataset.pixels[rows].T.astype(np.float64) / 255.0
    labels = dataset.labels[rows].astype(np.int64)
    params = network.init_params(HIDDEN, "uniform", np.random.default_rng(seed), np.float64)
    arrays = network.gradients(params, X, network.one_hot(labels, np.float64))
    new_params = {name: params[name] - ALPHA * arrays[network.GRADIENT_OF[name]] for name in network.PARAMETERS}
    return Reference(params, X, labels, arrays, new_params)


def close(theirs: np.ndarray, ours: np.ndarray) -> bool:
    if theirs.shape != ours.shape:
        return False
    scale = max(1.0, float(np.abs(ours).max(initial=0.0)))
    with np.errstate(all="ignore"):
        return bool(np.allclose(theirs.astype(np.float64), ours, rtol=1e-6, atol=1e-9 * scale))


def kept(array: np.ndarray | None) -> np.ndarray | None:
    if array is None:
        return None
    if array.size > LARGEST_KEPT and array.ndim == 2:
        array = array[:network.OUTPUTS, :network.INPUTS]
    return np.array(array, dtype=np.float64) if array.size <= LARGEST_KEPT else None


def bug_variants(reference: Reference) -> dict[str, dict[str, np.ndarray]]:
    """For each classic bug of the notebook's functions, the arrays its phases produce from our inputs.

    Backward phases start from OUR forward arrays, as backward_prop is called in the check.
    """
    variants = {}
    for name, bug in buglab.BUGS.items():
        if bug.input_scale != 1.0 or name == "missing_transpose":
            continue        # data loading is not in their functions; dZ1 · X without .T raises in NumPy
        Z1, A1, Z2, A2 = buglab.forward_with_bug(reference.params, reference.X, "relu", bug)
        variant = {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}
        arrays = {**reference.params, "X": reference.X, "Y": network.one_hot(reference.labels, np.float64),
                  **{phase: reference.arrays[phase] for phase in network.FORWARD_PHASES}}
        for phase in network.BACKWARD_PHASES:
            arrays[phase] = buglab.run_phase_with_bug(phase, arrays, "relu", bug)
            variant[phase] = arrays[phase]
        variants[name] = variant
    return variants


def _looks_like_bug(bug: str, phase: str, examples: int) -> str:
    dZ = "dZ2" if phase in ("dW2", "db2") else "dZ1"
    return {
        "db_sum_all": f"np.sum({dZ}) without axis=1: one number for all biases of the layer; "
                      f"write np.sum({dZ}, axis=1, keepdims=True)",
        "missing_1_over_m": f"{phase} without the 1/m: yours is m = {examples} times ours",
        "softmax_wrong_axis": "softmax over axis 1 (the examples): your rows sum to 1, the columns should",
        "missing_g_prime": "dZ1 = W2ᵀ·dZ2 without ⊙ g′(Z1) (for ReLU: * (Z1 > 0))",
    }[bug]


def diagnose(phase: str, theirs: np.ndarray, reference: Reference,
             variants: Mapping[str, Mapping[str, np.ndarray]]) -> str | None:
    """Which mistake `theirs` looks like, if any."""
    ours = reference.expected(phase)
    for bug, variant in variants.items():
        if phase in variant and not close(variant[phase], ours) and close(theirs, variant[phase]):
            return _looks_like_bug(bug, phase, reference.examples)
    if phase == "one_hot" and theirs.shape == ours.T.shape and close(theirs.T, ours):
        return "one row per example: the notebook's one_hot returns one_hot_Y.T, one column per example"
    if phase == "get_predictions" and theirs.shape == (network.OUTPUTS,):
        return "argmax over axis 1 gives one number per digit; np.argmax(A2, 0) gives one per example"
    if theirs.ndim == 2 and theirs.T.shape == ours.shape and close(theirs.T, ours):
        return "the right numbers transposed: check the order of the product (e.g. dZ1 · X.T, not X · dZ1.T)"
    if theirs.size == ours.size and theirs.shape != ours.shape and close(theirs.reshape(ours.shape), ours):
        if theirs.ndim == 1:
            return (f"the right numbers without keepdims=True: shape {shape_text(theirs.shape)} broadcasts against "
                    f"{shape_text(ours.shape)} into a square matrix in the update")
        return "the right numbers in the wrong shape"
    if phase in ("A2", "softmax") and theirs.shape == ours.shape:
        columns_ok = np.allclose(theirs.sum(axis=0), 1.0)
        if not columns_ok and np.allclose(theirs.sum(axis=1), 1.0):
            return _looks_like_bug("softmax_wrong_axis", phase, reference.examples)
        if not columns_ok:
            return "its columns do not sum to 1: not a softmax over each example's ten scores"
    if phase.startswith("new ") and theirs.shape == ours.shape:
        name = phase[4:]
        before, step = reference.params[name], reference.alpha * reference.arrays[network.GRADIENT_OF[name]]
        if close(theirs, before):
            return f"{name} unchanged: update_params returned the weights it was given"
        if close(theirs, before + step):
            return f"{name} + α·d{name}: a step up the gradient; the update subtracts"
        if close(theirs, before - step / reference.alpha):
            return f"{name} − d{name}: the learning rate α is missing"
    factor = scale_factor(theirs, ours)
    if factor is not None and phase == "get_accuracy" and abs(factor - 100) < 1e-9:
        return "a percentage: the reference's accuracy is a fraction between 0 and 1"
    if factor is not None:
        return (f"ours times {factor:.6g}: a wrong scale; if it is 1/m, m should be the number of examples in "
                f"X ({reference.examples}), here it is {reference.examples / factor:,.6g}")
    return None


def scale_factor(theirs: np.ndarray, ours: np.ndarray) -> float | None:
    """f when theirs = f · ours for a constant f other than 0 and 1 (e.g. a wrong m), else None."""
    if theirs.shape != ours.shape or not np.isfinite(theirs).all():
        return None
    norm = float(np.vdot(ours, ours))
    factor = float(np.vdot(theirs.astype(np.float64), ours)) / norm if norm > 0 else 0.0
    return factor if factor not in (0.0, 1.0) and close(theirs, factor * ours) else None


def compare(phase: str, theirs: np.ndarray | str, reference: Reference,
            variants: Mapping[str, Mapping[str, np.ndarray]]) -> Finding:
    ours = reference.expected(phase)
    if isinstance(theirs, str):
        return Finding(phase, "differs", f"yours is {theirs}", ours.shape, expected=kept(ours))
    stored = {"expected_shape": ours.shape, "their_shape": theirs.shape, "expected": kept(ours),
              "theirs": kept(theirs)}
    if theirs.shape != ours.shape:
        # Shapes are checked before values: NumPy would broadcast a () or (10,) db silently.
        return Finding(phase, "shape", f"expected {shape_text(ours.shape)}, yours {shape_text(theirs.shape)}",
                       looks_like=diagnose(phase, theirs, reference, variants), **stored)
    if close(theirs, ours):
        return Finding(phase, "match", expected_shape=ours.shape, their_shape=theirs.shape)
    with np.errstate(all="ignore"):
        difference = np.abs(theirs.astype(np.float64) - ours)
    if not np.isfinite(difference).all():
        where = tuple(int(i) for i in np.argwhere(~np.isfinite(difference))[0])
        return Finding(phase, "differs", f"yours is not finite at {where}", where=where,
                       largest_difference=float("inf"), **stored)
    where = tuple(int(i) for i in np.unravel_index(int(difference.argmax()), difference.shape))
    largest = float(difference.max())
    at = f" at {where}" if where else ""
    return Finding(phase, "differs",
                   f"largest difference {largest:.3g}{at}: yours {float(theirs[where]):.6g}, "
                   f"expected {float(ours[where]):.6g}",
                   largest_difference=largest, where=where,
                   looks_like=diagnose(phase, theirs, reference, variants), **stored)


def init_finding(values: list[np.ndarray | str], count: int | None = None) -> Finding:
    """init_params is checked by the shapes it returns (its numbers are random); `count` values it returned."""
    count = len(values) if count is None else count
    if count != 4 or len(values) != 4:
        return Finding("init_params", "differs", f"returned {count} values, expected 4 (W1, b1, W2, b2)")
    shapes = [value.shape if isinstance(value, np.ndarray) else None for value in values]
    hidden = shapes[0][0] if shapes[0] is not None and len(shapes[0]) == 2 else HIDDEN
    expected = list(network.parameter_shapes(hidden).values())
    wrong = [f"{name} {shape_text(shape)} (expected {shape_text(want)})"
             for name, shape, want in zip(network.PARAMETERS, shapes, expected) if shape != want]
    if wrong:
        return Finding("init_params", "shape", "; ".join(wrong))
    return Finding("init_params", "match", expected_shape=tuple(expected[0]), their_shape=tuple(shapes[0]))


def locate_dz1(reference: Reference, dW1: np.ndarray | None, db1: np.ndarray | None,
               their_relu_deriv: np.ndarray | None, relu_deriv_name: str = "ReLU_deriv") -> str | None:
    """Which part of dZ1 = W2ᵀ · dZ2 ⊙ g′(Z1) gives their dW1 (or db1): the transpose, g′ or their ReLU_deriv."""
    W2, dZ2, Z1, X = (reference.params["W2"], reference.arrays["dZ2"], reference.arrays["Z1"], reference.X)
    m = reference.examples
    right = (Z1 > 0).astype(np.float64)
    transposed = (W2 @ dZ2, "W2 · dZ2 without the transpose: W2 is 10 × 10, so NumPy multiplies it without an "
                            "error, but the error flows back through W2ᵀ — write W2.T.dot(dZ2)")
    candidates = [(transposed[0] * right, transposed[1]),
                  (W2.T @ dZ2, "W2ᵀ · dZ2 without ⊙ g′(Z1): the error also flows back through hidden units "
                               "ReLU switched off — multiply by ReLU_deriv(Z1)")]
    deriv = None if their_relu_deriv is None else np.asarray(their_relu_deriv, dtype=np.float64)
    if deriv is not None and deriv.shape == Z1.shape and not close(deriv, right):
        why = (f"your {relu_deriv_name} differs from g′(Z1) = (Z1 > 0) (see {relu_deriv_name} above): with it, "
               f"dZ1 gives exactly your dW1 and db1 — fix {relu_deriv_name} and dZ1 follows")
        candidates += [(W2.T @ dZ2 * deriv, why), (W2 @ dZ2 * deriv, f"{transposed[1]}; and {why}")]
    for dZ1, why in candidates:
        if dW1 is not None and close(dW1, dZ1 @ X.T / m):
            return why
        if dW1 is None and db1 is not None and (close(db1, dZ1.sum(axis=1, keepdims=True) / m)
                                                or close(db1, np.asarray(dZ1.sum() / m))):
            return why
    return None
