"""The command line: `python -m core train ...` trains the network in a terminal, as the notebook does.

Each subcommand is an entry of COMMANDS: its name, its help, a function adding its arguments to a parser,
and a function running it with the parsed arguments and returning the exit code.
Exit codes: 0 done, 1 training diverged, 2 a user error (one line on stderr), 130 Ctrl+C.
`check FILE.py` exits 0 when every phase of the file's functions matches ours, 1 when one differs.

`train --json` ends a successful run with one JSON line: iterations, train_seconds (time spent in the
iterations, not in loading or measuring), ms_per_iteration (null for 0 iterations), compile_seconds (numba
compiling or loading its kernels before the first iteration, not counted above), loss, train_accuracy
(of the final weights on the whole training set), dev_accuracy (null without a dev set), train_samples,
dev_samples. A diverged run prints no JSON: its exit code is 1.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping, NoReturn, Protocol, Sequence, TextIO

import numpy as np

from . import data, network
from .checkpoints import CheckpointError, check_destination, load_weights, save_weights
from .config import DTYPES, ConfigError, TrainingConfig
from .data import DataError, Split
from .network import ACTIVATIONS, INITS, ShapeError
from .optimizers import OPTIMIZERS
from .fast import FastTrainer
from .kernels import compile_kernels
from .stepper import Diverged, Stepper

USER_ERRORS = (DataError, CheckpointError, ConfigError, ShapeError)
DEFAULT_HIDDEN = 10
DEFAULT_ACTIVATION = "relu"
DEFAULT_DTYPE = "float32"


class UsageError(Exception):
    """A command line argparse cannot read; reported on one line like every other user error."""


class ArgumentParser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # argparse would print the whole usage block; the house rule is one line per error.
        raise UsageError(f"{message} (see `{self.prog} --help`)")


# ---------------------------------------------------------------- training, independent of the engine

class Engine(Protocol):
    """What train() needs from whatever runs the iterations (the Stepper, or a faster engine)."""
    @property
    def iteration(self) -> int: ...

    @property
    def params(self) -> Mapping[str, np.ndarray]: ...

    def step_iteration(self) -> object: ...


def train(engine: Engine, iterations: int, on_progress: Callable[[int], None]) -> float:
    """Run `iterations` iterations, calling on_progress(done) after each; return the seconds spent stepping.

    Diverged and KeyboardInterrupt pass through; the engine then still holds its last finite parameters.
    """
    seconds = 0.0
    for done in range(1, iterations + 1):
        start = time.perf_counter()
        engine.step_iteration()
        seconds += time.perf_counter() - start
        on_progress(done)
    return seconds


@dataclass(frozen=True)
class Measurement:
    loss: float
    train_accuracy: float
    dev_accuracy: float | None      # None without a dev set


def measure(params: Mapping[str, np.ndarray], split: Split, activation: str, iteration: int, alpha: float
            ) -> Measurement:
    """Loss and accuracy of params on the whole training set, and accuracy on the dev set.

    Raises Diverged when the parameters, finite themselves, give an infinite score or loss,
    so nothing downstream ever prints nan.
    """
    Z1, _, Z2, A2 = network.forward(params, split.X_train, activation)
    for name, value in (("Z1", Z1), ("Z2", Z2)):
        if not np.isfinite(value).all():
            raise Diverged(iteration, name, name, alpha)
    loss = network.cross_entropy(Z2, split.labels_train)
    if not math.isfinite(loss):
        raise Diverged(iteration, "A2", "the loss", alpha)
    dev_accuracy = None
    if split.dev_size:
        dev_accuracy = network.accuracy(network.forward(params, split.X_dev, activation)[3], split.labels_dev)
    return Measurement(loss, network.accuracy(A2, split.labels_train), dev_accuracy)


def progress_line(iteration: int, measured: Measurement) -> str:
    line = f"Iteration: {iteration}  loss {measured.loss:.4f}  train accuracy {measured.train_accuracy:.4f}"
    if measured.dev_accuracy is not None:
        line += f"  dev accuracy {measured.dev_accuracy:.4f}"
    return line


class ProgressBar:
    """A one-line bar redrawn in place on a terminal's stderr, at most ten times a second; silent otherwise."""

    def __init__(self, total: int, stream: TextIO):
        self.total = total
        self.stream = stream
        self.enabled = total > 0 and stream.isatty()
        self._drawn_at = 0.0

    def update(self, done: int) -> None:
        now = time.monotonic()
        if not self.enabled or (now - self._drawn_at < 0.1 and done < self.total):
            return
        self._drawn_at = now
        width = 30
        filled = width * done // self.total
        self.stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{self.total}")
        self.stream.flush()

    def clear(self) -> None:
        if self.enabled:
            self.stream.write("\r\033[K")
            self.stream.flush()


