"""Immutable snapshots: everything a view may show, built by the worker and never mutated afterwards.

Views receive a Snapshot through `show_snapshot(snapshot)` and read only from it. Every array in it is
either a fresh copy or a read-only array the core never mutates again, so it is safe in the UI thread. It also
carries, as references and not copies, what a background job starts from (the split, the training state, the
run's first parameters): nothing outside visualizer/bridge.py reads the worker.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Mapping

import numpy as np

from core import network
from core.config import TrainingConfig
from core.data import Split
from core.history import TrainingState
from core.predict import Question
from core.stepper import PhaseRecord, Stepper

CURVE_POINTS = 2000  # curves are downsampled to at most this many points per snapshot (and the last one)
MISTAKES_SHOWN = 24  # the evaluation keeps this many misclassified dev examples, most confident first


@dataclass(frozen=True)
class ExampleSelection:
    subset: str = "train"   # "train" or "dev"
    index: int = 0


@dataclass(frozen=True)
class ExampleView:
    """The selected example pushed through the current parameters (one column of the network)."""
    subset: str
    index: int                  # index within its subset (column of X_train or X_dev)
    count: int                  # size of the subset
    label: int
    pixels: np.ndarray          # (784,) the column of X, values in [0, 1]
    z1: np.ndarray              # (H,)
    a1: np.ndarray              # (H,)
    z2: np.ndarray              # (10,)
    a2: np.ndarray              # (10,) softmax probabilities
    prediction: int
    column: int | None          # its column in the current phase record's arrays, None if not in the batch


@dataclass(frozen=True)
class Curves:
    iterations: np.ndarray      # x values (iteration numbers), downsampled
    loss: np.ndarray
    train_accuracy: np.ndarray
    dev_accuracy: np.ndarray    # NaN where there is no dev set


@dataclass(frozen=True)
class Evaluation:
    """The whole dev set pushed through the parameters of one iteration: what the network gets right and wrong."""
    iteration: int              # the parameters after this many updates
    confusion: np.ndarray       # (classes, classes) counts: row = true class, column = predicted class
    accuracy: float             # trace(confusion) / dev size
    mistake_count: int          # misclassified dev examples in all
    mistakes: np.ndarray        # (k,) dev indices of the k ≤ MISTAKES_SHOWN most confident mistakes, most first
    mistake_labels: np.ndarray  # (k,) their true classes
    mistake_predictions: np.ndarray  # (k,) the classes predicted for them
    mistake_confidences: np.ndarray  # (k,) softmax probability of the predicted class
    mistake_pixels: np.ndarray  # (k, 784) their images, values in [0, 1]


@dataclass(frozen=True)
class Snapshot:
    iteration: int              # completed iterations (updates applied)
    phases_done: int            # phases of the next iteration already computed, 0–10
    phase: str | None           # the last phase computed (None before the first)
    next_phase: str
    record: PhaseRecord | None  # what the last phase read and wrote
    params: Mapping[str, np.ndarray]
    config: TrainingConfig
    alpha: float
    earliest: int               # the rewindable range of the timeline
    latest: int
    curves: Curves
    example: ExampleView
    dataset_name: str
    train_size: int
    dev_size: int
    class_names: tuple[str, ...]
    loss: float | None          # of the last completed iteration
    train_accuracy: float | None
    dev_accuracy: float | None
    ms_per_iteration: float | None
    playing: bool = False
    # Every array computed so far in the iteration shown (X, Y, Z1 … db1), read-only: lets a view keep
    # showing, say, A1 of the batch while the phase on screen is a later one.
    arrays: Mapping[str, np.ndarray] = field(default_factory=lambda: MappingProxyType({}))
    message: str | None = None  # a notice to show (divergence, a file that could not be opened)
    diverged: bool = False
    evaluation: Evaluation | None = None    # computed only while someone looks at it; None without a dev set
    # Read-only references for the jobs that train beside the run (the bug lab, the race, the what-if's
    # measurements, the GIF export): the split it trains on (replaced, never changed, by a new dataset), its state
    # at this iteration (immutable, replaced at each update), and its parameters at iteration 0 (None once a long
    # run has let them go).
    split: Split | None = None
    state: TrainingState | None = None
    initial_params: Mapping[str, np.ndarray] | None = None
    # At the update: the state it started from (its optimizer memory explains the rule; None when the history no
    # longer holds it) and the α it used. Predict mode: the question about the phase this snapshot reveals,
    # made by the worker (visualizer/questions.py); the window holds the snapshot back until it is answered.
    update_state: TrainingState | None = None
    update_alpha: float | None = None
    question: Question | None = None


def _downsample(length: int) -> np.ndarray:
    """Every stride-th iteration and the last one, the stride the smallest power of two that keeps the points within
    CURVE_POINTS (+ 1 for the last): as the curves grow, the points already sent stay the same until the stride
    doubles, so the view redraws only the new end of each curve (views/curves.Curve). The history thins a long
    run's old points to a power-of-two stride of at most this one (core/history.THINNED_POINTS ≥ CURVE_POINTS), so
    every point asked for is one it holds."""
    stride = 1
    while (length + stride - 1) // stride > CURVE_POINTS:
        stride *= 2
    points = np.arange(0, length, stride)
    if length and points[-1] != length - 1:
        points = np.append(points, length - 1)
    return points


def example_view(stepper: Stepper, selection: ExampleSelection) -> ExampleView:
    split = stepper.split
    X = split.X_dev if selection.subset == "dev" and split.dev_size else split.X_train
    labels = split.labels_dev if X is split.X_dev else split.labels_train
    subset = "dev" if X is split.X_dev else "train"
    index = int(np.clip(selection.index, 0, X.shape[1] - 1))
    x = np.array(X[:, index:index + 1], dtype=stepper.dtype)
    with np.errstate(all="ignore"):
        Z1, A1, Z2, A2 = network.forward(stepper.params, x, stepper.config.activation)
    if not all(np.isfinite(a).all() for a in (Z1, A1, Z2, A2)):
        # Huge (but finite) weights near divergence can overflow for one example: show the
        # saturated values instead of handing a view a NaN.
        Z1, A1, Z2 = (np.nan_to_num(a, nan=0.0) for a in (Z1, A1, Z2))
        A2 = network.softmax(np.clip(Z2.astype(np.float64), -1e300, 1e300)).astype(Z2.dtype)
    column = None
    if subset == "train":
        batch = stepper.batch_indices(stepper.record.iteration if stepper.record else stepper.iteration)
        if batch is None:
            column = index
        else:
            hits = np.flatnonzero(batch == index)
            column = int(hits[0]) if hits.size else None
    return ExampleView(subset, index, X.shape[1], int(labels[index]), x[:, 0].copy(), Z1[:, 0].copy(),
                       A1[:, 0].copy(), Z2[:, 0].copy(), A2[:, 0].copy(), int(A2[:, 0].argmax()), column)


def evaluate(stepper: Stepper) -> Evaluation | None:
    """Confusion matrix and most confident mistakes on the dev set with the current parameters (None: no dev set)."""
    split = stepper.split
    if split.dev_size == 0:
        return None
    X = split.X_dev if split.X_dev.dtype == stepper.dtype else split.X_dev.astype(stepper.dtype)
    labels = split.labels_dev
    with np.errstate(all="ignore"):
        A2 = network.forward(stepper.params, X, stepper.config.activation)[3]
    A2 = np.nan_to_num(A2, nan=0.0)        # near divergence; a NaN column counts as a guess of class 0
    predictions = A2.argmax(axis=0)
    classes = max(len(split.class_names), A2.shape[0])
    confusion = np.zeros((classes, classes), dtype=np.int64)
    np.add.at(confusion, (labels, predictions), 1)
    wrong = np.flatnonzero(predictions != labels)
    confidences = A2[predictions, np.arange(labels.size)]
    # Most confident first; ties keep dev order so the gallery does not shuffle between equal runs.
    shown = wrong[np.argsort(-confidences[wrong], kind="stable")][:MISTAKES_SHOWN]
    return Evaluation(
        iteration=stepper.iteration,
        confusion=confusion,
        accuracy=float(np.trace(confusion) / labels.size),
        mistake_count=int(wrong.size),
        mistakes=shown,
        mistake_labels=labels[shown].astype(np.int64),
        mistake_predictions=predictions[shown].astype(np.int64),
        mistake_confidences=confidences[shown].astype(np.float64),
        mistake_pixels=np.array(X[:, shown].T, dtype=np.float32),
    )


def make_snapshot(stepper: Stepper, selection: ExampleSelection, ms_per_iteration: float | None = None,
                  playing: bool = False, message: str | None = None, diverged: bool = False,
                  evaluation: Evaluation | None = None) -> Snapshot:
    """Copy out of the stepper everything the views show."""
    history = stepper.history
    record = stepper.record
    updated = record is not None and record.phase == "update"
    # The state the update started from, if the history still holds it (a look-up, never a recomputation).
    update_state = (history.recent.get(record.iteration, history.keyframes.get(record.iteration)) if updated
                    else None)
    curves = history.curves
    points = _downsample(curves.length)
    latest_metrics = curves.at(stepper.iteration - 1 - history.start) if stepper.iteration > history.start else None
    return Snapshot(
        iteration=stepper.iteration,
        phases_done=stepper.phases_done,
        phase=stepper.phase,
        next_phase=stepper.next_phase,
        record=stepper.record,
        params=MappingProxyType(dict(stepper.params)),
        config=stepper.config,
        alpha=stepper.alpha,
        earliest=history.earliest,
        latest=history.latest,
        curves=Curves(points + history.start, *curves.sample(points)),
        example=example_view(stepper, selection),
        dataset_name=stepper.split.name,
        train_size=stepper.split.train_size,
        dev_size=stepper.split.dev_size,
        class_names=stepper.split.class_names,
        loss=latest_metrics[0] if latest_metrics else None,
        train_accuracy=latest_metrics[1] if latest_metrics else None,
        dev_accuracy=latest_metrics[2] if latest_metrics else None,
        ms_per_iteration=ms_per_iteration,
        playing=playing,
        arrays=MappingProxyType(dict(stepper.arrays)),
        message=message,
        diverged=diverged,
        evaluation=evaluation,
        split=stepper.split,
        state=stepper.state,
        initial_params=stepper.initial_params,
        update_state=update_state,
        update_alpha=history.alpha_at(record.iteration) if updated else None,
    )
