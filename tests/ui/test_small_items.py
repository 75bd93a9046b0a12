"""The smaller items of issue 14: the wheel scrolls panels (Ctrl+wheel zooms), Ctrl+R and Ctrl+Q ask before
throwing many iterations away, the input strip has a caption, the bug lab's legend is off the data. (The numbers'
format: tests/test_formatting.py; glyphs and contrast: test_legibility.py; A2 − Y: test_views.py.)"""
from __future__ import annotations

from PyQt6.QtCore import QPoint, QPointF, Qt
from PyQt6.QtGui import QAction, QWheelEvent
from PyQt6.QtWidgets import QApplication, QLabel, QPushButton, QScrollArea, QWidget

from .test_one_truth import TIMEOUT


def wheel(widget: QWidget, modifiers=Qt.KeyboardModifier.NoModifier, at: QPointF | None = None) -> None:
    """One notch of the wheel (away from the user) over `at` in widget (its middle by default)."""
    middle = at or QPointF(widget.width() / 2, widget.height() / 2)
    event = QWheelEvent(middle, QPointF(widget.mapToGlobal(middle.toPoint())), QPoint(0, 0), QPoint(0, -120),
                        Qt.MouseButton.NoButton, modifiers, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(widget, event)


def test_the_wheel_scrolls_the_panel_and_ctrl_wheel_zooms_the_plot(qtbot, make_window):
    window = make_window()
    for _ in range(3):
        window.bridge.step("iteration")
    qtbot.waitUntil(lambda: window.snapshot.iteration == 3, timeout=TIMEOUT)
    plot = window.curves.loss_plot
    before = plot.viewRange()
    canvas = window.curves.graphics
    inside = QPointF(canvas.mapFromScene(plot.getViewBox().sceneBoundingRect().center()))
    wheel(canvas.viewport(), at=inside)
    assert plot.viewRange() == before                   # no zoom without Ctrl
    wheel(canvas.viewport(), Qt.KeyboardModifier.ControlModifier, at=inside)
    QApplication.processEvents()
    assert plot.viewRange() != before
    # in a panel that scrolls (the race), the wheel over its plot scrolls the panel and leaves the plot alone
    window.findChild(QAction, "raceMode").trigger()
    race = window.classroom.race
    qtbot.waitUntil(race.isVisible, timeout=TIMEOUT)
    window.classroom.race_dock.resize(race.width(), 260)     # shorter than its content: it scrolls
    area = race.findChild(QScrollArea)
    qtbot.waitUntil(lambda: area.verticalScrollBar().maximum() > 0, timeout=TIMEOUT)
    curves = race.findChild(QWidget, "raceCurves")
    ranges = (race.loss_plot.viewRange(), race.accuracy_plot.viewRange())
    wheel(curves.viewport())
    assert area.verticalScrollBar().value() > 0
    assert (race.loss_plot.viewRange(), race.accuracy_plot.viewRange()) == ranges


def test_ctrl_r_and_ctrl_q_ask_before_throwing_many_iterations_away(qtbot, make_window):
    window = make_window()
    for _ in range(4):
        window.bridge.step("iteration")
    qtbot.waitUntil(lambda: window.snapshot.iteration == 4, timeout=TIMEOUT)
    window.bridge.play(12)
    qtbot.waitUntil(lambda: window.snapshot.iteration == 12 and not window.snapshot.playing, timeout=TIMEOUT)
    bar = window.findChild(QWidget, "dropConfirmBar")
    qtbot.keyClick(window, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    assert bar.isVisible() and "12 iterations" in window.findChild(QLabel, "dropConfirmText").text()
    QApplication.processEvents()
    assert window.snapshot.iteration == 12                  # nothing thrown away yet
    window.findChild(QPushButton, "dropConfirmCancel").click()
    assert not bar.isVisible()
    qtbot.keyClick(window, Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier)
    assert window.isVisible() and bar.isVisible() and "Quitting" in window.findChild(QLabel, "dropConfirmText").text()
    qtbot.keyClick(window, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)   # another question replaces it
    assert "Restarting" in window.findChild(QLabel, "dropConfirmText").text()
    qtbot.keyClick(window, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)   # the same key again: go ahead
    qtbot.waitUntil(lambda: window.snapshot.iteration == 0, timeout=TIMEOUT)
    assert not bar.isVisible()
    # a few iterations are dropped at once, as before
    window.bridge.step("iteration")
    qtbot.waitUntil(lambda: window.snapshot.iteration == 1, timeout=TIMEOUT)
    qtbot.keyClick(window, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.snapshot.iteration == 0, timeout=TIMEOUT)
    assert not bar.isVisible()


def test_the_input_strip_has_a_caption(make_window):
    window = make_window()
    caption = window.input_view.strip_caption
    assert caption.isVisible() and "784" in caption.text


def test_the_bug_labs_legend_is_its_title_off_the_data(qtbot, make_window):
    window = make_window()
    lab = window.bug_lab
    assert lab.loss_plot.legend is None
    assert "correct" in lab.loss_plot.titleLabel.text
