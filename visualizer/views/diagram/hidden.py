"""The hidden layer: a node per unit filled by the example's A1 with the number written in it when it fits, its
bias square, and the example's dZ1 in a pill beside it during the backward pass. Hovering a node shows its Z1 and
A1 (on the hover line and in its tooltip); clicking it selects the unit."""
from __future__ import annotations

from typing import Callable

import numpy as np
from PyQt6.QtCore import QPointF, QRectF, Qt
from PyQt6.QtGui import QColor, QPainterPath, QPen
from PyQt6.QtWidgets import QGraphicsEllipseItem, QGraphicsPathItem, QGraphicsSceneHoverEvent, \
    QGraphicsSceneMouseEvent, QGraphicsSimpleTextItem

from visualizer import formatting, theme

from .canvas import BiasSquares, Canvas, Pills, place
from .layout import Layout


class HiddenNode(QGraphicsEllipseItem):
    """A hidden unit: hovering calls hovered(index or None), a left click clicked(index)."""

    def __init__(self, index: int, hovered: Callable[[int | None], None], clicked: Callable[[int], None]) -> None:
        super().__init__()
        self.index = index
        self._hovered, self._clicked = hovered, clicked
        self.setAcceptHoverEvents(True)
        self.setCursor(Qt.CursorShape.PointingHandCursor)

    def hoverEnterEvent(self, event: QGraphicsSceneHoverEvent) -> None:
        self._hovered(self.index)
        super().hoverEnterEvent(event)

    def hoverLeaveEvent(self, event: QGraphicsSceneHoverEvent) -> None:
        self._hovered(None)
        super().hoverLeaveEvent(event)

    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._clicked(self.index)
            event.accept()
        else:
            super().mousePressEvent(event)


