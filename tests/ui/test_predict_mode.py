"""Predict mode in the real window: a question about the next phase holds that phase back until it is answered
(keys 1–4, the buttons) or revealed without a choice (PageDown, →); answers are scored; the predictions stay with
the timeline, so stepping back shows what was predicted beside what happened."""
from __future__ import annotations

from PyQt6.QtCore import Qt
from PyQt6.QtGui import QAction
from PyQt6.QtWidgets import QLabel, QLineEdit, QPushButton, QWidget

from core.predict import LETTERS

TIMEOUT = 10_000


def label(window, name: str) -> str:
    return window.findChild(QLabel, name).text()


def asked(qtbot, window) -> None:
    qtbot.waitUntil(lambda: window.predictions.asking, timeout=TIMEOUT)


def predict_mode(qtbot, window) -> None:
    qtbot.keyClick(window, Qt.Key.Key_P)
    assert window.findChild(QAction, "predictMode").isChecked() and window.predictions.on


def test_a_question_holds_the_phase_back_until_it_is_answered_and_scores_it(qtbot, window):
    predict_mode(qtbot, window)
    panel = window.findChild(QWidget, "predictionPanel")
    qtbot.keyClick(window, Qt.Key.Key_Right)
    asked(qtbot, window)
    held = window.predictions.held
    # The worker has computed Z1 (the question is made from it), the window still shows the state before it.
    assert held.phase == "Z1" and held.question is not None
    assert label(window, "phaseLabel") == "—" and window.snapshot.phase is None
    question = window.predictions.question
    assert panel.isVisible() and label(window, "predictionQuestion") == question.text
    buttons = window.findChild(QWidget, "predictionOptions").findChildren(QPushButton)
    assert [b.objectName() for b in buttons] == [f"predictionOption{letter}" for letter in LETTERS]
    assert all(b.isVisible() and b.isEnabled() for b in buttons)
    assert [b.text() for b in buttons] == list(LETTERS)
    assert [window.findChild(QLabel, f"predictionOptionText{letter}").text() for letter in LETTERS] == \
        list(question.options)
    # Key 1–4 chooses: the right one here.
    qtbot.keyClick(window, getattr(Qt.Key, f"Key_{question.answer + 1}"))
    qtbot.waitUntil(lambda: label(window, "phaseLabel") == "Z1", timeout=TIMEOUT)
    assert window.snapshot is held and not window.predictions.asking
    result = label(window, "predictionResult")
    assert result.startswith("✓ Right") and question.truth in result and question.why in result
    assert label(window, "predictionScore") == "1 of 1"
    # A wrong answer counts too.
    qtbot.keyClick(window, Qt.Key.Key_Right)
    asked(qtbot, window)
    question = window.predictions.question
    wrong = (question.answer + 1) % len(LETTERS)
    qtbot.mouseClick(buttons[wrong], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: label(window, "phaseLabel") == "A1", timeout=TIMEOUT)
    assert label(window, "predictionResult").startswith(f"✗ Not quite: you chose {LETTERS[wrong]}")
    assert label(window, "predictionScore") == "1 of 2"


def test_pagedown_reveals_without_choosing_and_is_not_scored(qtbot, window):
    predict_mode(qtbot, window)
    qtbot.keyClick(window, Qt.Key.Key_PageDown)          # the clicker: the next phase, asked first
    asked(qtbot, window)
    assert label(window, "phaseLabel") == "—"
    qtbot.keyClick(window, Qt.Key.Key_PageDown)          # no choice: reveal
    qtbot.waitUntil(lambda: label(window, "phaseLabel") == "Z1", timeout=TIMEOUT)
    assert label(window, "predictionResult").startswith("Shown without a prediction")
    assert label(window, "predictionScore") == "no predictions yet"
    assert window.bridge.accepted_steps == 1               # revealing asks the worker for nothing


def test_rewinding_shows_what_was_predicted_beside_what_happened(qtbot, window):
    predict_mode(qtbot, window)
    for _ in range(2):
        qtbot.keyClick(window, Qt.Key.Key_Right)
        asked(qtbot, window)
        qtbot.keyClick(window, Qt.Key.Key_1)
    qtbot.waitUntil(lambda: label(window, "phaseLabel") == "A1", timeout=TIMEOUT)
    first, second = (window.predictions.kept[key] for key in sorted(window.predictions.kept, key=lambda k: k[1]))
    qtbot.keyClick(window, Qt.Key.Key_Left)
    qtbot.waitUntil(lambda: label(window, "phaseLabel") == "Z1", timeout=TIMEOUT)
    assert label(window, "predictionQuestion") == first.question.text
    assert first.question.why in label(window, "predictionResult")
    # Stepping forward again over a phase already predicted shows the prediction, it does not ask again.
    qtbot.keyClick(window, Qt.Key.Key_Right)
    qtbot.waitUntil(lambda: label(window, "phaseLabel") == "A1", timeout=TIMEOUT)
    assert not window.predictions.asking and label(window, "predictionQuestion") == second.question.text
    assert label(window, "predictionScore").endswith("of 2")


