"""What if one hidden unit were switched off, or its weights scaled, or its bias shifted?

An Edit changes a copy of the parameters, never the training state: the window asks "what would the
network predict with unit j switched off?" and gets the answer from one forward pass of the copy.

Switching unit j off removes everything it contributes: its row of W1 and its b1 become 0 (so Z1[j] = 0
and, for ReLU, leaky ReLU and tanh, A1[j] = g(0) = 0), and its column of W2 becomes 0 (so even an
activation with g(0) ≠ 0, the sigmoid, adds nothing to Z2). Z2 is then exactly what it would be with A1[j] = 0.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping

import numpy as np

from . import network

SCALE_RANGE = (0.0, 3.0)
BIAS_SHIFT_RANGE = (-5.0, 5.0)


@dataclass(frozen=True)
class Edit:
    """A change to one hidden unit: off, or W1[j] · scale and b1[j] + bias_shift."""
    off: bool = False
    scale: float = 1.0          # multiplies the unit's incoming weights W1[j]
    bias_shift: float = 0.0     # added to the unit's bias b1[j]

    def __post_init__(self) -> None:
        if not (math.isfinite(self.scale) and SCALE_RANGE[0] <= self.scale <= SCALE_RANGE[1]):
            raise ValueError(f"scale must be from {SCALE_RANGE[0]:g} to {SCALE_RANGE[1]:g}, not {self.scale!r}")
        if not (math.isfinite(self.bias_shift) and BIAS_SHIFT_RANGE[0] <= self.bias_shift <= BIAS_SHIFT_RANGE[1]):
            raise ValueError(f"bias shift must be from {BIAS_SHIFT_RANGE[0]:g} to {BIAS_SHIFT_RANGE[1]:g}, "
                             f"not {self.bias_shift!r}")

    @property
    def changes_nothing(self) -> bool:
        return not self.off and self.scale == 1.0 and self.bias_shift == 0.0

    def describe(self) -> str:
        """A few words for a caption: "off", "weights ×0.5, bias +1"."""
        if self.off:
            return "off"
        parts = []
        if self.scale != 1.0:
            parts.append(f"weights ×{self.scale:g}")
        if self.bias_shift != 0.0:
            parts.append(f"bias {self.bias_shift:+g}")
        return ", ".join(parts) or "unchanged"


def apply_all(params: Mapping[str, np.ndarray], edits: Mapping[int, Edit]) -> dict[str, np.ndarray]:
    """New W1, b1, W2, b2 with every unit's edit applied; the inputs are only read."""
    hidden = network.check_params(params)
    W1, b1, W2, b2 = (np.array(params[name]) for name in network.PARAMETERS)   # copies
    for unit, edit in edits.items():
        if not 0 <= unit < hidden:
            raise IndexError(f"hidden unit {unit} does not exist: the hidden layer has units 0–{hidden - 1}")
        if edit.off:
            W1[unit] = 0
            b1[unit] = 0
            W2[:, unit] = 0
        else:
            W1[unit] *= W1.dtype.type(edit.scale)
            b1[unit] += b1.dtype.type(edit.bias_shift)
    return {"W1": W1, "b1": b1, "W2": W2, "b2": b2}


def apply(params: Mapping[str, np.ndarray], unit: int, edit: Edit) -> dict[str, np.ndarray]:
    """New parameters with hidden unit `unit` edited."""
    return apply_all(params, {unit: edit})


def outcome(params: Mapping[str, np.ndarray], X: np.ndarray, Y_labels: np.ndarray, activation: str = "relu"
            ) -> tuple[np.ndarray, float]:
    """The class predicted for each column of X, and the share of them equal to Y_labels (NaN for none)."""
    with np.errstate(all="ignore"):     # huge edited weights may overflow; a NaN column predicts class 0
        A2 = network.forward(params, X, activation)[3]
    A2 = np.nan_to_num(A2, nan=0.0)
    return A2.argmax(axis=0), network.accuracy(A2, Y_labels)


def knockout_accuracies(params: Mapping[str, np.ndarray], X: np.ndarray, Y_labels: np.ndarray,
                        activation: str = "relu") -> np.ndarray:
    """(H,) the accuracy on X with each hidden unit switched off in turn (the others untouched).

    One forward pass, then per unit Z2 − W2[:, j] · A1[j]: the same Z2 as apply(params, j, Edit(off=True))
    gives, without H more passes over X.
    """
    with np.errstate(all="ignore"):
        _, A1, Z2, _ = network.forward(params, X, activation)
    W2 = params["W2"]
    accuracies = np.empty(A1.shape[0])
    for unit in range(A1.shape[0]):
        without = Z2 - np.outer(W2[:, unit], A1[unit])
        accuracies[unit] = float(np.mean(np.nan_to_num(without, nan=0.0).argmax(axis=0) == Y_labels)) \
            if Y_labels.size else float("nan")
    return accuracies
