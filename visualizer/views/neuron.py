"""One hidden unit up close: what it looks for (its row of W1 as a 28×28 image), what it computes for the
example (Z1, A1), how it is being corrected (its row of dW1), and "what if" it were switched off, its
weights scaled or its bias shifted.

A what-if changes a copy of the parameters in this panel (core.whatif) and pushes the example through the copy
here; the accuracy on the dev set (or on training examples), and which unit matters most, are measured in a
background job (whatif_jobs.py), on the split of the snapshot shown. Nothing goes back to the worker, so training
never sees an edit.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import QPointF, Qt, pyqtSignal
from PyQt6.QtGui import QColor
from PyQt6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QSpinBox, QVBoxLayout, QWidget

from core import network, whatif
from core.data import Split
from core.whatif import Edit

from visualizer import theme
from visualizer.formatting import html as _html
from visualizer.formatting import minus as _number_text
from visualizer.formatting import percent as _percent
from visualizer.formatting import significant as _number
from visualizer.jobs import Job
from visualizer.snapshot import Snapshot

from .confirm_bar import described, scrolling
from .curves import style_plot
from .whatif_controls import WhatIfControls
from .whatif_jobs import MeasuredSet, Request, measured_set, measurements_job, same

SIDE = 28
LONG_NAME = 2                       # class names longer than this are numbered on the axis (Fashion-MNIST)


class NeuronPanel(QWidget, theme.PresenterFonts):
    """The selected hidden unit: its incoming weights, its values for the example, and what-if edits."""

    failed = pyqtSignal(str)        # a one-line message for the window's banner (a measurement that broke)
    editsChanged = pyqtSignal(object, object)   # the units switched off, the units otherwise changed (frozensets)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        described(self, "neuronPanel", "Hidden unit",
                  "One hidden unit: the pixels it looks for, what it computes for the example, and what "
                  "happens to the predictions if it is switched off or changed")
        self.split: Split | None = None      # the run's, from the snapshot shown: what the accuracy is measured on
        self.edits: dict[int, Edit] = {}     # unit → its what-if; empty: the network as trained
        self.unit = 0
        self.snapshot: Snapshot | None = None
        self._run_key: tuple | None = None
        self._first_W1: np.ndarray | None = None     # W1 at iteration 0 of the run shown: a new run has another
        self._latest = 0
        # The measurements run in a job of the panel's, which ends when it has answered: the last answer
        # (token, value), and the requests not answered yet, by kind.
        self.measurements: Job | None = None
        self._accuracy: tuple[tuple, tuple[float, float]] | None = None
        self._waiting: dict[str, Request] = {}
        self._measuring: tuple[Split | None, MeasuredSet | None] | None = None
        self._title_shown: tuple[str, float] | None = None

        # ---- which unit
        self.unit_label = QLabel("Hidden unit", self)
        self.unit_box = QSpinBox(self)
        described(self.unit_box, "neuronUnit", "Hidden unit number",
                  "Which hidden unit to look at (or click one in the network diagram)")
        self.unit_box.setRange(0, 0)
        self.unit_box.setKeyboardTracking(False)
        self.unit_box.valueChanged.connect(self._unit_chosen)
        self.unit_label.setBuddy(self.unit_box)
        self.headline = QLabel(self)
        described(self.headline, "neuronHeadline", "Z1 and A1 of the unit for the example",
                  "Z1 = W1[j] · x + b1[j] is the unit's weighted sum for the example; "
                  "A1 = g(Z1) is what it passes on")
        self.headline.setTextFormat(Qt.TextFormat.RichText)
        self.headline.setWordWrap(True)

        # ---- its weights and its gradient, side by side, each with a colour bar
        self.graphics = pg.GraphicsLayoutWidget(self)
        self.graphics.setObjectName("neuronImages")
        self.graphics.setBackground(theme.PAPER)
        self.graphics.setAccessibleName("Incoming weights and their gradient as 28×28 images")
        self.graphics.setToolTip("Left: W1[j], the weight of every pixel for this unit (orange: ink there "
                                 "raises Z1, blue: lowers it). Right: dW1[j], how the last backward pass "
                                 "wants those weights to change (the update moves them against it)")
        self.graphics.ci.setContentsMargins(2, 2, 2, 2)
        self.graphics.ci.setSpacing(6)
        self.graphics.setMinimumHeight(190)
        self.graphics.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.weights_title = self.graphics.addLabel("", row=0, col=0)
        self.gradient_title = self.graphics.addLabel("", row=0, col=1)
        self.weights_caption = self.graphics.addLabel("", row=1, col=0)
        self.gradient_caption = self.graphics.addLabel("", row=1, col=1)
        self.weights_box = self._image_box(row=2, col=0)
        self.gradient_box = self._image_box(row=2, col=1)
        self.weights_image = self._image(self.weights_box)
        self.gradient_image = self._image(self.gradient_box)
        self.gradient_note = pg.TextItem("", color=theme.MUTED, anchor=(0.5, 0.5))
        self.gradient_note.setPos(SIDE / 2, SIDE / 2)
        self.gradient_box.addItem(self.gradient_note)
        self.weights_bar = self._bar(row=3, col=0)
        self.gradient_bar = self._bar(row=3, col=1)
        for column in (0, 1):
            self.graphics.ci.layout.setColumnStretchFactor(column, 1)
        for row, stretch in enumerate((0, 0, 1, 0)):     # spare height goes to the images, not between the titles
            self.graphics.ci.layout.setRowStretchFactor(row, stretch)
        self.graphics.ci.layout.setRowSpacing(0, 0)
        self.weights_box.sigTransformChanged.connect(self._fit_bars)
        # Over the weights, in the what-if: which change the unit has (the image keeps the weights as trained).
        self.edit_badge = pg.TextItem("", color=theme.VERMILLION, anchor=(0.5, 1.0),
                                      fill=self._badge_fill(), border=pg.mkPen(theme.VERMILLION))
        self.edit_badge.setPos(SIDE / 2, SIDE - 0.5)
        self.edit_badge.setZValue(10)
        self.edit_badge.setVisible(False)
        self.weights_box.addItem(self.edit_badge)

        # ---- what if
        self.controls = WhatIfControls(self)
        self.controls.changed.connect(self._controls_changed)
        self.controls.undo_button.clicked.connect(self.undo)
        self.controls.most_button.clicked.connect(self.switch_off_most_important)
        # the controls by name, as the tests and screen readers find them
        self.whatif_box = self.controls
        for name in ("off_button", "undo_button", "most_button", "scale_slider", "scale_box", "bias_slider",
                     "bias_box"):
            setattr(self, name, getattr(self.controls, name))

        # ---- what happens
        self.edit_summary = QLabel(self)
        described(self.edit_summary, "whatIfSummary", "Which units are edited",
                  "The what-if edits in force; Undo what-if removes them all")
        self.edit_summary.setTextFormat(Qt.TextFormat.RichText)
        self.edit_summary.setWordWrap(True)
        self.prediction_label = QLabel(self)
        described(self.prediction_label, "whatIfPrediction", "Prediction for the example, before and after",
                  "The class predicted for the example and its probability, as trained "
                  "→ with the what-if")
        self.prediction_label.setTextFormat(Qt.TextFormat.RichText)
        self.prediction_label.setWordWrap(True)
        self.accuracy_label = QLabel(self)
        described(self.accuracy_label, "whatIfAccuracy", "Accuracy before and after",
                  "The share of the dev set predicted right, as trained → with the what-if")
        self.accuracy_label.setTextFormat(Qt.TextFormat.RichText)
        self.accuracy_label.setWordWrap(True)
        self.notice = QLabel(self)
        described(self.notice, "whatIfNotice", "What-if notice",
                  "Why the what-if was undone")
        self.notice.setWordWrap(True)
        self.notice.setStyleSheet(f"color: {theme.VERMILLION};")
        self.notice.hide()

        self.softmax_graphics = pg.GraphicsLayoutWidget(self)
        self.softmax_graphics.setObjectName("whatIfSoftmax")
        self.softmax_graphics.setBackground(theme.PAPER)
        self.softmax_graphics.setAccessibleName("Softmax of the example, before and after")
        self.softmax_graphics.setToolTip("The ten probabilities of the example: grey as trained, blue with the "
                                         "what-if")
        self.softmax_graphics.ci.setContentsMargins(2, 2, 8, 2)
        self.softmax_graphics.setMinimumHeight(130)
        self.softmax_plot = self.softmax_graphics.addPlot(row=0, col=0, enableMenu=False)
        self.softmax_plot.hideButtons()
        self.softmax_plot.setMouseEnabled(x=False, y=False)
        self.softmax_plot.setYRange(0, 1, padding=0.02)
        self.softmax_plot.setXRange(-0.6, 9.6, padding=0)
        self.softmax_plot.getAxis("left").setTicks([[(0, "0"), (0.5, "0.5"), (1, "1")]])
        self.softmax_plot.setLabel("left", "softmax")
        self._softmax_title()
        self.before_bars = pg.BarGraphItem(x=np.arange(10) - 0.2, height=np.zeros(10), width=0.4,
                                           brush=pg.mkBrush(theme.MUTED), pen=pg.mkPen(None))
        self.after_bars = pg.BarGraphItem(x=np.arange(10) + 0.2, height=np.zeros(10), width=0.4,
                                          brush=pg.mkBrush(theme.BLUE), pen=pg.mkPen(None))
        self.softmax_plot.addItem(self.before_bars)
        self.softmax_plot.addItem(self.after_bars)
        self._class_names: tuple[str, ...] = ()

        content = QWidget(self)
        content.setObjectName("neuronContent")
        layout = QVBoxLayout(content)
        layout.setContentsMargins(10, 6, 10, 6)
        layout.setSpacing(4)
        header = QHBoxLayout()
        header.addWidget(self.unit_label)
        header.addWidget(self.unit_box)
        header.addStretch(1)
        layout.addLayout(header)
        layout.addWidget(self.headline)
        layout.addWidget(self.graphics, 3)
        layout.addWidget(self.whatif_box)
        layout.addWidget(self.notice)
        layout.addWidget(self.edit_summary)
        layout.addWidget(self.prediction_label)
        layout.addWidget(self.accuracy_label)
        layout.addWidget(self.softmax_graphics, 2)
        # In a short dock or with presenter-size type the parts keep their size and the panel scrolls.
        self.scroll = described(scrolling(self, content), "neuronScroll", "Hidden unit panel",
                                "Scroll for the rest of the panel")
        for widget in (self, content):
            theme.fill_with_paper(widget)
        self._apply_fonts()
        self._show_waiting()

    # ------------------------------------------------------------ construction helpers
    @staticmethod
    def _badge_fill():
        """The plot's paper, nearly opaque: the badge reads over the weights, which still show at its edges."""
        paper = QColor(theme.PAPER)
        paper.setAlpha(225)
        return pg.mkBrush(paper)

    def _image_box(self, row: int, col: int) -> pg.ViewBox:
        box = self.graphics.addViewBox(row=row, col=col, lockAspect=True, enableMouse=False, invertY=True,
                                       enableMenu=False)
        box.setRange(xRange=(0, SIDE), yRange=(0, SIDE), padding=0.02)
        return box

    def _image(self, box: pg.ViewBox) -> pg.ImageItem:
        image = pg.ImageItem(axisOrder="row-major")
        image.setLookupTable(theme.SIGNED_LUT)
        image.setBorder(pg.mkPen(theme.MUTED, width=1))
        image.setImage(np.zeros((SIDE, SIDE)), autoLevels=False, levels=(-1, 1))
        box.addItem(image)
        return image

    def _bar(self, row: int, col: int) -> pg.ColorBarItem:
        """A horizontal colour bar used as the image's legend (it does not drive the image's levels)."""
        bar = pg.ColorBarItem(values=(-1, 1), colorMap=theme.signed_colormap(), interactive=False,
                              orientation="horizontal", width=12)
        self.graphics.addItem(bar, row=row, col=col)
        return bar

    # ------------------------------------------------------------ public
    def select(self, unit: int) -> None:
        """Show hidden unit `unit` (the diagram's neuronClicked)."""
        self.unit_box.setValue(int(unit))
        if self.unit_box.value() != unit:       # outside the range known so far: remembered for the next snapshot
            self.unit = int(unit)

    def undo(self) -> None:
        """Back to the network as trained, at once."""
        self.edits.clear()
        self.notice.hide()
        self._show_controls()
        self._refresh()

    def edit(self, unit: int, change: Edit) -> None:
        """Put a what-if on `unit` (Edit() removes it) and select that unit."""
        if change.changes_nothing:
            self.edits.pop(unit, None)
        else:
            self.edits[unit] = change
        self.notice.hide()
        self.select(unit)
        self._show_controls()
        self._refresh()

    def switch_off_most_important(self) -> None:
        """Select and switch off the unit whose loss alone costs the most accuracy on the measured set (once the
        measurement, in the background, has found it)."""
        snapshot, measured = self.snapshot, self._measured_set()
        if snapshot is None or measured is None:
            return
        token = (*self._arrays(snapshot.params), measured.X)
        self._ask(Request("knockout", token, snapshot.params, None, measured, snapshot.config.activation))

    def shutdown(self) -> None:
        """End the measurements' job and wait for it (the window calls this when it closes)."""
        if self.measurements is not None:
            self.measurements.shutdown()

    def closeEvent(self, event) -> None:
        self.shutdown()
        super().closeEvent(event)

    def show_snapshot(self, snapshot: Snapshot) -> None:
        hidden = int(snapshot.params["W1"].shape[0])
        reason = self._reason_to_drop(snapshot, hidden)
        self.snapshot, self.split = snapshot, snapshot.split
        if reason and self.edits:
            self.edits.clear()
            self.notice.setText(f"What-if undone: {reason}.")
            self.notice.show()
        if self.unit_box.maximum() != hidden - 1:
            self.unit_box.blockSignals(True)
            self.unit_box.setRange(0, hidden - 1)
            self.unit_box.blockSignals(False)
        self.unit = int(np.clip(self.unit, 0, hidden - 1))
        if self.unit_box.value() != self.unit:
            self.unit_box.blockSignals(True)
            self.unit_box.setValue(self.unit)
            self.unit_box.blockSignals(False)
        if snapshot.class_names != self._class_names:
            self._set_classes(snapshot.class_names)
        self._show_controls()
        self._refresh()

    # ------------------------------------------------------------ keeping or dropping the edits
    def _reason_to_drop(self, snapshot: Snapshot, hidden: int) -> str | None:
        """Why the edits no longer fit the network shown, or None: another width, dataset, setup or run."""
        config = snapshot.config
        key = (hidden, snapshot.dataset_name, snapshot.train_size, snapshot.dev_size, snapshot.class_names,
               config.with_changes(alpha=1.0))
        previous, self._run_key = self._run_key, key
        latest, self._latest = self._latest, snapshot.latest
        first = self._first_W1
        if snapshot.iteration == 0 and snapshot.earliest == 0:
            self._first_W1 = snapshot.params["W1"]
        if previous is None:
            return None
        if key[0] != previous[0]:
            return f"the hidden layer now has {hidden} unit{'s' if hidden != 1 else ''}"
        if key[1:5] != previous[1:5]:
            return f"new data ({snapshot.dataset_name})"
        if key[5] != previous[5]:
            return "the network was reset with another configuration"
        if snapshot.latest == 0 and latest > 0:
            return "the network was reset"
        if snapshot.iteration == 0 and first is not None and first is not snapshot.params["W1"] \
                and not np.array_equal(first, snapshot.params["W1"]):
            return "the network starts from other weights"
        return None

    # ------------------------------------------------------------ controls
    def _unit_chosen(self, unit: int) -> None:
        self.unit = unit
        self._show_controls()
        self._refresh()

    def _show_controls(self) -> None:
        """The controls show the selected unit's edit (none: as trained); the main diagram marks the units."""
        self.controls.show_edit(self.edits.get(self.unit, Edit()), bool(self.edits))
        marked = (frozenset(unit for unit, edit in self.edits.items() if edit.off), frozenset(self.edits))
        if marked != getattr(self, "_marked", None):
            self._marked = marked
            self.editsChanged.emit(*marked)

    def _controls_changed(self, change: Edit) -> None:
        if self.snapshot is not None:
            self.edit(self.unit, change)

    # ------------------------------------------------------------ measuring (in the background)
    @staticmethod
    def _arrays(params) -> tuple[np.ndarray, ...]:
        return tuple(params[name] for name in network.PARAMETERS)

    def _measured_set(self) -> MeasuredSet | None:
        """What the accuracy is measured on: the same objects for the same split (they are part of the tokens)."""
        if self._measuring is None or self._measuring[0] is not self.split:
            self._measuring = (self.split, measured_set(self.split))
        return self._measuring[1]

    def _ask(self, request: Request) -> None:
        """Post a request, unless the same one is waiting for its answer already."""
        waiting = self._waiting.get(request.kind)
        if waiting is not None and same(waiting.token, request.token):
            return
        self._waiting[request.kind] = request
        if self.measurements is not None and self.measurements.running:
            self.measurements.post(request)
        else:
            self._measure()

    def _measure(self) -> None:
        """A job for the requests waiting (one the last job may have ended without reading, too)."""
        if self.measurements is not None:
            self.measurements.deleteLater()
        self.measurements = measurements_job(self)
        self.measurements.progress.connect(self._measured)
        self.measurements.failed.connect(self.failed)
        self.measurements.finished.connect(self._measured_all)
        for request in self._waiting.values():
            self.measurements.post(request)
        self.measurements.start()

    def _measured_all(self) -> None:
        if self._waiting and self.measurements is not None and not self.measurements.cancelled:
            self._measure()

    def _measured(self, answer: tuple) -> None:
        kind, token, value = answer
        waiting = self._waiting.get(kind)
        if waiting is None or not same(token, waiting.token):
            return                  # the panel shows something else by now: a newer answer is on its way
        del self._waiting[kind]
        if kind == "accuracy":
            self._accuracy = (token, value)
            self._refresh()
        elif self.snapshot is not None and same(token[:-1], self._arrays(self.snapshot.params)):
            self.edits.clear()
            self.edit(int(np.argmin(value)), Edit(off=True))

    def _refresh(self) -> None:
        """Redraw what depends on the unit, the parameters, the example and the edits."""
        snapshot = self.snapshot
        if snapshot is None:
            return
        unit, params, example = self.unit, snapshot.params, snapshot.example
        self._show_images(snapshot)
        before = np.nan_to_num(example.a2)
        # Alone, the bars stand on their classes; beside the what-if's bars, each pair shares its class.
        self.before_bars.setOpts(height=before, x=np.arange(10) - (0.2 if self.edits else 0.0))
        self._softmax_title()
        about = f"Unit {unit} · {example.subset} example {example.index:,}, label {self._name(example.label)}: "
        if not self.edits:
            self.headline.setText(_html(about + f"Z1 = {_number(example.z1[unit])}, A1 = {_number(example.a1[unit])}"))
            self.edit_summary.setText(_html("No what-if: the network as trained. Switch the unit off or change "
                                            "it to see what it does for the predictions.", theme.MUTED))
            self.prediction_label.setText("Prediction " + self._guess(before, example.label))
            self.accuracy_label.hide()
            self.after_bars.setVisible(False)
            return
        edited = dict(self.edits)
        changed = whatif.apply_all(params, edited)
        x = example.pixels.astype(params["W1"].dtype)[:, None]
        with np.errstate(all="ignore"):
            Z1, A1, _, A2 = network.forward(changed, x, snapshot.config.activation)
        after = np.nan_to_num(A2[:, 0], nan=0.0)
        self.headline.setText(_html(about + f"Z1 = {_number(example.z1[unit])} → {_number(Z1[unit, 0])}, "
                                            f"A1 = {_number(example.a1[unit])} → {_number(A1[unit, 0])}"))
        listed = ", ".join(f"unit {edited_unit} {edit.describe()}" for edited_unit, edit in sorted(edited.items()))
        self.edit_summary.setText(_html("What-if: ", theme.INK, bold=True) + _html(_number_text(listed)) +
                                  _html(" (a copy; training is untouched)", theme.MUTED))
        truth = example.label
        self.prediction_label.setText(
            "Prediction " + self._guess(before, truth) + " → " + self._guess(after, truth) +
            _html(f"  · p({self._name(truth)}) {before[truth]:.0%} → {after[truth]:.0%}", theme.MUTED))
        self.after_bars.setOpts(height=after, x=np.arange(10) + 0.2)
        self.after_bars.setVisible(True)
        self.accuracy_label.show()
        measured = self._measured_set()
        if measured is None:
            self.accuracy_label.setText(_html("No data set to measure the accuracy on.", theme.MUTED))
            return
        what = measured.what[0].upper() + measured.what[1:]
        token = (*self._arrays(params), measured.X, tuple(sorted(edited.items())), snapshot.config.activation)
        if self._accuracy is None or not same(self._accuracy[0], token):
            self._ask(Request("accuracy", token, params, changed, measured, snapshot.config.activation))
            self.accuracy_label.setText(_html(what + ": ") + _html("measuring …", theme.MUTED))
            return
        accuracy_before, accuracy_after = self._accuracy[1]
        points = 100 * (accuracy_after - accuracy_before)
        colour = theme.WRONG if points < 0 else theme.CORRECT if points > 0 else theme.INK
        self.accuracy_label.setText(
            _html(what + ": ") +
            _html(f"{_percent(accuracy_before)} → {_percent(accuracy_after)} ", bold=True) +
            _html(_number_text(f"({points:+.1f} points)"), colour, bold=True))

    def _guess(self, probabilities: np.ndarray, truth: int) -> str:
        """The predicted class and its probability, green when right and vermillion when wrong."""
        predicted = int(probabilities.argmax())
        return _html(f"{self._name(predicted)} ({probabilities[predicted]:.0%})",
                     theme.CORRECT if predicted == truth else theme.WRONG, bold=True)

    def _softmax_title(self) -> None:
        """The plot's title is its legend: each word in the colour of its bars (set only when it changes)."""
        title = _html("■ as trained", theme.MUTED, bold=True)
        if self.edits:
            title += "  " + _html("■ with the what-if", theme.BLUE, bold=True)
        key = (title, self._point_size)
        if key != self._title_shown:
            self._title_shown = key
            self.softmax_plot.setTitle(title, size=f"{self._point_size * 0.9:g}pt")

    def _name(self, label: int) -> str:
        names = self._class_names
        return names[label] if label < len(names) else str(label)

    # ------------------------------------------------------------ images
    def _show_images(self, snapshot: Snapshot) -> None:
        unit = self.unit
        weights = np.nan_to_num(np.asarray(snapshot.params["W1"][unit], dtype=np.float64))
        levels = theme.symmetric_levels(weights)
        self.weights_image.setImage(weights.reshape(SIDE, SIDE), autoLevels=False, levels=levels)
        self.weights_bar.setLevels(levels)
        edit = self.edits.get(unit)
        self.edit_badge.setVisible(edit is not None)
        if edit is not None:
            self.edit_badge.setText("switched off" if edit.off else _number_text(edit.describe().replace(", ", "\n")))
        self.weights_title.setText(_html(f"W1[{unit}]", theme.INK, bold=True), size=f"{self._point_size:g}pt")
        gradient = snapshot.arrays.get("dW1")
        if gradient is None and snapshot.record is not None:
            gradient = snapshot.record.arrays.get("dW1")
        if gradient is None or gradient.shape[0] <= unit:
            self.gradient_image.setImage(np.zeros((SIDE, SIDE)), autoLevels=False, levels=(-1, 1))
            self.gradient_image.setVisible(False)
            self.gradient_bar.setVisible(False)
            self.gradient_note.setText("computed in\nphase dW1")
            self.gradient_note.setVisible(True)
        else:
            row = np.nan_to_num(np.asarray(gradient[unit], dtype=np.float64))
            levels = theme.symmetric_levels(row)
            self.gradient_image.setImage(row.reshape(SIDE, SIDE), autoLevels=False, levels=levels)
            self.gradient_image.setVisible(True)
            self.gradient_bar.setLevels(levels)
            self.gradient_bar.setVisible(True)
            self.gradient_note.setVisible(False)
        self.gradient_title.setText(_html(f"dW1[{unit}]", theme.INK, bold=True), size=f"{self._point_size:g}pt")

    def _fit_bars(self, *_) -> None:
        """Each colour bar as wide as the image above it (the image keeps its square in a wider cell)."""
        left, right = (self.weights_box.mapViewToScene(QPointF(x, 0)).x() for x in (0, SIDE))
        side = right - left
        if side > 20:
            for bar in (self.weights_bar, self.gradient_bar):
                bar.setMaximumWidth(side + 16)      # the bar's frame and end labels take a little more
                self.graphics.ci.layout.setAlignment(bar, Qt.AlignmentFlag.AlignHCenter)

    def _set_classes(self, names: tuple[str, ...]) -> None:
        self._class_names = tuple(names)
        numbered = any(len(name) > LONG_NAME for name in names)
        self.softmax_plot.getAxis("bottom").setTicks(
            [[(k, str(k) if numbered or k >= len(names) else names[k]) for k in range(10)]])
        self.softmax_plot.setLabel("bottom", "class (number)" if numbered else "class")
        self._apply_fonts()

    def _show_waiting(self) -> None:
        self.headline.setText(_html("Waiting for the network …", theme.MUTED))
        self.edit_summary.setText("")
        self.prediction_label.setText("")
        self.accuracy_label.hide()
        self.after_bars.setVisible(False)
        self.gradient_note.setText("computed in\nphase dW1")

    # ------------------------------------------------------------ themes and presenter mode
    def set_theme(self) -> None:
        """The signed images and colour bars take the new map; bars, badge and texts the new colours."""
        for image in (self.weights_image, self.gradient_image):
            image.setLookupTable(theme.SIGNED_LUT)
        for bar in (self.weights_bar, self.gradient_bar):
            bar.setColorMap(theme.signed_colormap())
        self.edit_badge.fill = self._badge_fill()
        self.edit_badge.update()
        self.notice.setStyleSheet(f"color: {theme.VERMILLION};")
        self.before_bars.setOpts(brush=pg.mkBrush(theme.MUTED))
        self.after_bars.setOpts(brush=pg.mkBrush(theme.BLUE))
        self._title_shown = None        # the title's colours are in its text
        self._apply_fonts()
        if self.snapshot is None:
            self._show_waiting()
        else:
            self._refresh()

    def set_presenter_mode(self, on: bool) -> None:
        super().set_presenter_mode(on)
        self._refresh()

    def _apply_fonts(self) -> None:
        size = self._point_size
        for widget in (self.unit_label, self.unit_box):
            widget.setFont(theme.font(size))
        self.controls.set_point_size(size)
        self.headline.setFont(theme.font(size * 1.05))
        for label in (self.edit_summary, self.prediction_label, self.accuracy_label, self.notice):
            label.setFont(theme.font(size))
        self.gradient_note.setFont(theme.font(size * 0.9))
        self.weights_caption.setText("what it looks for", size=f"{size * 0.9:g}pt", color=theme.INK)
        self.gradient_caption.setText("its gradient", size=f"{size * 0.9:g}pt", color=theme.INK)
        # Equal columns, so the two 28×28 images are the same size whatever their captions' lengths.
        widest = max(label.minimumWidth() for label in (self.weights_caption, self.gradient_caption))
        for column in (0, 1):
            self.graphics.ci.layout.setColumnMinimumWidth(column, widest)
            self.graphics.ci.layout.setColumnPreferredWidth(column, 4 * widest)
        self.edit_badge.setFont(theme.font(size * 0.85, bold=True))
        style_plot(self.softmax_plot, size * 0.9)
        self._softmax_title()
        for bar in (self.weights_bar, self.gradient_bar):
            bar.axis.setTickFont(theme.font(size * 0.8))
            bar.axis.setTextPen(pg.mkPen(theme.INK))
        self.unit_box.setMinimumWidth(int(size * 5))
        self.graphics.setMinimumHeight(int(size * 19))
        self.softmax_graphics.setMinimumHeight(int(size * 16))