def test_a_step_back_while_asked_withdraws_the_question(qtbot, window):
    predict_mode(qtbot, window)
    qtbot.keyClick(window, Qt.Key.Key_Right)
    asked(qtbot, window)
    qtbot.keyClick(window, Qt.Key.Key_Left)                # the worker steps back from the phase it computed
    qtbot.waitUntil(lambda: not window.predictions.asking, timeout=TIMEOUT)
    assert label(window, "phaseLabel") == "—" and not window.findChild(QAction, "predictChoiceA").isEnabled()


def test_the_room_votes_show_beside_the_options(qtbot, window):
    predict_mode(qtbot, window)
    qtbot.keyClick(window, Qt.Key.Key_Right)
    asked(qtbot, window)
    qtbot.keyClick(window, Qt.Key.Key_V)
    votes = window.findChild(QLineEdit, "predictionVotes")
    qtbot.waitUntil(votes.isVisible, timeout=TIMEOUT)
    qtbot.keyClicks(votes, "3 12 5 0")
    qtbot.keyClick(votes, Qt.Key.Key_Return)
    texts = [window.findChild(QLabel, f"predictionOptionText{letter}").text() for letter in LETTERS]
    texts = [text.replace("\u00a0", " ") for text in texts]
    assert "· 3 (15%)" in texts[0] and "· 12 (60%)" in texts[1] and "· 0 (0%)" in texts[3]
    assert window.predictions.asking                       # the votes do not answer the question


def test_in_presenter_mode_the_question_is_large_and_beside_the_diagram(qtbot, window):
    predict_mode(qtbot, window)
    qtbot.keyClick(window, Qt.Key.Key_Right)
    asked(qtbot, window)
    normal = window.findChild(QLabel, "predictionQuestion").font().pointSizeF()
    window.set_presenter_mode(True)
    try:
        panel = window.findChild(QWidget, "predictionPanel")
        question = window.findChild(QLabel, "predictionQuestion")
        assert question.font().pointSizeF() >= 2 * normal
        assert panel in window.centre.side.widgets and panel.isVisible()
        assert window.findChild(QPushButton, "predictionOptionA").text() == "A"
    finally:
        window.set_presenter_mode(False)
    assert window.centre.strips.indexOf(window.findChild(QWidget, "predictionPanel")) >= 0


def test_predict_mode_is_in_the_run_menu_and_the_step_toolbar(window):
    predict = window.findChild(QAction, "predictMode")
    run = next(item.menu() for item in window.menuBar().actions() if item.text() == "&Run")
    assert predict in run.actions() and predict in window.toolbar.actions()
    assert predict.shortcut().toString() == "P" and predict.isCheckable()


def test_while_a_question_is_open_the_numbers_that_would_answer_it_are_hidden(qtbot, window):
    """The diagram writes the example's values of the whole forward pass (A1 on the hidden units at Z1): asked
    about A1, the class must not read the answer there."""
    def numbers_shown() -> bool:
        return all(item.isVisible() for item in window.diagram.hidden.values)

    predict_mode(qtbot, window)
    qtbot.keyClick(window, Qt.Key.Key_Right)
    asked(qtbot, window)
    qtbot.keyClick(window, Qt.Key.Key_PageDown)             # Z1, revealed
    qtbot.waitUntil(lambda: label(window, "phaseLabel") == "Z1", timeout=TIMEOUT)
    assert numbers_shown() and not window.numbers_hidden
    qtbot.keyClick(window, Qt.Key.Key_Right)                 # asks about A1
    asked(qtbot, window)
    assert window.numbers_hidden and not numbers_shown()
    assert "predicted" not in label(window, "inputVerdict")
    assert not window.diagram.outputs.prediction_ring.isVisible()        # nor which class wins
    qtbot.keyClick(window, Qt.Key.Key_1)
    qtbot.waitUntil(lambda: label(window, "phaseLabel") == "A1", timeout=TIMEOUT)
    assert not window.numbers_hidden and numbers_shown()
    # Numbers the teacher hid stay hidden after a question.
    window.set_numbers_hidden(True)
    qtbot.keyClick(window, Qt.Key.Key_Right)
    asked(qtbot, window)
    qtbot.keyClick(window, Qt.Key.Key_1)
    qtbot.waitUntil(lambda: label(window, "phaseLabel") == "Z2", timeout=TIMEOUT)
    assert window.numbers_hidden
