"""Exports for slides: each panel and the window as an SVG that looks like its PNG, and the diagram as an
animated GIF trained on a copy of the run."""
from __future__ import annotations

import xml.etree.ElementTree as ElementTree

import numpy as np
import pytest
from PyQt6.QtCore import Qt
from PyQt6.QtGui import QImage, QImageReader, QPainter
from PyQt6.QtSvg import QSvgRenderer
from PyQt6.QtWidgets import QGraphicsItem, QWidget

from core.config import TrainingConfig
from core.stepper import Stepper
from visualizer import export
from visualizer.snapshot import ExampleSelection, make_snapshot
from visualizer.views.curves import CurvesView
from visualizer.views.diagram import NetworkDiagram
from visualizer.views.equation import EquationView
from visualizer.views.input_view import InputView
from visualizer.views.matrices import MatricesView
from visualizer.views.values import ValuesView

SVG = "{http://www.w3.org/2000/svg}"
VECTOR_ELEMENTS = ("path", "polyline", "polygon", "rect", "ellipse", "circle", "line")
GIF_TIMEOUT_MS = 60_000


def start_of(split):
    """The snapshot of a new run at iteration 0: what the window hands a GIF export."""
    return make_snapshot(Stepper(split, TrainingConfig()), ExampleSelection())


def svg_image(path, size) -> np.ndarray:
    """The SVG drawn back by Qt's SVG renderer at size, as an RGB array."""
    renderer = QSvgRenderer(str(path))
    assert renderer.isValid()
    image = QImage(size, QImage.Format.Format_RGB32)
    image.fill(Qt.GlobalColor.white)
    painter = QPainter(image)
    renderer.render(painter)
    painter.end()
    return export.image_array(image)


def gif_frames(path) -> tuple[list[np.ndarray], list[int], int]:
    reader = QImageReader(str(path))
    frames, delays = [], []
    while not (image := reader.read()).isNull():
        frames.append(export.image_array(image))
        delays.append(reader.nextImageDelay())
    return frames, delays, reader.loopCount()


def assert_svg_matches_widget(widget, path, top: int = 0, tolerance: float = 0.8) -> ElementTree.Element:
    """The SVG is a vector picture of widget's size, with text, that looks like the PNG export (from row top)."""
    root = ElementTree.parse(path).getroot()
    assert root.tag == f"{SVG}svg"
    assert root.get("viewBox") == f"0 0 {widget.width()} {widget.height()}"
    assert root.find(f"{SVG}title").text
    texts = [element for element in root.iter(f"{SVG}text") if (element.text or "").strip()]
    shapes = [element for name in VECTOR_ELEMENTS for element in root.iter(f"{SVG}{name}")]
    assert len(texts) >= 3 and len(shapes) >= 3
    png = export.image_array(export.render_image(widget)).astype(int)[top:]
    drawn = svg_image(path, widget.size()).astype(int)[top:]
    # Antialiasing and glyph spacing differ a little pixel by pixel; averaged over 8×8 blocks a panel's two
    # pictures differ by at most 0.6, while a blank page, a shift of 4 pixels or text at 72 dpi differ by 1 to 60.
    assert np.abs(png - drawn).mean() < 3
    assert np.abs(blocks(png) - blocks(drawn)).mean() < tolerance
    return root


