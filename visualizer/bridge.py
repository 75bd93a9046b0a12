"""The border between the window and the core: requests go in as signals, immutable snapshots come out.

The core (a Stepper) lives in a Worker moved to its own QThread, so the UI thread never trains. While playing,
the worker trains in short chunks driven by a QTimer(0) in its own thread, so a pause or any other request is
handled between two chunks, and it emits a snapshot every SNAPSHOT_INTERVAL seconds on average (the newest only);
visualizer/pacing.py decides when. Requests go to the worker as queued signals; the only state the UI thread
writes directly is one SharedFlags object. Nothing outside this module touches the worker.

The two threads share one interpreter, which the training thread needs between its NumPy calls and the UI thread
holds while it draws a frame (PyQt keeps it through every Qt call). At full speed a frame's snapshot is therefore
handed over as the next iteration's dW1 = 1/m · dZ1 · Xᵀ starts: the longest NumPy call of an iteration, which runs
without the interpreter, so the UI does its Python work for the frame while the training does not need it.
"""
from __future__ import annotations

import math
import sys
import traceback
import weakref
from dataclasses import asdict, replace

import numpy as np
from PyQt6.QtCore import QObject, QThread, QTimer, pyqtSignal, pyqtSlot

from core import checkpoints, data, network, session
from core.config import ConfigError, TrainingConfig
from core.options import adopt_weights
from core.stepper import Bookmark, Diverged, Stepper

from .failures import Refused, divergence_message, failure_message, guarded, last_good_iteration, one_line
from .pacing import SNAPSHOT_INTERVAL, Pacing
from .snapshot import Evaluation, ExampleSelection, Snapshot, evaluate, make_snapshot
from .splits import DataOptions, load_split, session_options, session_split_loader
from .views.config_panel import MAX_HIDDEN

SPEEDS: tuple[int, ...] = (1, 2, 5, 10, 20, 50, 100, 0)   # iterations per second; 0 = as fast as possible
RELEASE_PHASE = "dW1"           # at full speed a frame's snapshot is sent as this phase starts (see the docstring)
MAX_PENDING_STEPS = 4           # step presses beyond this many unanswered ones are refused, not queued
LAST_ITERATION = session.LARGEST_ITERATION     # the timeline is a 32-bit slider: no run goes past this iteration
__all__ = ["Bridge", "DataOptions", "LAST_ITERATION", "MAX_PENDING_STEPS", "RELEASE_PHASE", "Refused",
           "SNAPSHOT_INTERVAL", "SPEEDS", "SharedFlags", "Worker", "load_split"]


class SharedFlags:
    """The worker's state the UI thread writes directly; everything else reaches the worker as queued signals.

    Each is one plain attribute, written by one thread and read by the other: the interpreter lock keeps each read
    and write whole, and no decision needs two of them at once.
    """

    def __init__(self) -> None:
        self.stopping = False                   # UI → worker: the window closes; a chunk in progress ends early
        # UI → worker, reset by the worker: the UI has taken the last snapshot. While playing, the next one is made
        # only then, so no snapshot is copied out for a frame that will never show it (see Bridge.paced).
        self.frame_taken = True
        self.newest_seek: int | None = None     # UI → worker: older seeks still queued are skipped