class HiddenLayer:
    """The hidden nodes, their numbers, biases and dZ1 pills. Public state, as the items show it:
    `nodes`, `values` (the text items written in the nodes), `written` (the full number each stands for, before
    shortening to fit), `biases`, `pills`, and `numbers` (per quantity, the values hovering reads)."""

    def __init__(self, canvas: Canvas, layout: Layout, hovered: Callable[[int | None], None],
                 clicked: Callable[[int], None]) -> None:
        self.canvas, self.layout = canvas, layout
        radius, x = layout.radius, layout.hidden_x
        node_pen = QPen(QColor(theme.INK), 1.0 * canvas.lines)
        self.nodes: list[HiddenNode] = []
        self.values: list[QGraphicsSimpleTextItem] = []
        # On a projector the bias squares are larger and sit half outside the node, so they read from the back.
        bias_side, bias_at = (max(3.0, 0.75 * radius), 0.95) if canvas.presenter else (max(3.0, 0.6 * radius), 0.8)
        for j, y in enumerate(layout.hidden_y):
            node = HiddenNode(j, hovered, clicked)
            node.setToolTip(f"hidden unit {j}: hover to read its Z1 and A1, click to select it")
            node.setRect(QRectF(x - radius, y - radius, 2 * radius, 2 * radius))
            node.setPen(node_pen)
            self.nodes.append(canvas.add(node, 5))
            value = canvas.text(font=canvas.number, z=6)
            value.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
            self.values.append(value)
        # on tiny nodes the bias square would read as noise
        self.biases = BiasSquares(canvas, [QRectF(x - bias_at * radius - bias_side / 2,
                                                  y + bias_at * radius - bias_side / 2, bias_side, bias_side)
                                           for y in layout.hidden_y], radius >= 7)
        pill_rows = layout.hidden_y if layout.hidden_pills else ()
        self.pills = Pills(canvas, [QPointF(layout.hidden_pill_x, y) for y in pill_rows], layout.pill_width,
                           layout.pill_height, "dZ1",
                           QPointF(layout.hidden_pill_x + layout.pill_width / 2, layout.pill_header_y))
        self.written: list[str | None] = [None] * layout.hidden
        self.numbers: dict[str, np.ndarray] = {}
        self._fill = (np.full(layout.hidden, -1), None)       # lookup-table entries, the table
        # The what-if's marks (mark): a cross over a unit switched off, a dashed ring around one changed.
        self.crosses: list[QGraphicsPathItem] = []
        self.rings: list[QGraphicsEllipseItem] = []
        cross_pen = QPen(QColor(theme.WRONG), 3.0 * canvas.lines)
        ring_pen = QPen(QColor(theme.WRONG), 2.0 * canvas.lines, Qt.PenStyle.DashLine)
        for y in layout.hidden_y:
            arm = radius * 0.9
            path = QPainterPath(QPointF(x - arm, y - arm))
            path.lineTo(x + arm, y + arm)
            path.moveTo(x + arm, y - arm)
            path.lineTo(x - arm, y + arm)
            cross = canvas.add(QGraphicsPathItem(path), 8, mouse=False)
            cross.setPen(cross_pen)
            cross.setVisible(False)
            ring = canvas.add(QGraphicsEllipseItem(x - radius - 4, y - radius - 4, 2 * radius + 8, 2 * radius + 8),
                              8, mouse=False)
            ring.setPen(ring_pen)
            ring.setVisible(False)
            self.crosses.append(cross)
            self.rings.append(ring)

    def mark(self, off: frozenset[int], changed: frozenset[int]) -> None:
        """The units the what-if switched off (crossed out) and changed (ringed); the others unmarked."""
        for j, (cross, ring) in enumerate(zip(self.crosses, self.rings)):
            cross.setVisible(j in off)
            ring.setVisible(j in changed)
            cross.setToolTip(f"hidden unit {j} is switched off in the what-if (Hidden unit panel)")

    def show(self, a1: np.ndarray, numbers: bool) -> None:
        """Fill the nodes by A1 (signed map if the activation can be negative); numbers False keeps the numbers
        written (while playing they follow a few times a second)."""
        if a1.size and float(a1.min()) < 0:
            lut, (low, high) = theme.SIGNED_LUT, theme.symmetric_levels(a1)
        else:
            lut, low, high = theme.SEQUENTIAL_LUT, 0.0, max(float(a1.max()) if a1.size else 0.0, 1e-6)
        fill_index = theme.lut_index(a1, low, high)
        shown_fill, shown_lut = self._fill
        refill = np.flatnonzero(fill_index != shown_fill).tolist() if lut is shown_lut else \
            list(range(len(self.nodes)))
        colours, inks = theme.lut_colours(lut)
        entries = fill_index.tolist()
        for j in refill:
            self.nodes[j].setBrush(colours[entries[j]])
        self._fill = (fill_index, lut)
        rewrite = []
        if numbers or None in self.written:
            values = a1.tolist()
            texts = [formatting.short(value) for value in values]
            rewrite = [j for j, text in enumerate(texts) if text != self.written[j]]
        for j in rewrite:
            self.written[j] = texts[j]
            self._write(j, values[j])
        recolour = sorted(set(refill) | set(rewrite))
        for j in recolour:
            if self.values[j].isVisible():
                self.values[j].setBrush(inks[entries[j]])     # readable on its fill in every theme

    def _write(self, j: int, value: float) -> None:
        """The number in node j: as many decimals as fit, else none at all."""
        text, radius = self.values[j], self.layout.radius
        fits = False
        for candidate in formatting.shorter(value):
            text.setText(candidate)
            rect = text.boundingRect()
            # (never wider than the node; on a projector a number may reach its ring, as "0.2" in a 40 px node)
            fits = rect.width() <= 2 * radius - (1 if self.canvas.presenter else 3) and rect.height() <= 2 * radius
            if fits:
                break
        text.setVisible(fits)
        if fits:
            place(text, self.layout.hidden_x, self.layout.hidden_y[j], "center")

    def hover_text(self, index: int) -> str | None:
        """The hover line for unit index (its tooltip says the same), or None before any numbers."""
        if not 0 <= index < len(self.nodes) or not self.numbers:
            return None
        numbers = [f"{name} = {formatting.short(values[index])}" for name, values in self.numbers.items()]
        self.nodes[index].setToolTip("\n".join([f"hidden unit {index}", *numbers, "click to select this unit"]))
        return " · ".join([f"hidden unit {index}", *numbers])
