"""The border between the window and the core: requests go in as signals, immutable snapshots come out.

The core (a Stepper) lives in a Worker (visualizer/worker.py) moved to its own QThread, so the UI thread never
trains. The Bridge lives in the UI thread and owns that thread: its methods send requests to the worker as queued
signals, its signals bring the worker's snapshots and messages back. Nothing outside these two modules touches
the worker; the only state the UI thread writes directly is one SharedFlags object.
"""
from __future__ import annotations

import math
from typing import Any, Mapping

from PyQt6.QtCore import QObject, QThread, QTimer, pyqtSignal

from core.config import TrainingConfig
from core.stepper import Stepper

from .pacing import Pacing
from .snapshot import Snapshot
from .splits import DataOptions
from .worker import SharedFlags, Worker

SPEEDS: tuple[int, ...] = (1, 2, 5, 10, 20, 50, 100, 0)   # iterations per second; 0 = as fast as possible
MAX_PENDING_STEPS = 4           # step presses beyond this many unanswered ones are refused, not queued


class Bridge(QObject):
    """Lives in the UI thread; owns the worker thread. Call its methods; connect to its signals."""

    snapshotReady = pyqtSignal(object)
    failed = pyqtSignal(str)
    diverged = pyqtSignal(str, int)
    unitsDied = pyqtSignal(str, int)        # message, the last iteration where a hidden unit was alive
    notice = pyqtSignal(str)
    busy = pyqtSignal(str)

    # requests, delivered to the worker thread (queued connections)
    _step = pyqtSignal(str)
    _play = pyqtSignal(int)
    _pause = pyqtSignal()
    _speed = pyqtSignal(int)
    _reset = pyqtSignal(object)
    _learning_rate = pyqtSignal(float)
    _seek = pyqtSignal(int)
    _example = pyqtSignal(str, int)
    _evaluation = pyqtSignal(bool)
    _load_data = pyqtSignal(str)
    _load_weights = pyqtSignal(str)
    _save_weights = pyqtSignal(str)
    _save_session = pyqtSignal(str, object)
    _load_session = pyqtSignal(str)
    _shutdown = pyqtSignal()
    _dev_size = pyqtSignal(int)
    _prepare = pyqtSignal()

    def __init__(self, stepper: Stepper, options: DataOptions = DataOptions(), parent: QObject | None = None,
                 pacing: Pacing | None = None):
        """pacing: the worker's (a test gives one its own clock or frame interval)."""
        super().__init__(parent)
        self.pending_steps = 0          # step requests sent and not yet answered
        self.accepted_steps = 0         # step requests sent to the worker (what tests compare the count with)
        self.refused_steps = 0
        self.playing = False
        self.latest: Snapshot | None = None
        # False: each snapshot counts as taken when it arrives. A window that shows snapshots at its own frame rate
        # sets it and calls frame_taken() at each frame: while playing, the worker then copies out one snapshot
        # per frame shown instead of one every SNAPSHOT_INTERVAL (each copy is time the training does not get).
        self.paced = False
        self.speed = 0                  # the speed the worker plays at (it says so when it changes)
        self._prepare_asked = False     # the worker asked to prepare the fast kernels (after the first snapshot)
        self.thread = QThread()
        self.thread.setObjectName("backpropWorker")
        self.flags = SharedFlags()
        self.worker = Worker(stepper, options, self.flags, pacing)
        self.worker.moveToThread(self.thread)
        w = self.worker
        for request, slot in ((self._step, w.step), (self._play, w.play_until), (self._pause, w.pause),
                              (self._speed, w.set_speed), (self._reset, w.reset),
                              (self._learning_rate, w.set_learning_rate), (self._seek, w.seek),
                              (self._example, w.select_example), (self._load_data, w.load_data),
                              (self._load_weights, w.load_weights), (self._save_weights, w.save_weights),
                              (self._shutdown, w.shutdown), (self._evaluation, w.set_evaluation),
                              (self._save_session, w.save_session), (self._load_session, w.load_session),
                              (self._prepare, w.prepare)):
            request.connect(slot)
        self._dev_size.connect(w.set_dev_size)
        w.snapshotReady.connect(self._received)
        w.stepAnswered.connect(self._answered)
        w.failed.connect(self.failed)
        w.diverged.connect(self.diverged)
        w.unitsDied.connect(self.unitsDied)
        w.notice.connect(self.notice)
        w.busy.connect(self.busy)
        w.speedSet.connect(self._speed_set)
        self.thread.started.connect(w.start)
        self.thread.start()

    def _received(self, snapshot: Snapshot) -> None:
        self.latest = snapshot
        self.playing = snapshot.playing
        if not self.paced:
            self.frame_taken()
        self.snapshotReady.emit(snapshot)
        if not self._prepare_asked:
            # Once the window has painted it (a queued call runs after the paint its update posted): numba's
            # import and cache load hold the interpreter for most of a second, which delayed the first paint.
            self._prepare_asked = True
            QTimer.singleShot(0, self._prepare.emit)

    def frame_taken(self) -> None:
        """The UI has taken the last snapshot: the worker may make the next one (a flag the GIL keeps whole)."""
        self.flags.frame_taken = True

    def _speed_set(self, speed: int) -> None:
        self.speed = speed

    def _answered(self) -> None:
        self.pending_steps = max(0, self.pending_steps - 1)

    # ------------------------------------------------------------ requests
    def step(self, kind: str) -> bool:
        """Send a step ("phase", "predict", "iteration" or "back"); refused (False) while too many are unanswered."""
        if self.pending_steps >= MAX_PENDING_STEPS or not self.thread.isRunning():
            self.refused_steps += 1
            return False
        self.pending_steps += 1
        self.accepted_steps += 1
        self.playing = False
        self._step.emit(kind)
        return True

    def play(self, until: int = -1) -> None:
        self.playing = True
        self._play.emit(until)

    def pause(self) -> None:
        self.playing = False
        self._pause.emit()

    def toggle_play(self) -> None:
        self.pause() if self.playing else self.play()

    def set_speed(self, iterations_per_second: int) -> None:
        self._speed.emit(iterations_per_second)

    def reset(self, config: TrainingConfig) -> None:
        self.playing = False
        self._reset.emit(config)

    def set_learning_rate(self, alpha: float) -> None:
        if math.isfinite(alpha) and alpha > 0:
            self._learning_rate.emit(float(alpha))

    def seek(self, iteration: int) -> None:
        self.playing = False
        self.flags.newest_seek = iteration
        self._seek.emit(iteration)

    def set_evaluation(self, on: bool) -> None:
        """Ask the worker to evaluate the dev set for the snapshots (while the evaluation panel is visible)."""
        self._evaluation.emit(bool(on))

    def select_example(self, subset: str, index: int) -> None:
        self._example.emit(subset, index)

    def load_data(self, spec: str) -> None:
        self.playing = False
        self._load_data.emit(spec)

    def load_weights(self, path: str) -> None:
        self.playing = False
        self._load_weights.emit(path)

    def set_dev_size(self, dev_size: int) -> None:
        """The same dataset split again with a dev set of dev_size (a smaller one if the file is small)."""
        self.playing = False
        self._dev_size.emit(int(dev_size))

    def save_weights(self, path: str) -> None:
        self._save_weights.emit(path)

    def save_session(self, path: str, more: Mapping[str, Any] | None = None) -> None:
        self._save_session.emit(path, dict(more or {}))

    def load_session(self, path: str) -> None:
        self.playing = False
        self._load_session.emit(path)

    def shutdown(self) -> None:
        """Stop playing, end the worker thread and wait for it (never terminate()); safe to call twice."""
        if self.thread.isRunning():
            self.flags.stopping = True      # read by a chunk in progress, so it ends early
            self._shutdown.emit()
            self.thread.wait()
