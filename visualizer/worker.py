"""The worker: the core (a Stepper) in a thread of its own, behind the Bridge (visualizer/bridge.py), the only
module that talks to it. Every slot runs in the worker thread; requests arrive as queued signals, snapshots leave
as signals, and the only state the UI thread writes directly is one SharedFlags object.

While playing, the worker trains in short chunks driven by a QTimer(0) in its own thread, so a pause or any other
request is handled between two chunks, and it emits a snapshot every SNAPSHOT_INTERVAL seconds on average (the
newest only); visualizer/pacing.py decides when. The two threads share one interpreter, which the training thread
needs between its NumPy calls and the UI thread holds while it draws a frame (PyQt keeps it through every Qt call).
At full speed a frame's snapshot is therefore handed over as the next iteration's dW1 = 1/m · dZ1 · Xᵀ starts: the
longest NumPy call of an iteration, which runs without the interpreter, so the UI does its Python work for the
frame while the training does not need it.
"""
from __future__ import annotations

import sys
import traceback
import weakref
from dataclasses import asdict, replace
from typing import Any, Mapping

import numpy as np
from PyQt6.QtCore import QObject, QThread, QTimer, pyqtSignal, pyqtSlot

from core import checkpoints, data, network, session
from core.config import ConfigError, TrainingConfig
from core.dead_units import DeadUnits, dead_message
from core.options import adopt_weights
from core.stepper import Bookmark, Diverged, Stepper
from core.training import PREPARING, prepare_kernels

from .failures import Refused, divergence_message, failure_message, guarded, last_good_iteration, one_line
from .pacing import Pacing
from .questions import with_question
from .snapshot import Evaluation, ExampleSelection, Snapshot, evaluate, make_snapshot
from .splits import DataOptions, dev_note, load_split, session_options, session_split_loader
from .views.config_panel import MAX_HIDDEN

RELEASE_PHASE = "dW1"           # at full speed a frame's snapshot is sent as this phase starts (see above)
LAST_ITERATION = session.LARGEST_ITERATION     # the timeline is a 32-bit slider: no run goes past this iteration



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
    unitsDied = pyqtSignal(str, int)        # message, the last iteration where a hidden unit was alive
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
        self.dead_units = DeadUnits()           # every ReLU unit silent, iteration after iteration
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

    def _emit(self, message: str | None = None, diverged: bool = False, asked: bool = False) -> None:
        """asked: predict mode's step, the snapshot carries a question about the phase it computed."""
        snapshot = self._snapshot(message, diverged)
        self.snapshotReady.emit(with_question(snapshot) if asked else snapshot)

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
        self._watch_units()

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

    def _watch_units(self) -> None:
        """After an update: say so once when the hidden units have all been dead for a few iterations."""
        stepper = self.stepper
        if stepper.phase == "update" and "A1" in stepper.arrays and \
                self.dead_units.observe(stepper.iteration - 1, stepper.arrays["A1"]):
            alive = self.dead_units.last_alive if self.dead_units.last_alive is not None else stepper.history.earliest
            self.unitsDied.emit(dead_message(stepper.alpha, self.dead_units.dead_since, alive),
                                max(alive, stepper.history.earliest))

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
        self.dead_units.forget()
        self.pacing.ms_per_iteration = None

    # ------------------------------------------------------------ requests
    @pyqtSlot()
    @guarded("Starting")
    def start(self) -> None:
        self._emit()

    @pyqtSlot()
    @guarded("Preparing the fast kernels")
    def prepare(self) -> None:
        """Asked by the bridge once the window has painted the first snapshot (see _prepare)."""
        self._prepare()

    def _prepare(self) -> None:
        """Once a new run's first snapshot is out: compile the fast kernels (the first time in this process) and
        make the run's X as they read it, so that the first step does not wait for either. numba compiles for
        about half a minute at the first start after installing (later starts load its disk cache in a second):
        the window then says so, and a step asked meanwhile runs as soon as they are ready."""
        if not self.flags.stopping:
            prepare_kernels(self.stepper.backend, lambda slow: self.busy.emit(PREPARING if slow else ""))
            self.stepper.data.prepare()

    @pyqtSlot(str)
    @guarded("Stepping")
    def step(self, kind: str) -> None:
        """kind is "phase", "predict" (a phase and a question about it), "iteration" or "back"; a step while
        playing pauses first."""
        try:
            if self.flags.stopping:
                return
            self._stop_playing()
            if kind in ("phase", "predict"):
                if self.stepper.next_phase == "update":
                    self._check_room()
                self.stepper.step_phase()
                self._watch_units()
            elif kind == "iteration":
                self._timed_iteration()
            else:
                self.stepper.step_back_phase()
                self.dead_units.forget()
            self._emit(asked=kind == "predict")
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
        self.dead_units.forget()
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
        note = dev_note(split, self.options)
        self.notice.emit(note or f"Loaded {split.name}: {split.train_size:,} training and {split.dev_size:,} dev "
                                 f"examples")
        self._prepare()

    @pyqtSlot(int)
    @guarded("Changing the dev set")
    def set_dev_size(self, dev_size: int) -> None:
        """Split the dataset again with another dev set (from iteration 0, as a new dataset would)."""
        options = replace(self.options, dev_size=max(0, int(dev_size)))
        was_playing = self.playing
        self._stop_playing()
        try:
            split = load_split(self.stepper.split.name, options, self.stepper.config.dtype)
            stepper = Stepper(split, self.stepper.config)
        except (data.DataError, OSError, ValueError) as error:
            self._refused(error, was_playing)
            return
        self.options = options
        self._replace_stepper(stepper)
        self._emit()
        self.notice.emit(dev_note(split, options) or f"{split.dev_size:,} dev and {split.train_size:,} training "
                                                     f"examples")
        self._prepare()

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

    @pyqtSlot(str, object)
    @guarded("Saving the session")
    def save_session(self, path: str, more: Mapping[str, Any] | None = None) -> None:
        """The whole run to one file: states, curves, schedule, position, dataset and split options, and more
        settings of the window's (JSON: a lesson's text)."""
        stepper = self.stepper
        extra = {**(more or {}), "data_options": asdict(self.options),
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
        self._prepare()

    @pyqtSlot()
    def shutdown(self) -> None:
        """Stop the timer in its own thread, then end the thread's event loop."""
        self.flags.stopping = True
        self._stop_playing()
        self.stopped.emit()
        thread = QThread.currentThread()
        if thread is not None:
            thread.quit()
