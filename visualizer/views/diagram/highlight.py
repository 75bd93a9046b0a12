"""Two kinds of marks behind the drawing: the regions the phase just computed, lit in its colour, and the parts a
guided lesson points at, marked with a highlighter (a soft band and a bold outline; the biases, small squares
inside the nodes, get rings above them instead)."""
from __future__ import annotations

from PyQt6.QtCore import Qt
from PyQt6.QtGui import QBrush, QColor, QPainterPath, QPen
from PyQt6.QtWidgets import QGraphicsPathItem, QGraphicsRectItem, QGraphicsSimpleTextItem

from visualizer import theme
from visualizer.phases import DIAGRAM_PARTS

from .canvas import Canvas, rounded
from .layout import Layout


class Regions:
    """The lit regions, one per part a phase can light with a region (W1, hidden, W2, output; the biases are lit
    by their squares' outlines). Public state: `items` by part."""

    def __init__(self, canvas: Canvas, layout: Layout) -> None:
        self.lines = canvas.lines
        self.items: dict[str, QGraphicsPathItem] = {}
        for name, rect in layout.regions.items():
            item = canvas.add(QGraphicsPathItem(rounded(rect, 10)), -10)
            item.setVisible(False)
            self.items[name] = item

    def show(self, lights: frozenset[str], colour: QColor, fill_alpha: int) -> None:
        for name, region in self.items.items():
            region.setVisible(name in lights)
            if name in lights:
                region.setBrush(theme.with_alpha(colour, fill_alpha))
                region.setPen(QPen(theme.with_alpha(colour, 150), 1.5 * self.lines))


class Emphasis:
    """The lesson's marks. Public state: `parts` (what is marked) and `items` by part."""

    def __init__(self, canvas: Canvas, layout: Layout) -> None:
        self.lines, self.layout = canvas.lines, layout
        self.items: dict[str, QGraphicsPathItem] = {}
        for name in sorted(DIAGRAM_PARTS):
            item = canvas.add(QGraphicsPathItem(), 6.5 if name in ("b1", "b2") else -11, mouse=False)
            item.setVisible(False)
            self.items[name] = item

    def show(self, parts: frozenset[str], biases: dict[str, list[QGraphicsRectItem]],
             captions: dict[str, QGraphicsSimpleTextItem]) -> None:
        """Mark parts around where they are now: biases and captions are the squares and the caption items of b1
        and b2."""
        lines = self.lines
        band = theme.with_alpha(theme.HIGHLIGHT, 70)
        outline = QPen(QColor(theme.HIGHLIGHT), 4.0 * lines)
        outline.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
        for name, item in self.items.items():
            shown = name in parts
            item.setVisible(shown)
            if not shown:
                continue
            path = QPainterPath()
            if name in biases:
                for square in biases[name]:
                    if square.isVisible():
                        path.addRoundedRect(square.rect().adjusted(-3, -3, 3, 3), 3, 3)
                path.addRoundedRect(captions[name].sceneBoundingRect().adjusted(-6, -2, 6, 2), 8, 8)
                item.setBrush(QBrush(Qt.BrushStyle.NoBrush))
                item.setPen(QPen(QColor(theme.HIGHLIGHT), 3.0 * lines))
            else:
                path.addRoundedRect(self.layout.emphasis[name].adjusted(-4, -4, 4, 4), 12, 12)
                item.setBrush(band)
                item.setPen(outline)
            item.setPath(path)
