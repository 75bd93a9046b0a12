"""The live network diagram: one example flowing through 784 → H → 10, the phase being computed lit up.

Left to right: the example's 28×28 image (X), the W1 bundle ending in each hidden unit's incoming weights drawn
as a 28×28 thumbnail ("what this unit looks for"), the hidden units filled by A1, the W2 edges (colour = sign,
width = |w|), the ten outputs filled by the softmax probability with the label and the prediction marked.
Items are built once per hidden width and class names and updated in place per snapshot; the animation only
moves decorative overlays (pulses, glows, flashes), so the diagram's state is final as soon as a snapshot is shown.
"""
from __future__ import annotations

import math
import time
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from PyQt6.QtCore import QEasingCurve, QPointF, QRectF, Qt, QVariantAnimation, pyqtSignal
from PyQt6.QtGui import QBrush, QColor, QFontMetricsF, QImage, QPainter, QPainterPath, QPen, QPixmap
from PyQt6.QtWidgets import (QGraphicsEllipseItem, QGraphicsItem, QGraphicsLineItem, QGraphicsPathItem,
                             QGraphicsPixmapItem, QGraphicsRectItem, QGraphicsScene, QGraphicsSceneHoverEvent,
                             QGraphicsSceneMouseEvent, QGraphicsSimpleTextItem, QGraphicsView, QVBoxLayout,
                             QWidget)

from core import network
from visualizer import theme
from visualizer.snapshot import Snapshot

# Which parts of the diagram each phase writes (the brief of the lesson: "this is what was just computed").
PHASE_PARTS: dict[str, frozenset[str]] = {
    "Z1": frozenset({"W1", "hidden"}),
    "A1": frozenset({"hidden"}),
    "Z2": frozenset({"W2", "output"}),
    "A2": frozenset({"output"}),
    "dZ2": frozenset({"output"}),
    "dW2": frozenset({"W2"}),
    "db2": frozenset({"b2"}),
    "dZ1": frozenset({"hidden"}),
    "dW1": frozenset({"W1"}),
    "db1": frozenset({"b1"}),
    "update": frozenset({"W1", "b1", "W2", "b2"}),
}
# The parts a lesson can point at with set_emphasis.
EMPHASIS_PARTS = frozenset({"input", "W1", "hidden", "b1", "W2", "output", "b2"})
DIRECTION_CAPTIONS = {"forward": "forward →", "backward": "← backward", "update": "update"}

BODY_HEIGHT = 360.0        # scene units from the first to the last node row (less in a wide, low panel)
TILE = 130.0               # the input image's side
BUNDLE_WIDTH = 90.0
W2_SPAN = 190.0
MARGIN = 14.0
MAX_THUMBNAILS = 16        # above this the thumbnails show every n-th hidden unit
MAX_PULSES = 48
EDGE_LEVELS = 24           # W2 edges are drawn with one of this many widths / opacities per sign
FLASHED_EDGES = 5
FLASHED_THUMBNAILS = 3
DOT_RADIUS = 4.0
HOVER_HINT = "hover a hidden unit to read its Z1 and A1 · click it to select it"
TOOLTIP_INTERVAL = 0.25   # seconds between tooltips, and the numbers on the nodes, while playing
# Seconds between new W1 thumbnails while playing: ten 28×28 pictures recoloured at every frame held the
# interpreter the training thread needs, and one iteration's change to W1 is too small to see. When playing stops
# (a pause, a step, a seek) they show the snapshot's W1 exactly.
THUMBNAIL_INTERVAL = 0.25
# Likewise the W2 edges and the bias squares: parameters move a little at each iteration, so while playing they are
# redrawn ten times a second; the example's activations (node fills, prediction) follow every frame.
PARAMETER_INTERVAL = 0.1


def _direction(phase: str | None) -> str | None:
    if phase is None:
        return None
    if phase in network.FORWARD_PHASES:
        return "forward"
    return "backward" if phase in network.BACKWARD_PHASES else "update"


def _phase_color(direction: str | None) -> QColor:
    return QColor({"forward": theme.FORWARD, "backward": theme.BACKWARD,
                   "update": theme.HIGHLIGHT}.get(direction or "", theme.MUTED))


def _with_alpha(color: str | QColor, alpha: int) -> QColor:
    c = QColor(color)
    c.setAlpha(int(np.clip(alpha, 0, 255)))
    return c


def _number(value: float) -> str:
    """A short signed number for a node or a pill: 0.93, −0.031, 12.4, 1.2e+03."""
    magnitude = abs(value)
    if magnitude == 0:
        return "0"
    if magnitude >= 1000 or magnitude < 0.001:
        text = f"{value:.1e}"
    elif magnitude >= 100:
        text = f"{value:.0f}"
    elif magnitude >= 10:
        text = f"{value:.1f}"
    elif magnitude >= 0.1:
        text = f"{value:.2f}"
    else:
        text = f"{value:.3f}"
    return text.replace("-", "−")


def _shorter_numbers(value: float) -> Iterator[str]:
    """_number's text, then the same value with one decimal fewer at a time, never rounded to 0, and below 1
    without its leading zero (a node too small for 20.1 still says 20, for 0.031 .03; hovering shows every
    digit)."""
    full = _number(value)
    yield full
    if "e" in full or "." not in full:
        return
    shown = len(full) - full.index(".") - 1         # the decimals full has
    for decimals in range(shown, -1, -1):
        text = f"{value:.{decimals}f}"
        if float(text) == 0:
            return
        text = text.replace("-", "−")
        if decimals < shown:
            yield text
        if abs(value) < 1 and text.lstrip("−").startswith("0."):
            yield text.replace("0.", ".", 1)


def _lut_index(values: np.ndarray, low: float, high: float) -> np.ndarray:
    """values (any shape) → their entries (uint8) in a 256-entry lookup table from low to high."""
    span = high - low if high > low else 1.0
    return np.clip((values - low) * (255.0 / span), 0, 255).astype(np.uint8)


def _lut_rgb(values: np.ndarray, lut: np.ndarray, low: float, high: float) -> np.ndarray:
    """values (any shape) → uint8 RGB (shape + (3,)) through a 256-entry lookup table."""
    return lut[_lut_index(values, low, high)]


def _signed_rgb(values: np.ndarray) -> np.ndarray:
    """The signed map's colours for values, ±max|values| at the ends (theme.signed_color for a whole array)."""
    return _lut_rgb(values, theme.SIGNED_LUT, *theme.symmetric_levels(values))


_LUT_COLOURS: dict[int, tuple[np.ndarray, list[QColor], list[bool]]] = {}


def _lut_colours(lut: np.ndarray) -> tuple[list[QColor], list[bool]]:
    """A lookup table's 256 colours as QColors, and whether each is light (ink on it, not paper): made once per
    table (a theme switch makes a new signed table), so a frame picks colours instead of building them."""
    cached = _LUT_COLOURS.get(id(lut))
    if cached is None or cached[0] is not lut:
        rgb = lut[:, :3]
        cached = (lut, _colors(rgb), _light(rgb).tolist())
        _LUT_COLOURS[id(lut)] = cached
    return cached[1], cached[2]


def _colors(rgb: np.ndarray) -> list[QColor]:
    return [QColor(int(r), int(g), int(b)) for r, g, b in rgb]


def _light(rgb: np.ndarray) -> np.ndarray:
    """Which (r, g, b) rows are light fills, to be written on in ink rather than paper (relative luminance)."""
    return rgb.astype(np.float64) @ np.array([0.2126, 0.7152, 0.0722]) > 140


def _ink_on(rgb: np.ndarray) -> list[QColor]:
    """Ink on light fills, paper on dark ones."""
    ink, paper = QColor(theme.INK), QColor(theme.PAPER)
    return [ink if is_light else paper for is_light in _light(rgb)]


