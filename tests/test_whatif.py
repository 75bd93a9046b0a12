"""What-if edits of one hidden unit: a changed copy of the parameters, never the originals."""
from __future__ import annotations

import numpy as np
import pytest

from core import network, whatif
from core.config import TrainingConfig
from core.stepper import Stepper
from core.whatif import Edit


def trained(split, activation: str = "relu", iterations: int = 15, dtype: str = "float32") -> Stepper:
    stepper = Stepper(split, TrainingConfig(hidden=8, activation=activation, alpha=0.5, dtype=dtype))
    for _ in range(iterations):
        stepper.step_iteration()
    return stepper


@pytest.mark.parametrize("activation", ["relu", "leaky_relu", "tanh"])
def test_switching_a_unit_off_makes_its_activation_zero_for_every_example(tiny_split, activation):
    stepper = trained(tiny_split, activation)
    edited = whatif.apply(stepper.params, 3, Edit(off=True))
    _, A1, _, _ = network.forward(edited, tiny_split.X_dev, activation)
    assert np.all(A1[3] == 0)
    _, A1_before, _, _ = network.forward(stepper.params, tiny_split.X_dev, activation)
    assert np.any(A1_before[3] != 0)        # it was doing something before
    others = np.arange(8) != 3
    np.testing.assert_array_equal(A1[others], A1_before[others])


@pytest.mark.parametrize("activation", list(network.ACTIVATIONS))
def test_a_switched_off_unit_adds_nothing_to_the_output_scores(tiny_split, activation):
    """Even for the sigmoid, where g(0) = 0.5, Z2 is what it would be with A1[j] = 0."""
    stepper = trained(tiny_split, activation, dtype="float64")
    params = stepper.params
    _, A1, _, _ = network.forward(params, tiny_split.X_dev, activation)
    A1_without = A1.copy()
    A1_without[5] = 0
    expected = network.z2(params["W2"], A1_without, params["b2"])
    _, _, Z2, _ = network.forward(whatif.apply(params, 5, Edit(off=True)), tiny_split.X_dev, activation)
    np.testing.assert_allclose(Z2, expected, rtol=1e-12, atol=1e-12)


def test_the_unchanged_edit_is_the_identity_and_the_inputs_stay_untouched(tiny_split):
    params = trained(tiny_split).params
    originals = {name: value.copy() for name, value in params.items()}
    edited = whatif.apply(params, 2, Edit(scale=1.0, bias_shift=0.0))
    for name in network.PARAMETERS:
        np.testing.assert_array_equal(edited[name], originals[name])
        assert edited[name] is not params[name]
        assert edited[name].dtype == params[name].dtype
    # A real edit changes only the copy; the stepper's arrays are read-only and keep their values.
    whatif.apply(params, 2, Edit(off=True))
    whatif.apply(params, 2, Edit(scale=3.0, bias_shift=-5.0))
    for name in network.PARAMETERS:
        np.testing.assert_array_equal(params[name], originals[name])


def test_scale_multiplies_the_incoming_weights_and_shift_moves_the_bias(tiny_split):
    params = trained(tiny_split).params
    edited = whatif.apply(params, 1, Edit(scale=0.5, bias_shift=2.0))
    np.testing.assert_allclose(edited["W1"][1], params["W1"][1] * 0.5)
    np.testing.assert_allclose(edited["b1"][1], params["b1"][1] + 2.0)
    np.testing.assert_array_equal(edited["W1"][0], params["W1"][0])
    np.testing.assert_array_equal(edited["W2"], params["W2"])
    # Its pre-activation for every example follows: Z1[j] = 0.5 · (W1[j] · X) + b1[j] + 2.
    Z1_before = network.forward(params, tiny_split.X_dev)[0][1]
    Z1_after = network.forward(edited, tiny_split.X_dev)[0][1]
    expected = 0.5 * (Z1_before - params["b1"][1]) + params["b1"][1] + 2.0
    np.testing.assert_allclose(Z1_after, expected, rtol=1e-5, atol=1e-5)


def test_the_unedited_dev_accuracy_is_the_one_training_records(tiny_split):
    stepper = trained(tiny_split)
    predictions, accuracy = whatif.outcome(stepper.params, tiny_split.X_dev, tiny_split.labels_dev)
    assert accuracy == stepper.evaluate_dev(stepper.params)
    # The dev curve's next point is measured with these parameters, just before the next update.
    stepper.step_iteration()
    assert accuracy == stepper.history.curves.dev_accuracy[-1]
    np.testing.assert_array_equal(predictions, network.predict(stepper.params, tiny_split.X_dev))
    assert accuracy > 0.5       # the tiny set is learnable: a drop below has room to show


def test_knockout_accuracies_match_switching_each_unit_off(tiny_split):
    stepper = trained(tiny_split, dtype="float64")
    X, labels = tiny_split.X_dev, tiny_split.labels_dev
    knockouts = whatif.knockout_accuracies(stepper.params, X, labels)
    assert knockouts.shape == (8,)
    for unit in range(8):
        _, accuracy = whatif.outcome(whatif.apply(stepper.params, unit, Edit(off=True)), X, labels)
        assert knockouts[unit] == pytest.approx(accuracy)
    _, everything_off = whatif.outcome(
        whatif.apply_all(stepper.params, {unit: Edit(off=True) for unit in range(8)}), X, labels)
    _, unedited = whatif.outcome(stepper.params, X, labels)
    assert everything_off < unedited    # with no hidden unit left it guesses one class from b2


def test_edits_outside_their_ranges_or_units_that_do_not_exist_are_refused(tiny_split):
    params = trained(tiny_split, iterations=1).params
    with pytest.raises(ValueError, match="scale"):
        Edit(scale=3.5)
    with pytest.raises(ValueError, match="bias shift"):
        Edit(bias_shift=float("nan"))
    with pytest.raises(IndexError, match="0–7"):
        whatif.apply(params, 8, Edit(off=True))
    assert Edit().changes_nothing and not Edit(bias_shift=0.5).changes_nothing
    assert Edit(off=True, scale=2.0).describe() == "off"
    assert Edit(scale=0.5, bias_shift=1.0).describe() == "weights ×0.5, bias +1"
