"""Pictures for slides: any panel as a PNG or an SVG, and the diagram as an animated GIF over N iterations.

The animation trains a copy of the run (same split, parameters, optimizer memory and learning rate), so the
user's run is untouched; GifExport steps that copy in its own thread while the UI thread renders each snapshot
into a frame, since widgets can be painted only there.
"""
from __future__ import annotations

import math
import os
import queue
import re
import tempfile
import threading
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np
from PyQt6.QtCore import QBuffer, QIODevice, QPoint, QRect, QSize, Qt, QThread, pyqtSignal
from PyQt6.QtGui import QColor, QFontMetrics, QImage, QPainter
from PyQt6.QtSvg import QSvgGenerator
from PyQt6.QtWidgets import QGraphicsItem, QGraphicsView, QWidget

from core.checkpoints import publish
from core.history import History
from core.stepper import Diverged, Stepper

from . import theme
from .gif import GifWriter
from .snapshot import ExampleSelection, Snapshot, make_snapshot
from .views.diagram import NetworkDiagram

MAX_ITERATIONS = 1000
DEFAULT_ITERATIONS = 50
DEFAULT_SIZE = (800, 500)
DEFAULT_DELAY_MS = 100       # 10 frames a second: each update is readable, 50 iterations take 5 s
HOLD_MS = 1500               # the last frame stays this long before the loop starts again
COPY_HISTORY_BYTES = 4 * 2**20   # the copy never rewinds; a little history is all it needs


# ---------------------------------------------------------------- still pictures
def _write_atomically(path: str | os.PathLike, data: bytes) -> bool:
    """Write data to a temporary file beside path, then move it into place: never a half-written file."""
    target = Path(path)
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    except OSError:
        return False
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        publish(temporary, target)
        return True
    except OSError:
        try:
            os.remove(temporary)
        except OSError:
            pass
        return False


def render_image(widget: QWidget) -> QImage:
    """The widget painted into a QImage of exactly its size in pixels (device pixel ratio 1, also on HiDPI)."""
    image = QImage(widget.size(), QImage.Format.Format_RGB32)
    image.setDevicePixelRatio(1.0)
    image.fill(Qt.GlobalColor.white)
    painter = QPainter(image)
    widget.render(painter)
    painter.end()
    return image


def render_png(widget: QWidget, path: str | os.PathLike) -> bool:
    """Write widget as a PNG of exactly its size in pixels; False if it could not be written."""
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not render_image(widget).save(buffer, "PNG"):
        return False
    return _write_atomically(path, bytes(buffer.data()))


def _uncached(widget: QWidget) -> list[tuple[QGraphicsItem | QGraphicsView, object]]:
    """Switch off the pixmap caches of every graphics view in widget (and of their items), so that a vector
    painter receives the shapes and the text themselves; returns what to restore."""
    views = widget.findChildren(QGraphicsView)
    if isinstance(widget, QGraphicsView):
        views.append(widget)
    changed: list[tuple[QGraphicsItem | QGraphicsView, object]] = []
    for view in views:
        if view.cacheMode() != QGraphicsView.CacheModeFlag.CacheNone:
            changed.append((view, view.cacheMode()))
            view.setCacheMode(QGraphicsView.CacheModeFlag.CacheNone)
        for item in view.items():
            if item.cacheMode() != QGraphicsItem.CacheMode.NoCache:
                changed.append((item, item.cacheMode()))
                item.setCacheMode(QGraphicsItem.CacheMode.NoCache)
    return changed


def _restore(changed: list[tuple[QGraphicsItem | QGraphicsView, object]]) -> None:
    for thing, mode in changed:
        thing.setCacheMode(mode)


