"""Questions for predict mode: one question about the phase about to be shown, built from its real arrays.

    question_for("A2", arrays, context, rng) → Question
        "Which class will the network predict for example 5?"   A) 7   B) 1   C) 9   D) 4      answer 0, truth "7"

`arrays` are the phase's computed arrays (not yet shown) with the iteration's others, as explain takes them
({**snapshot.arrays, **record.arrays}); an update's record calls the parameters it read W1_before … b2_before.
The kinds, by phase:

    shape       every phase        the array's shape, against its transpose and the m / H / 784 / 10 / 1 swaps
    magnitude   every phase        roughly how big one entry is (an update: one weight's step), as decades
    sign        dZ2, update        dZ2 of the shown example's true class; which way one weight moves, and why
    dead_units  A1 (ReLU, leaky)   which of some hidden units the activation zeroes (shrinks) for the shown example
    prediction  A2                 which class the network predicts for the shown example
    loss        update             whether the batch's loss goes down or up after this update (at any α)

Everything random is drawn from the rng given, so a seed gives the same question; the right answer is computed
from the arrays, never assumed, and the four options are always distinct.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Mapping

import numpy as np

from . import network
from .explain import explain
from .explanation import BEFORE, Context, ExplainError, array_of, symbol
from .numbers import minus, short_number

KINDS: tuple[str, ...] = ("shape", "magnitude", "sign", "dead_units", "prediction", "loss")
LETTERS = "ABCD"
OPTIONS = len(LETTERS)
UNITS_ASKED = 6         # hidden units listed in a dead-units question (all of them when H is smaller)
SUPERSCRIPTS = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


class QuestionError(ExplainError):
    """A phase, a kind or arrays that no question can be built from; the message says which and why."""


@dataclass(frozen=True)
class Question:
    """One multiple-choice question about a phase, with its answer and the entry to highlight."""
    phase: str
    kind: str                                   # one of KINDS
    text: str
    options: tuple[str, ...]                    # four, shown as A–D
    answer: int                                 # the index of the right option, 0–3
    truth: str                                  # the true value, to show with the result: "(10, 64)", "−0.62"
    why: str                                    # one sentence
    highlight: str                              # the array the question is about
    highlight_index: tuple[int, ...] | None     # the entry it is about; None: the whole array

    def __post_init__(self) -> None:
        # A question with a repeated option or no right one would score a learner unfairly: never hand it out.
        if len(self.options) != OPTIONS or len(set(self.options)) != OPTIONS or not 0 <= self.answer < OPTIONS:
            raise QuestionError(f"a {self.kind} question about {self.phase} needs {OPTIONS} distinct options and "
                                f"an answer among them, not {self.options!r} and {self.answer}")

    @property
    def letter(self) -> str:
        """The right option's letter, A–D."""
        return LETTERS[self.answer]


# ---------------------------------------------------------------- reading the arrays

def _array(arrays: Mapping[str, np.ndarray], name: str, phase: str) -> np.ndarray:
    return array_of(name, arrays, f"a question about phase {phase}")


def _sizes(arrays: Mapping[str, np.ndarray], context: Context) -> tuple[int, int | None]:
    """(H, m): the hidden width from W1 (or W1_before), the batch size from context.m or the arrays' columns."""
    W1 = arrays.get("W1_before", arrays.get("W1"))
    hidden = np.shape(W1)[0] if W1 is not None else np.shape(arrays["W2"])[1]
    m = context.m
    for name in ("X", "Y", "Z1", "A1", "Z2", "A2", "dZ2", "dZ1"):
        if m is None and name in arrays:
            m = np.shape(arrays[name])[1]
    return hidden, m


def _column(arrays: Mapping[str, np.ndarray], name: str, context: Context, rng: np.random.Generator) -> int:
    """The shown example's column in the batch, or (when it is not in the batch) one drawn from rng."""
    columns = np.shape(arrays[name])[1]
    if context.example_column is not None and 0 <= context.example_column < columns:
        return context.example_column
    return int(rng.integers(columns))


def _labels(arrays: Mapping[str, np.ndarray], phase: str) -> np.ndarray:
    return _array(arrays, "Y", phase).argmax(axis=0)


def _shuffled(right: str, wrong: list[str], rng: np.random.Generator) -> tuple[tuple[str, ...], int]:
    """The right option and three wrong ones in an order drawn from rng; the right one's index."""
    options = [right, *wrong[:OPTIONS - 1]]
    order = rng.permutation(OPTIONS)
    return tuple(options[i] for i in order), int(np.flatnonzero(order == 0)[0])


