"""An inline, non-modal question — a sentence with Apply and Cancel — so a clicker or a test can answer it."""
from __future__ import annotations

from PyQt6.QtWidgets import (QBoxLayout, QFrame, QHBoxLayout, QLabel, QPushButton, QScrollArea, QVBoxLayout,
                             QWidget)

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
