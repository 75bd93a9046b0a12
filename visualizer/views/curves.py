"""Loss and accuracy per iteration, with a marker at the iteration on screen.

While playing, this view is redrawn with every frame, and every millisecond the UI thread spends in Python (or in
Qt called from Python) is a millisecond the training thread waits for the interpreter. So the curves and markers
are plain Qt items (a path and a line), the plots sit in a plain QGraphicsView (PlotCanvas) that Qt paints by
itself, and the view sets the plots' ranges itself (no auto-range).
"""
from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import QLineF, QRect, QRectF, Qt, pyqtSignal
from PyQt6.QtGui import QColor, QFontMetrics, QPainter, QPainterPath, QPen
from PyQt6.QtWidgets import (QFrame, QGraphicsItem, QGraphicsLineItem, QGraphicsPathItem, QGraphicsView, QLabel,
                             QSizePolicy, QSpacerItem, QVBoxLayout, QWidget)

from visualizer import theme
from visualizer.frames import EVERYTHING, Frame
from visualizer.snapshot import Snapshot

from .confirm_bar import described


def style_plot(plot: pg.PlotItem, point_size: float, title: str | None = None) -> None:
    """Readable axes for a projector: ink-coloured ticks and labels in the theme's font at point_size."""
    tick_font = theme.font(point_size * 0.9)
    for name in ("left", "bottom", "right", "top"):
        axis = plot.getAxis(name)
        axis.setTickFont(tick_font)
        axis.setPen(pg.mkPen(theme.MUTED))
        axis.setTextPen(pg.mkPen(theme.INK))
        if axis.labelText:
            axis.setLabel(axis.labelText, **{"font-size": f"{point_size:g}pt", "color": theme.INK})
    if title is not None:
        plot.setTitle(title, size=f"{point_size * 1.1:g}pt", color=theme.INK)


# While playing, the iteration axis grows, when outgrown, to a round number at least this much beyond the last
# iteration, so it changes seldom: four times per power of ten (each change makes pyqtgraph compute and paint the
# ticks and grid of the axes again, from Python, which at the start of a run came several times a second).
SLACK = 0.1


def nice_limit(value: float) -> float:
    """The smallest of 1, 2, 2.5, 5 × 10^k at or above value (1 for anything not above 0): axis ranges that do not
    jitter every frame (the curves' iteration axis, the values panel's and the draw pad's bars)."""
    if not math.isfinite(value) or value <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(value))
    return next(step * power for step in (1.0, 2.0, 2.5, 5.0, 10.0) if step * power >= value * (1 - 1e-9))


def legend_title(entries: list[tuple[str, bool, str]], heading: str = "") -> str:
    """A plot's legend written as its title, outside the data: each name after a stroke in the colour of its
    curve, dashed or not (entries: colour, dashed, name)."""
    parts = [f"<span style='color:{colour}'>{'╍╍' if dashed else '━━'}</span> {name}"
             for colour, dashed, name in entries]
    return f"<span style='color:{theme.INK}'>{heading}{'&nbsp;&nbsp;&nbsp;'.join(parts)}</span>"


ACCURACY_RANGE = (0.0, 100.0)
ACCURACY_PADDING = 0.04


