"""What predict mode and "explain any number" need from a snapshot: its arrays as core/explain.py reads them, the
run's settings as a core Context, and (in the worker, never the UI thread) the question about the phase it shows.

No Qt here: the worker calls `with_question` on the snapshot of a phase it has just computed, so the question is
made from that phase's real arrays; the window holds such a snapshot back until the question is answered.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Mapping

import numpy as np

from core import network
from core.explain import Context, ExplainError
from core.predict import Question, QuestionError, question_for

from .snapshot import Snapshot


def arrays_of(snapshot: Snapshot) -> dict[str, np.ndarray]:
    """Every array of the iteration on screen, named as core/explain.py reads them: the parameters, the arrays
    computed so far and, at the update, the record's old (W1_before …) and new (W1 …) parameters."""
    arrays: dict[str, np.ndarray] = {**snapshot.params, **snapshot.arrays}
    if snapshot.record is not None:
        arrays.update(snapshot.record.arrays)
    return arrays


def context_of(snapshot: Snapshot, example_column: int | None = None) -> Context:
    """The settings the arithmetic of the snapshot's iteration used: at the update, its own α and the optimizer
    memory it started from (empty when the history no longer holds it: then only plain gradient descent's rule
    can be written out)."""
    config = snapshot.config
    updated = snapshot.record is not None and snapshot.record.phase == "update"
    if updated:
        alpha = snapshot.update_alpha if snapshot.update_alpha is not None else snapshot.alpha
        state = snapshot.update_state.optimizer if snapshot.update_state is not None else {}
    else:
        alpha = snapshot.alpha
        state = snapshot.state.optimizer if snapshot.state is not None else {}
    names = tuple(snapshot.class_names)
    if len(names) != network.OUTPUTS:
        names = tuple(str(i) for i in range(network.OUTPUTS))
    return Context(activation=config.activation, optimizer=config.optimizer, alpha=float(alpha),
                   optimizer_state=state, class_names=names, dtype=config.dtype, example_column=example_column)


def question_about(snapshot: Snapshot) -> Question | None:
    """A question about the phase snapshot has just computed, from its arrays; None when there is no phase or
    none can be made. Seeded by the run's seed and the position, so the same step asks the same question."""
    record = snapshot.record
    if record is None:
        return None
    arrays = arrays_of(snapshot)
    context = context_of(snapshot, snapshot.example.column)
    rng = np.random.default_rng([snapshot.config.seed, record.iteration, record.index])
    for kind in (None, "shape"):            # a kind that cannot be asked here falls back to the shape
        try:
            return question_for(record.phase, arrays, context, rng, kind)
        except (QuestionError, ExplainError):
            continue
    return None


def with_question(snapshot: Snapshot) -> Snapshot:
    """The snapshot with its question (in the worker thread: a loss question costs two forward passes)."""
    return replace(snapshot, question=question_about(snapshot))


def position_of(snapshot: Snapshot) -> int:
    """Phases computed since the start of the run: where a prediction is kept on the timeline."""
    return snapshot.iteration * len(network.PHASES) + snapshot.phases_done


def arrays_for_example(snapshot: Snapshot) -> Mapping[str, np.ndarray]:
    """The shown example alone (one column) through the parameters on screen: what the diagram's nodes and the
    values' bars show, which after an update are no longer the batch's arrays."""
    example = snapshot.example
    column = {"X": example.pixels, "Z1": example.z1, "A1": example.a1, "Z2": example.z2, "A2": example.a2}
    arrays = {name: np.asarray(values)[:, None] for name, values in column.items()}
    labels = np.zeros((network.OUTPUTS, 1), dtype=example.a2.dtype)
    labels[example.label, 0] = 1
    return {**snapshot.params, **arrays, "Y": labels, "dZ2": arrays["A2"] - labels}
