"""Colours, colour maps and type sizes shared by every view, and the helpers that turn values into them.

The palette is Okabe–Ito, readable under the common colour-vision deficiencies. Signed values
(weights, gradients) use a blue–white–orange diverging map: sign is read from hue, magnitude from
lightness, and blue/orange stay distinct for protan, deutan and tritan viewers alike.

The values below are the light theme's. visualizer.appearance.apply_theme replaces them (set_colours) with
another theme's from assets/styles/, so read them as `theme.INK` when building or painting, never copy them
into a default argument or a module-level constant.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6.QtGui import QColor, QFont, QImage, QPixmap
from PyQt6.QtWidgets import QWidget

# Okabe–Ito
BLUE = "#0072B2"
ORANGE = "#E69F00"
SKY = "#56B4E9"
GREEN = "#009E73"
VERMILLION = "#D55E00"
PURPLE = "#CC79A7"
YELLOW = "#F0E442"
INK = "#1d2330"          # text
MUTED = "#666d7b"        # secondary text, axes, frames (4.8:1 on PANEL)
PAPER = "#ffffff"        # plots and canvases
PANEL = "#f4f6fa"        # the window around them
GRID = "#d5d9e0"         # grid lines, separators
RAISED = "#e9edf3"       # buttons
ALTERNATE = "#eef1f6"    # every other row of a table
SELECTION = "#dbeaf5"    # a selected item's background, under INK
NOTICE = "#fff4d6"       # a message strip's background, under INK
ALARM = "#fde7dc"        # an error strip's background, under INK
TOOLTIP = "#ffffe8"      # a tooltip's background, under INK
SIGNED_ZERO = "#f7f7f7"  # the middle of the signed map

NEGATIVE = BLUE          # sign < 0
POSITIVE = ORANGE        # sign > 0
FORWARD = GREEN          # the forward pass travels left to right in this colour
BACKWARD = VERMILLION    # the gradient travels right to left in this colour
HIGHLIGHT = "#ffcf33"    # the phase being computed
CORRECT = GREEN
WRONG = VERMILLION

NAME = "light"           # the theme these values came from
SIGNED_LEGEND = "blue negative, white zero, orange positive"   # the signed map in words, for tooltips

# The names a theme file sets (assets/styles/<name>.json), in the order above.
COLOUR_NAMES = ("BLUE", "ORANGE", "SKY", "GREEN", "VERMILLION", "PURPLE", "YELLOW", "INK", "MUTED", "PAPER", "PANEL",
                "GRID", "RAISED", "ALTERNATE", "SELECTION", "NOTICE", "ALARM", "TOOLTIP", "SIGNED_ZERO", "NEGATIVE",
                "POSITIVE", "FORWARD", "BACKWARD", "HIGHLIGHT", "CORRECT", "WRONG")

BASE_POINT_SIZE = 10
PRESENTER_POINT_SIZE = 20    # readable from the back of a room at 1280×720


def point_size(presenter: bool) -> float:
    """The type size a view starts from, in or out of presenter mode."""
    return float(PRESENTER_POINT_SIZE if presenter else BASE_POINT_SIZE)


def line_width(presenter: bool) -> float:
    """The width of a plot's curves, in or out of presenter mode."""
    return 4.0 if presenter else 2.0


class PresenterFonts:
    """Presenter mode for a view whose fonts are all it changes: keeps `_point_size`, then the view's
    `_apply_fonts` sets them from it."""

    _point_size = float(BASE_POINT_SIZE)

    def set_presenter_mode(self, on: bool) -> None:
        self._point_size = point_size(on)
        self._apply_fonts()

    def _apply_fonts(self) -> None:
        raise NotImplementedError(f"{type(self).__name__} sets its fonts from self._point_size in _apply_fonts")


def signed_colormap() -> pg.ColorMap:
    return pg.ColorMap([0.0, 0.5, 1.0], [QColor(NEGATIVE), QColor(SIGNED_ZERO), QColor(POSITIVE)])


def sequential_colormap() -> pg.ColorMap:
    """For values ≥ 0 (activations, probabilities): viridis, perceptually uniform and CVD-safe."""
    return pg.colormap.get("viridis")


def gray_colormap() -> pg.ColorMap:
    """For pixels: black = 0, white = 1, as the digits are drawn."""
    return pg.ColorMap([0.0, 1.0], [QColor("black"), QColor("white")])


SIGNED_LUT = signed_colormap().getLookupTable(nPts=256)
SEQUENTIAL_LUT = sequential_colormap().getLookupTable(nPts=256)
GRAY_LUT = gray_colormap().getLookupTable(nPts=256)


def set_colours(name: str, colours: dict[str, str], signed_legend: str) -> None:
    """Make `colours` (every name in COLOUR_NAMES → "#rrggbb") the current ones and rebuild the signed map.

    Only visualizer.appearance calls this, after checking the theme file, so a bad file changes nothing here.
    The sequential and gray maps are the same in every theme: their lookup tables stay the same objects.
    """
    global NAME, SIGNED_LEGEND, SIGNED_LUT
    module = globals()
    for colour_name in COLOUR_NAMES:
        module[colour_name] = colours[colour_name]
    NAME, SIGNED_LEGEND = name, signed_legend
    SIGNED_LUT = signed_colormap().getLookupTable(nPts=256)


