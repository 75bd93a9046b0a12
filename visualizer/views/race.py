"""The optimizer race: the notebook's gradient descent against the TensorFlow version's Adam, in lockstep.

Both lanes start from the main run's weights at iteration 0 (drawn by its init and seed, or opened from a weights
file) with its hidden width, activation, batch size and precision; each lane has its own optimizer and learning
rate. A background Job (visualizer/jobs.py) steps the race (core.race) in chunks and reports an immutable
RaceFrame at most EMIT_INTERVAL apart; the panel overlays the two lanes' curves and shows each lane's network side
by side, with a one-line verdict. The panel never touches a running race: it posts requests (a new target, the
example selected, pause), which the job reads between two race steps.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable, Mapping, Sequence

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import Qt, QTimer, pyqtSignal
from PyQt6.QtWidgets import (QBoxLayout, QComboBox, QGridLayout, QHBoxLayout, QLabel, QPushButton,
                             QGraphicsItem, QSpinBox, QVBoxLayout, QWidget)

from core.config import TrainingConfig
from core.data import Split
from core.optimizers import OPTIMIZERS, UPDATE_NAMES
from core.race import VERDICT_ACCURACY, Race, capitalized, lane_name
from core.stepper import starting_params

from visualizer import theme
from visualizer.frames import RACE_INTERVALS, FramePolicy
from visualizer.jobs import Job, JobContext
from visualizer.snapshot import ExampleSelection, Snapshot, make_snapshot
from visualizer.views.buglab import LAB_TRAIN_EXAMPLES, lab_split
from visualizer.views.config_panel import LearningRateSpin
from visualizer.views.confirm_bar import described, scrolling
from visualizer.views.curves import finite_points, style_plot
from visualizer.views.diagram import NetworkDiagram

DEFAULT_ITERATIONS = 500
MAX_ITERATIONS = 20_000
EMIT_INTERVAL = 0.05            # seconds between frames: 20 a second are enough to watch, and cheap to draw
DEFAULT_LANES = (("gd", 0.1), ("adam", 0.001))  # the classic notebook, and Keras' Adam default
LANE_LETTERS = ("A", "B")
LANE_COLOR_NAMES = ("BLUE", "ORANGE")   # theme colour names: a theme switch changes the colours
LANE_STYLES = (Qt.PenStyle.SolidLine, Qt.PenStyle.DashLine)
SIDE_BY_SIDE_WIDTH = 900        # a panel at least this wide shows the two networks side by side, else stacked


@dataclass(frozen=True)
class RaceFrame:
    """What the race looks like after a chunk of steps: one snapshot per lane, and the verdict so far."""
    serial: int                         # which race (a Reset starts a new one; frames of an old one are dropped)
    snapshots: tuple[Snapshot, ...]
    names: tuple[str, ...]
    problems: tuple[str | None, ...]    # why each lane stopped early, None if it did not
    verdict: str
    target: int
    iterations_per_second: float | None  # race steps a second: each lane's speed while racing

    def done(self, target: int) -> bool:
        """True when no lane can go on towards target iterations."""
        return all(problem is not None or snapshot.iteration >= target
                   for snapshot, problem in zip(self.snapshots, self.problems))


def start_description(config: TrainingConfig, params: Mapping[str, np.ndarray] | None) -> str:
    """Where the lanes' weights come from, in the words of the setup line."""
    drawn = f"{config.init} init, seed {config.seed}"
    if params is None:
        return drawn
    try:
        same = all(np.array_equal(params[name], value) for name, value in starting_params(config).items())
    except (KeyError, ValueError):
        same = False
    return drawn if same else f"the main run's starting weights (opened from a file, not drawn by {drawn})"


