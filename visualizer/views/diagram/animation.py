"""The phase's animation: dots pulse along the edges the phase used (right to left going backward), a halo swells
and fades around the lit parts, and the update flashes the W2 edges and thumbnails that changed most. It moves
decorative overlays only, so the diagram's state is final as soon as a snapshot is shown; there is none while
playing."""
from __future__ import annotations

import math

import numpy as np
from PyQt6.QtCore import QEasingCurve, QObject, QPointF, Qt, QVariantAnimation
from PyQt6.QtGui import QBrush, QColor, QPainterPath, QPen
from PyQt6.QtWidgets import QGraphicsEllipseItem, QGraphicsLineItem, QGraphicsPathItem, QGraphicsRectItem

from visualizer import formatting, phases, theme
from visualizer.snapshot import Snapshot

from .canvas import Canvas
from .highlight import Regions
from .layout import Layout
from .weights import Edges, Thumbnails

MAX_PULSES = 48
FLASHED_EDGES = 5
FLASHED_THUMBNAILS = 3
DOT_RADIUS = 4.0

Pulse = tuple[QPointF, QPointF, bool]       # start, end, curved (a W1 bundle line)


def largest(values: np.ndarray, count: int) -> list[tuple[int, int]]:
    """(row, column) of the count largest entries of a 2-D array, largest first."""
    flat = np.argsort(values.ravel())[::-1][:count]
    return [(int(row), int(column)) for row, column in zip(*np.unravel_index(flat, values.shape))]


