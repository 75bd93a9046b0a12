"""The bug lab in the real window: a classic mistake trained side by side with the correct code, gradient-checked."""
from __future__ import annotations

import numpy as np
import pytest
from PyQt6.QtGui import QAction
from PyQt6.QtWidgets import QComboBox, QDockWidget, QLabel, QPushButton, QSpinBox, QTableWidget

from core.buglab import BUGS
from core.network import PARAMETERS

TIMEOUT = 60_000        # a busy two-core machine trains 2 × 20 iterations of 250 examples well within this


def open_lab(window) -> QDockWidget:
    window.findChild(QAction, "bugLab").trigger()
    dock = window.findChild(QDockWidget, "bugLabPanel")
    assert dock.isVisible()
    return dock


def run(qtbot, window, bug: str, iterations: int = 20) -> None:
    choice = window.findChild(QComboBox, "bugChoice")
    choice.setCurrentIndex(choice.findData(bug))
    assert choice.currentIndex() >= 0 and (bug == "none" or choice.currentText() == BUGS[bug].title)
    window.findChild(QSpinBox, "bugIterations").setValue(iterations)
    button = window.findChild(QPushButton, "bugRun")
    button.click()
    assert not button.isEnabled()        # running in the background: the window is still answering
    qtbot.waitUntil(lambda: button.isEnabled() and window.bug_lab.result is not None, timeout=TIMEOUT)


def curve_lengths(window) -> dict[str, int]:
    lab = window.bug_lab
    items = {"correct loss": lab.correct_loss, "buggy loss": lab.buggy_loss,
             "correct accuracy": lab.correct_accuracy, "buggy accuracy": lab.buggy_accuracy}
    lengths = {}
    for name, item in items.items():
        x, y = item.getData()
        lengths[name] = 0 if x is None else len(x)
        if y is not None:
            assert np.isfinite(y).all(), name
    return lengths


def check_cells(window, column: int) -> dict[str, str]:
    table = window.findChild(QTableWidget, "gradientCheckTable")
    return {name: table.item(row, column).text() for row, name in enumerate(PARAMETERS)}


def relative_error(cell: str) -> float:
    return float(cell.split()[-1])


def test_the_action_toggles_the_panel_which_starts_hidden(window):
    dock = window.findChild(QDockWidget, "bugLabPanel")
    action = window.findChild(QAction, "bugLab")
    assert not dock.isVisible() and not action.isChecked()
    assert action.shortcut().toString() == "Ctrl+B" and action.toolTip()
    action.trigger()
    assert dock.isVisible() and action.isChecked()
    action.trigger()
    assert not dock.isVisible() and not action.isChecked()


def test_the_sum_without_axis_trains_side_by_side_and_the_check_catches_it_in_the_biases(qtbot, window):
    open_lab(window)
    run(qtbot, window, "db_sum_all")
    assert curve_lengths(window) == {"correct loss": 20, "buggy loss": 20, "correct accuracy": 20,
                                     "buggy accuracy": 20}
    symptom = window.findChild(QLabel, "bugSymptom").text()
    assert "b2 moves all ten biases by the same amount" in symptom
    outcome = window.findChild(QLabel, "bugOutcome").text()
    assert "Correct:" in outcome and "With the bug:" in outcome and "after 20 iterations" in outcome
    correct, buggy = check_cells(window, 0), check_cells(window, 1)
    assert all(cell.startswith("✓") and relative_error(cell) < 1e-4 for cell in correct.values()), correct
    # The weights' gradients are still right; the biases' are one shared number.
    assert buggy["W1"].startswith("✓") and buggy["W2"].startswith("✓")
    assert relative_error(buggy["b1"]) > 0.1 and relative_error(buggy["b2"]) > 0.1
    assert buggy["b2"].startswith("✗")
    note = window.findChild(QLabel, "gradientCheckNote").text()
    assert "caught" in note


