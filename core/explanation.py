"""What an explanation is made of: the context it needs, its terms, sums, steps and result, and the helpers that
write and check them (core/explain.py explains the forward pass and backpropagation, core/explain_update.py the
optimizers' rules).

Numbers are written by core/numbers.short_number, as the window writes them; an index as the equations do, with
the sum's own letter: k for the 784 pixels, j for the m examples of the batch, h for the H hidden units, o for
the ten outputs.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Callable, Mapping

import numpy as np

from . import network, optimizers
from .config import DTYPES
from .data import DIGIT_NAMES
from .numbers import short_number

BEFORE = "_before"      # the update's record names the parameters it read W1_before … (core/stepper.py)
NAMED = 3               # contributions named in each direction: the largest positive ones, the most negative ones
IMAGE_SIDE = math.isqrt(network.INPUTS)     # the 784 inputs are a 28 × 28 image, row by row

INPUT_NAMES: tuple[str, ...] = ("X", "Y")
COMPUTED_NAMES: tuple[str, ...] = tuple(phase for phase in network.PHASES if phase != "update")
BEFORE_NAMES: tuple[str, ...] = tuple(name + BEFORE for name in network.PARAMETERS)
EXPLAINED_NAMES: tuple[str, ...] = INPUT_NAMES + network.PARAMETERS + COMPUTED_NAMES + BEFORE_NAMES


class ExplainError(ValueError):
    """A name, an index or a context that does not fit the arrays; the message says which and what would."""


# ---------------------------------------------------------------- the data an explanation is made of

@dataclass(frozen=True)
class Context:
    """What the arithmetic needs beyond the arrays: the run's settings at the iteration shown."""
    activation: str = "relu"                    # g in A1 = g(Z1)
    optimizer: str = "gd"
    alpha: float = 0.1                          # the learning rate of this iteration's update
    # The optimizer's memory before this iteration's update (TrainingState.optimizer): v_W1 …, m_W1 …, t.
    optimizer_state: Mapping[str, np.ndarray] = field(default_factory=lambda: MappingProxyType({}))
    m: int | None = None                        # examples in the batch; None: as many as the arrays' columns
    class_names: tuple[str, ...] = DIGIT_NAMES
    dtype: str = "float32"                      # the training dtype: its rounding is what `tolerance` allows
    example_column: int | None = None           # the shown example's column in the batch (predict mode's questions)

    def __post_init__(self) -> None:
        if self.activation not in network.ACTIVATIONS:
            raise ExplainError(f"context.activation {self.activation!r} is unknown: "
                               f"choose one of {', '.join(network.ACTIVATIONS)}")
        if self.optimizer not in optimizers.OPTIMIZERS:
            raise ExplainError(f"context.optimizer {self.optimizer!r} is unknown: "
                               f"choose one of {', '.join(optimizers.OPTIMIZERS)}")
        if isinstance(self.alpha, bool) or not isinstance(self.alpha, (int, float, np.floating)) \
                or not (math.isfinite(self.alpha) and self.alpha > 0):
            raise ExplainError(f"context.alpha must be a positive number, not {self.alpha!r}")
        if self.dtype not in DTYPES:
            raise ExplainError(f"context.dtype must be one of {', '.join(DTYPES)}, not {self.dtype!r}")
        if len(self.class_names) != network.OUTPUTS:
            raise ExplainError(f"context.class_names has {len(self.class_names)} names; "
                               f"the network has {network.OUTPUTS} outputs")
        if self.m is not None and self.m < 1:
            raise ExplainError(f"context.m must be at least 1, not {self.m}")


@dataclass(frozen=True)
class Term:
    """A named number the arithmetic reads: b1[3] = 0.12."""
    symbol: str
    value: float

    @property
    def text(self) -> str:
        return f"{self.symbol} = {short_number(self.value)}"


