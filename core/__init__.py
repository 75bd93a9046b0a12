"""Backprop Visualizer's core: the MNIST network from scratch in pure NumPy (never imports Qt)."""
__version__ = "0.2.0"       # the one place: pyproject.toml reads it, every command's --version prints it

from .config import ConfigError, TrainingConfig
from .data import DataError, Dataset, Split
from .network import PHASES
from .stepper import Diverged, PhaseRecord, Stepper

__all__ = ["ConfigError", "DataError", "Dataset", "Diverged", "PHASES", "PhaseRecord", "Split", "Stepper",
           "TrainingConfig"]
