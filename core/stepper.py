"""Drives the network one phase or one iteration at a time, forward and back.

The position is (iteration, phases_done): `iteration` updates have been applied and
`phases_done` (0–10) phases of the next iteration have been computed. Each phase
hands out a read-only PhaseRecord. Stepping back restores the exact earlier state
from the history (keyframes plus deterministic recomputation). Every number comes
from core/training.py's step: the Stepper keeps only the position, the records
and the history.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Callable, Mapping, NamedTuple

import numpy as np

from . import kernels, network, optimizers, training
from .config import TrainingConfig, learning_rate
from .data import Split
from .history import History, TrainingState
# Diverged, LOSS_LIMIT, BatchOrder and starting_params live with the training step; imported from here too.
from .training import LOSS_LIMIT, BatchOrder, Diverged, starting_params  # noqa: F401

PHASES = network.PHASES


@dataclass(frozen=True)
class PhaseRecord:
    """What one phase did: its equation, the shapes it read and wrote (with the real m), and those arrays."""
    iteration: int
    phase: str
    index: int                                   # position in PHASES, 0–10
    equation: str
    meaning: str
    shapes: str                                  # e.g. "(10, 4000)·(4000, 784) → (10, 784)"
    reads: Mapping[str, tuple[int, ...]]
    writes: Mapping[str, tuple[int, ...]]
    arrays: Mapping[str, np.ndarray] = field(repr=False)   # read-only views, never mutated afterwards
    m: int = 0

    @property
    def is_forward(self) -> bool:
        return network.PHASE[self.phase].direction == "forward"

    @property
    def is_backward(self) -> bool:
        return network.PHASE[self.phase].direction == "backward"


def _frozen(array: np.ndarray) -> np.ndarray:
    view = array.view()
    view.flags.writeable = False
    return view


class Bookmark(NamedTuple):
    """A Stepper's position with what it had computed there (Stepper.bookmark / restore)."""
    state: TrainingState
    phases_done: int
    arrays: Mapping[str, np.ndarray]
    record: PhaseRecord | None
    batch: "training.Batch | None"
    computed: "kernels.Pass | None"