class Worker(QObject):
    """Owns the Stepper; every slot runs in the worker thread."""

    snapshotReady = pyqtSignal(object)      # Snapshot
    stepAnswered = pyqtSignal()             # one per step request, taken or not
    failed = pyqtSignal(str)                # one line; the previous state is kept
    diverged = pyqtSignal(str, int)         # message, last good iteration
    notice = pyqtSignal(str)                # e.g. "Saved weights to …"
    busy = pyqtSignal(str)                  # "loading …" while a slow request runs, "" when done
    speedSet = pyqtSignal(int)              # the speed it plays at now
    stopped = pyqtSignal()

    def __init__(self, stepper: Stepper, options: DataOptions, flags: SharedFlags | None = None,
                 pacing: Pacing | None = None):
        super().__init__()
        self.stepper = stepper
        self.options = options
        self.flags = flags or SharedFlags()
        self.pacing = pacing or Pacing()
        self.selection = ExampleSelection()
        self.playing = False
        self.target: int | None = None         # play stops at this iteration (the --steps run)
        self._held: Snapshot | None = None      # made, to be sent as the next iteration's RELEASE_PHASE starts
        self._trained = False                   # an iteration since the last snapshot
        self._timer = QTimer(self)              # moves to the worker thread with its parent
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._play_chunk)
        self.evaluating = False                 # the evaluation panel is visible
        # (the stepper, the W1 array it was computed from, the evaluation): held, so no id() can be reused
        self._evaluated: tuple[weakref.ref | None, np.ndarray | None, Evaluation | None] = (None, None, None)
        self._evaluated_at = 0.0
        self._last_made: Snapshot | None = None     # shown again, paused, if a failure leaves no other to show
        # The stepper and its bookmark when the request or iteration in progress began: where a failure returns
        self._position: tuple[Stepper, Bookmark] | None = None

    # ------------------------------------------------------------ helpers
    def _snapshot(self, message: str | None = None, diverged: bool = False) -> Snapshot:
        """A snapshot of now (one held back is dropped: this one is newer), and the next frame's time."""
        self._held, self._trained = None, False
        self.pacing.frame_made()
        self.flags.frame_taken = False
        self._last_made = make_snapshot(self.stepper, self.selection, self.pacing.ms_per_iteration, self.playing,
                                        message, diverged, self._evaluation())
        return self._last_made

    def _emit(self, message: str | None = None, diverged: bool = False) -> None:
        self.snapshotReady.emit(self._snapshot(message, diverged))

    def _frame(self) -> None:
        """The snapshot of a frame while playing: held back for the next iteration's RELEASE_PHASE when that
        iteration follows at once (full speed) and takes less than a frame; otherwise sent now."""
        snapshot = self._snapshot()
        if self.pacing.holds_frame():
            self._held = snapshot
        else:
            self.snapshotReady.emit(snapshot)

    def _release(self, phase: str) -> None:
        """Called by the Stepper before each phase of an iteration: send the held snapshot as RELEASE_PHASE starts."""
        if phase == RELEASE_PHASE and self._held is not None:
            snapshot, self._held = self._held, None
            self.snapshotReady.emit(snapshot)

    def _timed_iteration(self) -> None:
        self._check_room()
        self.note_position()
        self.pacing.timed(lambda: self.stepper.step_iteration(self._release if self._held is not None else None))
        self._trained = True

    def note_position(self) -> None:
        """Where a request, or an iteration of play, begins: recover() returns there if it fails."""
        self._position = (self.stepper, self.stepper.bookmark())

    def _check_room(self) -> None:
        """The next update would take the run past what the timeline can show: refuse it."""
        if self.stepper.iteration >= LAST_ITERATION:
            raise Refused(f"Iteration {LAST_ITERATION:,} is the last one the timeline can hold: the run stops here "
                          "(step back, or reset to start again).")

    def recover(self, error: Exception, what: str) -> None:
        """What a guarded slot raised: stop playing, put the run back where the request (or the iteration in
        progress) began, show it paused, and say what failed in one line. The traceback still goes to stderr,
        for a bug report."""
        if not isinstance(error, Refused) and sys.stderr is not None:
            traceback.print_exception(error, file=sys.stderr)
        self._stop_playing()
        self.busy.emit("")
        stepper, bookmark = self._position or (None, None)
        try:
            if stepper is self.stepper:
                stepper.restore(bookmark)
            self._emit()
        except Exception:                   # noqa: BLE001 — the failure lasts: show the last snapshot made, paused
            if self._last_made is not None:
                self.snapshotReady.emit(replace(self._last_made, playing=False))
        self.failed.emit(failure_message(error, what))

    def _diverged(self, error: Diverged) -> None:
        self._stop_playing()
        good = last_good_iteration(error, self.stepper.history.earliest)
        message = divergence_message(error, good)
        self._emit(message, diverged=True)
        self.diverged.emit(message, good)

    def _evaluation(self) -> Evaluation | None:
        """The dev-set evaluation of the parameters shown, if the panel is open; while playing, at most every
        EVALUATION_INTERVAL (the previous one, which names its iteration, stands in between)."""
        if not self.evaluating:
            return None
        stepper, W1 = self.stepper, self.stepper.params["W1"]
        cached_stepper, cached_W1, cached = self._evaluated
        if cached_stepper is not None and cached_stepper() is stepper:
            if cached_W1 is W1 or (self.playing and self.pacing.evaluation_fresh(self._evaluated_at)):
                return cached
        evaluation = evaluate(stepper)
        self._evaluated, self._evaluated_at = (weakref.ref(stepper), W1, evaluation), self.pacing.clock()
        return evaluation

    def _stop_playing(self) -> None:
        self.playing = False
        self._held = None
        self.target = None
        self._timer.stop()

    def _refused(self, error: BaseException, was_playing: bool) -> None:
        """A request that could not be carried out changed nothing, but it stopped the playing: show the run
        paused (else the window would go on saying it plays), then the reason."""
        if was_playing:
            self._emit()
        self.failed.emit(one_line(error))

    def _replace_stepper(self, stepper: Stepper) -> None:
        self._stop_playing()
        self.stepper = stepper
        self.pacing.ms_per_iteration = None

    # ------------------------------------------------------------ requests
    @pyqtSlot()
    @guarded("Starting")
    def start(self) -> None:
        self._emit()

    @pyqtSlot(str)
    @guarded("Stepping")
    def step(self, kind: str) -> None:
        """kind is "phase", "iteration" or "back"; a step while playing pauses first."""
        try:
            if self.flags.stopping:
                return
            self._stop_playing()
            if kind == "phase":
                if self.stepper.next_phase == "update":
                    self._check_room()
                self.stepper.step_phase()
            elif kind == "iteration":
                self._timed_iteration()
            else:
                self.stepper.step_back_phase()
            self._emit()
        except Diverged as error:
            self._diverged(error)
        finally:
            self.stepAnswered.emit()

    @pyqtSlot()
    @guarded("Playing")
    def play(self) -> None:
        self.play_until(-1)

    @pyqtSlot(int)
    @guarded("Playing")
    def play_until(self, target: int) -> None:
        """Play; a target ≥ 0 stops exactly at that iteration."""
        if self.flags.stopping:
            return
        self.target = target if target >= 0 else None
        if self.target is not None and self.stepper.iteration >= self.target and self.stepper.phases_done == 0:
            self._stop_playing()
            self._emit()
            return
        self.playing = True
        self.pacing.start(self.pacing.speed)
        self._timer.setInterval(self.pacing.timer_ms())
        self._timer.start()
        self._emit()

    @pyqtSlot()
    @guarded("Pausing")
    def pause(self) -> None:
        if self.playing:
            self._stop_playing()
            self._emit()

    @pyqtSlot(int)
    @guarded("Changing the speed")
    def set_speed(self, iterations_per_second: int) -> None:
        self.pacing.speed = max(0, iterations_per_second)
        self.speedSet.emit(self.pacing.speed)
        if self.playing:
            self.play_until(self.target if self.target is not None else -1)

    @pyqtSlot()
    @guarded("Playing")
    def _play_chunk(self) -> None:
        if not self.playing or self.flags.stopping:
            self._timer.stop()
            return

        def stop() -> bool:
            return self.flags.stopping or (self.target is not None and self.stepper.iteration >= self.target)

        def after() -> None:
            if self._snapshot_due():        # as soon as the UI wants one, not at the end of the chunk
                self._frame()
        try:
            self.pacing.chunk(self._timed_iteration, stop, after)
        except Diverged as error:
            self._diverged(error)
            return
        if self.target is not None and self.stepper.iteration >= self.target:
            self._stop_playing()
            self._emit()
        elif self._snapshot_due():
            self._frame()

    def _snapshot_due(self) -> bool:
        """The UI has taken the last snapshot, there is something new, and the next frame's time has come (frames
        then come every SNAPSHOT_INTERVAL on average, whatever an iteration takes: see pacing.py)."""
        return self.flags.frame_taken and self._trained and self.pacing.frame_due()

    @pyqtSlot(object)
    @guarded("Reset")
    def reset(self, config: TrainingConfig) -> None:
        """Back to iteration 0 with a (possibly new) configuration, on the same data."""
        try:
            stepper = Stepper(self.stepper.split, config)
        except (ConfigError, ValueError) as error:
            self.failed.emit(one_line(error))
            return
        self._replace_stepper(stepper)
        self._emit()

    @pyqtSlot(float)
    @guarded("Changing the learning rate")
    def set_learning_rate(self, alpha: float) -> None:
        try:
            self.stepper.set_alpha(alpha)
        except ValueError as error:
            self.failed.emit(one_line(error))
            return
        self._emit()

    @pyqtSlot(int)
    @guarded("Going to an iteration")
    def seek(self, iteration: int) -> None:
        if self.flags.newest_seek is not None and iteration != self.flags.newest_seek:
            return      # a newer position is queued behind this one (the timeline is being dragged)
        was_playing = self.playing
        self._stop_playing()
        try:
            self.stepper.seek(iteration)
        except (IndexError, Diverged) as error:
            self._refused(error, was_playing)
            return
        self._emit()

    @pyqtSlot(bool)
    @guarded("The evaluation")
    def set_evaluation(self, on: bool) -> None:
        """Evaluate the dev set for every snapshot (at most every EVALUATION_INTERVAL while playing), or stop."""
        self.evaluating = on
        if on and not self.playing:
            self._emit()

    @pyqtSlot(str, int)
    @guarded("Choosing an example")
    def select_example(self, subset: str, index: int) -> None:
        self.selection = ExampleSelection(subset, index)
        self._emit()

    @pyqtSlot(str)
    @guarded("Opening the dataset")
    def load_data(self, spec: str) -> None:
        """A new dataset, trained from iteration 0 with the current configuration; on error nothing changes."""
        was_playing = self.playing
        self._stop_playing()
        self.busy.emit(f"loading {spec} …")
        try:
            split = load_split(spec, self.options, self.stepper.config.dtype)
            stepper = Stepper(split, self.stepper.config)
        except (data.DataError, OSError, ValueError) as error:
            self._refused(error, was_playing)
            return
        finally:
            self.busy.emit("")
        self._replace_stepper(stepper)
        self.selection = ExampleSelection()
        self._emit()
        self.notice.emit(f"Loaded {split.name}: {split.train_size:,} training and {split.dev_size:,} dev examples")

    @pyqtSlot(str)
    @guarded("Opening the weights")
    def load_weights(self, path: str) -> None:
        """Start from a weights file. A file with another hidden width is adopted: the run restarts with its H."""
        was_playing = self.playing
        self._stop_playing()
        try:
            params, _, hidden, activation, _ = adopt_weights(path, dtype=self.stepper.config.dtype,
                                                            largest_hidden=MAX_HIDDEN)
            config = self.stepper.config.with_changes(hidden=hidden,
                                                      activation=activation or self.stepper.config.activation)
            stepper = Stepper(self.stepper.split, config, params)
        except (checkpoints.CheckpointError, network.ShapeError, ConfigError, OSError, ValueError) as error:
            self._refused(error, was_playing)
            return
        self._replace_stepper(stepper)
        self._emit()
        self.notice.emit(f"Loaded weights from {path} (hidden width {config.hidden}, {config.activation})")

    @pyqtSlot(str)
    @guarded("Saving the weights")
    def save_weights(self, path: str) -> None:
        stepper = self.stepper
        meta = {**stepper.config.as_dict(), "alpha": stepper.alpha, "iteration": stepper.iteration,
                "dataset": stepper.split.name, "train_size": stepper.train_size}
        try:
            checkpoints.save_weights(path, stepper.params, meta)
        except (checkpoints.CheckpointError, OSError, ValueError) as error:
            self.failed.emit(one_line(error))
            return
        self.notice.emit(f"Saved the weights of iteration {stepper.iteration} to {path}")

    @pyqtSlot(str)
    @guarded("Saving the session")
    def save_session(self, path: str) -> None:
        """The whole run to one file: states, curves, schedule, position, dataset and split options."""
        stepper = self.stepper
        extra = {"data_options": asdict(self.options),
                 "selection": {"subset": self.selection.subset, "index": self.selection.index}}
        try:
            meta = session.save_session(path, stepper, data.lasting_spec(stepper.split.name), extra)
        except (checkpoints.CheckpointError, OSError, ValueError) as error:
            self.failed.emit(one_line(error))
            return
        self.notice.emit(f"Saved the session at iteration {stepper.iteration} to {path} "
                         f"(it can step back to iteration {meta['rewindable_from']})")

    @pyqtSlot(str)
    @guarded("Opening the session")
    def load_session(self, path: str) -> None:
        """Continue a saved run where it stopped, on its own data; on error nothing changes."""
        was_playing = self.playing
        self._stop_playing()
        self.busy.emit(f"opening {path} …")
        try:
            stepper, meta = session.load_session(path, session_split_loader, largest_hidden=MAX_HIDDEN)
        except (checkpoints.CheckpointError, data.DataError, OSError, ValueError) as error:
            self._refused(error, was_playing)
            return
        finally:
            self.busy.emit("")
        self._replace_stepper(stepper)
        self.options = session_options(meta["extra"])
        selection = meta["extra"].get("selection")
        try:
            self.selection = ExampleSelection(str(selection["subset"]), int(selection["index"]))
        except (TypeError, KeyError, ValueError):
            self.selection = ExampleSelection()
        self._emit()
        self.notice.emit(f"Opened the session {path}: iteration {stepper.iteration} on {stepper.split.name}, "
                         f"which can step back to iteration {stepper.history.earliest}")

    @pyqtSlot()
    def shutdown(self) -> None:
        """Stop the timer in its own thread, then end the thread's event loop."""
        self.flags.stopping = True
        self._stop_playing()
        self.stopped.emit()
        thread = QThread.currentThread()
        if thread is not None:
            thread.quit()


