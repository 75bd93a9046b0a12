"""Predict mode's questions: one for every phase, activation and optimizer; the right option is what the arrays
say (checked here by formulas of the tests' own), the four options are distinct, and a seed gives one question."""
from __future__ import annotations

import math
import re

import numpy as np
import pytest

from core import network, optimizers
from core.config import TrainingConfig
from core.data import DIGIT_NAMES
from core.explain import Context
from core.network import ACTIVATIONS, PARAMETERS, PHASES
from core.numbers import short_number
from core.optimizers import OPTIMIZERS
from core.predict import KINDS, Question, QuestionError, kinds_for, question_for
from core.stepper import Stepper

HIDDEN = 6
M = 9
SUPERSCRIPT_DIGITS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")


def iteration(activation: str = "relu", optimizer: str = "gd", alpha: float = 0.05, hidden: int = HIDDEN,
              m: int = M, seed: int = 0, example: int | None = 4) -> tuple[dict, Context]:
    """An iteration's arrays with its update at α (W1_before … the parameters read, W1 … the new ones), after
    one update at α = 0.05."""
    rng = np.random.default_rng(seed)
    params = network.init_params(hidden, "he", rng, np.float32)
    X = rng.integers(0, 256, (network.INPUTS, m)).astype(np.float32) / np.float32(255)
    labels = rng.integers(0, 10, m)
    Y = network.one_hot(labels, np.float32)
    state = optimizers.initial_state(optimizer, params)
    params, state = optimizers.step(optimizer, params, network.gradients(params, X, Y, activation), 0.05, state)
    arrays = network.gradients(params, X, Y, activation)
    new, _ = optimizers.step(optimizer, params, arrays, alpha, state)
    everything = {**arrays, **{name + "_before": params[name] for name in PARAMETERS}, **new}
    return everything, Context(activation, optimizer, alpha, state, m, DIGIT_NAMES, "float32", example)


def forward_arrays(arrays: dict) -> dict:
    """The arrays before the update is computed: the parameters are the ones the phases read."""
    kept = {name: value for name, value in arrays.items() if not name.endswith("_before") and name not in PARAMETERS}
    return kept | {name: arrays[name + "_before"] for name in PARAMETERS}


def arrays_for(phase: str, arrays: dict) -> dict:
    return arrays if phase == "update" else forward_arrays(arrays)


def loss(params: dict, X: np.ndarray, labels: np.ndarray, activation: str) -> float:
    """Mean cross-entropy, written out: the scores in the training dtype (where a huge step overflows, with the
    network's own g: the activation is not what is tested here), then −log softmax of the true class column by
    column in float64."""
    with np.errstate(all="ignore"):
        Z1 = params["W1"] @ X.astype(params["W1"].dtype) + params["b1"]
        Z2 = (params["W2"] @ ACTIVATIONS[activation].g(Z1) + params["b2"]).astype(np.float64)
        total = 0.0
        for j, label in enumerate(labels):
            top = Z2[:, j].max()
            total += top + math.log(np.exp(Z2[:, j] - top).sum()) - Z2[label, j]
    return total / len(labels) if math.isfinite(total) else math.inf


def decade_bounds(option: str) -> tuple[float, float]:
    """"from 0.01 to 0.1" or "from 10⁻⁵ to 10⁻⁴" as two numbers."""
    def value(text: str) -> float:
        power = re.fullmatch("10([⁻⁰¹²³⁴⁵⁶⁷⁸⁹]+)", text)
        return 10.0 ** int(power.group(1).translate(SUPERSCRIPT_DIGITS)) if power else float(text)
    low, high = re.fullmatch(r"from (\S+) to (\S+)", option).groups()
    return value(low), value(high)


