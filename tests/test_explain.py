"""Explain any number: every explained value is the array's own element, and the arithmetic shown reproduces it
within the dtype's rounding — checked against formulas written out here, for every array of every phase, each
activation and optimizer, in float32 and float64, on arrays from the phase functions and from the Stepper."""
from __future__ import annotations

import functools
import math

import numpy as np
import pytest

from core import network, optimizers
from core.config import TrainingConfig
from core.data import DIGIT_NAMES
from core.explain import Context, ExplainError, explain
from core.explanation import EXPLAINED_NAMES, IMAGE_SIDE
from core.network import ACTIVATIONS, PARAMETERS
from core.numbers import short_number
from core.optimizers import OPTIMIZERS
from core.stepper import Stepper

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, strategies as st  # noqa: E402

HIDDEN = 6
M = 9
COMPUTED = tuple(phase for phase in network.PHASES if phase != "update")


@functools.cache
def iteration(activation: str, optimizer: str, dtype: str = "float32", alpha: float = 0.05, seed: int = 0,
              hidden: int = HIDDEN, m: int = M, warmup: int = 2) -> tuple[dict, Context]:
    """Every array of one iteration and its update, named as the update's record names them (W1_before the
    parameters the phases read, W1 the new ones), after `warmup` updates so momentum and Adam have a memory."""
    rng = np.random.default_rng(seed)
    params = network.init_params(hidden, "he", rng, dtype)
    X = rng.integers(0, 256, (network.INPUTS, m)).astype(dtype) / np.dtype(dtype).type(255)
    labels = rng.integers(0, 10, m)
    Y = network.one_hot(labels, dtype)
    state = optimizers.initial_state(optimizer, params)
    for _ in range(warmup):
        params, state = optimizers.step(optimizer, params, network.gradients(params, X, Y, activation), alpha, state)
    arrays = network.gradients(params, X, Y, activation)
    new, _ = optimizers.step(optimizer, params, arrays, alpha, state)
    everything = {**arrays, **{name + "_before": params[name] for name in PARAMETERS}, **new}
    for value in everything.values():
        value.flags.writeable = False
    return everything, Context(activation, optimizer, alpha, state, m, DIGIT_NAMES, dtype)


# ---------------------------------------------------------------- the formulas, written out independently

def g(activation: str, z: float) -> float:
    return {"relu": max(z, 0.0), "leaky_relu": z if z > 0 else 0.01 * z, "tanh": math.tanh(z),
            "sigmoid": 1 / (1 + math.exp(-z)) if z > -700 else 0.0}[activation]


def g_prime(activation: str, z: float) -> float:
    if activation == "sigmoid":
        return g("sigmoid", z) * (1 - g("sigmoid", z))
    return {"relu": float(z > 0), "leaky_relu": 1.0 if z > 0 else 0.01, "tanh": 1 - math.tanh(z) ** 2}[activation]