def render_svg(widget: QWidget, path: str | os.PathLike, title: str | None = None,
               description: str | None = None) -> bool:
    """Write widget as an SVG of its size: lines, shapes and text as vector elements, images (digits, heat maps)
    embedded as PNG; False if it could not be written."""
    size = widget.size()
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    # SVG 1.1 rather than Tiny 1.2: it has clip paths, so that a widget cannot paint over its neighbours.
    generator = QSvgGenerator(QSvgGenerator.SvgVersion.Svg11)
    generator.setOutputDevice(buffer)
    generator.setSize(size)
    generator.setViewBox(QRect(QPoint(0, 0), size))
    # Fonts are sized in points: at the widget's own resolution they come out as large as on screen.
    generator.setResolution(widget.logicalDpiX())
    generator.setTitle(title or widget.accessibleName() or widget.windowTitle() or widget.objectName())
    generator.setDescription(description or "Exported from Backprop Visualizer")
    painter = QPainter()
    if not painter.begin(generator):
        return False
    changed = _uncached(widget)
    try:
        # A white page, as the PNG has: some SVG viewers show no background as black or as a checkerboard.
        painter.fillRect(QRect(QPoint(0, 0), size), QColor(theme.PAPER))
        widget.render(painter)
    finally:
        painter.end()
        _restore(changed)
    return _write_atomically(path, _portable(bytes(buffer.data())))


def _portable(svg: bytes) -> bytes:
    """Qt's SVG with a generic fallback after each font family: Qt writes the configured family (e.g. "Sans
    Serif"), which a browser may not know and then shows in a serif face.

    Images keep Qt's image-rendering="optimizeSpeed", which CSS defines as "pixelated": digits and heat maps stay
    crisp instead of blurred.
    """
    return re.sub(rb'font-family="([^"]*)"', lambda match: b'font-family="' + match.group(1) + b', sans-serif"'
                  if b"sans-serif" not in match.group(1) else match.group(0), svg)


# ---------------------------------------------------------------- the animation's frames
def copy_stepper(stepper: Stepper) -> Stepper:
    """A new Stepper at the start of stepper's current iteration (a half-computed iteration starts afresh): the
    same split, configuration, parameters, optimizer memory and learning rate, so stepping it computes exactly
    the iterations the run itself would.

    It reads stepper.state once, an immutable TrainingState that the stepper replaces and never changes, so the
    UI thread may call it while the worker trains and gets one consistent moment of the run (while the worker
    replays a rewind, an earlier moment: ask between requests for the one on screen).
    """
    state, config, history = stepper.state, stepper.config, stepper.history
    alpha = history.alpha_at(state.iteration)
    copy = Stepper(stepper.split, config.with_changes(alpha=alpha), params=state.params,
                   history_budget_bytes=COPY_HISTORY_BYTES)
    copy.state = state                  # its arrays are read-only: sharing them is safe
    copy.history = History(state, alpha, budget_bytes=COPY_HISTORY_BYTES)
    return copy


def frame_count(iterations: int, every: int) -> int:
    """Frames in an animation of iterations iterations, one every `every`: the start, then each frame."""
    return 1 + math.ceil(iterations / every)


def diagram_snapshots(stepper: Stepper, iterations: int = DEFAULT_ITERATIONS, every: int = 1,
                      selection: ExampleSelection = ExampleSelection()) -> Iterator[Snapshot]:
    """Snapshots of stepper (give it a copy_stepper: it is trained) at the start, after every `every` iterations
    and after the last; raises Diverged where training breaks down (the snapshots before stand)."""
    if not 1 <= iterations <= MAX_ITERATIONS:
        raise ValueError(f"the animation covers 1 to {MAX_ITERATIONS} iterations, not {iterations}")
    if every < 1:
        raise ValueError(f"a frame every {every} iterations: it must be at least 1")
    yield make_snapshot(stepper, selection)
    for done in range(1, iterations + 1):
        stepper.step_iteration()
        if done % every == 0 or done == iterations:
            yield make_snapshot(stepper, selection)


def caption(snapshot: Snapshot) -> tuple[str, str]:
    """The two lines written on each frame: the iteration, then its loss and accuracy."""
    numbers = []
    if snapshot.loss is not None:
        numbers.append(f"loss {snapshot.loss:.3f}")
    if snapshot.train_accuracy is not None:
        numbers.append(f"train {snapshot.train_accuracy:.0%}")
    if snapshot.dev_accuracy is not None:
        numbers.append(f"dev {snapshot.dev_accuracy:.0%}")
    return f"iteration {snapshot.iteration:,}", " · ".join(numbers) or f"α = {snapshot.alpha:g}"


