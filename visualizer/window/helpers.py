"""Classroom helpers of the window: the keyboard help drawn over it (F1), playing one phase at a time at a pace a
class can follow (the teacher talks, the network steps), an inline question before Ctrl+R or Ctrl+Q throws a run
away, and the mouse wheel that scrolls panels rather than zooming plots.

The help lists the keys of the window's actions as they are (the actions' table, the classroom's and the lesson's
added later, and the example picker's keys): nothing is written twice, so a key changed in the table shows here.
"""
from __future__ import annotations

from html import escape

from PyQt6.QtCore import QEvent, QObject, Qt, QTimer
from PyQt6.QtGui import QKeySequence, QPainter
from PyQt6.QtWidgets import (QAbstractButton, QAbstractScrollArea, QApplication, QDoubleSpinBox, QGraphicsView,
                             QLabel, QMainWindow, QVBoxLayout, QWidget)

from visualizer import theme
from visualizer.views.confirm_bar import ConfirmBar

def html(text: str) -> str:
    """text for rich text: <, > and & escaped; quotes stay (a label shows "lesson's", not "lesson&#x27;s")."""
    return escape(text, quote=False)


CLICKER = (QKeySequence(Qt.Key.Key_PageDown), QKeySequence(Qt.Key.Key_PageUp))     # what a presentation remote sends


def key_table(window: QMainWindow) -> list[tuple[str, str]]:
    """(keys, what they do) for every action of the window with a key, then every button with one."""
    rows = []
    for action in window.actions():
        keys = [key.toString(QKeySequence.SequenceFormat.NativeText) for key in action.shortcuts() if not key.isEmpty()]
        if not keys or not action.text():
            continue
        clicker = " (a clicker's page keys)" if any(key in CLICKER for key in action.shortcuts()) else ""
        rows.append((" or ".join(keys), action.text().rstrip("…") + clicker))
    for button in window.findChildren(QAbstractButton):
        key = button.shortcut()
        if not key.isEmpty() and button.accessibleName():
            rows.append((key.toString(QKeySequence.SequenceFormat.NativeText), button.accessibleName()))
    return rows


class KeyboardHelp(QWidget):
    """Every key of the window in large type over a dimmed window; any key or a click closes it."""

    def __init__(self, window: QMainWindow) -> None:
        super().__init__(window)
        self.window_ = window
        self.setObjectName("keyboardHelpOverlay")
        self.setAccessibleName("Keyboard help")
        self.setToolTip("Every key of the window; press any key or click to close")
        self.text = QLabel(self)
        self.text.setObjectName("keyboardHelpText")
        self.text.setTextFormat(Qt.TextFormat.RichText)
        self.text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text, 1)
        self.rows: list[tuple[str, str]] = []
        self.hide()
        window.installEventFilter(self)         # follows the window's size

    def open(self, presenter: bool = False) -> None:
        self.rows = key_table(self.window_)
        size = theme.PRESENTER_POINT_SIZE if presenter else theme.BASE_POINT_SIZE + 2
        self.text.setFont(theme.font(size))
        # Two columns of keys side by side: one would run off a 768-pixel screen.
        half = (len(self.rows) + 1) // 2
        pairs = [(self.rows[k], self.rows[k + half] if k + half < len(self.rows) else ("", ""))
                 for k in range(half)]
        cells = "".join("<tr>" + "".join(f"<td align='right' style='padding: 2px 12px'><b>{html(keys)}</b></td>"
                                         f"<td style='padding: 2px 28px 2px 12px'>{html(what)}</td>"
                                         for keys, what in pair) + "</tr>" for pair in pairs)
        self.text.setText(f"<p style='font-size: {size * 1.3:g}pt'><b>Keys</b></p>"
                          f"<table style='color: {theme.INK}'>{cells}</table>"
                          f"<p style='color: {theme.MUTED}'>Any key or a click closes this</p>")
        self.setGeometry(self.window_.rect())
        self.raise_()
        self.show()
        self.setFocus()

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), theme.with_alpha(theme.PAPER, 238))
        painter.end()

    def keyPressEvent(self, event) -> None:
        self.close_help()

    def mousePressEvent(self, event) -> None:
        self.close_help()

    def close_help(self) -> None:
        self.hide()
        self.window_.action("keyboardHelp").setChecked(False)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.window_ and event.type() == QEvent.Type.Resize and self.isVisible():
            self.setGeometry(self.window_.rect())
        return False


