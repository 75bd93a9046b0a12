"""The two weight matrices: W1 as a bundle of lines from the input tile to each hidden unit, ending in its row of
784 weights drawn as a 28×28 thumbnail ("what this unit looks for"), and W2 as an edge per hidden → output pair
(colour = sign, width and opacity = |w|). While dW1 or dW2 is the phase, they show that gradient instead."""
from __future__ import annotations

import math

import numpy as np
from PyQt6.QtCore import QPointF
from PyQt6.QtGui import QColor, QPainterPath, QPen
from PyQt6.QtWidgets import QGraphicsLineItem, QGraphicsPathItem, QGraphicsPixmapItem, QGraphicsRectItem

from visualizer import formatting, theme

from .canvas import Canvas, place
from .layout import Layout

EDGE_LEVELS = 24           # W2 edges are drawn with one of this many widths / opacities per sign


class Thumbnails:
    """W1's bundle and thumbnails. Public state: `pictures` (the thumbnail items), `frames` (their borders),
    `bundle` (the lines' path item), `units` (whose rows are drawn), `source` (the array the pictures show)."""

    def __init__(self, canvas: Canvas, layout: Layout) -> None:
        self.canvas, self.layout = canvas, layout
        lines = canvas.lines
        self.units = layout.thumbnail_units
        self.pictures: list[QGraphicsPixmapItem] = []
        self.frames: list[QGraphicsRectItem] = []
        for rect, unit in zip(layout.thumbnails, self.units):
            picture = QGraphicsPixmapItem()
            picture.setPos(rect.topLeft())
            picture.setScale(rect.width() / 28)
            picture.setToolTip(f"W1 row {unit}: the 784 incoming weights of hidden unit {unit}, as an image")
            self.pictures.append(canvas.add(picture, 3))
            self.frames.append(canvas.add(QGraphicsRectItem(rect), 4))
            self.frames[-1].setPen(QPen(QColor(theme.MUTED), 0.8 * lines))
        bundle, connectors = QPainterPath(), QPainterPath()
        drawn = {unit: rect for unit, rect in zip(self.units, layout.thumbnails)}
        for j, (start, end) in enumerate(layout.bundle):
            bundle.moveTo(start)
            middle = (start.x() + end.x()) / 2
            bundle.cubicTo(QPointF(middle, start.y()), QPointF(middle, end.y()), end)
            if j in drawn:
                connectors.moveTo(drawn[j].right(), end.y())
                connectors.lineTo(layout.hidden_x - layout.radius, end.y())
        self.bundle = canvas.add(QGraphicsPathItem(bundle), 0)
        connector = canvas.add(QGraphicsPathItem(connectors), 1)
        connector.setPen(QPen(theme.with_alpha(theme.MUTED, 140), 0.8 * lines))
        self.source: np.ndarray | None = None
        self._rgb: np.ndarray | None = None
        self._rows_name: str | None = None
        self._frame_key: tuple | None = None

    def note(self) -> None:
        """Which units the thumbnails show, under them when it is not every one."""
        stride = self.layout.thumbnail_stride
        text = f"thumbnails: every {formatting.ordinal(stride)} unit" if stride > 1 else ""
        item = self.canvas.text(text, self.canvas.small, theme.MUTED)
        place(item, self.layout.thumbnail_note_at.x(), self.layout.thumbnail_note_at.y(), "center")

    def show_lit(self, lit: bool, colour: QColor) -> None:
        """Frames and bundle in the phase's colour when the phase wrote W1."""
        key = (lit, colour.rgba())
        if key == self._frame_key:
            return
        self._frame_key = key
        lines = self.canvas.lines
        frame_pen = QPen(colour, 2.0 * lines) if lit else QPen(QColor(theme.MUTED), 0.8 * lines)
        for frame in self.frames:
            frame.setPen(frame_pen)
        bundle_colour = theme.with_alpha(colour, 120) if lit else theme.with_alpha(theme.MUTED, 55)
        self.bundle.setPen(QPen(bundle_colour, (1.4 if lit else 0.8) * lines))

    def show_rows(self, rows_name: str, source: np.ndarray, due: bool) -> None:
        """The pictures of W1's (or dW1's) rows. The parameters are immutable and replaced at each update, so the
        same object means the same picture; a new one often differs from the last in a few thumbnails only."""
        if source is not self.source and (due or self.source is None):
            self.source = source
            rows = formatting.finite(source[list(self.units)])
            rgb = theme.signed_rgb(rows).reshape(len(self.units), 28, 28, 3)
            for position, item in enumerate(self.pictures):
                if self._rgb is None or not np.array_equal(rgb[position], self._rgb[position]):
                    item.setPixmap(theme.rgb_pixmap(rgb[position]))
            self._rgb = rgb
        if rows_name != self._rows_name:
            self._rows_name = rows_name
            gradient = "gradients of the " if rows_name != "W1" else ""
            for item, unit in zip(self.pictures, self.units):
                item.setToolTip(f"{rows_name} row {unit}: the 784 {gradient}incoming weights of hidden unit {unit}, "
                                f"as a 28×28 image")


class Edges:
    """W2's edges. Public state: `lines` (per output row, per hidden unit) and `levels` (the pen each has now)."""

    def __init__(self, canvas: Canvas, layout: Layout) -> None:
        lines = canvas.lines
        # Many units share the room, so each is fainter.
        density = min(1.0, math.sqrt(16 / layout.hidden))
        self._pens = []
        for sign_colour in (theme.NEGATIVE, theme.POSITIVE):
            for level in range(EDGE_LEVELS):
                magnitude = level / (EDGE_LEVELS - 1)
                self._pens.append(QPen(theme.with_alpha(sign_colour, (25 + 200 * magnitude) * density),
                                       (0.3 + 3.2 * magnitude) * density * lines))
        start, end = layout.hidden_x + layout.radius, layout.output_x - layout.output_radius
        self.lines = [[canvas.add(QGraphicsLineItem(start, y_hidden, end, y_out), 1) for y_hidden in layout.hidden_y]
                      for y_out in layout.output_y]
        self.levels = np.full((10, layout.hidden), -1)

    def show(self, values: np.ndarray) -> None:
        """Colour = sign, width and opacity by |value| against the largest; only the edges whose level moved."""
        top = float(np.abs(values).max()) if values.size else 0.0
        levels = np.rint(np.abs(values) * ((EDGE_LEVELS - 1) / (top if top > 0 else 1.0))).astype(int)
        pens = np.where(values < 0, levels, levels + EDGE_LEVELS)
        for i, j in np.argwhere(pens != self.levels):
            self.lines[i][j].setPen(self._pens[pens[i, j]])
        self.levels = pens
