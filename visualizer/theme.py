"""Colours, colour maps and type sizes shared by every view.

The palette is Okabe–Ito, readable under the common colour-vision deficiencies. Signed values
(weights, gradients) use a blue–white–orange diverging map: sign is read from hue, magnitude from
lightness, and blue/orange stay distinct for protan, deutan and tritan viewers alike.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6.QtGui import QColor, QFont

# Okabe–Ito
BLUE = "#0072B2"
ORANGE = "#E69F00"
SKY = "#56B4E9"
GREEN = "#009E73"
VERMILLION = "#D55E00"
PURPLE = "#CC79A7"
YELLOW = "#F0E442"
INK = "#1d2330"
MUTED = "#6b7280"
PAPER = "#ffffff"
PANEL = "#f4f6fa"

NEGATIVE = BLUE          # sign < 0
POSITIVE = ORANGE        # sign > 0
FORWARD = GREEN          # the forward pass travels left to right in this colour
BACKWARD = VERMILLION    # the gradient travels right to left in this colour
HIGHLIGHT = "#ffcf33"    # the phase being computed
CORRECT = GREEN
WRONG = VERMILLION

BASE_POINT_SIZE = 10
PRESENTER_POINT_SIZE = 20    # readable from the back of a room at 1280×720


def signed_colormap() -> pg.ColorMap:
    return pg.ColorMap([0.0, 0.5, 1.0], [QColor(NEGATIVE), QColor("#f7f7f7"), QColor(POSITIVE)])


def sequential_colormap() -> pg.ColorMap:
    """For values ≥ 0 (activations, probabilities): viridis, perceptually uniform and CVD-safe."""
    return pg.colormap.get("viridis")


def gray_colormap() -> pg.ColorMap:
    """For pixels: black = 0, white = 1, as the digits are drawn."""
    return pg.ColorMap([0.0, 1.0], [QColor("black"), QColor("white")])


SIGNED_LUT = signed_colormap().getLookupTable(nPts=256)
SEQUENTIAL_LUT = sequential_colormap().getLookupTable(nPts=256)
GRAY_LUT = gray_colormap().getLookupTable(nPts=256)


def symmetric_levels(values: np.ndarray) -> tuple[float, float]:
    """Levels ±max|x| so that zero is always the middle (white) of the signed map."""
    top = float(np.max(np.abs(values))) if values.size else 0.0
    top = top if np.isfinite(top) and top > 0 else 1e-12
    return -top, top


def signed_color(value: float, scale: float) -> QColor:
    """The signed map's colour for value, with ±scale at the ends."""
    position = 0.5 + 0.5 * float(np.clip(value / scale if scale > 0 else 0.0, -1.0, 1.0))
    return QColor(*SIGNED_LUT[int(round(position * 255))])


def font(point_size: float = BASE_POINT_SIZE, bold: bool = False) -> QFont:
    f = QFont()
    f.setPointSizeF(point_size)
    f.setBold(bold)
    return f
