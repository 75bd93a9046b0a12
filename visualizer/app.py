"""The application and its main window, built from command-line style arguments (`backprop-visualizer --help`).

create_main_window(argv) is what `backprop-visualizer`, `python -m visualizer`, the tests and the benches call: it
makes the QApplication if there is none (named, with its icon, so a taskbar, the macOS menu and a Linux desktop show
"Backprop Visualizer" rather than "Python"), reads the arguments with the run options the terminal shares
(core/options.py), loads the data and returns the window, not yet shown.
"""
from __future__ import annotations

import argparse
import atexit
import gc
import os
import sys
import weakref
from typing import Sequence

# One BLAS thread: the UI thread needs a core of its own, and on two cores a second BLAS thread that spins
# while the UI paints slows training several-fold. The matrices are small enough that one thread is as fast.
# Set before NumPy is first imported (below); the user's own setting wins.
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

from core import checkpoints, data          # noqa: E402 (after the BLAS setting)
from core.config import ConfigError          # noqa: E402
from core.network import ShapeError          # noqa: E402
from core.options import ArgumentParser, UsageError, add_run_arguments, run_setup   # noqa: E402

NAME = "backprop-visualizer"                 # the command, the desktop file's name, the settings' application
DISPLAY_NAME = "Backprop Visualizer"
USER_ERRORS = (UsageError, data.DataError, checkpoints.CheckpointError, ConfigError, ShapeError)


def build_parser() -> argparse.ArgumentParser:
    from .views.config_panel import MAX_HIDDEN      # the widest network the window draws and trains at frame rate

    parser = ArgumentParser(prog=NAME, description="Step through the forward pass, backprop and gradient descent "
                                                   "of a small network. The terminal's commands (train, check) "
                                                   "are in backprop-visualizer-cli.")
    add_run_arguments(parser, MAX_HIDDEN)
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
    return args


def application():
    """The QApplication: the one there is, or a new one with the app's names, icon, style and font."""
    from PyQt6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is None:
        app = QApplication([sys.argv[0] if sys.argv and sys.argv[0] else NAME])
    if app.property("backpropStyled"):
        return app
    app.setProperty("backpropStyled", True)
    import pyqtgraph as pg

    from . import appearance, assets, theme

    if sys.platform == "win32":
        # Without its own ID, Windows groups the window under pythonw.exe in the taskbar, with Python's icon.
        import ctypes

        ctypes.windll.shell32.SetCurrentProcessExplicitAppUserModelID(DISPLAY_NAME)
    app.setApplicationName(NAME)                  # QStandardPaths' folders and QSettings use it
    app.setOrganizationName(DISPLAY_NAME)
    app.setApplicationDisplayName(DISPLAY_NAME)   # the macOS menu, window titles
    app.setDesktopFileName(NAME)                  # Linux: the desktop entry (assets/backprop-visualizer.desktop)
    app.setApplicationVersion(_version())
    app.setWindowIcon(appearance.svg_icon(assets.asset(assets.ICONS, "app.svg").read_bytes(),
                                          appearance.APP_ICON_SIZES))
    pg.setConfigOptions(antialias=True)
    app.setStyle("Fusion")                        # the same on every desktop; the theme gives its palette
    app.setFont(theme.font())
    return app


def _version() -> str:
    from core import __version__

    return __version__


def create_main_window(argv: Sequence[str]):
    """The whole window from command-line style arguments, without entering the event loop.

    Creates the QApplication if there is none. Raises UsageError or one of USER_ERRORS on bad input.
    """
    args = parse_arguments(argv)
    app = application()

    from core.stepper import Stepper

    from . import appearance
    from .bridge import Bridge
    from .splits import DataOptions, dev_note, load_split
    from .failures import one_line
    from .main_window import MainWindow
    from .settings import Settings

    # A screenshot is made from the arguments alone; a normal start remembers what the user had.
    settings = None if args.screenshot else Settings()
    try:
        appearance.apply_theme(None, settings.theme if settings else "light")
    except ValueError:
        appearance.apply_theme(None, "light")       # a theme of a later version, say: the light one instead

    setup = run_setup(args)
    config = setup.config
    options = DataOptions(dev_size=setup.split.dev_size, shuffle=setup.split.shuffle, seed=setup.split.seed)
    startup_message = None
    if args.data is None and settings is not None and settings.dataset not in (None, data.SAMPLE):
        # The dataset of the last session; if it has gone (or is now a FIFO, a folder, a file no reader accepts),
        # say so, forget it and start on the sample instead: a remembered path never keeps the window from opening.
        try:
            split = load_split(settings.dataset, options, config.dtype)
        except Exception as error:          # noqa: BLE001 — whatever it is, the sample opens instead
            startup_message = (f"The dataset used last time could not be opened, so this is {data.SAMPLE} "
                               f"(it is forgotten): {one_line(error)}")
            settings.forget_dataset()
            split = load_split(data.SAMPLE, options, config.dtype)
    else:
        split = load_split(args.data or data.SAMPLE, options, config.dtype)
    stepper = Stepper(split, config, setup.params)

    window = MainWindow(Bridge(stepper, options), settings)
    window.setWindowTitle(f"{DISPLAY_NAME} — {stepper.split.name}")
    window.config_panel.set_config(config)
    window.resize(*(args.size or _default_size(app)))
    if settings is not None:
        window.restore_settings(layout=args.size is None)
    if startup_message:
        window.show_error(startup_message)
    if dev_note(split, options):
        window.status_notice(dev_note(split, options), 15000)     # a small file: a smaller dev set, and why
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


def tune_runtime() -> None:
    """Call once the window is built. Everything built so far lives as long as the window: keep the garbage
    collector from walking it again and again (its pauses reached 59 ms while playing). From now on it runs
    only in the UI thread, between two events (visualizer/collector.py). And hand the GIL between the worker
    and the UI thread more often than every 5 ms so a frame is not kept waiting."""
    from PyQt6.QtWidgets import QApplication

    from .collector import UiThreadCollector

    gc.collect()
    gc.freeze()
    UiThreadCollector(QApplication.instance())      # as long as the application
    sys.setswitchinterval(0.001)
