"""Every screen from 1024×768 up (issue 14): no label cut, no toolbar overflowing, the diagram at least 450 px wide
on a 1024×768 projector, and the evaluation, matrices and values panels readable at 1366×768 and 1920×1080."""
from __future__ import annotations

import html
import re

import pytest
from PyQt6.QtCore import QPointF
from PyQt6.QtGui import QFontMetricsF
from PyQt6.QtWidgets import QApplication, QLabel, QToolBar, QToolButton

from .test_one_truth import TIMEOUT

SIZES = ("1024x768", "1366x768", "1920x1080")


def clipped_labels(window) -> list[str]:
    """The labels on screen whose text does not fit: a plain one wider or taller than it is, a wrapped one
    shorter than its text needs at its width."""
    cut = []
    for label in window.findChildren(QLabel):
        if not label.isVisible() or label.visibleRegion().isEmpty() or not label.text():
            continue
        if label.wordWrap():
            if label.heightForWidth(label.width()) > label.height() + 1:
                cut.append(f"{label.objectName() or label.text()[:40]}: wrapped, needs "
                           f"{label.heightForWidth(label.width())} px, has {label.height()}")
            # a word that never breaks (a shape written with no-break spaces) wider than the label is cut too
            plain = re.sub(r"<br\s*/?>", "\n", label.text())
            plain = html.unescape(re.sub(r"<[^>]+>", "", plain))
            # (split at the spaces a line may break at: str.split() would split at no-break spaces too)
            widest = max((label.fontMetrics().horizontalAdvance(word) for word in re.split(r"[ \n\t]+", plain)),
                         default=0)
            if widest > label.contentsRect().width() + 1:
                cut.append(f"{label.objectName() or label.text()[:40]}: a word needs {widest} px, has "
                           f"{label.contentsRect().width()}")
        else:
            hint = label.sizeHint()
            if hint.width() > label.width() + 1 or hint.height() > label.height() + 1:
                cut.append(f"{label.objectName() or label.text()[:40]}: needs {hint.width()}×{hint.height()}, "
                           f"has {label.width()}×{label.height()}")
    shown = [label for label in window.findChildren(QLabel)
             if label.isVisible() and not label.visibleRegion().isEmpty() and label.text()]
    for k, label in enumerate(shown):     # two labels of one panel over each other (squeezed by the layout)
        for other in shown[k + 1:]:
            if other.parentWidget() is label.parentWidget() and label.geometry().intersects(other.geometry()):
                cut.append(f"{label.objectName() or label.text()[:40]} overlaps "
                           f"{other.objectName() or other.text()[:40]}")
    return cut


def overflowing_toolbars(window) -> list[str]:
    """Toolbars that show their » button (actions hidden in the overflow)."""
    names = []
    for bar in window.findChildren(QToolBar):
        extension = bar.findChild(QToolButton, "qt_toolbar_ext_button")
        if bar.isVisible() and extension is not None and extension.isVisible():
            names.append(bar.objectName())
    return names


def at_phase(qtbot, window, phase: str) -> None:
    window.bridge.step("iteration")
    qtbot.waitUntil(lambda: window.snapshot.iteration == 1, timeout=TIMEOUT)
    while window.snapshot.phase != phase:
        before = window.frames_shown
        window.bridge.step("phase")
        qtbot.waitUntil(lambda: window.frames_shown > before, timeout=TIMEOUT)


def settle(qtbot, window) -> None:
    """Let the layouts of a new size or tab take effect (two passes of the event loop and a repaint)."""
    for _ in range(3):
        QApplication.processEvents()
    qtbot.waitUntil(lambda: not window.centralWidget().visibleRegion().isEmpty(), timeout=TIMEOUT)
    window.fit_panels()
    for _ in range(3):
        QApplication.processEvents()


