"""The bug lab: each classic mistake shows its symptom; the gradient check catches the backward ones."""
from __future__ import annotations

import numpy as np
import pytest

from core import buglab, network
from core.buglab import BUGS, BugShapeError, gradient_check, gradients_with_bug, train_side_by_side
from core.config import TrainingConfig

BACKWARD_BUGS = ("db_sum_all", "missing_1_over_m", "missing_g_prime")


@pytest.fixture(scope="module")
def batch(tiny_split):
    """Float64 weights and 60 examples of the tiny data set."""
    params = network.init_params(10, "uniform", np.random.default_rng(3), np.float64)
    X = tiny_split.X_train[:, :60].astype(np.float64)
    labels = tiny_split.labels_train[:60]
    return params, X, labels, network.one_hot(labels, np.float64)


def test_without_a_bug_the_arrays_are_the_networks(batch):
    params, X, _, Y = batch
    ours = network.gradients(params, X, Y)
    theirs = gradients_with_bug(params, X, Y, "relu", None)
    for phase in network.PHASES[:-1]:
        np.testing.assert_array_equal(theirs[phase], ours[phase])


def test_every_bug_names_its_phase_and_explains_itself():
    for bug in BUGS.values():
        assert bug.phase in network.PHASES
        assert bug.title and "\n" not in bug.title
        assert len(bug.symptom) > 40 and len(bug.gradient_check) > 20


def test_sum_without_axis_moves_every_output_bias_by_the_same_amount(batch):
    params, X, _, Y = batch
    arrays = gradients_with_bug(params, X, Y, "relu", "db_sum_all")
    assert arrays["db2"].shape == () and arrays["db1"].shape == ()
    new_b2 = params["b2"] - 0.1 * arrays["db2"]
    moved = (new_b2 - params["b2"]).ravel()
    np.testing.assert_allclose(moved, moved[0], atol=1e-15)    # a move of ~1e-18: rounding, not a pattern
    # … by zero, since every column of A2 − Y sums to 1 − 1 = 0, while the correct db2 is not zero.
    assert abs(float(arrays["db2"])) < 1e-12
    assert np.abs(network.gradients(params, X, Y)["db2"]).max() > 1e-3


def test_missing_one_over_m_makes_gradients_m_times_larger(batch):
    params, X, _, Y = batch
    ours = network.gradients(params, X, Y)
    theirs = gradients_with_bug(params, X, Y, "relu", "missing_1_over_m")
    for name in ("dW2", "db2", "dW1", "db1"):
        np.testing.assert_allclose(theirs[name], X.shape[1] * ours[name], rtol=1e-10, atol=1e-12)


def test_softmax_over_the_examples_columns_no_longer_sum_to_one(batch):
    params, X, _, Y = batch
    A2 = gradients_with_bug(params, X, Y, "relu", "softmax_wrong_axis")["A2"]
    np.testing.assert_allclose(A2.sum(axis=1), 1.0)
    assert np.abs(A2.sum(axis=0) - 1.0).max() > 0.5


def test_missing_g_prime_sends_error_through_switched_off_units(batch):
    params, X, _, Y = batch
    arrays = gradients_with_bug(params, X, Y, "relu", "missing_g_prime")
    switched_off = arrays["Z1"] <= 0
    assert switched_off.any()
    assert np.abs(arrays["dZ1"][switched_off]).max() > 0
    assert np.all(network.gradients(params, X, Y)["dZ1"][switched_off] == 0)


def test_no_scaling_makes_z1_255_times_the_pixel_part(batch):
    params, X, _, Y = batch
    arrays = gradients_with_bug(params, X, Y, "relu", "no_scaling")
    np.testing.assert_allclose(arrays["Z1"] - params["b1"], 255 * (params["W1"] @ X), rtol=1e-10)