def _pick(candidates: list, count: int, rng: np.random.Generator, keep_first: int = 1) -> list:
    """`count` of the candidates: the first keep_first (the likeliest confusions), the rest drawn from rng."""
    kept, rest = candidates[:keep_first], candidates[keep_first:]
    wanted = min(count - len(kept), len(rest))
    drawn = [rest[i] for i in sorted(rng.choice(len(rest), size=wanted, replace=False))] if wanted > 0 else []
    return (kept + drawn)[:count]


def _distinct(items: list, truth: object) -> list:
    """items without repeats and without the truth, in their order."""
    seen, kept = {truth}, []
    for item in items:
        if item not in seen:
            seen.add(item)
            kept.append(item)
    return kept


# ---------------------------------------------------------------- shape

SHAPE_HINTS: Mapping[str, str] = {
    "Z1": "one row per hidden unit, one column per example",
    "A1": "g acts on each entry, so A1 keeps Z1's shape",
    "Z2": "one row per output, one column per example",
    "A2": "softmax works down each column, so A2 keeps Z2's shape",
    "dZ2": "A2 and Y have the same shape, and so has their difference",
    "dW2": "the product sums over the m examples, so the gradient has its weight's shape",
    "db2": "the sum runs along each row (over the examples, axis 1), leaving one value per output",
    "dZ1": "W2ᵀ turns the ten output errors into one per hidden unit, and ⊙ g′(Z1) keeps Z1's shape",
    "dW1": "the product sums over the m examples, so the gradient has W1's shape",
    "db1": "the sum runs along each row (over the examples, axis 1), leaving one value per hidden unit",
    "update": "an update changes values, never shapes",
}


def _shape_text(shape: tuple[int, ...]) -> str:
    return f"({', '.join(str(n) for n in shape)})"


def _shape(phase: str, arrays: Mapping[str, np.ndarray], context: Context, rng: np.random.Generator) -> Question:
    names = network.WRITES[phase]
    name = names[int(rng.integers(len(names)))]
    truth = tuple(_array(arrays, name, phase).shape)
    hidden, m = _sizes(arrays, context)
    sizes = [size for size in (m, hidden, network.INPUTS, network.OUTPUTS, 1) if size is not None]
    rows, cols = truth
    # The confusions learners make, likeliest first: the transpose, then each size swapped for another.
    candidates = [(cols, rows)]
    candidates += [(other, cols) for other in sizes if other != rows] + [(rows, other) for other in sizes
                                                                        if other != cols]
    # Then any pair of the sizes: 784, 10 and 1 alone make nine, so three wrong ones exist whatever m and H are.
    candidates += [(a, b) for a in sizes for b in sizes]
    wrong = _pick(_distinct(candidates, truth), OPTIONS - 1, rng)
    options, answer = _shuffled(_shape_text(truth), [_shape_text(shape) for shape in wrong], rng)
    reads = network.READS[phase] if phase != "update" else (name + BEFORE,)
    operands = ", ".join(f"{read} is {_shape_text(np.shape(arrays[read]))}" for read in reads if read in arrays)
    equation = network.EQUATIONS[phase] if phase != "update" else f"{name} ← {name} − α · …"
    return Question(
        phase, "shape", f"{equation}: what shape will {name} have?", options, answer, _shape_text(truth),
        f"{operands}; {SHAPE_HINTS[phase]}: {name} is {_shape_text(truth)}." if operands else
        f"{SHAPE_HINTS[phase]}: {name} is {_shape_text(truth)}.", name, None)


# ---------------------------------------------------------------- magnitude

def _decade(value: float) -> int:
    """e with 10^e ≤ |value| < 10^(e+1), exact at the powers of ten where log10 rounds."""
    exponent = math.floor(math.log10(abs(value)))
    if 10.0 ** (exponent + 1) <= abs(value):
        exponent += 1
    elif 10.0 ** exponent > abs(value):
        exponent -= 1
    return exponent


def _power(exponent: int) -> str:
    return f"{10.0 ** exponent:.{max(0, -exponent)}f}" if -3 <= exponent <= 3 else "10" + str(exponent).translate(
        SUPERSCRIPTS)


def _decade_text(exponent: int) -> str:
    return f"from {_power(exponent)} to {_power(exponent + 1)}"


