"""`python -m visualizer` (or `backprop-visualizer`): the window, started from command-line arguments.

Bad arguments or a file that cannot be used print one line on stderr and exit with 2.
`--screenshot PATH --steps N` trains N iterations, writes the window as a PNG and exits with 0.
"""
from __future__ import annotations

import argparse
import atexit
import gc
import os
import sys
import weakref

# One BLAS thread: the UI thread needs a core of its own, and on two cores a second BLAS thread that spins
# while the UI paints slows training several-fold. The matrices are small enough that one thread is as fast.
# Set before NumPy is first imported (below); the user's own setting wins.
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")
from typing import NoReturn, Sequence

from core import checkpoints, network
from core.config import DTYPES, ConfigError, TrainingConfig
from core.data import DataError
from core.network import ACTIVATIONS, INITS, ShapeError
from core.optimizers import OPTIMIZERS

DEFAULT_DATA = "mnist-sample"
USER_ERRORS = (DataError, checkpoints.CheckpointError, ConfigError, ShapeError)


class UsageError(Exception):
    """A command line that cannot be used; reported on one line."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # argparse would print the whole usage block; the house rule is one line per error.
        raise UsageError(f"{message} (see `{self.prog} --help`)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="backprop-visualizer",
                     description="Step through the forward pass, backprop and gradient descent of a small network.")
    parser.add_argument("--data", default=None, metavar="SPEC",
                        help="mnist-sample (the default on a first start; later the dataset last used), "
                             "fashion-mnist, or a .csv / .npz / idx file")
    parser.add_argument("--weights", default=None, metavar="PATH.npz",
                        help="start from these weights (their hidden width is used)")
    defaults = TrainingConfig()
    parser.add_argument("--hidden", type=int, default=None, metavar="H",
                        help=f"hidden units, 1–128 (default {defaults.hidden}, or the weights file's)")
    parser.add_argument("--activation", choices=tuple(ACTIVATIONS), default=None,
                        help=f"g in A1 = g(Z1) (default {defaults.activation}, or the weights file's)")
    parser.add_argument("--init", choices=INITS, default=defaults.init, help="initial weights (default uniform)")
    parser.add_argument("--optimizer", choices=OPTIMIZERS, default=defaults.optimizer, help="update rule")
    parser.add_argument("--alpha", type=float, default=defaults.alpha, help="learning rate α (default 0.1)")
    parser.add_argument("--batch-size", type=int, default=0, help="examples per iteration; 0 = all (default)")
    parser.add_argument("--dev-size", type=int, default=1000, help="examples held out as the dev set (default 1000)")
    parser.add_argument("--no-shuffle", action="store_true", help="split the rows in file order")
    parser.add_argument("--seed", type=int, default=0, help="seeds the split, the init and the batches")
    parser.add_argument("--dtype", choices=DTYPES, default=defaults.dtype, help="float precision (default float32)")
    parser.add_argument("--screenshot", default=None, metavar="PATH.png",
                        help="train --steps iterations, save the window as a PNG and exit")
    parser.add_argument("--steps", type=int, default=0, metavar="N", help="iterations to run before --screenshot")
    parser.add_argument("--size", default=None, metavar="WxH", help="window size, e.g. 1280x720")
    parser.add_argument("--presenter", action="store_true", help="start in presenter mode (full screen)")
    return parser


def parse_size(text: str) -> tuple[int, int]:
    try:
        width, height = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise UsageError(f"--size {text!r}: give the width and height in pixels, e.g. 1280x720") from None
    if not (200 <= width <= 10000 and 200 <= height <= 10000):
        raise UsageError(f"--size {text!r}: width and height must be between 200 and 10000 pixels")
    return width, height


def parse_arguments(argv: Sequence[str]) -> argparse.Namespace:
    args = build_parser().parse_args(list(argv))
    if args.steps < 0:
        raise UsageError(f"--steps must be 0 or more, not {args.steps}")
    if args.size is not None:
        args.size = parse_size(args.size)
    if args.hidden is not None and not 1 <= args.hidden <= 128:
        raise UsageError(f"--hidden must be from 1 to 128 in the visualizer, not {args.hidden}")
    return args


def create_main_window(argv: Sequence[str]):
    """The whole window from command-line style arguments, without entering the event loop.

    Creates the QApplication if there is none. Raises UsageError or one of USER_ERRORS on bad input.
    """
    args = parse_arguments(argv)
    from PyQt6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else "backprop-visualizer"])
    _style(app)

    from core.stepper import Stepper

    from .bridge import Bridge, DataOptions, load_split
    from .main_window import MainWindow
    from .settings import Settings

    from . import appearance

    # A screenshot is made from the arguments alone; a normal start remembers what the user had.
    settings = None if args.screenshot else Settings()
    try:
        appearance.apply_theme(None, settings.theme if settings else "light")
    except ValueError:
        appearance.apply_theme(None, "light")       # a theme of a later version, say: the light one instead

    params, meta = (None, {})
    hidden, activation = args.hidden, args.activation
    if args.weights:
        params, meta = checkpoints.load_weights(args.weights)
        file_hidden = network.check_params(params)
        if hidden is not None and hidden != file_hidden:
            raise UsageError(f"--hidden {hidden} conflicts with {args.weights}, which has {file_hidden} hidden "
                             f"units; leave out --hidden")
        hidden = file_hidden
        if activation is None and meta.get("activation") in ACTIVATIONS:
            activation = meta["activation"]
    defaults = TrainingConfig()
    config = TrainingConfig(hidden=defaults.hidden if hidden is None else hidden,
                            activation=activation or defaults.activation, init=args.init, optimizer=args.optimizer,
                            alpha=args.alpha, batch_size=args.batch_size, seed=args.seed, dtype=args.dtype)
    options = DataOptions(dev_size=args.dev_size, shuffle=not args.no_shuffle, seed=args.seed)
    startup_message = None
    if args.data is None and settings is not None and settings.dataset not in (None, DEFAULT_DATA):
        # The dataset of the last session; if it has gone, say so and start on the sample instead.
        try:
            split = load_split(settings.dataset, options, config.dtype)
        except DataError as error:
            startup_message = f"The dataset used last time could not be opened, so this is {DEFAULT_DATA}: {error}"
            split = load_split(DEFAULT_DATA, options, config.dtype)
    else:
        split = load_split(args.data or DEFAULT_DATA, options, config.dtype)
    stepper = Stepper(split, config, params)

    window = MainWindow(Bridge(stepper, options), settings)
    window.setWindowTitle(f"Backprop Visualizer — {stepper.split.name}")
    window.config_panel.set_config(config)
    window.resize(*(args.size or _default_size(app)))
    if settings is not None:
        window.restore_settings(layout=args.size is None)
    if startup_message:
        window.show_error(startup_message)
    window.start_presenter = args.presenter
    window.screenshot_request = (args.screenshot, args.steps)
    _delete_at_exit(window)
    return window


_windows: weakref.WeakSet = weakref.WeakSet()
_registered = False


def _delete_at_exit(window) -> None:
    """Delete the window, its bridge, worker and thread at the interpreter's exit, before PyQt's own clean-up.

    That clean-up (atexit, registered when PyQt was imported; atexit runs the latest registered first) walks every
    wrapped object and deletes the parentless ones; with the window among them it crashed now and then (SIGSEGV in
    sip_api_get_address under cleanup_on_exit, 3–8 % of runs of a script that closes the window while playing and
    ends with sys.exit(app.exec()); none in 260 runs once these are deleted first). `main()` leaves with os._exit
    and never gets there; a test session or a script of one's own does.
    """
    global _registered
    if not _registered:
        atexit.register(_delete_windows)
        _registered = True
    _windows.add(window)


def _delete_windows() -> None:
    from PyQt6 import sip
    from PyQt6.QtWidgets import QApplication

    if QApplication.instance() is None:     # gone already, and the widgets with it
        return
    for window in list(_windows):
        bridge = window.bridge
        objects = (window, bridge, bridge.worker, bridge.thread)
        if not sip.isdeleted(bridge) and not sip.isdeleted(bridge.thread):
            bridge.shutdown()           # done already if the window was closed; safe twice
        for item in objects:
            if not sip.isdeleted(item):
                sip.delete(item)


def _default_size(app) -> tuple[int, int]:
    screen = app.primaryScreen()
    if screen is None:
        return 1280, 720
    available = screen.availableGeometry()
    return min(1600, max(1024, available.width() - 80)), min(1000, max(640, available.height() - 80))


_styled = False


def _style(app) -> None:
    """Fusion (the same on every desktop; the theme gives its palette), antialiased plots; once per process."""
    global _styled
    if _styled:
        return
    _styled = True
    import pyqtgraph as pg

    from . import theme

    pg.setConfigOptions(antialias=True)
    app.setStyle("Fusion")
    app.setFont(theme.font())


def _screenshot_when_done(window, path: str, steps: int) -> None:
    """Train `steps` iterations, let one frame paint, write the PNG and close the window."""
    from PyQt6.QtCore import QTimer
    from PyQt6.QtWidgets import QApplication

    from .export import render_png

    def check(snapshot) -> None:
        if snapshot.iteration >= steps and not snapshot.playing:
            window.bridge.snapshotReady.disconnect(check)
            # The views have taken it (as it arrived); a few frames for their painting to settle.
            QTimer.singleShot(100, write)

    def write() -> None:
        if not render_png(window, path):
            print(f"backprop-visualizer: error: {path}: could not be written as a PNG image", file=sys.stderr)
            QApplication.instance().exit(2)
        window.close()

    window.bridge.snapshotReady.connect(check)
    window.bridge.play(steps)


def tune_runtime() -> None:
    """Call once the window is built. Everything built so far lives as long as the window: keep the garbage
    collector from walking it again and again (its pauses reached 59 ms while playing), and hand the GIL
    between the worker and the UI thread more often than every 5 ms so a frame is not kept waiting."""
    gc.collect()
    gc.freeze()
    sys.setswitchinterval(0.001)


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        window = create_main_window(argv)
    except (UsageError, *USER_ERRORS) as error:
        print(f"backprop-visualizer: error: {' '.join(str(error).split())}", file=sys.stderr)
        return 2
    from PyQt6.QtWidgets import QApplication

    app = QApplication.instance()
    if window.start_presenter:
        window.show()
        window.set_presenter_mode(True)
    else:
        window.show()
    tune_runtime()
    path, steps = window.screenshot_request
    if path:
        _screenshot_when_done(window, path, steps)
    code = app.exec()
    window.bridge.shutdown()        # closeEvent did it already; safe twice, and certain now
    sys.stdout.flush()
    sys.stderr.flush()
    # The interpreter's teardown destroys Qt and pyqtgraph objects in no fixed order and can crash there
    # (a rare SIGSEGV after the window had closed cleanly, seen in CI-like runs; pyqtgraph #2625). By now the
    # worker thread has ended and every file is written, so there is nothing left to tear down: leave at once.
    os._exit(code)


if __name__ == "__main__":
    sys.exit(main())