def test_missing_transpose_explains_the_product_that_does_not_fit(batch):
    params, X, _, Y = batch
    with pytest.raises(BugShapeError) as raised:
        gradients_with_bug(params, X, Y, "relu", "missing_transpose")
    message = str(raised.value)
    assert "dZ1 (10, 60) · X (784, 60)" in message
    assert "60 and 784 differ" in message
    assert "Xᵀ (60, 784) makes (10, 60)·(60, 784) → (10, 784)" in message
    assert isinstance(raised.value, network.ShapeError)


def test_unknown_bug_is_named():
    with pytest.raises(ValueError, match="unknown bug 'typo'.*db_sum_all"):
        gradients_with_bug({}, np.zeros((784, 1)), np.zeros((10, 1)), "relu", "typo")


@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_gradient_check_is_tiny_for_the_correct_backward_pass(batch, activation):
    params, X, labels, _ = batch
    errors = gradient_check(params, X, labels, activation)
    assert set(errors) == set(network.PARAMETERS)
    assert max(errors.values()) < 1e-6


@pytest.mark.parametrize("bug, wrong", [
    ("db_sum_all", {"b1", "b2"}),
    ("missing_1_over_m", {"W1", "b1", "W2", "b2"}),
    ("missing_g_prime", {"W1", "b1"}),
    ("softmax_wrong_axis", {"W1", "b1", "W2", "b2"}),
])
def test_gradient_check_catches_a_backward_that_does_not_match_its_forward(batch, bug, wrong):
    params, X, labels, _ = batch
    errors = gradient_check(params, X, labels, bug=bug)
    for name in network.PARAMETERS:
        if name in wrong:
            assert errors[name] > 0.1, (name, errors)
        else:
            assert errors[name] < 1e-6, (name, errors)


def test_gradient_check_cannot_see_unscaled_pixels(batch):
    # The backward pass is the exact derivative of the unscaled forward pass: the mistake is in the data.
    params, X, labels, _ = batch
    assert max(gradient_check(params, X, labels, bug="no_scaling").values()) < 1e-6
    assert "not caught" in BUGS["no_scaling"].gradient_check


def test_side_by_side_starts_from_the_same_weights_and_reports_a_shape_error(tiny_split):
    config = TrainingConfig(hidden=10, alpha=0.1)
    correct, buggy = train_side_by_side(tiny_split, config, "missing_transpose", 3)
    assert len(correct.loss) == 3 and correct.problem is None
    assert buggy.loss == [] and "Xᵀ" in buggy.problem


def test_side_by_side_identical_until_the_bug_matters(tiny_split):
    # missing g′ leaves the forward pass and the output layer's gradients alone: the first loss is the same.
    config = TrainingConfig(hidden=10, alpha=0.1)
    correct, buggy = train_side_by_side(tiny_split, config, "missing_g_prime", 5)
    assert buggy.loss[0] == correct.loss[0]
    assert buggy.loss[-1] != correct.loss[-1]


def test_wrong_axis_softmax_does_not_learn(tiny_split):
    config = TrainingConfig(hidden=10, alpha=0.1)
    correct, buggy = train_side_by_side(tiny_split, config, "softmax_wrong_axis", 60)
    assert correct.final_dev_accuracy > 0.5
    assert buggy.final_dev_accuracy < correct.final_dev_accuracy - 0.3


def test_divergence_is_reported_not_raised(tiny_split):
    config = TrainingConfig(hidden=10, alpha=50.0)
    _, buggy = train_side_by_side(tiny_split, config, "missing_1_over_m", 30)
    assert buggy.problem is not None and "diverged" in buggy.problem
    assert all(np.isfinite(buggy.loss))


def test_a_caller_can_stop_a_run_and_a_check_early(tiny_split, batch):
    asked = []

    def stop_on_third_question() -> bool:
        asked.append(1)
        return len(asked) >= 3

    with pytest.raises(buglab.Stopped):
        train_side_by_side(tiny_split, TrainingConfig(), "db_sum_all", 50, should_stop=stop_on_third_question)
    assert len(asked) == 3          # asked before each iteration, stopped at once
    params, X, labels = batch[0], batch[1], batch[2]
    with pytest.raises(buglab.Stopped):
        gradient_check(params, X, labels, should_stop=lambda: True)
