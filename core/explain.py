"""Explain any number: the arithmetic that produced one element of one array of an iteration.

    explain("Z1", (3, 17), arrays, context) → Explanation
        Z1[3, 17] = Σₖ W1[3, k] · X[k, 17] + b1[3]
        Σₖ W1[3, k] · X[k, 17] = 1.23          (the 784 products, also as a 28 × 28 contribution map)
        Z1[3, 17] = 1.23 + 0.12 = 1.35

`arrays` is what the window holds at a phase: a PhaseRecord's arrays, or the snapshot's arrays with the record's
on top ({**snapshot.arrays, **snapshot.record.arrays}). At the update the record calls the parameters it read
W1_before … b2_before and the new ones W1 … b2; wherever W1_before is absent, W1 is the parameter the forward
pass reads. An Explanation is plain data a panel lays out and a test checks: its `result` is the array's element
itself, and `computed` is its arithmetic done again in float64 on the terms it shows, within `tolerance` (the
rounding of the array's dtype) of `result`. The optimizers' rules are in core/explain_update.py.
"""
from __future__ import annotations

from typing import Callable, Mapping

import numpy as np

from . import network, optimizers
from .explain_update import explain_update
from .explanation import (BEFORE, EXPLAINED_NAMES, IMAGE_SIDE, Context, ExplainError, Explanation, Step, Term,
                          array_of, checked_index, examples_in, labels_of, magnitude, operand, pixel_label, plus,
                          rounding, summed, symbol, times)
from .numbers import short_number

# Context, Explanation and ExplainError are imported from here by the window and predict mode.
__all__ = ["Context", "ExplainError", "Explanation", "explain"]

SUBSCRIPTS = {"k": "ₖ", "h": "ₕ"}      # the index a layer's sum runs over: pixels k, hidden units h


# ---------------------------------------------------------------- the forward pass

def _layer_sum(name: str, index: tuple[int, ...], arrays: Mapping[str, np.ndarray], context: Context,
               letter: str, over: str, describe: Callable[[int], str], grid: tuple[int, int] | None = None) -> dict:
    """Z1[i, j] = Σₖ W1[i, k] · X[k, j] + b1[i] and Z2[o, j] = Σₕ W2[o, h] · A1[h, j] + b2[o]: a row of weights
    times a column of inputs, plus a bias."""
    row, j = index
    weight_name, input_name, bias_name = network.READS[name]
    weights, inputs, biases = (operand(read, arrays, name) for read in network.READS[name])
    bias = float(biases[row, 0])
    sum_formula = f"Σ{SUBSCRIPTS[letter]} {weight_name}[{row}, {letter}] · {input_name}[{letter}, {j}]"
    addition = summed(sum_formula, over, weights[row, :], inputs[:, j], describe,
                      lambda p: (f"{weight_name}[{row}, {p}]", f"{input_name}[{p}, {j}]"), grid)
    computed = addition.total + bias
    return dict(
        formula=f"{name}[{row}, {j}] = {sum_formula} + {bias_name}[{row}]",
        terms=(Term(f"{bias_name}[{row}]", bias),), products=(addition,),
        steps=(Step(f"{sum_formula} = {short_number(addition.total)}", addition.total),
               Step(f"{name}[{row}, {j}] = {plus(short_number(addition.total), bias)} = {short_number(computed)}",
                    computed)),
        computed=computed, tolerance=rounding(context.dtype, weights.shape[1] + 1, magnitude(addition) + abs(bias)))


def _z1(name: str, index: tuple[int, ...], arrays: Mapping[str, np.ndarray], context: Context) -> dict:
    i, j = index
    parts = _layer_sum(name, index, arrays, context, "k", f"the {network.INPUTS} pixels k", pixel_label,
                       grid=(IMAGE_SIDE, IMAGE_SIDE))
    return dict(parts, note=f"Hidden unit {i} weighs every pixel of example {j} by its weight and adds its bias: "
                            f"the map shows each pixel's product, the largest positive ones push Z1 up.")


