"""What the window remembers between runs: its layout, the last dataset and folders, speed, animation, theme.

Settings wraps a QSettings: by default the user's ("Backprop Visualizer", "backprop-visualizer"), or an INI file
when the environment variable BACKPROP_VISUALIZER_SETTINGS names one (tests set it so they never touch the user's
settings), or any QSettings given. Every read tolerates garbage (a hand-edited file, a value from an older version):
a value of the wrong type or out of range reads as its default.
"""
from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from PyQt6.QtCore import QByteArray, QRect, QSettings
from PyQt6.QtGui import QGuiApplication
from PyQt6.QtWidgets import QMainWindow

from .bridge import SPEEDS

ORGANIZATION = "Backprop Visualizer"
APPLICATION = "backprop-visualizer"
ENVIRONMENT_VARIABLE = "BACKPROP_VISUALIZER_SETTINGS"
# Bump when the docks or toolbars change, so an old saved layout is ignored instead of misplacing new ones.
LAYOUT_VERSION = 2

DEFAULT_SPEED_INDEX = len(SPEEDS) - 1   # "max"
DEFAULT_ANIMATION_MS = 250
LONGEST_ANIMATION_MS = 2000
DEFAULT_THEME = "light"
THEME_NAME = re.compile(r"[a-z0-9_-]{1,40}")

GEOMETRY, STATE, SIZE, SCREEN = "window/geometry", "window/state", "window/size", "window/screen"
DATASET = "files/dataset"
FOLDER = "files/{kind}Folder"   # the folder of each kind of file ("weights", "session", "dataset", "code", "image")
SPEED_INDEX, ANIMATION_MS, THEME, PRESENTER = "view/speedIndex", "view/animationMs", "view/theme", "view/presenter"


def default_store() -> QSettings:
    """The INI file named by BACKPROP_VISUALIZER_SETTINGS, else the user's settings for this application."""
    path = os.environ.get(ENVIRONMENT_VARIABLE)
    if path:
        return QSettings(path, QSettings.Format.IniFormat)
    return QSettings(ORGANIZATION, APPLICATION)


