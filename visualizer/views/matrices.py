"""The arrays the current phase reads and writes, as heat maps laid out like its equation."""
from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import QRect, QSize, Qt
from PyQt6.QtGui import QFontMetrics
from PyQt6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from core import network
from visualizer import phases, theme
from visualizer.snapshot import Snapshot

COLUMNS = 64            # at most this many examples (columns of an (·, m) array) are drawn
TILES = 16              # at most this many rows of W1 / dW1 are drawn as 28×28 tiles
SIDE = 28
TRANSPOSED = "ᵀ"
NBSP = "\u00a0"
PANELS_PER_ROW = 4
ROWS = 2
MIN_IMAGE_HEIGHT = 24
NARROW = 2              # arrays at most this many columns wide (biases) get a narrow panel
TITLE_SCALE, SCALE_SCALE = 0.95, 0.8    # a panel's title and scale line, in the view's type
SMALLEST_POINT_SIZE = 7.0               # a title shrinks to fit its panel down to this, then its shape breaks

# Each phase is laid out as its equation reads: visualizer.phases.LOOKS[phase].matrices.
NON_NEGATIVE = {"A2", "Y"}     # A1 too when the activation keeps it ≥ 0 (checked on the values)
PER_EXAMPLE = {"X", "Y", "Z1", "A1", "Z2", "A2", "dZ2", "dZ1"}    # one column per example: (·, m)
TILED = {"W1", "dW1", "W1_before"}                                # rows of 784 weights, one per hidden unit
ARRAY_NAMES = {*PER_EXAMPLE, *network.PARAMETERS, *network.GRADIENT_OF.values()}


def is_array(token: str) -> bool:
    """True for an array token of a layout ("W1", "Xᵀ", "b2_before"), False for an operator."""
    return token.rstrip(TRANSPOSED).split("|")[0].removesuffix("_before") in ARRAY_NAMES


def shape_text(shape: tuple[int, ...]) -> str:
    """"(10, 784)" with a non-breaking space, so a narrow title never breaks inside a shape."""
    return "(" + f",{NBSP}".join(str(n) for n in shape) + ")"


def tiles_across(count: int) -> int:
    """How many 28×28 tiles a mosaic of count rows has side by side."""
    return min(count, 5 if count <= 10 else 8)


def tile_rows(rows: np.ndarray) -> tuple[np.ndarray, int]:
    """Rows of length 784 as a mosaic of 28×28 tiles with a one-pixel gap of zeros; returns it and the tile count."""
    count = min(rows.shape[0], TILES)
    across = tiles_across(count)
    down = math.ceil(count / across)
    mosaic = np.zeros((down * (SIDE + 1) - 1, across * (SIDE + 1) - 1), dtype=np.float32)
    for position in range(count):
        row, col = divmod(position, across)
        mosaic[row * (SIDE + 1):row * (SIDE + 1) + SIDE, col * (SIDE + 1):col * (SIDE + 1) + SIDE] = \
            rows[position].reshape(SIDE, SIDE)
    return mosaic, count


def display_of(token: str, arrays, m: int) -> tuple[np.ndarray, str, str, bool]:
    """What to draw for an array token: the bounded image, a title with the real shape, which part is drawn,
    and whether it is tiled."""
    if "|" in token:
        before, after = token.split("|")
        pair = np.hstack([arrays[before], arrays[after]])
        return pair, f"{after} {shape_text(arrays[after].shape)}", "before | after", False
    transposed = token.endswith(TRANSPOSED)
    key = token.rstrip(TRANSPOSED)
    array = arrays[key]
    name = key.removesuffix("_before")
    if key.endswith("_before"):
        title_name = f"{name} before"
    elif key in network.PARAMETERS and "W1_before" in arrays:
        title_name = f"{name} after"
    else:
        title_name = name + (TRANSPOSED if transposed else "")
    shape = tuple(reversed(array.shape)) if transposed else tuple(array.shape)
    title = f"{title_name} {shape_text(shape)}"
    if key in TILED and not transposed:
        image, count = tile_rows(array)
        part = "28×28 tiles" if count == array.shape[0] else f"first {count} rows, 28×28 tiles"
        return image, title, part, True
    if key in PER_EXAMPLE:
        image = array[:, :COLUMNS]
        if transposed:
            image = image.T
        part = f"first {COLUMNS} {'rows' if transposed else 'columns'}" if m > COLUMNS else ""
        return image, title, part, False
    return (array.T if transposed else array), title, "", False


