"""How a lesson step drives the network to what it teaches, one request per snapshot; and which step teaches the
phase the network is at, so that the lesson follows when the network is stepped by hand. No Qt: the lesson panel
sends the requests this returns and shows the status it says.

A step's phase says where it wants the network:
    none                nowhere: the step talks about the data or the parameters
    Z1 … update         right after that phase, at the position nearest the one shown
    loop                trains (plays, so the curves move) at least LOOP_ITERATIONS iterations and on until the
                        network reads digits (dev accuracy LOOP_ACCURACY), at most LOOP_LIMIT iterations
    predict, mistake    a dev example the network gets right (wrong), through the forward pass to A2
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np

from core import network
from core.data import Split

from .snapshot import Snapshot

LOOP_ITERATIONS = 200
LOOP_ACCURACY = 0.8
LOOP_LIMIT = 1000
PREDICT_PHASE = "A2"            # a prediction is the forward pass: the lesson shows it by computing up to A2
TAUGHT: dict[str, str] = {"loop": "update", "predict": PREDICT_PHASE, "mistake": PREDICT_PHASE}
EXAMPLES = {"predict": "right", "mistake": "wrong"}
STEPS = ("phase", "back", "iteration", "predict")       # requests that move the network by one step
EXAMPLES_LOOKED_AT = 1000       # a predict step looks for its example among this many
CONFIDENT = 0.9                 # the example a predict step shows right is read with at least this probability


@dataclass(frozen=True)
class Request:
    """What the lesson asks of the network: a step ("phase", "predict", "back", "iteration"), "play" until an
    iteration, "pause", "find" an example ("right" or "wrong"), or "select" one ((subset, index))."""
    kind: str
    value: object = None


def position(snapshot: Snapshot) -> int:
    """Phases computed since the start: the update of iteration i ends at (i + 1)·11, with phases_done back at 0."""
    return snapshot.iteration * len(network.PHASES) + snapshot.phases_done


def phase_position(phase: str, here: int, forward: bool) -> int:
    """The position right after phase is computed that lies nearest to here (ties go the way the lesson moves)."""
    count = len(network.PHASES)
    offset = network.PHASES.index(phase) + 1         # a position just after phase is i·11 + offset, i ≥ 0
    below = here - (here - offset) % count
    candidates = [p for p in (below, below + count) if p >= offset]
    return min(candidates, key=lambda p: (abs(p - here), p < here if forward else p > here))


def teaches(step_phase: str | None, network_phase: str | None) -> bool:
    """Whether a step of this phase teaches what the network shows after network_phase (None: nothing yet)."""
    if step_phase is None:
        return network_phase is None
    return TAUGHT.get(step_phase, step_phase) == network_phase


class Driver:
    """The goal of the step on screen and the one request in flight."""

    def __init__(self) -> None:
        self.goal: tuple | None = None      # ("position", p), ("play", minimum, limit), ("example", kind),
        #                                     ("shown", subset, index)
        self.pending: str | None = None     # a step chosen before any snapshot: its phase, set at the next one
        self.forward = True
        self.asks = False                   # predict mode: the last phase step towards a position asks
        self._in_flight: tuple[str, int] | None = None     # (kind, position when sent)
        self._play_started = False
        self._pause_sent = False
        self._find_sent = False

    @property
    def driving(self) -> bool:
        return self.goal is not None or self.pending is not None or self._in_flight is not None

    @property
    def waiting(self) -> bool:
        """A request is in flight: its answer starts the next one."""
        return self._in_flight is not None

    def stop(self) -> None:
        self.goal, self.pending, self._in_flight = None, None, None

    def choose(self, phase: str | None, forward: bool) -> None:
        """A new step is on screen: its goal is set from the next snapshot (or the current one, via resume)."""
        self.forward = forward
        self.goal = None
        self.pending = phase

    def found(self, subset: str | None, index: int = 0) -> list[Request]:
        """The example a predict step asked for (subset None: there is none): select it, or go on with the one
        shown (then the caller hands on_snapshot the snapshot on screen again)."""
        if self.goal is None or self.goal[0] != "example":
            return []
        if subset is None:
            self.goal = ("position-pending",)
            return []
        self.goal = ("shown", subset, index)
        self._in_flight = ("select", -1)
        return [Request("select", (subset, index))]

    def on_snapshot(self, snapshot: Snapshot) -> tuple[list[Request], str | None]:
        """The requests this snapshot calls for, and the status to show (None: leave it)."""
        here = position(snapshot)
        if self._in_flight is not None:
            kind, sent_at = self._in_flight
            self._in_flight = None
            if kind in STEPS and here == sent_at and self.goal is not None and self.goal[0] == "position":
                self.goal = None        # nothing moved: going on would ask forever
                return [], "The network cannot go further this way (the start of the history)."
        if self.pending is not None:
            phase, self.pending = self.pending, None
            self._set_goal(phase, snapshot)
        if self.goal is None:
            return [], None
        kind = self.goal[0]
        if kind == "play":
            return self._play(snapshot)
        if snapshot.playing or snapshot.diverged:
            self.goal = None           # the user took over, or the run broke: the lesson stops stepping
            return [], "Stopped: the network is playing or the run diverged."
        if kind == "example":
            if self._find_sent:
                return [], None
            self._find_sent = True
            return [Request("find", self.goal[1])], f"Looking for a dev example the network gets {self.goal[1]}…"
        if kind == "shown":
            _, subset, index = self.goal
            if (snapshot.example.subset, snapshot.example.index) != (subset, index):
                return [], None
            self.goal = ("position-pending",)
        if self.goal[0] == "position-pending":
            self.goal = ("position", phase_position(PREDICT_PHASE, here, True))
        return self._step(snapshot)

    # ------------------------------------------------------------ goals
    def _set_goal(self, phase: str | None, snapshot: Snapshot) -> None:
        here = position(snapshot)
        if phase is None:
            self.goal = None
        elif phase == "loop" and self.forward:
            start = snapshot.iteration
            self.goal = ("play", start + LOOP_ITERATIONS, start + LOOP_LIMIT)
            self._play_started = self._pause_sent = False
        elif phase in EXAMPLES and self.forward:
            self.goal = ("example", EXAMPLES[phase])
            self._find_sent = False
        else:
            # Going back into the loop step means going back to where the loop ended: after an update.
            self.goal = ("position", phase_position(TAUGHT.get(phase, phase), here, self.forward))

    def _step(self, snapshot: Snapshot) -> tuple[list[Request], str | None]:
        _, target = self.goal
        here = position(snapshot)
        if here == target:
            self.goal = None
            return [], arrived_text(snapshot)
        kind = "phase" if here < target else "back"
        if kind == "phase" and self.asks and here + 1 == target:
            kind = "predict"            # predict mode: the phase the step teaches is asked about first
        self._in_flight = (kind, here)
        return [Request(kind)], "Computing…"

    def _play(self, snapshot: Snapshot) -> tuple[list[Request], str | None]:
        _, minimum, limit = self.goal
        if not self._play_started:
            self._play_started = True
            return [Request("play", limit)], f"Training until the network reads digits (iteration {limit} at most)…"
        if snapshot.playing:
            reads = snapshot.dev_accuracy is None or snapshot.dev_accuracy >= LOOP_ACCURACY
            if snapshot.iteration >= minimum and reads and not self._pause_sent:
                self._pause_sent = True
                return [Request("pause")], None
            return [], f"Training: iteration {snapshot.iteration}{accuracy_text(snapshot)}"
        self.goal = None
        if snapshot.iteration >= minimum:
            return [], f"Trained to iteration {snapshot.iteration}{accuracy_text(snapshot)}."
        return [], (f"Stopped at iteration {snapshot.iteration}, before the network reads digits: "
                    f"press ▶ Play, or Next and Previous to train again.")


def accuracy_text(snapshot: Snapshot) -> str:
    if snapshot.dev_accuracy is None:
        return ""
    return f" · dev accuracy {snapshot.dev_accuracy:.0%}"


def arrived_text(snapshot: Snapshot) -> str:
    """The phase on screen, numbered as the header and the status bar number it (iteration = updates so far)."""
    phase = snapshot.phase
    if phase is None:
        return "Nothing computed yet."
    return f"Computed: {phase} · iteration {snapshot.iteration}."


def find_example(split: Split, params: Mapping[str, np.ndarray], activation: str, kind: str
                 ) -> tuple[str, int] | None:
    """A dev example (training, without a dev set) the network gets right ("right": a confident one) or wrong
    ("wrong": preferably a near miss, the true class second); None when there is none. In a job: a forward pass
    over up to EXAMPLES_LOOKED_AT examples."""
    if split.dev_size:
        subset, X, labels = "dev", split.X_dev, split.labels_dev
    else:
        subset, X, labels = "train", split.X_train, split.labels_train
    count = min(EXAMPLES_LOOKED_AT, labels.size)
    with np.errstate(all="ignore"):
        A2 = network.forward(params, X[:, :count].astype(params["W1"].dtype), activation)[3]
    A2 = np.nan_to_num(A2, nan=0.0)
    labels = labels[:count]
    predicted = A2.argmax(axis=0)
    confidence = A2.max(axis=0)
    if kind == "right":
        right = np.flatnonzero(predicted == labels)
        if not right.size:
            return None
        sure = right[confidence[right] >= CONFIDENT]
        return subset, int(sure[0] if sure.size else right[np.argmax(confidence[right])])
    wrong = np.flatnonzero(predicted != labels)
    if not wrong.size:
        return None
    second = np.argsort(-A2, axis=0, kind="stable")[1]
    near = wrong[second[wrong] == labels[wrong]]
    chosen = near if near.size else wrong
    return subset, int(chosen[np.argmax(confidence[chosen])])
