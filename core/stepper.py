"""Drives the network one phase or one iteration at a time, forward and back.

The position is (iteration, phases_done): `iteration` updates have been applied and
`phases_done` (0–10) phases of the next iteration have been computed. Each phase
hands out a read-only PhaseRecord. Stepping back restores the exact earlier state
from the history (keyframes plus deterministic recomputation).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Callable, Mapping

import numpy as np

from . import network, optimizers
from .config import TrainingConfig
from .data import Split
from .history import History, TrainingState

PHASES = network.PHASES


# A mean cross-entropy above this has left learning behind: a uniform guess scores ln 10 ≈ 2.3, and even
# wild but recovering runs (α = 1 with 1,024 hidden units) peak in the hundreds. α = 1e8 reaches ~1e29.
LOSS_LIMIT = 1e6


class Diverged(ArithmeticError):
    """A step that would make a parameter, an activation or the loss non-finite (or the loss explode past
    LOSS_LIMIT); nothing was changed."""

    def __init__(self, iteration: int, phase: str, what: str, alpha: float,
                 reason: str = "would become infinite or undefined"):
        self.iteration = iteration
        self.phase = phase
        super().__init__(
            f"diverged at iteration {iteration}: {what} {reason} in phase {phase} "
            f"with learning rate {alpha:g}; the parameters keep their last finite values — lower the learning rate")


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
        return self.phase in network.FORWARD_PHASES

    @property
    def is_backward(self) -> bool:
        return self.phase in network.BACKWARD_PHASES


def _shape(shape: tuple[int, ...]) -> str:
    return "(" + ", ".join(str(n) for n in shape) + ")"


def shape_equation(phase: str, shapes: Mapping[str, tuple[int, ...]]) -> str:
    """The phase's equation written with the live shapes of its operands."""
    s = {name: _shape(shape) for name, shape in shapes.items()}
    t = {name: _shape(tuple(reversed(shape))) for name, shape in shapes.items()}
    forms = {
        "Z1": lambda: f"{s['W1']}·{s['X']} + {s['b1']} → {s['Z1']}",
        "A1": lambda: f"g{s['Z1']} → {s['A1']}",
        "Z2": lambda: f"{s['W2']}·{s['A1']} + {s['b2']} → {s['Z2']}",
        "A2": lambda: f"softmax{s['Z2']} → {s['A2']}",
        "dZ2": lambda: f"{s['A2']} − {s['Y']} → {s['dZ2']}",
        "dW2": lambda: f"{s['dZ2']}·{t['A1']} → {s['dW2']}",
        "db2": lambda: f"Σⱼ{s['dZ2']} → {s['db2']}",
        "dZ1": lambda: f"{t['W2']}·{s['dZ2']} ⊙ {s['Z1']} → {s['dZ1']}",
        "dW1": lambda: f"{s['dZ1']}·{t['X']} → {s['dW1']}",
        "db1": lambda: f"Σⱼ{s['dZ1']} → {s['db1']}",
        "update": lambda: f"W1 {s['W1']}, b1 {s['b1']}, W2 {s['W2']}, b2 {s['b2']}",
    }
    return forms[phase]()


def _read_only(array: np.ndarray) -> np.ndarray:
    """A new array made read-only down to the memory it views (fancy indexing can return a view of a
    temporary), so that no view handed out can be made writeable again."""
    part = array
    while isinstance(part, np.ndarray):
        part.flags.writeable = False
        part = part.base
    return array


def _frozen(array: np.ndarray) -> np.ndarray:
    view = array.view()
    view.flags.writeable = False
    return view



def starting_params(config: TrainingConfig, params: Mapping[str, np.ndarray] | None = None
                    ) -> dict[str, np.ndarray]:
    """The parameters a run starts from: drawn by config.init from config.seed, or given ones, checked and cast."""
    dtype = np.dtype(config.dtype)
    if params is None:
        return network.init_params(config.hidden, config.init, np.random.default_rng(config.seed), dtype)
    hidden = network.check_params(params)
    if hidden != config.hidden:
        raise network.ShapeError(f"the weights have {hidden} hidden units but the configuration "
                                 f"asks for {config.hidden}")
    return {name: np.array(params[name], dtype=dtype) for name in network.PARAMETERS}


class BatchOrder:
    """Which training columns each iteration uses: all of them (full batch), or for mini-batches a shuffle
    per epoch seeded by (seed, epoch), so any iteration's batch can be recomputed after a rewind."""

    def __init__(self, batch_size: int, m: int, seed: int):
        self.batch_size, self.m, self.seed = batch_size, m, seed
        self._epoch_order: tuple[int, np.ndarray] | None = None

    def indices(self, iteration: int) -> np.ndarray | None:
        """None for the full batch, else the columns of this iteration's mini-batch."""
        size, m = self.batch_size, self.m
        if size == 0 or size >= m:
            return None
        epoch, position = divmod(iteration, math.ceil(m / size))
        if self._epoch_order is None or self._epoch_order[0] != epoch:
            self._epoch_order = (epoch, np.random.default_rng([self.seed, epoch]).permutation(m))
        return self._epoch_order[1][position * size:(position + 1) * size]