class PhaseAnimation:
    """Lives as long as the diagram; build() gives it the overlays of each new scene."""

    def __init__(self, parent: QObject) -> None:
        self.animation = QVariantAnimation(parent)
        self.animation.setStartValue(0.0)
        self.animation.setEndValue(1.0)
        self.animation.setEasingCurve(QEasingCurve.Type.InOutSine)
        self.animation.valueChanged.connect(self._animate)
        self.animation.finished.connect(self.stop)
        self.ms = 400
        self._overlays: tuple = ()
        self._shown = False

    def build(self, canvas: Canvas, layout: Layout, thumbnails: Thumbnails, edges: Edges, regions: Regions) -> None:
        self.animation.stop()
        self.canvas, self.layout, self.thumbnails, self.edges, self.regions = \
            canvas, layout, thumbnails, edges, regions
        self._glow = canvas.add(QGraphicsPathItem(), -9)
        self._glow.setBrush(QBrush(Qt.BrushStyle.NoBrush))
        self._glow.setVisible(False)
        self._glow_colour = QColor(theme.MUTED)
        dot = 2 * DOT_RADIUS * canvas.lines
        self._dots = canvas.overlays(MAX_PULSES, 9, lambda: QGraphicsEllipseItem(-dot / 2, -dot / 2, dot, dot))
        self._flashes = canvas.overlays(FLASHED_EDGES, 8, QGraphicsLineItem)
        self._thumbnail_flashes = canvas.overlays(FLASHED_THUMBNAILS, 8, QGraphicsRectItem)
        self._overlays = (*self._dots, *self._flashes, *self._thumbnail_flashes, self._glow)
        self._pulses: list[Pulse] = []
        self._shown = False

    @property
    def running(self) -> bool:
        return self.animation.state() == QVariantAnimation.State.Running

    def visible(self) -> bool:
        """True while any pulse, glow or flash is on screen."""
        return any(item.isVisible() for item in self._overlays)

    def start(self, snapshot: Snapshot) -> None:
        self.stop()
        phase = snapshot.phase
        if self.ms == 0 or snapshot.playing or phase is None or not self._overlays:
            return
        colour = phases.colour(phase)
        self._pulses = self._pulse_paths(snapshot)
        for dot in self._dots:
            dot.setBrush(colour)
            dot.setPen(QPen(QColor(theme.PAPER), 1.2 * self.canvas.lines))
        regions = [self.regions.items[part].path().boundingRect() for part in phases.lights(phase)
                   if part in self.regions.items]
        if regions:
            glow = QPainterPath()
            for rect in regions:
                glow.addRoundedRect(rect.adjusted(-3, -3, 3, 3), 12, 12)
            self._glow.setPath(glow)
            self._glow.setVisible(True)
        self._glow_colour = colour
        self._shown = True
        if phase == "update":
            self._prepare_flashes(snapshot)
        self.animation.setDuration(self.ms)
        self.animation.start()

    def stop(self) -> None:
        """Stop the animation (if it runs) and hide its overlays: also what its end does."""
        self.animation.stop()
        if self._shown:
            self._shown = False
            for item in self._overlays:
                item.setVisible(False)

    def _pulse_paths(self, snapshot: Snapshot) -> list[Pulse]:
        """The edges a pulse travels along for this phase: start → end (backward phases run right to left)."""
        look = phases.look(snapshot.phase)
        arrays = snapshot.record.arrays if snapshot.record is not None else {}
        example, layout, W2 = snapshot.example, self.layout, snapshot.params["W2"]
        backward = look.direction == "backward"
        hidden_x, output_x = layout.hidden_x + layout.radius, layout.output_x - layout.output_radius

        def bundle(order: np.ndarray) -> list[Pulse]:
            ends = (layout.bundle[int(j)] for j in order[:MAX_PULSES])
            return [(end, start, True) if backward else (start, end, True) for start, end in ends]

        def edges(strengths: np.ndarray) -> list[Pulse]:
            pulses = []
            for i, j in largest(formatting.finite(strengths), MAX_PULSES):
                start, end = QPointF(hidden_x, layout.hidden_y[j]), QPointF(output_x, layout.output_y[i])
                pulses.append((end, start, False) if backward else (start, end, False))
            return pulses

        if look.pulse == "Z1":
            return bundle(np.argsort(-np.abs(formatting.finite(example.z1))))
        if look.pulse == "W2·A1":
            return edges(np.abs(W2 * formatting.finite(example.a1)[None, :]))
        if look.pulse == "dW2" and "dW2" in arrays:
            return edges(np.abs(arrays["dW2"]))
        if look.pulse == "W2·dZ2":
            dZ2 = arrays["dZ2"][:, example.column] if example.column is not None else np.ones(10)
            return edges(np.abs(W2 * formatting.finite(dZ2)[:, None]))
        if look.pulse == "dW1" and "dW1" in arrays:
            return bundle(np.argsort(-np.abs(formatting.finite(arrays["dW1"])).sum(axis=1)))
        return []

    def _prepare_flashes(self, snapshot: Snapshot) -> None:
        arrays, lines = snapshot.record.arrays, self.canvas.lines
        finite = formatting.finite
        if "W2_before" in arrays and "W2" in arrays:
            change = np.abs(finite(arrays["W2"]) - finite(arrays["W2_before"]))
            for flash, (i, j) in zip(self._flashes, largest(change, FLASHED_EDGES)):
                flash.setLine(self.edges.lines[i][j].line())
                flash.setPen(QPen(theme.with_alpha(theme.HIGHLIGHT, 230), 6 * lines, cap=Qt.PenCapStyle.RoundCap))
                flash.setVisible(True)
        if "W1_before" in arrays and "W1" in arrays:
            units = np.asarray(self.thumbnails.units)
            change = np.abs(finite(arrays["W1"][units]) - finite(arrays["W1_before"][units])).sum(axis=1)
            for flash, position in zip(self._thumbnail_flashes, np.argsort(-change)[:FLASHED_THUMBNAILS]):
                flash.setRect(self.thumbnails.frames[int(position)].rect().adjusted(-3, -3, 3, 3))
                flash.setPen(QPen(QColor(theme.HIGHLIGHT), 4 * lines))
                flash.setVisible(True)

    def _animate(self, value: object) -> None:
        t = float(value)
        fade = math.sin(math.pi * t)
        for k, dot in enumerate(self._dots):
            if k >= len(self._pulses):
                dot.setVisible(False)
                continue
            start, end, curved = self._pulses[k]
            if curved:   # follow the bundle's cubic: control points at the middle x, start and end heights
                middle = (start.x() + end.x()) / 2
                x = (1 - t) ** 3 * start.x() + 3 * (1 - t) ** 2 * t * middle + 3 * (1 - t) * t ** 2 * middle \
                    + t ** 3 * end.x()
                y = (1 - t) ** 3 * start.y() + 3 * (1 - t) ** 2 * t * start.y() + 3 * (1 - t) * t ** 2 * end.y() \
                    + t ** 3 * end.y()
            else:
                x = start.x() + (end.x() - start.x()) * t
                y = start.y() + (end.y() - start.y()) * t
            dot.setPos(x, y)
            dot.setOpacity(fade)
            dot.setVisible(True)
        if self._glow.isVisible():
            self._glow.setPen(QPen(theme.with_alpha(self._glow_colour, int(110 * fade)),
                                   (2 + 6 * fade) * self.canvas.lines))
        blink = abs(math.cos(2.5 * math.pi * t)) * (1 - t)
        for flash in (*self._flashes, *self._thumbnail_flashes):
            flash.setOpacity(blink)
