"""The window's files: the open and save dialogs, and the exports (PNG, SVG, the diagram as a GIF).

Every dialog starts in the folder remembered for its kind of file, else in the user's Documents folder (Pictures
for images): never in the process's working folder, which for an app started from a menu is anywhere. The
dialogs are QFileDialog's static functions (tests answer them with monkeypatch, docs/TESTING.md).
"""
from __future__ import annotations

from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from PyQt6.QtCore import QObject, QSize, QStandardPaths
from PyQt6.QtWidgets import QFileDialog, QMainWindow, QMenu, QWidget

from core.checkpoints import CheckpointError
from visualizer.export import DEFAULT_SIZE, GifExport, check_picture_destination, frame_count, write_picture
from visualizer.views.check_code import FILE_FILTER as CHECK_FILE_FILTER

if TYPE_CHECKING:
    from visualizer.bridge import Bridge
    from visualizer.settings import Settings
    from visualizer.snapshot import Snapshot

    from .status import Banner

DATASETS = "Datasets (*.csv *.csv.gz *.npz *-ubyte *-ubyte.gz);;All files (*)"
GIFS = (("the next 50 iterations", "exportGif", 50, 1), ("the next 500 iterations, every 10th", "exportGifLong", 500, 10))
Location = QStandardPaths.StandardLocation


def start_folder(settings: "Settings | None", kind: str) -> str:
    """Where a dialog for this kind of file opens: the folder remembered for it, else Documents (Pictures for
    "image"), else the home folder."""
    remembered = settings.folder(kind) if settings is not None else ""
    if remembered:
        return remembered
    location = Location.PicturesLocation if kind == "image" else Location.DocumentsLocation
    for folder in (QStandardPaths.writableLocation(location), QStandardPaths.writableLocation(Location.HomeLocation)):
        if folder and Path(folder).is_dir():
            return folder
    return str(Path.home())