@dataclass
class RaceSession:
    """One race, kept between its runs (Start, Pause, Resume): touched by its job while one runs, and by the panel
    only in between."""
    arguments: tuple[Split, tuple[TrainingConfig, ...], Mapping[str, np.ndarray] | None]
    serial: int                             # which race (a Reset starts a new one; frames of an old one are dropped)
    race: Race | None = None                # built in the job: the lanes' Steppers copy the data
    target: int = 0
    selection: ExampleSelection = field(default_factory=ExampleSelection)
    stepped: int = 0                        # race steps taken, and the seconds they took, for the speed
    seconds: float = 0.0

    def frame(self, playing: bool) -> RaceFrame:
        race = self.race
        snapshots = tuple(make_snapshot(lane.stepper, self.selection, playing=playing, message=lane.problem,
                                        diverged=lane.problem is not None) for lane in race.lanes)
        speed = self.stepped / self.seconds if self.stepped and self.seconds > 0 else None
        return RaceFrame(self.serial, snapshots, tuple(lane_name(lane.config) for lane in race.lanes),
                         tuple(lane.problem for lane in race.lanes), race.verdict(), self.target, speed)


def race_job(session: RaceSession, parent: QWidget | None = None,
             clock: Callable[[], float] = time.perf_counter) -> Job:
    """Steps the session's race until its target or a pause, reporting a RaceFrame every EMIT_INTERVAL.

    Requests, posted by the panel: ("target", n), ("selection", ExampleSelection) and ("pause", None), which ends
    the run after the race step in progress; a later job of the same session resumes it.
    """
    def work(context: JobContext) -> None:
        paused = False

        def take_requests() -> bool:
            nonlocal paused
            for kind, value in context.requests():
                if kind == "target":
                    session.target = value
                elif kind == "selection":
                    session.selection = value
                else:
                    paused = True
            return paused or context.cancelled

        with np.errstate(all="ignore"):
            if session.race is None:
                session.race = Race(*session.arguments)
            lanes = session.race.lanes
            while True:
                started, before = clock(), max(lane.iteration for lane in lanes)
                deadline = started + EMIT_INTERVAL
                session.race.run(session.target, lambda: take_requests() or clock() >= deadline)
                session.seconds += clock() - started
                session.stepped += max(lane.iteration for lane in lanes) - before
                stopping = take_requests() or session.race.finished(session.target)
                context.report(session.frame(playing=not stopping))
                if stopping:
                    return
    return Job(work, "the optimizer race", parent)