def reference(name: str, index: tuple[int, int], arrays: dict, context: Context) -> tuple[float, float, int]:
    """(the value in float64, the scale its rounding is relative to, how many roundings at most) by the textbook."""
    a = {key: np.asarray(value, dtype=np.float64) for key, value in arrays.items()}
    W1, b1, W2, b2 = (a[key + "_before"] for key in PARAMETERS)
    row, col = index
    m = a["X"].shape[1]
    if name == "Z1":
        products = [W1[row, k] * a["X"][k, col] for k in range(network.INPUTS)]
        return math.fsum(products) + b1[row, 0], sum(map(abs, products)) + abs(b1[row, 0]), network.INPUTS
    if name == "A1":
        z = a["Z1"][row, col]
        return g(context.activation, z), max(abs(z), 1.0), 4
    if name == "Z2":
        products = [W2[row, h] * a["A1"][h, col] for h in range(W2.shape[1])]
        return math.fsum(products) + b2[row, 0], sum(map(abs, products)) + abs(b2[row, 0]), W2.shape[1]
    if name == "A2":
        scores = a["Z2"][:, col]
        exps = [math.exp(s - max(scores)) for s in scores]
        value = exps[row] / math.fsum(exps)
        return value, value, 20 + 2 * int(max(scores) - min(scores) + 1)
    if name == "dZ2":
        return a["A2"][row, col] - a["Y"][row, col], abs(a["A2"][row, col]) + 1, 1
    if name in ("dW2", "dW1"):
        error, inputs = (a["dZ2"], a["A1"]) if name == "dW2" else (a["dZ1"], a["X"])
        products = [error[row, j] * inputs[col, j] for j in range(m)]
        return math.fsum(products) / m, sum(map(abs, products)) / m, m
    if name in ("db2", "db1"):
        error = a["dZ2"] if name == "db2" else a["dZ1"]
        return math.fsum(error[row, :]) / m, sum(map(abs, error[row, :])) / m, m
    if name == "dZ1":
        products = [W2[o, row] * a["dZ2"][o, col] for o in range(network.OUTPUTS)]
        slope = g_prime(context.activation, a["Z1"][row, col])
        return math.fsum(products) * slope, sum(map(abs, products)) * max(abs(slope), 1.0), 12
    if name in PARAMETERS:
        return updated(name, index, a, context)
    if name == "X":     # a byte of the image, scaled
        return round(a["X"][index] * 255) / 255, a["X"][index], 1
    return float(a[name][index]), abs(float(a[name][index])), 1      # X, Y and the parameters before


def updated(name: str, index: tuple[int, int], a: dict, context: Context) -> tuple[float, float, int]:
    """torch's rules for one parameter: SGD, SGD(momentum=0.9), Adam(0.9, 0.999, eps=1e-8)."""
    old, grad, alpha = a[name + "_before"][index], a[network.GRADIENT_OF[name]][index], context.alpha
    state = {key: np.asarray(value, dtype=np.float64) for key, value in context.optimizer_state.items()}
    if context.optimizer == "gd":
        return old - alpha * grad, abs(old) + alpha * abs(grad), 2
    if context.optimizer == "momentum":
        velocity = 0.9 * state["v_" + name][index] + grad
        return old - alpha * velocity, abs(old) + alpha * (0.9 * abs(state["v_" + name][index]) + abs(grad)), 3
    t = int(state["t"]) + 1
    first = 0.9 * state["m_" + name][index] + 0.1 * grad
    second = 0.999 * state["v_" + name][index] + 0.001 * grad ** 2
    step = alpha * (first / (1 - 0.9 ** t)) / (math.sqrt(second / (1 - 0.999 ** t)) + 1e-8)
    scale = abs(old) + abs(step) + alpha / (1 - 0.9 ** t) * (0.9 * abs(state["m_" + name][index]) + 0.1 * abs(grad)) \
        / (math.sqrt(second / (1 - 0.999 ** t)) + 1e-8)
    return old - step, scale, 16


def check(name: str, index: tuple[int, int], arrays: dict, context: Context) -> None:
    explanation = explain(name, index, arrays, context)
    element = np.asarray(arrays[name])[index]
    # The value explained is the array's element itself, bit for bit and in its dtype.
    assert explanation.result.dtype == element.dtype and explanation.result.tobytes() == element.tobytes()
    assert explanation.result_text == short_number(element)
    value, scale, roundings = reference(name, index, arrays, context)
    # The arithmetic shown is the textbook's (float64 against float64: only the order of the additions differs) …
    assert explanation.computed == pytest.approx(value, rel=1e-12, abs=1e-12 * scale + 1e-300), (name, index)
    # … it reproduces the array's value within the rounding of the array's dtype …
    assert abs(explanation.computed - float(element)) <= explanation.tolerance, (name, index)
    # … and that allowance is no larger than the dtype's rounding of numbers this size can explain.
    info = np.finfo(np.dtype(context.dtype))
    assert explanation.tolerance <= 4 * (roundings + 8) * info.eps * scale + 4 * info.tiny, (name, index)
    assert explanation.symbol in explanation.formula or name in ("X", "Y", "W1_before", "b1_before")
    assert explanation.steps and explanation.steps[-1].value == explanation.computed