@pytest.mark.parametrize("size", SIZES)
def test_no_label_is_cut_and_no_toolbar_overflows(qtbot, make_window, size):
    window = make_window("--size", size, data="mnist-sample")
    settle(qtbot, window)
    assert clipped_labels(window) == [], (size, "before the first step")     # the header invites, at its length
    for phase in ("dZ1", "update"):           # the longest equation; the matrices' widest layout
        at_phase(qtbot, window, phase)
        for dock in ("curvesDock", "evaluationDock", "matricesDock"):
            window.dock_manager.find(dock).raise_()
            settle(qtbot, window)
            assert clipped_labels(window) == [], (size, phase, dock)
    assert overflowing_toolbars(window) == []


def test_the_diagram_is_at_least_450_px_wide_on_a_1024_by_768_projector(qtbot, make_window):
    window = make_window("--size", "1024x768")
    settle(qtbot, window)
    assert window.diagram.view.width() >= 450
    assert window.diagram.view.height() >= 300


def test_the_confusion_matrix_numbers_do_not_overlap(qtbot, make_window):
    for size in ("1366x768", "1920x1080"):
        window = make_window("--size", size, data="mnist-sample")
        window.evaluation_dock.raise_()
        window.bridge.step("iteration")
        qtbot.waitUntil(lambda: window.snapshot.evaluation is not None and window.snapshot.iteration == 1,
                        timeout=TIMEOUT)
        settle(qtbot, window)
        panel = window.evaluation
        view = panel.plot.getViewBox()
        cell = view.mapViewToScene(QPointF(1, 1)) - view.mapViewToScene(QPointF(0, 0))
        shown = [text for text in panel._counts if text.isVisible() and text.textItem.toPlainText()]
        assert shown, size
        # a number's box in pixels (a TextItem is drawn unscaled) against a cell's; the box has a line's leading
        metrics = [QFontMetricsF(text.textItem.font()) for text in shown]
        widest = max(m.horizontalAdvance(text.textItem.toPlainText()) for m, text in zip(metrics, shown))
        tallest = max(m.ascent() for m in metrics)
        assert widest <= abs(cell.x()) - 2 and tallest <= abs(cell.y()) - 2, (size, widest, tallest, cell)
        window.close()


def test_the_batch_heat_map_is_more_than_10_px_high(qtbot, make_window):
    for size in ("1366x768", "1920x1080"):
        window = make_window("--size", size, data="mnist-sample")
        at_phase(qtbot, window, "A1")
        settle(qtbot, window)
        plot = window.values.heat_plot
        if size == "1920x1080":
            assert plot.isVisible()
        if plot.isVisible():
            assert plot.getViewBox().height() >= 40, (size, plot.getViewBox().height())
        window.close()


def test_the_presenter_toolbar_fits_a_narrow_projector_and_its_type_comes_back_after(qtbot, make_window):
    window = make_window("--size", "1024x768")
    base = window.toolbar.font().pointSizeF()
    window.set_presenter_mode(True)
    # (offscreen, the screen presenter mode fills is 800 px wide: narrower still than a 1024×768 projector)
    qtbot.waitUntil(lambda: window.toolbar.isVisible() and overflowing_toolbars(window) == [], timeout=TIMEOUT)
    assert window.toolbar.font().pointSizeF() > base              # as large as fits, larger than the window's
    window.set_presenter_mode(False)
    qtbot.waitUntil(lambda: window.toolbar.font().pointSizeF() == base, timeout=TIMEOUT)
    assert window.speed_control.font().pointSizeF() == base


def test_a_question_in_presenter_mode_is_not_cut_on_a_narrow_projector(qtbot, make_window):
    window = make_window("--size", "1024x768")
    window.set_presenter_mode(True)
    window.predictions.set_on(True)
    window.step_phase()
    qtbot.waitUntil(lambda: window.predictions.asking, timeout=TIMEOUT)
    settle(qtbot, window)
    # (offscreen, the screen presenter mode fills is 800 px wide: narrower still than a 1024×768 projector)
    assert clipped_labels(window) == []
