"""The hidden-unit panel: what a unit looks for, and what-if edits that never reach the training."""
from __future__ import annotations

import re

import numpy as np
import pytest
from PyQt6.QtCore import Qt

from core import network, whatif
from core.config import TrainingConfig
from core.data import FASHION_NAMES, Split
from core.stepper import Stepper
from core.whatif import Edit
from visualizer.snapshot import ExampleSelection, make_snapshot
from visualizer.views.neuron import NeuronPanel

HIDDEN = 8


def without_dev(split: Split, names: tuple[str, ...] | None = None) -> Split:
    return Split(split.name, split.X_train, split.labels_train, np.zeros((784, 0), np.float32),
                 np.zeros(0, np.int64), names or split.class_names)


def percents(text: str) -> list[float]:
    """The percentages a label shows, in order ("65.5 % → 42.6 %" → [65.5, 42.6])."""
    return [float(number) for number in re.findall(r"(\d+(?:\.\d+)?) %", text)]


def measured(qtbot, panel: NeuronPanel) -> str:
    """The accuracy line once the background measurement has answered (before → after)."""
    qtbot.waitUntil(lambda: len(percents(panel.accuracy_label.text())) == 2, timeout=10_000)
    return panel.accuracy_label.text()


def plain(text: str) -> str:
    return re.sub(r"<[^>]+>", "", text).replace("&gt;", ">").replace("&lt;", "<").replace("&amp;", "&")


@pytest.fixture
def stepper(tiny_split) -> Stepper:
    stepper = Stepper(tiny_split, TrainingConfig(hidden=HIDDEN, alpha=0.5))
    stepper.run(15)
    return stepper


@pytest.fixture
def make_panel(show_widget):
    """Build and show panels; each is closed and deleted through Qt at the end (as the other views' tests do)."""
    def make(split: Split) -> NeuronPanel:
        return show_widget(NeuronPanel(), 360, 700)    # it measures on the split of the snapshots it is shown

    return make


def shown_weights(panel: NeuronPanel) -> np.ndarray:
    return panel.weights_image.image


def test_select_shows_the_units_incoming_weights_and_its_values_for_the_example(make_panel, stepper, tiny_split):
    panel = make_panel(tiny_split)
    snapshot = make_snapshot(stepper, ExampleSelection("train", 4))
    panel.show_snapshot(snapshot)
    panel.select(5)
    assert panel.unit == 5 and panel.unit_box.value() == 5
    np.testing.assert_allclose(shown_weights(panel), stepper.params["W1"][5].reshape(28, 28))
    low, high = panel.weights_image.getLevels()
    assert low == -high == pytest.approx(-np.abs(stepper.params["W1"][5]).max())   # white is zero
    headline = panel.headline.text()
    assert "Unit 5" in headline and "label " + str(snapshot.example.label) in headline
    z1 = f"{snapshot.example.z1[5]:.3g}".replace("-", "−")
    assert f"Z1 = {z1}" in headline
    assert not panel.undo_button.isEnabled()
    assert not panel.after_bars.isVisible()


def test_the_spin_box_reaches_every_unit_from_the_keyboard(qtbot, make_panel, stepper, tiny_split):
    panel = make_panel(tiny_split)
    panel.show_snapshot(make_snapshot(stepper, ExampleSelection()))
    assert (panel.unit_box.minimum(), panel.unit_box.maximum()) == (0, HIDDEN - 1)
    panel.unit_box.setFocus()
    for unit in range(1, HIDDEN):
        qtbot.keyClick(panel.unit_box, Qt.Key.Key_Up)
        assert panel.unit == unit
        np.testing.assert_allclose(shown_weights(panel), stepper.params["W1"][unit].reshape(28, 28))
    qtbot.keyClick(panel.unit_box, Qt.Key.Key_Up)     # past the last unit: stays there
    assert panel.unit == HIDDEN - 1


