"""Pictures for slides: any panel as a PNG or an SVG, and the diagram as an animated GIF over N iterations.

The animation trains a copy of the run resumed from the snapshot on screen (same split, parameters, optimizer
memory and learning rate), so the user's run is untouched; GifExport steps that copy in a background Job while
the UI thread renders each snapshot into a frame, since widgets can be painted only there.
"""
from __future__ import annotations

import math
import os
import re
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np
from PyQt6.QtCore import QBuffer, QIODevice, QObject, QPoint, QRect, QSize, Qt, pyqtSignal
from PyQt6.QtGui import QColor, QFontMetrics, QImage, QPainter
from PyQt6.QtSvg import QSvgGenerator
from PyQt6.QtWidgets import QGraphicsItem, QGraphicsView, QWidget

from core.checkpoints import CheckpointError, check_destination, write_atomically
from core.history import History
from core.stepper import Diverged, Stepper

from . import theme
from .gif import GifWriter
from .hints import hints_hidden
from .jobs import Cancelled, Job, JobContext
from .snapshot import ExampleSelection, Snapshot, make_snapshot
from .views.diagram import NetworkDiagram

PNG_SCALES = (1, 2, 3)          # pixels per screen pixel an exported PNG may have (Export ▸ PNG size)
DEFAULT_PNG_SCALE = 2           # a slide wants more pixels than the screen shows
MAX_ITERATIONS = 1000
DEFAULT_ITERATIONS = 50
DEFAULT_SIZE = (800, 500)
DEFAULT_DELAY_MS = 100       # 10 frames a second: each update is readable, 50 iterations take 5 s
HOLD_MS = 1500               # the last frame stays this long before the loop starts again
COPY_HISTORY_BYTES = 4 * 2**20   # the copy never rewinds; a little history is all it needs