def _activation(derivative: bool, z_symbol: str, z: float, context: Context) -> tuple[float, str]:
    """g(z) or g′(z) in float64 by the activation's own functions, and the line that shows it."""
    activation = network.ACTIVATIONS[context.activation]
    argument = np.array([z], dtype=np.float64)
    if not derivative:
        value = float(activation.g(argument)[0])
        return value, f"g({z_symbol}) = {activation.formula.replace('z', times(z))} = {short_number(value)}"
    value = float(activation.g_prime(argument)[0])
    line = f"g′({z_symbol}) = g′({short_number(z)}) = {short_number(value)}"
    if context.activation in ("relu", "leaky_relu"):
        line += " because Z1 > 0: the unit was on" if z > 0 else " because Z1 ≤ 0: the unit was off"
    return value, line


def _a1(name: str, index: tuple[int, ...], arrays: Mapping[str, np.ndarray], context: Context) -> dict:
    i, j = index
    z = float(array_of("Z1", arrays, "A1")[i, j])
    computed, line = _activation(False, f"Z1[{i}, {j}]", z, context)
    formula_text = network.ACTIVATIONS[context.activation].formula
    # g is one operation on one number; a sigmoid's 1 + tanh(z/2) rounds at the scale of 1, not of z.
    return dict(
        formula=f"A1[{i}, {j}] = g(Z1[{i}, {j}]),  g(z) = {formula_text} ({context.activation})",
        terms=(Term(f"Z1[{i}, {j}]", z),), products=(),
        steps=(Step(f"A1[{i}, {j}] = {line}", computed),),
        computed=computed, tolerance=rounding(context.dtype, 4, max(abs(z), 1.0)),
        note="The activation decides what hidden unit passes on: " + network.MEANINGS["A1"].split(" (")[0] + ".")


def _z2(name: str, index: tuple[int, ...], arrays: Mapping[str, np.ndarray], context: Context) -> dict:
    c, j = index
    hidden = np.shape(operand("W2", arrays, name))[1]
    parts = _layer_sum(name, index, arrays, context, "h", f"the {hidden} hidden units h", lambda h: f"hidden unit {h}")
    return dict(parts, note=f"The score of output {context.class_names[c]} for example {j}: every hidden unit's "
                            f"activation weighed by its weight into this output, plus the output's bias.")


def _a2(name: str, index: tuple[int, ...], arrays: Mapping[str, np.ndarray], context: Context) -> dict:
    c, j = index
    scores = np.array(array_of("Z2", arrays, "A2")[:, j], dtype=np.float64)
    top_class = int(scores.argmax())
    top = float(scores[top_class])
    shifted = scores - top
    exps = np.exp(shifted)
    addition = summed(f"Σₒ exp(Z2[o, {j}] − {short_number(top)})", f"the {network.OUTPUTS} outputs o", exps, None,
                      lambda o: f"output {context.class_names[o]}",
                      lambda o: (f"exp(Z2[{o}, {j}] − {short_number(top)})",))
    computed = float(exps[c]) / addition.total
    # exp's argument rounds at the scale of the largest difference from the max, which the exp magnifies.
    spread = float(np.max(np.abs(shifted)))
    return dict(
        formula=f"A2[{c}, {j}] = exp(Z2[{c}, {j}] − max) / Σₒ exp(Z2[o, {j}] − max),  "
                f"max = Z2[{top_class}, {j}]",
        terms=tuple(Term(f"Z2[{o}, {j}]", float(scores[o])) for o in range(scores.size)),
        products=(addition,),
        steps=(Step(f"max = Z2[{top_class}, {j}] = {short_number(top)}", top),
               Step(f"exp(Z2[{c}, {j}] − max) = exp({plus(short_number(scores[c]), -top)}) = "
                    f"{short_number(exps[c])}", float(exps[c])),
               Step(f"{addition.formula} = {short_number(addition.total)}", addition.total),
               Step(f"A2[{c}, {j}] = {short_number(exps[c])} / {short_number(addition.total)} = "
                    f"{short_number(computed)}", computed)),
        computed=computed, tolerance=rounding(context.dtype, 2 * network.OUTPUTS + 2 * spread, abs(computed)),
        note=f"The probability the network gives output {context.class_names[c]} for example {j}. Subtracting the "
             f"largest score first changes nothing (it cancels in the division) but keeps exp from overflowing.")


