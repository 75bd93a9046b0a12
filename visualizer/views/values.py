"""The numbers of one example inside the network: Z1, A1, the softmax output, and the output error dZ2."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import QSize, Qt
from PyQt6.QtGui import QColor, QFontMetrics
from PyQt6.QtWidgets import QGraphicsItem, QVBoxLayout, QWidget

from core import network
from visualizer import phases, theme
from visualizer.snapshot import Snapshot
from visualizer.views.confirm_bar import described
from visualizer.views.curves import nice_limit, style_plot

HEAT_COLUMNS = 64         # examples of the batch shown in the A1 heat map
COMPACT_HEIGHT = 440      # below this height (at the base type size) the heat map is left out
HEAT_HEIGHT = 120         # the heat map's plot with its title and axis: its ten rows get 60 px and more
BAR_GAP = 0.25            # of the three bars per class in A2 − Y = dZ2, each 1/4 of a row high

# One brush per LUT entry, made once: bars are coloured by looking up, not by building brushes per frame.
# The signed ones are rebuilt in place at a theme switch (set_signed_brushes), so importers keep a live list.
SIGNED_BRUSHES: list = []
SEQUENTIAL_BRUSHES = [pg.mkBrush(*colour) for colour in theme.SEQUENTIAL_LUT]     # viridis in every theme
SIGN_BRUSHES: list = []       # [negative, positive]


def set_signed_brushes() -> None:
    """Rebuild SIGNED_BRUSHES and SIGN_BRUSHES from the current theme, in place."""
    SIGNED_BRUSHES[:] = [pg.mkBrush(*colour) for colour in theme.SIGNED_LUT]
    SIGN_BRUSHES[:] = [pg.mkBrush(theme.NEGATIVE), pg.mkBrush(theme.POSITIVE)]


set_signed_brushes()


def comparison_title() -> str:
    """The title is the legend: each name in the colour of its bars (the current theme's)."""
    return (f"<span style='color:{theme.MUTED}'>A2</span> − <span style='color:{theme.CORRECT}'>Y</span>"
            f" = <span style='color:{theme.NEGATIVE}'>d</span><span style='color:{theme.POSITIVE}'>Z2</span>")


def fixed_plot(graphics: pg.GraphicsLayoutWidget, row: int, col: int, bottom: str = "",
               colspan: int = 1) -> pg.PlotItem:
    """A plot in graphics that the mouse cannot pan, zoom or open a menu on: the view sets its ranges."""
    plot = graphics.addPlot(row=row, col=col, colspan=colspan, enableMenu=False)
    if bottom:
        plot.setLabel("bottom", bottom)
    plot.setMouseEnabled(x=False, y=False)
    plot.hideButtons()
    plot.getViewBox().disableAutoRange()
    for name in ("left", "bottom"):
        # Repainted whenever the bars or images under them change; from a pixmap unless the axis itself changed
        # (its Python paint holds the interpreter the training thread needs while playing).
        plot.getAxis(name).setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
    return plot


def fit_class_axis(plot: pg.PlotItem, names: tuple[str, ...], point_size: float) -> None:
    """Make the left axis as wide as the longest class name: pyqtgraph drops tick labels that do not fit
    ("Ankle boot")."""
    metrics = QFontMetrics(theme.font(point_size * 0.9))
    longest = max((metrics.horizontalAdvance(name) for name in names), default=0)
    plot.getAxis("left").setWidth(longest + int(point_size))


def lut_brushes(values: np.ndarray, low: float, high: float, brushes: list) -> list:
    positions = np.clip((values - low) / (high - low if high > low else 1.0), 0.0, 1.0)
    return [brushes[int(p)] for p in np.round(positions * 255)]


def one_hot_column(label: int) -> np.ndarray:
    column = np.zeros(network.OUTPUTS)
    column[label] = 1.0
    return column


class ValuesView(QWidget):
    """Bar charts of Z1, A1, A2 for the selected example, A1 of the batch as a heat map, and A2 − Y = dZ2."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        described(self, "valuesView", "Values of the example",
                  "The selected example's numbers in every layer of the network")
        self._point_size = float(theme.BASE_POINT_SIZE)
        self._class_names: tuple[str, ...] = ()
        self._hidden = -1
        self._limits: dict[int, tuple[float, float]] = {}     # per plot (id): the y limits it shows
        self._heat_shape: tuple[int, int] | None = None
        self._snapshot: Snapshot | None = None     # the last one shown, shown again in a new theme
        self._numbers_hidden = False

        self.graphics = pg.GraphicsLayoutWidget(self)
        self.graphics.setBackground(theme.PAPER)
        self.graphics.setAccessibleName("Bar charts and heat map of the example's values")
        self.graphics.setToolTip("Z1 and A1: one bar per hidden unit; A2: one bar per class")
        self.graphics.ci.setContentsMargins(0, 0, 6, 0)
        self.graphics.ci.setSpacing(2)

        # Titles name every plot; axis labels only where the title does not say what the axis is.
        self.z1_plot = self._plot(0, 0, "hidden unit")
        self.a1_plot = self._plot(0, 1, "hidden unit")
        self.a2_plot = self._plot(1, 0)
        self.dz2_plot = self._plot(1, 1)
        self.heat_plot = self._plot(2, 0, "example", colspan=2)
        self.heat_plot.setLabel("left", "unit")
        self.dz2_plot.setYLink(self.a2_plot)
        for plot in (self.a2_plot, self.dz2_plot):
            plot.getViewBox().invertY(True)
            plot.setYRange(-0.6, network.OUTPUTS - 0.4, padding=0)
        self.a2_plot.setXRange(0, 1, padding=0.02)
        self.dz2_plot.setXRange(-1, 1, padding=0.04)
        self.heat_plot.getViewBox().invertY(True)

        # A thin outline keeps bars near zero visible: the signed map is white there.
        outline = pg.mkPen(theme.MUTED, width=1)
        self.z1_bars = pg.BarGraphItem(x=[], height=[], width=0.8, pen=outline)
        self.a1_bars = pg.BarGraphItem(x=[], height=[], width=0.8, pen=outline)
        self.a2_bars = pg.BarGraphItem(x0=0, y=np.arange(network.OUTPUTS), width=np.zeros(network.OUTPUTS),
                                       height=0.75)
        self.z1_plot.addItem(self.z1_bars)
        self.a1_plot.addItem(self.a1_bars)
        self.a2_plot.addItem(self.a2_bars)
        for plot in (self.z1_plot, self.dz2_plot):
            plot.addItem(pg.InfiniteLine(pos=0, angle=90 if plot is self.dz2_plot else 0,
                                         pen=pg.mkPen(theme.MUTED, width=1)))
        self.probability_text = pg.TextItem(color=theme.INK, anchor=(0, 0.5))
        self.a2_plot.addItem(self.probability_text)

        rows = np.arange(network.OUTPUTS, dtype=float)
        self.comparison_bars = {
            "A2": pg.BarGraphItem(x0=0, y=rows - BAR_GAP, height=BAR_GAP * 0.9, width=np.zeros(10),
                                  brush=theme.MUTED, pen=None),
            "Y": pg.BarGraphItem(x0=0, y=rows, height=BAR_GAP * 0.9, width=np.zeros(10),
                                 brush=theme.CORRECT, pen=None),
            "dZ2": pg.BarGraphItem(x0=0, y=rows + BAR_GAP, height=BAR_GAP * 0.9, width=np.zeros(10), pen=None),
        }
        for bars in self.comparison_bars.values():
            self.dz2_plot.addItem(bars)
        self.comparison_placeholder = pg.TextItem("shown from\ndZ2 to db1", color=theme.MUTED, anchor=(0.5, 0.5))
        self.comparison_placeholder.setPos(0, 4.5)
        self.dz2_plot.addItem(self.comparison_placeholder)
        self.comparison_shown = False
        self.comparison_values: dict[str, np.ndarray] = {}

        self.heat_image = pg.ImageItem(axisOrder="row-major")
        self.heat_image.setLookupTable(theme.SEQUENTIAL_LUT)
        self.heat_plot.addItem(self.heat_image)
        self.heat_placeholder = pg.TextItem("shown from phase A1 on", color=theme.MUTED, anchor=(0.5, 0.5))
        self.heat_plot.addItem(self.heat_placeholder)
        self.heat_placeholder.setPos(HEAT_COLUMNS / 2, 5)
        self.heat_plot.setRange(xRange=(0, HEAT_COLUMNS), yRange=(0, 10), padding=0)
        self.heat_title = "A1[:, :64]"
        layout_of = self.graphics.ci.layout
        # Small preferred heights, so the rows share the panel by their stretch (the probabilities the most)
        # instead of each asking for a default-sized plot.
        for plots, height, stretch in (((self.z1_plot, self.a1_plot), 70, 3), ((self.a2_plot, self.dz2_plot), 120, 5),
                                       ((self.heat_plot,), HEAT_HEIGHT, 3)):
            for plot in plots:
                plot.setMinimumHeight(height)
                plot.setPreferredHeight(height)
        layout_of.setRowStretchFactor(0, 3)
        layout_of.setRowStretchFactor(1, 5)
        layout_of.setRowStretchFactor(2, 3)
        self._compact: bool | None = None

        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 4, 2, 4)       # the plots need the width more than a margin does
        layout.addWidget(self.graphics, 1)
        theme.fill_with_paper(self)
        self._set_comparison_shown(False)
        self._apply_style()

    def _plot(self, row: int, col: int, bottom: str = "", colspan: int = 1) -> pg.PlotItem:
        return fixed_plot(self.graphics, row, col, bottom, colspan)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit_rows()

    def minimumSizeHint(self) -> QSize:
        """As wide as the plots' titles and axes need (a narrower panel cut the right-hand plots off: the
        graphics view does not report its scene's minimum by itself)."""
        hint = super().minimumSizeHint()
        plots = self.graphics.ci.effectiveSizeHint(Qt.SizeHint.MinimumSize).width()
        margins = self.layout().contentsMargins()
        frame = 2 * self.graphics.frameWidth()
        return QSize(max(hint.width(), int(plots) + margins.left() + margins.right() + frame + 2), hint.height())

    def _fit_rows(self) -> None:
        """When the panel is too short for five readable plots, leave out the batch heat map and the Z1 and A1
        plots' axis captions (their titles say what the bars are), which take the bars' height."""
        compact = self.height() < COMPACT_HEIGHT * self._point_size / theme.BASE_POINT_SIZE
        if compact == self._compact:
            return
        self._compact = compact
        self.heat_plot.setVisible(not compact)
        self.heat_plot.setMinimumHeight(0 if compact else HEAT_HEIGHT)
        self.heat_plot.setMaximumHeight(0 if compact else 1e6)
        for plot in (self.z1_plot, self.a1_plot):
            plot.getAxis("bottom").showLabel(not compact)

    # ------------------------------------------------------------ rendering
    def show_snapshot(self, snapshot: Snapshot) -> None:
        self._snapshot = snapshot
        example = snapshot.example
        if snapshot.class_names != self._class_names:
            self._class_names = snapshot.class_names
            for plot in (self.a2_plot, self.dz2_plot):     # each row of A2 − Y named too, not only A2's
                plot.getAxis("left").setTicks([list(enumerate(snapshot.class_names))])
            self._fit_class_axis()
        # Before the first phase of a run nothing is computed: the bars wait for the forward pass (at zero).
        computed = snapshot.phase is not None
        z1, a1, a2 = (np.nan_to_num(values) if computed else np.zeros_like(values)
                      for values in (example.z1, example.a1, example.a2))
        self._show_hidden(z1, a1)
        self._show_probabilities(a2, example.label, example.prediction if computed else -1)
        if "A1" in snapshot.arrays:
            self._show_heat(snapshot.arrays["A1"])
        elif snapshot.iteration == 0 and snapshot.phases_done == 0:
            # A fresh start (or a reset): an A1 from before would belong to another network.
            self.heat_image.clear()
            self.heat_placeholder.setVisible(True)
        # From dZ2 to db1 the error A2 − Y is what the backward pass carries back: it stays on screen.
        arrays = snapshot.arrays
        if snapshot.phase is not None and phases.direction(snapshot.phase) == "backward" and "dZ2" in arrays:
            column = example.column
            if column is not None and example.subset == "train":
                A2, Y = arrays["A2"][:, column], arrays["Y"][:, column]
                dZ2 = arrays["dZ2"][:, column]
            else:   # the example is not in this batch: the same subtraction for it alone
                A2, Y = example.a2, one_hot_column(example.label)
                dZ2 = A2 - Y
            self._show_comparison(np.nan_to_num(A2), np.nan_to_num(Y), np.nan_to_num(dZ2), example.index)
        else:
            self._set_comparison_shown(False)

    def _show_hidden(self, z1: np.ndarray, a1: np.ndarray) -> None:
        hidden = z1.size
        units = np.arange(hidden)
        z_limit = nice_limit(float(np.max(np.abs(z1))) if hidden else 1.0)
        self.z1_bars.setOpts(x=units, height=z1, brushes=lut_brushes(z1, -z_limit, z_limit, SIGNED_BRUSHES))
        self._set_limits(self.z1_plot, -z_limit, z_limit)
        if np.min(a1, initial=0.0) < 0:     # tanh, leaky ReLU: A1 is signed too
            a_limit = nice_limit(float(np.max(np.abs(a1))))
            self.a1_bars.setOpts(x=units, height=a1, brushes=lut_brushes(a1, -a_limit, a_limit, SIGNED_BRUSHES))
            self._set_limits(self.a1_plot, -a_limit, a_limit)
        else:
            a_limit = nice_limit(float(np.max(a1, initial=0.0)))
            self.a1_bars.setOpts(x=units, height=a1, brushes=lut_brushes(a1, 0, a_limit, SEQUENTIAL_BRUSHES))
            self._set_limits(self.a1_plot, 0, a_limit)
        if hidden != self._hidden:
            self._hidden = hidden
            for plot in (self.z1_plot, self.a1_plot):
                plot.setXRange(-0.6, hidden - 0.4, padding=0)

    def _fit_class_axis(self) -> None:
        for plot in (self.a2_plot, self.dz2_plot):
            fit_class_axis(plot, self._class_names, self._point_size)

    def _set_limits(self, plot: pg.PlotItem, low: float, high: float) -> None:
        """The y range and its ticks, set only when they change (new ticks make pyqtgraph lay out and paint the
        axis again)."""
        if self._limits.get(id(plot)) != (low, high):
            self._limits[id(plot)] = (low, high)
            plot.setYRange(low, high, padding=0.05)
            self._limit_ticks(plot, low, high)

    @staticmethod
    def _limit_ticks(plot: pg.PlotItem, low: float, high: float) -> None:
        """Ticks at the ends and at zero only: short plots stay legible."""
        values = sorted({low, 0.0, high})
        plot.getAxis("left").setTicks([[(value, f"{value:g}") for value in values], []])

    def set_numbers_hidden(self, hidden: bool) -> None:
        """hideNumbers: the probability written beside the prediction's bar goes (the bars stay)."""
        self._numbers_hidden = hidden
        self.probability_text.setVisible(not hidden)

    def _show_probabilities(self, a2: np.ndarray, label: int, prediction: int) -> None:
        """prediction -1: none yet (the label's outline only)."""
        fill = QColor(theme.SKY)
        fill.setAlpha(150)
        brushes = [pg.mkBrush(fill)] * a2.size
        if prediction >= 0:
            brushes[prediction] = pg.mkBrush(theme.CORRECT if prediction == label else theme.WRONG)
        pens = [pg.mkPen(None)] * a2.size
        pens[label] = pg.mkPen(theme.CORRECT, width=3 if self._point_size <= theme.BASE_POINT_SIZE else 5)
        self.a2_bars.setOpts(width=a2, brushes=brushes, pens=pens)
        if prediction < 0:
            self.probability_text.setText("")
            return
        value = float(a2[prediction])
        self.probability_text.setText(f"{value:.2f}")
        # Inside the bar's end when it is long, after it when short, so the number never leaves the plot.
        self.probability_text.setAnchor((1.05, 0.5) if value > 0.75 else (-0.05, 0.5))
        self.probability_text.setColor("white" if value > 0.75 else theme.INK)
        self.probability_text.setPos(value, prediction)

    def _show_heat(self, A1: np.ndarray) -> None:
        shown = np.nan_to_num(A1[:, :HEAT_COLUMNS])
        if shown.min(initial=0.0) < 0:
            self.heat_image.setLookupTable(theme.SIGNED_LUT)
            levels = theme.symmetric_levels(shown)
        else:
            self.heat_image.setLookupTable(theme.SEQUENTIAL_LUT)
            levels = (0.0, max(float(shown.max(initial=0.0)), 1e-12))
        self.heat_image.setImage(shown, autoLevels=False, levels=levels)
        self.heat_placeholder.setVisible(False)
        if shown.shape != self._heat_shape:
            self._heat_shape = shown.shape
            self.heat_plot.setRange(xRange=(0, shown.shape[1]), yRange=(0, shown.shape[0]), padding=0)
            # The first and the last unit only: a short heat map has no room for more numbers.
            units = shown.shape[0]
            self.heat_plot.getAxis("left").setTicks([[(0.5, "0"), (units - 0.5, str(units - 1))], []])
        title = f"A1[:, :{HEAT_COLUMNS}] of {tuple(A1.shape)}"
        if title != self.heat_title:        # a new title relays out the plots: only when it changes
            self.heat_title = title
            self.heat_plot.setTitle(title, size=f"{self._point_size:g}pt", color=theme.INK)

    def _show_comparison(self, A2: np.ndarray, Y: np.ndarray, dZ2: np.ndarray, index: int) -> None:
        self.comparison_values = {"A2": A2, "Y": Y, "dZ2": dZ2}
        self.comparison_bars["A2"].setOpts(width=A2)
        self.comparison_bars["Y"].setOpts(width=Y)
        # Full colour by sign: a small error must still be visible, so not the (pale near 0) signed map.
        self.comparison_bars["dZ2"].setOpts(width=dZ2, brushes=[SIGN_BRUSHES[int(value > 0)] for value in dZ2])
        self._set_comparison_shown(True)

    def _set_comparison_shown(self, shown: bool) -> None:
        self.comparison_shown = shown
        if not shown:
            self.comparison_values = {}
        for bars in self.comparison_bars.values():
            bars.setVisible(shown)
        self.comparison_placeholder.setVisible(not shown)

    # ------------------------------------------------------------ themes and presenter mode
    def set_theme(self) -> None:
        """Recolour what appearance.restyle cannot know: the signed bars and map, the comparison's fills and title."""
        set_signed_brushes()
        self.comparison_bars["A2"].setOpts(brush=theme.MUTED)
        self.comparison_bars["Y"].setOpts(brush=theme.CORRECT)
        self._apply_style()
        if self._snapshot is not None:
            self.show_snapshot(self._snapshot)

    def set_presenter_mode(self, on: bool) -> None:
        self._point_size = theme.point_size(on)
        self._apply_style()

    def _title_plots(self) -> None:
        size = self._point_size
        for plot, title in ((self.z1_plot, "Z1 = W1 · x + b1"), (self.a1_plot, "A1 = g(Z1)"),
                            (self.a2_plot, "A2 = softmax(Z2)"), (self.dz2_plot, comparison_title()),
                            (self.heat_plot, self.heat_title)):
            plot.setTitle(title, size=f"{size:g}pt", color=theme.INK)

    def _apply_style(self) -> None:
        size = self._point_size
        for plot in (self.z1_plot, self.a1_plot, self.a2_plot, self.dz2_plot, self.heat_plot):
            style_plot(plot, size)
        self._title_plots()
        self._fit_class_axis()
        outline = pg.mkPen(theme.MUTED, width=1 if size <= theme.BASE_POINT_SIZE else 2)
        self.z1_bars.setOpts(pen=outline)
        self.a1_bars.setOpts(pen=outline)
        self._compact = None
        self._fit_rows()
        for item in (self.probability_text, self.comparison_placeholder, self.heat_placeholder):
            item.setFont(theme.font(size))
