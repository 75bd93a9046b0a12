"""The timeline slider in the real window: any completed iteration, exactly as it was, and a new learning rate at
a past iteration only after a confirmation."""
from __future__ import annotations

import numpy as np
import pytest
from PyQt6.QtCore import QPoint, Qt
from PyQt6.QtWidgets import QDoubleSpinBox, QFrame, QLabel, QPushButton, QSlider

from core import network
from core.stepper import Stepper

TIMEOUT = 10_000


def label(window, name: str) -> str:
    return window.findChild(QLabel, name).text()


def slider(window) -> QSlider:
    found = window.findChild(QSlider, "timelineSlider")
    assert found is not None
    return found


def train(qtbot, window, iterations: int) -> None:
    window.bridge.play(iterations)
    qtbot.waitUntil(lambda: label(window, "iterationLabel") == str(iterations) and not window.snapshot.playing,
                    timeout=TIMEOUT)


def shown_at(qtbot, window, iteration: int) -> None:
    qtbot.waitUntil(lambda: label(window, "iterationLabel") == str(iteration) and window.snapshot.iteration == iteration,
                    timeout=TIMEOUT)


def fresh_params(window, iterations: int) -> dict[str, np.ndarray]:
    """The parameters of a new run of the same data and settings, trained straight through."""
    stepper = Stepper(window.snapshot.split, window.snapshot.config.with_changes(alpha=0.1))
    stepper.run(iterations)
    return dict(stepper.params)


def assert_params_equal(shown, expected) -> None:
    for name in network.PARAMETERS:
        assert np.array_equal(shown[name], expected[name]), name


@pytest.fixture
def trained(qtbot, window):
    """The window after 30 iterations, paused at the newest one."""
    train(qtbot, window, 30)
    return window


def test_the_slider_spans_the_iterations_kept_and_says_so(qtbot, trained):
    timeline = slider(trained)
    assert (timeline.minimum(), timeline.maximum(), timeline.value()) == (0, 30, 30)
    assert timeline.orientation() == Qt.Orientation.Horizontal
    assert timeline.toolTip() and timeline.accessibleName() == "Timeline"
    assert "30" in label(trained, "timelineLabel") and "of 30" in label(trained, "timelineLabel")
    assert label(trained, "timelineRange") == "rewind 0–30"
    qtbot.keyClick(trained, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: slider(trained).maximum() == 31 and slider(trained).value() == 31, timeout=TIMEOUT)


def test_dragging_to_a_past_iteration_shows_it_exactly_and_back_again(qtbot, trained):
    after_30 = dict(trained.snapshot.params)
    timeline = slider(trained)
    timeline.setValue(10)
    shown_at(qtbot, trained, 10)
    assert_params_equal(trained.snapshot.params, fresh_params(trained, 10))
    assert "iteration <b>10</b>" in label(trained, "timelineLabel") and "of 30" in label(trained, "timelineLabel")
    assert trained.snapshot.curves.iterations.max() == 29      # the curves keep the whole run, marked at 10
    assert (timeline.minimum(), timeline.maximum()) == (0, 30)
    timeline.setValue(30)
    shown_at(qtbot, trained, 30)
    assert_params_equal(trained.snapshot.params, after_30)


def test_stepping_on_from_a_past_iteration_replays_the_same_numbers(qtbot, trained):
    slider(trained).setValue(10)
    shown_at(qtbot, trained, 10)
    qtbot.keyClick(trained, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)
    shown_at(qtbot, trained, 11)
    assert_params_equal(trained.snapshot.params, fresh_params(trained, 11))
    assert trained.snapshot.latest == 30


def test_a_drag_ends_where_it_is_let_go_and_snapshots_do_not_move_the_held_slider(qtbot, trained):
    timeline = slider(trained)
    timeline.setSliderDown(True)
    for position in range(29, 4, -1):          # a fast drag: most positions are coalesced away
        timeline.setValue(position)
    shown_at(qtbot, trained, 5)
    # A snapshot for another place while the slider is held (← steps back a phase) leaves the slider alone.
    qtbot.keyClick(trained, Qt.Key.Key_Left)
    qtbot.waitUntil(lambda: trained.snapshot.iteration == 4 and trained.snapshot.phase == "db1", timeout=TIMEOUT)
    assert timeline.value() == 5
    timeline.setValue(17)
    timeline.setSliderDown(False)
    shown_at(qtbot, trained, 17)
    qtbot.waitUntil(lambda: trained.snapshot.phase == "update", timeout=TIMEOUT)
    assert_params_equal(trained.snapshot.params, fresh_params(trained, 17))
    assert timeline.value() == 17


def test_home_and_end_jump_to_the_first_and_last_iteration(qtbot, trained):
    timeline = slider(trained)
    timeline.setFocus()
    qtbot.waitUntil(timeline.hasFocus, timeout=TIMEOUT)
    qtbot.keyClick(timeline, Qt.Key.Key_Home)
    shown_at(qtbot, trained, 0)
    assert timeline.value() == 0
    qtbot.keyClick(timeline, Qt.Key.Key_End)
    shown_at(qtbot, trained, 30)
    assert timeline.value() == 30


