"""The timeline: a slider over the completed iterations that can be revisited, and the question asked before a
new learning rate at a past iteration drops the iterations after it.

Dragging sends the newest position at most every SEEK_INTERVAL_MS and once more on release; the worker skips
seeks that a newer one has overtaken, so a fast drag never queues up work.
"""
from __future__ import annotations

from PyQt6.QtCore import Qt, QTimer, pyqtSignal
from PyQt6.QtWidgets import (QHBoxLayout, QLabel, QSizePolicy, QSlider, QStyle,
                             QStyleOptionSlider, QVBoxLayout, QWidget)

from visualizer import theme
from visualizer.frames import EVERYTHING, Frame
from visualizer.snapshot import Snapshot

from .confirm_bar import ConfirmBar, described, steady_text, unsteady

SEEK_INTERVAL_MS = 50


class TimelineSlider(QSlider):
    """A click on the groove goes to that iteration (not one page towards it) and can be dragged on from there."""

    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self.maximum() > self.minimum():
            option = QStyleOptionSlider()
            self.initStyleOption(option)
            style, control = self.style(), QStyle.ComplexControl.CC_Slider
            handle = style.subControlRect(control, option, QStyle.SubControl.SC_SliderHandle, self)
            point = event.position().toPoint()
            if not handle.contains(point):
                groove = style.subControlRect(control, option, QStyle.SubControl.SC_SliderGroove, self)
                offset = point.x() - groove.x() - handle.width() // 2
                self.setValue(QStyle.sliderValueFromPosition(self.minimum(), self.maximum(), offset,
                                                             groove.width() - handle.width(), option.upsideDown))
        super().mousePressEvent(event)      # the handle is under the pointer now, so this starts a drag