@dataclass(frozen=True)
class Contribution:
    """One summand of a sum, named by what it runs over."""
    position: int                   # k (a pixel), j (an example of the batch), h (a hidden unit) or o (an output)
    label: str                      # "pixel 341 (row 12, column 5)", "example 3 (label 7)", "hidden unit 4"
    factors: tuple[Term, ...]       # the two numbers multiplied (one for a plain sum)
    value: float


@dataclass(frozen=True)
class Products:
    """A sum over one index: Σₖ W1[3, k] · X[k, 17] — every summand, their total and the largest ones named."""
    formula: str                    # "Σₖ W1[3, k] · X[k, 17]"
    over: str                       # "the 784 pixels k"
    # Arrays are left out of == (NumPy's == is elementwise) and of repr; `total` and the named ones stand for them.
    left: np.ndarray = field(repr=False, compare=False)         # the first factor of every summand (float64)
    right: np.ndarray | None = field(repr=False, compare=False)  # the second factor; None: a plain sum of `left`
    values: np.ndarray = field(repr=False, compare=False)       # the summands, left · right (read-only)
    total: float                    # their sum, correctly rounded (math.fsum)
    largest: tuple[Contribution, ...]               # the largest positive summands, largest first
    most_negative: tuple[Contribution, ...]         # the most negative summands, most negative first
    grid: tuple[int, int] | None = None             # (28, 28) when the index runs over an image's pixels

    def contribution_map(self) -> np.ndarray | None:
        """The summands as an image (weight row × input image), or None when they are not over pixels."""
        return None if self.grid is None else self.values.reshape(self.grid)


@dataclass(frozen=True)
class Step:
    """One line of the arithmetic with its numbers: "Z1[3, 17] = 1.23 + 0.12 = 1.35"."""
    text: str
    value: float


@dataclass(frozen=True)
class Explanation:
    """The arithmetic behind arrays[name][index], in the phase's own terms and the window's digits."""
    name: str
    index: tuple[int, ...]
    symbol: str                     # "Z1[3, 17]" (a column vector's element is written b1[3])
    phase: str | None               # the phase that computed it; None for an input or a parameter it reads
    equation: str                   # the phase's equation, "Z1 = W1 · X + b1"
    formula: str                    # the equation at this index, "Z1[3, 17] = Σₖ W1[3, k] · X[k, 17] + b1[3]"
    terms: tuple[Term, ...]         # the single numbers the formula reads
    products: tuple[Products, ...]  # the sums it adds up
    steps: tuple[Step, ...]         # the arithmetic, line by line; the last line's value is `computed`
    result: np.generic              # the array's element itself
    computed: float                 # the shown arithmetic done again in float64
    tolerance: float                # how far the rounding of the array's dtype can put result from computed
    note: str                       # what the number means, in one or two sentences

    @property
    def result_text(self) -> str:
        return short_number(self.result)


# ---------------------------------------------------------------- writing and checking

def symbol(name: str, index: tuple[int, ...]) -> str:
    """Z1[3, 17]; an element of a bias (of its gradient, of its optimizer memory v_b1) is written b1[3]."""
    base = name.removesuffix(BEFORE).rpartition("_")[2].removeprefix("d")
    if len(index) == 2 and index[1] == 0 and base in ("b1", "b2"):
        return f"{name}[{index[0]}]"
    return f"{name}[{', '.join(str(i) for i in index)}]"


def plus(left: str, value: float) -> str:
    """"left + 0.12" or "left − 0.12": a negative term is subtracted, not added in parentheses."""
    text = short_number(value)
    return f"{left} − {text[1:]}" if text.startswith("−") else f"{left} + {text}"


def times(value: float) -> str:
    """A factor after "·": a negative one in parentheses."""
    text = short_number(value)
    return f"({text})" if text.startswith("−") else text


def pixel_label(k: int) -> str:
    return f"pixel {k} (row {k // IMAGE_SIDE}, column {k % IMAGE_SIDE})"


def rounding(dtype: np.dtype | str, operations: float, magnitude: float, underflow: bool = True) -> float:
    """The most that `operations` roundings in dtype can move a result computed from numbers of this magnitude
    (the sum of their absolute values), plus (with underflow) the smallest normal number, for results so small
    that they lose digits."""
    info = np.finfo(dtype)
    return float((operations + 4) * info.eps * magnitude + (info.tiny if underflow else 0.0))