class Settings:
    """Typed reads and writes of the window's remembered settings."""

    def __init__(self, store: QSettings | None = None):
        self.store = store if store is not None else default_store()

    # ------------------------------------------------------------ the window's layout
    def save_window(self, window: QMainWindow) -> None:
        """The window's position and size, and where its docks and toolbars are (call before it closes)."""
        self.store.setValue(GEOMETRY, window.saveGeometry())
        self.store.setValue(STATE, window.saveState(LAYOUT_VERSION))
        self.store.setValue(SIZE, f"{window.width()}x{window.height()}")
        self.store.setValue(SCREEN, _screen_size(window))

    def restore_window(self, window: QMainWindow) -> bool:
        """Put the window and its docks back as saved, if that layout was saved on a screen of the size the window
        is on now and fits it (a laptop that was on a large monitor, or on a projector, keeps the default layout
        for its own screen). True if restored."""
        geometry, state = self.store.value(GEOMETRY), self.store.value(STATE)
        if not isinstance(geometry, QByteArray) or not isinstance(state, QByteArray) or geometry.isEmpty():
            return False
        if self.store.value(SCREEN) != _screen_size(window):
            return False
        size = _size(self.store.value(SIZE))
        if size is None or not _fits_a_screen(*size):
            return False
        previous = window.saveGeometry()
        if not window.restoreGeometry(geometry):
            return False
        if not window.restoreState(state, LAYOUT_VERSION):
            window.restoreGeometry(previous)     # a layout of another version: keep the default one whole
            return False
        return True

    # ------------------------------------------------------------ files
    @property
    def dataset(self) -> str | None:
        """The dataset spec last opened, or None."""
        value = self.store.value(DATASET)
        return value if isinstance(value, str) and value.strip() else None

    @dataset.setter
    def dataset(self, spec: str) -> None:
        self.store.setValue(DATASET, str(spec))

    def forget_dataset(self) -> None:
        """The remembered dataset could not be opened: the next start does not try it again."""
        self.store.remove(DATASET)
        self.store.sync()

    def folder(self, kind: str) -> str:
        """The folder a file of this kind was last opened from or saved to, if it still exists; else ""."""
        return _folder(self.store.value(FOLDER.format(kind=kind)))

    def remember_folder(self, kind: str, folder: str) -> None:
        self.store.setValue(FOLDER.format(kind=kind), str(folder))

    @property
    def weights_folder(self) -> str:
        return self.folder("weights")

    @weights_folder.setter
    def weights_folder(self, folder: str) -> None:
        self.remember_folder("weights", folder)

    @property
    def session_folder(self) -> str:
        return self.folder("session")

    @session_folder.setter
    def session_folder(self, folder: str) -> None:
        self.remember_folder("session", folder)

    # ------------------------------------------------------------ view
    @property
    def speed_index(self) -> int:
        """Position in bridge.SPEEDS of the playing speed."""
        return _integer(self.store.value(SPEED_INDEX), 0, len(SPEEDS) - 1, DEFAULT_SPEED_INDEX)

    @speed_index.setter
    def speed_index(self, index: int) -> None:
        self.store.setValue(SPEED_INDEX, int(index))

    @property
    def animation_ms(self) -> int:
        """Length of the diagram's animation of a phase; 0 = off."""
        return _integer(self.store.value(ANIMATION_MS), 0, LONGEST_ANIMATION_MS, DEFAULT_ANIMATION_MS)

    @animation_ms.setter
    def animation_ms(self, ms: int) -> None:
        self.store.setValue(ANIMATION_MS, int(ms))

    @property
    def theme(self) -> str:
        """The theme's name (the window checks it is one it has)."""
        value = self.store.value(THEME)
        return value if isinstance(value, str) and THEME_NAME.fullmatch(value) else DEFAULT_THEME

    @theme.setter
    def theme(self, name: str) -> None:
        self.store.setValue(THEME, str(name))

    @property
    def presenter(self) -> bool:
        """Presenter mode was on when the window closed."""
        return _boolean(self.store.value(PRESENTER), False)

    @presenter.setter
    def presenter(self, on: bool) -> None:
        self.store.setValue(PRESENTER, bool(on))

    # ------------------------------------------------------------ all
    def reset(self) -> None:
        """Forget everything: the next start looks as the very first did."""
        self.store.clear()
        self.store.sync()

    def sync(self) -> None:
        """Write to disk now (QSettings also does so by itself, later)."""
        self.store.sync()


def _integer(value: Any, lowest: int, highest: int, default: int) -> int:
    # INI files give back strings; the native stores give back ints. A bool is not a number here.
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        return default
    try:
        number = int(value)
    except ValueError:
        return default
    return number if lowest <= number <= highest else default


def _boolean(value: Any, default: bool) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return default


def _folder(value: Any) -> str:
    return value if isinstance(value, str) and value and Path(value).is_dir() else ""


def _size(value: Any) -> tuple[int, int] | None:
    """"1280x720" → (1280, 720); anything else → None."""
    if isinstance(value, str) and (match := re.fullmatch(r"(\d{1,6})x(\d{1,6})", value)):
        return int(match[1]), int(match[2])
    return None


def _screen_size(window: QMainWindow) -> str:
    """"1366x768": the size of the screen the window is on (the primary one before it is shown)."""
    screen = window.screen() or QGuiApplication.primaryScreen()
    size = screen.geometry().size() if screen is not None else None
    return f"{size.width()}x{size.height()}" if size is not None else ""


def _fits_a_screen(width: int, height: int) -> bool:
    screens = [screen.availableGeometry() for screen in QGuiApplication.screens()]
    return any(width <= area.width() and height <= area.height() for area in screens if isinstance(area, QRect))
