"""`backprop-visualizer` (or `python -m visualizer`): the window, started from command-line arguments.

Bad arguments or a file that cannot be used print one line on stderr and exit with 2; started without a console
(Windows' windowless launcher, `pythonw`), where there is no stderr to print to, the message is shown in a message
box instead. `--screenshot PATH --steps N` trains N iterations, writes the window as a PNG and exits with 0 (with 1,
after writing what is on screen, when the run diverges or fails first). Ctrl+C in the terminal closes the window.
"""
from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

if __name__ == "__main__" and sys.path and Path(sys.path[0] or ".").resolve() == Path.cwd() \
        and Path(__file__).resolve().parent.parent != Path.cwd():
    # `python -m visualizer` puts the current folder first on sys.path, where a student's core.py (or numpy.py)
    # would stand in for the app's own modules. The app is not in the current folder, so nothing is lost.
    del sys.path[0]

from typing import Sequence  # noqa: E402

from .app import USER_ERRORS, create_main_window, tune_runtime  # noqa: E402

PROGRAM = "backprop-visualizer"
INTERRUPTED = 130           # the shell's code for a command ended by Ctrl+C


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    console = _streams_or_devnull()
    try:
        window = create_main_window(argv)
    except USER_ERRORS as error:
        _report(f"{PROGRAM}: error: {' '.join(str(error).split())}", console)
        return 2
    except SystemExit as request:       # --help, --version: argparse printed them
        return request.code if isinstance(request.code, int) else 0
    except Exception as error:          # noqa: BLE001 — without a console it would vanish without a word
        if console:
            raise
        _report(f"{PROGRAM} could not start: {type(error).__name__}: {' '.join(str(error).split())}", console)
        return 1
    from PyQt6.QtWidgets import QApplication

    app = QApplication.instance()
    window.show()
    if window.start_presenter:
        window.set_presenter_mode(True)
    tune_runtime()
    path, steps = window.screenshot_request
    if path:
        _screenshot_when_done(window, path, steps)
    interrupted = _close_on_ctrl_c(window)
    code = app.exec()
    window.bridge.shutdown()        # closeEvent did it already; safe twice, and certain now
    sys.stdout.flush()
    sys.stderr.flush()
    # The interpreter's teardown destroys Qt and pyqtgraph objects in no fixed order and can crash there
    # (a rare SIGSEGV after the window had closed cleanly, seen in CI-like runs; pyqtgraph #2625). By now the
    # worker thread has ended and every file is written, so there is nothing left to tear down: leave at once.
    os._exit(INTERRUPTED if interrupted else code)


def _streams_or_devnull() -> bool:
    """True when there is a console. Without one (sys.stdout or sys.stderr is None), both go to the null device,
    so that a print or a flush anywhere cannot crash the app."""
    console = sys.stdout is not None and sys.stderr is not None
    if sys.stdout is None:
        sys.stdout = open(os.devnull, "w", encoding="utf-8")
    if sys.stderr is None:
        sys.stderr = open(os.devnull, "w", encoding="utf-8")
    return console


def _report(message: str, console: bool) -> None:
    """One line on stderr, or, without a console, in a message box (the only place the user will see it)."""
    if console:
        print(message, file=sys.stderr)
        return
    from PyQt6.QtWidgets import QMessageBox

    from .app import DISPLAY_NAME, application

    application()
    QMessageBox.critical(None, DISPLAY_NAME, message)


def _close_on_ctrl_c(window) -> list[bool]:
    """Ctrl+C closes the window as its close button would. Qt's event loop runs in C++, where Python's signal
    handler cannot run: a timer hands the interpreter a moment every 200 ms to look. The list says whether it
    happened (for the exit code)."""
    from PyQt6.QtCore import QTimer

    interrupted: list[bool] = []

    def close(*_) -> None:
        interrupted.append(True)
        window.close()

    try:
        signal.signal(signal.SIGINT, close)
    except ValueError:          # not the main thread of the main interpreter: leave Ctrl+C as it is
        return interrupted
    timer = QTimer(window)
    timer.timeout.connect(lambda: None)
    timer.start(200)
    return interrupted


def _screenshot_when_done(window, path: str, steps: int) -> None:
    """Train `steps` iterations, let one frame paint, write the PNG and close the window. A run that diverges or
    fails before then writes what the window shows and exits with 1."""
    from PyQt6.QtCore import QTimer
    from PyQt6.QtWidgets import QApplication

    from .export import render_png

    outcome = {"code": 0}

    def check(snapshot) -> None:
        if snapshot.iteration >= steps and not snapshot.playing:
            finish()

    def stopped(message: str, *_) -> None:
        print(f"{PROGRAM}: error: {message} (the screenshot shows where it stopped)", file=sys.stderr)
        outcome["code"] = 1
        finish()

    def finish() -> None:
        bridge.snapshotReady.disconnect(check)
        bridge.diverged.disconnect(stopped)
        bridge.failed.disconnect(stopped)
        # The views have taken the snapshot (as it arrived); a few frames for their painting to settle.
        QTimer.singleShot(100, write)

    def write() -> None:
        if not render_png(window, path):
            print(f"{PROGRAM}: error: {path}: could not be written as a PNG image", file=sys.stderr)
            outcome["code"] = 2
        QApplication.instance().exit(outcome["code"])
        window.close()

    bridge = window.bridge
    bridge.snapshotReady.connect(check)
    bridge.diverged.connect(stopped)
    bridge.failed.connect(stopped)
    bridge.play(steps)


if __name__ == "__main__":
    sys.exit(main())