def set_shown(widget: QWidget, shown: bool) -> None:
    if widget.isHidden() == shown:
        widget.setVisible(shown)


class MatrixPanel(QWidget):
    """One array: a title with its name and real shape, a scale line, and a heat map."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel(self)
        self.title.setWordWrap(True)
        self.title.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignBottom)
        self.title.setStyleSheet(f"color: {theme.INK};")
        self.scale = QLabel(self)
        self.scale.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self.scale.setWordWrap(True)
        self.scale.setStyleSheet(f"color: {theme.MUTED};")
        self.view = pg.GraphicsView(self)
        self.view.setBackground(theme.PAPER)
        self.box = pg.ViewBox(enableMouse=False, enableMenu=False, invertY=True, defaultPadding=0.0)
        self.view.setCentralItem(self.box)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.box.addItem(self.image)
        self.view.setMinimumSize(24, MIN_IMAGE_HEIGHT)
        self.view.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.setSpacing(1)
        layout.addWidget(self.title)
        layout.addWidget(self.scale)
        layout.addWidget(self.view, 1)
        self._shape: tuple[int, ...] | None = None
        self._point_size = float(theme.BASE_POINT_SIZE)
        self.scale_texts = ("", "")
        self.token = ""
        self.description = ""
        self.narrow = False

    def show_array(self, token: str, image: np.ndarray, title: str, part: str, tiled: bool) -> None:
        self.token = token
        image = np.nan_to_num(image)
        key = token.rstrip(TRANSPOSED).split("|")[0]
        if key == "X":
            lut, levels, scale = theme.GRAY_LUT, (0.0, 1.0), "0 … 1"
        elif key in NON_NEGATIVE or (key == "A1" and image.min(initial=0.0) >= 0):
            top = max(float(image.max(initial=0.0)), 1e-12)
            lut, levels, scale = theme.SEQUENTIAL_LUT, (0.0, top), f"0 … {top:.2g}"
        else:
            lut, levels = theme.SIGNED_LUT, theme.symmetric_levels(image)
            scale = f"±{levels[1]:.2g}"
        self.image.setLookupTable(lut)
        self.image.setImage(image, autoLevels=False, levels=levels)
        self.title.setText(title)      # a narrow one wraps between words, never inside the shape
        self.scale_texts = (f"{part} · {scale}" if part else scale, scale)     # in full, and the range alone
        self.scale.setText(self.scale_texts[0])
        self.description = f"{title} — {part}" if part else title
        self.setToolTip(f"{self.description}; colour scale {scale}")
        self.setAccessibleName(self.description)
        # The heat map is a widget of its own: a screen reader or a hover over it must name it too.
        self.view.setToolTip(self.toolTip())
        self.view.setAccessibleName(f"Heat map of {self.description}")
        if image.shape != self._shape or tiled != self.box.state["aspectLocked"]:
            self._shape = image.shape
            self.box.setAspectLocked(tiled)
            self.box.setRange(xRange=(0, image.shape[1]), yRange=(0, image.shape[0]), padding=0)
        narrow = image.shape[1] <= NARROW
        if narrow != self.narrow:
            self.narrow = narrow
            # A bias column needs little width; the room goes to the matrices beside it.
            self.parentWidget().layout().setStretchFactor(self, 0 if narrow else 1)
        if narrow:      # as wide as its two text lines, no wider
            width = max(QFontMetrics(self.title.font()).horizontalAdvance(self.title.text()),
                        QFontMetrics(self.scale.font()).horizontalAdvance(self.scale.text())) + 12
        else:
            width = 16777215
        if width != self.maximumWidth():
            self.setMaximumWidth(width)
        self._fit_texts()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit_texts()

    def _fit_texts(self) -> None:
        """The title and scale lines get the height their wrapped text needs at the panel's width (a narrow
        panel wraps "W1 before (10, 784)" on three lines, and the layout gave it two: "(10, 784)" was cut), in a
        smaller type where a shape, which never breaks, is wider than the panel."""
        for label, scale in ((self.title, TITLE_SCALE), (self.scale, SCALE_SCALE)):
            width = label.width() if label.width() > 10 else max(40, self.width() - 4)
            font = theme.font(self._point_size * scale, bold=label is self.title)
            widest = max((QFontMetrics(font).horizontalAdvance(word) for word in label.text().split(" ")),
                         default=0)
            if widest > width - 2:
                font.setPointSizeF(max(SMALLEST_POINT_SIZE, font.pointSizeF() * (width - 2) / widest))
                if QFontMetrics(font).horizontalAdvance(max(label.text().split(" "), key=len)) > width - 2:
                    label.setText(label.text().replace(NBSP, " "))     # too narrow even so: "(10," / "784)"
            if font != label.font():
                label.setFont(font)
            if label is self.scale:
                self._fit_scale(width)
            # (the font's own measure: a label's heightForWidth lags a text or font just set)
            needed = self._height_of(label, label.text(), width) if label.text() else 0
            if needed != label.minimumHeight():
                label.setMinimumHeight(max(needed, 0))
                self.updateGeometry()

    def _fit_scale(self, width: int) -> None:
        """Where the panel is too short for the title, the whole scale line and a strip of image (a narrow
        column at 1366×768), the scale line says its range alone, or nothing (the tooltip has it all)."""
        if not self.height() or not self.title.text():
            return
        room = self.height() - self.title.heightForWidth(width) - MIN_IMAGE_HEIGHT - 8
        fitting = [text for text in self.scale_texts if text and self._height_of(self.scale, text, width) <= room]
        text = fitting[0] if fitting else ""
        if text != self.scale.text():
            self.scale.setText(text)
        self.scale.setVisible(bool(text))

    @staticmethod
    def _height_of(label: QLabel, text: str, width: int) -> int:
        return QFontMetrics(label.font()).boundingRect(QRect(0, 0, width, 10_000), Qt.TextFlag.TextWordWrap,
                                                       text).height()

    def minimumSizeHint(self) -> QSize:
        """The title and scale lines as they wrap (at least two title lines) and a strip of image: titles are
        never clipped."""
        title = max(QFontMetrics(self.title.font()).lineSpacing() * 2, self.title.minimumHeight())
        scale = max(QFontMetrics(self.scale.font()).lineSpacing(), self.scale.minimumHeight())
        return QSize(40, title + scale + MIN_IMAGE_HEIGHT + 6)

    def set_point_size(self, point_size: float) -> None:
        self._point_size = point_size
        self.title.setFont(theme.font(point_size * TITLE_SCALE, bold=True))
        self.scale.setFont(theme.font(point_size * SCALE_SCALE))
        self._fit_texts()


class MatricesView(QWidget, theme.PresenterFonts):
    """Heat maps of every array the current phase reads, an arrow, and the arrays it writes."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("matricesView")
        self.setAccessibleName("Arrays of the current phase")
        self._set_tooltip()
        self._layout_key: tuple | None = None
        self._snapshot: Snapshot | None = None      # the last one shown, shown again in a new theme

        self.heading = QLabel("Arrays of the phase", self)
        self.heading.setObjectName("matricesHeading")
        self.heading.setStyleSheet(f"color: {theme.INK};")
        self.heading.setWordWrap(True)
        self.placeholder = QLabel("Press → to compute the first phase (Z1 = W1 · X + b1)", self)
        self.placeholder.setObjectName("matricesPlaceholder")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setWordWrap(True)
        self.placeholder.setStyleSheet(f"color: {theme.MUTED};")

        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        layout.setSpacing(6)
        layout.addWidget(self.heading)
        layout.addWidget(self.placeholder, 1)
        # A fixed pool, made once: each row alternates operator, panel, operator, … and shows what a phase needs.
        self.rows: list[QWidget] = []
        self.panels: list[list[MatrixPanel]] = []
        self.operators: list[list[QLabel]] = []
        for _ in range(ROWS):
            row = QWidget(self)
            row_layout = QHBoxLayout(row)
            row_layout.setContentsMargins(0, 0, 0, 0)
            row_layout.setSpacing(2)
            panels, operators = [], []
            for position in range(PANELS_PER_ROW + 1):
                operator = QLabel(row)
                operator.setAlignment(Qt.AlignmentFlag.AlignCenter)
                operator.setStyleSheet(f"color: {theme.INK};")
                operator.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Preferred)
                row_layout.addWidget(operator)
                operators.append(operator)
                if position < PANELS_PER_ROW:
                    panel = MatrixPanel(row)
                    row_layout.addWidget(panel, 1)
                    panels.append(panel)
            layout.addWidget(row, 1)
            self.rows.append(row)
            self.panels.append(panels)
            self.operators.append(operators)
        theme.fill_with_paper(self)
        self._apply_fonts()
        self._show_nothing()

    # ------------------------------------------------------------ rendering
    def visible_panels(self) -> list[MatrixPanel]:
        """The panels on screen, in reading order."""
        return [panel for row, panels in zip(self.rows, self.panels) if not row.isHidden()
                for panel in panels if not panel.isHidden()]

    def show_snapshot(self, snapshot: Snapshot) -> None:
        self._snapshot = snapshot
        record = snapshot.record
        if record is None:
            self._show_nothing()
            return
        self.placeholder.hide()
        optimizer = snapshot.config.optimizer
        layout = phases.look(record.phase).matrices
        key = (record.phase, optimizer)
        if key != self._layout_key:
            self._arrange(layout, optimizer)
            self._layout_key = key
        for row, tokens in enumerate(layout):
            arrays = [token for token in tokens if is_array(token)]
            for panel, token in zip(self.panels[row], arrays):
                panel.show_array(token, *display_of(token, record.arrays, record.m))
        # The one iteration number (docs/TESTING.md): the updates applied so far, as the status bar says.
        self.heading.setText(f"Phase {record.phase} · iteration {snapshot.iteration} · m = {record.m}")

    def _arrange(self, layout: tuple[tuple[str, ...], ...], optimizer: str) -> None:
        """Show the panels and operators a phase's layout uses, hide the rest (only when the phase changes)."""
        for row in range(ROWS):
            tokens = layout[row] if row < len(layout) else []
            texts: list[str] = [""] * (PANELS_PER_ROW + 1)
            used = 0
            for token in tokens:
                if is_array(token):
                    used += 1
                else:
                    if token.startswith("−") and optimizer != "gd":
                        token = "step →" if "d" in token else "step with"
                    texts[used] = token
            # Only what changes is touched: every show or hide relays out the panel.
            for position, panel in enumerate(self.panels[row]):
                set_shown(panel, position < used)
            for operator, text in zip(self.operators[row], texts):
                if text and (text != operator.text() or self._point_size != operator.property("pointSize")):
                    operator.setText(text)
                    # Symbols large, worded operators ("step with") at text size so they do not crowd the panels.
                    operator.setFont(theme.font(self._point_size * (1.6 if len(text) <= 3 else 1.0), bold=True))
                    operator.setProperty("pointSize", self._point_size)
                set_shown(operator, bool(text))
            set_shown(self.rows[row], bool(tokens))

    def _show_nothing(self) -> None:
        self._layout_key = None
        for row in self.rows:
            row.hide()
        self.placeholder.show()
        self.heading.setText("Arrays of the phase")

    # ------------------------------------------------------------ themes and presenter mode
    def _set_tooltip(self) -> None:
        self.setToolTip(f"The arrays the phase reads and writes, as heat maps with their real shapes: "
                        f"{theme.SIGNED_LEGEND}")

    def set_theme(self) -> None:
        """The signed heat maps take the new map (the labels and backgrounds follow by themselves)."""
        self._set_tooltip()
        if self._snapshot is not None:
            self.show_snapshot(self._snapshot)

    def _apply_fonts(self) -> None:
        size = self._point_size
        self.heading.setFont(theme.font(size * 1.2, bold=True))
        self.placeholder.setFont(theme.font(size * 1.2))
        for panels in self.panels:
            for panel in panels:
                panel.set_point_size(size)
        if self._layout_key is not None:      # the operators take the new size now
            phase, optimizer = self._layout_key
            self._arrange(phases.look(phase).matrices, optimizer)