def array_of(name: str, arrays: Mapping[str, np.ndarray], wanted_for: str | None = None) -> np.ndarray:
    """arrays[name] as an array; ExplainError naming what is missing, what wanted it and what the arrays hold."""
    if name not in arrays:
        held = ", ".join(sorted(arrays)) or "nothing"
        why = f" for {wanted_for}" if wanted_for else ""
        raise ExplainError(f"{name} is needed{why} but the arrays hold only {held}")
    return np.asarray(arrays[name])


def operand(name: str, arrays: Mapping[str, np.ndarray], wanted_for: str) -> np.ndarray:
    """An array a forward or backward phase read: a parameter as it was before the update when the arrays hold
    the update too (then W1 is the new W1 and W1_before the one the phases read)."""
    if name in network.PARAMETERS and name + BEFORE in arrays:
        return array_of(name + BEFORE, arrays, wanted_for)
    return array_of(name, arrays, wanted_for)


def checked_index(name: str, index: object, shape: tuple[int, ...]) -> tuple[int, ...]:
    if isinstance(index, (int, np.integer)) or not isinstance(index, (tuple, list)):
        raise ExplainError(f"the index of {name} must be a tuple of {len(shape)} whole numbers, not {index!r}")
    if len(index) != len(shape) or not all(isinstance(i, (int, np.integer)) and not isinstance(i, bool)
                                           for i in index):
        raise ExplainError(f"the index of {name} must be {len(shape)} whole numbers for its shape {shape}, "
                           f"not {tuple(index)!r}")
    for axis, (i, size) in enumerate(zip(index, shape)):
        if not 0 <= i < size:
            raise ExplainError(f"index {tuple(int(i) for i in index)} is outside {name}, whose shape is {shape}: "
                               f"axis {axis} runs from 0 to {size - 1}")
    return tuple(int(i) for i in index)


def examples_in(array: np.ndarray, name: str, context: Context) -> int:
    """m, the examples in the batch: the array's columns, which context.m (when given) must agree with."""
    m = array.shape[1]
    if context.m is not None and context.m != m:
        raise ExplainError(f"context.m is {context.m} but {name} has {m} columns (examples)")
    return m


def labels_of(arrays: Mapping[str, np.ndarray]) -> np.ndarray | None:
    """The label of each column of the batch, read from the one-hot Y (None without Y)."""
    return np.asarray(arrays["Y"]).argmax(axis=0) if "Y" in arrays else None


def read_only(values: np.ndarray) -> np.ndarray:
    values = np.array(values, dtype=np.float64)
    values.flags.writeable = False
    return values


def summed(formula: str, over: str, left: np.ndarray, right: np.ndarray | None, describe: Callable[[int], str],
           factor_symbols: Callable[[int], tuple[str, ...]], grid: tuple[int, int] | None = None) -> Products:
    """The sum over one index of left (· right), with the NAMED largest and most negative summands named."""
    left = read_only(left)
    right = None if right is None else read_only(right)
    values = read_only(left if right is None else left * right)     # exact in float64 for float32 factors

    def named(position: int) -> Contribution:
        factors = (left[position],) if right is None else (left[position], right[position])
        terms = tuple(Term(s, float(v)) for s, v in zip(factor_symbols(position), factors))
        return Contribution(position, describe(position), terms, float(values[position]))

    order = np.argsort(-values, kind="stable")
    largest = tuple(named(int(p)) for p in order[:NAMED] if values[p] > 0)
    most_negative = tuple(named(int(p)) for p in order[::-1][:NAMED] if values[p] < 0)
    return Products(formula, over, left, right, values, math.fsum(values.tolist()), largest, most_negative, grid)


def magnitude(addition: Products) -> float:
    """The sum of the summands' absolute values: the scale their rounding errors are relative to."""
    return math.fsum(np.abs(addition.values).tolist())


