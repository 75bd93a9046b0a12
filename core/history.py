"""The rewind history: sparse keyframes of the whole training state plus deterministic recomputation.

Budget: a keyframe every `keyframe_every` iterations (default 100) and the `recent` newest states,
all held within `budget_bytes` (default 64 MiB) together with the curves (24 bytes an iteration).
A 784-10-10 float32 state is 31.8 kB (63.7 kB with momentum, 95.5 kB with Adam's moments), so in a
run of up to 260,000 iterations the default budget keeps at least the newest 180,000 rewindable
(90,000 with momentum, 60,000 with Adam); any iteration is at most keyframe_every − 1 recomputed
iterations away. The oldest keyframes are dropped first when the budget is full, which moves
`earliest` forward; the curves before it are thinned to at most 4,096 points, so that memory stays
flat however long the run. Every state held counts: a network so wide that 32 recent states would
outgrow the budget keeps fewer (at least the newest one and one keyframe, whatever the budget).
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


THINNED_POINTS = 4096   # most curve points kept before the rewindable range (the window draws at most 2,001)


def _capacity(points: int) -> int:
    """Columns for at least this many points: 1,024 · 2^k, as a buffer that doubles whenever it is full."""
    capacity = 1024
    while capacity < points:
        capacity *= 2
    return capacity


class Curves:
    """Loss and accuracies per completed iteration (index t = the forward pass of iteration start + t).

    Every point from `exact_from` on is held as recorded; the older ones are thinned to every `stride`-th (the
    indices that are multiples of it), at most THINNED_POINTS of them, the stride doubling when they would be
    more. So a run of any length keeps its whole curve in bounded memory, exact wherever the history can rewind,
    and a sampling at any power-of-two stride of at least `stride` (the snapshot's) finds every point it asks for.
    """

    def __init__(self) -> None:
        self.length = 0                             # points recorded, thinned or not
        self.stride = 1
        self.exact_from = 0
        self._thinned = np.empty((3, 0))            # the points 0, stride, 2·stride, … below exact_from
        self._exact = np.full((3, 1024), np.nan)    # the points from exact_from on, in columns _begin …
        self._begin = 0
        self._thin_below = 0                        # thin_before's index, applied when the buffer is full

    @classmethod
    def restore(cls, values: np.ndarray, stride: int, exact_from: int, length: int) -> "Curves":
        """Curves from the values `points()` listed (a saved session's); ValueError when they do not fit."""
        curves = cls()
        if stride < 1 or stride & (stride - 1) or not 0 <= exact_from <= length:
            raise ValueError(f"a stride of {stride} from {exact_from} does not describe {length} points")
        thinned = -(-exact_from // stride)
        if values.shape != (3, thinned + length - exact_from):
            raise ValueError(f"{length} points thinned every {stride} before {exact_from} are "
                             f"{thinned + length - exact_from} columns, not {values.shape}")
        curves.stride, curves.exact_from, curves.length = stride, exact_from, length
        curves._thinned = np.array(values[:, :thinned], dtype=np.float64)
        curves._exact = np.full((3, _capacity(length - exact_from)), np.nan)
        curves._exact[:, :length - exact_from] = values[:, thinned:]
        return curves

    @property
    def _held(self) -> int:
        return self.length - self.exact_from

    def append(self, loss: float, train_accuracy: float, dev_accuracy: float | None) -> None:
        if self._begin + self._held == self._exact.shape[1]:
            self._thin(self._thin_below)
            self._make_room()
        self._exact[:, self._begin + self._held] = (loss, train_accuracy,
                                                     np.nan if dev_accuracy is None else dev_accuracy)
        self.length += 1

    def _make_room(self) -> None:
        """A new buffer with room beyond what is held (thinning left a gap at the start of the old one)."""
        held = self._exact[:, self._begin:self._begin + self._held]
        self._exact = np.full((3, _capacity(held.shape[1] + 1)), np.nan)
        self._exact[:, :held.shape[1]] = held
        self._begin = 0

    def thin_before(self, index: int) -> None:
        """The points before index may be thinned to every stride-th (the history's earliest iteration moved
        forward): they are when the buffer is next full, so a short run keeps every point in one buffer."""
        self._thin_below = max(self._thin_below, min(index, self.length))

    def _thin(self, index: int) -> None:
        if index <= self.exact_from:
            return
        leaving = self._exact[:, self._begin:self._begin + index - self.exact_from]
        first = -self.exact_from % self.stride      # the first multiple of the stride among them
        self._thinned = np.concatenate([self._thinned, leaving[:, first::self.stride]], axis=1)
        self._begin += index - self.exact_from
        self.exact_from = index
        while self._thinned.shape[1] > THINNED_POINTS:
            self._thinned = self._thinned[:, ::2].copy()
            self.stride *= 2

    def truncate(self, length: int) -> None:
        if length >= self.length:
            return
        if length < self.exact_from:
            self._thinned = self._thinned[:, :-(-length // self.stride)].copy()
            self._begin, self.exact_from = 0, length
        self.length = length
        self._thin_below = min(self._thin_below, length)

    @property
    def nbytes(self) -> int:
        return self._thinned.nbytes + self._exact.nbytes

    @property
    def iterations(self) -> np.ndarray:
        """The indices of the points held (every one, unless the run outgrew its history)."""
        return np.concatenate([np.arange(0, self.exact_from, self.stride), np.arange(self.exact_from, self.length)])

    def points(self) -> np.ndarray:
        """(3, k) loss, train and dev accuracy at `iterations` (a copy)."""
        return np.concatenate([self._thinned, self._exact[:, self._begin:self._begin + self._held]], axis=1)

    @property
    def loss(self) -> np.ndarray:
        return self.points()[0]

    @property
    def train_accuracy(self) -> np.ndarray:
        return self.points()[1]

    @property
    def dev_accuracy(self) -> np.ndarray:
        """NaN where there is no dev set."""
        return self.points()[2]

    def sample(self, indices: np.ndarray) -> np.ndarray:
        """(3, len(indices)) values at these indices; one in the thinned part that is not a multiple of the stride
        gives the point held just before it."""
        indices = np.asarray(indices, dtype=np.int64)
        values = np.empty((3, indices.size))
        exact = indices >= self.exact_from
        values[:, exact] = self._exact[:, self._begin + indices[exact] - self.exact_from]
        values[:, ~exact] = self._thinned[:, indices[~exact] // self.stride]
        return values

    def at(self, index: int) -> tuple[float, float, float | None]:
        if not 0 <= index < self.length or (index < self.exact_from and index % self.stride):
            raise IndexError(f"point {index} of the curves is not held (they hold {self.length:,}, every "
                             f"{self.stride} before {self.exact_from:,})")
        loss, train, dev = self.sample(np.array([index]))[:, 0]
        return float(loss), float(train), None if np.isnan(dev) else float(dev)


class History:
    def __init__(self, initial: TrainingState, alpha: float, budget_bytes: int = 64 * 2**20,
                 keyframe_every: int = 100, recent: int = 32):
        self.budget_bytes = budget_bytes
        self.keyframe_every = keyframe_every
        self.recent_size = recent
        self.state_bytes = initial.nbytes           # every state of a run has the same arrays
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
    def recent_limit(self) -> int:
        """The recent states kept: recent_size, but no more than leave room for one keyframe in the budget (a wide
        network's 32 states alone would outgrow it)."""
        return max(1, min(self.recent_size, self.budget_bytes // max(1, self.state_bytes) - 1))

    @property
    def nbytes(self) -> int:
        """The bytes held: every state (once, however many places hold it) and the curves."""
        states = {id(s): s for s in (*self.keyframes.values(), *self.recent.values())}
        return sum(s.nbytes for s in states.values()) + self.curves.nbytes

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
        self._remember(state)
        self.fit_budget()

    def _remember(self, state: TrainingState) -> None:
        self.recent[state.iteration] = state
        self.recent.move_to_end(state.iteration)
        while len(self.recent) > self.recent_limit:
            self.recent.popitem(last=False)

    def fit_budget(self) -> None:
        """Drop the oldest keyframes until the states and the curves fit the budget, and thin the curves before
        the new earliest iteration. Whatever the budget, one keyframe and the newest state stay."""
        while len(self.recent) > self.recent_limit:
            self.recent.popitem(last=False)
        # An upper bound of nbytes: a recent state may also be a keyframe, never more than recent_limit of them.
        others = self.state_bytes * self.recent_limit + self.curves.nbytes
        while len(self.keyframes) > 1 and self.state_bytes * len(self.keyframes) + others > self.budget_bytes:
            self.keyframes.popitem(last=False)
        # The status bar shows the metrics of the iteration before the one on screen: exact from earliest − 1.
        self.curves.thin_before(self.earliest - self.start - 1)

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
