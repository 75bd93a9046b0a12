"""The live views update only what changed while playing; what they show must not depend on it.

A view fed a long run of snapshots (phases stepped, playing, other examples) must end up showing exactly what a
fresh view shows for the last snapshot alone.
"""
from __future__ import annotations

import numpy as np
import pytest
from PyQt6.QtGui import QImage
from PyQt6.QtWidgets import QLabel

from core.config import TrainingConfig
from core.stepper import Stepper
from visualizer import theme
from visualizer.frames import Frame
from visualizer.snapshot import ExampleSelection, make_snapshot
from visualizer.views.curves import CurvesView
from visualizer.views.diagram import NetworkDiagram


def pixels(widget) -> np.ndarray:
    image = widget.grab().toImage().convertToFormat(QImage.Format.Format_RGB32)
    return np.frombuffer(image.constBits().asstring(image.sizeInBytes()), np.uint8).copy()


def make_view(qtbot, view_class, size=(704, 432)):
    view = view_class()
    if isinstance(view, NetworkDiagram):
        view.set_animation_ms(0)
    qtbot.addWidget(view)
    view.resize(*size)
    view.show()
    qtbot.waitExposed(view)
    return view


@pytest.fixture
def run_snapshots(tiny_split):
    """A lesson's worth of snapshots: phases stepped one by one, then playing, another example, then paused."""
    stepper = Stepper(tiny_split, TrainingConfig(hidden=10, alpha=0.5))
    snapshots = []
    for _ in range(11):
        stepper.step_phase()
        snapshots.append(make_snapshot(stepper, ExampleSelection("train", 3)))
    for index in range(30):
        stepper.step_iteration()
        example = ExampleSelection("train", 3 if index < 20 else 8)
        snapshots.append(make_snapshot(stepper, example, playing=True))
    for _ in range(4):
        stepper.step_phase()
        snapshots.append(make_snapshot(stepper, ExampleSelection("train", 8)))
    snapshots.append(make_snapshot(stepper, ExampleSelection("dev", 2)))
    return snapshots


@pytest.mark.parametrize("view_class", [NetworkDiagram, CurvesView])
def test_a_view_after_a_run_shows_what_a_fresh_view_shows(qtbot, run_snapshots, view_class):
    followed = make_view(qtbot, view_class)
    for k, snapshot in enumerate(run_snapshots):
        followed.show_snapshot(snapshot)
        # Presenter mode and back builds the curves' styles again. (Not the diagram's: it keeps the body height
        # it chose while that fits the panel within 8 %, so it may be laid out a little differently after.)
        if view_class is CurvesView and k in (15, 25):
            followed.set_presenter_mode(k == 15)
    fresh = make_view(qtbot, view_class)
    fresh.show_snapshot(run_snapshots[-1])
    assert np.array_equal(pixels(followed), pixels(fresh))


# While playing, a frame in which none of the diagram's slow layers (numbers, thumbnails, parameters) is due.
NOTHING_SLOW = Frame(playing=True)
EVERY_LAYER = Frame(playing=True, due=frozenset({"diagram.numbers", "diagram.thumbnails", "diagram.parameters"}))


def frame_for(snapshot, playing_frame: Frame) -> Frame:
    """What the window's frame policy hands a view with this snapshot: everything unless it is playing."""
    return playing_frame if snapshot.playing else Frame(playing=False)


def test_what_the_diagram_redraws_seldom_while_playing_is_exact_once_it_stops(qtbot, run_snapshots):
    """Thumbnails, W2 edges, bias squares and numbers wait while playing (here, for the whole run); the first
    snapshot that is not playing shows them exactly as a fresh diagram does."""
    last_playing = max(k for k, snapshot in enumerate(run_snapshots) if snapshot.playing)
    fresh = make_view(qtbot, NetworkDiagram)
    fresh.show_snapshot(run_snapshots[last_playing + 1])
    followed = make_view(qtbot, NetworkDiagram)
    for snapshot in run_snapshots[:last_playing + 2]:
        followed.show_snapshot(snapshot, frame_for(snapshot, NOTHING_SLOW))
    assert np.array_equal(pixels(followed), pixels(fresh))
    # and while playing they really waited: the last playing frame showed the parameters of the run's start
    waited = make_view(qtbot, NetworkDiagram)
    for snapshot in run_snapshots[:last_playing + 1]:
        waited.show_snapshot(snapshot, frame_for(snapshot, NOTHING_SLOW))
    assert not np.array_equal(pixels(waited), pixels(followed))


def probabilities_shown(diagram: NetworkDiagram) -> list[float]:
    return [float(item.text().rstrip("%")) for item in diagram.outputs.probabilities]