def _magnitude(phase: str, arrays: Mapping[str, np.ndarray], context: Context, rng: np.random.Generator
               ) -> Question:
    name, index, value, subject = _magnitude_entry(phase, arrays, context, rng)
    if name is None:
        raise QuestionError(f"every entry phase {phase} writes is 0: there is no size to ask about")
    exponent = _decade(value)
    lowest = exponent - int(rng.integers(OPTIONS))
    decades = [lowest + i for i in range(OPTIONS)]
    options = tuple(_decade_text(decade) for decade in decades)
    explanation = explain(name, index, arrays, context)
    return Question(
        phase, "magnitude", f"Roughly how big will {subject} be, ignoring its sign?", options,
        decades.index(exponent), short_number(value),
        f"{explanation.steps[-1].text}: its size is {_decade_text(exponent)}.", name, index)


def _magnitude_entry(phase: str, arrays: Mapping[str, np.ndarray], context: Context, rng: np.random.Generator
                     ) -> tuple[str | None, tuple[int, ...], float, str]:
    """(array, index, value, what the question calls it): a non-zero entry, of the shown example's column where
    the array has one per example and that column is not all 0 (ReLU can zero a whole example); an update asks
    about one weight's step, new − old."""
    names = list(network.WRITES[phase])
    rng.shuffle(names)
    for name in names:
        array = _array(arrays, name, phase).astype(np.float64)
        if phase == "update":
            array = array - _array(arrays, name + BEFORE, phase)
        entries = []
        if phase in network.FORWARD_PHASES + ("dZ2", "dZ1"):
            column = _column(arrays, name, context, rng)
            entries = [(int(row), column) for row in np.flatnonzero(array[:, column])]
        if not entries:
            entries = [tuple(int(i) for i in entry) for entry in np.argwhere(array != 0)]
        if entries:
            index = entries[int(rng.integers(len(entries)))]
            subject = f"the step of {symbol(name, index)} (new − old)" if phase == "update" else symbol(name, index)
            return name, index, float(array[index]), subject
    return None, (), 0.0, ""


# ---------------------------------------------------------------- sign and direction

def _sign(phase: str, arrays: Mapping[str, np.ndarray], context: Context, rng: np.random.Generator) -> Question:
    return _direction(arrays, context, rng) if phase == "update" else _output_error_sign(arrays, context, rng)


def _output_error_sign(arrays: Mapping[str, np.ndarray], context: Context, rng: np.random.Generator) -> Question:
    dZ2 = _array(arrays, "dZ2", "dZ2")
    column = _column(arrays, "dZ2", context, rng)
    label = int(_labels(arrays, "dZ2")[column])
    # Mostly the true class (always ≤ 0); now and then another class (always ≥ 0), so the sign is not a habit.
    output = label if rng.random() < 0.7 else int(rng.choice([o for o in range(network.OUTPUTS) if o != label]))
    value = float(dZ2[output, column])
    names = context.class_names
    choices = ["positive", "negative", "exactly 0", f"it depends on the other {network.OUTPUTS - 1} outputs"]
    right = 0 if value > 0 else 1 if value < 0 else 2
    options, answer = _shuffled(choices[right], [c for i, c in enumerate(choices) if i != right], rng)
    truth = "1" if output == label else "0"
    return Question(
        "dZ2", "sign", f"Example {column} is a {names[label]}. Will dZ2[{output}, {column}], the error of output "
        f"{names[output]}, be positive or negative?", options, answer, short_number(value),
        f"dZ2 = A2 − Y, A2 is a probability between 0 and 1 and Y[{output}, {column}] = {truth}, so the sign is "
        f"{'never positive' if truth == '1' else 'never negative'} whatever the other outputs: "
        f"here {short_number(value)}.", "dZ2", (output, column))


RULE_QUANTITY: Mapping[str, str] = {"gd": "its gradient", "momentum": "its velocity v", "adam": "its m̂"}


def _direction(arrays: Mapping[str, np.ndarray], context: Context, rng: np.random.Generator) -> Question:
    names = list(network.PARAMETERS)
    rng.shuffle(names)
    for name in names:
        change = _array(arrays, name, "update").astype(np.float64) - _array(arrays, name + BEFORE, "update")
        moved = np.argwhere(change != 0)
        if len(moved):
            break
    else:
        raise QuestionError("no parameter changed in this update: there is no direction to ask about")
    index = tuple(int(i) for i in moved[int(rng.integers(len(moved)))])
    up = change[index] > 0
    quantity = RULE_QUANTITY[context.optimizer]
    choices = [f"up, because {quantity} is negative", f"down, because {quantity} is positive",
               f"up, because {quantity} is positive", f"down, because {quantity} is negative"]
    right = 0 if up else 1
    options, answer = _shuffled(choices[right], [c for i, c in enumerate(choices) if i != right], rng)
    entry = symbol(name, index)
    explanation = explain(name, index, arrays, context)
    return Question(
        "update", "sign", f"Which way will {entry} move in this update, and why?", options, answer,
        f"{'up' if up else 'down'} by {short_number(abs(change[index]))}",
        f"The update subtracts α times {quantity}, so a weight moves against its sign: "
        f"{explanation.steps[-1].text}.", name, index)