def test_without_the_1_over_m_every_gradient_is_m_times_too_large(qtbot, window):
    open_lab(window)
    run(qtbot, window, "missing_1_over_m")
    lengths = curve_lengths(window)
    assert lengths["correct loss"] == 20
    buggy_losses = window.bug_lab.buggy_loss.getData()[1]
    correct_losses = window.bug_lab.correct_loss.getData()[1]
    if lengths["buggy loss"] < 20:      # the run diverged: the panel says where
        assert f"iverged at iteration {lengths['buggy loss']}" in window.findChild(QLabel, "bugOutcome").text()
    else:
        assert not np.allclose(buggy_losses, correct_losses)
    assert "every step is m times too large" in window.findChild(QLabel, "bugSymptom").text()
    buggy = check_cells(window, 1)
    # (m − 1)/(m + 1) for the gradient check's 64 examples
    assert all(relative_error(cell) == pytest.approx(63 / 65, abs=0.01) for cell in buggy.values()), buggy


def test_a_missing_transpose_shows_the_explained_shape_error(qtbot, window):
    open_lab(window)
    run(qtbot, window, "missing_transpose")
    lengths = curve_lengths(window)
    assert lengths["correct loss"] == 20 and lengths["buggy loss"] == 0
    outcome = window.findChild(QLabel, "bugOutcome").text()
    assert "Shape error" in outcome and "dZ1 · X.T" in outcome and "(784, 250)" in outcome
    assert set(check_cells(window, 1).values()) == {"shape error"}
    assert all(cell.startswith("✓") for cell in check_cells(window, 0).values())


def test_without_a_bug_only_the_correct_run_is_drawn_and_a_second_run_replaces_the_first(qtbot, window):
    open_lab(window)
    run(qtbot, window, "db_sum_all", iterations=5)
    run(qtbot, window, "none", iterations=7)
    assert curve_lengths(window) == {"correct loss": 7, "buggy loss": 0, "correct accuracy": 7, "buggy accuracy": 0}
    assert "With the bug" not in window.findChild(QLabel, "bugOutcome").text()
    assert set(check_cells(window, 1).values()) == {"no bug"}


def test_closing_the_window_during_a_run_stops_it_cleanly(qtbot, make_window):
    window = make_window()
    open_lab(window)
    window.findChild(QSpinBox, "bugIterations").setValue(1000)
    window.findChild(QPushButton, "bugRun").click()
    assert window.bug_lab.running
    window.close()
    assert not window.bug_lab.running and window.bug_lab.result is None
    assert not window.bridge.thread.isRunning()


def test_every_control_of_the_lab_panels_has_a_spoken_name_and_a_tooltip(window):
    from PyQt6.QtWidgets import QAbstractButton, QAbstractSpinBox, QGraphicsView, QWidget

    open_lab(window)
    # Check my code's panel is built when first asked for (visualizer/window/labs.py): here, and into its dock.
    assert window.check_code is window.findChild(QDockWidget, "checkCodePanel").widget()
    unnamed = []
    for name in ("bugLabPanel", "checkCodePanel"):
        dock = window.findChild(QDockWidget, name)
        controls = [widget for widget in dock.widget().findChildren(QWidget)
                    if isinstance(widget, (QAbstractButton, QComboBox, QAbstractSpinBox, QGraphicsView,
                                           QTableWidget)) and not widget.objectName().startswith("qt_")]
        assert len(controls) >= 3, name
        unnamed += [f"{type(widget).__name__} {widget.objectName()!r}" for widget in controls
                    if not (widget.accessibleName().strip() and widget.toolTip().strip())]
    assert not unnamed, unnamed


def test_the_lab_panels_are_built_when_first_shown_and_then_follow_the_snapshots(make_window):
    window = make_window()
    assert window.labs.built == ()                      # a cold start does not pay for them
    assert window.findChild(QComboBox, "bugChoice") is None
    dock = open_lab(window)
    assert window.labs.built == ("bug_lab",)
    assert dock.widget() is window.bug_lab and window.bug_lab in window.views
    assert window.findChild(QComboBox, "bugChoice").isVisible()
    window.findChild(QAction, "bugLab").trigger()       # closed and opened again: the same panel
    window.findChild(QAction, "bugLab").trigger()
    assert dock.widget() is window.bug_lab and window.labs.built == ("bug_lab",)