def _pixmap(rgb: np.ndarray) -> QPixmap:
    """A pixmap of an (h, w, 3) uint8 array. The QImage only borrows the buffer, so the buffer is kept referenced
    until fromImage has copied the pixels."""
    buffer = np.ascontiguousarray(rgb)
    height, width = buffer.shape[:2]
    image = QImage(buffer.data, width, height, 3 * width, QImage.Format.Format_RGB888)
    return QPixmap.fromImage(image)


def _finite(array: np.ndarray) -> np.ndarray:
    """Views never hand a NaN or an infinity to Qt: the core guarantees finite values, this keeps that promise."""
    array = np.asarray(array, dtype=np.float64)
    return array if np.isfinite(array).all() else np.nan_to_num(array, nan=0.0, posinf=0.0, neginf=0.0)


def _largest(values: np.ndarray, count: int) -> list[tuple[int, int]]:
    """(row, column) of the count largest entries of a 2-D array, largest first."""
    flat = np.argsort(values.ravel())[::-1][:count]
    return [(int(row), int(column)) for row, column in zip(*np.unravel_index(flat, values.shape))]


def _rounded(rect: QRectF, radius: float) -> QPainterPath:
    path = QPainterPath()
    path.addRoundedRect(rect, radius, radius)
    return path


class HiddenNode(QGraphicsEllipseItem):
    """A hidden unit: hovering shows its Z1 and A1, clicking selects it."""

    def __init__(self, index: int, diagram: "NetworkDiagram"):
        super().__init__()
        self.index = index
        self._diagram = diagram
        self.setAcceptHoverEvents(True)
        self.setCursor(Qt.CursorShape.PointingHandCursor)

    def hoverEnterEvent(self, event: QGraphicsSceneHoverEvent) -> None:
        self._diagram._hover(self.index)
        super().hoverEnterEvent(event)

    def hoverLeaveEvent(self, event: QGraphicsSceneHoverEvent) -> None:
        self._diagram._hover(None)
        super().hoverLeaveEvent(event)

    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._diagram.neuronClicked.emit(self.index)
            event.accept()
        else:
            super().mousePressEvent(event)


class _FittingView(QGraphicsView):
    """Keeps the whole scene in view, aspect kept, whatever the widget's size."""

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self.fit()

    def fit(self) -> None:
        if self.scene() is not None:
            self.fitInView(self.scene().sceneRect(), Qt.AspectRatioMode.KeepAspectRatio)


@dataclass
class _Pill:
    """A small rounded label with a signed-colour background (gradients of the selected example)."""
    box: QGraphicsPathItem
    text: QGraphicsSimpleTextItem