def blocks(image: np.ndarray, side: int = 8) -> np.ndarray:
    """Mean colour of each side × side block."""
    height, width = image.shape[0] // side * side, image.shape[1] // side * side
    return image[:height, :width].reshape(height // side, side, width // side, side, 3).mean(axis=(1, 3))


@pytest.fixture(scope="module")
def snapshot(tiny_split):
    stepper = Stepper(tiny_split, TrainingConfig(alpha=0.5))
    stepper.run(5)
    for _ in range(6):      # into the backward pass: gradients on screen too
        stepper.step_phase()
    return make_snapshot(stepper, ExampleSelection())


@pytest.mark.parametrize("view_class", [NetworkDiagram, EquationView, InputView, ValuesView, MatricesView,
                                        CurvesView])
def test_svg_of_each_panel_is_vector_and_looks_like_its_png(qtbot, tmp_path, snapshot, view_class):
    view = view_class()
    qtbot.addWidget(view)
    if isinstance(view, NetworkDiagram):
        view.set_animation_ms(0)
    view.resize(700, 450)
    view.show()
    qtbot.waitExposed(view)
    view.show_snapshot(snapshot)
    path = tmp_path / "panel.svg"
    assert export.render_svg(view, path)
    root = assert_svg_matches_widget(view, path)
    assert root.find(f"{SVG}title").text == view.accessibleName()
    assert [p.name for p in tmp_path.iterdir()] == ["panel.svg"]     # no temporary file left behind


def test_svg_of_the_diagram_has_its_captions_as_text_and_keeps_its_item_caches(qtbot, tmp_path, snapshot):
    view = NetworkDiagram()
    qtbot.addWidget(view)
    view.set_animation_ms(0)
    view.resize(700, 450)
    view.show()
    qtbot.waitExposed(view)
    view.show_snapshot(snapshot)
    modes = [item.cacheMode() for item in view.scene.items()]
    assert QGraphicsItem.CacheMode.DeviceCoordinateCache in modes
    assert export.render_svg(view, tmp_path / "diagram.svg")
    text = " ".join(element.text or "" for element in ElementTree.parse(tmp_path / "diagram.svg").iter(f"{SVG}text"))
    for caption in view.caption_texts():
        assert caption.split()[0] in text
    assert [item.cacheMode() for item in view.scene.items()] == modes


def test_svg_of_the_whole_window(qtbot, window, tmp_path):
    path = tmp_path / "window.svg"
    assert export.render_svg(window, path)
    # The menu bar paints its empty part under a clip path that leaves out the menus; Qt's own SVG renderer
    # ignores clip paths (browsers and Inkscape do not), so the comparison starts below the menu bar. The
    # window has more text than a panel, and that renderer spaces glyphs its own way: a wider tolerance.
    root = assert_svg_matches_widget(window, path, top=window.menuBar().geometry().bottom() + 1, tolerance=1.6)
    assert root.find(f"{SVG}defs/{SVG}clipPath") is not None


def test_unwritable_paths_fail_without_debris(qtbot, tmp_path, snapshot):
    view = EquationView()
    qtbot.addWidget(view)
    view.resize(300, 200)
    view.show_snapshot(snapshot)
    missing = tmp_path / "missing" / "x.svg"
    assert not export.render_svg(view, missing)
    assert not export.render_png(view, tmp_path / "missing" / "x.png")
    assert list(tmp_path.iterdir()) == []
    assert export.render_png(view, tmp_path / "x.png")
    assert QImage(str(tmp_path / "x.png")).size() == view.size()


# ---------------------------------------------------------------- GIF
def test_render_gif_writes_the_diagram_frames(qtbot, tiny_split, tmp_path):
    stepper = Stepper(tiny_split, TrainingConfig(alpha=0.5))
    snapshots = list(export.diagram_snapshots(export.resumed_copy(make_snapshot(stepper, ExampleSelection())),
                                              iterations=3))
    assert [s.iteration for s in snapshots] == [0, 1, 2, 3]
    path = tmp_path / "three.gif"
    assert export.render_gif(snapshots, path, size=(480, 300), delay_ms=200) == 4
    frames, delays, loop = gif_frames(path)
    assert len(frames) == 4 and frames[0].shape == (300, 480, 3)
    assert delays == [200, 200, 200, export.HOLD_MS]
    assert loop == -1                                   # forever
    renderer = export.DiagramFrames((480, 300))
    try:
        expected = renderer.frame(snapshots[-1]).astype(int)
    finally:
        renderer.close()
    assert np.abs(frames[-1].astype(int) - expected).mean() < 1.5
    assert not np.array_equal(frames[0], frames[-1])     # the diagram moves


def test_frames_every_n_iterations_end_on_the_last():
    assert export.frame_count(20, 1) == 21
    assert export.frame_count(20, 3) == 8               # 0, 3, …, 18, 20


def test_gif_export_trains_a_copy_and_leaves_the_run_alone(qtbot, tiny_split, tmp_path):
    # Momentum and mini-batches: the copy needs the optimizer's memory and the batch order to be faithful.
    stepper = Stepper(tiny_split, TrainingConfig(alpha=0.2, optimizer="momentum", batch_size=64, seed=3))
    stepper.run(5)
    for _ in range(3):
        stepper.step_phase()
    state, phases_done, latest = stepper.state, stepper.phases_done, stepper.history.latest
    params = {name: value.copy() for name, value in stepper.params.items()}
    path = tmp_path / "run.gif"
    job = export.GifExport(make_snapshot(stepper, ExampleSelection()), path, iterations=20, size=(400, 250),
                           delay_ms=50)
    progress = []
    job.progress.connect(lambda done, total: progress.append((done, total)))
    with qtbot.waitSignal(job.saved, timeout=GIF_TIMEOUT_MS) as saved:
        job.start()
    job.shutdown()         # the thread has ended: this frees the offscreen diagram
    assert saved.args[0] == str(path) and "21 frames" in saved.args[1] and "5–25" in saved.args[1]
    assert progress[-1] == (21, 21) and progress == sorted(progress)
    # The user's run has not moved.
    assert stepper.state is state and stepper.phases_done == phases_done and stepper.history.latest == latest
    for name, value in params.items():
        np.testing.assert_array_equal(stepper.params[name], value)
    frames, delays, _ = gif_frames(path)
    assert len(frames) == 21 and frames[0].shape == (250, 400, 3)
    assert delays[:-1] == [50] * 20 and delays[-1] == export.HOLD_MS
    # The copy computed exactly what the run itself computes next.
    stepper.run(20)
    assert stepper.iteration == job.copy.iteration == 25
    for name in params:
        np.testing.assert_array_equal(stepper.params[name], job.copy.params[name])


def test_cancel_stops_and_leaves_no_file(qtbot, tiny_split, tmp_path):
    stepper = Stepper(tiny_split, TrainingConfig(alpha=0.5))
    path = tmp_path / "cancelled.gif"
    job = export.GifExport(make_snapshot(stepper, ExampleSelection()), path, iterations=1000, size=(320, 200))
    saved = []
    job.saved.connect(lambda *args: saved.append(args))
    with qtbot.waitSignal(job.progress, timeout=GIF_TIMEOUT_MS):
        job.start()
    with qtbot.waitSignal(job.finished, timeout=GIF_TIMEOUT_MS):
        job.cancel()
    job.shutdown()
    assert not job.running and saved == []
    assert list(tmp_path.iterdir()) == []


def test_shutdown_while_running_ends_the_thread(qtbot, tiny_split, tmp_path):
    job = export.GifExport(start_of(tiny_split), tmp_path / "x.gif", iterations=1000, size=(320, 200))
    job.start()
    job.shutdown()
    assert not job.running
    assert list(tmp_path.iterdir()) == []


def test_divergence_ends_the_animation_where_training_broke_down(qtbot, tiny_split, tmp_path):
    stepper = Stepper(tiny_split, TrainingConfig(alpha=1e4))
    path = tmp_path / "diverged.gif"
    job = export.GifExport(make_snapshot(stepper, ExampleSelection()), path, iterations=30, size=(320, 200))
    with qtbot.waitSignal(job.saved, timeout=GIF_TIMEOUT_MS) as saved:
        job.start()
    job.shutdown()         # the thread has ended: this frees the offscreen diagram
    assert "diverged at iteration 1" in saved.args[1]
    assert len(gif_frames(path)[0]) == 2              # iterations 0 and 1; the update that broke down is not in it


def test_a_gif_that_cannot_be_written_is_reported(qtbot, tiny_split, tmp_path):
    job = export.GifExport(start_of(tiny_split), tmp_path / "missing" / "x.gif", iterations=2, size=(320, 200))
    with qtbot.waitSignal(job.failed, timeout=GIF_TIMEOUT_MS) as failed:
        job.start()
    job.shutdown()         # the thread has ended: this frees the offscreen diagram
    assert "missing" in failed.args[0] and "could not be written" in failed.args[0]


def test_a_frame_that_fails_to_render_ends_the_export_with_a_message(qtbot, tiny_split, tmp_path, monkeypatch):
    job = export.GifExport(start_of(tiny_split), tmp_path / "x.gif", iterations=5, size=(320, 200))

    def broken(snapshot):
        raise RuntimeError("no paint today")
    monkeypatch.setattr(job.frames, "frame", broken)
    with qtbot.waitSignal(job.failed, timeout=GIF_TIMEOUT_MS) as failed:
        job.start()
    job.shutdown()         # the thread has ended: this frees the offscreen diagram
    assert "no paint today" in failed.args[0]
    assert list(tmp_path.iterdir()) == []


def test_out_of_range_requests_are_refused(qtbot, tiny_split, tmp_path):
    for iterations, every in ((0, 1), (1001, 1), (10, 0)):
        with pytest.raises(ValueError):
            export.GifExport(start_of(tiny_split), tmp_path / "x.gif", iterations=iterations, every=every)


def test_exported_files_get_the_users_usual_permissions_not_the_temporary_files(qtbot, tmp_path):
    import os
    import stat

    from visualizer.gif import GifWriter

    view = QWidget()
    view.resize(40, 30)
    qtbot.addWidget(view)
    mask = os.umask(0o022)
    try:
        assert export.render_png(view, tmp_path / "x.png")
        assert export.render_svg(view, tmp_path / "x.svg")
        writer = GifWriter(tmp_path / "x.gif", (4, 3))
        writer.add_frame(np.zeros((3, 4, 3), np.uint8))
        writer.close()
    finally:
        os.umask(mask)
    for name in ("x.png", "x.svg", "x.gif"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o644, name
