"""The settings of one training run, shared by the command line, the stepper and the window."""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace

import numpy as np

from .network import ACTIVATIONS, INITS
from .optimizers import OPTIMIZERS
from .reading import shown

DTYPES = ("float32", "float64")
LARGEST_HIDDEN = 4096           # the widest hidden layer any run may have (the window draws at most its own maximum)
LARGEST_SEED = 2**64 - 1
LARGEST_BATCH = 2**31 - 1       # what a 32-bit control holds; any batch of the whole set or more is the full batch


def _whole(value: object) -> bool:
    """A whole number, and not True or False (which Python counts as 1 and 0)."""
    return isinstance(value, int) and not isinstance(value, bool)


class ConfigError(ValueError):
    """A setting outside what the network supports; the message says which and what is allowed."""


def learning_rate(alpha: object) -> float:
    """alpha as a float, if it is a usable learning rate α (a finite positive number; True and False are not
    numbers here); else ConfigError."""
    usable = not isinstance(alpha, (bool, np.bool_)) and isinstance(alpha, (int, float, np.integer, np.floating))
    try:
        value = float(alpha) if usable else math.nan       # type: ignore[arg-type]
    except OverflowError:       # an integer beyond any float
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise ConfigError(f"the learning rate must be a positive number, not {shown(alpha)}")
    return value


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
        if not _whole(self.hidden) or not 1 <= self.hidden <= LARGEST_HIDDEN:
            raise ConfigError(f"hidden must be a whole number from 1 to {LARGEST_HIDDEN}, not {shown(self.hidden)}")
        if not isinstance(self.activation, str) or self.activation not in ACTIVATIONS:
            raise ConfigError(f"unknown activation {shown(self.activation)}: choose one of {', '.join(ACTIVATIONS)}")
        if not isinstance(self.init, str) or self.init not in INITS:
            raise ConfigError(f"unknown init {shown(self.init)}: choose one of {', '.join(INITS)} "
                              "or a .npz weights file")
        if not isinstance(self.optimizer, str) or self.optimizer not in OPTIMIZERS:
            raise ConfigError(f"unknown optimizer {shown(self.optimizer)}: choose one of {', '.join(OPTIMIZERS)}")
        learning_rate(self.alpha)
        if not _whole(self.batch_size) or not 0 <= self.batch_size <= LARGEST_BATCH:
            raise ConfigError(f"batch size must be 0 (full batch) or a whole number up to {LARGEST_BATCH:,}, "
                              f"not {shown(self.batch_size)}")
        if not _whole(self.seed) or not 0 <= self.seed <= LARGEST_SEED:
            raise ConfigError(f"the seed must be a whole number from 0 to 2⁶⁴ − 1, not {shown(self.seed)}")
        if not isinstance(self.dtype, str) or self.dtype not in DTYPES:
            raise ConfigError(f"dtype must be one of {', '.join(DTYPES)}, not {shown(self.dtype)}")

    def with_changes(self, **changes) -> "TrainingConfig":
        return replace(self, **changes)

    def as_dict(self) -> dict:
        return asdict(self)

    def same_architecture(self, other: "TrainingConfig") -> bool:
        """True when other differs from self at most in the learning rate (which may change mid-run)."""
        return replace(other, alpha=self.alpha) == self