class NetworkDiagram(QWidget):
    """784 → H → 10 for the selected example, with the phase being computed highlighted."""

    neuronClicked = pyqtSignal(int)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("networkDiagram")
        self.setAccessibleName("Network diagram")
        self.setToolTip("The selected example flowing through the network; the part the last phase computed "
                        "is highlighted. Click a hidden unit to select it.")
        self.scene = QGraphicsScene(self)
        self.scene.setBackgroundBrush(QColor(theme.PAPER))
        self.view = _FittingView(self.scene, self)
        self.view.setObjectName("networkDiagramView")
        self.view.setAccessibleName("Network diagram canvas")
        self.view.setToolTip("Hover a hidden unit to read its Z1 and A1; click it to select it.")
        self.view.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
        self.view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.view.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.view.setFrameShape(QGraphicsView.Shape.NoFrame)
        self.view.setBackgroundBrush(QColor(theme.PAPER))
        self.view.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.BoundingRectViewportUpdate)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view)

        self.animation = QVariantAnimation(self)
        self.animation.setStartValue(0.0)
        self.animation.setEndValue(1.0)
        self.animation.setEasingCurve(QEasingCurve.Type.InOutSine)
        self.animation.valueChanged.connect(self._animate)
        self.animation.finished.connect(self._end_animation)
        self._animation_ms = 400
        self._presenter = False
        self._built_for: tuple[int, tuple[str, ...], bool] | None = None
        self._snapshot: Snapshot | None = None
        self._hover_index: int | None = None
        self._body_height: float | None = None   # chosen from the panel's shape, see _fit_body_to_panel
        self._fitting = False                    # inside _fit_body_to_panel's rebuild

        # Readable state, the same the items show (tooltips cannot be read in a headless test).
        self.highlighted_parts: frozenset[str] = frozenset()
        self._emphasis: frozenset[str] = frozenset()
        self._hidden_numbers: dict[str, np.ndarray] = {}   # per hidden unit, written out only on hover
        self.hidden_nodes: list[HiddenNode] = []
        self.output_name_items: list[QGraphicsSimpleTextItem] = []
        self.hidden_width = 0

    # ------------------------------------------------------------ public
    def show_snapshot(self, snapshot: Snapshot) -> None:
        hidden = int(snapshot.params["W1"].shape[0])
        key = (hidden, tuple(snapshot.class_names), self._presenter)
        self._snapshot = snapshot
        if key != self._built_for:
            self._build(hidden, tuple(snapshot.class_names))
            self._built_for = key
            if self._fit_body_to_panel():   # the build guessed the body height; now the panel's shape is known
                return
        self._update(snapshot)
        self._start_animation(snapshot)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit_body_to_panel()

    def _fit_body_to_panel(self) -> bool:
        """Rebuild and show again with a body height that gives the scene the panel's shape, when it is off by
        more than 8 %; True if it did."""
        if self._fitting or not self._built_for or self._snapshot is None or self.width() < 50 \
                or self.height() < 50:
            return False
        wanted = float(np.clip(self._width * self.height() / self.width() - self._height_beside_body,
                               *self._body_range))
        if abs(wanted - self._body_height) > 0.08 * self._body_height:
            self._body_height = wanted
            self._built_for = None
            # Once: the scene's width follows the body height (the input tile grows with it), so on some panel
            # shapes the wanted height would flip between two values for ever.
            self._fitting = True
            try:
                self.show_snapshot(self._snapshot)
            finally:
                self._fitting = False
            return True
        return False

    def set_presenter_mode(self, on: bool) -> None:
        self._presenter = bool(on)
        if self._snapshot is not None:
            self.animation.stop()
            self.show_snapshot(self._snapshot)

    def set_emphasis(self, parts: frozenset[str]) -> None:
        """Mark these parts of the diagram with a highlighter until the next call (an empty set clears it); a
        guided lesson points at what its text is about. Raises ValueError for a name not in EMPHASIS_PARTS."""
        if isinstance(parts, str):
            raise ValueError(f"set_emphasis takes a set of part names, not the string {parts!r}")
        parts = frozenset(parts)
        unknown = parts - EMPHASIS_PARTS
        if unknown:
            raise ValueError(f"unknown diagram part(s) {', '.join(sorted(map(str, unknown)))}; "
                             f"the parts are {', '.join(sorted(EMPHASIS_PARTS))}")
        self._emphasis = parts
        self._show_emphasis()

    @property
    def emphasized_parts(self) -> frozenset[str]:
        """The parts set_emphasis marked (shown as soon as the diagram has a snapshot)."""
        return self._emphasis

    def set_theme(self) -> None:
        """Draw everything again in the current theme's colours (visualizer.appearance calls this on a switch)."""
        self.scene.setBackgroundBrush(QColor(theme.PAPER))
        self.view.setBackgroundBrush(QColor(theme.PAPER))
        if self._snapshot is not None:
            self.animation.stop()
            self._built_for = None      # the pens, brushes and caches were made from the old colours
            self.show_snapshot(self._snapshot)

    def set_animation_ms(self, ms: int) -> None:
        """Length of the pulse that shows each phase; 0 switches animation off."""
        self._animation_ms = max(0, int(ms))
        if self._animation_ms == 0:
            self.animation.stop()
            self._end_animation()

    @property
    def animating(self) -> bool:
        return self.animation.state() == QVariantAnimation.State.Running

    @property
    def direction_caption(self) -> str:
        return self._direction_text.text() if self._built_for else ""

    @property
    def hover_text(self) -> str:
        return self._hover_label.text() if self._built_for else ""

    def gradient_texts(self) -> tuple[list[str], list[str]]:
        """The dZ1 and dZ2 values written beside the hidden and output nodes (empty lists when not shown)."""
        if not self._built_for:
            return [], []
        return tuple([pill.text.text() for pill in pills if pill.box.isVisible()]
                     for pills in (self._hidden_pills, self._output_pills))

    def caption_texts(self) -> list[str]:
        """Every header and footer caption on screen (for tests and screen readers)."""
        if not self._built_for:
            return []
        items = [*self._headers.values(), self._direction_text, self._equation_text, self._note_text]
        return [item.text() for item in items if item.isVisible()]

    # ------------------------------------------------------------ building (once per H and class names)
    def _fonts(self):
        size = theme.PRESENTER_POINT_SIZE if self._presenter else theme.BASE_POINT_SIZE
        return theme.font(size), theme.font(size, bold=True), theme.font(size * 0.8)

    def _text(self, text: str = "", font=None, color: str | None = None, z: float = 6) -> QGraphicsSimpleTextItem:
        item = QGraphicsSimpleTextItem(text)
        item.setFont(font or self._font)
        item.setBrush(QColor(color or theme.INK))     # the theme's ink now, not when this module was loaded
        item.setZValue(z)
        self.scene.addItem(item)
        return item

    @staticmethod
    def _place(item: QGraphicsSimpleTextItem, x: float, y: float, align: str = "left") -> None:
        """Put a text item with its left / centre / right at x and its vertical middle at y."""
        rect = item.boundingRect()
        dx = {"left": 0.0, "center": rect.width() / 2, "right": rect.width()}[align]
        item.setPos(x - dx, y - rect.height() / 2)

    def _build(self, hidden: int, class_names: tuple[str, ...]) -> None:
        self.animation.stop()
        self.scene.clear()
        self._hover_index = None
        self.hidden_width = hidden
        self._font, self._bold, self._small = self._fonts()
        metrics, bold_metrics, small_metrics = (QFontMetricsF(f) for f in (self._font, self._bold, self._small))
        self._line_scale = 1.7 if self._presenter else 1.0
        line = metrics.height()

        # ---- geometry (scene units)
        pad = 8.0
        # In presenter mode the text doubles and the drawing grows by less, so the text gains on it while the
        # whole still fits a 16:9 panel.
        grow = 1.35 if self._presenter else 1.0
        # A wide, low panel gets a lower body, so that the scene fills its width and the text stays large;
        # but the ten output rows always keep room for a line of text each.
        self._body_range = (10 * (line + 4), 1.6 * BODY_HEIGHT * grow)
        body_height = float(np.clip(self._body_height or BODY_HEIGHT * grow, *self._body_range))
        tile = min(TILE * grow, 0.7 * body_height)
        # header rows, the gradient pills' header row, then the node rows from top to top + body_height
        top = MARGIN + 2 * line + 6 + small_metrics.height() + 4 + pad
        step = body_height / hidden
        self._hidden_y = [top + (j + 0.5) * step for j in range(hidden)]
        self._output_y = [top + (i + 0.5) * body_height / 10 for i in range(10)]
        radius = float(np.clip(0.42 * step, 1.0, 17.0 * grow))
        output_radius = 0.42 * body_height / 10
        stride = math.ceil(hidden / MAX_THUMBNAILS)
        self._thumbnail_units = list(range(0, hidden, stride))
        columns = 1 if stride * step * 0.88 >= 28 else 2
        size = float(min((44.0 if columns == 1 else 40.0) * grow, columns * stride * step * 0.88))
        caption_width = small_metrics.horizontalAdvance("train #00,000 of 00,000")
        tile_x, tile_y = MARGIN + max(0.0, (caption_width - tile) / 2), top + body_height / 2 - tile / 2
        bundle_x = tile_x + tile + 4
        thumbs_x = bundle_x + BUNDLE_WIDTH * grow
        hidden_x = thumbs_x + columns * (size + 4) + 6 + radius
        output_x = hidden_x + radius + W2_SPAN * grow + output_radius
        name_x = output_x + output_radius + 12
        name_width = max(bold_metrics.horizontalAdvance(name) for name in class_names)
        probability_x = name_x + name_width + 10
        probability_width = metrics.horizontalAdvance("100.0%")
        pill_width = small_metrics.horizontalAdvance("−0.0e−00") + 12   # the widest _number writes
        pill_height = small_metrics.height() + 4
        gradient_x = probability_x + probability_width + 12
        tag_x = gradient_x + pill_width + 10
        tags = ("◀ label", "◀ prediction ✗ wrong", "◀ label = prediction ✓")
        tag_width = max(bold_metrics.horizontalAdvance(t) for t in tags)
        width = tag_x + tag_width + MARGIN
        self._geometry = dict(top=top, radius=radius, output_radius=output_radius, hidden_x=hidden_x,
                              output_x=output_x, pill_width=pill_width, pill_height=pill_height, size=size)
        lines = self._line_scale

        # ---- highlight regions (behind everything)
        body = (top - pad, top + body_height + pad)
        regions = {
            "W1": QRectF(bundle_x - 2, body[0], thumbs_x + columns * (size + 4) - bundle_x + 2, body[1] - body[0]),
            "hidden": QRectF(hidden_x - radius - pad, body[0], 2 * (radius + pad), body[1] - body[0]),
            "W2": QRectF(hidden_x + radius + pad + 2, body[0], W2_SPAN * grow - 2 * pad - 4, body[1] - body[0]),
            "output": QRectF(output_x - output_radius - pad, body[0],
                             probability_x + probability_width + pad - (output_x - output_radius - pad),
                             body[1] - body[0]),
        }
        self._regions: dict[str, QGraphicsPathItem] = {}
        for name, rect in regions.items():
            item = QGraphicsPathItem(_rounded(rect, 10))
            item.setZValue(-10)
            item.setVisible(False)
            self.scene.addItem(item)
            self._regions[name] = item
        # Emphasis (set_emphasis): a highlighter's soft band behind each region and a bold outline around it;
        # the biases are small squares inside the nodes, so theirs are rings above the nodes (see _show_emphasis).
        self._emphasis_rects = {**regions, "input": QRectF(
            tile_x + tile / 2 - max(tile, caption_width) / 2 - pad, tile_y - pad, max(tile, caption_width) + 2 * pad,
            tile + 2 * pad + 8 + line + small_metrics.height())}
        self._emphasis_items: dict[str, QGraphicsPathItem] = {}
        for name in sorted(EMPHASIS_PARTS):
            item = QGraphicsPathItem()
            item.setZValue(6.5 if name in ("b1", "b2") else -11)
            item.setVisible(False)
            item.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
            self.scene.addItem(item)
            self._emphasis_items[name] = item
        self._glow = QGraphicsPathItem()   # a halo around the lit parts that swells and fades with the pulse
        self._glow.setZValue(-9)
        self._glow.setBrush(QBrush(Qt.BrushStyle.NoBrush))
        self._glow.setVisible(False)
        self.scene.addItem(self._glow)

        # ---- input tile and its captions
        self._tile = QGraphicsPixmapItem()
        self._tile.setPos(tile_x, tile_y)
        self._tile.setScale(tile / 28)
        self._tile.setZValue(3)
        self.scene.addItem(self._tile)
        frame = self.scene.addRect(QRectF(tile_x, tile_y, tile, tile), QPen(QColor(theme.MUTED), 1 * lines))
        frame.setZValue(4)
        self._label_text = self._text(font=self._bold)
        self._label_pos = (tile_x + tile / 2, tile_y + tile + 6 + line / 2)
        self._example_text = self._text(font=self._small, color=theme.MUTED)
        self._example_pos = (tile_x + tile / 2, tile_y + tile + 8 + line + small_metrics.height() / 2)

        # ---- W1 bundle: from the tile's right edge to each hidden unit's thumbnail (or node)
        thumbnail_right = {}
        self._thumbnails: list[QGraphicsPixmapItem] = []
        self._thumbnail_source: np.ndarray | None = None   # the array the thumbnails show now
        self._captions_for: tuple | None = None     # what the captions were last written for
        self._tile_pixels: np.ndarray | None = None  # the input tile's pixels now
        self._thumbnail_frames: list[QGraphicsRectItem] = []
        for position, unit in enumerate(self._thumbnail_units):
            column = position % columns
            x = thumbs_x + column * (size + 4)
            # centred on its unit, but never past the body's edges (the first and last of a staggered column)
            y = float(np.clip(self._hidden_y[unit] - size / 2, body[0], body[1] - size))
            item = QGraphicsPixmapItem()
            item.setPos(x, y)
            item.setScale(size / 28)
            item.setZValue(3)
            item.setToolTip(f"W1 row {unit}: the 784 incoming weights of hidden unit {unit}, as an image")
            self.scene.addItem(item)
            self._thumbnails.append(item)
            border = self.scene.addRect(QRectF(x, y, size, size), QPen(QColor(theme.MUTED), 0.8 * lines))
            border.setZValue(4)
            self._thumbnail_frames.append(border)
            thumbnail_right[unit] = (x, x + size)
        self._bundle_ends: list[tuple[QPointF, QPointF]] = []
        bundle = QPainterPath()
        connectors = QPainterPath()
        for j, y in enumerate(self._hidden_y):
            start = QPointF(bundle_x, tile_y + tile * (0.1 + 0.8 * (j + 0.5) / hidden))
            end_x = thumbnail_right[j][0] if j in thumbnail_right else hidden_x - radius
            end = QPointF(end_x, y)
            bundle.moveTo(start)
            middle = (start.x() + end.x()) / 2
            bundle.cubicTo(QPointF(middle, start.y()), QPointF(middle, end.y()), end)
            self._bundle_ends.append((start, end))
            if j in thumbnail_right:
                connectors.moveTo(thumbnail_right[j][1], y)
                connectors.lineTo(hidden_x - radius, y)
        self._bundle = QGraphicsPathItem(bundle)
        self._bundle.setZValue(0)
        self.scene.addItem(self._bundle)
        connector_item = QGraphicsPathItem(connectors)
        connector_item.setPen(QPen(_with_alpha(theme.MUTED, 140), 0.8 * lines))
        connector_item.setZValue(1)
        self.scene.addItem(connector_item)
        self._thumbnail_note = f"thumbnails: every {self._ordinal(stride)} unit" if stride > 1 else ""

        # ---- W2 edges: width and opacity grow with |w|; many units share the room, so each is fainter
        self._pen_cache = []
        density = min(1.0, math.sqrt(16 / hidden))
        for sign_color in (theme.NEGATIVE, theme.POSITIVE):
            for level in range(EDGE_LEVELS):
                magnitude = level / (EDGE_LEVELS - 1)
                self._pen_cache.append(QPen(_with_alpha(sign_color, (25 + 200 * magnitude) * density),
                                            (0.3 + 3.2 * magnitude) * density * lines))
        self._edge_pens = np.full((10, hidden), -1)
        self._edges: list[list[QGraphicsLineItem]] = []
        for i, y_out in enumerate(self._output_y):
            row = []
            for j, y_hidden in enumerate(self._hidden_y):
                edge = QGraphicsLineItem(hidden_x + radius, y_hidden, output_x - output_radius, y_out)
                edge.setZValue(1)
                self.scene.addItem(edge)
                row.append(edge)
            self._edges.append(row)

        # ---- hidden nodes, their biases and gradient pills
        self.hidden_nodes = []
        self._hidden_values: list[QGraphicsSimpleTextItem] = []
        self._hidden_biases: list[QGraphicsRectItem] = []
        self._hidden_pills: list[_Pill] = []
        bias_side = max(3.0, 0.6 * radius)
        node_pen = QPen(QColor(theme.INK), 1.0 * lines)
        show_hidden_pills = step >= pill_height + 2
        for j, y in enumerate(self._hidden_y):
            node = HiddenNode(j, self)
            node.setToolTip(f"hidden unit {j}: hover to read its Z1 and A1, click to select it")
            node.setRect(QRectF(hidden_x - radius, y - radius, 2 * radius, 2 * radius))
            node.setPen(node_pen)
            node.setZValue(5)
            self.scene.addItem(node)
            self.hidden_nodes.append(node)
            value = self._text(font=self._small, z=6)
            value.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
            self._hidden_values.append(value)
            bias = QGraphicsRectItem(hidden_x - 0.8 * radius - bias_side / 2, y + 0.8 * radius - bias_side / 2,
                                     bias_side, bias_side)
            bias.setZValue(6)
            bias.setVisible(radius >= 7)   # on tiny nodes the bias square would read as noise
            bias.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
            self.scene.addItem(bias)
            self._hidden_biases.append(bias)
            if show_hidden_pills:
                self._hidden_pills.append(self._pill(QPointF(hidden_x + radius + 4, y)))
        self._hidden_pill_header = self._text("dZ1", self._small, theme.BACKWARD)
        pill_header_y = top - pad - small_metrics.height() / 2 - 2
        self._place(self._hidden_pill_header, hidden_x + radius + 4 + pill_width / 2, pill_header_y, "center")

        # ---- output nodes, names, probabilities, markers, biases and gradient pills
        self.output_nodes: list[QGraphicsEllipseItem] = []
        self._probabilities: list[QGraphicsSimpleTextItem] = []
        self._output_biases: list[QGraphicsRectItem] = []
        self._output_pills: list[_Pill] = []
        self.output_name_items = []
        output_bias_side = 0.6 * output_radius
        for i, y in enumerate(self._output_y):
            node = QGraphicsEllipseItem(output_x - output_radius, y - output_radius, 2 * output_radius,
                                        2 * output_radius)
            node.setPen(node_pen)
            node.setZValue(5)
            self.scene.addItem(node)
            self.output_nodes.append(node)
            name = self._text(class_names[i], self._bold)
            self._place(name, name_x, y)
            self.output_name_items.append(name)
            probability = self._text(font=self._font, color=theme.MUTED)
            self._probabilities.append(probability)
            bias = QGraphicsRectItem(output_x - 0.7 * output_radius - output_bias_side / 2,
                                     y + 0.7 * output_radius - output_bias_side / 2, output_bias_side,
                                     output_bias_side)
            bias.setZValue(6)
            self.scene.addItem(bias)
            self._output_biases.append(bias)
            self._output_pills.append(self._pill(QPointF(gradient_x, y)))
        self._probability_right = probability_x + probability_width
        self._output_pill_header = self._text("dZ2", self._small, theme.BACKWARD)
        self._place(self._output_pill_header, gradient_x + pill_width / 2, pill_header_y, "center")
        ring = 2 * output_radius + 10
        self.label_ring = QGraphicsEllipseItem(-ring / 2, -ring / 2, ring, ring)
        self.label_ring.setPen(QPen(QColor(theme.CORRECT), 3 * lines))
        self.label_ring.setZValue(7)
        self.scene.addItem(self.label_ring)
        inner = 2 * output_radius + 3
        self.prediction_ring = QGraphicsEllipseItem(-inner / 2, -inner / 2, inner, inner)
        self.prediction_ring.setZValue(7)
        self.scene.addItem(self.prediction_ring)
        self._label_tag = self._text(font=self._bold, color=theme.CORRECT)
        self._prediction_tag = self._text(font=self._bold)
        self._tag_x = tag_x

        # ---- captions: layers above (name, then the shape of its activations), parameters below their
        # edges (weights, then biases); each row is pushed apart so that no two captions overlap
        self._caption_rows = [
            (MARGIN + line / 2, {"input": (tile_x, tile_x + tile), "hidden": (hidden_x - radius, hidden_x + radius),
                                 "output": (output_x - output_radius, self._probability_right)}),
            (MARGIN + line * 1.5 + 2, None),
            (top + body_height + pad + 6 + line / 2, {"W1": (bundle_x, thumbs_x + columns * (size + 4)),
                                                      "W2": (hidden_x + radius, output_x - output_radius)}),
            (top + body_height + pad + 8 + line * 1.5, None),
        ]
        for row in (1, 3):
            self._caption_rows[row] = (self._caption_rows[row][0], self._caption_rows[row - 1][1])
        self._headers: dict[str, QGraphicsSimpleTextItem] = {}
        for row, (_, spans) in enumerate(self._caption_rows):
            for part in spans:
                self._headers[f"{part}{row % 2}"] = self._text()
        self._thumbnail_note_item = self._text(self._thumbnail_note, self._small, theme.MUTED)
        self._place(self._thumbnail_note_item, bundle_x + (thumbs_x + columns * (size + 4) - bundle_x) / 2,
                    top + body_height + pad + 10 + 2 * line + small_metrics.height() / 2, "center")

        # ---- footer: direction pill, equation, note; then the hover line
        footer_y = top + body_height + pad + 16 + 2 * line + small_metrics.height() + line / 2
        self._direction_box = QGraphicsPathItem()
        self._direction_box.setPen(QPen(Qt.PenStyle.NoPen))
        self._direction_box.setZValue(5)
        self.scene.addItem(self._direction_box)
        self._direction_text = self._text(font=self._bold)
        self._equation_text = self._text(font=self._font)
        self._note_text = self._text(font=self._font, color=theme.MUTED)
        self._footer_y = footer_y
        self._hover_label = self._text(font=self._small, color=theme.MUTED)
        self._hover_y = footer_y + line / 2 + 8 + small_metrics.height() / 2
        height = self._hover_y + small_metrics.height() / 2 + MARGIN

        # ---- animation overlays: pulse dots and flashes, hidden until an animation runs
        dot = 2 * DOT_RADIUS * lines
        self._dots = self._overlays(MAX_PULSES, 9, lambda: QGraphicsEllipseItem(-dot / 2, -dot / 2, dot, dot))
        self._flashes = self._overlays(FLASHED_EDGES, 8, QGraphicsLineItem)
        self._thumbnail_flashes = self._overlays(FLASHED_THUMBNAILS, 8, QGraphicsRectItem)
        self._pulses: list[tuple[QPointF, QPointF, bool]] = []   # start, end, curved (a W1 bundle line)
        self._overlays_shown = False

        # What the items show now, so that a snapshot touches only the items whose look changes (see _update).
        self._hidden_fill = (np.full(hidden, -1), None)     # lookup-table entries, the table
        self._hidden_texts: list[str | None] = [None] * hidden
        self._hidden_bias_state = {"index": np.full(hidden, -1), "lut": None, "pen": None}
        self._output_bias_state = {"index": np.full(10, -1), "lut": None, "pen": None}
        self._output_fill = np.full(10, -1)
        self._probability_texts: list[str | None] = [None] * 10
        self._probability_strong: list[bool | None] = [None] * 10
        self._frame_key: tuple | None = None
        self._thumbnail_rgb: np.ndarray | None = None
        self._thumbnail_rows_name: str | None = None
        self._markers_for: tuple[int, int] | None = None
        self._tooltips_written = 0.0
        self._thumbnails_drawn = 0.0
        self._parameters_drawn = 0.0
        self._drawn_phase: str | None = "none yet"
        self._set_text(self._hover_label, HOVER_HINT, MARGIN, self._hover_y)

        self._width = width
        self._body_height = body_height
        self._height_beside_body = height - body_height
        self.scene.setSceneRect(QRectF(0, 0, width, height))
        # Every snapshot changes a few items, but the view repaints the rectangle around all of them, which is
        # nearly the whole scene: drawn from per-item pixmaps, the items that did not change cost a blit each.
        for item in self.scene.items():
            item.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.view.fit()

    def _overlays(self, count: int, z: float, make) -> list:
        """count hidden items above the diagram that ignore the mouse (for the animation)."""
        items = []
        for _ in range(count):
            item = make()
            item.setZValue(z)
            item.setVisible(False)
            item.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
            self.scene.addItem(item)
            items.append(item)
        return items

    @staticmethod
    def _ordinal(n: int) -> str:
        suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
        return f"{n}{suffix}"

    def _pill(self, left_middle: QPointF) -> _Pill:
        width, height = self._geometry["pill_width"], self._geometry["pill_height"]
        box = QGraphicsPathItem(_rounded(QRectF(left_middle.x(), left_middle.y() - height / 2, width, height),
                                         height / 2))
        box.setZValue(7)
        box.setPen(QPen(QColor(theme.BACKWARD), 1.0 * self._line_scale))
        box.setVisible(False)
        box.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.scene.addItem(box)
        text = QGraphicsSimpleTextItem(box)
        text.setFont(self._small)
        text.setBrush(QColor(theme.INK))
        return _Pill(box, text)

    # ------------------------------------------------------------ updating (per snapshot)
    def _update(self, snapshot: Snapshot) -> None:
        """Bring every item to this snapshot. While playing, a frame comes every 25 ms and each call holds the
        interpreter the training thread needs, so only the items whose look changed are touched: colours are
        compared as lookup-table indices, texts as strings, pens by what they are made of."""
        phase = snapshot.phase
        record = snapshot.record
        arrays = record.arrays if record is not None else {}
        parts = PHASE_PARTS.get(phase or "", frozenset())
        direction = _direction(phase)
        color = _phase_color(direction)
        example = snapshot.example
        names = snapshot.class_names
        lines = self._line_scale
        # Tooltips are read only when hovered, and the numbers written on the nodes change at every iteration,
        # faster than anyone reads them: while playing they follow a few times a second (colours at every frame).
        now = time.perf_counter()
        tooltips = not snapshot.playing or now - self._tooltips_written >= TOOLTIP_INTERVAL
        if tooltips:
            self._tooltips_written = now
        numbers = tooltips
        # a new phase (playing starts after a step, say) shows at once what it lights
        phase_changed = phase != self._drawn_phase
        self._drawn_phase = phase
        parameters = not snapshot.playing or phase_changed or now - self._parameters_drawn >= PARAMETER_INTERVAL
        if parameters:
            self._parameters_drawn = now

        z1, a1 = _finite(example.z1), _finite(example.a1)
        z2, a2 = _finite(example.z2), _finite(example.a2)
        column = example.column
        dZ1 = _finite(arrays["dZ1"][:, column]) if "dZ1" in arrays and column is not None else None
        dZ2 = _finite(arrays["dZ2"][:, column]) if "dZ2" in arrays and column is not None else None

        # input tile (the same picture while playing: a new pixmap only for another example)
        if self._tile_pixels is None or (example.pixels is not self._tile_pixels
                                         and not np.array_equal(self._tile_pixels, example.pixels)):
            self._tile.setPixmap(_pixmap(_lut_rgb(_finite(example.pixels).reshape(28, 28), theme.GRAY_LUT,
                                                  0.0, 1.0)))
        self._tile_pixels = example.pixels
        label_name = names[example.label] if 0 <= example.label < len(names) else str(example.label)
        self._set_text(self._label_text, f"label: {label_name}", *self._label_pos, "center")
        self._set_text(self._example_text, f"{example.subset} #{example.index:,} of {example.count:,}",
                       *self._example_pos, "center")

        # hidden nodes filled by A1 (signed map if the activation can be negative)
        if a1.size and float(a1.min()) < 0:
            lut, (low, high) = theme.SIGNED_LUT, theme.symmetric_levels(a1)
        else:
            lut, low, high = theme.SEQUENTIAL_LUT, 0.0, max(float(a1.max()) if a1.size else 0.0, 1e-6)
        fill_index = _lut_index(a1, low, high)
        shown_fill, shown_lut = self._hidden_fill
        refill = np.flatnonzero(fill_index != shown_fill).tolist() if lut is shown_lut else \
            list(range(len(self.hidden_nodes)))
        colours, light = _lut_colours(lut)
        fill_entries = fill_index.tolist()
        for j in refill:
            self.hidden_nodes[j].setBrush(colours[fill_entries[j]])
        self._hidden_fill = (fill_index, lut)
        if numbers:
            values = a1.tolist()
            texts = [_number(value) for value in values]
            rewrite = [j for j, text in enumerate(texts) if text != self._hidden_texts[j]]
        else:
            rewrite = []
        radius, hidden_x = self._geometry["radius"], self._geometry["hidden_x"]
        for j in rewrite:
            text = self._hidden_values[j]
            self._hidden_texts[j] = texts[j]
            fits = False
            for candidate in _shorter_numbers(values[j]):
                text.setText(candidate)
                rect = text.boundingRect()
                fits = rect.width() <= 2 * radius - 3 and rect.height() <= 2 * radius
                if fits:
                    break
            text.setVisible(fits)
            if fits:
                self._place(text, hidden_x, self._hidden_y[j], "center")
        recolour = sorted(set(refill) | set(rewrite))
        if recolour:
            ink, paper = QColor(theme.INK), QColor(theme.PAPER)
            for j in recolour:
                if self._hidden_values[j].isVisible():
                    self._hidden_values[j].setBrush(ink if light[fill_entries[j]] else paper)
        b1 = _finite(arrays["db1"] if phase == "db1" else snapshot.params["b1"])[:, 0]
        if parameters:
            self._show_biases(self._hidden_biases, self._hidden_bias_state, b1, "b1" in parts, color)
        self._hidden_numbers = {"Z1": z1, "A1": a1, "db1" if phase == "db1" else "b1": b1}
        if dZ1 is not None:
            self._hidden_numbers["dZ1"] = dZ1
        self._show_pills(self._hidden_pills, dZ1, self._hidden_pill_header)
        if self._hover_index is not None:
            self._hover(self._hover_index)

        # thumbnails: W1 rows, or dW1 rows while dW1 is the phase
        rows_name = "dW1" if phase == "dW1" else "W1"
        rows_source = arrays["dW1"] if phase == "dW1" else snapshot.params["W1"]
        w1_lit = "W1" in parts
        frame_key = (w1_lit, color.rgba())
        if frame_key != self._frame_key:
            self._frame_key = frame_key
            frame_pen = QPen(color, 2.0 * lines) if w1_lit else QPen(QColor(theme.MUTED), 0.8 * lines)
            for frame in self._thumbnail_frames:
                frame.setPen(frame_pen)
            bundle_color = _with_alpha(color, 120) if w1_lit else _with_alpha(theme.MUTED, 55)
            self._bundle.setPen(QPen(bundle_color, (1.4 if w1_lit else 0.8) * lines))
        # The parameters are immutable and replaced at each update, so the same object means the same picture;
        # a new one often differs from the last in a few thumbnails only.
        thumbnails_due = not snapshot.playing or phase_changed or now - self._thumbnails_drawn >= THUMBNAIL_INTERVAL
        if rows_source is not self._thumbnail_source and thumbnails_due:
            self._thumbnail_source = rows_source
            self._thumbnails_drawn = now
            rows = _finite(rows_source[self._thumbnail_units])
            rgb = _signed_rgb(rows).reshape(len(self._thumbnail_units), 28, 28, 3)
            for position, item in enumerate(self._thumbnails):
                if self._thumbnail_rgb is None or not np.array_equal(rgb[position], self._thumbnail_rgb[position]):
                    item.setPixmap(_pixmap(rgb[position]))
            self._thumbnail_rgb = rgb
        if rows_name != self._thumbnail_rows_name:
            self._thumbnail_rows_name = rows_name
            for item, unit in zip(self._thumbnails, self._thumbnail_units):
                item.setToolTip(f"{rows_name} row {unit}: the 784 {'gradients of the ' if phase == 'dW1' else ''}"
                                f"incoming weights of hidden unit {unit}, as a 28×28 image")

        # W2 edges: colour = sign, width = |w|, alpha by magnitude (dW2 while dW2 is the phase)
        if parameters:
            edge_values = _finite(arrays["dW2"] if phase == "dW2" else snapshot.params["W2"])
            top = float(np.abs(edge_values).max()) if edge_values.size else 0.0
            levels = np.rint(np.abs(edge_values) * ((EDGE_LEVELS - 1) / (top if top > 0 else 1.0))).astype(int)
            pens = np.where(edge_values < 0, levels, levels + EDGE_LEVELS)
            changed = np.argwhere(pens != self._edge_pens)   # a pen per level: only the edges whose level moved
            for i, j in changed:
                self._edges[i][j].setPen(self._pen_cache[pens[i, j]])
            self._edge_pens = pens

        # outputs: probability fill, names, markers
        fill_index = _lut_index(a2, 0.0, 1.0)
        b2 = _finite(arrays["db2"] if phase == "db2" else snapshot.params["b2"])[:, 0]
        prediction, label = int(np.argmax(a2)) if a2.size else example.prediction, example.label
        output_colours = _lut_colours(theme.SEQUENTIAL_LUT)[0]
        for i in np.flatnonzero(fill_index != self._output_fill).tolist():
            self.output_nodes[i].setBrush(output_colours[fill_index[i]])
        self._output_fill = fill_index
        percents = (100 * a2).tolist()
        for i, percent in enumerate(percents):
            probability = self._probabilities[i]
            text = f"{percent:.1f}%" if numbers else self._probability_texts[i]
            if text != self._probability_texts[i]:
                self._probability_texts[i] = text
                probability.setText(text)
                self._place(probability, self._probability_right, self._output_y[i], "right")
            strong = i in (prediction, label)
            if strong != self._probability_strong[i]:
                self._probability_strong[i] = strong
                probability.setBrush(QColor(theme.INK if strong else theme.MUTED))
        if tooltips:
            for i, (node, z, percent) in enumerate(zip(self.output_nodes, z2.tolist(), percents)):
                node.setToolTip(f"output {names[i]}: Z2 = {_number(z)}, A2 = {percent:.1f}%")
        if parameters:
            self._show_biases(self._output_biases, self._output_bias_state, b2, "b2" in parts, color)
        if tooltips:
            for i, bias in enumerate(self._output_biases):
                bias.setToolTip(f"{'db2' if phase == 'db2' else 'b2'}[{i}] = {_number(b2[i])}")
        self._show_pills(self._output_pills, dZ2, self._output_pill_header)
        self._show_markers(label, prediction)
        self._update_captions(snapshot, color)

    def _set_text(self, item: QGraphicsSimpleTextItem, text: str, x: float, y: float, align: str = "left") -> None:
        if item.text() != text:
            item.setText(text)
            self._place(item, x, y, align)

    def _show_biases(self, squares: list[QGraphicsRectItem], state: dict, values: np.ndarray, lit: bool,
                     color: QColor) -> None:
        """Bias squares in the signed map's colours; outlined in the phase's colour when the phase wrote them."""
        index = _lut_index(values, *theme.symmetric_levels(values))
        lut = theme.SIGNED_LUT
        changed = np.flatnonzero(index != state["index"]).tolist() if lut is state["lut"] else range(len(squares))
        for k in changed:
            squares[k].setBrush(QColor(*lut[index[k]]))
        state["index"], state["lut"] = index, lut
        pen_key = (lit, color.rgba() if lit else None)
        if pen_key != state["pen"]:
            state["pen"] = pen_key
            pen = QPen(color, 2.0 * self._line_scale) if lit else QPen(QColor(theme.INK), 0.6 * self._line_scale)
            for square in squares:
                square.setPen(pen)

    def _show_markers(self, label: int, prediction: int) -> None:
        """The label's ring and tag, the prediction's ring (and tag when it is wrong)."""
        key = (label, prediction)
        if key == self._markers_for:
            return
        self._markers_for = key
        lines = self._line_scale
        x_out = self._geometry["output_x"]
        has_label = 0 <= label < 10
        self.label_ring.setVisible(has_label)
        if has_label:
            self.label_ring.setPos(x_out, self._output_y[label])
        correct = prediction == label
        self.prediction_ring.setPen(QPen(QColor(theme.INK if correct else theme.WRONG), 3 * lines))
        self.prediction_ring.setPos(x_out, self._output_y[prediction])
        if correct:
            self._label_tag.setText("◀ label = prediction ✓")
            self._prediction_tag.setVisible(False)
        else:
            self._label_tag.setText("◀ label")
            self._prediction_tag.setText("◀ prediction ✗ wrong")
            self._prediction_tag.setBrush(QColor(theme.WRONG))
            self._prediction_tag.setVisible(True)
            self._place(self._prediction_tag, self._tag_x, self._output_y[prediction])
        self._label_tag.setVisible(has_label)
        if has_label:
            self._place(self._label_tag, self._tag_x, self._output_y[label])

    def _show_pills(self, pills: list[_Pill], values: np.ndarray | None, header: QGraphicsSimpleTextItem) -> None:
        visible = values is not None and bool(pills)
        if not visible and not header.isVisible():
            return      # hidden and staying hidden (every snapshot while playing)
        header.setVisible(visible)
        rgb = _signed_rgb(values) if visible else np.zeros((0, 3), np.uint8)
        colors, text_colors = _colors(rgb), _ink_on(rgb)
        for k, pill in enumerate(pills):
            pill.box.setVisible(visible)
            if not visible:
                continue
            pill.box.setBrush(colors[k])
            pill.text.setText(_number(values[k]))
            pill.text.setBrush(text_colors[k])
            box, text = pill.box.path().boundingRect(), pill.text.boundingRect()
            pill.text.setPos(box.center().x() - text.width() / 2, box.center().y() - text.height() / 2)

    def _update_captions(self, snapshot: Snapshot, color: QColor) -> None:
        phase, record = snapshot.phase, snapshot.record
        hidden = self.hidden_width
        m = record.m if record is not None and record.m else snapshot.train_size
        # Everything the captions say; while playing it stays the same from one snapshot to the next.
        key = (phase, m, len(snapshot.class_names), snapshot.next_phase, record.equation if record else None,
               snapshot.example.column is None, color.rgba())
        if key == self._captions_for:
            return
        self._captions_for = key
        parts = PHASE_PARTS.get(phase or "", frozenset())
        self.highlighted_parts = parts
        texts = {
            "input0": "X · 784 inputs", "input1": f"X (784, {m:,})",
            "W10": f"{'dW1' if phase == 'dW1' else 'W1'} ({hidden}, 784)",
            "W11": f"{'db1' if phase == 'db1' else 'b1'} ({hidden}, 1)",
            "hidden0": f"hidden · {hidden} unit{'s' if hidden != 1 else ''}", "hidden1": f"A1 ({hidden}, {m:,})",
            "W20": f"{'dW2' if phase == 'dW2' else 'W2'} (10, {hidden})",
            "W21": f"{'db2' if phase == 'db2' else 'b2'} (10, 1)",
            "output0": f"output · {len(snapshot.class_names)} classes", "output1": f"A2 (10, {m:,})",
        }
        lit = {"W10": "W1" in parts, "W11": "b1" in parts, "hidden0": "hidden" in parts,
               "hidden1": "hidden" in parts, "W20": "W2" in parts, "W21": "b2" in parts,
               "output0": "output" in parts, "output1": "output" in parts}
        text_color = QColor(theme.INK) if _direction(phase) == "update" else color
        for row, (y, spans) in enumerate(self._caption_rows):
            right_edge = MARGIN - 12
            for part, (left, right) in spans.items():
                key = f"{part}{row % 2}"
                item = self._headers[key]
                item.setText(texts[key])
                wanted = self._bold if row % 2 == 0 or lit.get(key) else self._font
                if item.font() != wanted:
                    item.setFont(wanted)
                item.setBrush(text_color if lit.get(key) else QColor(theme.INK if row % 2 == 0 else theme.MUTED))
                width = item.boundingRect().width()
                x = max((left + right) / 2 - width / 2, right_edge + 12)
                x = min(x, self._width - MARGIN - width)
                item.setPos(x, y - item.boundingRect().height() / 2)
                right_edge = x + width

        # highlight regions: "W1" covers the bundle and thumbnails, biases are lit by their outlines
        direction = _direction(phase)
        fill_alpha = 48 if direction == "update" else 26
        for name, region in self._regions.items():
            region.setVisible(name in parts)
            if name in parts:
                region.setBrush(_with_alpha(color, fill_alpha))
                region.setPen(QPen(_with_alpha(color, 150), 1.5 * self._line_scale))

        self._show_emphasis()

        # footer
        x = MARGIN
        if direction is None:
            self._direction_text.setText("ready")
            self._equation_text.setText(f"next: {network.EQUATIONS[snapshot.next_phase]}")
            note = ""
        else:
            self._direction_text.setText(DIRECTION_CAPTIONS[direction])
            self._equation_text.setText(record.equation if record is not None else network.EQUATIONS[phase])
            note = {"dW2": "W2 edges show dW2, the gradient", "dW1": "thumbnails show dW1 rows, the gradient",
                    "db2": "output biases show db2", "db1": "hidden biases show db1"}.get(phase, "")
            if phase in ("dZ2", "dW2", "db2", "dZ1", "dW1", "db1") and snapshot.example.column is None:
                note = (note + " · " if note else "") + "this example is not in the mini-batch"
        self._direction_text.setBrush(QColor(theme.INK if direction in ("update", None) else theme.PAPER))
        text_rect = self._direction_text.boundingRect()
        pad_x, pad_y = 10.0, 3.0
        box = QRectF(x, self._footer_y - text_rect.height() / 2 - pad_y, text_rect.width() + 2 * pad_x,
                     text_rect.height() + 2 * pad_y)
        self._direction_box.setPath(_rounded(box, box.height() / 2))
        self._direction_box.setBrush(QColor(theme.PANEL) if direction is None else color)
        self._place(self._direction_text, x + pad_x, self._footer_y)
        self._place(self._equation_text, box.right() + 12, self._footer_y)
        self._note_text.setText(note)
        self._note_text.setVisible(bool(note))
        self._place(self._note_text, self._equation_text.pos().x() + self._equation_text.boundingRect().width()
                    + 16, self._footer_y)

    def _hover(self, index: int | None) -> None:
        """The hover line under the diagram: a hidden unit's numbers, or how to get them."""
        if not self._built_for:
            return
        self._hover_index = index
        if index is not None and index < len(self.hidden_nodes) and self._hidden_numbers:
            numbers = [f"{name} = {_number(values[index])}" for name, values in self._hidden_numbers.items()]
            text = " · ".join([f"hidden unit {index}", *numbers])
            self.hidden_nodes[index].setToolTip("\n".join([f"hidden unit {index}", *numbers,
                                                            "click to select this unit"]))
        else:
            text = HOVER_HINT
        self._set_text(self._hover_label, text, MARGIN, self._hover_y)

    # ------------------------------------------------------------ animation (decorative overlays only)
    def _start_animation(self, snapshot: Snapshot) -> None:
        self.animation.stop()
        self._end_animation()
        phase = snapshot.phase
        if self._animation_ms == 0 or snapshot.playing or phase is None:
            return
        color = _phase_color(_direction(phase))
        self._pulses = self._pulse_paths(snapshot)
        for k, dot in enumerate(self._dots):
            dot.setBrush(color)
            dot.setPen(QPen(QColor(theme.PAPER), 1.2 * self._line_scale))
        parts = PHASE_PARTS[phase]
        regions = [self._regions[p].path().boundingRect() for p in parts if p in self._regions]
        if regions:
            glow = QPainterPath()
            for rect in regions:
                glow.addRoundedRect(rect.adjusted(-3, -3, 3, 3), 12, 12)
            self._glow.setPath(glow)
            self._glow.setVisible(True)
        self._glow_color = color
        self._overlays_shown = True
        if phase == "update":
            self._prepare_flashes(snapshot)
        self.animation.setDuration(self._animation_ms)
        self.animation.start()

    def _pulse_paths(self, snapshot: Snapshot) -> list[tuple[QPointF, QPointF, bool]]:
        """The edges a pulse travels along for this phase: start → end (backward phases run right to left)."""
        phase, arrays = snapshot.phase, snapshot.record.arrays if snapshot.record is not None else {}
        example = snapshot.example
        hx, ox = self._geometry["hidden_x"] + self._geometry["radius"], \
            self._geometry["output_x"] - self._geometry["output_radius"]

        def strongest(weights: np.ndarray) -> list[tuple[int, int]]:
            return _largest(_finite(weights), MAX_PULSES)

        def bundle(units: list[int], backward: bool) -> list[tuple[QPointF, QPointF, bool]]:
            return [(self._bundle_ends[j][1], self._bundle_ends[j][0], True) if backward else
                    (*self._bundle_ends[j], True) for j in units]

        def edge(i: int, j: int, backward: bool) -> tuple[QPointF, QPointF, bool]:
            start, end = QPointF(hx, self._hidden_y[j]), QPointF(ox, self._output_y[i])
            return (end, start, False) if backward else (start, end, False)

        W2 = snapshot.params["W2"]
        if phase == "Z1":
            order = np.argsort(-np.abs(_finite(example.z1)))[:MAX_PULSES]
            return bundle([int(j) for j in order], False)
        if phase == "Z2":
            return [edge(i, j, False) for i, j in strongest(np.abs(W2 * _finite(example.a1)[None, :]))]
        if phase == "dW2" and "dW2" in arrays:
            return [edge(i, j, True) for i, j in strongest(np.abs(arrays["dW2"]))]
        if phase == "dZ1":
            dZ2 = arrays["dZ2"][:, example.column] if example.column is not None else np.ones(10)
            return [edge(i, j, True) for i, j in strongest(np.abs(W2 * _finite(dZ2)[:, None]))]
        if phase == "dW1" and "dW1" in arrays:
            order = np.argsort(-np.abs(_finite(arrays["dW1"])).sum(axis=1))[:MAX_PULSES]
            return bundle([int(j) for j in order], True)
        return []

    def _prepare_flashes(self, snapshot: Snapshot) -> None:
        arrays = snapshot.record.arrays
        lines = self._line_scale
        if "W2_before" in arrays and "W2" in arrays:
            change = np.abs(_finite(arrays["W2"]) - _finite(arrays["W2_before"]))
            for flash, (i, j) in zip(self._flashes, _largest(change, FLASHED_EDGES)):
                flash.setLine(self._edges[i][j].line())
                flash.setPen(QPen(_with_alpha(theme.HIGHLIGHT, 230), 6 * lines, cap=Qt.PenCapStyle.RoundCap))
                flash.setVisible(True)
        if "W1_before" in arrays and "W1" in arrays:
            units = np.asarray(self._thumbnail_units)
            change = np.abs(_finite(arrays["W1"][units]) - _finite(arrays["W1_before"][units])).sum(axis=1)
            for flash, position in zip(self._thumbnail_flashes, np.argsort(-change)[:FLASHED_THUMBNAILS]):
                rect = self._thumbnail_frames[int(position)].rect().adjusted(-3, -3, 3, 3)
                flash.setRect(rect)
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
            self._glow.setPen(QPen(_with_alpha(self._glow_color, int(110 * fade)), (2 + 6 * fade) * self._line_scale))
        blink = abs(math.cos(2.5 * math.pi * t)) * (1 - t)
        for flash in (*self._flashes, *self._thumbnail_flashes):
            flash.setOpacity(blink)

    def _end_animation(self) -> None:
        if not self._built_for or not self._overlays_shown:
            return
        self._overlays_shown = False
        for item in (*self._dots, *self._flashes, *self._thumbnail_flashes, self._glow):
            item.setVisible(False)

    def _show_emphasis(self) -> None:
        """Draw the set_emphasis marks for the parts chosen, around where those parts are now."""
        if not self._built_for or self._captions_for is None:
            return      # before the first snapshot the captions (part of the b1 / b2 marks) have no place yet
        lines = self._line_scale
        band = _with_alpha(theme.HIGHLIGHT, 70)
        outline = QPen(QColor(theme.HIGHLIGHT), 4.0 * lines)
        outline.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
        for name, item in self._emphasis_items.items():
            shown = name in self._emphasis
            item.setVisible(shown)
            if not shown:
                continue
            path = QPainterPath()
            if name in ("b1", "b2"):
                squares = self._hidden_biases if name == "b1" else self._output_biases
                for square in squares:
                    if square.isVisible():
                        path.addRoundedRect(square.rect().adjusted(-3, -3, 3, 3), 3, 3)
                caption = self._headers["W11" if name == "b1" else "W21"]
                path.addRoundedRect(caption.sceneBoundingRect().adjusted(-6, -2, 6, 2), 8, 8)
                item.setBrush(QBrush(Qt.BrushStyle.NoBrush))
                item.setPen(QPen(QColor(theme.HIGHLIGHT), 3.0 * lines))
            else:
                path.addRoundedRect(self._emphasis_rects[name].adjusted(-4, -4, 4, 4), 12, 12)
                item.setBrush(band)
                item.setPen(outline)
            item.setPath(path)
        self.view.setAccessibleDescription(
            "emphasized: " + ", ".join(sorted(self._emphasis)) if self._emphasis else "")

    def overlays_visible(self) -> bool:
        """True while any pulse, glow or flash is on screen."""
        if not self._built_for:
            return False
        return any(item.isVisible() for item in (*self._dots, *self._flashes, *self._thumbnail_flashes, self._glow))