# ---------------------------------------------------------------- backpropagation

def _example_label(labels: np.ndarray | None, context: Context) -> Callable[[int], str]:
    if labels is None:
        return lambda j: f"example {j}"
    return lambda j: f"example {j} (label {context.class_names[int(labels[j])]})"


def _dz2(name: str, index: tuple[int, ...], arrays: Mapping[str, np.ndarray], context: Context) -> dict:
    c, j = index
    probability = float(array_of("A2", arrays, "dZ2")[c, j])
    truth = float(array_of("Y", arrays, "dZ2")[c, j])
    computed = probability - truth
    label = context.class_names[int(np.asarray(arrays["Y"])[:, j].argmax())]
    is_label = "is" if truth == 1 else "is not"
    return dict(
        formula=f"dZ2[{c}, {j}] = A2[{c}, {j}] − Y[{c}, {j}]",
        terms=(Term(f"A2[{c}, {j}]", probability), Term(f"Y[{c}, {j}]", truth)), products=(),
        steps=(Step(f"dZ2[{c}, {j}] = {short_number(probability)} − {short_number(truth)} = "
                    f"{short_number(computed)}", computed),),
        computed=computed, tolerance=rounding(context.dtype, 1, abs(probability) + abs(truth)),
        note=f"Example {j} is a {label}, so output {context.class_names[c]} {is_label} the right answer "
             f"(Y = {short_number(truth)}): the error is the probability given minus the truth.")


def _weight_gradient(name: str, index: tuple[int, ...], arrays: Mapping[str, np.ndarray], context: Context) -> dict:
    """dW2[o, h] = 1/m · Σⱼ dZ2[o, j] · A1[h, j] and dW1[h, k] = 1/m · Σⱼ dZ1[h, j] · X[k, j]."""
    row, col = index
    error_name, input_name = network.READS[name]
    error, inputs = array_of(error_name, arrays, name), array_of(input_name, arrays, name)
    m = examples_in(error, error_name, context)
    addition = summed(f"Σⱼ {error_name}[{row}, j] · {input_name}[{col}, j]", f"the {m} examples j",
                      error[row, :], inputs[col, :], _example_label(labels_of(arrays), context),
                      lambda j: (f"{error_name}[{row}, {j}]", f"{input_name}[{col}, {j}]"))
    computed = addition.total / m
    what = (f"the weight from pixel {col} (row {col // IMAGE_SIDE}, column {col % IMAGE_SIDE}) into hidden unit {row}"
            if name == "dW1" else f"the weight from hidden unit {col} into output {context.class_names[row]}")
    return dict(
        formula=f"{name}[{row}, {col}] = 1/m · Σⱼ {error_name}[{row}, j] · {input_name}[{col}, j],  m = {m}",
        terms=(), products=(addition,),
        steps=(Step(f"{addition.formula} = {short_number(addition.total)}", addition.total),
               Step(f"{name}[{row}, {col}] = {short_number(addition.total)} / {m} = {short_number(computed)}",
                    computed)),
        computed=computed, tolerance=rounding(context.dtype, m + 1, magnitude(addition) / m),
        note=f"How much {what} added to the error, averaged over the batch: each example's error at the unit times "
             f"what came into the weight; the examples named contributed most.")


