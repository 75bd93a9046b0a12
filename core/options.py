"""The settings of a run as the command line gives them, defined once for the window and the terminal.

`backprop-visualizer` (the window) and `backprop-visualizer-cli train` (the terminal) take the same run options:
add_run_arguments puts them on a parser, and run_setup turns what was parsed into a TrainingConfig, the split
options and, when the run starts from a weights file, its parameters (adopt_weights: the file's width, activation
and precision unless the command line says otherwise). Every bad option is a UsageError, every bad file the
core's own error, each with a one-line message.
"""
from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, NoReturn

import numpy as np

from . import __version__, network
from .checkpoints import check_fits, load_weights
from .config import DTYPES, LARGEST_HIDDEN, TrainingConfig
from .network import ACTIVATIONS, INITS
from .optimizers import OPTIMIZERS

DEFAULTS = TrainingConfig()


class UsageError(Exception):
    """A command line that cannot be used; reported on one line, exit code 2."""


class ArgumentParser(argparse.ArgumentParser):
    """argparse with one-line errors (it would print the whole usage block) and --version."""

    def __init__(self, *arguments: Any, **keywords: Any):
        super().__init__(*arguments, **keywords)
        self.add_argument("--version", action="version", version=f"%(prog)s {__version__}")

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see `{self.prog} --help`)")


@dataclass(frozen=True)
class SplitOptions:
    """How a dataset is split into train and dev: --dev-size, --no-shuffle and --seed."""
    dev_size: int = 1000
    shuffle: bool = True
    seed: int = 0


@dataclass(frozen=True)
class RunSetup:
    """What a run starts from: its configuration, its split, and the parameters of a weights file (or None)."""
    config: TrainingConfig
    split: SplitOptions
    params: Mapping[str, np.ndarray] | None = None
    meta: Mapping[str, Any] = field(default_factory=dict)


def add_run_arguments(parser: argparse.ArgumentParser, largest_hidden: int) -> None:
    """The options every run takes: the data, the network, the optimizer, the split."""
    parser.add_argument("--data", default=None, metavar="SPEC",
                        help="mnist-sample (the 5,000 digits inside the app), fashion-mnist (Debian's "
                             "dataset-fashion-mnist), fashion-mnist=FOLDER (a folder of its IDX files), or a "
                             ".csv / .npz / IDX file")
    parser.add_argument("--hidden", type=int, default=None, metavar="H",
                        help=f"hidden units, 1–{largest_hidden} (default {DEFAULTS.hidden}, or the weights file's)")
    parser.add_argument("--activation", choices=tuple(ACTIVATIONS), default=None,
                        help=f"g in A1 = g(Z1) (default {DEFAULTS.activation}, or the weights file's)")
    parser.add_argument("--init", "--weights", dest="init", default=DEFAULTS.init,
                        metavar="|".join(INITS) + "|PATH.npz",
                        help="the initial weights: a rule, or a weights file to start from (its hidden width is "
                             "used); --weights PATH.npz says the same (default uniform)")
    parser.add_argument("--optimizer", choices=OPTIMIZERS, default=DEFAULTS.optimizer,
                        help=f"update rule (default {DEFAULTS.optimizer})")
    parser.add_argument("--alpha", type=float, default=DEFAULTS.alpha, metavar="ALPHA",
                        help=f"learning rate α (default {DEFAULTS.alpha:g})")
    parser.add_argument("--batch-size", type=int, default=DEFAULTS.batch_size, metavar="M",
                        help="examples per iteration; 0 = all (default)")
    parser.add_argument("--dev-size", type=int, default=SplitOptions.dev_size, metavar="N",
                        help=f"examples held out to measure dev accuracy (default {SplitOptions.dev_size}; 0 = none)")
    parser.add_argument("--no-shuffle", action="store_true", help="split the rows in file order")
    parser.add_argument("--seed", type=int, default=DEFAULTS.seed, metavar="SEED",
                        help="seeds the split, the init and the batches (default 0)")
    parser.add_argument("--dtype", choices=DTYPES, default=None,
                        help=f"float precision (default {DEFAULTS.dtype}, or the weights file's)")
    parser.set_defaults(largest_hidden=largest_hidden)


def run_setup(args: argparse.Namespace) -> RunSetup:
    """The run the parsed options describe; UsageError or ConfigError for a bad option, the core's errors for a bad
    file."""
    if args.hidden is not None and not 1 <= args.hidden <= args.largest_hidden:
        raise UsageError(f"--hidden must be from 1 to {args.largest_hidden}, not {args.hidden}")
    for option, value in (("--dev-size", args.dev_size), ("--seed", args.seed)):     # the configuration checks the rest
        if value < 0:
            raise UsageError(f"{option} must be 0 or more, not {value}")
    params, meta = None, {}
    hidden, activation, dtype, init = args.hidden, args.activation, args.dtype, args.init
    if init not in INITS:
        if not init.endswith(".npz") and not Path(init).exists():
            raise UsageError(f"--init {init!r}: choose one of {', '.join(INITS)} or a .npz weights file")
        params, meta, hidden, activation, dtype = adopt_weights(init, hidden, activation, dtype, args.largest_hidden)
        # A label only (the parameters are given); meta is the file's, so its values may be of any type.
        init = meta["init"] if isinstance(meta.get("init"), str) and meta["init"] in INITS else DEFAULTS.init
    config = TrainingConfig(hidden=DEFAULTS.hidden if hidden is None else hidden,
                            activation=activation or DEFAULTS.activation, init=init, optimizer=args.optimizer,
                            alpha=args.alpha, batch_size=args.batch_size, seed=args.seed, dtype=dtype or DEFAULTS.dtype)
    return RunSetup(config, SplitOptions(args.dev_size, not args.no_shuffle, args.seed), params, meta)


def adopt_weights(path: str, hidden: int | None = None, activation: str | None = None, dtype: str | None = None,
                  largest_hidden: int = LARGEST_HIDDEN) -> tuple[dict[str, np.ndarray], dict, int, str | None, str | None]:
    """A weights file's parameters and settings, and the network to continue them with: the file's hidden width
    (a different `hidden` asked for is a UsageError), and its activation and precision unless others are given.

    Returns (params, meta, hidden, activation, dtype); activation and dtype stay None when neither the caller nor
    the file names one."""
    params, meta = load_weights(path, largest_hidden)     # a wider file is refused before its arrays are read
    file_hidden = network.check_params(params)
    if hidden is not None and hidden != file_hidden:
        raise UsageError(f"--hidden {hidden} conflicts with {path}, which has {file_hidden} hidden units; "
                         "leave out --hidden")
    if activation is None and isinstance(meta.get("activation"), str) and meta["activation"] in ACTIVATIONS:
        activation = meta["activation"]
    if dtype is None and isinstance(meta.get("dtype"), str) and meta["dtype"] in DTYPES:
        dtype = meta["dtype"]
    check_fits(path, params, dtype or DEFAULTS.dtype)
    return params, meta, file_hidden, activation, dtype