def test_while_playing_the_diagram_colours_follow_every_snapshot(qtbot, run_snapshots):
    """No frame is skipped for the colours: the output nodes are filled by the probabilities of the snapshot shown,
    even while the numbers written on them wait (here, the whole run) for their next turn."""
    diagram = make_view(qtbot, NetworkDiagram)
    for snapshot in run_snapshots:
        diagram.show_snapshot(snapshot, frame_for(snapshot, NOTHING_SLOW))
        fills = [node.brush().color().getRgb()[:3] for node in diagram.output_nodes]
        expected = [tuple(int(c) for c in theme.SEQUENTIAL_LUT[int(np.clip(p * 255, 0, 255))])
                    for p in snapshot.example.a2]
        assert fills == expected


@pytest.mark.parametrize("playing_frame", [EVERY_LAYER, NOTHING_SLOW], ids=["every frame", "never"])
def test_the_numbers_on_the_nodes_are_exact_whenever_playing_stops(qtbot, run_snapshots, playing_frame):
    """While playing, the numbers follow the frames in which they are due (here: every frame, or never); a step
    or a pause writes the snapshot's own numbers."""
    diagram = make_view(qtbot, NetworkDiagram)
    written = None
    for snapshot in run_snapshots:
        diagram.show_snapshot(snapshot, frame_for(snapshot, playing_frame))
        if not snapshot.playing or playing_frame is EVERY_LAYER:
            written = snapshot
        # while playing with the long interval: still the numbers of the last step before playing
        assert probabilities_shown(diagram) == pytest.approx(100 * written.example.a2, abs=0.051)
    assert any(snapshot.playing for snapshot in run_snapshots)


def test_while_playing_the_curves_end_at_the_last_iteration(qtbot, run_snapshots):
    curves = make_view(qtbot, CurvesView, (500, 400))
    for snapshot in run_snapshots:
        curves.show_snapshot(snapshot)
        x, loss = curves.loss_curve.getData()
        assert x.size == snapshot.iteration and np.isfinite(loss).all()
        (left, right), (bottom, top) = curves.loss_plot.viewRange()
        assert left <= 0 and right >= snapshot.iteration           # the whole run and the marker are in view
        if loss.size:
            assert bottom <= loss.min() and top >= loss.max()
        if snapshot.playing:      # a round number, so the axis changes a few times per power of ten, not per frame
            mantissa = right / 10 ** np.floor(np.log10(right))
            assert min(abs(mantissa - step) for step in (1, 2, 2.5, 5, 10)) < 1e-9
        assert all(marker.value() == snapshot.iteration for marker in curves.markers)


def test_while_playing_the_window_shows_each_snapshot_it_gets_as_it_arrives(qtbot, make_window):
    window = make_window()
    received, on_screen = [], []
    window.bridge.snapshotReady.connect(received.append)
    # connected after the window: by then the window has shown it (or not)
    window.bridge.snapshotReady.connect(lambda snapshot: on_screen.append(window.snapshot is snapshot))
    window.bridge.play()
    qtbot.waitUntil(lambda: window.snapshot.playing, timeout=10_000)
    frames, count = window.frames_shown, len(received)
    qtbot.waitUntil(lambda: window.frames_shown - frames >= 10, timeout=10_000)       # it plays
    shown, made = window.frames_shown - frames, len(received) - count
    assert made == shown                # one per frame: the worker makes the next once the window took this one
    assert all(on_screen)               # not kept for a display timer's next tick
    window.bridge.pause()
    qtbot.waitUntil(lambda: not window.snapshot.playing, timeout=10_000)


@pytest.mark.parametrize("length", [0, 1, 2, 1999, 2000, 2001, 4000, 4001, 12345, 100_000])
def test_downsampled_curves_keep_the_points_already_sent(length):
    from visualizer.snapshot import CURVE_POINTS, _downsample

    points = _downsample(length)
    assert points.size <= CURVE_POINTS + 1 and (np.diff(points) > 0).all()
    if length:
        assert points[0] == 0 and points[-1] == length - 1
    if length <= CURVE_POINTS:
        np.testing.assert_array_equal(points, np.arange(length))
    # a longer curve with the same stride starts with the same points (all but the old last one)
    stride = points[1] if points.size > 2 else 1
    kept = 0
    for longer in range(length + 1, length + 40):
        more = _downsample(longer)
        if (more[1] if more.size > 2 else 1) == stride:
            kept += 1
            np.testing.assert_array_equal(more[:max(points.size - 1, 0)], points[:-1])
    if length not in (1999, 2000, 4000):        # where the stride doubles (CURVE_POINTS · 2^k)
        assert kept == 39