def assert_right(question: Question, arrays: dict, context: Context) -> None:
    """The right option is what the arrays say, computed here independently of core/predict.py."""
    right = question.options[question.answer]
    name, index = question.highlight, question.highlight_index
    if question.kind == "shape":
        assert right == "(" + ", ".join(map(str, arrays[name].shape)) + ")"
    elif question.kind == "magnitude":
        value = float(arrays[name][index])
        if question.phase == "update":
            value -= float(arrays[name + "_before"][index])
        low, high = decade_bounds(right)
        assert low <= abs(value) < high and question.truth == short_number(value)
        assert sum(low <= abs(value) < high for low, high in map(decade_bounds, question.options)) == 1
    elif question.kind == "sign" and question.phase == "dZ2":
        value = float(arrays["dZ2"][index])
        assert right == ("positive" if value > 0 else "negative" if value < 0 else "exactly 0")
        if index[0] == arrays["Y"][:, index[1]].argmax():
            assert right in ("negative", "exactly 0")
    elif question.kind == "sign":
        change = float(arrays[name][index]) - float(arrays[name + "_before"][index])
        assert right.startswith("up, because" if change > 0 else "down, because")
        assert right.endswith("negative" if change > 0 else "positive")
        if context.optimizer == "gd":
            assert np.sign(arrays[network.GRADIENT_OF[name]][index]) == -np.sign(change)
    elif question.kind == "dead_units":
        asked = [int(unit) for unit in re.search(r"units ([\d, ]+) will", question.text).group(1).split(", ")]
        column = int(re.search(r"for example (\d+)", question.text).group(1))
        expected = sorted(unit for unit in asked if arrays["Z1"][unit, column] <= 0)
        assert right == (", ".join(map(str, expected)) if expected else "none of them")
    elif question.kind == "prediction":
        column = index[1]
        assert right == context.class_names[int(np.argmax(arrays["A2"][:, column]))]
    elif question.kind == "loss":
        labels = arrays["Y"].argmax(axis=0)
        X = arrays["X"]
        before = loss({p: arrays[p + "_before"] for p in PARAMETERS}, X, labels, context.activation)
        after = loss({p: arrays[p] for p in PARAMETERS}, X, labels, context.activation)
        assert right == ("it overflows to infinity" if math.isinf(after) else "it goes down" if after < before
                         else "it goes up" if after > before else "it stays exactly the same")
    else:
        raise AssertionError(question.kind)


# ---------------------------------------------------------------- every phase, every setting

@pytest.mark.parametrize("optimizer", OPTIMIZERS)
@pytest.mark.parametrize("activation", list(ACTIVATIONS))
def test_every_phase_yields_every_kind_of_question_with_the_right_answer_among_four_distinct(activation, optimizer):
    arrays, context = iteration(activation, optimizer)
    asked = set()
    for phase in PHASES:
        phase_arrays = arrays_for(phase, arrays)
        kinds = kinds_for(phase, phase_arrays, context)
        assert "shape" in kinds and "magnitude" in kinds
        for kind in kinds:
            for seed in range(3):
                question = question_for(phase, phase_arrays, context, np.random.default_rng(seed), kind)
                assert question.phase == phase and question.kind == kind
                assert len(question.options) == 4 and len(set(question.options)) == 4
                assert question.letter == "ABCD"[question.answer]
                assert question.text and question.why and question.truth
                assert_right(question, phase_arrays, context)
            asked.add((phase, kind))
    expected = {("dZ2", "sign"), ("update", "sign"), ("A2", "prediction"), ("update", "loss")}
    if activation in ("relu", "leaky_relu"):
        expected.add(("A1", "dead_units"))
    else:
        assert "dead_units" not in kinds_for("A1", forward_arrays(arrays), context)
    assert expected <= asked


def test_a_seed_gives_one_question_and_seeds_vary_the_kind_and_the_place_of_the_answer():
    arrays, context = iteration()
    for phase in PHASES:
        phase_arrays = arrays_for(phase, arrays)
        first = question_for(phase, phase_arrays, context, np.random.default_rng(11))
        assert question_for(phase, phase_arrays, context, np.random.default_rng(11)) == first
    questions = [question_for("update", arrays, context, np.random.default_rng(seed)) for seed in range(60)]
    assert {question.kind for question in questions} == {"shape", "magnitude", "sign", "loss"}
    assert {question.answer for question in questions} == {0, 1, 2, 3}


def test_questions_are_built_from_the_stepper_records_the_window_holds(tiny_split):
    stepper = Stepper(tiny_split, TrainingConfig(hidden=8, optimizer="adam", alpha=0.01, batch_size=50))
    stepper.run(1)
    context = Context("relu", "adam", 0.01, dict(stepper.state.optimizer), 50, tiny_split.class_names,
                      "float32", example_column=7)
    rng = np.random.default_rng(5)
    for phase in PHASES:
        record = stepper.step_phase()
        arrays = {**stepper.arrays, **record.arrays}
        for kind in kinds_for(phase, arrays, context):
            question = question_for(phase, arrays, context, rng, kind)
            assert_right(question, arrays, context)
            if kind in ("prediction", "sign") and phase != "update":
                assert question.highlight_index[1] == 7          # the shown example's column


# ---------------------------------------------------------------- the loss at a huge α

def test_at_a_huge_learning_rate_the_question_says_the_loss_goes_up():
    arrays, context = iteration(alpha=50.0)
    question = question_for("update", arrays, context, np.random.default_rng(0), "loss")
    labels = arrays["Y"].argmax(axis=0)
    X = arrays["X"]
    before = loss({p: arrays[p + "_before"] for p in PARAMETERS}, X, labels, "relu")
    after = loss({p: arrays[p] for p in PARAMETERS}, X, labels, "relu")
    assert after > before
    assert question.options[question.answer] in ("it goes up", "it overflows to infinity")
    assert "α = 50" in question.text and "too large" in question.why
    small = question_for("update", *iteration(alpha=0.01), np.random.default_rng(0), "loss")
    assert small.options[small.answer] == "it goes down"