def test_a_click_on_the_groove_goes_to_that_iteration_not_one_page_along(qtbot, trained):
    timeline = slider(trained)
    timeline.setValue(0)
    shown_at(qtbot, trained, 0)
    # Nine tenths along the groove: a plain QSlider would move one page (10) towards it.
    point = QPoint(int(timeline.width() * 0.9), timeline.height() // 2)
    qtbot.mouseClick(timeline, Qt.MouseButton.LeftButton, pos=point)
    qtbot.waitUntil(lambda: trained.snapshot.iteration > 20, timeout=TIMEOUT)
    assert trained.snapshot.iteration == timeline.value() < 30
    assert label(trained, "iterationLabel") == str(timeline.value())


# ------------------------------------------------------------------ a new learning rate at a past iteration

def confirm_bar(window) -> QFrame:
    return window.findChild(QFrame, "timelineConfirmBar")


def settle(qtbot, window) -> None:
    """One more request and its answer: every request sent before it has been handled and shown."""
    index = 1 if window.snapshot.example.index != 1 else 2
    window.bridge.select_example("train", index)
    qtbot.waitUntil(lambda: window.snapshot.example.index == index, timeout=TIMEOUT)


def test_a_learning_rate_at_a_past_iteration_asks_and_cancel_keeps_the_history(qtbot, trained):
    slider(trained).setValue(12)
    shown_at(qtbot, trained, 12)
    spin = trained.findChild(QDoubleSpinBox, "learningRateSpin")
    spin.setValue(0.05)
    assert confirm_bar(trained).isVisible()
    text = label(trained, "timelineConfirmText")
    assert "iteration 12" in text and "13–30" in text and "0.05" in text
    trained.findChild(QPushButton, "timelineConfirmCancel").click()
    assert not confirm_bar(trained).isVisible()
    assert spin.value() == pytest.approx(0.1)
    settle(qtbot, trained)
    assert (trained.snapshot.latest, trained.snapshot.alpha, slider(trained).maximum()) == (30, 0.1, 30)
    assert label(trained, "learningRateLabel") == "α = 0.1"


def test_a_learning_rate_at_a_past_iteration_applied_drops_the_later_iterations(qtbot, trained):
    slider(trained).setValue(12)
    shown_at(qtbot, trained, 12)
    trained.findChild(QDoubleSpinBox, "learningRateSpin").setValue(0.05)
    trained.findChild(QPushButton, "timelineConfirmApply").click()
    assert not confirm_bar(trained).isVisible()
    qtbot.waitUntil(lambda: trained.snapshot.latest == 12 and trained.snapshot.alpha == 0.05, timeout=TIMEOUT)
    assert (slider(trained).maximum(), slider(trained).value()) == (12, 12)
    assert label(trained, "timelineRange") == "rewind 0–12"
    assert label(trained, "learningRateLabel") == "α = 0.05"
    # Training goes on from 12 with the new rate: the next iteration is new, not the old 13.
    qtbot.keyClick(trained, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)
    shown_at(qtbot, trained, 13)
    assert trained.snapshot.latest == 13
    assert not np.array_equal(trained.snapshot.params["W2"], fresh_params(trained, 13)["W2"])


def test_a_learning_rate_at_the_newest_iteration_applies_at_once(qtbot, trained):
    trained.findChild(QDoubleSpinBox, "learningRateSpin").setValue(0.05)
    qtbot.waitUntil(lambda: trained.snapshot.alpha == 0.05, timeout=TIMEOUT)
    assert not confirm_bar(trained).isVisible()
    assert trained.snapshot.latest == 30


def test_a_flood_of_seeks_is_answered_by_the_newest_only(qtbot, trained):
    """A long fast drag queues many seeks; the worker skips those a newer one has overtaken."""
    answered = []
    trained.bridge.snapshotReady.connect(lambda snapshot: answered.append(snapshot.iteration))
    positions = np.random.default_rng(3).integers(0, 31, 300)
    positions[-1] = 7
    for position in positions:
        trained.bridge.seek(int(position))
    shown_at(qtbot, trained, 7)
    settle(qtbot, trained)
    assert answered[-2:] == [7, 7]         # the seek's answer, then the settling request's
    assert len(answered) < 20               # not one snapshot (and one replay) per queued seek
    assert_params_equal(trained.snapshot.params, fresh_params(trained, 7))


def test_the_confirmation_is_answered_from_the_keyboard_with_return(qtbot, trained):
    """Space plays wherever the focus is, so a confirmation button reached with Tab is pressed with Return."""
    slider(trained).setValue(12)
    shown_at(qtbot, trained, 12)
    trained.findChild(QDoubleSpinBox, "learningRateSpin").setValue(0.05)
    apply = trained.findChild(QPushButton, "timelineConfirmApply")
    apply.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(apply.hasFocus, timeout=TIMEOUT)
    qtbot.keyClick(apply, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: trained.snapshot.latest == 12 and trained.snapshot.alpha == 0.05, timeout=TIMEOUT)
    assert not confirm_bar(trained).isVisible()