def test_switching_off_shows_prediction_and_dev_accuracy_before_and_after(qtbot, make_panel, stepper, tiny_split):
    panel = make_panel(tiny_split)
    panel.show_snapshot(make_snapshot(stepper, ExampleSelection("dev", 2)))
    trained = {name: value.copy() for name, value in stepper.params.items()}
    # The unit whose loss costs the most, so the numbers visibly move.
    knockouts = whatif.knockout_accuracies(stepper.params, tiny_split.X_dev, tiny_split.labels_dev)
    unit = int(np.argmin(knockouts))
    panel.select(unit)
    qtbot.mouseClick(panel.off_button, Qt.MouseButton.LeftButton)
    assert panel.edits == {unit: Edit(off=True)}
    _, before = whatif.outcome(stepper.params, tiny_split.X_dev, tiny_split.labels_dev)
    assert percents(measured(qtbot, panel)) == pytest.approx([100 * before, 100 * knockouts[unit]], abs=0.05)
    assert knockouts[unit] < before
    assert "Dev accuracy" in plain(panel.accuracy_label.text())
    # The example's prediction and softmax: as trained → with the unit off.
    edited = whatif.apply(stepper.params, unit, Edit(off=True))
    x = tiny_split.X_dev[:, 2:3]
    after = network.forward(edited, x)[3][:, 0]
    np.testing.assert_allclose(panel.after_bars.opts["height"], after, rtol=1e-5)
    assert panel.after_bars.isVisible()
    assert f"→ {int(after.argmax())} ({after.max():.0%})" in plain(panel.prediction_label.text())
    assert "A1 = " in panel.headline.text() and panel.headline.text().endswith("→ 0")
    assert panel.edit_badge.isVisible()
    # Scale and shift are idle for a unit that is off; the training state never saw the edit.
    assert not panel.scale_box.isEnabled() and not panel.bias_box.isEnabled()
    for name, value in trained.items():
        np.testing.assert_array_equal(stepper.params[name], value)


def test_undo_restores_exactly_what_was_shown_before_the_edit(qtbot, make_panel, stepper, tiny_split):
    panel = make_panel(tiny_split)
    panel.show_snapshot(make_snapshot(stepper, ExampleSelection("train", 7)))
    panel.select(2)
    texts = [label.text() for label in (panel.headline, panel.prediction_label, panel.edit_summary)]
    bars = np.array(panel.before_bars.opts["height"])
    panel.scale_box.setValue(2.5)
    panel.bias_box.setValue(-1.5)
    panel.select(4)
    panel.off_button.setChecked(True)
    assert panel.edits == {2: Edit(scale=2.5, bias_shift=-1.5), 4: Edit(off=True)}
    assert "unit 2 weights ×2.5, bias −1.5, unit 4 off" in plain(panel.edit_summary.text())
    panel.select(2)     # the controls show the selected unit's edit
    assert (panel.off_button.isChecked(), panel.scale_box.value(), panel.bias_box.value()) == (False, 2.5, -1.5)
    assert panel.scale_slider.value() == 250
    qtbot.mouseClick(panel.undo_button, Qt.MouseButton.LeftButton)
    assert panel.edits == {}
    assert [label.text() for label in (panel.headline, panel.prediction_label, panel.edit_summary)] == texts
    assert (panel.off_button.isChecked(), panel.scale_box.value(), panel.bias_box.value()) == (False, 1.0, 0.0)
    np.testing.assert_array_equal(panel.before_bars.opts["height"], bars)
    assert not panel.after_bars.isVisible() and not panel.accuracy_label.isVisible()
    assert not panel.undo_button.isEnabled() and not panel.edit_badge.isVisible()


def test_setting_a_control_back_to_as_trained_removes_the_edit(make_panel, stepper, tiny_split):
    panel = make_panel(tiny_split)
    panel.show_snapshot(make_snapshot(stepper, ExampleSelection()))
    panel.scale_slider.setValue(50)         # the slider drives the spin box
    assert panel.scale_box.value() == 0.5 and panel.edits == {0: Edit(scale=0.5)}
    panel.scale_box.setValue(1.0)
    assert panel.edits == {} and not panel.undo_button.isEnabled()


def test_a_new_hidden_width_drops_the_edit_and_says_so(make_panel, stepper, tiny_split):
    panel = make_panel(tiny_split)
    panel.show_snapshot(make_snapshot(stepper, ExampleSelection()))
    panel.select(7)
    panel.off_button.setChecked(True)
    narrower = Stepper(tiny_split, TrainingConfig(hidden=5, alpha=0.5))
    panel.show_snapshot(make_snapshot(narrower, ExampleSelection()))
    assert panel.edits == {}
    assert panel.notice.isVisible() and "5 units" in panel.notice.text()
    assert panel.unit == 4 and panel.unit_box.maximum() == 4
    np.testing.assert_allclose(shown_weights(panel), narrower.params["W1"][4].reshape(28, 28))
    assert not panel.off_button.isChecked()