# ---------------------------------------------------------------- still pictures
def check_picture_destination(path: str | os.PathLike, size: QSize, frames: int = 0,
                              suggested: str = "picture.png") -> Path:
    """Raise CheckpointError now, before any painting or training, if a picture could not be written at path: a
    folder or a device there, no such folder, no permission; for an animation of that many frames of this size,
    also too little room for about what it takes (the first frame a byte a pixel, each further a quarter: 5.2 MB
    for the 51 frames of 800×500 that measured 2.4–3.3 MB). A still picture's room is checked once it is painted,
    for its real size. Returns the file that will be written; suggested: the name offered if path is a folder."""
    pixels = size.width() * size.height()
    return check_destination(path, pixels * (1 + frames // 4) if frames else 0, suggested)


def render_image(widget: QWidget, scale: float = 1.0) -> QImage:
    """The widget painted into a QImage of its size in pixels times scale (a device pixel ratio of scale, also on
    HiDPI: text and lines are drawn at that resolution, not enlarged), without its on-screen hints."""
    image = QImage(widget.size() * scale, QImage.Format.Format_RGB32)
    image.setDevicePixelRatio(scale)
    image.fill(Qt.GlobalColor.white)
    # Item caches are pixmaps at the screen's resolution: drawn afresh, the shapes and text are sharp at any scale.
    changed = _uncached(widget) if scale != 1 else []
    painter = QPainter(image)
    try:
        with hints_hidden(widget):
            widget.render(painter)
    finally:
        painter.end()
        _restore(changed)
    image.setDevicePixelRatio(1.0)      # its pixels are the picture's: a viewer shows them one for one
    return image


def render_png(widget: QWidget, path: str | os.PathLike, scale: float = 1.0) -> bool:
    """Write widget as a PNG of its size in pixels times scale; False if it could not be written (write_picture
    says why)."""
    return _written(write_picture, widget, path, "png", scale=scale)


def write_picture(widget: QWidget, path: str | os.PathLike, kind: str = "png", title: str | None = None,
                  description: str | None = None, scale: float = 1.0) -> None:
    """Write widget as a PNG (its size in pixels times scale) or an SVG ("png", "svg"); CheckpointError names the
    file and what is wrong. A destination that cannot be written is refused before the widget is painted."""
    suggested = f"picture.{kind}"
    check_picture_destination(path, widget.size() * (scale if kind == "png" else 1), suggested=suggested)
    if kind == "svg":
        data = _svg_data(widget, title, description)
    else:
        buffer = QBuffer()
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        data = bytes(buffer.data()) if render_image(widget, scale).save(buffer, "PNG") else None
    if data is None:
        raise CheckpointError(f"{path}: the {kind.upper()} image could not be made")
    write_atomically(path, len(data), suggested, GifWriter.PART, lambda file: file.write(data))


def _written(write, *args, **kwargs) -> bool:
    try:
        write(*args, **kwargs)
    except CheckpointError:
        return False
    return True


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
    embedded as PNG; False if it could not be written (write_picture says why)."""
    return _written(write_picture, widget, path, "svg", title, description)


def _svg_data(widget: QWidget, title: str | None, description: str | None) -> bytes | None:
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
        return None
    changed = _uncached(widget)
    try:
        # A white page, as the PNG has: some SVG viewers show no background as black or as a checkerboard.
        painter.fillRect(QRect(QPoint(0, 0), size), QColor(theme.PAPER))
        with hints_hidden(widget):
            widget.render(painter)
    finally:
        painter.end()
        _restore(changed)
    return _portable(bytes(buffer.data()))


def _portable(svg: bytes) -> bytes:
    """Qt's SVG with a generic fallback after each font family: Qt writes the configured family (e.g. "Sans
    Serif"), which a browser may not know and then shows in a serif face.

    Images keep Qt's image-rendering="optimizeSpeed", which CSS defines as "pixelated": digits and heat maps stay
    crisp instead of blurred.
    """
    return re.sub(rb'font-family="([^"]*)"', lambda match: b'font-family="' + match.group(1) + b', sans-serif"'
                  if b"sans-serif" not in match.group(1) else match.group(0), svg)


# ---------------------------------------------------------------- the animation's frames
def resumed_copy(snapshot: Snapshot) -> Stepper:
    """A new Stepper at the start of the snapshot's iteration (a half-computed iteration starts afresh): the same
    split, configuration, parameters, optimizer memory and learning rate, so stepping it computes exactly the
    iterations the run itself would. The snapshot's state is immutable (the run replaces it, never changes it),
    so the copy shares its arrays."""
    state, alpha = snapshot.state, snapshot.alpha
    copy = Stepper(snapshot.split, snapshot.config.with_changes(alpha=alpha), params=state.params,
                   history_budget_bytes=COPY_HISTORY_BYTES)
    copy.state = state
    copy.history = History(state, alpha, budget_bytes=COPY_HISTORY_BYTES)
    return copy


def started_copy(snapshot: Snapshot) -> Stepper:
    """A new Stepper at iteration 0 of the snapshot's run: its split and first parameters, with the configuration
    (and learning rate) it has now. Raises ValueError when the run has let its first parameters go."""
    if snapshot.initial_params is None:
        raise ValueError("the run's first parameters were let go (a long run): reset to start again from them")
    return Stepper(snapshot.split, snapshot.config.with_changes(alpha=snapshot.alpha),
                   params=snapshot.initial_params, history_budget_bytes=COPY_HISTORY_BYTES)


def frame_count(iterations: int, every: int) -> int:
    """Frames in an animation of iterations iterations, one every `every`: the start, then each frame."""
    return 1 + math.ceil(iterations / every)


def diagram_snapshots(stepper: Stepper, iterations: int = DEFAULT_ITERATIONS, every: int = 1,
                      selection: ExampleSelection = ExampleSelection()) -> Iterator[Snapshot]:
    """Snapshots of stepper (give it a resumed_copy: it is trained) at the start, after every `every` iterations
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
class GifExport(QObject):
    """Trains a copy of the run for N iterations in a background Job and writes the diagram's frames as a GIF.

    The job hands each snapshot to the UI thread, which paints it (the only thread that may) and posts the frame
    back; at most IN_FLIGHT snapshots wait, so memory stays flat however long the animation. Start with start();
    cancel() stops it and leaves no file; shutdown() (on closing the window) cancels and waits.
    """

    progress = pyqtSignal(int, int)     # frames written, frames in all
    saved = pyqtSignal(str, str)        # path, a one-line summary for the status bar
    failed = pyqtSignal(str)            # one line; no file was written
    finished = pyqtSignal()             # after saved, failed or a cancel: the job's thread has ended

    IN_FLIGHT = 2

    def __init__(self, snapshot: Snapshot, path: str | os.PathLike, iterations: int = DEFAULT_ITERATIONS,
                 every: int = 1, size: tuple[int, int] = DEFAULT_SIZE, delay_ms: int = DEFAULT_DELAY_MS,
                 presenter: bool = False, from_start: bool = False, parent: QObject | None = None):
        """snapshot: the moment to resume from, with its example selected; from_start: its run from iteration 0
        instead (its first parameters, the settings it has now)."""
        super().__init__(parent)
        if not 1 <= iterations <= MAX_ITERATIONS:
            raise ValueError(f"the animation covers 1 to {MAX_ITERATIONS} iterations, not {iterations}")
        if every < 1:
            raise ValueError(f"a frame every {every} iterations: it must be at least 1")
        self.path = str(path)
        self.iterations, self.every, self.delay_ms = iterations, every, delay_ms
        self.selection = ExampleSelection(snapshot.example.subset, snapshot.example.index)
        self.total = frame_count(iterations, every)
        self.copy = started_copy(snapshot) if from_start else resumed_copy(snapshot)
        self.start_iteration = self.copy.iteration
        self.frames = DiagramFrames(size, presenter)
        self._released = False
        self.job = Job(self._work, "the animation", self)
        self.job.progress.connect(self._received)
        self.job.done.connect(self._done)
        self.job.finished.connect(self._release)
        self.job.finished.connect(self.finished)

    @property
    def running(self) -> bool:
        return self.job.running

    def start(self) -> None:
        self.job.start()

    def cancel(self) -> None:
        """Stop as soon as possible; the partial file is removed and nothing is saved."""
        self.job.cancel()

    def shutdown(self) -> None:
        """Cancel, wait for the job to end and free the offscreen diagram (the window calls it on close)."""
        self.job.shutdown()
        self._release()

    def _release(self) -> None:
        if not self._released:
            self._released = True
            self.frames.close()

    # ------------------------------------------------------------ in the UI thread
    def _received(self, message: tuple) -> None:
        kind, value = message
        if kind == "progress":
            self.progress.emit(*value)
        elif not self.job.cancelled and not self._released:        # "render": paint it, post the frame back
            try:
                self.job.post(self.frames.frame(value))
            except Exception as error:     # handed to the job, which reports it: it must not wait for ever
                self.job.post(error)

    def _done(self, outcome: tuple[str, str]) -> None:
        kind, text = outcome
        if kind == "saved":
            self.saved.emit(self.path, text)
        else:
            self.failed.emit(text)

    # ------------------------------------------------------------ in the job's thread
    def _work(self, context: JobContext) -> tuple[str, str]:
        writer: GifWriter | None = None
        note = ""
        try:
            writer = GifWriter(self.path, self.frames.size)
            waiting, held = 0, None

            def take() -> None:
                """The next rendered frame; the one before it is written (the last is held for the hold)."""
                nonlocal held
                frame = context.take()
                if isinstance(frame, Exception):
                    raise frame
                if held is not None:
                    writer.add_frame(held, self.delay_ms)
                    context.report(("progress", (writer.frames, self.total)))
                held = frame

            snapshots = diagram_snapshots(self.copy, self.iterations, self.every, self.selection)
            while not context.cancelled:
                try:
                    snapshot = next(snapshots)
                except StopIteration:
                    break
                except Diverged as error:
                    note = f"; training diverged at iteration {error.iteration}, the animation stops there"
                    break
                context.report(("render", snapshot))
                waiting += 1
                if waiting >= self.IN_FLIGHT:
                    take()
                    waiting -= 1
            while waiting and not context.cancelled:
                take()
                waiting -= 1
            if context.cancelled or held is None:
                raise Cancelled()
            writer.add_frame(held, max(self.delay_ms, HOLD_MS))
            writer.close()
            context.report(("progress", (writer.frames, self.total)))
            size = os.path.getsize(self.path)
            return "saved", (f"Saved {self.path}: {writer.frames} frames, iterations {self.start_iteration:,}–"
                             f"{self.copy.iteration:,}, {size / 2**20:.1f} MB{note}")
        except Cancelled:
            if writer is not None:
                writer.discard()
            raise
        except Exception as error:   # said in the window, and no half file is left
            if writer is not None:
                writer.discard()
            return "failed", f"{self.path}: the animation could not be written ({' '.join(str(error).split())})"