# ---------------------------------------------------------------- dead units

def _set_text(units: frozenset[int]) -> str:
    return ", ".join(str(unit) for unit in sorted(units)) if units else "none of them"


def _dead_units(phase: str, arrays: Mapping[str, np.ndarray], context: Context, rng: np.random.Generator
                ) -> Question:
    A1, Z1 = _array(arrays, "A1", "A1"), _array(arrays, "Z1", "A1")
    column = _column(arrays, "A1", context, rng)
    hidden = A1.shape[0]
    asked = sorted(int(u) for u in rng.choice(hidden, size=min(UNITS_ASKED, hidden), replace=False))
    # ReLU gives exactly 0 and leaky ReLU 0.01·Z1 for Z1 ≤ 0: in both, the units whose A1 is not positive.
    truth = frozenset(unit for unit in asked if A1[unit, column] <= 0)
    everything = frozenset(asked)
    toggled = [truth ^ {unit} for unit in rng.permutation(asked).tolist()]
    wrong = _pick(_distinct([everything - truth, *toggled, frozenset(), everything], truth), OPTIONS - 1, rng)
    options, answer = _shuffled(_set_text(truth), [_set_text(units) for units in wrong], rng)
    leaky = context.activation == "leaky_relu"
    verb = "shrink to 0.01 · Z1" if leaky else "set to 0"
    values = ", ".join(f"Z1[{unit}, {column}] = {short_number(Z1[unit, column])}" for unit in asked)
    return Question(
        "A1", "dead_units", f"Which of hidden units {', '.join(map(str, asked))} will "
        f"{'leaky ReLU' if leaky else 'ReLU'} {verb} for example {column}?", options, answer, _set_text(truth),
        f"The activation {verb.replace('set', 'sets').replace('shrink', 'shrinks')} exactly the units whose "
        f"Z1 ≤ 0: {values}.", "A1", None)


# ---------------------------------------------------------------- prediction and loss

def _class_texts(names: tuple[str, ...]) -> list[str]:
    """Class names as options; repeated names (a file's own) get their index, so no two options read the same."""
    return [name if names.count(name) == 1 else f"{index}: {name}" for index, name in enumerate(names)]


def _prediction(phase: str, arrays: Mapping[str, np.ndarray], context: Context, rng: np.random.Generator
                ) -> Question:
    A2, Z2 = _array(arrays, "A2", "A2"), _array(arrays, "Z2", "A2")
    column = _column(arrays, "A2", context, rng)
    predicted = int(np.argmax(A2[:, column]))
    by_probability = [int(o) for o in np.argsort(-A2[:, column], kind="stable")]
    label = int(_labels(arrays, "A2")[column]) if "Y" in arrays else None
    likely = _distinct(([label] if label is not None else []) + by_probability, predicted)
    wrong = _pick(likely, OPTIONS - 1, rng, keep_first=2)
    texts = _class_texts(context.class_names)
    options, answer = _shuffled(texts[predicted], [texts[o] for o in wrong], rng)
    shown = "" if label is None else f" (it is a {context.class_names[label]})"
    return Question(
        "A2", "prediction", f"Which class will the network predict for example {column}{shown}?", options, answer,
        texts[predicted],
        f"Z2[{predicted}, {column}] = {short_number(Z2[predicted, column])} is the largest of the ten scores and "
        f"softmax keeps their order, so A2[{predicted}, {column}] = {short_number(A2[predicted, column])} is the "
        f"largest probability.", "A2", (predicted, column))


def batch_loss(params: Mapping[str, np.ndarray], X: np.ndarray, labels: np.ndarray, activation: str) -> float:
    """The mean cross-entropy of the batch under params; inf when the scores overflow (a huge α).

    The scores are computed in the training dtype, as the network computes them (and overflow where it would);
    the loss from them in float64, so that a step too small for a float32 loss still has a direction."""
    with np.errstate(all="ignore"):
        Z1 = network.z1(params["W1"], X, params["b1"])
        Z2 = network.z2(params["W2"], network.a1(Z1, activation), params["b2"])
        loss = network.cross_entropy(Z2.astype(np.float64), labels)
    return loss if math.isfinite(loss) else math.inf


