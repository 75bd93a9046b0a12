"""Draw a digit with the mouse and watch the current network read it: what it sees, A1 and the softmax, live."""
from __future__ import annotations

from typing import Iterable, Mapping

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import QEvent, QPointF, QRectF, Qt, QTimer, pyqtSignal
from PyQt6.QtGui import QAction, QColor, QFontMetrics, QImage, QKeySequence, QPainter, QPen
from PyQt6.QtWidgets import QBoxLayout, QHBoxLayout, QLabel, QPushButton, QSizePolicy, QVBoxLayout, QWidget

from core import drawing, network
from visualizer import theme
from visualizer.snapshot import Snapshot
from visualizer.views.confirm_bar import described
from visualizer.views.curves import nice_limit, style_plot
from visualizer.views.values import SEQUENTIAL_BRUSHES, fit_class_axis, fixed_plot, lut_brushes

CANVAS_PIXELS = 280          # the drawing is kept at 10× MNIST, whatever the size of the panel
BRUSH_WIDTH = 22             # canvas pixels: about 2 MNIST pixels once a digit of usual size is scaled to 20
REFRESH_MS = 16              # at most one preprocessing and forward pass per display frame (≈ 60 Hz)
PLOTS_WIDTH = 300            # the least width the bars need beside the canvas (at the base type size)
A2_LINES = 14                # heights of the plots in lines of text: ten class names, a title and an axis
A1_LINES = 8                 # a title, three ticks, an axis and its label
SMALLEST_CANVAS = 160        # pixels; below this A1 is left out to give the canvas room
CLEAR_KEYS = (Qt.Key.Key_Delete, Qt.Key.Key_Backspace)
CLEAR_SHORTCUT = "Ctrl+Backspace"