# ---------------------------------------------------------------- the train command

def add_train_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", default="mnist-sample", metavar="SPEC",
                        help="mnist-sample (default), fashion-mnist, or a .csv / .npz / idx file")
    parser.add_argument("--hidden", type=int, default=None, metavar="H",
                        help=f"hidden units (default {DEFAULT_HIDDEN}; taken from the file with --init PATH)")
    parser.add_argument("--activation", choices=tuple(ACTIVATIONS), default=None,
                        help=f"g in A1 = g(Z1) (default {DEFAULT_ACTIVATION}, or the weights file's)")
    parser.add_argument("--init", default="uniform", metavar="|".join(INITS) + "|PATH.npz",
                        help="initial weights: a rule, or a weights file to continue from (default uniform)")
    parser.add_argument("--optimizer", choices=OPTIMIZERS, default="gd", help="update rule (default gd)")
    parser.add_argument("--alpha", type=float, default=0.1, metavar="ALPHA", help="learning rate α (default 0.1)")
    parser.add_argument("--iterations", type=int, default=500, metavar="N", help="iterations to run (default 500)")
    parser.add_argument("--batch-size", type=int, default=0, metavar="M",
                        help="examples per iteration; 0 = all (default)")
    parser.add_argument("--dev-size", type=int, default=1000, metavar="N",
                        help="examples held out to measure dev accuracy (default 1000; 0 = none)")
    parser.add_argument("--no-shuffle", action="store_true", help="split the rows in file order")
    parser.add_argument("--seed", type=int, default=0, metavar="SEED",
                        help="seeds the split, the init and the batches (default 0)")
    parser.add_argument("--dtype", choices=DTYPES, default=None,
                        help=f"float precision (default {DEFAULT_DTYPE}, or the weights file's)")
    parser.add_argument("--log-every", type=int, default=10, metavar="N",
                        help="print a progress line every N iterations and after the last (default 10; 0 = last only)")
    parser.add_argument("--save", default=None, metavar="PATH.npz", help="save the final weights here")
    parser.add_argument("--json", action="store_true", help="end with one JSON line of results")
    parser.add_argument("--engine", choices=("fast", "phases"), default="fast",
                        help="fast: whole fused iterations (core/fast.py, equal to the phases to float rounding); "
                             "phases: the eleven phases one by one, as the window steps them (default fast)")


def _start_weights(args: argparse.Namespace) -> tuple[dict[str, np.ndarray] | None, dict, TrainingConfig]:
    """The configuration, and the starting weights and their settings when --init names a file."""
    if args.iterations < 0:
        raise ConfigError(f"--iterations must be 0 or more, not {args.iterations}")
    if args.log_every < 0:
        raise ConfigError(f"--log-every must be 0 or more, not {args.log_every}")
    params, meta = None, {}
    hidden = DEFAULT_HIDDEN if args.hidden is None else args.hidden
    activation = args.activation or DEFAULT_ACTIVATION
    dtype = args.dtype or DEFAULT_DTYPE
    init = args.init
    if init not in INITS:
        if not init.endswith(".npz") and not Path(init).exists():
            raise ConfigError(f"unknown init {init!r}: choose one of {', '.join(INITS)} or a .npz weights file")
        params, meta = load_weights(init)
        hidden = network.check_params(params)
        if args.hidden is not None and args.hidden != hidden:
            raise ConfigError(f"--hidden {args.hidden} conflicts with {init}, which has {hidden} hidden units; "
                              f"leave out --hidden")
        # Unless told otherwise, continue with the network the file was trained as.
        if args.activation is None and meta.get("activation") in ACTIVATIONS:
            activation = meta["activation"]
        if args.dtype is None and meta.get("dtype") in DTYPES:
            dtype = meta["dtype"]
        init = meta.get("init") if meta.get("init") in INITS else "uniform"   # a label only: params are given
    config = TrainingConfig(hidden=hidden, activation=activation, init=init, optimizer=args.optimizer,
                            alpha=args.alpha, batch_size=args.batch_size, seed=args.seed, dtype=dtype)
    return params, meta, config


