"""The words around the drawing: the input tile with its label and which example it is, the captions above each
layer (its name, then the shape of its activations) and below each weight matrix (the weights, then the biases),
each in the phase's colour while that phase writes it."""
from __future__ import annotations

import numpy as np
from PyQt6.QtGui import QColor, QPen
from PyQt6.QtWidgets import QGraphicsPixmapItem, QGraphicsRectItem, QGraphicsSimpleTextItem

from visualizer import formatting, theme
from visualizer.phases import PhaseLook

from .canvas import Canvas, set_text
from .layout import MARGIN, Layout

GAP = 10.0          # between a part's two captions on one line (presenter mode)


class InputTile:
    """The example's 28×28 pixels, its label and which example it is. Public state: `picture`, `label`,
    `example` (the two text items)."""

    def __init__(self, canvas: Canvas, layout: Layout) -> None:
        self.layout = layout
        tile = layout.tile
        self.picture = QGraphicsPixmapItem()
        self.picture.setPos(tile.topLeft())
        self.picture.setScale(tile.width() / 28)
        canvas.add(self.picture, 3)
        canvas.add(QGraphicsRectItem(tile), 4).setPen(QPen(QColor(theme.MUTED), 1 * canvas.lines))
        self.label = canvas.text(font=canvas.bold)
        self.example = canvas.text(font=canvas.small, color=theme.MUTED)
        self._pixels: np.ndarray | None = None

    def show(self, pixels: np.ndarray, label: str, subset: str, index: int, count: int) -> None:
        # the same picture while playing: a new pixmap only for another example
        if self._pixels is None or (pixels is not self._pixels and not np.array_equal(self._pixels, pixels)):
            grey = theme.lut_rgb(formatting.finite(pixels).reshape(28, 28), theme.GRAY_LUT, 0.0, 1.0)
            self.picture.setPixmap(theme.rgb_pixmap(grey))
        self._pixels = pixels
        at, below = self.layout.label_at, self.layout.example_at
        set_text(self.label, f"label: {label}", at.x(), at.y(), "center")
        where = "drawn on the pad" if subset == "drawn" else f"{subset} #{index:,} of {count:,}"
        set_text(self.example, where, below.x(), below.y(), "center")


class Captions:
    """Two rows above the layers and two below the weight matrices; each row is pushed apart so that no two
    captions overlap. Public state: `items`, keyed "input0", "input1", "hidden0", …, "W10" (W1's weights),
    "W11" (b1), "W20", "W21"."""

    def __init__(self, canvas: Canvas, layout: Layout) -> None:
        self.canvas, self.layout = canvas, layout
        self.items: dict[str, QGraphicsSimpleTextItem] = {}
        for row, caption_row in enumerate(layout.caption_rows):
            for part in caption_row.spans:
                self.items[f"{part}{row % 2}"] = canvas.text()

    def show(self, look: PhaseLook | None, m: int, classes: int, colour: QColor) -> None:
        hidden, canvas = self.layout.hidden, self.canvas
        drawn = look.drawn if look is not None else (lambda parameter: parameter)
        lights = look.lights if look is not None else frozenset()
        texts = {
            "input0": "X · 784 inputs", "input1": f"X (784, {m:,})",
            "W10": f"{drawn('W1')} ({hidden}, 784)", "W11": f"{drawn('b1')} ({hidden}, 1)",
            "hidden0": f"hidden · {hidden} unit{'s' if hidden != 1 else ''}", "hidden1": f"A1 ({hidden}, {m:,})",
            "W20": f"{drawn('W2')} (10, {hidden})", "W21": f"{drawn('b2')} (10, 1)",
            "output0": f"output · {classes} classes", "output1": f"A2 (10, {m:,})",
        }
        lit = {"W10": "W1" in lights, "W11": "b1" in lights, "hidden0": "hidden" in lights,
               "hidden1": "hidden" in lights, "W20": "W2" in lights, "W21": "b2" in lights,
               "output0": "output" in lights, "output1": "output" in lights}
        # The update's colour is the lit regions' own; a caption in it would be hard to read.
        text_colour = QColor(theme.INK) if look is not None and look.direction == "update" else colour
        for row, caption_row in enumerate(self.layout.caption_rows):
            for part in caption_row.spans:
                key = f"{part}{row % 2}"
                item = self.items[key]
                item.setText(texts[key])
                wanted = canvas.bold if row % 2 == 0 or lit.get(key) else canvas.font
                if item.font() != wanted:
                    item.setFont(wanted)
                item.setBrush(text_colour if lit.get(key) else QColor(theme.INK if row % 2 == 0 else theme.MUTED))
        rows = self.layout.caption_rows
        # Each row's captions centred on their parts and pushed apart so that none overlaps; inline (presenter
        # mode) a row and the next share a line, each part's two captions side by side.
        step = 2 if self.layout.inline_captions else 1
        for row in range(0, len(rows), step):
            right_edge = MARGIN - 12
            for part, (left, right) in rows[row].spans.items():
                group = [self.items[f"{part}{(row + k) % 2}"] for k in range(step)]
                widths = [item.boundingRect().width() for item in group]
                width = sum(widths) + GAP * (len(group) - 1)
                x = max((left + right) / 2 - width / 2, right_edge + 12)
                x = min(x, self.layout.width - MARGIN - width)
                for item, item_width in zip(group, widths):
                    item.setPos(x, rows[row].y - item.boundingRect().height() / 2)
                    x += item_width + GAP
                right_edge = x - GAP

    def texts(self) -> list[str]:
        return [item.text() for item in self.items.values() if item.isVisible()]