class Files(QObject):
    """The file actions of a window: each asks for a path, remembers its folder and hands the path on."""

    def __init__(self, window: QMainWindow, bridge: "Bridge", settings: "Settings | None",
                 snapshot: Callable[[], "Snapshot | None"], show_error: Callable[[str], None],
                 notice: Callable[[str, int], None], cleared: Callable[[], None], gif_strip: "Banner") -> None:
        """snapshot: the one on screen; cleared: hide the banners about the run (a new file starts afresh);
        gif_strip: where a GIF export shows its progress, with Cancel."""
        super().__init__(window)
        self.window, self.bridge, self.settings = window, bridge, settings
        self.snapshot, self.show_error, self.notice, self.cleared = snapshot, show_error, notice, cleared
        self.gif_strip = gif_strip
        gif_strip.button.clicked.connect(self.cancel_gif)
        self.gif_export: GifExport | None = None

    # ------------------------------------------------------------ dialogs
    def ask_open(self, kind: str, title: str, patterns: str) -> str:
        path, _ = QFileDialog.getOpenFileName(self.window, title, start_folder(self.settings, kind), patterns)
        return self._remembered(kind, path)

    def ask_save(self, kind: str, title: str, name: str, patterns: str) -> str:
        suggested = str(Path(start_folder(self.settings, kind)) / name)
        path, _ = QFileDialog.getSaveFileName(self.window, title, suggested, patterns)
        return self._remembered(kind, path)

    def _remembered(self, kind: str, path: str) -> str:
        """The next dialog of the same kind opens in the folder of this file."""
        if path and self.settings is not None:
            self.settings.remember_folder(kind, str(Path(path).parent))
        return path

    def _iteration(self) -> int:
        snapshot = self.snapshot()
        return snapshot.iteration if snapshot is not None else 0

    # ------------------------------------------------------------ the run's files
    # kind of file: the dialog's patterns. An opened file replaces the run (the banners about it go); a saved one
    # is named after the iteration on screen ("weights-12.npz").
    PATTERNS = {"dataset": DATASETS, "weights": "Weights (*.npz)", "session": "Sessions (*.npz)"}

    def _open(self, kind: str, load: Callable[[str], None]) -> None:
        patterns = self.PATTERNS[kind]
        path = self.ask_open(kind, f"Open {kind}", patterns if "All files" in patterns else f"{patterns};;All files (*)")
        if path:
            self.cleared()
            load(path)

    def _save(self, kind: str, save: Callable[[str], None]) -> None:
        path = self.ask_save(kind, f"Save {kind}", f"{kind}-{self._iteration()}.npz", self.PATTERNS[kind])
        if path:
            save(path)

    def open_dataset(self) -> None:
        self._open("dataset", self.bridge.load_data)

    def open_weights(self) -> None:
        self._open("weights", self.bridge.load_weights)

    def open_session(self) -> None:
        self._open("session", self.bridge.load_session)

    def save_weights(self) -> None:
        self._save("weights", self.bridge.save_weights)

    def save_session(self) -> None:
        self._save("session", self.bridge.save_session)

    def ask_code(self) -> str:
        """A learner's notebook (.ipynb) or .py file for Check my code."""
        return self.ask_open("code", "Check my code", CHECK_FILE_FILTER)

    # ------------------------------------------------------------ exports
    def export_menu(self, panels: tuple[tuple[str, QWidget], ...], before_export: Callable[[], None],
                    presenting: Callable[[], bool]) -> QMenu:
        """PNG and SVG of each panel, then the GIFs; before_export brings every panel to the snapshot on screen
        (while playing some lag), presenting says whether the GIF takes presenter mode's type."""
        self.before_export, self.presenting = before_export, presenting
        menu = QMenu("Export image", self.window)
        menu.setObjectName("exportMenu")
        for kind in ("png", "svg"):
            for name, widget in panels:
                item = menu.addAction(f"Export {name} as {kind.upper()}…")
                item.setObjectName(f"export{name.capitalize()}{'Svg' if kind == 'svg' else ''}")
                item.setToolTip(f"Save the {name} as a{'n SVG (vector) drawing' if kind == 'svg' else ' PNG image'}")
                item.triggered.connect(lambda checked=False, w=widget, n=name, k=kind: self.export(w, n, k))
            menu.addSeparator()
        for label, name, iterations, every in GIFS:
            item = menu.addAction(f"Export diagram animation (GIF) of {label}…")
            item.setObjectName(name)
            item.setToolTip(f"An animated GIF of the diagram over {label}, trained on a copy (the run is untouched)")
            item.triggered.connect(lambda checked=False, n=iterations, e=every: self.export_gif(n, e))
        return menu

    def export(self, widget: QWidget, name: str, kind: str = "png") -> None:
        """A PNG or SVG of one panel or the whole window."""
        label, pattern = ("SVG", "SVG images (*.svg)") if kind == "svg" else ("PNG", "PNG images (*.png)")
        path = self.ask_save("image", f"Export {name} as {label}", f"{name}.{kind}", pattern)
        if not path:
            return
        try:
            # A refused destination is said before any work.
            check_picture_destination(path, widget.size(), suggested=f"{name}.{kind}")
            self.before_export()
            write_picture(widget, path, kind)
        except CheckpointError as error:
            self.show_error(str(error))
            return
        self.notice(f"Saved {path}", 8000)

    def export_gif(self, iterations: int, every: int) -> None:
        """The diagram over the next iterations, trained on a copy in a job; the strip shows progress and Cancel."""
        strip = self.gif_strip
        if self.gif_export is not None and self.gif_export.running:
            self.notice("An animation is being written already; cancel it first", 8000)
            return
        snapshot = self.snapshot()
        path = self.ask_save("image", "Export diagram animation", f"diagram-{self._iteration()}.gif",
                             "GIF animations (*.gif)")
        if not path or snapshot is None:
            return
        try:
            check_picture_destination(path, QSize(*DEFAULT_SIZE), frame_count(iterations, every),
                                      f"diagram-{self._iteration()}.gif")
        except CheckpointError as error:
            self.show_error(str(error))
            return
        export = GifExport(snapshot, path, iterations=iterations, every=every, presenter=self.presenting(),
                           parent=self)
        if self.gif_export is not None:
            self.gif_export.deleteLater()       # ended: each animation is an export of its own
        self.gif_export = export
        strip.show_message(escape(f"Writing {path} …"), "Cancel")
        export.progress.connect(lambda done, total: strip.text.setText(
            escape(f"Writing {path}: frame {done} of {total}")))
        export.saved.connect(lambda saved, summary: (strip.hide(), self.notice(summary, 10000)))
        export.failed.connect(lambda message: (strip.hide(), self.show_error(message)))
        export.start()

    def cancel_gif(self) -> None:
        if self.gif_export is not None:
            self.gif_export.cancel()
        self.gif_strip.hide()

    def shutdown(self) -> None:
        if self.gif_export is not None:
            self.gif_export.shutdown()