class DiagramFrames:
    """An offscreen NetworkDiagram (animation off) that turns snapshots into (height, width, 3) RGB frames.

    Lives in, and must be used from, the UI thread.
    """

    def __init__(self, size: tuple[int, int] = DEFAULT_SIZE, presenter: bool = False):
        self.size = (int(size[0]), int(size[1]))
        self.diagram = NetworkDiagram()
        self.diagram.set_animation_ms(0)
        self.diagram.set_presenter_mode(presenter)
        # Laid out and painted like a shown widget, but never on screen, and never keeping the app running.
        self.diagram.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen)
        self.diagram.setAttribute(Qt.WidgetAttribute.WA_QuitOnClose, False)
        self.diagram.resize(QSize(*self.size))
        self.diagram.show()
        self._fonts = (theme.font(theme.PRESENTER_POINT_SIZE if presenter else theme.BASE_POINT_SIZE + 2,
                                  bold=True),
                       theme.font(theme.PRESENTER_POINT_SIZE * 0.8 if presenter else theme.BASE_POINT_SIZE))

    def image(self, snapshot: Snapshot) -> QImage:
        """The diagram of snapshot with its iteration, loss and accuracy written in the bottom right corner (the
        diagram's footer takes the bottom left, its headers the top)."""
        self.diagram.show_snapshot(snapshot)
        image = render_image(self.diagram)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        bottom = image.height() - 6
        right = image.width() - 12
        for text, font, color in reversed(list(zip(caption(snapshot), self._fonts, (theme.INK, theme.MUTED)))):
            painter.setFont(font)
            painter.setPen(QColor(color))
            height = QFontMetrics(font).height()
            painter.drawText(QRect(0, bottom - height, right, height), Qt.AlignmentFlag.AlignRight
                             | Qt.AlignmentFlag.AlignVCenter, text)
            bottom -= height
        painter.end()
        return image

    def frame(self, snapshot: Snapshot) -> np.ndarray:
        return image_array(self.image(snapshot))

    def close(self) -> None:
        self.diagram.close()
        self.diagram.deleteLater()


def image_array(image: QImage) -> np.ndarray:
    """A QImage as a (height, width, 3) uint8 RGB array (a copy)."""
    image = image.convertToFormat(QImage.Format.Format_RGB888)
    width, height = image.width(), image.height()
    bits = image.constBits()
    bits.setsize(image.sizeInBytes())
    rows = np.frombuffer(bits, np.uint8).reshape(height, image.bytesPerLine())
    return rows[:, :width * 3].reshape(height, width, 3).copy()


def render_gif(snapshots: Iterable[Snapshot], path: str | os.PathLike, size: tuple[int, int] = DEFAULT_SIZE,
               delay_ms: int = DEFAULT_DELAY_MS, hold_ms: int = HOLD_MS, presenter: bool = False) -> int:
    """Render each snapshot with the diagram and write them as a looping GIF; returns the frame count.

    In the UI thread, all at once: GifExport does the same without freezing the window.
    """
    frames = DiagramFrames(size, presenter)
    held: np.ndarray | None = None
    try:
        with GifWriter(path, frames.size) as writer:
            for snapshot in snapshots:
                if held is not None:
                    writer.add_frame(held, delay_ms)
                held = frames.frame(snapshot)
            if held is None:
                raise ValueError("an animation needs at least one snapshot")
            writer.add_frame(held, max(delay_ms, hold_ms))
            return writer.frames
    finally:
        frames.close()


