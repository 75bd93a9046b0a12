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

from core import data
from core.checkpoints import CheckpointError

from visualizer.export import DEFAULT_PNG_SCALE, DEFAULT_SIZE, PNG_SCALES, GifExport, check_picture_destination, \
    frame_count, write_picture
from visualizer.views.check_code import FILE_FILTER as CHECK_FILE_FILTER

if TYPE_CHECKING:
    from visualizer.bridge import Bridge
    from visualizer.settings import Settings
    from visualizer.snapshot import Snapshot

    from .status import Banner

DATASETS = "Datasets (*.csv *.csv.gz *.npz *-ubyte *-ubyte.gz);;All files (*)"
# (what, name, iterations, every n-th, from iteration 0)
GIFS = (("the next 50 iterations", "exportGif", 50, 1, False),
        ("the next 500 iterations, every 10th", "exportGifLong", 500, 10, False),
        ("iterations 0–50", "exportGifFromStart", 50, 1, True),
        ("iterations 0–500, every 10th", "exportGifFromStartLong", 500, 10, True))
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
        self.png_scale = DEFAULT_PNG_SCALE

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

    # ------------------------------------------------------------ the built-in datasets
    def datasets_menu(self) -> QMenu:
        """File ▸ Datasets: the MNIST sample inside the app, Fashion-MNIST (Debian's copy or a folder chosen here
        once and remembered; disabled, saying how to get it, where there is none), and a folder of it."""
        menu = QMenu("Datasets", self.window)
        menu.setObjectName("datasetsMenu")
        self.sample_action = menu.addAction("MNIST sample: 5,000 handwritten digits (built in)")
        self.sample_action.setObjectName("datasetMnistSample")
        self.sample_action.setToolTip("The 5,000 MNIST digits that come with the app")
        self.sample_action.triggered.connect(lambda: self._open_spec(data.SAMPLE))
        self.fashion_action = menu.addAction("Fashion-MNIST: 60,000 clothes")
        self.fashion_action.setObjectName("datasetFashion")
        self.fashion_action.triggered.connect(lambda: self._open_spec(self._fashion_spec() or data.FASHION))
        folder = menu.addAction("Fashion-MNIST from a folder…")
        folder.setObjectName("datasetFashionFolder")
        folder.setToolTip("A folder holding Fashion-MNIST's four files, as Zalando Research publishes them "
                          "(remembered for the next time)")
        folder.triggered.connect(self.open_fashion_folder)
        menu.aboutToShow.connect(self.refresh_datasets)
        self.refresh_datasets()
        return menu

    def _fashion_spec(self) -> str | None:
        """The spec that finds Fashion-MNIST here: a folder chosen in the window, else Debian's; None: neither."""
        remembered = self.settings.folder("fashion") if self.settings is not None else ""
        if remembered and data.fashion_images(Path(remembered)) is not None:
            return f"{data.FASHION}={remembered}"
        return data.FASHION if data.fashion_images(data.FASHION_FOLDER) is not None else None

    def refresh_datasets(self) -> None:
        """Fashion-MNIST enabled where its files are, else disabled with the reason and how to get it."""
        found = self._fashion_spec() is not None
        self.fashion_action.setEnabled(found)
        self.fashion_action.setText("Fashion-MNIST: 60,000 clothes" if found else
                                    "Fashion-MNIST: not on this computer")
        tip = ("Zalando's 60,000 pictures of clothes in ten classes, as MNIST's digits" if found else
               f"Fashion-MNIST is not in {data.FASHION_FOLDER}: {data.fashion_advice()}")
        self.fashion_action.setToolTip(tip)
        self.fashion_action.setStatusTip(tip)

    def open_fashion_folder(self) -> None:
        start = start_folder(self.settings, "fashion")
        folder = QFileDialog.getExistingDirectory(self.window, "Fashion-MNIST's folder", start)
        if not folder:
            return
        if data.fashion_images(Path(folder)) is None:
            self.show_error(f"{folder} holds no {data.FASHION_IMAGES}(.gz); {data.fashion_advice(False)}")
            return
        if self.settings is not None:
            self.settings.remember_folder("fashion", folder)
        self._open_spec(f"{data.FASHION}={folder}")

    def _open_spec(self, spec: str) -> None:
        self.cleared()
        self.bridge.load_data(spec)

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
        for label, name, iterations, every, from_start in GIFS:
            item = menu.addAction(f"Export diagram animation (GIF) of {label}…")
            item.setObjectName(name)
            item.setToolTip(f"An animated GIF of the diagram over {label}, trained on a copy (the run is untouched)"
                            + (", from the run's first weights with the settings it has now" if from_start else ""))
            item.triggered.connect(lambda checked=False, n=iterations, e=every, s=from_start: self.export_gif(n, e, s))
        menu.addSeparator()
        sizes = menu.addMenu("PNG size")
        sizes.setObjectName("exportScaleMenu")
        for scale in PNG_SCALES:
            item = sizes.addAction(f"{scale}× the screen's pixels" + (" (for slides)" if scale == 2 else ""))
            item.setObjectName(f"exportScale{scale}")
            item.setCheckable(True)
            item.setChecked(scale == self.png_scale)
            item.setToolTip(f"PNG images with {scale}× as many pixels across as the panel has on screen")
            item.triggered.connect(lambda checked=False, s=scale: self.set_png_scale(s))
        self.scale_actions = sizes.actions()
        return menu

    def set_png_scale(self, scale: int) -> None:
        """The PNG exports' size: scale × the panel's pixels across (1, 2 or 3)."""
        self.png_scale = scale
        for item in self.scale_actions:
            item.setChecked(item.objectName() == f"exportScale{scale}")

    def export(self, widget: QWidget, name: str, kind: str = "png") -> None:
        """A PNG or SVG of one panel or the whole window."""
        label, pattern = ("SVG", "SVG images (*.svg)") if kind == "svg" else ("PNG", "PNG images (*.png)")
        path = self.ask_save("image", f"Export {name} as {label}", f"{name}.{kind}", pattern)
        if not path:
            return
        scale = self.png_scale if kind == "png" else 1
        try:
            # A refused destination is said before any work.
            check_picture_destination(path, widget.size() * scale, suggested=f"{name}.{kind}")
            self.before_export()
            write_picture(widget, path, kind, scale=scale)
        except CheckpointError as error:
            self.show_error(str(error))
            return
        self.notice(f"Saved {path}", 8000)

    def export_gif(self, iterations: int, every: int, from_start: bool = False) -> None:
        """The diagram over the next iterations (from_start: the first ones, from the run's first weights), trained
        on a copy in a job; the strip shows progress and Cancel."""
        strip = self.gif_strip
        if self.gif_export is not None and self.gif_export.running:
            self.notice("An animation is being written already; cancel it first", 8000)
            return
        snapshot = self.snapshot()
        if from_start and snapshot is not None and snapshot.initial_params is None:
            self.show_error("The run's first weights were let go to keep its history small: press Ctrl+R to start "
                            "again, then export the animation from iteration 0")
            return
        start = 0 if from_start else self._iteration()
        path = self.ask_save("image", "Export diagram animation", f"diagram-{start}.gif", "GIF animations (*.gif)")
        if not path or snapshot is None:
            return
        try:
            check_picture_destination(path, QSize(*DEFAULT_SIZE), frame_count(iterations, every),
                                      f"diagram-{start}.gif")
        except CheckpointError as error:
            self.show_error(str(error))
            return
        export = GifExport(snapshot, path, iterations=iterations, every=every, presenter=self.presenting(),
                           from_start=from_start, parent=self)
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
