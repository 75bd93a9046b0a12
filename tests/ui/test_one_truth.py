"""One truth on screen (issue 14): one iteration number in the status bar, the header, the curves and the timeline;
values only once computed; after playing stops every panel shows the same snapshot at once."""
from __future__ import annotations

import re

from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QLabel

TIMEOUT = 10_000


def text(window, name: str) -> str:
    return re.sub("<[^>]+>", "", window.findChild(QLabel, name).text()).replace("\u00a0", " ")


def numbers_on_screen(window) -> dict[str, int]:
    """The iteration each place names: docs/TESTING.md, "One iteration number"."""
    found = {
        "iterationLabel": int(text(window, "iterationLabel")),
        "positionLabel": re.match(r"Iteration (\d+) ·", text(window, "positionLabel")),
        "curvesReadout": re.match(r"Iteration (\d+)", text(window, "curvesReadout")),
        "timelineLabel": re.match(r"iteration ([\d,]+) of", text(window, "timelineLabel")),
    }
    return {name: value if isinstance(value, int) else int(value[1].replace(",", "")) if value else -1
            for name, value in found.items()}


def test_every_place_names_the_same_iteration_while_stepping(qtbot, make_window):
    window = make_window()
    for key, modifier in ((Qt.Key.Key_Right, Qt.KeyboardModifier.NoModifier),
                          (Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier),
                          (Qt.Key.Key_Right, Qt.KeyboardModifier.NoModifier),
                          (Qt.Key.Key_Right, Qt.KeyboardModifier.NoModifier)):
        before = window.frames_shown
        qtbot.keyClick(window, key, modifier)
        qtbot.waitUntil(lambda: window.frames_shown > before, timeout=TIMEOUT)
        iteration = window.snapshot.iteration
        assert numbers_on_screen(window) == dict.fromkeys(numbers_on_screen(window), iteration)
    # Z1 … Z2 of the iteration after the first update: "Iteration 1 · phase 2 of 11", as the status bar's 1.
    assert text(window, "positionLabel").startswith("Iteration 1 · phase 2 of 11")
    assert text(window, "iterationLabel") == "1" and text(window, "phaseLabel") == "A1"


def test_after_playing_stops_every_panel_shows_the_paused_snapshot(qtbot, make_window):
    window = make_window()
    window.bridge.play()
    qtbot.waitUntil(lambda: window.snapshot.playing and window.snapshot.iteration >= 15, timeout=TIMEOUT)
    # The first playing frame draws every panel: the header says it plays, not the phase it was paused at.
    assert text(window, "positionLabel").startswith("Playing")
    window.bridge.pause()
    qtbot.waitUntil(lambda: not window.snapshot.playing, timeout=TIMEOUT)
    iteration = window.snapshot.iteration
    assert numbers_on_screen(window) == dict.fromkeys(numbers_on_screen(window), iteration)
    assert text(window, "phaseLabel") == "update"


def test_the_input_panel_and_the_diagram_show_no_prediction_before_the_forward_pass(qtbot, make_window):
    window = make_window()
    verdict = text(window, "inputVerdict")
    assert "predicted" not in verdict and "no prediction" in verdict
    outputs, hidden = window.diagram.outputs, window.diagram.hidden
    assert not outputs.prediction_ring.isVisible() and not outputs._prediction_tag.isVisible()
    assert outputs._label_tag.text() == "◀ label"
    # no number written anywhere yet: the nodes, the probabilities, the values panel's bars
    assert not any(item.isVisible() for item in (*hidden.values, *outputs.probabilities))
    assert window.values.probability_text.textItem.toPlainText() == ""
    assert not window.values.a2_bars.opts["width"].any()
    qtbot.keyClick(window, Qt.Key.Key_Right)
    qtbot.waitUntil(lambda: text(window, "phaseLabel") == "Z1", timeout=TIMEOUT)
    assert "predicted" in text(window, "inputVerdict")
    outputs, hidden = window.diagram.outputs, window.diagram.hidden      # (the scene may have been built anew)
    assert outputs.prediction_ring.isVisible()
    assert all(item.isVisible() for item in (*hidden.values, *outputs.probabilities))
    assert window.values.probability_text.textItem.toPlainText() != ""
    assert window.values.a2_bars.opts["width"].sum() > 0.99


def test_the_lesson_names_a_phase_with_the_header_s_iteration_number(qtbot, make_window):
    from visualizer.lesson_drive import arrived_text

    window = make_window()
    for _ in range(2):                                      # Z1, then A1, of the first iteration
        before = window.frames_shown
        window.bridge.step("phase")
        qtbot.waitUntil(lambda: window.frames_shown > before, timeout=TIMEOUT)
    assert text(window, "positionLabel").startswith("Iteration 0 · phase 2")
    assert arrived_text(window.snapshot) == "Computed: A1 · iteration 0."
