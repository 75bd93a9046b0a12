"""Whole training iterations at speed: the Stepper's numbers without its phase records, checks and history.

FastTrainer runs the same iteration as Stepper.step_iteration (the eleven phases of core/network.py, the
optimizer of core/optimizers.py, the same mini-batch order, the same Diverged errors) and returns
(loss, train accuracy) per iteration. It has two backends:

numba   the fast kernel's one pass over the training examples per iteration (core/kernels.py), keeping only
        the gradients: the Stepper's own kernel without the arrays it hands out, so the same parameters bit for
        bit. Where a sum might not be finite it hands over to the Stepper's own step, which decides (Diverged).
numpy   core/training.py's step itself (the phase functions of core/network.py, NumPy's products), without the
        Stepper's records and history: bit-identical to a Stepper with the numpy backend.

The loss FastTrainer reports is the kernel's float64 sum; the Stepper's is computed from its Z2 (float rounding).
"""
from __future__ import annotations

from types import MappingProxyType
from typing import Mapping

import numpy as np

from . import kernels, training
from .config import TrainingConfig, learning_rate
from .data import Split
# The kernels' helpers, importable from here as before.
from .kernels import compile_kernels, numba_available, training_rows, use_threads  # noqa: F401
from .training import BACKENDS, Diverged, starting_params  # noqa: F401

GRADIENTS: tuple[str, ...] = ("dW1", "db1", "dW2", "db2")


class FastTrainer:
    """Full training iterations of one run on one split; the same arithmetic as Stepper, much faster.

    step() does one iteration (forward, backward, update) and returns (loss, train_accuracy) of its forward
    pass, as the Stepper's history records them. It raises Diverged, changing nothing, where the Stepper would.
    """

    def __init__(self, split: Split, config: TrainingConfig, params: Mapping[str, np.ndarray] | None = None,
                 backend: str = "auto"):
        self.split = split
        self.config = config
        self.alpha = config.alpha
        self.dtype = np.dtype(config.dtype)
        self.data = training.TrainingData(split, config, backend)
        self.backend = self.data.backend
        self.state = training.initial_state(config, params)

    # ------------------------------------------------------------ reading
    @property
    def iteration(self) -> int:
        return self.state.iteration

    @property
    def params(self) -> Mapping[str, np.ndarray]:
        """W1, b1, W2, b2 after `iteration` updates (read-only arrays)."""
        return MappingProxyType(dict(self.state.params))

    @property
    def optimizer_state(self) -> Mapping[str, np.ndarray]:
        return MappingProxyType(dict(self.state.optimizer))

    def set_alpha(self, alpha: float) -> None:
        """A new learning rate from the next update on."""
        self.alpha = learning_rate(alpha)

    def evaluate_dev(self) -> float | None:
        """Accuracy of the current parameters on the dev set (None without one), as Stepper.evaluate_dev."""
        return self.data.dev_accuracy(self.state.params, self.config.activation)

    # ------------------------------------------------------------ training
    def batch_indices(self, iteration: int) -> np.ndarray | None:
        """The training columns an iteration uses, as Stepper.batch_indices: None for the full batch."""
        return self.data.batch_indices(iteration)

    def gradients(self) -> tuple[dict[str, np.ndarray], float, float]:
        """(dW1, db1, dW2, db2 by name; loss; train accuracy) of the next iteration, without updating."""
        if self.backend == "numba":
            return self._fused_gradients()
        step = self._step()
        return {name: step.arrays[name] for name in GRADIENTS}, step.loss, step.train_accuracy

    def step(self) -> tuple[float, float]:
        """One iteration: forward, backward, update. Returns (loss, train accuracy) of its forward pass."""
        if self.backend == "numba":
            grads, loss, train_accuracy = self._fused_gradients()
            self.state = training.apply_update(self.state, grads, self.config.optimizer, self.alpha)
        else:
            step = self._step()
            self.state, loss, train_accuracy = step.state, step.loss, step.train_accuracy
        return loss, train_accuracy

    step_iteration = step  # what core.cli.train calls on an engine

    def run(self, iterations: int) -> tuple[float, float] | None:
        """`iterations` steps; returns the last (loss, train accuracy), None for 0 iterations."""
        result = None
        for _ in range(iterations):
            result = self.step()
        return result

    # ------------------------------------------------------------ backends
    def _step(self) -> training.Step:
        """The Stepper's own step on this iteration's batch (on the fast kernels with the numba backend)."""
        return training.train_step(self.state, self.data.batch(self.iteration), self.config, self.alpha)

    def _fused_gradients(self) -> tuple[dict[str, np.ndarray], float, float]:
        done = kernels.fused_pass(self.data.pixels, self.data.kernel_order(self.iteration), self.data.kernel_labels,
                                  self.state.params, self.config.activation)
        # Anything that might not be finite in dtype (the Stepper keeps Z1, Z2 and the loss in dtype): the
        # Stepper's step decides, and raises Diverged exactly where it would (rare: the cost is no matter).
        if not (done.largest <= float(np.finfo(self.dtype).max)
                and all(np.isfinite(value).all() for value in done.grads.values())):
            step = self._step()
            return {name: step.arrays[name] for name in GRADIENTS}, step.loss, step.train_accuracy
        training.check_loss(done.loss, self.iteration, self.alpha)
        return done.grads, done.loss, done.train_accuracy