def test_a_reset_to_iteration_zero_drops_the_edit_but_stepping_back_does_not(make_panel, tiny_split):
    config = TrainingConfig(hidden=HIDDEN, alpha=0.5)
    stepper = Stepper(tiny_split, config)
    panel = make_panel(tiny_split)
    panel.show_snapshot(make_snapshot(stepper, ExampleSelection()))
    stepper.run(3)
    panel.show_snapshot(make_snapshot(stepper, ExampleSelection()))
    panel.bias_box.setValue(2.0)
    stepper.seek(0)                         # the timeline back to the start: the same run
    panel.show_snapshot(make_snapshot(stepper, ExampleSelection()))
    assert panel.edits == {0: Edit(bias_shift=2.0)}
    restarted = Stepper(tiny_split, config)     # Reset: the same configuration, a new run
    panel.show_snapshot(make_snapshot(restarted, ExampleSelection()))
    assert panel.edits == {} and "reset" in panel.notice.text()
    panel.bias_box.setValue(2.0)
    other_weights = {name: value + 0.01 for name, value in restarted.params.items()}
    panel.show_snapshot(make_snapshot(Stepper(tiny_split, config, other_weights), ExampleSelection()))
    assert panel.edits == {} and "other weights" in panel.notice.text()


def test_when_training_moves_on_the_edit_stays_and_is_measured_again(qtbot, make_panel, stepper, tiny_split):
    panel = make_panel(tiny_split)
    panel.show_snapshot(make_snapshot(stepper, ExampleSelection()))
    panel.select(1)
    panel.scale_box.setValue(0.0)
    for _ in range(10):
        stepper.step_iteration()
    panel.show_snapshot(make_snapshot(stepper, ExampleSelection()))
    assert panel.edits == {1: Edit(scale=0.0)} and not panel.notice.isVisible()
    X, labels = tiny_split.X_dev, tiny_split.labels_dev
    _, before = whatif.outcome(stepper.params, X, labels)
    _, after = whatif.outcome(whatif.apply(stepper.params, 1, Edit(scale=0.0)), X, labels)
    assert percents(measured(qtbot, panel)) == pytest.approx([100 * before, 100 * after], abs=0.05)
    np.testing.assert_allclose(shown_weights(panel), stepper.params["W1"][1].reshape(28, 28))


def test_the_gradient_row_appears_from_phase_dw1_on(make_panel, tiny_split):
    stepper = Stepper(tiny_split, TrainingConfig(hidden=HIDDEN, alpha=0.5))
    panel = make_panel(tiny_split)
    panel.select(3)
    panel.show_snapshot(make_snapshot(stepper, ExampleSelection()))
    assert panel.gradient_note.isVisible() and "phase dW1" in panel.gradient_note.toPlainText()
    assert not panel.gradient_image.isVisible()
    while stepper.phases_done < network.PHASES.index("dW1") + 1:
        stepper.step_phase()
    panel.show_snapshot(make_snapshot(stepper, ExampleSelection()))
    assert panel.gradient_image.isVisible() and not panel.gradient_note.isVisible()
    np.testing.assert_allclose(panel.gradient_image.image, stepper.record.arrays["dW1"][3].reshape(28, 28))


def test_without_a_dev_set_accuracy_is_measured_on_training_examples_and_labelled_so(qtbot, make_panel,
                                                                                     tiny_split):
    split = without_dev(tiny_split, FASHION_NAMES)
    stepper = Stepper(split, TrainingConfig(hidden=1, alpha=0.5))
    stepper.run(3)
    panel = make_panel(split)
    panel.show_snapshot(make_snapshot(stepper, ExampleSelection()))
    panel.off_button.setChecked(True)
    text = plain(measured(qtbot, panel))
    assert f"{split.train_size:,} training examples (there is no dev set)" in text
    _, before = whatif.outcome(stepper.params, split.X_train, split.labels_train)
    assert percents(text)[0] == pytest.approx(100 * before, abs=0.05)
    prediction = plain(panel.prediction_label.text())
    assert any(name in prediction for name in FASHION_NAMES)