# ---------------------------------------------------------------- in the background
class GifExport(QThread):
    """Trains a copy of the run for N iterations in this thread and writes the diagram's frames as a GIF.

    The thread hands each snapshot to the UI thread, which paints it (the only thread that may) and hands the
    frame back; at most IN_FLIGHT snapshots wait, so memory stays flat however long the animation. Start with
    start(); cancel() stops it and leaves no file; shutdown() (on closing the window) cancels and waits.
    """

    progress = pyqtSignal(int, int)     # frames written, frames in all
    saved = pyqtSignal(str, str)        # path, a one-line summary for the status bar
    failed = pyqtSignal(str)            # one line; no file was written
    _snapshotReady = pyqtSignal(object)

    IN_FLIGHT = 2

    def __init__(self, stepper: Stepper, path: str | os.PathLike, iterations: int = DEFAULT_ITERATIONS,
                 every: int = 1, size: tuple[int, int] = DEFAULT_SIZE, delay_ms: int = DEFAULT_DELAY_MS,
                 selection: ExampleSelection = ExampleSelection(), presenter: bool = False,
                 parent: QWidget | None = None):
        super().__init__(parent)
        if not 1 <= iterations <= MAX_ITERATIONS:
            raise ValueError(f"the animation covers 1 to {MAX_ITERATIONS} iterations, not {iterations}")
        if every < 1:
            raise ValueError(f"a frame every {every} iterations: it must be at least 1")
        self.path = str(path)
        self.iterations, self.every, self.delay_ms, self.selection = iterations, every, delay_ms, selection
        self.total = frame_count(iterations, every)
        self.copy = copy_stepper(stepper)       # now, in the caller's thread: the moment the user asked
        self.start_iteration = self.copy.iteration
        self._frames = DiagramFrames(size, presenter)
        self._rendered: queue.Queue[np.ndarray | Exception | None] = queue.Queue()
        self._cancelled = threading.Event()
        self._released = False
        # This object lives in the UI thread, so these calls from the running thread are queued to it.
        self._snapshotReady.connect(self._render)
        self.finished.connect(self._release)

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def cancel(self) -> None:
        """Stop as soon as possible; the partial file is removed and nothing is saved."""
        self._cancelled.set()
        self._rendered.put(None)            # wakes the thread if it waits for a frame

    def shutdown(self) -> None:
        """Cancel, wait for the thread to end and free the offscreen diagram (the window calls it on close)."""
        self.cancel()
        self.wait()
        self._release()

    def _release(self) -> None:
        if not self._released:
            self._released = True
            self._frames.close()

    def _render(self, snapshot: Snapshot) -> None:
        if self.cancelled or self._released:
            return
        try:
            self._rendered.put(self._frames.frame(snapshot))
        except Exception as error:     # handed to the thread, which reports it: it must not wait for ever
            self._rendered.put(error)

    def run(self) -> None:
        writer: GifWriter | None = None
        note = ""
        try:
            writer = GifWriter(self.path, self._frames.size)
            waiting, held = 0, None

            def take() -> np.ndarray | None:
                """The next rendered frame; the one before it is written (the last is held for the hold)."""
                nonlocal held
                frame = self._rendered.get()
                if isinstance(frame, Exception):
                    raise frame
                if frame is None or self.cancelled:
                    return None
                if held is not None:
                    writer.add_frame(held, self.delay_ms)
                    self.progress.emit(writer.frames, self.total)
                held = frame
                return frame

            snapshots = diagram_snapshots(self.copy, self.iterations, self.every, self.selection)
            while not self.cancelled:
                try:
                    snapshot = next(snapshots)
                except StopIteration:
                    break
                except Diverged as error:
                    note = f"; training diverged at iteration {error.iteration}, the animation stops there"
                    break
                self._snapshotReady.emit(snapshot)
                waiting += 1
                if waiting >= self.IN_FLIGHT:
                    take()
                    waiting -= 1
            while waiting and not self.cancelled:
                take()
                waiting -= 1
            if self.cancelled or held is None:
                writer.discard()
                return
            writer.add_frame(held, max(self.delay_ms, HOLD_MS))
            writer.close()
            self.progress.emit(writer.frames, self.total)
            size = os.path.getsize(self.path)
            self.saved.emit(self.path, f"Saved {self.path}: {writer.frames} frames, iterations "
                                       f"{self.start_iteration:,}–{self.copy.iteration:,}, "
                                       f"{size / 2**20:.1f} MB{note}")
        except Exception as error:   # a worker thread must not die silently: say it in the window
            if writer is not None:
                writer.discard()
            self.failed.emit(f"{self.path}: the animation could not be written ({' '.join(str(error).split())})")