@pytest.mark.parametrize("alpha", [0.01, 0.3, 1.0, 3.0, 50.0, 1e30])
@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_the_loss_question_follows_the_recomputed_loss_at_every_learning_rate(activation, alpha):
    """From a step that lowers the loss through ones that raise it by 6 % or 30-fold to one that overflows."""
    arrays, context = iteration(activation, alpha=alpha)
    assert_right(question_for("update", arrays, context, np.random.default_rng(1), "loss"), arrays, context)


def test_a_step_that_overflows_the_scores_is_the_overflow_option():
    arrays, context = iteration(alpha=1e30)
    question = question_for("update", arrays, context, np.random.default_rng(0), "loss")
    assert question.options[question.answer] == "it overflows to infinity" and question.truth.endswith("∞")


# ---------------------------------------------------------------- sizes that coincide, and what cannot be asked

@pytest.mark.parametrize("hidden, m", [(10, 10), (1, 1), (10, 1), (784, 3), (2, 784)])
def test_shape_options_stay_distinct_when_m_h_784_and_10_coincide(hidden, m):
    arrays, context = iteration(hidden=hidden, m=m, example=0)
    for phase in PHASES:
        for seed in range(4):
            question = question_for(phase, arrays_for(phase, arrays), context, np.random.default_rng(seed), "shape")
            assert len(set(question.options)) == 4
            assert_right(question, arrays_for(phase, arrays), context)
    assert ("dead_units" in kinds_for("A1", forward_arrays(arrays), context)) == (hidden >= 2)


def test_a_dead_network_has_no_size_to_ask_about_in_its_zero_gradients():
    arrays, context = iteration()
    dead = forward_arrays(arrays) | {"dW1": np.zeros_like(arrays["dW1"])}
    assert "magnitude" not in kinds_for("dW1", dead, context)
    with pytest.raises(QuestionError, match="no 'magnitude' question fits phase dW1"):
        question_for("dW1", dead, context, np.random.default_rng(0), "magnitude")


def test_an_example_that_relu_zeroes_entirely_still_gets_a_size_question_about_another():
    arrays, context = iteration()
    A1 = forward_arrays(arrays)["A1"].copy()
    A1[:, context.example_column] = 0
    phase_arrays = forward_arrays(arrays) | {"A1": A1}
    question = question_for("A1", phase_arrays, context, np.random.default_rng(0), "magnitude")
    assert question.highlight_index[1] != context.example_column
    assert_right(question, phase_arrays, context)


def test_a_step_too_small_for_a_float32_loss_still_has_its_direction():
    arrays, context = iteration(alpha=1e-4, hidden=9, m=1, example=None)
    question = question_for("update", arrays, context, np.random.default_rng(0), "loss")
    assert question.options[question.answer] == "it goes down"
    before, after = question.truth.split(" → ")
    assert before != after and float(before.replace("−", "-")) > float(after.replace("−", "-"))


def test_unknown_phases_and_kinds_are_clear_value_errors():
    arrays, context = iteration()
    with pytest.raises(ValueError, match="unknown phase 'Z3'"):
        question_for("Z3", arrays, context, np.random.default_rng(0))
    with pytest.raises(ValueError, match="no 'loss' question fits phase Z1"):
        question_for("Z1", forward_arrays(arrays), context, np.random.default_rng(0), "loss")
    assert set(KINDS) == {"shape", "magnitude", "sign", "dead_units", "prediction", "loss"}
    with pytest.raises(QuestionError, match="4 distinct options"):
        Question("Z1", "shape", "?", ("a", "a", "b", "c"), 0, "a", "", "Z1", None)


hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, strategies as st  # noqa: E402


@given(activation=st.sampled_from(list(ACTIVATIONS)), optimizer=st.sampled_from(OPTIMIZERS),
       hidden=st.integers(1, 12), m=st.integers(1, 12), seed=st.integers(0, 2**32 - 1),
       alpha=st.sampled_from([1e-4, 0.05, 1.0, 30.0]), example=st.one_of(st.none(), st.integers(0, 11)),
       phase=st.sampled_from(PHASES))
def test_any_network_and_batch_gives_fair_questions(activation, optimizer, hidden, m, seed, alpha, example, phase):
    arrays, context = iteration(activation, optimizer, alpha, hidden, m, seed % 1000, example)
    phase_arrays = arrays_for(phase, arrays)
    question = question_for(phase, phase_arrays, context, np.random.default_rng(seed))
    assert len(set(question.options)) == 4
    assert_right(question, phase_arrays, context)