def run_train(args: argparse.Namespace) -> int:
    params, meta, config = _start_weights(args)
    if args.save:
        check_destination(args.save)     # before training, not after
    dataset = data.load(args.data)
    split = data.split(dataset, dev_size=args.dev_size, shuffle=not args.no_shuffle, seed=args.seed,
                       dtype=config.dtype)
    engine: Engine = Stepper(split, config, params) if args.engine == "phases" else FastTrainer(split, config, params)
    earlier = meta.get("iteration", 0)
    earlier = earlier if isinstance(earlier, int) and earlier >= 0 else 0

    def weights_meta(done: int) -> dict:
        return {"hidden": config.hidden, "activation": config.activation, "optimizer": config.optimizer,
                "alpha": config.alpha, "iteration": earlier + done, "dataset": args.data,
                "dtype": config.dtype, "seed": config.seed, "init": args.init}

    print(f"Training {network.INPUTS}→{config.hidden}→{network.OUTPUTS} {config.activation}, {config.optimizer} "
          f"α {config.alpha:g}, {'full batch' if not config.batch_size else f'batches of {config.batch_size}'}, "
          f"{config.dtype} on {split.name}: {split.train_size} training and {split.dev_size} dev examples",
          flush=True)
    # The kernels are compiled (or loaded from numba's cache) before the clock starts: reported apart.
    compile_seconds = compile_kernels() if engine.backend == "numba" and args.iterations else 0.0
    bar = ProgressBar(args.iterations, sys.stderr)
    last: list[Measurement] = []

    def on_progress(done: int) -> None:
        bar.update(done)
        if done == args.iterations or (args.log_every and done % args.log_every == 0):
            last[:] = [measure(engine.params, split, config.activation, done, config.alpha)]
            bar.clear()
            print(progress_line(done, last[0]), flush=True)

    try:
        # Every result is checked for finiteness (Diverged), so numpy's overflow warnings would only add noise.
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            if args.iterations == 0:
                on_progress(0)
                seconds = 0.0
            else:
                seconds = train(engine, args.iterations, on_progress)
    except Diverged as diverged:
        bar.clear()
        print(diverged, file=sys.stderr)
        done = engine.iteration
        if args.save:
            save_weights(args.save, engine.params, weights_meta(done))
            print(f"saved the last finite weights (after {done} iterations) to {args.save}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        bar.clear()
        print(f"interrupted after {engine.iteration} iterations; nothing saved", file=sys.stderr)
        return 130
    bar.clear()
    if args.save:
        save_weights(args.save, engine.params, weights_meta(args.iterations))
        print(f"saved weights to {args.save}", flush=True)
    if args.json:
        measured = last[0]
        print(json.dumps({
            "iterations": args.iterations,
            "train_seconds": round(seconds, 6),
            "ms_per_iteration": round(1000 * seconds / args.iterations, 6) if args.iterations else None,
            "compile_seconds": round(compile_seconds, 6),
            "loss": measured.loss,
            "train_accuracy": measured.train_accuracy,
            "dev_accuracy": measured.dev_accuracy,
            "train_samples": split.train_size,
            "dev_samples": split.dev_size,
        }), flush=True)
    return 0


# ---------------------------------------------------------------- the check command

def add_check_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE.py",
                        help="a .py file defining the notebook's init_params, forward_prop, backward_prop, update_params")
    parser.add_argument("--timeout", type=float, default=20.0, metavar="SECONDS",
                        help="stop the file's code after this many seconds (default 20)")


def run_check(args: argparse.Namespace) -> int:
    """One line per phase; 0 when every phase matches the reference, 1 when something differs."""
    from .check import CheckFileError, check_file      # only this command pays for it

    if not (math.isfinite(args.timeout) and args.timeout > 0):
        raise ConfigError(f"--timeout must be a positive number of seconds, not {args.timeout:g}")
    try:
        report = check_file(args.file, timeout=args.timeout)
    except CheckFileError as error:
        print("error: " + " ".join(str(error).split()), file=sys.stderr)
        return 2
    print(report.text(), flush=True)
    return 0 if report.all_match else 1


# ---------------------------------------------------------------- the command line

# (name, one-line help, add its arguments, run it). A new subcommand adds one entry here.
COMMANDS: list[tuple[str, str, Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]]] = [
    ("train", "train the network in the terminal, printing progress as the notebook does",
     add_train_arguments, run_train),
    ("check", "run your own notebook functions on our data and weights and compare them phase by phase",
     add_check_arguments, run_check),
]


def build_parser() -> ArgumentParser:
    parser = ArgumentParser(prog="python -m core", description="Backprop Visualizer's network, without the window.")
    subcommands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, help_text, add_arguments, run in COMMANDS:
        command = subcommands.add_parser(name, help=help_text, description=help_text[0].upper() + help_text[1:])
        add_arguments(command)
        command.set_defaults(run=run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if args.command is None:
            raise UsageError(f"choose a command: {', '.join(name for name, *_ in COMMANDS)} "
                             f"(see `{parser.prog} --help`)")
        return args.run(args)
    except SystemExit as exit_request:      # --help
        return exit_request.code if isinstance(exit_request.code, int) else 0
    except (UsageError, *USER_ERRORS) as error:
        print("error: " + " ".join(str(error).split()), file=sys.stderr)   # always one line
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
