"""What the diagram's parts share: the scene with its fonts and pen scale, text placed by its middle, the gradient
pills and the bias squares."""
from __future__ import annotations

from typing import Callable, TypeVar

import numpy as np
from PyQt6.QtCore import QPointF, QRectF, Qt
from PyQt6.QtGui import QColor, QFont, QPainterPath, QPen
from PyQt6.QtWidgets import QGraphicsItem, QGraphicsPathItem, QGraphicsRectItem, QGraphicsScene, \
    QGraphicsSimpleTextItem

from visualizer import formatting, theme

Item = TypeVar("Item", bound=QGraphicsItem)


def rounded(rect: QRectF, radius: float) -> QPainterPath:
    path = QPainterPath()
    path.addRoundedRect(rect, radius, radius)
    return path


def place(item: QGraphicsSimpleTextItem, x: float, y: float, align: str = "left") -> None:
    """Put a text item with its left / centre / right at x and its vertical middle at y."""
    rect = item.boundingRect()
    dx = {"left": 0.0, "center": rect.width() / 2, "right": rect.width()}[align]
    item.setPos(x - dx, y - rect.height() / 2)


def set_text(item: QGraphicsSimpleTextItem, text: str, x: float, y: float, align: str = "left") -> None:
    """Write and place text, only if it changed."""
    if item.text() != text:
        item.setText(text)
        place(item, x, y, align)


class Canvas:
    """The scene the parts draw into, with the fonts of the current mode and the pen scale (1.7 presenting)."""

    def __init__(self, scene: QGraphicsScene, presenter: bool) -> None:
        # On a projector the scene is drawn at about three quarters of its size (layout.PRESENTER_SCALE: it fits a
        # 1366×768 screen under the header that way): its captions come out at about 13 pt, the numbers in the
        # nodes, larger than the captions, at 18 pt and more, the nodes 40 px across. Elsewhere the numbers are
        # small.
        size = theme.PRESENTER_POINT_SIZE * 0.85 if presenter else theme.BASE_POINT_SIZE
        self.scene = scene
        self.font, self.bold, self.small = theme.font(size), theme.font(size, bold=True), theme.font(size * 0.8)
        # (regular, not bold: "0.2" then fits a 40-pixel node at 18 pt)
        self.number = theme.font(theme.PRESENTER_POINT_SIZE * 1.25) if presenter else self.small
        self.lines = 1.7 if presenter else 1.0
        self.presenter = presenter

    def add(self, item: Item, z: float, mouse: bool = True) -> Item:
        item.setZValue(z)
        if not mouse:
            item.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.scene.addItem(item)
        return item

    def text(self, text: str = "", font: QFont | None = None, color: str | None = None,
             z: float = 6) -> QGraphicsSimpleTextItem:
        item = QGraphicsSimpleTextItem(text)
        item.setFont(font or self.font)
        item.setBrush(QColor(color or theme.INK))     # the theme's ink now, not when this module was loaded
        return self.add(item, z)

    def overlays(self, count: int, z: float, make: Callable[[], Item]) -> list[Item]:
        """count hidden items above the diagram that ignore the mouse (for the animation)."""
        items = []
        for _ in range(count):
            item = self.add(make(), z, mouse=False)
            item.setVisible(False)
            items.append(item)
        return items


class Pills:
    """Small rounded labels with signed-colour backgrounds beside a column of nodes (the example's dZ1 or dZ2),
    under a header; hidden outside the backward phases."""

    def __init__(self, canvas: Canvas, left_middles: list[QPointF], width: float, height: float,
                 header: str, header_at: QPointF) -> None:
        self.boxes: list[QGraphicsPathItem] = []
        self.texts: list[QGraphicsSimpleTextItem] = []
        for point in left_middles:
            box = QGraphicsPathItem(rounded(QRectF(point.x(), point.y() - height / 2, width, height), height / 2))
            box.setPen(QPen(QColor(theme.BACKWARD), 1.0 * canvas.lines))
            box.setVisible(False)
            canvas.add(box, 7, mouse=False)
            text = QGraphicsSimpleTextItem(box)
            text.setFont(canvas.small)
            text.setBrush(QColor(theme.INK))
            self.boxes.append(box)
            self.texts.append(text)
        self.header = canvas.text(header, canvas.small, theme.BACKWARD)
        place(self.header, header_at.x(), header_at.y(), "center")

    def show(self, values: np.ndarray | None) -> None:
        visible = values is not None and bool(self.boxes)
        if not visible and not self.header.isVisible():
            return      # hidden and staying hidden (every snapshot while playing)
        self.header.setVisible(visible)
        rgb = theme.signed_rgb(values) if visible else np.zeros((0, 3), np.uint8)
        fills, inks = theme.qcolors(rgb), theme.inks_on(rgb)
        for k, (box, text) in enumerate(zip(self.boxes, self.texts)):
            box.setVisible(visible)
            if not visible:
                continue
            box.setBrush(fills[k])
            text.setText(formatting.short(values[k]))
            text.setBrush(inks[k])
            outline, inside = box.path().boundingRect(), text.boundingRect()
            text.setPos(outline.center().x() - inside.width() / 2, outline.center().y() - inside.height() / 2)

    def texts_shown(self) -> list[str]:
        return [text.text() for box, text in zip(self.boxes, self.texts) if box.isVisible()]


class BiasSquares:
    """A bias per node as a small square in the signed map's colours, outlined in the phase's colour when the
    phase wrote the biases; remembers what it shows, so a frame touches only the squares that change."""

    def __init__(self, canvas: Canvas, rects: list[QRectF], visible: bool = True) -> None:
        self.lines = canvas.lines
        self.squares = [canvas.add(QGraphicsRectItem(rect), 6, mouse=False) for rect in rects]
        for square in self.squares:
            square.setVisible(visible)
        self._index = np.full(len(rects), -1)
        self._lut: np.ndarray | None = None
        self._pen: tuple | None = None

    def show(self, values: np.ndarray, lit: bool, colour: QColor) -> None:
        index = theme.lut_index(values, *theme.symmetric_levels(values))
        lut = theme.SIGNED_LUT
        changed = np.flatnonzero(index != self._index).tolist() if lut is self._lut else range(len(self.squares))
        for k in changed:
            self.squares[k].setBrush(QColor(*lut[index[k]]))
        self._index, self._lut = index, lut
        pen_key = (lit, colour.rgba() if lit else None)
        if pen_key != self._pen:
            self._pen = pen_key
            pen = QPen(colour, 2.0 * self.lines) if lit else QPen(QColor(theme.INK), 0.6 * self.lines)
            for square in self.squares:
                square.setPen(pen)