def test_a_growing_curve_redraws_only_its_tail_and_draws_every_point(qtbot):
    from visualizer.views.curves import Curve

    curve = Curve()
    rng = np.random.default_rng(0)
    x, y = np.arange(500.0), rng.random(500)

    def drawn() -> int:
        # body and tail share one point where they meet
        body, tail = curve.path().elementCount(), curve.tail.path().elementCount()
        return body + tail - (1 if body and tail else 0)

    curve.setData(x[:10], y[:10], growing=True)
    body = curve.path()
    assert drawn() == 10
    for n in range(11, 10 + Curve.TAIL_POINTS):
        curve.setData(x[:n], y[:n], growing=True)
        assert curve.path() == body and drawn() == n          # the body's path was not made again
    rebuilt = 0
    for n in range(10 + Curve.TAIL_POINTS, 500):
        before = curve.path()
        curve.setData(x[:n], y[:n], growing=True)
        rebuilt += curve.path() != before
        assert drawn() == n
        assert curve.tail.path().elementCount() <= Curve.TAIL_POINTS + 1
    assert rebuilt <= 500 // Curve.TAIL_POINTS                 # the tail was taken into the body now and then
    # the points it has change (a step back, a new run): drawn anew at once, all of them
    changed = y[:300].copy()
    changed[5] += 1
    curve.setData(x[:300], changed, growing=True)
    assert drawn() == 300
    elements = [curve.path().elementAt(k) for k in range(curve.path().elementCount())]
    elements += [curve.tail.path().elementAt(k) for k in range(1, curve.tail.path().elementCount())]
    np.testing.assert_allclose([e.y for e in elements], changed)
    np.testing.assert_allclose([e.x for e in elements], x[:300])
    curve.setData(x[:0], y[:0], growing=True)
    assert drawn() == 0
    # not growing (paused): drawn as a fresh curve draws it, all but the last point in the body
    curve.setData(x[:100], y[:100], growing=True)
    curve.setData(x[:101], y[:101])
    assert curve.path().elementCount() == 100 and curve.tail.path().elementCount() == 2


def test_numbers_that_change_at_every_frame_do_not_lay_the_window_out_again(qtbot, make_window, tiny_split):
    """The status bar and the timeline keep their labels' sizes while playing: a label's setText otherwise has the
    main window recompute its whole layout (every dock) at the next pass of the event loop.

    The frames are the window's own path for playing snapshots, fed here one by one (not timed by a worker), with
    the frame policy's clock stopped so that only the panels that follow every frame draw: the curves, the
    timeline and the status bar."""
    from PyQt6.QtCore import QEvent, QObject
    from PyQt6.QtWidgets import QApplication

    window = make_window()
    stepper = Stepper(tiny_split, TrainingConfig(hidden=10, alpha=0.5))
    stepper.run(100)                    # three-digit iterations all along: a label's widest text comes early
    frames = []
    for _ in range(40):
        stepper.step_iteration()
        frames.append(make_snapshot(stepper, ExampleSelection("train", 3), playing=True))
    window.frame_policy.clock = lambda: 0.0
    window.frame_policy.intervals["numbers"] = 0.0    # the numbers follow every frame, as fast as they can
    window.frame_policy.frame(playing=False)        # the slow layers were drawn "now", and time stands still

    class Counter(QObject):
        def __init__(self) -> None:
            super().__init__()
            self.layouts = 0

        def eventFilter(self, watched, event) -> bool:
            self.layouts += event.type() == QEvent.Type.LayoutRequest
            return False

    def play(snapshots) -> None:
        for snapshot in snapshots:
            window.bridge.snapshotReady.emit(snapshot)       # as a frame from the worker arrives
            QApplication.processEvents()                     # the pass of the event loop after the frame

    play(frames[:20])                   # the labels take the sizes of their widest numbers so far
    counter = Counter()
    window.installEventFilter(counter)
    shown = window.frames_shown
    play(frames[20:])
    window.removeEventFilter(counter)
    assert window.frames_shown - shown == 20 and window.snapshot is frames[-1]
    assert window.findChild(QLabel, "iterationLabel").text() == str(frames[-1].iteration)
    assert counter.layouts == 0


def test_a_steady_label_only_grows_and_does_not_ask_for_a_layout(qtbot):
    from PyQt6.QtCore import QEvent, QObject
    from PyQt6.QtWidgets import QApplication, QHBoxLayout, QLabel, QWidget

    from visualizer.views.confirm_bar import steady_text, unsteady

    parent = QWidget()
    qtbot.addWidget(parent)
    label = QLabel()
    QHBoxLayout(parent).addWidget(label)
    parent.show()
    steady_text(label, "loss 0.1234")
    size = label.size()
    assert label.minimumSize() == label.maximumSize() == size

    class Counter(QObject):
        layouts = 0

        def eventFilter(self, watched, event) -> bool:
            Counter.layouts += event.type() == QEvent.Type.LayoutRequest
            return False

    counter = Counter()
    parent.installEventFilter(counter)
    QApplication.processEvents()        # the layout of the first text is done
    Counter.layouts = 0
    steady_text(label, "loss 0.11")
    QApplication.processEvents()        # a layout it asked for would arrive here
    assert Counter.layouts == 0 and label.size() == size and label.text() == "loss 0.11"
    steady_text(label, "loss 1234567.1234")           # more room: it grows
    assert label.width() > size.width()
    unsteady(label)
    assert label.minimumWidth() == 0 and label.maximumWidth() > 10_000
