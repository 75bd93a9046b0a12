"""The command line: `python -m core train ...` trains the network in a terminal, as the notebook does.

Each subcommand is an entry of COMMANDS: its name, its help, a function adding its arguments to a parser,
and a function running it with the parsed arguments and returning the exit code.
Installed, it is also the command `backprop-visualizer-cli` (a console script: unlike `python -m core`, it is not
thrown off by a file named core.py in the current folder). Exit codes: 0 done, 1 training diverged, 2 a user error
(one line on stderr), 130 Ctrl+C.
`check FILE` exits 0 when every phase of the file's functions matches ours, 1 when one differs, 2 when it cannot check.

`train --json` ends a successful run with one JSON line: iterations, train_seconds (time spent in the
iterations, not in loading, the kernels' copy of X included, or measuring), ms_per_iteration (null for 0
iterations), compile_seconds (numba compiling or loading its kernels before the first iteration, not counted
above), loss, train_accuracy (of the final weights on the whole training set), dev_accuracy (null without a dev
set), train_samples, dev_samples. A diverged run prints no JSON: its exit code is 1.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from dataclasses import dataclass
from typing import Callable, Mapping, Protocol, Sequence, TextIO

import numpy as np

from . import data, network
from .checkpoints import CheckpointError, check_destination, save_weights, weights_nbytes
from .config import LARGEST_HIDDEN, ConfigError
from .data import DataError, Split
from .fast import FastTrainer
from .network import ShapeError
from .options import ArgumentParser, UsageError, add_run_arguments, run_setup
from .reading import reason
from .stepper import Diverged, Stepper
from .training import PREPARING, TrainingData, one_blas_thread, prepare_kernels

USER_ERRORS = (UsageError, DataError, CheckpointError, ConfigError, ShapeError)


# ---------------------------------------------------------------- training, independent of the engine

class Engine(Protocol):
    """What train() needs from whatever runs the iterations (the Stepper, or a faster engine)."""
    @property
    def iteration(self) -> int: ...

    @property
    def params(self) -> Mapping[str, np.ndarray]: ...

    backend: str
    data: TrainingData

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
    add_run_arguments(parser, LARGEST_HIDDEN)       # the terminal trains any width the configuration allows
    parser.add_argument("--iterations", type=int, default=500, metavar="N", help="iterations to run (default 500)")
    parser.add_argument("--log-every", type=int, default=10, metavar="N",
                        help="print a progress line every N iterations and after the last (default 10; 0 = last only)")
    parser.add_argument("--save", default=None, metavar="PATH.npz", help="save the final weights here")
    parser.add_argument("--json", action="store_true", help="end with one JSON line of results")
    parser.add_argument("--engine", choices=("fast", "phases"), default="fast",
                        help="fast: whole fused iterations (core/fast.py, equal to the phases to float rounding); "
                             "phases: the eleven phases one by one, as the window steps them (default fast)")


def run_train(args: argparse.Namespace) -> int:
    for option, value in (("--iterations", args.iterations), ("--log-every", args.log_every)):
        if value < 0:
            raise UsageError(f"{option} must be 0 or more, not {value}")
    args.data = args.data or data.SAMPLE
    setup = run_setup(args)
    config, params, meta = setup.config, setup.params, setup.meta
    if args.save:
        check_destination(args.save, weights_nbytes(config.hidden, config.dtype))    # before training, not after
    dataset = data.load(args.data)
    split = data.split(dataset, dev_size=setup.split.dev_size, shuffle=setup.split.shuffle, seed=setup.split.seed,
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

    def announce(slow: bool) -> None:
        if slow:        # numba compiles, at the first run after installing: say why nothing happens yet
            print(PREPARING, file=sys.stderr, flush=True)
    # The kernels are compiled (or loaded from numba's cache) before the clock starts: reported apart.
    compile_seconds = prepare_kernels(engine.backend, announce) if args.iterations else 0.0
    if args.iterations:
        engine.data.prepare()       # X as the kernels read it (0.4 s on Fashion-MNIST), before the clock too
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
        # The measurements are made under the same BLAS threads as the training's own (the same bits).
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"), one_blas_thread(engine.backend):
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
    parser.add_argument("file", metavar="FILE",
                        help="your notebook (.ipynb) or .py file, as you have it, with the notebook's init_params, "
                             "forward_prop, backward_prop and update_params")
    parser.add_argument("--timeout", metavar="SECONDS",
                        help="stop each of the file's functions (and each top-level statement) after this many "
                             "seconds (default 10)")


def run_check(args: argparse.Namespace) -> int:
    """The report; 0 when every phase matches the reference, 1 when something differs, 2 when it cannot check."""
    from .check import DEFAULT_TIMEOUT, CheckError, check_file      # only this command pays for it

    try:
        report = check_file(args.file, timeout=DEFAULT_TIMEOUT if args.timeout is None else args.timeout)
    except CheckError as error:         # the file or the time limit: one line, as every user error
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


def program_name() -> str:
    """How the user called us, for messages: the console script's name, else `python -m core`."""
    called = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else ""
    return "backprop-visualizer-cli" if called.startswith("backprop-visualizer-cli") else "python -m core"


def build_parser() -> ArgumentParser:
    parser = ArgumentParser(prog=program_name(), description="Backprop Visualizer's network, without the window.")
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
    except USER_ERRORS as error:
        print("error: " + " ".join(str(error).split()), file=sys.stderr)   # always one line
        return 2
    except BrokenPipeError:
        raise                       # the reader of our output went away: entry() ends quietly
    except OSError as error:        # a file the core's readers do not open, e.g. the checked .py file
        where = f"{error.filename}: " if error.filename else ""
        print(f"error: {where}{reason(error)}", file=sys.stderr)
        return 2
    except MemoryError:
        print("error: not enough memory for this run (try a smaller --hidden or dataset)", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def entry() -> int:
    """`backprop-visualizer-cli` and `python -m core`: main(), and a quiet exit when the reader of our output went
    away (`… | head`) or there is no stdout at all (`>&-`)."""
    _fill_closed_standard_streams()
    try:
        code = main()
        if sys.stdout is not None:
            sys.stdout.flush()
    except BrokenPipeError:
        # Keep Python from complaining again when it flushes at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = 1
    return code


def _fill_closed_standard_streams() -> None:
    """Put the null device where stdin, stdout or stderr is closed (`>&-`, `2>&-`): otherwise the next file opened
    takes that descriptor, and whatever writes to "stdout" (a child process included) writes into it; and Python's
    sys.stdout or sys.stderr is None, which print(file=...) and .isatty() do not expect."""
    for descriptor, name, mode in ((0, "stdin", os.O_RDONLY), (1, "stdout", os.O_WRONLY), (2, "stderr", os.O_WRONLY)):
        try:
            os.fstat(descriptor)
            continue
        except OSError:
            pass
        opened = os.open(os.devnull, mode)
        if opened != descriptor:        # the lowest free descriptor is normally the closed one itself
            os.dup2(opened, descriptor)
            os.close(opened)
        if getattr(sys, name) is None:
            setattr(sys, name, open(descriptor, "r" if descriptor == 0 else "w", closefd=False))