def _bias_gradient(name: str, index: tuple[int, ...], arrays: Mapping[str, np.ndarray], context: Context) -> dict:
    """db2[o] = 1/m · Σⱼ dZ2[o, j] and db1[h] = 1/m · Σⱼ dZ1[h, j]."""
    row = index[0]
    (error_name,) = network.READS[name]
    error = array_of(error_name, arrays, name)
    m = examples_in(error, error_name, context)
    addition = summed(f"Σⱼ {error_name}[{row}, j]", f"the {m} examples j", error[row, :], None,
                      _example_label(labels_of(arrays), context), lambda j: (f"{error_name}[{row}, {j}]",))
    computed = addition.total / m
    return dict(
        formula=f"{name}[{row}] = 1/m · Σⱼ {error_name}[{row}, j],  m = {m}",
        terms=(), products=(addition,),
        steps=(Step(f"{addition.formula} = {short_number(addition.total)}", addition.total),
               Step(f"{name}[{row}] = {short_number(addition.total)} / {m} = {short_number(computed)}", computed)),
        computed=computed, tolerance=rounding(context.dtype, m + 1, magnitude(addition) / m),
        note="A bias adds the same to every example, so its gradient is the unit's error summed over the batch's "
             "examples (along the row, axis 1) and divided by m.")


def _dz1(name: str, index: tuple[int, ...], arrays: Mapping[str, np.ndarray], context: Context) -> dict:
    h, j = index
    W2, dZ2, Z1 = (operand(operand_name, arrays, "dZ1") for operand_name in ("W2", "dZ2", "Z1"))
    addition = summed(f"Σₒ W2[o, {h}] · dZ2[o, {j}]", f"the {network.OUTPUTS} outputs o", W2[:, h], dZ2[:, j],
                      lambda o: f"output {context.class_names[o]}", lambda o: (f"W2[{o}, {h}]", f"dZ2[{o}, {j}]"))
    z = float(Z1[h, j])
    slope, line = _activation(True, f"Z1[{h}, {j}]", z, context)
    computed = addition.total * slope
    # g′ itself rounds at the scale of 1 (s·(1 − s), 1 − tanh²), which the sum then multiplies.
    tolerance = (rounding(context.dtype, network.OUTPUTS + 1, magnitude(addition) * abs(slope))
                 + rounding(context.dtype, 0, abs(addition.total)))
    return dict(
        formula=f"dZ1[{h}, {j}] = (W2ᵀ · dZ2)[{h}, {j}] · g′(Z1[{h}, {j}]) "
                f"= Σₒ W2[o, {h}] · dZ2[o, {j}] · g′(Z1[{h}, {j}])",
        terms=(Term(f"Z1[{h}, {j}]", z), Term(f"g′(Z1[{h}, {j}])", slope)), products=(addition,),
        steps=(Step(f"(W2ᵀ · dZ2)[{h}, {j}] = {addition.formula} = {short_number(addition.total)}", addition.total),
               Step(line, slope),
               Step(f"dZ1[{h}, {j}] = {short_number(addition.total)} · {times(slope)} = {short_number(computed)}",
                    computed)),
        computed=computed, tolerance=tolerance,
        note=f"The output errors of example {j} flow back to hidden unit {h} along its ten outgoing weights "
             f"(row {h} of W2ᵀ), then through the slope of the activation at the unit's Z1.")


# ---------------------------------------------------------------- what the phases read

def _x(name: str, index: tuple[int, ...], arrays: Mapping[str, np.ndarray], context: Context) -> dict:
    k, j = index
    value = float(np.asarray(arrays["X"])[k, j])
    grey = value * 255
    if abs(grey - round(grey)) < 1e-3 and 0 <= round(grey) <= 255:     # a byte of the image file, scaled
        computed = round(grey) / 255
        steps = (Step(f"X[{k}, {j}] = {round(grey)} / 255 = {short_number(computed)}", computed),)
    else:
        computed = value
        steps = (Step(f"X[{k}, {j}] = {short_number(value)}", value),)
    return dict(
        formula=f"X[{k}, {j}] = {pixel_label(k)} of example {j} / 255", terms=(), products=(), steps=steps,
        computed=computed, tolerance=rounding(context.dtype, 1, abs(computed)),
        note="An input: the brightness of one pixel of one example of the batch, scaled from 0–255 to 0–1. "
             "Examples are the columns of X, pixels its rows.")