class Stepper:
    """One training run on one split, steppable phase by phase, forward and back.

    It keeps the position, the records and the history; every number comes from core/training.py's step, on the
    fast kernels when numba is installed (backend "auto"; "numpy" for NumPy's own products).
    """

    def __init__(self, split: Split, config: TrainingConfig, params: Mapping[str, np.ndarray] | None = None,
                 history_budget_bytes: int = 64 * 2**20, keyframe_every: int = 100, backend: str = "auto"):
        self.split = split
        self.config = config
        self.dtype = np.dtype(config.dtype)
        self.state = training.initial_state(config, params)        # checks given weights first
        self.data = training.TrainingData(split, config, backend)
        self.history = History(self.state, config.alpha, budget_bytes=history_budget_bytes,
                               keyframe_every=keyframe_every)
        self.phases_done = 0
        self.arrays: dict[str, np.ndarray] = {}      # arrays of the iteration in progress
        self.record: PhaseRecord | None = None
        self._batch: training.Batch | None = None    # the batch of the iteration in progress
        self._computed: kernels.Pass | None = None   # the fast kernel's pass over it: every phase's array

    # ------------------------------------------------------------ reading
    @property
    def backend(self) -> str:
        """"numba" (the fast kernels) or "numpy"."""
        return self.data.backend

    @property
    def iteration(self) -> int:
        return self.state.iteration

    @property
    def params(self) -> Mapping[str, np.ndarray]:
        return self.state.params

    @property
    def alpha(self) -> float:
        return self.history.alpha_at(self.iteration)

    @property
    def initial_params(self) -> Mapping[str, np.ndarray] | None:
        """The parameters the run started from (iteration 0), while its history holds them: drawn by the
        configuration's init and seed, or opened from a weights file. None once a long run has let them go."""
        state = self.history.keyframes.get(0)
        return state.params if state is not None else None

    @property
    def phase(self) -> str | None:
        """The last phase computed, or None before the first one."""
        return self.record.phase if self.record else None

    @property
    def next_phase(self) -> str:
        return PHASES[self.phases_done]

    @property
    def train_size(self) -> int:
        return self.split.train_size

    def batch_indices(self, iteration: int) -> np.ndarray | None:
        """The columns of X used by an iteration: None for the full batch, else a seeded shuffle per epoch."""
        return self.data.batch_indices(iteration)

    # ------------------------------------------------------------ forward in time
    def step_phase(self) -> PhaseRecord:
        """Compute the next phase; raises Diverged (and changes nothing) if its result is not finite."""
        return self._step_phase(record=True)

    def _step_phase(self, record: bool) -> PhaseRecord | None:
        """step_phase; with record False a phase before the update makes no PhaseRecord (and leaves self.record
        behind), for the callers that hand out only the update's record or none."""
        phase = PHASES[self.phases_done]
        if self.phases_done == 0:
            self._batch = self.data.batch(self.iteration)
            self.arrays = training.first_arrays(self.state, self._batch)
            # With numba, the kernel's one pass computes every phase now; the phases then hand them out in turn.
            self._computed = training.kernel_pass(self.state, self._batch, self.config.activation)
        if phase == "update":
            return self._update()
        arrays = self.arrays
        arrays[phase] = training.phase_array(phase, arrays, self.config.activation, self.iteration, self.alpha,
                                             computed=self._computed)
        self.phases_done += 1
        if not record:
            return None
        self.record = self._make_record(phase, arrays, arrays)
        return self.record

    def _update(self) -> PhaseRecord:
        arrays, done = self.arrays, self.iteration
        step = training.update(self.state, arrays, self._batch.labels, self.config.optimizer, self.alpha,
                               self._computed)
        dev_accuracy = self.evaluate_dev(self.state.params)
        self.state = step.state
        self.history.record(self.state, step.loss, step.train_accuracy, dev_accuracy)
        self.phases_done = 0
        self.record = self._make_record("update", arrays, arrays, iteration=done, new_params=step.state.params)
        return self.record

    def step_iteration(self, before: Callable[[str], None] | None = None) -> PhaseRecord:
        """Complete the iteration in progress (all remaining phases, ending with the update). `before`, if given,
        is called with each phase's name just before the phase is computed (the visualizer's worker uses it to
        hand the window a frame while the longest NumPy call of the iteration runs)."""
        # Only the update's record is handed out, so the phases before it make none (a tenth of the time
        # of an iteration on the default data), unless a phase diverges: then the position is after the last
        # phase that succeeded, with its record, exactly as step_phase by step_phase.
        skipped = False
        try:
            while True:
                last = self.phases_done == len(PHASES) - 1
                if before is not None:
                    before(PHASES[self.phases_done])
                if last:
                    return self._step_phase(record=True)
                self._step_phase(record=False)
                skipped = True
        except Diverged:
            if skipped:
                self.record = self._make_record(PHASES[self.phases_done - 1], self.arrays, self.arrays)
            raise

    def run(self, iterations: int) -> None:
        for _ in range(iterations):
            self.step_iteration()

    def evaluate_dev(self, params: Mapping[str, np.ndarray]) -> float | None:
        return self.data.dev_accuracy(params, self.config.activation)

    # ------------------------------------------------------------ back in time
    def step_back_phase(self) -> PhaseRecord | None:
        """Undo the last phase; at the start of an iteration this undoes the previous update."""
        if self.phases_done > 0:
            return self._replay_to(self.iteration, self.phases_done - 1)
        if self.iteration <= self.history.earliest:
            return self.record
        return self._replay_to(self.iteration - 1, len(PHASES) - 1)

    def step_back_iteration(self) -> PhaseRecord | None:
        """Go to the start of the current iteration, or, if already there, to the start of the previous one."""
        if self.phases_done > 0:
            return self._replay_to(self.iteration, 0)
        return self.seek(max(self.iteration - 1, self.history.earliest))

    def seek(self, iteration: int) -> PhaseRecord | None:
        """Jump to the start of an iteration (0 ≤ iteration ≤ the furthest reached), exactly as it was."""
        if not self.history.earliest <= iteration <= self.history.latest:
            raise IndexError(f"iteration {iteration} is outside the rewindable range "
                             f"{self.history.earliest}–{self.history.latest}")
        return self._replay_to(iteration, 0)

    def _replay_to(self, iteration: int, phases_done: int) -> PhaseRecord | None:
        if phases_done == 0 and iteration > self.history.earliest:
            # Show the update that led here, as stepping forward would have (unless it was forgotten).
            self._replay_to(iteration - 1, len(PHASES) - 1)
            return self.step_phase()
        self.state = self.history.state_at(iteration, self._recompute)
        self.phases_done, self.arrays, self.record = 0, {}, None
        for _ in range(phases_done):
            self.step_phase()
        return self.record

    def _recompute(self, state: TrainingState) -> TrainingState:
        """The state after one more iteration from state: the same step as stepping, so bit-identical."""
        alpha = self.history.alpha_at(state.iteration)
        return training.train_step(state, self.data.batch(state.iteration), self.config, alpha).state

    # ------------------------------------------------------------ a failure half-way
    def bookmark(self) -> "Bookmark":
        """The position and everything computed at it, to come back to without computing anything."""
        return Bookmark(self.state, self.phases_done, dict(self.arrays), self.record, self._batch, self._computed)

    def restore(self, bookmark: "Bookmark") -> None:
        """Back to a bookmark of this run (a request that failed half-way leaves no half-computed iteration).
        The history keeps what it learned meanwhile: completed iterations are exact wherever they came from."""
        self.state, self.phases_done, arrays, self.record, self._batch, self._computed = bookmark
        self.arrays = dict(arrays)

    # ------------------------------------------------------------ changing course
    def set_alpha(self, alpha: float) -> None:
        """A new learning rate, used from the next update on; history after the current iteration is dropped."""
        alpha = learning_rate(alpha)
        self.history.truncate_after(self.iteration)
        self.history.set_alpha(self.iteration, alpha)
        self.config = self.config.with_changes(alpha=float(alpha))

    @property
    def has_future(self) -> bool:
        """True when iterations after the current one are in the history (after rewinding)."""
        return self.history.latest > self.iteration

    # ------------------------------------------------------------ records
    def _make_record(self, phase: str, reads_from: Mapping[str, np.ndarray], writes_from: Mapping[str, np.ndarray],
                     iteration: int | None = None, new_params: Mapping[str, np.ndarray] | None = None
                     ) -> PhaseRecord:
        read_names = network.READS[phase]
        reads = {name: reads_from[name].shape for name in read_names}
        if new_params is not None:
            written = {name: new_params[name] for name in network.WRITES[phase]}
            arrays = {**{f"{name}_before": reads_from[name] for name in network.PARAMETERS},
                      **{name: reads_from[name] for name in read_names if name not in network.PARAMETERS},
                      **written}
        else:
            written = {name: writes_from[name] for name in network.WRITES[phase]}
            arrays = {**{name: reads_from[name] for name in read_names}, **written}
        writes = {name: value.shape for name, value in written.items()}
        m = reads_from["X"].shape[1]
        return PhaseRecord(
            iteration=self.iteration if iteration is None else iteration,
            phase=phase,
            index=PHASES.index(phase),
            equation=optimizers.phase_equation(phase, self.config.optimizer),
            meaning=optimizers.phase_meaning(phase, self.config.optimizer),
            shapes=network.PHASE[phase].shape_equation({**reads, **writes}),
            reads=MappingProxyType(reads),
            writes=MappingProxyType(writes),
            arrays=MappingProxyType({name: _frozen(value) for name, value in arrays.items()}),
            m=m,
        )