class Bridge(QObject):
    """Lives in the UI thread; owns the worker thread. Call its methods; connect to its signals."""

    snapshotReady = pyqtSignal(object)
    failed = pyqtSignal(str)
    diverged = pyqtSignal(str, int)
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
    _save_session = pyqtSignal(str)
    _load_session = pyqtSignal(str)
    _shutdown = pyqtSignal()

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
                              (self._save_session, w.save_session), (self._load_session, w.load_session)):
            request.connect(slot)
        w.snapshotReady.connect(self._received)
        w.stepAnswered.connect(self._answered)
        w.failed.connect(self.failed)
        w.diverged.connect(self.diverged)
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

    def frame_taken(self) -> None:
        """The UI has taken the last snapshot: the worker may make the next one (a flag the GIL keeps whole)."""
        self.flags.frame_taken = True

    def _speed_set(self, speed: int) -> None:
        self.speed = speed

    def _answered(self) -> None:
        self.pending_steps = max(0, self.pending_steps - 1)

    # ------------------------------------------------------------ requests
    def step(self, kind: str) -> bool:
        """Send a step ("phase", "iteration" or "back"); refused (False) while too many are unanswered."""
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

    def save_weights(self, path: str) -> None:
        self._save_weights.emit(path)

    def save_session(self, path: str) -> None:
        self._save_session.emit(path)

    def load_session(self, path: str) -> None:
        self.playing = False
        self._load_session.emit(path)

    def shutdown(self) -> None:
        """Stop playing, end the worker thread and wait for it (never terminate()); safe to call twice."""
        if self.thread.isRunning():
            self.flags.stopping = True      # read by a chunk in progress, so it ends early
            self._shutdown.emit()
            self.thread.wait()
