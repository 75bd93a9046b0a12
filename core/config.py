"""The settings of one training run, shared by the command line, the stepper and the window."""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace

import numpy as np

from .network import ACTIVATIONS, INITS
from .optimizers import OPTIMIZERS

DTYPES = ("float32", "float64")


class ConfigError(ValueError):
    """A setting outside what the network supports; the message says which and what is allowed."""


def learning_rate(alpha: object) -> float:
    """alpha as a float, if it is a usable learning rate α (a finite positive number); else ConfigError."""
    if not (isinstance(alpha, (int, float, np.integer, np.floating)) and math.isfinite(alpha) and alpha > 0):
        raise ConfigError(f"the learning rate must be a positive number, not {alpha!r}")
    return float(alpha)


@dataclass(frozen=True)
class TrainingConfig:
    hidden: int = 10            # H, the width of the hidden layer
    activation: str = "relu"    # g in A1 = g(Z1)
    init: str = "uniform"       # uniform | he | xavier (a weights file is passed to the stepper as params)
    optimizer: str = "gd"       # gd | momentum | adam
    alpha: float = 0.1          # learning rate α
    batch_size: int = 0         # 0 = full batch, as the notebook
    seed: int = 0               # seeds the init and the mini-batch shuffles
    dtype: str = "float32"

    def __post_init__(self) -> None:
        if not isinstance(self.hidden, int) or not 1 <= self.hidden <= 4096:
            raise ConfigError(f"hidden must be a whole number from 1 to 4096, not {self.hidden!r}")
        if self.activation not in ACTIVATIONS:
            raise ConfigError(f"unknown activation {self.activation!r}: choose one of {', '.join(ACTIVATIONS)}")
        if self.init not in INITS:
            raise ConfigError(f"unknown init {self.init!r}: choose one of {', '.join(INITS)} or a .npz weights file")
        if self.optimizer not in OPTIMIZERS:
            raise ConfigError(f"unknown optimizer {self.optimizer!r}: choose one of {', '.join(OPTIMIZERS)}")
        learning_rate(self.alpha)
        if not isinstance(self.batch_size, int) or self.batch_size < 0:
            raise ConfigError(f"batch size must be 0 (full batch) or a positive whole number, not {self.batch_size!r}")
        if self.dtype not in DTYPES:
            raise ConfigError(f"dtype must be one of {', '.join(DTYPES)}, not {self.dtype!r}")

    def with_changes(self, **changes) -> "TrainingConfig":
        return replace(self, **changes)

    def as_dict(self) -> dict:
        return asdict(self)

    def same_architecture(self, other: "TrainingConfig") -> bool:
        """True when other differs from self at most in the learning rate (which may change mid-run)."""
        return replace(other, alpha=self.alpha) == self
