"""Under the diagram: the direction in a coloured pill, the phase's equation and a note on what the drawing shows
differently; under them the hover line (a hidden unit's numbers, or how to get them)."""
from __future__ import annotations

from PyQt6.QtCore import QRectF, Qt
from PyQt6.QtGui import QColor, QPen
from PyQt6.QtWidgets import QGraphicsPathItem

from visualizer import theme
from visualizer.hints import mark_hint
from visualizer.phases import DIRECTION_CAPTIONS

from .canvas import Canvas, place, rounded, set_text
from .layout import MARGIN, Layout

HOVER_HINT = "hover a hidden unit to read its Z1 and A1 · click it to select it"


class Footer:
    """Public state: `direction`, `equation`, `note` and `hover` (the text items)."""

    def __init__(self, canvas: Canvas, layout: Layout) -> None:
        self.layout = layout
        self._box = canvas.add(QGraphicsPathItem(), 5)
        self._box.setPen(QPen(Qt.PenStyle.NoPen))
        self.direction = canvas.text(font=canvas.bold)
        self.equation = canvas.text(font=canvas.font)
        self.note = canvas.text(font=canvas.font, color=theme.MUTED)
        self.hover = canvas.text(font=canvas.small, color=theme.MUTED)
        mark_hint(self.hover)           # no export shows it
        self.show_hover(HOVER_HINT)
        if not layout.footer:           # presenter mode: the header says it all, and no one hovers on a projector
            for item in (self._box, self.direction, self.equation, self.note, self.hover):
                item.setVisible(False)

    def show(self, direction: str | None, equation: str, note: str, colour: QColor) -> None:
        """direction None: nothing computed yet ("ready", and the next equation)."""
        y = self.layout.footer_y
        self.direction.setText("ready" if direction is None else DIRECTION_CAPTIONS[direction])
        self.equation.setText(equation)
        # Paper on the forward and backward colours, as ever; on the update's, whichever reads better.
        ink = QColor(theme.INK) if direction is None else \
            theme.ink_on(colour) if direction == "update" else QColor(theme.PAPER)
        self.direction.setBrush(ink)
        text = self.direction.boundingRect()
        pad_x, pad_y = 10.0, 3.0
        box = QRectF(MARGIN, y - text.height() / 2 - pad_y, text.width() + 2 * pad_x, text.height() + 2 * pad_y)
        self._box.setPath(rounded(box, box.height() / 2))
        self._box.setBrush(QColor(theme.PANEL) if direction is None else colour)
        place(self.direction, MARGIN + pad_x, y)
        place(self.equation, box.right() + 12, y)
        self.note.setText(note)
        self.note.setVisible(bool(note) and self.layout.footer)
        place(self.note, self.equation.pos().x() + self.equation.boundingRect().width() + 16, y)

    def show_hover(self, text: str) -> None:
        set_text(self.hover, text, MARGIN, self.layout.hover_y)

    def texts(self) -> list[str]:
        return [item.text() for item in (self.direction, self.equation, self.note) if item.isVisible()]
