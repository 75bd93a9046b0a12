"""The rewind history: sparse keyframes of the whole training state plus deterministic recomputation.

Budget: a keyframe every `keyframe_every` iterations (default 100) and the `recent` newest states,
all held within `budget_bytes` (default 64 MiB) together with the curves (24 bytes an iteration).
A 784-10-10 float32 state is 31.8 kB (63.7 kB with momentum, 95.5 kB with Adam's moments), so in a
run of up to 260,000 iterations the default budget keeps at least the newest 180,000 rewindable
(90,000 with momentum, 60,000 with Adam); any iteration is at most keyframe_every − 1 recomputed
iterations away. The oldest keyframes are dropped first when the budget is full, which moves
`earliest` forward.
"""
from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Callable, Mapping

import numpy as np


@dataclass(frozen=True)
class TrainingState:
    """Everything an iteration starts from: its number, the parameters and the optimizer's memory."""
    iteration: int
    params: Mapping[str, np.ndarray]
    optimizer: Mapping[str, np.ndarray]

    @property
    def nbytes(self) -> int:
        return sum(a.nbytes for a in self.params.values()) + sum(a.nbytes for a in self.optimizer.values())


class Curves:
    """Loss and accuracies per completed iteration, in growable arrays (index t = the forward pass of iteration t)."""

    def __init__(self) -> None:
        self._data = np.full((3, 1024), np.nan)
        self.length = 0

    def append(self, loss: float, train_accuracy: float, dev_accuracy: float | None) -> None:
        if self.length == self._data.shape[1]:
            self._data = np.concatenate([self._data, np.full_like(self._data, np.nan)], axis=1)
        self._data[:, self.length] = (loss, train_accuracy, np.nan if dev_accuracy is None else dev_accuracy)
        self.length += 1

    def truncate(self, length: int) -> None:
        self._data[:, length:self.length] = np.nan
        self.length = min(self.length, length)

    @property
    def loss(self) -> np.ndarray:
        return self._data[0, :self.length].copy()

    @property
    def train_accuracy(self) -> np.ndarray:
        return self._data[1, :self.length].copy()

    @property
    def dev_accuracy(self) -> np.ndarray:
        """NaN where there is no dev set."""
        return self._data[2, :self.length].copy()

    def at(self, iteration: int) -> tuple[float, float, float | None]:
        loss, train, dev = self._data[:, iteration]
        return float(loss), float(train), None if np.isnan(dev) else float(dev)


class History:
    def __init__(self, initial: TrainingState, alpha: float, budget_bytes: int = 64 * 2**20,
                 keyframe_every: int = 100, recent: int = 32):
        self.budget_bytes = budget_bytes
        self.keyframe_every = keyframe_every
        self.recent_size = recent
        self.keyframes: OrderedDict[int, TrainingState] = OrderedDict({initial.iteration: initial})
        self.recent: OrderedDict[int, TrainingState] = OrderedDict({initial.iteration: initial})
        self.curves = Curves()
        self.alphas: list[tuple[int, float]] = [(initial.iteration, float(alpha))]
        self.start = initial.iteration
        self.latest = initial.iteration

    @property
    def earliest(self) -> int:
        return next(iter(self.keyframes))

    @property
    def nbytes(self) -> int:
        states = {id(s): s for s in (*self.keyframes.values(), *self.recent.values())}
        return sum(s.nbytes for s in states.values()) + self.curves._data.nbytes

    def alpha_at(self, iteration: int) -> float:
        return [alpha for start, alpha in self.alphas if start <= iteration][-1]

    def set_alpha(self, iteration: int, alpha: float) -> None:
        self.alphas = [(start, a) for start, a in self.alphas if start < iteration] + [(iteration, float(alpha))]

    def record(self, state: TrainingState, loss: float, train_accuracy: float, dev_accuracy: float | None) -> None:
        """Note a state reached by completing an iteration (new, or replayed after a rewind)."""
        iteration = state.iteration
        if iteration > self.latest:
            self.curves.append(loss, train_accuracy, dev_accuracy)
            self.latest = iteration
            if (iteration - self.start) % self.keyframe_every == 0:
                self.keyframes[iteration] = state
                self._keep_budget()
        self._remember(state)

    def _remember(self, state: TrainingState) -> None:
        self.recent[state.iteration] = state
        self.recent.move_to_end(state.iteration)
        while len(self.recent) > self.recent_size:
            self.recent.popitem(last=False)

    def _keep_budget(self) -> None:
        size = next(iter(self.keyframes.values())).nbytes
        # The curves count too, so that nbytes never exceeds the budget however long the run.
        other_bytes = size * self.recent_size + self.curves._data.nbytes
        while len(self.keyframes) > 1 and size * len(self.keyframes) + other_bytes > self.budget_bytes:
            self.keyframes.popitem(last=False)

    def state_at(self, iteration: int, recompute: Callable[[TrainingState], TrainingState]) -> TrainingState:
        """The exact state at the start of an iteration, recomputed from the nearest keyframe if needed."""
        if iteration in self.recent:
            self.recent.move_to_end(iteration)
            return self.recent[iteration]
        if not self.earliest <= iteration <= self.latest:
            raise IndexError(f"iteration {iteration} is outside the rewindable range {self.earliest}–{self.latest}")
        start = max(k for k in self.keyframes if k <= iteration)
        nearer = [k for k in self.recent if start < k <= iteration]
        state = self.recent[max(nearer)] if nearer else self.keyframes[start]
        while state.iteration < iteration:
            state = recompute(state)
            self._remember(state)
        return state

    def truncate_after(self, iteration: int) -> None:
        """Forget everything after an iteration (a setting changed there)."""
        for store in (self.keyframes, self.recent):
            for k in [k for k in store if k > iteration]:
                del store[k]
        self.curves.truncate(iteration - self.start)
        self.alphas = [(start, a) for start, a in self.alphas if start <= iteration] or self.alphas[:1]
        self.latest = min(self.latest, iteration)