class PhasePlayer(QObject):
    """Steps one phase, waits `pace` seconds, steps the next… while on: `pace` is the spin box phasePaceSpin."""

    def __init__(self, step, parent: QObject | None = None) -> None:
        """step: what one step does (the window's step_phase)."""
        super().__init__(parent)
        self.pace = QDoubleSpinBox()
        self.pace.setObjectName("phasePaceSpin")
        self.pace.setAccessibleName("Seconds per phase")
        self.pace.setToolTip("How long each phase stays on screen while the phases play one at a time")
        self.pace.setRange(0.2, 30.0)
        self.pace.setSingleStep(0.5)
        self.pace.setDecimals(1)
        self.pace.setValue(2.0)
        self.pace.setSuffix(" s per phase")
        self.pace.setFocusPolicy(Qt.FocusPolicy.ClickFocus)     # the arrow keys keep stepping
        self.timer = QTimer(self)
        self.timer.timeout.connect(step)
        self.pace.valueChanged.connect(lambda seconds: self.timer.setInterval(round(seconds * 1000)))
        self.timer.setInterval(round(self.pace.value() * 1000))

    @property
    def on(self) -> bool:
        return self.timer.isActive()

    def set_on(self, on: bool) -> None:
        self.timer.start() if on else self.timer.stop()



DROP_WITHOUT_ASKING = 10    # Ctrl+R or Ctrl+Q drop more iterations than this only after an inline question


class DropGuard:
    """Asks in a strip over the diagram (dropConfirmBar) before Ctrl+R or Ctrl+Q throws away more than a few
    iterations; the same key pressed again, or Apply, goes ahead."""

    def __init__(self) -> None:
        self.bar = ConfirmBar("dropConfirm", "Confirm throwing the run away",
                              ("Go ahead: the iterations are dropped",) * 2, ("Keep the run",) * 2)
        self.bar.apply.clicked.connect(self._apply)
        self.bar.cancel.clicked.connect(self.cancel)
        self._pending: tuple[str, object] | None = None

    def ask(self, what: str, iterations: int, go) -> None:
        """Run go() at once when iterations are few, or when the same question is already asked (a second press);
        else ask. what: "reset" or "quit"."""
        if iterations <= DROP_WITHOUT_ASKING or (self._pending is not None and self._pending[0] == what):
            self.cancel()
            go()
            return
        self._pending = (what, go)
        key = "Ctrl+R" if what == "reset" else "Ctrl+Q"
        deed = "Restarting from iteration 0" if what == "reset" else "Quitting"
        self.bar.apply.setText("Reset" if what == "reset" else "Quit")
        self.bar.ask(f"{deed} throws away the {iterations:,} iterations of this run (Ctrl+Shift+S saves it as a "
                     f"session first) — press {key} again or {self.bar.apply.text()} / Cancel")

    def _apply(self) -> None:
        if self._pending is not None:
            go = self._pending[1]
            self.cancel()
            go()

    def cancel(self) -> None:
        self._pending = None
        self.bar.hide()


class WheelRouter(QObject):
    """The mouse wheel scrolls the panel under it, not the plot it happens to be over; Ctrl+wheel zooms the plot.

    pyqtgraph's plots take every wheel turn to zoom: over a panel that scrolls (the race, the bug lab), the panel
    could not be scrolled, and a plot zoomed by accident stayed squashed. Installed on the application while the
    window lives (closeEvent removes it)."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() != QEvent.Type.Wheel or event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            return False
        view = watched.parent() if isinstance(watched, QWidget) else None
        if not isinstance(view, QGraphicsView) or watched is not view.viewport():
            return False
        area = view.parentWidget()
        while area is not None and not isinstance(area, QAbstractScrollArea):
            area = area.parentWidget()
        if area is not None:
            QApplication.sendEvent(area.verticalScrollBar(), event)
        return True             # never a zoom without Ctrl
