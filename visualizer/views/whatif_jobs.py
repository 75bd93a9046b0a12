"""The what-if panel's measurements, in a background Job rather than the UI thread: the accuracy on the measured
set as trained and with the edits, and which unit's loss costs the most accuracy.

A job answers the requests posted to it, the newest of each kind (older ones, from a slider being dragged, are
skipped), and ends when none is left; the panel starts another for its next request. A request names what it is
for (its token); the panel shows an answer only if it is for what the panel shows now.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np
from PyQt6.QtCore import QObject

from core import whatif
from core.data import Split

from visualizer.jobs import Job, JobContext

TRAIN_EXAMPLES_MEASURED = 5_000     # without a dev set, accuracy is measured on this many training examples


@dataclass(frozen=True)
class MeasuredSet:
    X: np.ndarray                   # read-only columns of the split, in its own dtype
    labels: np.ndarray
    what: str                       # "dev accuracy (1,000 dev examples)", …


def measured_set(split: Split | None) -> MeasuredSet | None:
    """The dev set, or without one the first training examples; None without data."""
    if split is None:
        return None
    if split.dev_size:
        return MeasuredSet(split.X_dev, split.labels_dev, f"dev accuracy ({split.dev_size:,} dev examples)")
    count = min(split.train_size, TRAIN_EXAMPLES_MEASURED)
    return MeasuredSet(split.X_train[:, :count], split.labels_train[:count],
                       f"accuracy on {count:,} training examples (there is no dev set)")


@dataclass(frozen=True)
class Request:
    kind: str                                   # "accuracy" (before, after) or "knockout" (per unit)
    token: tuple                                # what the answer is for (see same())
    params: Mapping[str, np.ndarray]
    changed: Mapping[str, np.ndarray] | None    # the edited copy ("accuracy" only)
    measured: MeasuredSet
    activation: str


def same(first: tuple | None, second: tuple | None) -> bool:
    """Two tokens for the same thing: the same array objects (the run's arrays are immutable and replaced, never
    changed), the same other values."""
    if first is None or second is None or len(first) != len(second):
        return False
    return all(a is b if isinstance(a, np.ndarray) else a == b for a, b in zip(first, second))


def measurements_job(parent: QObject | None = None) -> Job:
    """Reports ("accuracy", token, (before, after)) and ("knockout", token, accuracies per unit)."""
    def work(context: JobContext) -> None:
        cast: dict[tuple[int, str], tuple[np.ndarray, np.ndarray]] = {}    # the measured set in the run's dtype

        def columns(request: Request) -> np.ndarray:
            X, dtype = request.measured.X, np.dtype(request.params["W1"].dtype)
            if X.dtype == dtype:
                return X
            key = (id(X), dtype.str)
            if key not in cast or cast[key][0] is not X:
                cast.clear()
                cast[key] = (X, X.astype(dtype))
            return cast[key][1]

        while not context.cancelled:
            newest: dict[str, Request] = {}
            for request in context.requests():
                newest[request.kind] = request
            if not newest:
                return
            for request in newest.values():
                X, labels = columns(request), request.measured.labels
                if request.kind == "accuracy":
                    _, before = whatif.outcome(request.params, X, labels, request.activation)
                    _, after = whatif.outcome(request.changed, X, labels, request.activation)
                    answer: Any = (before, after)
                else:
                    answer = whatif.knockout_accuracies(request.params, X, labels, request.activation)
                context.report((request.kind, request.token, answer))
    return Job(work, "the what-if's measurements", parent)