def finite_points(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The points whose y is a number: pyqtgraph must never see a NaN."""
    keep = np.isfinite(y)
    return x[keep], y[keep]


class Axis(pg.AxisItem):
    """pyqtgraph's axis, with its bounds kept between layout changes: Qt asks for them (in Python, so holding the
    interpreter) about three times per axis whenever the curves above move, and they change only when the axis or
    its plot is resized or moved, its range or style changes."""

    def __init__(self, orientation: str, **options) -> None:
        super().__init__(orientation, **options)
        self._bounds: QRectF | None = None
        self.geometryChanged.connect(self._forget_bounds)

    def _forget_bounds(self) -> None:
        self._bounds = None

    def boundingRect(self) -> QRectF:
        if self._bounds is None:
            self._bounds = super().boundingRect()
        return QRectF(self._bounds)

    def prepareGeometryChange(self) -> None:     # what pyqtgraph calls before changing the grid, font or style
        self._bounds = None
        super().prepareGeometryChange()

    def linkedViewChanged(self, view=None, newRange=None) -> None:   # the plot's range or size changed
        self._bounds = None
        self.prepareGeometryChange()
        super().linkedViewChanged(view, newRange)

    def setStyle(self, **options) -> None:
        self._bounds = None
        self.prepareGeometryChange()
        super().setStyle(**options)


class PlotCanvas(QGraphicsView):
    """pyqtgraph plots (a GraphicsLayout, `ci`) in a Qt graphics view. pyqtgraph's GraphicsLayoutWidget paints
    from a Python paintEvent, which holds the interpreter for the whole paint; this one Qt paints alone. pyqtgraph
    applies a ViewBox's new range when its scene is about to paint, so here a range change applies it at once."""

    # What pyqtgraph's items outside a ViewBox (axes, labels, the legend) listen to on the view they are in.
    sigDeviceRangeChanged = pyqtSignal(object, object)
    sigDeviceTransformChanged = pyqtSignal(object)
    sigScaleChanged = pyqtSignal(object)
    sigMouseReleased = pyqtSignal(object)
    sigSceneMouseMoved = pyqtSignal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setScene(pg.GraphicsScene(parent=self))
        self.ci = pg.GraphicsLayout()
        # Containers that paint nothing: so flagged, Qt does not ask them (in Python) for their bounds at each paint.
        self.ci.setFlag(QGraphicsItem.GraphicsItemFlag.ItemHasNoContents)
        self.scene().addItem(self.ci)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.MinimalViewportUpdate)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.NoAnchor)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMouseTracking(True)

    def addPlot(self, **options) -> pg.PlotItem:
        options.setdefault("axisItems", {"left": Axis("left"), "bottom": Axis("bottom")})
        plot = self.ci.addPlot(**options)
        plot.setFlag(QGraphicsItem.GraphicsItemFlag.ItemHasNoContents)
        box = plot.getViewBox()
        box.sigRangeChanged.connect(box.prepareForPaint)
        box.sigResized.connect(box.prepareForPaint)
        return plot

    def setBackground(self, color: str) -> None:
        self.setBackgroundBrush(QColor(color))

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        rect = QRectF(0, 0, self.viewport().width(), self.viewport().height())
        self.setSceneRect(rect)
        self.ci.setGeometry(rect)
        self.sigDeviceRangeChanged.emit(self, rect)
        self.sigDeviceTransformChanged.emit(self)


def _path(x: np.ndarray, y: np.ndarray) -> QPainterPath:
    return pg.arrayToQPath(x, y, connect="all", finiteCheck=False) if x.size else QPainterPath()


class Curve(QGraphicsPathItem):
    """One curve as Qt path items in data coordinates (Qt paints them without calling back into Python).

    While a run plays the curve only grows at its end, and redrawing thousands of points at every frame (and again
    wherever the marker moves across them) was half of what the window spent per frame. So the curve is a body,
    painted once into a pixmap it is then copied from, and a short tail child with the newest points; the body
    takes the tail in every TAIL_POINTS points, or at once when the points it has change (a step back, a new run,
    coarser downsampling). It answers what pyqtgraph's legend and the tests ask of a curve: opts["pen"],
    getData() and setPen()."""

    TAIL_POINTS = 64

    def __init__(self) -> None:
        super().__init__()
        self.opts = {"pen": QPen(), "antialias": True}
        self._x = self._y = np.zeros(0)
        self._body = 0                  # points drawn by the body: the first _body of _x, _y
        self.tail = QGraphicsPathItem(self)
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)

    def setData(self, x: np.ndarray, y: np.ndarray, growing: bool = False) -> None:
        """x and y finite, of the same length. growing: the curve is likely to be the last one with a few more
        points (playing); otherwise it is drawn the way a fresh curve would draw it."""
        body, old_x, old_y = self._body, self._x, self._y
        self._x, self._y = x, y
        kept = (growing and 0 < body <= x.size and x.size - body <= self.TAIL_POINTS
                and np.array_equal(x[:body], old_x[:body]) and np.array_equal(y[:body], old_y[:body]))
        if not kept:
            # All but the last point, which may be one the next, longer curve no longer has (see _downsample).
            body = self._body = max(x.size - 1, 0)
            self.setPath(_path(x[:body], y[:body]))
        start = max(body - 1, 0)        # the tail starts where the body ends
        self.tail.setPath(_path(x[start:], y[start:]))

    def getData(self) -> tuple[np.ndarray, np.ndarray]:
        return self._x, self._y

    def setPen(self, pen: QPen) -> None:
        pen = QPen(pen)
        pen.setCosmetic(True)       # its width in pixels, whatever the axes' scales
        self.opts["pen"] = pen
        super().setPen(pen)
        self.tail.setPen(pen)


