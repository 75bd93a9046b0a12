"""Classroom helpers (issue 14): keyboard help over the window (F1), hiding the numbers, the phases played one at a
time at a pace, a drawn digit through the main diagram, a switched-off unit marked on it."""
from __future__ import annotations

import numpy as np
from PyQt6.QtCore import Qt
from PyQt6.QtGui import QAction
from PyQt6.QtWidgets import QApplication, QDoubleSpinBox, QLabel, QPushButton, QWidget

from core import drawing

from .test_one_truth import TIMEOUT, text


def action(window, name: str) -> QAction:
    return window.findChild(QAction, name)


def test_f1_lays_every_key_over_the_window_the_clickers_included(qtbot, make_window):
    window = make_window()
    qtbot.keyClick(window, Qt.Key.Key_F1)
    overlay = window.findChild(QWidget, "keyboardHelpOverlay")
    qtbot.waitUntil(overlay.isVisible, timeout=TIMEOUT)
    assert overlay.geometry() == window.rect()
    shown = overlay.findChild(QLabel, "keyboardHelpText").text()
    # every action of the window with a key, as the actions have it (derived, not a second table)
    for found in window.actions():
        if not found.shortcut().isEmpty() and found.text():
            assert found.text().rstrip("…") in shown, found.objectName()
    assert "PgDown" in shown and "a clicker" in shown and "Next example" in shown
    qtbot.keyClick(overlay, Qt.Key.Key_Escape)
    assert overlay.isHidden() and not action(window, "keyboardHelp").isChecked()


def test_hide_numbers_hides_them_in_the_diagram_and_the_panels(qtbot, make_window):
    window = make_window()
    for _ in range(5):                      # dZ2: hidden numbers, probabilities and pills are written
        before = window.frames_shown
        window.bridge.step("phase")
        qtbot.waitUntil(lambda: window.frames_shown > before, timeout=TIMEOUT)
    assert window.snapshot.phase == "dZ2"
    diagram = window.diagram

    def numbers_shown() -> list:
        return [item for item in (*diagram.hidden.values, *diagram.outputs.probabilities,
                                  *diagram.outputs.pills.texts, window.values.probability_text)
                if item.isVisible() and (item.text() if hasattr(item, "text") and callable(item.text) else True)]

    assert numbers_shown() and "predicted" in text(window, "inputVerdict")
    qtbot.keyClick(window, Qt.Key.Key_N)
    assert action(window, "hideNumbers").isChecked()
    assert numbers_shown() == [] and "predicted" not in text(window, "inputVerdict")
    window.bridge.step("phase")             # and they stay hidden on the next phase
    qtbot.waitUntil(lambda: window.snapshot.phase == "dW2", timeout=TIMEOUT)
    assert numbers_shown() == []
    qtbot.keyClick(window, Qt.Key.Key_N)
    assert numbers_shown() and "predicted" in text(window, "inputVerdict")


def test_the_phases_play_one_at_a_time_at_the_pace_chosen(qtbot, make_window):
    window = make_window()
    window.findChild(QDoubleSpinBox, "phasePaceSpin").setValue(0.2)
    action(window, "autoPhases").trigger()
    assert window.phase_player.on and window.phase_player.timer.interval() == 200
    qtbot.waitUntil(lambda: window.snapshot.phase == "Z2", timeout=TIMEOUT)
    assert window.bridge.accepted_steps == 3          # one phase each time, no iteration at once
    action(window, "autoPhases").trigger()
    assert not window.phase_player.on and not window.phase_player.timer.isActive()
    window.bridge.play()                              # and playing ends it, had it been on
    action(window, "autoPhases").trigger()
    qtbot.waitUntil(lambda: window.snapshot.playing, timeout=TIMEOUT)
    qtbot.waitUntil(lambda: not window.phase_player.on, timeout=TIMEOUT)
    window.bridge.pause()


def seven() -> list[tuple[float, float]]:
    return [(70, 60), (210, 60), (120, 230)]


def test_a_drawn_digit_goes_through_the_main_diagram(qtbot, make_window):
    window = make_window()
    action(window, "drawDigit").trigger()
    pad = window.classroom.draw_pad
    with qtbot.waitSignal(pad.drawingChanged, timeout=TIMEOUT):
        pad.draw_stroke(seven())
    pad.findChild(QPushButton, "sendDrawing").click()
    diagram = window.diagram
    assert diagram.input.example.text() == "drawn on the pad" and diagram.input.label.text() == "label: none"
    expected = drawing.predict(window.snapshot.params, pad.column, window.snapshot.config.activation)
    np.testing.assert_allclose([float(text.text().rstrip("%")) for text in diagram.outputs.probabilities],
                               np.round(100 * expected[3], 1), atol=0.051)
    assert not diagram.label_ring.isVisible()
    window.bridge.step("phase")             # a new snapshot: still the drawing, with its new forward pass
    qtbot.waitUntil(lambda: window.snapshot.phase == "Z1", timeout=TIMEOUT)
    assert diagram.input.example.text() == "drawn on the pad"
    pad.findChild(QPushButton, "sendDrawing").click()
    assert diagram.input.example.text().startswith("train #0 of")


def test_a_unit_switched_off_in_the_what_if_is_crossed_out_on_the_diagram(qtbot, make_window):
    window = make_window()
    window.classroom.show_unit(3)
    panel = window.classroom.neuron
    QApplication.processEvents()
    assert not any(cross.isVisible() for cross in window.diagram.hidden.crosses)
    panel.findChild(QPushButton, "switchOff").click()
    assert [j for j, cross in enumerate(window.diagram.hidden.crosses) if cross.isVisible()] == [3]
    window.set_presenter_mode(True)         # rebuilt in another mode: still marked
    qtbot.waitUntil(lambda: window.diagram.scene_layout.presenter, timeout=TIMEOUT)
    assert window.diagram.hidden.crosses[3].isVisible()
    window.set_presenter_mode(False)
    panel.findChild(QPushButton, "undoWhatIf").click()
    assert not any(cross.isVisible() for cross in window.diagram.hidden.crosses)


def test_shift_space_plays_phase_by_phase(qtbot, make_window):
    """(Ctrl+Space is an input method's key on many Linux desktops: the variant of Space that plays is Shift.)"""
    window = make_window()
    qtbot.keyClick(window, Qt.Key.Key_Space, Qt.KeyboardModifier.ShiftModifier)
    assert window.phase_player.on
    qtbot.keyClick(window, Qt.Key.Key_Space, Qt.KeyboardModifier.ShiftModifier)
    assert not window.phase_player.on and not window.snapshot.playing