def current_colours() -> dict[str, str]:
    return {colour_name: globals()[colour_name] for colour_name in COLOUR_NAMES}


def relative_luminance(colour: str | QColor) -> float:
    """WCAG 2 relative luminance of an sRGB colour, 0 (black) … 1 (white)."""
    # (plain floats: a lookup table's 256 inks are chosen at the start, and NumPy's per-call cost was most of it)
    red, green, blue = (channel / 12.92 if channel <= 0.04045 else ((channel + 0.055) / 1.055) ** 2.4
                        for channel in QColor(colour).getRgbF()[:3])
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast_ratio(first: str | QColor, second: str | QColor) -> float:
    """WCAG 2 contrast ratio, 1 … 21; text needs 4.5 (7 for the presenter theme)."""
    darker, lighter = sorted((relative_luminance(first), relative_luminance(second)))
    return (lighter + 0.05) / (darker + 0.05)


TEXT_CONTRAST = 4.5      # WCAG AA for text: every number written on a fill reaches it


def ink_on(fill: str | QColor) -> QColor:
    """The text colour for fill: INK or PAPER, whichever reads better (dark text on a light fill in every theme),
    or black or white where neither reaches TEXT_CONTRAST (a mid-tone fill: the middle of viridis, say)."""
    best = max((INK, PAPER), key=lambda text: contrast_ratio(text, fill))
    if contrast_ratio(best, fill) < TEXT_CONTRAST:
        best = max(("#000000", "#ffffff"), key=lambda text: contrast_ratio(text, fill))
    return QColor(best)


def symmetric_levels(values: np.ndarray) -> tuple[float, float]:
    """Levels ±max|x| so that zero is always the middle (SIGNED_ZERO) of the signed map."""
    top = float(np.max(np.abs(values))) if values.size else 0.0
    top = top if np.isfinite(top) and top > 0 else 1e-12
    return -top, top


def signed_color(value: float, scale: float) -> QColor:
    """The signed map's colour for value, with ±scale at the ends."""
    position = 0.5 + 0.5 * float(np.clip(value / scale if scale > 0 else 0.0, -1.0, 1.0))
    return QColor(*SIGNED_LUT[int(round(position * 255))])


def fill_with_paper(widget: QWidget) -> None:
    """Paint the widget's background in PAPER (appearance.apply_theme follows a theme switch)."""
    widget.setAutoFillBackground(True)
    palette = widget.palette()
    palette.setColor(widget.backgroundRole(), QColor(PAPER))
    widget.setPalette(palette)


def font(point_size: float = BASE_POINT_SIZE, bold: bool = False) -> QFont:
    f = QFont()
    f.setPointSizeF(point_size)
    f.setBold(bold)
    return f


# ------------------------------------------------------------------ values → colours
def with_alpha(colour: str | QColor, alpha: float) -> QColor:
    """colour with its alpha set (clipped to 0…255)."""
    translucent = QColor(colour)
    translucent.setAlpha(int(np.clip(alpha, 0, 255)))
    return translucent


def lut_index(values: np.ndarray, low: float, high: float) -> np.ndarray:
    """values (any shape) → their entries (uint8) in a 256-entry lookup table from low to high."""
    span = high - low if high > low else 1.0
    return np.clip((values - low) * (255.0 / span), 0, 255).astype(np.uint8)


def lut_rgb(values: np.ndarray, lut: np.ndarray, low: float, high: float) -> np.ndarray:
    """values (any shape) → uint8 RGB (shape + (3,)) through a 256-entry lookup table."""
    return lut[lut_index(values, low, high)]


def signed_rgb(values: np.ndarray) -> np.ndarray:
    """The signed map's colours for values, ±max|values| at the ends (signed_color for a whole array)."""
    return lut_rgb(values, SIGNED_LUT, *symmetric_levels(values))


def qcolors(rgb: np.ndarray) -> list[QColor]:
    """(n, 3) uint8 rows → QColors."""
    return [QColor(int(r), int(g), int(b)) for r, g, b in rgb]


def inks_on(rgb: np.ndarray) -> list[QColor]:
    """ink_on for each (r, g, b) row."""
    return [ink_on(colour) for colour in qcolors(rgb)]


_LUT_COLOURS: dict[int, tuple[np.ndarray, str, list[QColor], list[QColor]]] = {}


def lut_colours(lut: np.ndarray) -> tuple[list[QColor], list[QColor]]:
    """A lookup table's 256 colours as QColors, and the text colour on each (ink_on): made once per table and
    theme (a theme switch makes a new signed table and new inks), so a frame picks colours instead of making
    them."""
    cached = _LUT_COLOURS.get(id(lut))
    if cached is None or cached[0] is not lut or cached[1] != NAME:
        rgb = lut[:, :3]
        cached = (lut, NAME, qcolors(rgb), inks_on(rgb))
        _LUT_COLOURS[id(lut)] = cached
    return cached[2], cached[3]


def rgb_pixmap(rgb: np.ndarray) -> QPixmap:
    """A pixmap of an (h, w, 3) uint8 array. The QImage only borrows the buffer, so the buffer is kept referenced
    until fromImage has copied the pixels."""
    buffer = np.ascontiguousarray(rgb)
    height, width = buffer.shape[:2]
    image = QImage(buffer.data, width, height, 3 * width, QImage.Format.Format_RGB888)
    return QPixmap.fromImage(image)