def _y(name: str, index: tuple[int, ...], arrays: Mapping[str, np.ndarray], context: Context) -> dict:
    c, j = index
    label = int(np.asarray(arrays["Y"])[:, j].argmax())
    computed = 1.0 if c == label else 0.0
    return dict(
        formula=f"Y[{c}, {j}] = 1 if example {j}'s label is {context.class_names[c]}, else 0",
        terms=(), products=(),
        steps=(Step(f"Y[{c}, {j}] = {short_number(computed)} (example {j} is a {context.class_names[label]})",
                    computed),),
        computed=computed, tolerance=0.0,
        note="The truth, one-hot: each column of Y has a single 1, in the row of the example's label.")


def _parameter(name: str, index: tuple[int, ...], arrays: Mapping[str, np.ndarray], context: Context) -> dict:
    parameter = name.removesuffix(BEFORE)
    value = float(np.asarray(arrays[name])[index])
    row, col = index
    where = {"W1": f"the weight from {pixel_label(col)} into hidden unit {row}",
             "b1": f"the bias of hidden unit {row}",
             "W2": f"the weight from hidden unit {col} into output {context.class_names[row]}",
             "b2": f"the bias of output {context.class_names[row]}"}[parameter]
    when = "before this iteration's update" if name.endswith(BEFORE) else "as the forward pass reads it"
    return dict(
        formula=f"{symbol(name, index)}: {where}", terms=(), products=(),
        steps=(Step(f"{symbol(name, index)} = {short_number(value)}", value),),
        computed=value, tolerance=0.0,
        note=f"A parameter, {when}: the value the last update left (or the initial draw, before the first).")


# ---------------------------------------------------------------- explain

Explainer = Callable[[str, tuple[int, ...], Mapping[str, np.ndarray], Context], dict]
_EXPLAINERS: Mapping[str, Explainer] = {
    "X": _x, "Y": _y, "Z1": _z1, "A1": _a1, "Z2": _z2, "A2": _a2, "dZ2": _dz2, "dW2": _weight_gradient,
    "db2": _bias_gradient, "dZ1": _dz1, "dW1": _weight_gradient, "db1": _bias_gradient,
}
INPUT_EQUATIONS: Mapping[str, str] = {
    "X": "X = the batch's pixels / 255, one example per column",
    "Y": "Y = the batch's labels, one-hot, one example per column",
}


def explain(name: str, index: tuple[int, ...], arrays: Mapping[str, np.ndarray], context: Context) -> Explanation:
    """The arithmetic behind arrays[name][index]; ExplainError (a ValueError) for a name, an index or arrays that
    do not fit."""
    if name not in EXPLAINED_NAMES:
        raise ExplainError(f"cannot explain {name!r}: choose one of {', '.join(EXPLAINED_NAMES)}")
    array = array_of(name, arrays)
    if array.dtype != np.dtype(context.dtype):
        raise ExplainError(f"{name} is {array.dtype} but context.dtype is {context.dtype}")
    index = checked_index(name, index, array.shape)
    if name in INPUT_EQUATIONS:
        phase, equation, parts = None, INPUT_EQUATIONS[name], _EXPLAINERS[name](name, index, arrays, context)
    elif name in _EXPLAINERS:
        phase, equation, parts = name, network.EQUATIONS[name], _EXPLAINERS[name](name, index, arrays, context)
    elif name in network.PARAMETERS and name + BEFORE in arrays:
        phase, equation = "update", optimizers.UPDATE_EQUATIONS[context.optimizer]
        parts = explain_update(name, index, arrays, context)
    else:
        phase, equation = None, f"{name.removesuffix(BEFORE)}: a parameter of the network"
        parts = _parameter(name, index, arrays, context)
    return Explanation(name=name, index=index, symbol=symbol(name, index), phase=phase, equation=equation,
                       result=array[index], **parts)