class DrawingCanvas(QWidget):
    """A square of black paper drawn on in white with a round brush; the ink is read back as values in [0, 1]."""

    stroked = pyqtSignal()   # ink was added
    finished = pyqtSignal()  # the mouse button was released

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        described(self, "drawingCanvas", "Drawing canvas",
                  "Draw a digit here with the left mouse button; Delete or Backspace clears it")
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(120, 120)
        self.image = QImage(CANVAS_PIXELS, CANVAS_PIXELS, QImage.Format.Format_Grayscale8)
        self.image.fill(0)
        self.empty = True
        self._last: QPointF | None = None
        self._point_size = float(theme.BASE_POINT_SIZE)
        self._pen = QPen(QColor("white"), BRUSH_WIDTH, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap,
                         Qt.PenJoinStyle.RoundJoin)

    # ------------------------------------------------------------ the ink
    def ink(self) -> np.ndarray:
        """(280, 280) values in [0, 1], ink = 1."""
        bits = self.image.constBits()
        bits.setsize(self.image.sizeInBytes())
        rows = np.frombuffer(bits, np.uint8).reshape(CANVAS_PIXELS, self.image.bytesPerLine())
        return rows[:, :CANVAS_PIXELS] / 255.0

    def clear(self) -> None:
        self.image.fill(0)
        self.empty = True
        self._last = None
        self.update()

    def draw_stroke(self, points: Iterable[tuple[float, float]]) -> None:
        """One stroke through points given in canvas pixels (0–280), as if drawn with the mouse."""
        points = [QPointF(x, y) for x, y in points]
        if points:
            self._paint(points[0], points[0])
            for start, end in zip(points, points[1:]):
                self._paint(start, end)
            self.finished.emit()

    def _paint(self, start: QPointF, end: QPointF) -> None:
        painter = QPainter(self.image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(self._pen)
        # A line between successive mouse positions keeps the stroke whole however fast the mouse moves;
        # round caps and joins make the segments meet without notches.
        if start == end:
            painter.drawPoint(start)
        else:
            painter.drawLine(start, end)
        painter.end()
        self.empty = False
        self.update()
        self.stroked.emit()

    # ------------------------------------------------------------ the mouse
    def paper(self) -> QRectF:
        """The largest centred square of the widget: where the canvas is shown."""
        side = min(self.width(), self.height())
        # Whole pixels: a fractional edge would be smoothed into a grey seam.
        return QRectF((self.width() - side) // 2, (self.height() - side) // 2, side, side)

    def _to_canvas(self, position: QPointF) -> QPointF:
        paper = self.paper()
        scale = CANVAS_PIXELS / paper.width() if paper.width() > 0 else 1.0
        return (position - paper.topLeft()) * scale

    def mousePressEvent(self, event) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return super().mousePressEvent(event)
        self._last = self._to_canvas(event.position())
        self._paint(self._last, self._last)

    def mouseMoveEvent(self, event) -> None:
        if self._last is None:
            return super().mouseMoveEvent(event)
        point = self._to_canvas(event.position())
        self._paint(self._last, point)
        self._last = point

    def mouseReleaseEvent(self, event) -> None:
        if event.button() != Qt.MouseButton.LeftButton or self._last is None:
            return super().mouseReleaseEvent(event)
        self._last = None
        self.finished.emit()

    # ------------------------------------------------------------ painting
    def set_point_size(self, point_size: float) -> None:
        self._point_size = point_size
        self.update()

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        paper = self.paper()
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        painter.drawImage(paper, self.image)
        if self.empty:
            painter.setPen(QColor(theme.MUTED).lighter(130))
            painter.setFont(theme.font(self._point_size * 1.2))
            painter.drawText(paper, Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                             "Draw a digit here\nwith the mouse")
        painter.setPen(QPen(QColor(theme.MUTED), 1))
        painter.drawRect(paper.adjusted(0, 0, -1, -1))
        painter.end()


class DigitPreview(QWidget):
    """The 28 × 28 input the network receives, one block per pixel (no smoothing: these are its pixels)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        described(self, "drawingPreview", "What the network sees",
                  "The drawing as MNIST digits were made: its bounding box scaled to 20 × 20 pixels, "
                  "then placed in 28 × 28 so that the centre of mass of the ink is at the centre")
        self.pixels = np.zeros((drawing.SIDE, drawing.SIDE), dtype=np.uint8)
        self._image = QImage(drawing.SIDE, drawing.SIDE, QImage.Format.Format_Grayscale8)
        self._image.fill(0)

    def set_column(self, column: np.ndarray) -> None:
        self.pixels = np.round(np.clip(column, 0.0, 1.0) * 255).astype(np.uint8).reshape(drawing.SIDE, drawing.SIDE)
        # QImage keeps a pointer to the buffer it is given: copy, so a later array cannot change it.
        self._image = QImage(self.pixels.tobytes(), drawing.SIDE, drawing.SIDE, drawing.SIDE,
                             QImage.Format.Format_Grayscale8).copy()
        self.update()

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.drawImage(QRectF(1, 1, self.width() - 2, self.height() - 2), self._image)
        painter.setPen(QPen(QColor(theme.MUTED), 1))
        painter.drawRect(0, 0, self.width() - 1, self.height() - 1)
        painter.end()


class DrawPad(QWidget):
    """A canvas to draw a digit on, the 28 × 28 input it becomes, and the current network's A1 and softmax for it."""

    drawingChanged = pyqtSignal(object)   # the (784,) column the network sees, values in [0, 1]
    shownInNetwork = pyqtSignal(bool)     # sendDrawing: the main diagram shows the drawing (or the example again)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        described(self, "drawPad", "Draw a digit",
                  "Draw a digit with the mouse: the current network reads it as you draw")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._point_size = float(theme.BASE_POINT_SIZE)
        self._params: Mapping[str, np.ndarray] | None = None
        self._activation = "relu"
        self._class_names: tuple[str, ...] = ()
        self._hidden = -1
        self._stale = False           # the network changed while the pad was hidden
        self.column = np.zeros(network.INPUTS, dtype=np.float32)
        self.probabilities: np.ndarray | None = None     # a2 of the drawing, None when nothing is drawn
        self.prediction: int | None = None
        self._signed_brushes = [pg.mkBrush(*colour) for colour in theme.SIGNED_LUT]

        self.canvas = DrawingCanvas(self)
        self.preview = DigitPreview(self)
        self.preview_caption = QLabel("The network sees\n28 × 28", self)
        self.preview_caption.setObjectName("drawingPreviewCaption")
        self.prediction_label = QLabel(self)
        described(self.prediction_label, "drawingPrediction", "The network's answer",
                  "What the network reads: the class with the largest softmax probability, "
                  "and that probability")
        self.prediction_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.prediction_label.setTextFormat(Qt.TextFormat.RichText)
        self.prediction_label.setWordWrap(True)
        self.clear_button = QPushButton("Clear", self)
        described(self.clear_button, "clearDrawing", "Clear the drawing",
                  f"Clear the drawing (Delete or Backspace on the pad, {CLEAR_SHORTCUT})")
        self.clear_button.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.clear_button.clicked.connect(self.clear)
        self.clear_action = QAction("Clear the drawing", self)
        self.clear_action.setObjectName("clearDrawingAction")
        self.clear_action.setShortcut(QKeySequence(CLEAR_SHORTCUT))
        self.clear_action.setToolTip(f"Clear the drawing on the Draw a digit pad ({CLEAR_SHORTCUT})")
        self.clear_action.triggered.connect(self.clear)
        self.addAction(self.clear_action)
        self.send_button = QPushButton("Show in the network", self)
        described(self.send_button, "sendDrawing", "Show the drawing in the network",
                  "The main diagram shows the drawing going through the network, as it does an example "
                  "(press again for the example)")
        self.send_button.setCheckable(True)
        self.send_button.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.send_button.toggled.connect(self.shownInNetwork)

        self.graphics = pg.GraphicsLayoutWidget(self)
        self.graphics.setBackground(theme.PAPER)
        self.graphics.setAccessibleName("Softmax and hidden activations of the drawing")
        self.graphics.setToolTip("A2: the probability of each class for the drawing; A1: one bar per hidden unit")
        self.graphics.ci.setContentsMargins(0, 0, 6, 0)
        self.graphics.ci.setSpacing(2)
        self.a2_plot = fixed_plot(self.graphics, 0, 0)
        self.a1_plot = fixed_plot(self.graphics, 1, 0, "hidden unit")
        self.a2_plot.getViewBox().invertY(True)
        self.a2_plot.setYRange(-0.6, network.OUTPUTS - 0.4, padding=0)
        self.a2_plot.setXRange(0, 1, padding=0.02)
        self.a2_plot.getAxis("bottom").setTicks([[(0, "0"), (0.5, "0.5"), (1, "1")], []])
        self.a2_bars = pg.BarGraphItem(x0=0, y=np.arange(network.OUTPUTS), width=np.zeros(network.OUTPUTS),
                                       height=0.75, pen=pg.mkPen(None))
        self.a2_plot.addItem(self.a2_bars)
        self.probability_text = pg.TextItem(color=theme.INK, anchor=(0, 0.5))
        self.a2_plot.addItem(self.probability_text)
        self.a1_bars = pg.BarGraphItem(x=[], height=[], width=0.8, pen=pg.mkPen(theme.MUTED, width=1))
        self.a1_plot.addItem(self.a1_bars)
        # The zero line matters when A1 is signed (tanh, leaky ReLU); otherwise the axis is at zero.
        self.zero_line = pg.InfiniteLine(pos=0, angle=0, pen=pg.mkPen(theme.MUTED, width=1))
        self.zero_line.setVisible(False)
        self.a1_plot.addItem(self.zero_line)
        self.a1_plot.getAxis("bottom").setStyle(maxTickLevel=0)     # whole units only, no minor ticks
        self.a1_plot.setYRange(0, 1, padding=0)
        self.a1_plot.setXRange(-0.6, 9.4, padding=0)    # until a network says how many hidden units there are
        self.a1_plot.getAxis("left").setTicks([[(0, "0"), (1, "1")], []])
        layout_of = self.graphics.ci.layout
        layout_of.setRowStretchFactor(0, 2)
        layout_of.setRowStretchFactor(1, 1)

        self.info = QWidget(self)
        info = QVBoxLayout(self.info)
        info.setContentsMargins(0, 0, 0, 0)
        info.setSpacing(6)
        info.addWidget(self.preview_caption, 0, Qt.AlignmentFlag.AlignHCenter)
        info.addWidget(self.preview, 0, Qt.AlignmentFlag.AlignHCenter)
        info.addWidget(self.prediction_label)
        info.addStretch(1)
        info.addWidget(self.send_button)
        info.addWidget(self.clear_button)
        # The canvas with what the network sees beside it; the bars to their right (wide panel) or below (tall).
        self.top = QHBoxLayout()
        self.top.addWidget(self.canvas, 1)
        self.top.addWidget(self.info, 0)
        self.main = QBoxLayout(QBoxLayout.Direction.LeftToRight, self)
        self.main.setContentsMargins(6, 6, 6, 6)
        self.main.addLayout(self.top, 1)
        self.main.addWidget(self.graphics, 1)

        # Strokes arrive with every mouse move; the network reads the drawing at most once per display frame.
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(REFRESH_MS)
        self._refresh_timer.timeout.connect(self._refresh)
        self.canvas.stroked.connect(self._schedule_refresh)
        self.canvas.finished.connect(self._refresh)

        theme.fill_with_paper(self)
        self._apply_style()
        self._show_answer()

    # ------------------------------------------------------------ layout
    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._arrange()

    def _arrange(self) -> None:
        """Bars beside the canvas when that leaves the canvas larger than putting them below, else below;
        A1 is left out when keeping it would leave the canvas too small to draw on."""
        width, height = self.width(), self.height()
        info = self.info.sizeHint()
        info_width = info.width() + self.top.spacing()
        plots_width = PLOTS_WIDTH * (1 + 0.5 * (self._point_size / theme.BASE_POINT_SIZE - 1))
        line = QFontMetrics(theme.font(self._point_size)).height()
        for hidden_shown in (True, False):
            plots_height = (A2_LINES + (A1_LINES if hidden_shown else 0)) * line
            beside = min(height, width - info_width - plots_width) if height >= plots_height else 0
            below_height = height - plots_height - self.main.spacing()
            below = min(width - info_width, below_height) if below_height >= info.height() else 0
            if max(beside, below) >= SMALLEST_CANVAS:
                break
        if hidden_shown != self.a1_plot.isVisible():
            self.a1_plot.setVisible(hidden_shown)
            self.a1_plot.setMinimumHeight(A1_LINES * line if hidden_shown else 0)
            self.a1_plot.setMaximumHeight(1e6 if hidden_shown else 0)
        wide = beside > below
        # When nothing fits (presenter type in a small panel) the plots give way, not the preview and the answer.
        room = height if wide else height - info.height() - self.main.spacing()
        room = int(max(0, min(plots_height, room)))
        self.graphics.setMinimumHeight(room)
        self.a2_plot.setMinimumHeight(min(A2_LINES * line, room))
        direction = QBoxLayout.Direction.LeftToRight if wide else QBoxLayout.Direction.TopToBottom
        if direction != self.main.direction():
            self.main.setDirection(direction)
        # The canvas's row takes the length its square needs, the bars the rest.
        canvas_share = max(beside, 1) + info_width if wide else max(below, info.height(), 1)
        rest = (width if wide else height) - canvas_share
        self.main.setStretch(0, max(int(canvas_share), 1))
        self.main.setStretch(1, max(int(rest), 1))
        # The layout placed the children for this size before resizeEvent: place them again now, not a frame later.
        self.main.activate()

    # ------------------------------------------------------------ the drawing
    def clear(self) -> None:
        """Wipe the canvas: the preview goes black and the bars empty."""
        self._refresh_timer.stop()
        self.canvas.clear()
        self._refresh()

    def draw_stroke(self, points: Iterable[tuple[float, float]]) -> None:
        """Add one stroke through points in canvas pixels (0–280 on both axes)."""
        self.canvas.draw_stroke(points)

    @property
    def refresh_pending(self) -> bool:
        """Strokes drawn since the network last read the drawing: it reads them at the next display frame."""
        return self._refresh_timer.isActive()

    def _schedule_refresh(self) -> None:
        if not self._refresh_timer.isActive():
            self._refresh_timer.start()

    def _refresh(self) -> None:
        self._refresh_timer.stop()
        self.column = drawing.mnist_preprocess(self.canvas.ink())
        self.preview.set_column(self.column)
        self._show_answer()
        self.drawingChanged.emit(self.column.copy())

    def _show_answer(self) -> None:
        """Push the drawing through the current network and show A1 and the softmax."""
        self._stale = False
        if not self.column.any() or self._params is None:
            self.probabilities = self.prediction = None
            self.a2_bars.setOpts(width=np.zeros(network.OUTPUTS))
            self.a1_bars.setOpts(x=[], height=[])
            self.probability_text.setText("")
            waiting = "waiting for the network" if self._params is None else "draw a digit"
            self.prediction_label.setText(f"<span style='color:{theme.MUTED}'>{waiting}</span>")
            return
        z1, a1, z2, a2 = drawing.predict(self._params, self.column, self._activation)
        self.probabilities = a2.astype(np.float64)
        self.prediction = int(np.argmax(a2))
        self._show_hidden(a1)
        self._show_probabilities(self.probabilities, self.prediction)

    def _show_hidden(self, a1: np.ndarray) -> None:
        hidden = a1.size
        units = np.arange(hidden)
        if np.min(a1, initial=0.0) < 0:     # tanh, leaky ReLU: A1 is signed
            limit = nice_limit(float(np.max(np.abs(a1))))
            low, brushes = -limit, lut_brushes(a1, -limit, limit, self._signed_brushes)
        else:
            limit = nice_limit(float(np.max(a1, initial=0.0)))
            low, brushes = 0.0, lut_brushes(a1, 0.0, limit, SEQUENTIAL_BRUSHES)
        self.a1_bars.setOpts(x=units, height=a1, brushes=brushes)
        self.a1_plot.setYRange(low, limit, padding=0.05 if low < 0 else 0)
        self.zero_line.setVisible(low < 0)
        self.a1_plot.getAxis("left").setTicks([[(value, f"{value:g}") for value in sorted({low, 0.0, limit})], []])
        if hidden != self._hidden:
            self._hidden = hidden
            self.a1_plot.setXRange(-0.6, hidden - 0.4, padding=0)

    def _show_probabilities(self, a2: np.ndarray, prediction: int) -> None:
        fill = QColor(theme.SKY)
        fill.setAlpha(150)
        brushes = [pg.mkBrush(fill)] * a2.size
        brushes[prediction] = pg.mkBrush(theme.BLUE)
        self.a2_bars.setOpts(width=a2, brushes=brushes)
        value = float(a2[prediction])
        self.probability_text.setText(f"{value:.2f}")
        # Inside the bar's end when it is long, after it when short, so the number never leaves the plot.
        self.probability_text.setAnchor((1.05, 0.5) if value > 0.75 else (-0.05, 0.5))
        self.probability_text.setColor("white" if value > 0.75 else theme.INK)
        self.probability_text.setPos(value, prediction)
        name = self._class_names[prediction] if prediction < len(self._class_names) else str(prediction)
        size = self._point_size
        self.prediction_label.setText(
            f"<div style='color:{theme.BLUE}; font-size:{size * (2.2 if len(name) <= 2 else 1.3):g}pt; "
            f"font-weight:bold'>{name}</div>"
            f"<div style='color:{theme.INK}; font-size:{size:g}pt'>{value:.0%} sure</div>")

    # ------------------------------------------------------------ the network
    def show_snapshot(self, snapshot: Snapshot) -> None:
        if snapshot.class_names != self._class_names:
            self._class_names = tuple(snapshot.class_names)
            self.a2_plot.getAxis("left").setTicks([list(enumerate(self._class_names))])
            fit_class_axis(self.a2_plot, self._class_names, self._point_size)
            self._stale = True
        params = snapshot.params
        changed = (self._params is None or snapshot.config.activation != self._activation
                   or any(params[name] is not self._params[name] for name in network.PARAMETERS))
        self._params = params
        self._activation = snapshot.config.activation
        # While training plays the parameters change every frame: a hidden pad waits until it is shown.
        if changed or self._stale:
            if self.isVisible():
                self._show_answer()
            else:
                self._stale = True

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._stale:
            self._show_answer()

    # ------------------------------------------------------------ keys
    def event(self, event) -> bool:
        # Delete and Backspace clear the pad while it has focus, even if the window binds them to something else.
        if (event.type() == QEvent.Type.ShortcutOverride and event.key() in CLEAR_KEYS
                and event.modifiers() == Qt.KeyboardModifier.NoModifier):
            event.accept()
            return True
        return super().event(event)

    def keyPressEvent(self, event) -> None:
        if event.key() in CLEAR_KEYS and event.modifiers() == Qt.KeyboardModifier.NoModifier:
            self.clear()
            event.accept()
            return
        super().keyPressEvent(event)

    # ------------------------------------------------------------ theme and presenter mode
    def set_theme(self) -> None:
        """Recolour after a theme switch (visualizer.appearance calls this). The canvas stays black paper with
        white ink in every theme: that is how MNIST's digits look, and what the preview shows."""
        self._signed_brushes = [pg.mkBrush(*colour) for colour in theme.SIGNED_LUT]
        self.graphics.setBackground(theme.PAPER)
        self._apply_style()
        self._show_answer()
        self.canvas.update()
        self.preview.update()

    def set_presenter_mode(self, on: bool) -> None:
        self._point_size = theme.point_size(on)
        self._apply_style()
        self._show_answer()
        self._arrange()

    def _apply_style(self) -> None:
        size = self._point_size
        line = QFontMetrics(theme.font(size)).height()
        # Room for the answer's three lines from the start, so the layout does not jump at the first stroke.
        self.prediction_label.setMinimumHeight(int(line * 3.6))
        self.a2_plot.setMinimumHeight(A2_LINES * line)
        self.a1_plot.setMinimumHeight(A1_LINES * line if self.a1_plot.isVisible() else 0)
        style_plot(self.a2_plot, size, "A2 = softmax(Z2)")
        style_plot(self.a1_plot, size, "A1 = g(Z1)")
        fit_class_axis(self.a2_plot, self._class_names, self._point_size)
        self.a1_bars.setOpts(pen=pg.mkPen(theme.MUTED, width=1 if size <= theme.BASE_POINT_SIZE else 2))
        self.probability_text.setFont(theme.font(size))
        self.preview_caption.setFont(theme.font(size * (0.9 if size <= theme.BASE_POINT_SIZE else 0.75)))
        self.preview_caption.setStyleSheet(f"color: {theme.INK};")
        self.preview_caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.clear_button.setFont(theme.font(size))
        self.canvas.set_point_size(size)
        side = drawing.SIDE * (4 if size > theme.BASE_POINT_SIZE else 3) + 2
        self.preview.setFixedSize(side, side)