class Timeline(QWidget, theme.PresenterFonts):
    """Shows where the run is among the iterations kept (earliest … latest) and asks to go elsewhere."""

    seekRequested = pyqtSignal(int)             # go to the start of this iteration, as it was
    learningRateConfirmed = pyqtSignal(float)   # apply α from the iteration shown (drops any later history)
    learningRateCancelled = pyqtSignal()        # put the running α back in the configuration panel
    TAKES_FRAME = True      # its label's number follows the frames that count ("numbers", visualizer/frames.py)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        described(self, "timeline", "Timeline", "Every completed iteration that can be revisited")
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)     # fills its toolbar
        self._iteration = 0
        self._latest = 0
        self._sent: int | None = None           # the last position sent while the user moves the slider
        self._wanted: int | None = None         # the newest position the user asked for, not yet sent
        self._proposed_alpha: float | None = None

        self.caption = QLabel("Timeline")
        self.caption.setStyleSheet(f"color: {theme.MUTED};")
        self.slider = described(TimelineSlider(Qt.Orientation.Horizontal), "timelineSlider", "Timeline",
                                 "Drag or click to show any completed iteration exactly as it was; Home / End jump "
                                 "to the first / last. Stepping on from a past iteration replays the same numbers.")
        self.slider.setRange(0, 0)
        self.slider.setPageStep(10)
        self.slider.setTickPosition(QSlider.TickPosition.NoTicks)
        self.label = described(QLabel(), "timelineLabel", "Iteration shown on the timeline",
                                "The iteration shown and the last one computed")
        self.label.setTextFormat(Qt.TextFormat.RichText)
        self.range_label = described(QLabel(), "timelineRange", "Rewindable range",
                                      "The iterations that can be revisited (the oldest are forgotten on very long "
                                      "runs)")
        self.range_label.setStyleSheet(f"color: {theme.MUTED};")

        self.confirm_bar = ConfirmBar(
            "timelineConfirm", "Confirm a new learning rate at a past iteration",
            ("Apply the new learning rate", "Continue from the iteration shown with the new learning rate; the later "
                                            "iterations are dropped"),
            ("Keep the learning rate", "Keep the learning rate and every iteration"))
        self.confirm_bar.text.setTextFormat(Qt.TextFormat.RichText)
        self.confirm_bar.apply.clicked.connect(self._apply)
        self.confirm_bar.cancel.clicked.connect(self.cancel)

        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(10)
        row.addWidget(self.caption)
        row.addWidget(self.slider, 1)
        row.addWidget(self.label)
        row.addWidget(self.range_label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 2, 8, 2)
        layout.setSpacing(4)
        layout.addWidget(self.confirm_bar)
        layout.addLayout(row)

        self._seek_timer = QTimer(self)
        self._seek_timer.setSingleShot(True)
        self._seek_timer.setInterval(SEEK_INTERVAL_MS)
        self._seek_timer.timeout.connect(self._send_wanted)
        self.slider.valueChanged.connect(self._moved)
        self.slider.sliderReleased.connect(self._released)
        self._apply_fonts()
        self._show_position(0, 0, 0)

    # ------------------------------------------------------------ seeking
    def _moved(self, iteration: int) -> None:
        """The user moved the slider (snapshots set it without signals): send now, or when the interval ends."""
        self._show_position(iteration, self.slider.minimum(), self._latest)
        self._wanted = iteration
        if not self._seek_timer.isActive():
            self._send_wanted()

    def _send_wanted(self) -> None:
        if self._wanted is None:
            return
        if self._wanted != self._sent:
            self._sent = self._wanted
            self.seekRequested.emit(self._wanted)
            self._seek_timer.start()     # the next position waits at least SEEK_INTERVAL_MS
        self._wanted = None

    def _released(self) -> None:
        """The position let go of is always sent, even if it was sent during the drag: the run may have moved."""
        self._seek_timer.stop()
        self._sent, self._wanted = None, self.slider.value()
        self._send_wanted()

    # ------------------------------------------------------------ the learning rate at a past iteration
    def request_learning_rate(self, alpha: float) -> None:
        """A new α from the configuration panel: at the newest iteration it applies at once; at a past one it
        would drop the later iterations, so it asks first."""
        if self._iteration >= self._latest:
            self.confirm_bar.hide()
            self._proposed_alpha = None
            self.learningRateConfirmed.emit(float(alpha))
            return
        self._proposed_alpha = float(alpha)
        self._describe_proposal()
        self.confirm_bar.show()

    def _describe_proposal(self) -> None:
        iteration, latest = self._iteration, self._latest
        dropped = (f"drops iterations {iteration + 1}–{latest}" if latest > iteration + 1
                   else f"drops iteration {latest}") if latest > iteration else "drops nothing"
        self.confirm_bar.text.setText(f"Changing α to <b>{self._proposed_alpha:g}</b> at iteration {iteration} "
                                      f"{dropped} — Apply / Cancel")

    def _apply(self) -> None:
        if self._proposed_alpha is not None:
            self.learningRateConfirmed.emit(self._proposed_alpha)
        self._proposed_alpha = None
        self.confirm_bar.hide()

    def cancel(self) -> None:
        self._proposed_alpha = None
        self.confirm_bar.hide()
        self.learningRateCancelled.emit()

    # ------------------------------------------------------------ rendering
    def show_snapshot(self, snapshot: Snapshot, frame: Frame = EVERYTHING) -> None:
        earliest, latest, iteration = snapshot.earliest, snapshot.latest, snapshot.iteration
        self._iteration, self._latest = iteration, latest
        if self._wanted is None and self._sent is not None and (iteration == self._sent or snapshot.playing):
            self._sent = None               # the worker has caught up with the user (or moved on: play stops seeks)
        dragging = self.slider.isSliderDown() or self._wanted is not None or self._sent is not None
        self.slider.blockSignals(True)
        self.slider.setRange(earliest, latest)
        if not dragging:
            self.slider.setValue(iteration)
        self.slider.blockSignals(False)
        if not dragging and frame.shows("numbers"):
            self._show_position(iteration, earliest, latest)
        if self._proposed_alpha is not None:
            self._describe_proposal()

    def _show_position(self, iteration: int, earliest: int, latest: int) -> None:
        behind = latest - iteration
        colour = theme.INK if behind == 0 else theme.BLUE
        steady_text(self.label, f"<span style='color:{colour}'>iteration <b>{iteration:,}</b></span> "
                                f"<span style='color:{theme.MUTED}'>of {latest:,}</span>")
        steady_text(self.range_label, f"rewind {earliest:,}–{latest:,}")
        self.slider.setAccessibleDescription(f"iteration {iteration} of {latest}")

    def seek_settled(self) -> None:
        """Forget a seek that will not be answered (it failed): snapshots move the slider again."""
        self._sent = self._wanted = None

    # ------------------------------------------------------------ presenter mode
    def _apply_fonts(self) -> None:
        size = self._point_size
        for widget in (self.caption, self.label, self.range_label, self.confirm_bar.text, self.confirm_bar.apply,
                       self.confirm_bar.cancel):
            widget.setFont(theme.font(size))
        for label in (self.label, self.range_label):
            unsteady(label)         # sized for the old font
        self.slider.setMinimumHeight(int(size * 2.2))