def indices(shape: tuple[int, int], rng: np.random.Generator, count: int = 3) -> list[tuple[int, int]]:
    """The first and last entries and a few drawn from rng."""
    drawn = [tuple(int(rng.integers(n)) for n in shape) for _ in range(count)]
    return [(0, 0), (shape[0] - 1, shape[1] - 1), *drawn]


# ---------------------------------------------------------------- every array, every phase, every setting

@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("optimizer", OPTIMIZERS)
@pytest.mark.parametrize("activation", list(ACTIVATIONS))
def test_every_array_is_explained_by_arithmetic_that_reproduces_it(activation, optimizer, dtype):
    arrays, context = iteration(activation, optimizer, dtype)
    rng = np.random.default_rng(7)
    for name in EXPLAINED_NAMES:
        for index in indices(arrays[name].shape, rng):
            check(name, index, arrays, context)


@given(data=st.data())
def test_any_entry_of_any_array_is_explained(data):
    activation = data.draw(st.sampled_from(list(ACTIVATIONS)), "activation")
    optimizer = data.draw(st.sampled_from(OPTIMIZERS), "optimizer")
    arrays, context = iteration(activation, optimizer)
    name = data.draw(st.sampled_from(EXPLAINED_NAMES), "name")
    shape = arrays[name].shape
    index = (data.draw(st.integers(0, shape[0] - 1), "row"), data.draw(st.integers(0, shape[1] - 1), "column"))
    check(name, index, arrays, context)


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_the_stepper_records_and_snapshot_arrays_are_explained_at_every_phase(tiny_split, optimizer):
    """What the window holds: each phase's record, and the iteration's arrays with the record's on top."""
    config = TrainingConfig(hidden=5, optimizer=optimizer, alpha=0.05, batch_size=32, activation="tanh")
    stepper = Stepper(tiny_split, config)
    stepper.run(2)
    rng = np.random.default_rng(3)
    state_before = dict(stepper.state.optimizer)
    context = Context("tanh", optimizer, 0.05, state_before, 32, tiny_split.class_names, "float32")
    for _ in network.PHASES:
        record = stepper.step_phase()
        merged = {**stepper.arrays, **record.arrays}
        # A record holds what its phase read and wrote: enough to explain what it wrote; the merged arrays
        # explain everything on screen.
        for arrays, names in ((record.arrays, record.writes), (merged, merged)):
            for name in names:
                array = arrays[name]
                for index in indices(array.shape, rng, count=2):
                    explanation = explain(name, index, arrays, context)
                    assert explanation.result.tobytes() == np.asarray(array)[index].tobytes()
                    assert abs(explanation.computed - float(explanation.result)) <= explanation.tolerance, name
        if record.phase == "update":
            assert explain("W1", (0, 0), record.arrays, context).phase == "update"
    assert explain("Z1", (0, 0), merged, context).phase == "Z1"


# ---------------------------------------------------------------- what each explanation shows

