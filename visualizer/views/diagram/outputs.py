"""The output layer: ten nodes filled by the example's softmax probabilities, the class names, the probabilities
written out, the bias squares, the example's dZ2 in pills during the backward pass, and rings and tags on the
label and the prediction."""
from __future__ import annotations

import numpy as np
from PyQt6.QtCore import QPointF, QRectF
from PyQt6.QtGui import QColor, QPen
from PyQt6.QtWidgets import QGraphicsEllipseItem, QGraphicsSimpleTextItem

from visualizer import formatting, theme

from .canvas import BiasSquares, Canvas, Pills, place
from .layout import Layout


class OutputLayer:
    """Public state, as the items show it: `nodes`, `names`, `probabilities` (the text items), `biases`, `pills`,
    `label_ring`, `prediction_ring`."""

    def __init__(self, canvas: Canvas, layout: Layout, class_names: tuple[str, ...]) -> None:
        self.canvas, self.layout = canvas, layout
        x, radius, lines = layout.output_x, layout.output_radius, canvas.lines
        node_pen = QPen(QColor(theme.INK), 1.0 * lines)
        self.nodes: list[QGraphicsEllipseItem] = []
        self.names: list[QGraphicsSimpleTextItem] = []
        self.probabilities: list[QGraphicsSimpleTextItem] = []
        for i, y in enumerate(layout.output_y):
            node = QGraphicsEllipseItem(x - radius, y - radius, 2 * radius, 2 * radius)
            node.setPen(node_pen)
            self.nodes.append(canvas.add(node, 5))
            name = canvas.text(class_names[i], canvas.bold)
            place(name, layout.name_x, y)
            self.names.append(name)
            self.probabilities.append(canvas.text(font=canvas.font, color=theme.MUTED))
        side, at = (0.75 * radius, 0.9) if canvas.presenter else (0.6 * radius, 0.7)    # see HiddenLayer's
        self.biases = BiasSquares(canvas, [QRectF(x - at * radius - side / 2, y + at * radius - side / 2, side, side)
                                           for y in layout.output_y])
        self.pills = Pills(canvas, [QPointF(layout.gradient_x, y) for y in layout.output_y], layout.pill_width,
                           layout.pill_height, "dZ2",
                           QPointF(layout.gradient_x + layout.pill_width / 2, layout.pill_header_y))
        ring = 2 * radius + (6 if canvas.presenter else 10)     # the rows are close on a projector
        self.label_ring = canvas.add(QGraphicsEllipseItem(-ring / 2, -ring / 2, ring, ring), 7)
        self.label_ring.setPen(QPen(QColor(theme.CORRECT), 3 * lines))
        inner = 2 * radius + 3
        self.prediction_ring = canvas.add(QGraphicsEllipseItem(-inner / 2, -inner / 2, inner, inner), 7)
        self._label_tag = canvas.text(font=canvas.bold, color=theme.CORRECT)
        self._prediction_tag = canvas.text(font=canvas.bold)
        # What the items show now, so that a frame touches only what changes.
        self._fill = np.full(10, -1)
        self._texts: list[str | None] = [None] * 10
        self._strong: list[bool | None] = [None] * 10
        self._markers: tuple[int, int] | None = None

    def show(self, a2: np.ndarray, label: int, prediction: int, numbers: bool) -> None:
        """Fill by the probabilities (every frame); numbers False keeps the percentages written."""
        fill_index = theme.lut_index(a2, 0.0, 1.0)
        colours = theme.lut_colours(theme.SEQUENTIAL_LUT)[0]
        for i in np.flatnonzero(fill_index != self._fill).tolist():
            self.nodes[i].setBrush(colours[fill_index[i]])
        self._fill = fill_index
        percents = (100 * a2).tolist()
        for i, percent in enumerate(percents):
            probability = self.probabilities[i]
            text = f"{percent:.1f}%" if numbers or self._texts[i] is None else self._texts[i]
            if text != self._texts[i]:
                self._texts[i] = text
                probability.setText(text)
                place(probability, self.layout.probability_right, self.layout.output_y[i], "right")
            strong = i in (prediction, label)
            if strong != self._strong[i]:
                self._strong[i] = strong
                probability.setBrush(QColor(theme.INK if strong else theme.MUTED))
        self._show_markers(label, prediction)

    def hide_prediction(self) -> None:
        """No prediction on show (hideNumbers, or nothing computed yet): its ring and tag go, and the label's tag
        does not say whether it is right; show() draws them again."""
        self._markers = None
        self.prediction_ring.setVisible(False)
        self._prediction_tag.setVisible(False)
        self._label_tag.setText("◀ label")

    def show_tooltips(self, names: tuple[str, ...], z2: np.ndarray, a2: np.ndarray, biases: np.ndarray,
                      bias_name: str) -> None:
        for i, (node, z, percent) in enumerate(zip(self.nodes, z2.tolist(), (100 * a2).tolist())):
            node.setToolTip(f"output {names[i]}: Z2 = {formatting.short(z)}, A2 = {percent:.1f}%")
        for i, square in enumerate(self.biases.squares):
            square.setToolTip(f"{bias_name}[{i}] = {formatting.short(biases[i])}")

    def _show_markers(self, label: int, prediction: int) -> None:
        """The label's ring and tag, the prediction's ring (and tag when it is wrong)."""
        key = (label, prediction)
        if key == self._markers:
            return
        self._markers = key
        x, rows = self.layout.output_x, self.layout.output_y
        has_label = 0 <= label < 10
        self.label_ring.setVisible(has_label)
        if has_label:
            self.label_ring.setPos(x, rows[label])
        correct = prediction == label
        self.prediction_ring.setVisible(True)
        self.prediction_ring.setPen(QPen(QColor(theme.INK if correct else theme.WRONG), 3 * self.canvas.lines))
        self.prediction_ring.setPos(x, rows[prediction])
        if correct:
            self._label_tag.setText("◀ label = prediction ✓")
            self._prediction_tag.setVisible(False)
        else:
            self._label_tag.setText("◀ label")
            self._prediction_tag.setText("◀ prediction ✗ wrong")
            self._prediction_tag.setBrush(QColor(theme.WRONG))
            self._prediction_tag.setVisible(True)
            place(self._prediction_tag, self.layout.tag_x, rows[prediction])
        self._label_tag.setVisible(has_label)
        if has_label:
            place(self._label_tag, self.layout.tag_x, rows[label])