class RacePanel(QWidget):
    """Two optimizers trained side by side from the same weights: curves overlaid, both networks, a verdict."""

    failed = pyqtSignal(str)        # a one-line message for the window's banner

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        described(self, "racePanel", "Optimizer race",
                  "Train two optimizers from the same initial weights, one iteration each in turn, and compare")
        # The main run's split and iteration-0 weights (None: the lanes draw them by the init and seed), from the
        # snapshot shown.
        self.split: Split | None = None
        self.start_weights: Mapping[str, np.ndarray] | None = None
        self.config: TrainingConfig | None = None                   # the main run's
        self.dataset_name = ""
        self.train_size = 0
        self.selection = ExampleSelection()
        self.session: RaceSession | None = None      # the race, once started (None after a Reset)
        self.job: Job | None = None                  # its run in progress, or the last one
        self._pause_asked = False
        self.frame: RaceFrame | None = None
        self._serial = 0
        self._pending: RaceFrame | None = None
        self._point_size = float(theme.BASE_POINT_SIZE)
        self._line_width = theme.line_width(False)
        self._names: tuple[str, ...] = ()
        self._with_dev = True
        # While racing, the two diagrams follow four times a second (they cost most of a frame).
        self.frame_policy = FramePolicy(intervals=RACE_INTERVALS)

        # ---- the lanes' settings
        lanes = QGridLayout()
        lanes.setHorizontalSpacing(8)
        self.lane_marks: list[QLabel] = []
        self.optimizers: list[QComboBox] = []
        self.learning_rates: list[LearningRateSpin] = []
        for k, (letter, (optimizer, alpha)) in enumerate(zip(LANE_LETTERS, DEFAULT_LANES)):
            mark = QLabel(f"{'━━' if k == 0 else '╍╍'} {letter}")
            described(mark, f"raceLaneMark{letter}", f"Lane {letter}",
                      f"Lane {letter}: drawn {'solid blue' if k == 0 else 'dashed orange'}")
            choice = described(QComboBox(), f"raceOptimizer{letter}", f"Lane {letter} optimizer",
                               f"Lane {letter}: the update rule")
            for name in OPTIMIZERS:
                choice.addItem(capitalized(UPDATE_NAMES[name]), name)
            choice.setCurrentIndex(choice.findData(optimizer))
            rate = described(LearningRateSpin(), f"raceAlpha{letter}", f"Lane {letter} learning rate",
                             f"Lane {letter}: the learning rate α")
            rate.setValue(alpha)
            alpha_label = QLabel("α")
            lanes.addWidget(mark, k, 0)
            lanes.addWidget(choice, k, 1)
            lanes.addWidget(alpha_label, k, 2)
            lanes.addWidget(rate, k, 3)
            choice.currentIndexChanged.connect(self._lanes_edited)
            rate.valueChanged.connect(self._lanes_edited)
            self.lane_marks.append(mark)
            self.optimizers.append(choice)
            self.learning_rates.append(rate)
        lanes.setColumnStretch(1, 2)
        lanes.setColumnStretch(3, 1)

        # ---- the race's controls
        self.iterations = described(QSpinBox(), "raceIterations", "Iterations",
                                    "How many iterations each lane trains (it can be raised during the race)")
        self.iterations.setRange(1, MAX_ITERATIONS)
        self.iterations.setValue(DEFAULT_ITERATIONS)
        self.iterations.setSuffix(" iterations")
        self.iterations.valueChanged.connect(self._target_changed)
        self.start_button = described(QPushButton("Start"), "raceStart", "Start",
                                      "Start the race, or resume it after a pause")
        self.pause_button = described(QPushButton("Pause"), "racePause", "Pause", "Pause the race")
        self.reset_button = described(QPushButton("Reset"), "raceReset", "Reset",
                                      "Forget this race; the next Start begins again from iteration 0")
        self.start_button.clicked.connect(self.start)
        self.pause_button.clicked.connect(self.pause)
        self.reset_button.clicked.connect(self.reset)
        controls = QHBoxLayout()
        controls.addWidget(self.iterations)
        controls.addStretch(1)
        for button in (self.start_button, self.pause_button, self.reset_button):
            button.setAutoDefault(True)     # Space is the window's play key: a focused button takes Return
            controls.addWidget(button)

        self.setup = self._label("raceSetup", "The data and the settings both lanes share", muted=True)
        self.verdict = self._label("raceVerdict", "Which lane reaches the accuracy first")
        self.status = self._label("raceStatus", "How far the race is, and how fast it runs", muted=True)

        # ---- the curves
        self.graphics = described(pg.GraphicsLayoutWidget(), "raceCurves", "Loss and accuracy of the two lanes",
                                  "Lane A solid blue, lane B dashed orange; both from the same initial weights")
        self.graphics.setBackground(theme.PAPER)
        self.graphics.setMinimumHeight(230)
        self.graphics.setMaximumHeight(340)
        self.graphics.ci.setContentsMargins(4, 4, 12, 4)
        # The legend is a row of its own above the plots: inside either it would cover the curves of a narrow panel.
        self.legend = pg.LegendItem(labelTextColor=theme.INK, colCount=2)
        self.graphics.addItem(self.legend, row=0, col=0, colspan=2)
        self.loss_plot = self.graphics.addPlot(row=1, col=0, enableMenu=False)
        self.accuracy_plot = self.graphics.addPlot(row=1, col=1, enableMenu=False)
        for column in (0, 1):       # half the width each, whatever the titles and tick labels ask for
            self.graphics.ci.layout.setColumnStretchFactor(column, 1)
            self.graphics.ci.layout.setColumnPreferredWidth(column, 100)
        self.loss_plot.setLabel("left", "loss")
        self._loss_log: bool | None = None
        self.accuracy_plot.setLabel("left", "accuracy (%)")
        self.accuracy_plot.setYRange(0, 100, padding=0.04)
        self.accuracy_plot.getAxis("left").setTicks([[(value, str(value)) for value in (0, 20, 40, 60, 80, 100)]])
        for plot in (self.loss_plot, self.accuracy_plot):
            plot.setLabel("bottom", "iteration")
            plot.showGrid(x=True, y=True, alpha=0.15)
            plot.hideButtons()
            for name in ("left", "bottom"):
                # Redrawn whenever a curve moves under them: from a pixmap that is a blit (as in CurvesView).
                plot.getAxis(name).setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.loss_curves = [self.loss_plot.plot() for _ in LANE_LETTERS]
        self.train_curves = [self.accuracy_plot.plot() for _ in LANE_LETTERS]
        self.dev_curves = [self.accuracy_plot.plot() for _ in LANE_LETTERS]
        self.goal_line = pg.InfiniteLine(pos=100 * VERDICT_ACCURACY, angle=0, movable=False,
                                         label=f"{100 * VERDICT_ACCURACY:g} %",
                                         labelOpts={"position": 0.02, "color": theme.MUTED,
                                                    "anchors": [(0, 1), (0, 1)]})
        self.accuracy_plot.addItem(self.goal_line, ignoreBounds=True)

        # ---- the two networks
        self.diagrams: list[NetworkDiagram] = []
        self.captions: list[QLabel] = []
        self.diagram_row = QBoxLayout(QBoxLayout.Direction.TopToBottom)
        for k, letter in enumerate(LANE_LETTERS):
            caption = self._label(f"raceCaption{letter}", f"Lane {letter}: its iteration and accuracy")
            diagram = NetworkDiagram()
            diagram.setObjectName(f"raceDiagram{letter}")
            diagram.setAccessibleName(f"Lane {letter} network")
            diagram.setToolTip(f"Lane {letter}'s network, for the example selected in the main window")
            diagram.set_animation_ms(0)     # 20 frames a second move it already
            diagram.setMinimumHeight(200)
            diagram.hide()                  # until the race's first frame: an empty scene says nothing
            column = QVBoxLayout()
            column.setSpacing(2)
            column.addWidget(caption)
            column.addWidget(diagram, 1)
            self.diagram_row.addLayout(column, 1)
            self.diagrams.append(diagram)
            self.captions.append(caption)

        content = QWidget()
        layout = QVBoxLayout(content)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(lanes)
        layout.addLayout(controls)
        layout.addWidget(self.setup)
        layout.addWidget(self.verdict)
        layout.addWidget(self.graphics)
        layout.addWidget(self.status)
        layout.addLayout(self.diagram_row, 1)
        scrolling(self, content)

        self._style()
        self._clear()
        self._show_setup()
        self._update_buttons()

    def _label(self, name: str, tip: str, muted: bool = False) -> QLabel:
        label = described(QLabel(), name, tip, tip)
        label.setWordWrap(True)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        label.setStyleSheet(f"color: {theme.MUTED if muted else theme.INK};")
        return label

    # ------------------------------------------------------------ the view contract
    def show_snapshot(self, snapshot: Snapshot) -> None:
        """Remember the main run's data, configuration and selected example for the next race (cheap)."""
        selection = ExampleSelection(snapshot.example.subset, snapshot.example.index)
        if selection != self.selection and self.running:
            self.job.post(("selection", selection))
        self.selection, self.split = selection, snapshot.split
        start = snapshot.initial_params         # another run (a weights file opened, say) has other ones
        if (snapshot.config, snapshot.dataset_name, snapshot.train_size) != (
                self.config, self.dataset_name, self.train_size) or start is not self.start_weights:
            self.config, self.dataset_name, self.train_size = snapshot.config, snapshot.dataset_name, \
                snapshot.train_size
            self.start_weights = start
            self._show_setup()

    def set_presenter_mode(self, on: bool) -> None:
        self._point_size = theme.point_size(on)
        self._line_width = theme.line_width(on)
        self._style()
        for diagram in self.diagrams:
            diagram.set_presenter_mode(on)

    def set_theme(self) -> None:
        """Recolour the lanes and the goal line in the current theme (visualizer.appearance calls this)."""
        self._style()

    def hideEvent(self, event) -> None:
        """A race nobody watches would only slow the main run down: closing the panel (or its dock, or another
        tab over it) pauses it; minimizing the window (a hide by the window system) does not."""
        super().hideEvent(event)
        if not event.spontaneous():
            self.pause()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        wide = self.width() >= SIDE_BY_SIDE_WIDTH
        self.diagram_row.setDirection(QBoxLayout.Direction.LeftToRight if wide else QBoxLayout.Direction.TopToBottom)
        for diagram in self.diagrams:
            diagram.setMinimumHeight(260 if wide else 200)

    # ------------------------------------------------------------ lanes
    def lane_configs(self) -> tuple[TrainingConfig, ...]:
        """The main run's configuration with each lane's optimizer and learning rate."""
        base = self.config or TrainingConfig()
        return tuple(base.with_changes(optimizer=choice.currentData(), alpha=float(rate.value()))
                     for choice, rate in zip(self.optimizers, self.learning_rates))

    def _lanes_edited(self) -> None:
        if self.session is None:
            self._name_lanes([lane_name(config) for config in self.lane_configs()])

    def _name_lanes(self, names: Sequence[str]) -> None:
        self._names = tuple(names)
        self.legend.clear()
        for curve, name in zip(self.loss_curves, names):
            self.legend.addItem(curve, capitalized(name))

    # ------------------------------------------------------------ running
    @property
    def running(self) -> bool:
        return self.job is not None and self.job.running

    @property
    def pausing(self) -> bool:
        """A pause was asked for and the race step in progress has not ended yet."""
        return self.running and self._pause_asked

    def start(self) -> None:
        """Start the race with the lanes' settings, or resume it (ignored while it runs)."""
        if self.running:
            return
        if self.session is None:
            if self.split is None or self.config is None:
                self.failed.emit("the optimizer race has no data yet: wait for the first snapshot")
                return
            self._serial += 1
            configs = self.lane_configs()
            self.session = RaceSession((lab_split(self.split), configs, self.start_weights), self._serial)
            self._name_lanes([lane_name(config) for config in configs])
            self._show_setup()
        # No job runs: the panel may set the session's target and example itself.
        self.session.target = self.iterations.value()
        self.session.selection = self.selection
        if self.job is not None:
            self.job.deleteLater()              # finished: each run is a job of its own
        self.job = race_job(self.session, self)
        self.job.progress.connect(self._received)
        self.job.failed.connect(self._failed)
        self.job.finished.connect(self._update_buttons)
        self._pause_asked = False
        self.job.start()
        self._update_buttons()

    def pause(self) -> None:
        """Stop after the race step in progress; Start resumes."""
        if self.running:
            self._pause_asked = True
            self.job.post(("pause", None))
            self.pause_button.setEnabled(False)

    def reset(self) -> None:
        """End the race; the next Start begins a new one from iteration 0 with the lanes' current settings."""
        self.shutdown()
        self.session = None
        self._serial += 1           # frames of the old race still queued are dropped
        self._clear()
        self._show_setup()
        self._update_buttons()

    def shutdown(self) -> None:
        """Stop the race's job (within one race step) and wait for it."""
        if self.job is not None:
            self.job.shutdown()

    def _failed(self, message: str) -> None:
        self.failed.emit(message)
        self._update_buttons()

    def _target_changed(self, target: int) -> None:
        if self.running:
            self.job.post(("target", target))
        for plot in (self.loss_plot, self.accuracy_plot):
            plot.setXRange(0, target, padding=0.02)
        self._update_buttons()

    def _update_buttons(self) -> None:
        running = self.running
        done = self.frame is not None and self.frame.done(self.iterations.value())
        self.start_button.setEnabled(not running and not done)
        self.start_button.setText("Resume" if self.session is not None and not running and not done else "Start")
        self.pause_button.setEnabled(running and not self.pausing)
        for editor in (*self.optimizers, *self.learning_rates):
            editor.setEnabled(self.session is None)
        if self.session is None:
            self.status.setText("Both lanes start from the main run's weights at iteration 0: press Start.")

    # ------------------------------------------------------------ showing
    def _received(self, frame: RaceFrame) -> None:
        if frame.serial != self._serial:
            return
        # Keep only the newest frame; draw once the queued ones have all arrived.
        if self._pending is None:
            QTimer.singleShot(0, self._show_pending)
        self._pending = frame

    def _show_pending(self) -> None:
        frame, self._pending = self._pending, None
        if frame is None or frame.serial != self._serial:
            return
        self.frame = frame
        with_dev = frame.snapshots[0].dev_size > 0
        racing = frame.snapshots[0].playing or frame.snapshots[1].playing
        diagrams = self.frame_policy.frame(racing)
        for k, snapshot in enumerate(frame.snapshots):
            curves = snapshot.curves
            x = curves.iterations.astype(np.float64)
            self.loss_curves[k].setData(*finite_points(x, np.maximum(curves.loss, 1e-12)))
            self.train_curves[k].setData(*finite_points(x, 100 * curves.train_accuracy))
            self.dev_curves[k].setData(*finite_points(x, 100 * curves.dev_accuracy))
            self.dev_curves[k].setVisible(with_dev)
            if diagrams.shows("diagram"):
                self.diagrams[k].show()
                self.diagrams[k].show_snapshot(snapshot, diagrams)
            self.captions[k].setText(self._caption(k, frame.names[k], snapshot, frame.problems[k]))
        self._show_loss_scale(frame)
        if with_dev != self._with_dev:
            self._with_dev = with_dev
            self._label_accuracy()
        self.verdict.setText(frame.verdict)
        furthest = max(snapshot.iteration for snapshot in frame.snapshots)
        rate = frame.iterations_per_second
        speed = f" · {rate:.{1 if rate < 10 else 0}f} iterations a second per lane" if rate else ""
        # A plot title would say it too, but its width squeezes the loss plot beside it on a narrow panel.
        curves = "accuracy: dev strong, train faint" if with_dev else "accuracy: train (no dev set)"
        self.status.setText(f"Iteration {furthest:,} of {self.iterations.value():,}{speed}. {capitalized(curves)}.")
        self._update_buttons()

    def _show_loss_scale(self, frame: RaceFrame) -> None:
        """Linear while the losses stay within a factor of 20; a log scale once a lane climbs far above the
        other (it is diverging), so that both stay readable."""
        losses = np.concatenate([snapshot.curves.loss for snapshot in frame.snapshots])
        losses = losses[np.isfinite(losses) & (losses > 0)]
        log = bool(losses.size) and float(losses.max()) > 20 * float(losses.min())
        if log != self._loss_log:
            self._loss_log = log
            self.loss_plot.setLogMode(y=log)
            self.loss_plot.setLabel("left", "loss (log scale)" if log else "loss")
            style_plot(self.loss_plot, self._point_size)
        self.loss_plot.enableAutoRange(y=True)

    def _label_accuracy(self) -> None:
        self.accuracy_plot.setLabel("left", "accuracy (%)" if self._with_dev else "train accuracy (%)")
        style_plot(self.accuracy_plot, self._point_size)

    @staticmethod
    def _caption(k: int, name: str, snapshot: Snapshot, problem: str | None) -> str:
        parts = [f"{LANE_LETTERS[k]} · {capitalized(name)}", f"iteration {snapshot.iteration:,}"]
        if snapshot.loss is not None:
            parts.append(f"loss {snapshot.loss:.3f}")
        accuracy = snapshot.dev_accuracy if snapshot.dev_size else snapshot.train_accuracy
        if accuracy is not None:
            parts.append(f"{'dev' if snapshot.dev_size else 'train'} {100 * accuracy:.1f} %")
        if problem is not None:
            parts.append("diverged: stopped")
        return " · ".join(part.replace(" ", "\u00a0") for part in parts)

    def _clear(self) -> None:
        self.frame = self._pending = None
        if self._loss_log:
            self.loss_plot.setLogMode(y=False)
            self.loss_plot.setLabel("left", "loss")
            style_plot(self.loss_plot, self._point_size)
        self._loss_log = False
        for item in (*self.loss_curves, *self.train_curves, *self.dev_curves):
            item.setData([], [])
        for k, (diagram, caption) in enumerate(zip(self.diagrams, self.captions)):
            diagram.hide()
            caption.setText(f"{LANE_LETTERS[k]} · its network appears here once the race starts")
        self.verdict.setText(f"Who reaches {100 * VERDICT_ACCURACY:g} % accuracy first?")
        self._name_lanes([lane_name(config) for config in self.lane_configs()])
        self._target_changed(self.iterations.value())

    def _show_setup(self) -> None:
        if self.config is None:
            self.setup.setText("Waiting for the data…")
            return
        race, dataset, params = self.config, self.dataset_name, self.start_weights
        if self.session is not None:
            split, configs, params = self.session.arguments
            race, dataset = configs[0], split.name
        batch = "full batch" if race.batch_size == 0 else f"batches of {race.batch_size}"
        text = (f"Same start for both lanes: {dataset}, H = {race.hidden}, {race.activation}, "
                f"{start_description(race, params)}, {batch}, {race.dtype}")
        if self.train_size > LAB_TRAIN_EXAMPLES:
            text += f" (the first {LAB_TRAIN_EXAMPLES:,} training examples)"
        text += "."
        if (dataset != self.dataset_name
                or not self.config.same_architecture(race.with_changes(optimizer=self.config.optimizer))):
            text += " The main run's data or settings have changed since: Reset to race with them."
        self.setup.setText(text)

    def _style(self) -> None:
        size, width = self._point_size, self._line_width
        for plot in (self.loss_plot, self.accuracy_plot):
            style_plot(plot, size)
        for k, (loss, train, dev) in enumerate(zip(self.loss_curves, self.train_curves, self.dev_curves)):
            colour = getattr(theme, LANE_COLOR_NAMES[k])
            self.lane_marks[k].setStyleSheet(f"color: {colour}; font-weight: bold;")
            self.captions[k].setStyleSheet(f"color: {colour};")
            loss.setPen(pg.mkPen(colour, width=width, style=LANE_STYLES[k]))
            dev.setPen(pg.mkPen(colour, width=width, style=LANE_STYLES[k]))
            faint = pg.mkColor(colour)
            faint.setAlpha(110)
            train.setPen(pg.mkPen(faint, width=max(1.0, width / 2), style=LANE_STYLES[k]))
        self._label_accuracy()
        self.goal_line.setPen(pg.mkPen(theme.MUTED, width=max(1.0, width / 2), style=Qt.PenStyle.DotLine))
        self.goal_line.label.setColor(theme.MUTED)
        self.goal_line.label.setFont(theme.font(size * 0.9))
        self.legend.setLabelTextSize(f"{size * 0.9:g}pt")
        self._name_lanes(self._names)
        for widget in (*self.lane_marks, *self.optimizers, *self.learning_rates, self.iterations,
                       self.start_button, self.pause_button, self.reset_button, self.setup, self.status):
            widget.setFont(theme.font(size))
        self.verdict.setFont(theme.font(size * 1.1, bold=True))
        for caption in self.captions:
            caption.setFont(theme.font(size, bold=True))