def test_z1_is_the_784_products_as_a_contribution_map_with_the_largest_pixels_named():
    arrays, context = iteration("relu", "gd")
    i, j = 2, 5
    explanation = explain("Z1", (i, j), arrays, context)
    assert explanation.formula == f"Z1[{i}, {j}] = Σₖ W1[{i}, k] · X[k, {j}] + b1[{i}]"
    (products,) = explanation.products
    W1, X = arrays["W1_before"].astype(np.float64), arrays["X"].astype(np.float64)
    expected = W1[i] * X[:, j]
    assert np.array_equal(products.values, expected) and products.values.size == network.INPUTS
    image = products.contribution_map()
    assert image.shape == (IMAGE_SIDE, IMAGE_SIDE)
    assert np.array_equal(image, W1[i].reshape(28, 28) * X[:, j].reshape(28, 28))     # weight row × input image
    top = int(np.argmax(expected))
    assert products.largest[0].position == top and products.largest[0].value == expected.max()
    assert products.largest[0].label == f"pixel {top} (row {top // 28}, column {top % 28})"
    assert [c.factors[0].symbol for c in products.largest[:1]] == [f"W1[{i}, {top}]"]
    assert all(c.value < 0 for c in products.most_negative)
    assert products.most_negative[0].value == expected.min()
    assert [term.symbol for term in explanation.terms] == [f"b1[{i}]"]
    assert explanation.terms[0].value == float(arrays["b1_before"][i, 0])


def test_weight_gradients_name_the_examples_that_contribute_most():
    arrays, context = iteration("relu", "gd")
    explanation = explain("dW2", (4, 1), arrays, context)
    assert explanation.formula.startswith("dW2[4, 1] = 1/m · Σⱼ dZ2[4, j] · A1[1, j]")
    (products,) = explanation.products
    contributions = arrays["dZ2"][4].astype(np.float64) * arrays["A1"][1].astype(np.float64)
    labels = arrays["Y"].argmax(axis=0)
    for named in products.largest:
        assert named.value == contributions[named.position]
        assert named.label == f"example {named.position} (label {labels[named.position]})"
    assert [c.value for c in products.largest] == sorted(contributions[contributions > 0], reverse=True)[:3]
    assert explanation.steps[-1].text.endswith(f"/ {M} = {short_number(explanation.computed)}")


def test_softmax_shows_its_ten_terms_with_the_max_subtracted():
    arrays, context = iteration("relu", "gd")
    explanation = explain("A2", (3, 2), arrays, context)
    scores = arrays["Z2"][:, 2].astype(np.float64)
    (denominator,) = explanation.products
    assert np.array_equal(denominator.values, np.exp(scores - scores.max()))
    assert len(explanation.terms) == network.OUTPUTS
    assert f"max = Z2[{int(scores.argmax())}, 2]" in explanation.formula


@pytest.mark.parametrize("activation", list(ACTIVATIONS))
def test_dz1_shows_the_errors_through_w2_times_the_slope_of_the_activation(activation):
    arrays, context = iteration(activation, "gd")
    for unit in range(HIDDEN):
        explanation = explain("dZ1", (unit, 0), arrays, context)
        z = float(arrays["Z1"][unit, 0])
        slope = next(term for term in explanation.terms if term.symbol.startswith("g′"))
        assert slope.value == pytest.approx(g_prime(activation, z), rel=1e-12, abs=1e-300)
        if activation == "relu" and z <= 0:
            assert explanation.computed == 0 and "off" in explanation.steps[1].text


def test_each_optimizer_shows_its_own_rule():
    texts = {optimizer: " | ".join(step.text for step in explain("W2", (1, 2), *iteration("relu", optimizer)).steps)
             for optimizer in OPTIMIZERS}
    assert "− α · dW2[1, 2]" in texts["gd"] and "v" not in texts["gd"]
    assert texts["momentum"].startswith("v = 0.9 · ") and "− α · v" in texts["momentum"]
    assert "t = 3" in texts["adam"] and "m̂ = m / (1 − 0.9^3)" in texts["adam"] and "√v̂ + ε" in texts["adam"]
    assert explain("b1", (0, 0), *iteration("relu", "adam")).symbol == "b1[0]"