class Stepper:
    """One training run on one split, steppable phase by phase, forward and back."""

    def __init__(self, split: Split, config: TrainingConfig, params: Mapping[str, np.ndarray] | None = None,
                 history_budget_bytes: int = 64 * 2**20, keyframe_every: int = 100):
        self.split = split
        self.config = config
        self.dtype = np.dtype(config.dtype)
        params = starting_params(config, params)
        for value in params.values():
            value.flags.writeable = False
        # The split's own arrays are read-only already (data.as_columns); converted copies are made so here.
        self._X = split.X_train if split.X_train.dtype == self.dtype else _read_only(split.X_train.astype(self.dtype))
        self._X_dev = split.X_dev if split.X_dev.dtype == self.dtype else _read_only(split.X_dev.astype(self.dtype))
        self._Y_full = _read_only(network.one_hot(split.labels_train, self.dtype))
        self._batch_order = BatchOrder(config.batch_size, split.train_size, config.seed)
        initial_optimizer = optimizers.initial_state(config.optimizer, params)
        for value in initial_optimizer.values():
            value.flags.writeable = False
        self.state = TrainingState(0, params, initial_optimizer)
        self.history = History(self.state, config.alpha, budget_bytes=history_budget_bytes,
                               keyframe_every=keyframe_every)
        self.phases_done = 0
        self.arrays: dict[str, np.ndarray] = {}      # arrays of the iteration in progress
        self.record: PhaseRecord | None = None

    # ------------------------------------------------------------ reading
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

    # ------------------------------------------------------------ batches
    def batch_indices(self, iteration: int) -> np.ndarray | None:
        """The columns of X used by an iteration: None for the full batch, else a seeded shuffle per epoch."""
        return self._batch_order.indices(iteration)

    def _batch(self, iteration: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        indices = self.batch_indices(iteration)
        if indices is None:
            return self._X, self._Y_full, self.split.labels_train
        labels = self.split.labels_train[indices]
        return _read_only(self._X[:, indices]), _read_only(network.one_hot(labels, self.dtype)), labels

    # ------------------------------------------------------------ forward in time
    def step_phase(self) -> PhaseRecord:
        """Compute the next phase; raises Diverged (and changes nothing) if its result is not finite."""
        return self._step_phase(record=True)

    def _step_phase(self, record: bool) -> PhaseRecord | None:
        """step_phase; with record False a phase before the update makes no PhaseRecord (and leaves self.record
        behind), for the callers that hand out only the update's record or none."""
        phase = PHASES[self.phases_done]
        if self.phases_done == 0:
            X, Y, labels = self._batch(self.iteration)
            self.arrays = {**self.state.params, "X": X, "Y": Y}
            self._labels = labels
        arrays = self.arrays
        if phase == "update":
            return self._update()
        with np.errstate(over="ignore", invalid="ignore"):  # a non-finite result is reported as Diverged below
            result = network.run_phase(phase, arrays, self.config.activation)
        if not np.isfinite(result).all():
            raise Diverged(self.iteration, phase, phase, self.alpha)
        result.flags.writeable = False
        arrays[phase] = result
        self.phases_done += 1
        if not record:
            return None
        self.record = self._make_record(phase, arrays, arrays)
        return self.record

    def _update(self) -> PhaseRecord:
        arrays, alpha = self.arrays, self.alpha
        with np.errstate(over="ignore", invalid="ignore"):  # non-finite results are reported as Diverged below
            loss = network.cross_entropy(arrays["Z2"], self._labels)
            if not math.isfinite(loss):
                raise Diverged(self.iteration, "update", "the loss", alpha)
            if loss > LOSS_LIMIT:
                raise Diverged(self.iteration, "update", "the loss", alpha, reason=f"reached {loss:.2g}, "
                               f"past the limit of {LOSS_LIMIT:g} (a uniform guess scores 2.3)")
            new_params, new_opt = optimizers.step(self.config.optimizer, self.state.params, arrays, alpha,
                                                  self.state.optimizer)
        for name, value in new_params.items():
            if not np.isfinite(value).all():
                raise Diverged(self.iteration, "update", name, alpha)
            value.flags.writeable = False
        for value in new_opt.values():
            value.flags.writeable = False
        train_accuracy = network.accuracy(arrays["A2"], self._labels)
        dev_accuracy = self.evaluate_dev(self.state.params)
        done = self.iteration
        self.state = TrainingState(done + 1, new_params, new_opt)
        self.history.record(self.state, loss, train_accuracy, dev_accuracy)
        self.phases_done = 0
        self.record = self._make_record("update", arrays, arrays, iteration=done, new_params=new_params)
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
        if self.split.dev_size == 0:
            return None
        A2 = network.forward(params, self._X_dev, self.config.activation)[3]
        return network.accuracy(A2, self.split.labels_dev)

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
        """The state after one more iteration from state: the same code path as stepping, so bit-identical."""
        saved = (self.state, self.phases_done, self.arrays, self.record, getattr(self, "_labels", None))
        self.state, self.phases_done = state, 0
        try:
            for phase in PHASES[:-1]:
                self._step_phase(record=False)
            arrays, alpha = self.arrays, self.history.alpha_at(state.iteration)
            params, opt = optimizers.step(self.config.optimizer, state.params, arrays, alpha, state.optimizer)
            for value in (*params.values(), *opt.values()):
                value.flags.writeable = False
            return TrainingState(state.iteration + 1, params, opt)
        finally:
            self.state, self.phases_done, self.arrays, self.record, self._labels = saved

    # ------------------------------------------------------------ changing course
    def set_alpha(self, alpha: float) -> None:
        """A new learning rate, used from the next update on; history after the current iteration is dropped."""
        if not (math.isfinite(alpha) and alpha > 0):
            raise ValueError(f"the learning rate must be a positive number, not {alpha!r}")
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
            equation=network.EQUATIONS[phase] if phase != "update" else
            optimizers.UPDATE_EQUATIONS[self.config.optimizer],
            meaning=network.MEANINGS[phase] if phase != "update" else
            optimizers.UPDATE_MEANINGS[self.config.optimizer],
            shapes=shape_equation(phase, {**reads, **writes}),
            reads=MappingProxyType(reads),
            writes=MappingProxyType(writes),
            arrays=MappingProxyType({name: _frozen(value) for name, value in arrays.items()}),
            m=m,
        )