def test_the_key_unit_button_switches_off_the_unit_that_costs_the_most(qtbot, make_panel, stepper, tiny_split):
    panel = make_panel(tiny_split)
    panel.show_snapshot(make_snapshot(stepper, ExampleSelection()))
    qtbot.mouseClick(panel.most_button, Qt.MouseButton.LeftButton)
    knockouts = whatif.knockout_accuracies(stepper.params, tiny_split.X_dev, tiny_split.labels_dev)
    unit = int(np.argmin(knockouts))
    qtbot.waitUntil(lambda: panel.edits == {unit: Edit(off=True)}, timeout=10_000)      # measured in the background
    assert panel.unit == unit
    assert panel.off_button.isChecked() and panel.off_button.text() == "Switched off"


def test_presenter_mode_enlarges_the_type(make_panel, stepper, tiny_split):
    panel = make_panel(tiny_split)
    panel.show_snapshot(make_snapshot(stepper, ExampleSelection()))
    small = panel.headline.font().pointSizeF()
    panel.set_presenter_mode(True)
    assert panel.headline.font().pointSizeF() >= 1.8 * small
    assert panel.off_button.font().pointSizeF() >= 1.8 * small
    panel.set_presenter_mode(False)
    assert panel.headline.font().pointSizeF() == small


def test_every_interactive_part_is_named_for_assistive_technology(make_panel, stepper, tiny_split):
    from PyQt6.QtWidgets import QAbstractButton, QAbstractSlider, QAbstractSpinBox

    panel = make_panel(tiny_split)
    assert panel.objectName() == "neuronPanel"
    assert panel.findChild(type(panel.undo_button), "undoWhatIf") is panel.undo_button
    interactive = [*panel.findChildren(QAbstractButton), *panel.findChildren(QAbstractSlider),
                   *panel.findChildren(QAbstractSpinBox)]
    interactive = [widget for widget in interactive if widget.parent() is not None and widget.objectName()]
    assert len(interactive) >= 8
    for widget in interactive:
        assert widget.accessibleName() and widget.toolTip(), widget.objectName()


@pytest.mark.parametrize("hidden", [1, 128])
def test_every_phase_and_the_empty_start_draw_with_an_edit_in_force(qtbot, make_panel, tiny_split, hidden):
    stepper = Stepper(tiny_split, TrainingConfig(hidden=hidden, alpha=0.5))
    panel = make_panel(tiny_split)
    panel.show_snapshot(make_snapshot(stepper, ExampleSelection()))
    panel.select(hidden - 1)
    panel.bias_box.setValue(1.0)
    for phase in network.PHASES:
        stepper.step_phase()
        panel.show_snapshot(make_snapshot(stepper, ExampleSelection("dev", 1)))
        assert stepper.phase == phase and panel.edits == {hidden - 1: Edit(bias_shift=1.0)}
        assert len(percents(measured(qtbot, panel))) == 2
        assert np.isfinite(panel.after_bars.opts["height"]).all()
        assert panel.gradient_image.isVisible() == (phase in ("dW1", "db1", "update"))


def test_the_accuracies_are_measured_off_the_ui_thread(qtbot, make_panel, stepper, tiny_split, monkeypatch):
    """A dev set of thousands of columns, and one pass per unit for the key unit: never in the UI thread."""
    import threading

    threads = []
    outcome, knockout = whatif.outcome, whatif.knockout_accuracies

    def watched_outcome(*args, **kwargs):
        threads.append(threading.current_thread())
        return outcome(*args, **kwargs)

    def watched_knockout(*args, **kwargs):
        threads.append(threading.current_thread())
        return knockout(*args, **kwargs)
    monkeypatch.setattr(whatif, "outcome", watched_outcome)
    monkeypatch.setattr(whatif, "knockout_accuracies", watched_knockout)
    panel = make_panel(tiny_split)
    panel.show_snapshot(make_snapshot(stepper, ExampleSelection()))
    panel.off_button.setChecked(True)
    measured(qtbot, panel)
    qtbot.mouseClick(panel.most_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(threads) >= 3, timeout=10_000)
    assert threads and threading.main_thread() not in threads