def test_inputs_and_parameters_read_say_what_they_are():
    arrays, context = iteration("relu", "gd")
    x = explain("X", (30, 1), arrays, context)
    grey = round(float(arrays["X"][30, 1]) * 255)
    assert x.steps[0].text.startswith(f"X[30, 1] = {grey} / 255") and "row 1, column 2" in x.formula
    label = int(arrays["Y"][:, 4].argmax())
    assert explain("Y", (label, 4), arrays, context).computed == 1
    before = explain("W1_before", (1, 40), arrays, context)
    assert before.phase is None and "pixel 40 (row 1, column 12) into hidden unit 1" in before.formula
    forward_only = {key: value for key, value in arrays.items() if not key.endswith("_before")
                    and key not in PARAMETERS} | {key: arrays[key + "_before"] for key in PARAMETERS}
    assert explain("W1", (1, 40), forward_only, context).phase is None     # no update yet: the weight as read


# ---------------------------------------------------------------- the tolerance catches a wrong story

@pytest.mark.parametrize("wrong", [dict(activation="leaky_relu"), dict(alpha=0.06), dict(optimizer="momentum")])
def test_a_context_that_does_not_match_the_arrays_shows_arithmetic_off_by_more_than_rounding(wrong):
    arrays, context = iteration("relu", "gd")
    context = Context(**{**context.__dict__, **wrong, "optimizer_state": iteration("relu", "momentum")[1]
                         .optimizer_state})
    name = "A1" if "activation" in wrong else "W2"
    mismatched = []
    for index in np.ndindex(arrays[name].shape):
        explanation = explain(name, index, arrays, context)
        mismatched.append(abs(explanation.computed - float(explanation.result)) > explanation.tolerance)
    assert any(mismatched)


# ---------------------------------------------------------------- errors

@pytest.mark.parametrize("name, index, message", [
    ("Z3", (0, 0), "cannot explain 'Z3'"),
    ("Z1", (HIDDEN, 0), "outside Z1, whose shape is (6, 9): axis 0 runs from 0 to 5"),
    ("Z1", (0, -1), "outside Z1"),
    ("Z1", (0,), "must be 2 whole numbers"),
    ("Z1", 3, "must be a tuple"),
    ("Z1", (0.5, 1), "whole numbers"),
    ("b1", (0, 1), "axis 1 runs from 0 to 0"),
])
def test_a_bad_name_or_index_is_a_clear_value_error(name, index, message):
    arrays, context = iteration("relu", "gd")
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        explain(name, index, arrays, context)


def test_missing_arrays_state_or_a_wrong_m_are_named():
    arrays, context = iteration("relu", "momentum")
    with pytest.raises(ExplainError, match="X is needed for Z1 but the arrays hold only A1, A2"):
        explain("Z1", (0, 0), {k: v for k, v in arrays.items() if k != "X"}, context)
    with pytest.raises(ExplainError, match="context.optimizer_state has no v_W2"):
        explain("W2", (0, 0), arrays, Context(**{**context.__dict__, "optimizer_state": {}}))
    with pytest.raises(ExplainError, match="context.m is 5 but dZ2 has 9 columns"):
        explain("dW2", (0, 0), arrays, Context(**{**context.__dict__, "m": 5}))
    with pytest.raises(ExplainError, match="Z1 is float32 but context.dtype is float64"):
        explain("Z1", (0, 0), arrays, Context(**{**context.__dict__, "dtype": "float64"}))
    with pytest.raises(ExplainError, match="context.activation 'swish' is unknown"):
        Context(activation="swish")


# ---------------------------------------------------------------- the window's digits

@pytest.mark.parametrize("value, text", [
    (0, "0"), (0.93, "0.93"), (-0.031, "−0.031"), (12.44, "12.4"), (318.2, "318"), (1234.0, "1234"),
    (123456.0, "1.2e+05"), (-0.00004, "−4.0e−05"), (1.5e-15, "0"), (-3e-12, "0"), (0.009, "0.009"), (0.1, "0.10"), (0.0996, "0.100"), (9.999, "10.00"), (np.float32(0.5), "0.50"),
])
def test_short_number_writes_numbers_as_the_window_does(value, text):
    assert short_number(value) == text