def distinct_texts(first: float, second: float) -> tuple[str, str]:
    """The two numbers as short_number writes them, or with as many more digits as tell them apart."""
    texts = short_number(first), short_number(second)
    digits = 4
    while texts[0] == texts[1] and first != second and digits <= 17:
        texts = minus(f"{first:.{digits}g}"), minus(f"{second:.{digits}g}")
        digits += 1
    return texts


def _loss(phase: str, arrays: Mapping[str, np.ndarray], context: Context, rng: np.random.Generator) -> Question:
    X, labels = _array(arrays, "X", "update"), _labels(arrays, "update")
    before = batch_loss({name: _array(arrays, name + BEFORE, "update") for name in network.PARAMETERS}, X, labels,
                        context.activation)
    after = batch_loss({name: _array(arrays, name, "update") for name in network.PARAMETERS}, X, labels,
                       context.activation)
    choices = ["it goes down", "it goes up", "it stays exactly the same", "it overflows to infinity"]
    right = 3 if math.isinf(after) else 0 if after < before else 1 if after > before else 2
    options, answer = _shuffled(choices[right], [c for i, c in enumerate(choices) if i != right], rng)
    alpha = minus(f"{context.alpha:g}")
    outcome = {0: "a step against the gradient, small enough, lowers the loss",
               1: f"α = {alpha} is too large: the step overshoots the valley the gradient points into",
               2: "the step is too small to change the loss in this precision",
               3: f"α = {alpha} is so large that the scores overflow"}[right]
    before_text, after_text = distinct_texts(before, after)
    after_text = "∞" if math.isinf(after) else after_text
    return Question(
        "update", "loss", f"After this update with α = {alpha}, will the loss on this batch go down or up?",
        options, answer, f"{before_text} → {after_text}",
        f"The batch's loss is {before_text} before the update and {after_text} after it: {outcome}.",
        "update", None)


# ---------------------------------------------------------------- question_for

_BUILDERS: Mapping[str, Callable[[str, Mapping[str, np.ndarray], Context, np.random.Generator], Question]] = {
    "shape": _shape, "magnitude": _magnitude, "sign": _sign, "dead_units": _dead_units,
    "prediction": _prediction, "loss": _loss,
}


def kinds_for(phase: str, arrays: Mapping[str, np.ndarray], context: Context) -> tuple[str, ...]:
    """The kinds of question phase's arrays can be asked about, in KINDS order."""
    if phase not in network.PHASES:
        raise QuestionError(f"unknown phase {phase!r}: choose one of {', '.join(network.PHASES)}")
    kinds = ["shape"]
    written = [np.asarray(arrays[name]) for name in network.WRITES[phase] if name in arrays]
    if phase == "update":
        changed = [np.asarray(arrays[name]) != np.asarray(arrays[name + BEFORE])
                   for name in network.PARAMETERS if name in arrays and name + BEFORE in arrays]
        if any(change.any() for change in changed):
            kinds += ["magnitude", "sign"]
        if "X" in arrays and "Y" in arrays and len(changed) == len(network.PARAMETERS):
            kinds.append("loss")
        return tuple(kinds)
    if any(array.any() for array in written):
        kinds.append("magnitude")
    if phase == "dZ2" and "Y" in arrays:
        kinds.append("sign")
    if phase == "A1" and context.activation in ("relu", "leaky_relu") and "Z1" in arrays and \
            np.shape(arrays["A1"])[0] >= 2:
        kinds.append("dead_units")
    if phase == "A2" and "Z2" in arrays:
        kinds.append("prediction")
    return tuple(kinds)


def question_for(phase: str, arrays: Mapping[str, np.ndarray], context: Context, rng: np.random.Generator,
                 kind: str | None = None) -> Question:
    """One question about phase from its computed arrays: of the given kind, or of one drawn from rng among
    kinds_for(phase, …). QuestionError (a ValueError) when the kind does not fit the phase or its arrays."""
    kinds = kinds_for(phase, arrays, context)
    if kind is None:
        kind = kinds[int(rng.integers(len(kinds)))]
    elif kind not in kinds:
        raise QuestionError(f"no {kind!r} question fits phase {phase} here: choose one of {', '.join(kinds)}")
    return _BUILDERS[kind](phase, arrays, context, rng)
