"""Fixtures for the window tests: a small Kaggle-style CSV on disk and the real window built from arguments."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

ROWS = 300


@pytest.fixture(autouse=True)
def private_settings(tmp_path_factory, monkeypatch):
    """Every window in a test remembers its settings in a fresh INI file, never in the user's settings (and not
    in the test's tmp_path, whose files some tests count)."""
    from visualizer.settings import ENVIRONMENT_VARIABLE

    path = tmp_path_factory.mktemp("settings") / "settings.ini"
    monkeypatch.setenv(ENVIRONMENT_VARIABLE, str(path))
    return path


@pytest.fixture(autouse=True)
def no_modal_dialogs(monkeypatch):
    """Only the file actions may open a dialog, and a test that triggers one answers it itself (monkeypatch
    QFileDialog's static function again); any other modal dialog fails the test."""
    from PyQt6.QtWidgets import QDialog, QFileDialog, QMessageBox

    def refuse(*args, **kwargs):
        raise AssertionError("a modal dialog was opened")
    monkeypatch.setattr(QDialog, "exec", refuse)
    for name in ("critical", "warning", "information", "question"):
        monkeypatch.setattr(QMessageBox, name, refuse)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", refuse)
    monkeypatch.setattr(QFileDialog, "getSaveFileName", refuse)


def write_kaggle_csv(path: Path, rows: int = ROWS, seed: int = 7) -> Path:
    """label,pixel0…pixel783 with one header row, as Kaggle's digit-recognizer train.csv; learnable bands."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, rows)
    pixels = rng.integers(0, 40, (rows, 784))
    for row, label in enumerate(labels):
        pixels[row, label * 78:(label + 1) * 78] = 220
    header = "label," + ",".join(f"pixel{i}" for i in range(784))
    body = np.column_stack([labels, pixels])
    np.savetxt(path, body, fmt="%d", delimiter=",", header=header, comments="")
    return path


@pytest.fixture(scope="session")
def small_csv(tmp_path_factory) -> Path:
    return write_kaggle_csv(tmp_path_factory.mktemp("data") / "small.csv")


@pytest.fixture
def show_widget(qtbot):
    """Size and show widgets. The fixture holds each one until the test has finished and closes and deletes it
    through Qt: a shown view deleted by Python's garbage collector mid-session crashed a later paint."""
    from PyQt6.QtCore import QCoreApplication, QEvent

    shown = []

    def show(widget, width: int, height: int):
        shown.append(widget)
        widget.resize(width, height)
        widget.show()
        qtbot.waitExposed(widget)
        return widget

    yield show
    for widget in shown:
        widget.close()
        widget.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)


@pytest.fixture
def make_window(qtbot, small_csv):
    """Build, show and activate windows from argument lists; each is closed (worker stopped) at teardown."""
    from PyQt6.QtWidgets import QLabel

    from visualizer import create_main_window

    windows = []

    def make(*extra: str, data: Path | str | None = None):
        argv = ["--data", str(data or small_csv), "--dev-size", "50", "--size", "1280x720", *extra]
        window = create_main_window(argv)
        windows.append(window)
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        window.activateWindow()
        qtbot.waitUntil(lambda: window.isActiveWindow(), timeout=5000)
        # The first snapshot arrives from the worker thread and is shown as it arrives.
        qtbot.waitUntil(lambda: window.snapshot is not None, timeout=5000)
        assert window.findChild(QLabel, "iterationLabel").text() == "0"
        return window

    yield make
    for window in windows:
        window.close()
        assert not window.bridge.thread.isRunning()


@pytest.fixture
def window(make_window):
    return make_window()
