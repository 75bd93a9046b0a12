"""The bug lab: one classic mistake switched on, trained side by side with the correct code, and gradient-checked.

The training and the gradient check run in a background Job (visualizer/jobs.py), never in the UI thread, on
the split of the snapshot shown; the panel shows the two runs' curves overlaid (correct solid, buggy dashed), what happened to the buggy run, and the
relative error of each parameter's analytic gradient against central differences.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape
from typing import Callable

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtGui import QColor
from PyQt6.QtWidgets import (QAbstractButton, QAbstractItemView, QComboBox, QHBoxLayout, QHeaderView, QLabel,
                             QPushButton, QSpinBox, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from core import network
from core.buglab import BUGS, BugShapeError, Curves, Stopped, gradient_check, train_side_by_side
from core.config import TrainingConfig
from core.data import Split
from core.network import PARAMETERS

from visualizer import formatting, theme
from visualizer.jobs import Job
from visualizer.snapshot import Snapshot
from visualizer.views.confirm_bar import described, scrolling
from visualizer.views.curves import legend_title, style_plot

DEFAULT_ITERATIONS = 100
MAX_ITERATIONS = 1000
LAB_TRAIN_EXAMPLES = 5_000      # the lab trains on at most this many examples, so a run takes seconds, not minutes
LAB_DEV_EXAMPLES = 1_000
CHECK_EXAMPLES = 64             # columns of X the gradient check perturbs the loss of
THRESHOLD = 1e-4                # a relative error below this is agreement (float64 central differences give ~1e-9)
NO_BUG = "none"


@dataclass(frozen=True)
class LabResult:
    """What one press of "Run side by side" computed."""
    bug: str | None
    iterations: int
    train_size: int
    dataset_name: str
    correct: Curves
    buggy: Curves | None                          # None without a bug
    correct_check: dict[str, float]
    buggy_check: dict[str, float] | str | None    # a str is the BugShapeError that stopped the backward pass


def lab_split(split: Split) -> Split:
    """The split the lab trains on: the first LAB_TRAIN_EXAMPLES / LAB_DEV_EXAMPLES columns (views, no copies)."""
    return Split(split.name, split.X_train[:, :LAB_TRAIN_EXAMPLES], split.labels_train[:LAB_TRAIN_EXAMPLES],
                 split.X_dev[:, :LAB_DEV_EXAMPLES], split.labels_dev[:LAB_DEV_EXAMPLES], split.class_names,
                 split.dev_source)


def run_lab(split: Split, config: TrainingConfig, bug: str | None, iterations: int,
            should_stop: Callable[[], bool] = lambda: False) -> LabResult:
    """Train correct and buggy from the same weights and gradient-check both (slow: call it off the UI thread).

    Raises core.buglab.Stopped soon after should_stop() turns true."""
    small = lab_split(split)
    correct, buggy = train_side_by_side(small, config, bug, iterations, should_stop)
    params = network.init_params(config.hidden, config.init, np.random.default_rng(config.seed), "float64")
    X = small.X_train[:, :CHECK_EXAMPLES]
    labels = small.labels_train[:CHECK_EXAMPLES]
    correct_check = gradient_check(params, X, labels, config.activation, should_stop=should_stop)
    buggy_check: dict[str, float] | str | None = None
    if bug is not None:
        try:
            buggy_check = gradient_check(params, X, labels, config.activation, bug, should_stop=should_stop)
        except BugShapeError as error:
            buggy_check = str(error)
    return LabResult(bug, iterations, small.train_size, split.name, correct, buggy if bug else None,
                     correct_check, buggy_check)


def lab_job(split: Split, config: TrainingConfig, bug: str | None, iterations: int,
            parent: QWidget | None = None) -> Job:
    """One run of the lab in the background; `done` carries the LabResult, `failed` a one-line message.

    The lab looks at the cancel flag before every iteration and every gradient-check sample, so closing the
    window mid-run waits for one iteration, not the whole run.
    """
    def work(context) -> LabResult | None:
        try:
            with np.errstate(all="ignore"):
                return run_lab(split, config, bug, iterations, should_stop=lambda: context.cancelled)
        except Stopped:
            return None
    return Job(work, "the bug lab", parent)


class BugLabView(QWidget):
    """Choose a bug, train it side by side with the correct code, and see the gradient check's verdict."""

    failed = pyqtSignal(str)        # a one-line message for the window's banner

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        described(self, "bugLabView", "Bug lab",
                  "Switch on one classic mistake of the notebook and compare it with the correct code")
        self.split: Split | None = None          # the run's, from the snapshot shown
        self.config: TrainingConfig | None = None
        self.dataset_name = ""
        self.job: Job | None = None
        self.result: LabResult | None = None
        self._point_size = float(theme.BASE_POINT_SIZE)
        self._line_width = theme.line_width(False)

        self.choice = QComboBox()
        self.choice.setObjectName("bugChoice")
        self.choice.addItem("none — the correct code only", NO_BUG)
        for name, bug in BUGS.items():
            self.choice.addItem(bug.title, name)
            self.choice.setItemData(self.choice.count() - 1, bug.title, Qt.ItemDataRole.ToolTipRole)
        self.choice.setCurrentIndex(1)
        self.choice.setToolTip("The mistake to switch on")
        self.choice.setAccessibleName("Bug")
        self.choice.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.choice.setMinimumContentsLength(20)
        self.iterations = QSpinBox()
        self.iterations.setObjectName("bugIterations")
        self.iterations.setRange(1, MAX_ITERATIONS)
        self.iterations.setValue(DEFAULT_ITERATIONS)
        self.iterations.setSuffix(" iterations")
        self.iterations.setToolTip("How many full-batch iterations each network trains")
        self.iterations.setAccessibleName("Iterations")
        self.run_button = QPushButton("Run side by side")
        self.run_button.setObjectName("bugRun")
        self.run_button.setToolTip("Train the correct and the buggy network from the same initial weights "
                                   "and gradient-check both")
        self.run_button.setAccessibleName("Run side by side")
        self.run_button.setDefault(True)
        self.run_button.clicked.connect(self.run)
        self.choice.currentIndexChanged.connect(self._show_bug)

        self.setup = self._label("bugSetup", "The data and settings the lab uses", muted=True)
        self.symptom = self._label("bugSymptom", "What a student sees with this bug")
        self.outcome = self._label("bugOutcome", "What happened to the two runs")
        self.outcome.setTextFormat(Qt.TextFormat.RichText)
        self.symptom.setTextFormat(Qt.TextFormat.RichText)

        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setObjectName("bugCurves")
        self.graphics.setBackground(theme.PAPER)
        self.graphics.setAccessibleName("Loss and accuracy of the correct and the buggy run")
        self.graphics.setToolTip("Solid: the correct code; dashed: with the bug. Same initial weights.")
        # In a scroll area the plots would otherwise take their large size hint and push the table out of view.
        self.graphics.setMinimumHeight(220)
        self.graphics.setMaximumHeight(320)
        self.graphics.ci.setContentsMargins(4, 4, 12, 4)
        self.loss_plot = self.graphics.addPlot(row=0, col=0, enableMenu=False)
        self.accuracy_plot = self.graphics.addPlot(row=0, col=1, enableMenu=False)
        self.loss_plot.setLabel("left", "loss (log scale)")
        # A diverging run's loss is thousands of times the correct one's: only a log scale shows both.
        self.loss_plot.setLogMode(y=True)
        self.accuracy_plot.setLabel("left", "dev accuracy (%)")
        for plot in (self.loss_plot, self.accuracy_plot):
            plot.setLabel("bottom", "iteration")
            plot.showGrid(x=True, y=True, alpha=0.15)
        self.accuracy_plot.setYRange(0, 100, padding=0.04)
        # The loss plot's title is the legend (_style): over the data it hid the buggy run's "stopped" line.
        self.legend_text = ""
        self.correct_loss = self.loss_plot.plot(name="correct")
        self.buggy_loss = self.loss_plot.plot(name="with the bug")
        self.correct_accuracy = self.accuracy_plot.plot()
        self.buggy_accuracy = self.accuracy_plot.plot()
        # Where the buggy run stopped, in both plots.
        self.stop_lines = [pg.InfiniteLine(angle=90, movable=False, label="stopped",
                                           labelOpts={"position": 0.9, "color": theme.WRONG}) for _ in range(2)]
        for plot, line in zip((self.loss_plot, self.accuracy_plot), self.stop_lines):
            plot.addItem(line)
            line.hide()

        self.table = QTableWidget(len(PARAMETERS), 2)
        self.table.setObjectName("gradientCheckTable")
        self.table.setAccessibleName("Gradient check: relative error per parameter")
        self.table.setToolTip("Relative error ‖analytic − numerical‖ / (‖analytic‖ + ‖numerical‖) "
                              f"of each parameter's gradient; below {THRESHOLD:g} they agree")
        self.table.setHorizontalHeaderLabels(["correct code", "with the bug"])
        self.table.setVerticalHeaderLabels(list(PARAMETERS))
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.setCornerButtonEnabled(False)
        corner = self.table.findChild(QAbstractButton)    # named by Qt only from 6.11
        corner.setAccessibleName("Table corner")
        corner.setToolTip("The table only reports: there is nothing to select")
        self.table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.check_caption = self._label("gradientCheckCaption", "How the gradient check works", muted=True)
        self.check_caption.setText(
            f"Gradient check on {CHECK_EXAMPLES} examples: each parameter's backward-pass gradient against "
            f"central differences of the loss (ε = 1e-5). Below {THRESHOLD:g}: they agree.")
        self.check_note = self._label("gradientCheckNote", "Whether the gradient check can catch this bug")
        self.check_note.setTextFormat(Qt.TextFormat.RichText)

        controls = QHBoxLayout()
        controls.addWidget(self.iterations)
        controls.addStretch(1)
        controls.addWidget(self.run_button)
        content = QWidget()
        layout = QVBoxLayout(content)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.choice)
        layout.addLayout(controls)
        layout.addWidget(self.setup)
        layout.addWidget(self.symptom)
        layout.addWidget(self.graphics)
        layout.addWidget(self.outcome)
        self.check_heading = self._heading("Gradient check")
        layout.addWidget(self.check_heading)
        layout.addWidget(self.check_caption)
        layout.addWidget(self.table)
        layout.addWidget(self.check_note)
        layout.addStretch(1)            # a tall panel leaves the space below, not between the parts
        scrolling(self, content)

        self._style()
        self._clear_table()
        self._show_bug()
        self._show_setup()

    # ------------------------------------------------------------ building blocks
    def _label(self, name: str, tip: str, muted: bool = False) -> QLabel:
        label = QLabel()
        described(label, name, tip, tip)
        label.setWordWrap(True)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        label.setStyleSheet(f"color: {theme.MUTED if muted else theme.INK};")
        return label

    def _heading(self, text: str) -> QLabel:
        label = QLabel(text)
        label.setFont(theme.font(self._point_size + 1, bold=True))
        self._colour_heading(label)
        return label

    @staticmethod
    def _colour_heading(label: QLabel) -> None:
        label.setStyleSheet(f"color: {theme.INK}; margin-top: 6px;")

    def _style(self) -> None:
        size, width = self._point_size, self._line_width
        buggy = getattr(self, "_buggy_shown", False)
        self.legend_text = legend_title([(theme.CORRECT, False, "correct"),
                                         *([(theme.WRONG, True, "with the bug")] if buggy else [])], "loss&nbsp;&nbsp;")
        for plot, title in ((self.loss_plot, self.legend_text), (self.accuracy_plot, "dev accuracy")):
            style_plot(plot, size, title)
        self.correct_loss.setPen(pg.mkPen(theme.CORRECT, width=width))
        self.correct_accuracy.setPen(pg.mkPen(theme.CORRECT, width=width))
        self.buggy_loss.setPen(pg.mkPen(theme.WRONG, width=width, style=Qt.PenStyle.DashLine))
        self.buggy_accuracy.setPen(pg.mkPen(theme.WRONG, width=width, style=Qt.PenStyle.DashLine))
        for line in self.stop_lines:
            line.setPen(pg.mkPen(theme.WRONG, width=max(1.0, width / 2), style=Qt.PenStyle.DotLine))
            line.label.setFont(theme.font(size * 0.9))
        for widget in (self.choice, self.iterations, self.run_button, self.setup, self.symptom, self.outcome,
                       self.table, self.check_caption, self.check_note):
            widget.setFont(theme.font(size))
        self.table.setFont(theme.font(size, bold=False))
        self.table.resizeRowsToContents()
        header = self.table.horizontalHeader().height()
        self.table.setFixedHeight(header + sum(self.table.rowHeight(row) for row in range(self.table.rowCount())) + 4)

    # ------------------------------------------------------------ the view contract
    def show_snapshot(self, snapshot: Snapshot) -> None:
        """Remember the data and configuration the next run uses (cheap: a caption at most)."""
        self.split = snapshot.split
        config = snapshot.config.with_changes(alpha=snapshot.alpha)
        if config != self.config or snapshot.dataset_name != self.dataset_name:
            self.config, self.dataset_name = config, snapshot.dataset_name
            self._show_setup()

    def set_theme(self) -> None:
        """Recolour the heading, curves and legend, and show the last result again in the new colours."""
        self._colour_heading(self.check_heading)
        self._style()
        if self.result is not None:
            self._show_curves(self.result)
            self._show_outcome(self.result)
            self._show_check(self.result)
        else:
            self._clear_table()

    def set_presenter_mode(self, on: bool) -> None:
        self._point_size = theme.point_size(on)
        self._line_width = theme.line_width(on)
        self._style()

    # ------------------------------------------------------------ running
    @property
    def running(self) -> bool:
        return self.job is not None and self.job.running

    def selected_bug(self) -> str | None:
        name = self.choice.currentData()
        return None if name == NO_BUG else name

    def run(self) -> None:
        """Start a run in the background with the current data and configuration (ignored while one runs)."""
        if self.running:
            return
        split = self.split
        if split is None or self.config is None:
            self.failed.emit("the bug lab has no data yet: wait for the first snapshot")
            return
        bug = self.selected_bug()
        if self.job is not None:
            self.job.deleteLater()              # finished: each run is a job of its own
        self.job = lab_job(split, self.config, bug, self.iterations.value(), self)
        self.job.done.connect(self._finished)
        self.job.failed.connect(self._failed)
        self.run_button.setEnabled(False)
        self.run_button.setText("Running…")
        examples = min(split.train_size, LAB_TRAIN_EXAMPLES)
        self.outcome.setText(f"Training {'two networks' if bug else 'the network'} for "
                             f"{self.iterations.value()} iterations on {examples:,} examples…")
        self.job.start()

    def shutdown(self) -> None:
        """Wait for a run in progress (it ends within its iterations); its result is dropped."""
        if self.job is not None:
            self.job.shutdown()

    def _failed(self, message: str) -> None:
        self._ready()
        self.outcome.setText("")
        self.failed.emit(message)

    def _ready(self) -> None:
        self.run_button.setEnabled(True)
        self.run_button.setText("Run side by side")

    def _finished(self, result: LabResult | None) -> None:
        self._ready()
        if result is None:          # stopped before it finished
            return
        self.result = result
        self._show_curves(result)
        self._show_outcome(result)
        self._show_check(result)

    # ------------------------------------------------------------ showing
    def _show_setup(self) -> None:
        if self.config is None:
            self.setup.setText("Waiting for the data…")
            return
        c = self.config
        self.setup.setText(f"Same start for both: {self.dataset_name}, H = {c.hidden}, {c.activation}, "
                           f"{c.init} init, seed {c.seed}, α = {c.alpha:g}, {c.optimizer}, full batch "
                           f"(at most {LAB_TRAIN_EXAMPLES:,} training examples).")

    def _show_bug(self) -> None:
        name = self.selected_bug()
        if name is None:
            self.symptom.setText("<b>No bug:</b> the correct code alone, as a baseline.")
            self.check_note.setText("")
            return
        bug = BUGS[name]
        self.symptom.setText(f"<b>Symptom:</b> {escape(bug.symptom)}")
        self.check_note.setText(f"<b>Can the gradient check catch it?</b> {escape(bug.gradient_check)}")

    def _show_curves(self, result: LabResult) -> None:
        correct, buggy = result.correct, result.buggy
        self._set_curve(self.correct_loss, correct.loss, positive=True)
        self._set_curve(self.correct_accuracy, self._accuracy(correct))
        self._set_curve(self.buggy_loss, buggy.loss if buggy else [], positive=True)
        self._set_curve(self.buggy_accuracy, self._accuracy(buggy) if buggy else [])
        self._buggy_shown = buggy is not None
        self._style()                       # the legend names the buggy run only when there is one
        title = "dev accuracy" if correct.dev_accuracy else "train accuracy"
        style_plot(self.accuracy_plot, self._point_size, title)
        self.accuracy_plot.setLabel("left", f"{title} (%)", **{"font-size": f"{self._point_size:g}pt",
                                                               "color": theme.INK})
        stopped = buggy is not None and buggy.problem is not None and buggy.problem.startswith("diverged")
        for line in self.stop_lines:
            if stopped:
                line.setValue(len(buggy.loss) + 0.5)    # after the last iteration it completed
            line.setVisible(stopped)
        # A run cut short after a few points would be an invisible dash without its points marked.
        short = buggy is not None and len(buggy.loss) < 10
        for item in (self.buggy_loss, self.buggy_accuracy):
            item.setSymbol("o" if short else None)
            item.setSymbolSize(6)
            item.setSymbolBrush(pg.mkBrush(theme.WRONG))
            item.setSymbolPen(pg.mkPen(theme.WRONG))
        for plot in (self.loss_plot, self.accuracy_plot):
            plot.setXRange(1, max(2, result.iterations), padding=0.02)
        self.loss_plot.enableAutoRange(y=True)

    @staticmethod
    def _accuracy(curves: Curves) -> list[float]:
        values = curves.dev_accuracy or curves.train_accuracy
        return [100 * value for value in values]

    @staticmethod
    def _set_curve(item: pg.PlotDataItem, values: list[float], positive: bool = False) -> None:
        # Iterations are counted from 1, as in the window's headings; a log axis must not see a 0.
        y = formatting.finite(values)
        item.setData(np.arange(1, len(values) + 1, dtype=np.float64), np.maximum(y, 1e-12) if positive else y)

    def _summary(self, curves: Curves) -> str:
        if not curves.loss:
            return "no iteration completed"
        accuracy = curves.final_dev_accuracy
        subset = "dev"
        if accuracy is None and curves.train_accuracy:
            accuracy, subset = curves.train_accuracy[-1], "train"
        text = f"loss {curves.loss[-1]:.3f} after {len(curves.loss)} iterations"
        if accuracy is not None and math.isfinite(accuracy):
            text += f", {subset} accuracy {accuracy:.1%}"
        return text

    def _show_outcome(self, result: LabResult) -> None:
        lines = [f"<span style='color:{theme.CORRECT}'>━━</span> <b>Correct:</b> "
                 f"{escape(self._summary(result.correct))}"]
        buggy = result.buggy
        if buggy is not None:
            if buggy.problem is None:
                what = escape(self._summary(buggy))
            elif buggy.problem.startswith("diverged"):
                headline = escape(buggy.problem[0].upper() + buggy.problem[1:])
                what = f"<b style='color:{theme.WRONG}'>{headline}</b> (the dashed curve stops at the dotted line)"
            else:
                what = (f"<b style='color:{theme.WRONG}'>Shape error</b> before the first update: "
                        f"{escape(buggy.problem)}")
            lines.append(f"<span style='color:{theme.WRONG}'>╍╍</span> <b>With the bug:</b> {what}")
        self.outcome.setText("<br>".join(lines))

    def _clear_table(self) -> None:
        for row in range(len(PARAMETERS)):
            for column in range(2):
                self._set_cell(row, column, "—", None)

    def _set_cell(self, row: int, column: int, text: str, good: bool | None, tip: str = "") -> None:
        item = QTableWidgetItem(text)
        item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
        if good is None:
            item.setForeground(QColor(theme.MUTED))
        else:
            colour = QColor(theme.CORRECT if good else theme.WRONG)
            item.setForeground(colour)
            background = QColor(colour)
            background.setAlpha(40)
            item.setBackground(background)
            font = theme.font(self._point_size, bold=not good)
            item.setFont(font)
        item.setToolTip(tip or text)
        self.table.setItem(row, column, item)

    def _show_check(self, result: LabResult) -> None:
        for column, errors in enumerate((result.correct_check, result.buggy_check)):
            for row, name in enumerate(PARAMETERS):
                if errors is None:
                    self._set_cell(row, column, "no bug", None)
                elif isinstance(errors, str):
                    self._set_cell(row, column, "shape error", False, errors)
                else:
                    error = errors[name]
                    good = error < THRESHOLD
                    mark = "✓" if good else "✗"
                    self._set_cell(row, column, f"{mark} {error:.1e}", good,
                                   f"d{name}: relative error {error:.3g} ({'agree' if good else 'disagree'})")