class Marker(QGraphicsLineItem):
    """A vertical line at an iteration, across the plot's whole height."""

    def __init__(self) -> None:
        super().__init__()
        self._value = 0.0
        self._span = (0.0, 1.0)

    def value(self) -> float:
        return self._value

    def setValue(self, value: float) -> None:
        self._value = float(value)
        self._place()

    def set_span(self, low: float, high: float) -> None:
        """The y range the line covers (a bit more than the plot's, so panning a little never shows its end)."""
        margin = high - low if high > low else 1.0
        self._span = (low - margin, high + margin)
        self._place()

    def _place(self) -> None:
        line = QLineF(self._value, self._span[0], self._value, self._span[1])
        if line != self.line():
            self.setLine(line)


class CurvesView(QWidget):
    """Loss (top) and train / dev accuracy (bottom) against the iteration; a line marks the current one."""

    TAKES_FRAME = True          # show_snapshot takes the frame policy's Frame (visualizer/frames.py)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        described(self, "curvesView", "Loss and accuracy curves",
                  "Cross-entropy loss and accuracy after each iteration; the dashed line is the dev set, "
                  "the vertical line the iteration on screen")
        self._point_size = float(theme.BASE_POINT_SIZE)
        self._line_width = theme.line_width(False)

        self.readout = QLabel(self)
        self.readout.setObjectName("curvesReadout")
        self.readout.setAccessibleName("Loss and accuracy at the marked iteration")
        self.readout.setToolTip("The values of the last completed iteration")
        self.readout.setStyleSheet(f"color: {theme.INK};")
        self.readout.setWordWrap(True)

        self.graphics = PlotCanvas(self)
        self.graphics.setBackground(theme.PAPER)
        self.graphics.setAccessibleName("Loss and accuracy plots")
        self.graphics.setToolTip("Drag to pan, Ctrl+wheel to zoom; the next step shows the whole run again")
        self.graphics.ci.setContentsMargins(4, 4, 12, 4)
        self.loss_plot = self.graphics.addPlot(row=0, col=0, enableMenu=False)
        self.accuracy_plot = self.graphics.addPlot(row=1, col=0, enableMenu=False)
        self.accuracy_plot.setXLink(self.loss_plot)
        self.loss_plot.setLabel("left", "loss")
        self.accuracy_plot.setLabel("left", "accuracy (%)")
        self.accuracy_plot.setLabel("bottom", "iteration")
        self.accuracy_plot.getAxis("left").setTicks([[(value, str(value)) for value in (0, 25, 50, 75, 100)]])
        # The plots share the x axis; its numbers are written once, under the accuracy.
        self.loss_plot.getAxis("bottom").setStyle(showValues=False)
        for plot in (self.loss_plot, self.accuracy_plot):
            plot.disableAutoRange()     # the ranges are set in show_snapshot
            for name in ("left", "bottom"):
                # The axes (and the grid they draw) are redrawn whenever a curve moves under them; from a pixmap
                # that costs a blit instead of replaying every tick and label.
                plot.getAxis(name).setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
            plot.showGrid(x=True, y=True, alpha=0.15)
            # Its paint (Python) draws only a border, and there is none: Qt need not call it at every frame.
            plot.getViewBox().setFlag(QGraphicsItem.GraphicsItemFlag.ItemHasNoContents)
            plot.hideButtons()
        self.loss_plot.setXRange(0, 1, padding=0.03)
        self.loss_plot.setYRange(0, 1)
        self.accuracy_plot.setYRange(*ACCURACY_RANGE, padding=ACCURACY_PADDING)

        self.loss_curve, self.train_curve, self.dev_curve = Curve(), Curve(), Curve()
        self.loss_plot.addItem(self.loss_curve, ignoreBounds=True)
        self.accuracy_plot.addItem(self.train_curve, ignoreBounds=True)
        self.accuracy_plot.addItem(self.dev_curve, ignoreBounds=True)
        # The accuracy plot's title is its legend (legend_title): a box over the data hid the rise at the start.
        self.legend_text = ""
        self.markers = [Marker(), Marker()]
        for plot, marker in zip((self.loss_plot, self.accuracy_plot), self.markers):
            plot.addItem(marker, ignoreBounds=True)
            plot.getViewBox().sigYRangeChanged.connect(lambda _, y_range, marker=marker: marker.set_span(*y_range))
            marker.set_span(*plot.viewRange()[1])

        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        layout.setSpacing(4)
        # The readout sits over room the layout keeps for it, outside the layout: see _fit_readout.
        self._readout_room = QSpacerItem(0, 0, QSizePolicy.Policy.Minimum, QSizePolicy.Policy.Fixed)
        layout.addItem(self._readout_room)
        layout.addWidget(self.graphics, 1)
        self._readout_width = -1
        self._dev_shown: bool | None = None
        self._playing = False
        self._apply_style()
        self.readout.setText("No iteration completed yet")
        theme.fill_with_paper(self)

    # ------------------------------------------------------------ rendering
    def show_snapshot(self, snapshot: Snapshot, frame: Frame = EVERYTHING) -> None:
        """Show snapshot; while playing, the readout's numbers follow only the frames that say it is due
        ("numbers": numbers faster than that cannot be read; the status bar and the timeline follow the same)."""
        curves = snapshot.curves
        x = curves.iterations.astype(float)
        loss_x, loss = finite_points(x, curves.loss)
        growing = snapshot.playing
        self.loss_curve.setData(loss_x, loss, growing)
        self.train_curve.setData(*finite_points(x, 100 * curves.train_accuracy), growing)
        self.dev_curve.setData(*finite_points(x, 100 * curves.dev_accuracy), growing)
        self._show_dev(snapshot.dev_size > 0)
        for marker in self.markers:
            marker.setValue(snapshot.iteration)
        # Keep the marker in view even before the first point exists.
        right = max(float(snapshot.iteration), float(x[-1]) if x.size else 0.0, 1.0)
        if snapshot.playing:
            self._follow_while_playing(right, loss)
        else:
            self._playing = False
            # The whole run again, whatever the mouse zoomed into (the tooltip says so).
            self.loss_plot.setXRange(0, right, padding=0.03)
            self.accuracy_plot.setYRange(*ACCURACY_RANGE, padding=ACCURACY_PADDING)
            if loss.size:
                low, high = float(loss.min()), float(loss.max())
                self.loss_plot.setYRange(low, high) if high > low else \
                    self.loss_plot.setYRange(low - 0.5, high + 0.5, padding=0)
        if frame.shows("numbers"):
            self.readout.setText(self._readout_text(snapshot))

    def _follow_while_playing(self, right: float, loss: np.ndarray) -> None:
        """Ranges that change only when the curves outgrow them: each change makes pyqtgraph compute and draw
        the ticks and grid again, which at every frame would cost more than the curves themselves."""
        (_, shown_right), (bottom, top) = self.loss_plot.viewRange()
        starting = not self._playing
        self._playing = True
        if starting or right > shown_right:
            self.loss_plot.setXRange(0, nice_limit(right * (1 + SLACK)), padding=0)
        if loss.size:
            # The loss is never negative: from 0 to above the highest loss seen, a range that almost never has to
            # change while the loss falls (fitted to the curve again when playing stops).
            low, high = min(float(loss.min()), 0.0), float(loss.max())
            span = max(high - low, 1e-3)
            if starting or low < bottom or high > top:
                self.loss_plot.setYRange(low, high + 0.1 * span, padding=0)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit_readout()

    def _fit_readout(self) -> None:
        """The readout's size fixed to the panel's width and the height its longest text needs there: its number
        changes at every frame while playing, and a label whose size may change has the whole window laid out
        again at each setText (see confirm_bar.steady_text). It is placed by hand over room the layout keeps, so
        that its fixed width never holds the panel wider than the dock."""
        margins = self.layout().contentsMargins()
        width = max(50, self.width() - margins.left() - margins.right())
        if width == self._readout_width and self.readout.font() == getattr(self, "_readout_font", None):
            return
        self._readout_width, self._readout_font = width, self.readout.font()
        longest = "Iteration 00,000 · loss 00.000 · train 100.0 % · dev 100.0 %".replace(" ", "\u00a0")
        longest = longest.replace("\u00a0·\u00a0", " · ")
        metrics = QFontMetrics(self.readout.font())
        height = metrics.boundingRect(QRect(0, 0, width, 10_000), Qt.TextFlag.TextWordWrap, longest).height()
        self.readout.setFixedSize(width, height)
        self.readout.move(margins.left(), margins.top())
        if self._readout_room.sizeHint().height() != height:
            self._readout_room.changeSize(0, height, QSizePolicy.Policy.Minimum, QSizePolicy.Policy.Fixed)
            self.layout().invalidate()

    def _readout_text(self, snapshot: Snapshot) -> str:
        if snapshot.loss is None:
            return f"Iteration {snapshot.iteration} · no iteration completed yet"
        parts = [f"Iteration {snapshot.iteration}", f"loss {snapshot.loss:.3f}"]
        if snapshot.train_accuracy is not None:
            parts.append(f"train {100 * snapshot.train_accuracy:.1f} %")
        if snapshot.dev_accuracy is not None:
            parts.append(f"dev {100 * snapshot.dev_accuracy:.1f} %")
        # Lines break only between the values, never inside one.
        return " · ".join(part.replace(" ", "\u00a0") for part in parts)

    def _show_dev(self, shown: bool) -> None:
        if shown == self._dev_shown:
            return
        self._dev_shown = shown
        self.dev_curve.setVisible(shown)
        self.legend_text = legend_title([(theme.BLUE, False, "train"), *([(theme.ORANGE, True, "dev")] if shown
                                                                          else [])])
        self.accuracy_plot.setTitle(self.legend_text, size=f"{self._point_size * 0.9:g}pt")

    # ------------------------------------------------------------ presenter mode and theme
    def set_presenter_mode(self, on: bool) -> None:
        self._point_size = theme.point_size(on)
        self._line_width = theme.line_width(on)
        self._apply_style()

    def set_theme(self) -> None:
        """Recolour the curves and markers in the current theme (visualizer.appearance calls this on a switch)."""
        self.graphics.setBackground(theme.PAPER)
        self._apply_style()

    def _apply_style(self) -> None:
        size, width = self._point_size, self._line_width
        self.readout.setFont(theme.font(size, bold=True))
        self._readout_width = -1
        self._fit_readout()
        style_plot(self.loss_plot, size)
        style_plot(self.accuracy_plot, size)
        for axis in (self.loss_plot.getAxis("left"), self.accuracy_plot.getAxis("left")):
            axis.setWidth(int(size * 5))   # the same width, so the two plots' x axes line up
        self.loss_curve.setPen(pg.mkPen(theme.VERMILLION, width=width))
        self.train_curve.setPen(pg.mkPen(theme.BLUE, width=width))
        self.dev_curve.setPen(pg.mkPen(theme.ORANGE, width=width, style=Qt.PenStyle.DashLine))
        for marker in self.markers:
            marker.setPen(pg.mkPen(QColor(theme.INK), width=max(1.0, width / 2), style=Qt.PenStyle.DotLine))
        self._dev_shown = None     # the legend again, in the new size and colours
        self._show_dev(self.dev_curve.isVisible())
