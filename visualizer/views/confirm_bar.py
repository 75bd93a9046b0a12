"""An inline, non-modal question — a sentence with Apply and Cancel — so a clicker or a test can answer it."""
from __future__ import annotations

from PyQt6.QtGui import QFontMetricsF
from PyQt6.QtWidgets import (QWIDGETSIZE_MAX, QBoxLayout, QFrame, QHBoxLayout, QLabel, QPushButton, QScrollArea,
                             QVBoxLayout, QWidget)

from .. import theme


def described(widget: QWidget, name: str, accessible: str, tip: str) -> QWidget:
    """Give a widget its objectName, the name a screen reader speaks, and its tooltip."""
    widget.setObjectName(name)
    widget.setAccessibleName(accessible)
    widget.setToolTip(tip)
    return widget


def scrolling(panel: QWidget, content: QWidget) -> QScrollArea:
    """Fill panel with content in a frameless scroll area: on a short screen the panel scrolls as a whole."""
    scroll = QScrollArea()
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QFrame.Shape.NoFrame)
    scroll.setWidget(content)
    outer = QVBoxLayout(panel)
    outer.setContentsMargins(0, 0, 0, 0)
    outer.addWidget(scroll)
    return scroll


_DIGITS = str.maketrans("0123456789", "0000000000")


def steady_text(label: QLabel, text: str) -> None:
    """Set the text of a label that changes at every frame without making the window lay itself out again.
    Any other label's setText() has its layout, each one above it and at last the main window's (every dock's
    size hints) computed anew at the next event loop pass, which was most of what a frame cost while playing;
    a label of fixed size skips that. Its size only grows, to the widest text shown so far, so the widgets beside
    it do not jitter either. The size is worked out once per shape of text (its digits aside), for the widest
    digits of its font, not at every frame. unsteady() lets the size follow the text again (after a font change)."""
    shape = text.translate(_DIGITS)
    shapes: set[str] | None = getattr(label, "_steady_shapes", None)
    if shapes is not None and shape in shapes:
        label.setText(text)
        return
    metrics = QFontMetricsF(label.font())
    widest = max("0123456789", key=metrics.horizontalAdvance)
    label.setText(shape.replace("0", widest))
    hint = label.sizeHint()
    label.setText(text)
    if shapes is None:
        label.setFixedSize(hint)
        label._steady_shapes = {shape}
    else:
        if hint.width() > label.width() or hint.height() > label.height():
            label.setFixedSize(hint.expandedTo(label.size()))
        shapes.add(shape)


def unsteady(label: QLabel) -> None:
    label._steady_shapes = None
    label.setMinimumSize(0, 0)
    label.setMaximumSize(QWIDGETSIZE_MAX, QWIDGETSIZE_MAX)
    label.updateGeometry()


class ConfirmBar(QFrame):
    """Hidden until ask(); its children are named `<prefix>Bar`, `<prefix>Text`, `<prefix>Apply`, `<prefix>Cancel`."""

    def __init__(self, prefix: str, accessible: str, apply: tuple[str, str], cancel: tuple[str, str],
                 stacked: bool = False, parent: QWidget | None = None):
        super().__init__(parent)
        described(self, f"{prefix}Bar", accessible, accessible)
        self._prefix = prefix
        self.set_theme()
        self.text = QLabel()
        self.text.setObjectName(f"{prefix}Text")
        self.text.setWordWrap(True)
        self.apply = described(QPushButton("Apply"), f"{prefix}Apply", *apply)
        self.cancel = described(QPushButton("Cancel"), f"{prefix}Cancel", *cancel)
        for button in (self.apply, self.cancel):
            # Space is the window's play key even here, so a button reached with Tab is pressed with Return.
            button.setAutoDefault(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.apply)
        buttons.addWidget(self.cancel)
        layout: QBoxLayout = QVBoxLayout(self) if stacked else QHBoxLayout(self)
        if not stacked:
            layout.setContentsMargins(8, 4, 8, 4)
        layout.addWidget(self.text, 0 if stacked else 1)
        layout.addLayout(buttons)
        self.hide()

    def set_theme(self) -> None:
        """A message strip in the theme's notice colour, under its ink."""
        self.setStyleSheet(f"#{self._prefix}Bar {{ background: {theme.NOTICE}; border: 1px solid {theme.ORANGE}; "
                           f"border-radius: 4px; }}")

    def ask(self, question: str) -> None:
        self.text.setText(question)
        self.show()
