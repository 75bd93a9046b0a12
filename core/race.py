"""The optimizer race: two training runs from the very same weights, stepped in lockstep.

Each lane is a core.stepper.Stepper with its own configuration (typically the notebook's gradient descent
α 0.1 against Adam α 0.001, the TensorFlow version's optimizer); one race step completes one iteration in
every lane still running. A lane that diverges stops there, with the reason; the other goes on.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping, Sequence

import numpy as np

from .config import TrainingConfig
from .data import Split
from .optimizers import UPDATE_NAMES
from .stepper import Diverged, Stepper, starting_params

VERDICT_ACCURACY = 0.8      # the verdict says when each lane first reaches this accuracy
LANE_HISTORY_BYTES = 8 * 2**20   # a lane is never rewound: a small history keeps its curves and a few states


def lane_name(config: TrainingConfig) -> str:
    """The optimizer and its learning rate, as a legend says it: "gradient descent α 0.1", "Adam α 0.001"."""
    return f"{UPDATE_NAMES[config.optimizer]} α {config.alpha:g}"


def capitalized(text: str) -> str:
    return text[:1].upper() + text[1:]


@dataclass
class Lane:
    """One contestant: its stepper, and why it stopped early (None while it can go on)."""
    stepper: Stepper
    problem: str | None = None

    @property
    def config(self) -> TrainingConfig:
        return self.stepper.config

    @property
    def iteration(self) -> int:
        return self.stepper.iteration

    def running(self, target: int) -> bool:
        return self.problem is None and self.iteration < target

    def step(self) -> None:
        """One iteration; a divergence stops the lane (its parameters keep their last finite values)."""
        try:
            self.stepper.step_iteration()
        except Diverged as error:
            self.problem = str(error)

    def accuracy(self) -> tuple[np.ndarray, np.ndarray]:
        """(t, accuracy): the dev accuracy of the parameters after t updates, or the training accuracy without a
        dev set, for every t the lane's curves hold (every one unless the race outgrew the lane's history)."""
        curves = self.stepper.history.curves
        return curves.iterations, curves.points()[2 if self.stepper.split.dev_size else 1]


class Race:
    """Two (or more) lanes on one split, all starting from the first configuration's initial weights."""

    def __init__(self, split: Split, configs: Sequence[TrainingConfig],
                 params: Mapping[str, np.ndarray] | None = None):
        start = starting_params(configs[0], params)
        self.lanes = tuple(Lane(Stepper(split, config, start, history_budget_bytes=LANE_HISTORY_BYTES))
                           for config in configs)

    def finished(self, target: int) -> bool:
        return not any(lane.running(target) for lane in self.lanes)

    def step(self, target: int) -> None:
        """One race step: one iteration in every lane that has not diverged nor reached target."""
        for lane in self.lanes:
            if lane.running(target):
                lane.step()

    def run(self, target: int, should_stop: Callable[[], bool] = lambda: False) -> None:
        """Step until every lane has reached target iterations or stopped; should_stop() is asked before
        each race step, and a yes returns at once (the race can go on with the next call)."""
        while not self.finished(target) and not should_stop():
            self.step(target)

    def verdict(self, level: float = VERDICT_ACCURACY) -> str:
        """One line: when each lane first reached `level` accuracy, fastest first, or where it stands."""
        subset = "dev" if self.lanes[0].stepper.split.dev_size else "train"
        names = [lane_name(lane.config) for lane in self.lanes]
        if len(set(names)) < len(names):    # two lanes with the same settings: tell them apart by letter
            names = [f"{name} (lane {chr(ord('A') + k)})" for k, name in enumerate(names)]
        reached: list[tuple[int, str]] = []
        behind: list[tuple[str, str]] = []      # (name and what stopped it, its best accuracy)
        for name, lane in zip(names, self.lanes):
            iterations, accuracy = lane.accuracy()
            hits = np.flatnonzero(accuracy >= level)
            if hits.size:
                reached.append((int(iterations[hits[0]]), name))
                continue
            best = f"{100 * np.nanmax(accuracy):.1f} %" if accuracy.size else "no iteration"
            if lane.problem is not None:
                name = f"{name} diverged at iteration {lane.iteration}"
            behind.append((name, best))
        goal = f"{100 * level:g} % {subset} accuracy"
        if not reached:
            bests = ", ".join(f"{name}: {best}" for name, best in behind)
            return f"No lane has reached {goal} yet (best so far: {bests})."
        reached.sort()
        first_iteration, first_name = reached[0]
        parts = [f"{first_name} reaches {goal} at iteration {first_iteration}"]
        parts += [f"{name} at {iteration}" for iteration, name in reached[1:]]
        parts += [f"{name} (best {best})" if "diverged" in name else f"{name} not yet (best {best})"
                  for name, best in behind]
        return capitalized(", ".join(parts) + ".")
