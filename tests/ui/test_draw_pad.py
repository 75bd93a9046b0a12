"""The Draw a digit pad driven with the mouse and keys: what the network sees, A1 and the softmax follow the drawing."""
from __future__ import annotations

import numpy as np
import pytest
from PyQt6.QtCore import QEvent, QPoint, Qt
from PyQt6.QtGui import QKeySequence, QMouseEvent
from PyQt6.QtWidgets import QApplication, QLabel, QPushButton, QWidget

from core import drawing
from core.config import TrainingConfig
from core.data import FASHION_NAMES, Split
from core.stepper import Stepper
from visualizer.snapshot import ExampleSelection, make_snapshot
from visualizer.views.draw_pad import CANVAS_PIXELS, DrawPad

SIGNAL_TIMEOUT_MS = 2000


def snapshot_of(stepper: Stepper):
    return make_snapshot(stepper, ExampleSelection())


@pytest.fixture
def stepper(tiny_split) -> Stepper:
    return Stepper(tiny_split, TrainingConfig(hidden=10, alpha=0.5))


@pytest.fixture
def make_pad(show_widget):
    """A shown pad of a typical dock's size; closed through Qt when the test ends."""
    def make(width: int = 430, height: int = 560) -> DrawPad:
        return show_widget(DrawPad(), width, height)

    return make


def on_canvas(pad: DrawPad, x: float, y: float) -> QPoint:
    """The widget position of canvas pixel (x, y) (0–280)."""
    paper = pad.canvas.paper()
    scale = paper.width() / CANVAS_PIXELS
    return QPoint(round(paper.left() + x * scale), round(paper.top() + y * scale))


def drag(qtbot, pad: DrawPad, points: list[tuple[float, float]], release: bool = True) -> None:
    canvas = pad.canvas
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=on_canvas(pad, *points[0]))
    for point in points[1:]:
        qtbot.mouseMove(canvas, on_canvas(pad, *point))
    if release:
        qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=on_canvas(pad, *points[-1]))


def seven() -> list[tuple[float, float]]:
    return [(70, 60), (130, 60), (200, 60), (180, 120), (160, 180), (140, 240)]


def draw_seven(qtbot, pad: DrawPad) -> None:
    """Draw a 7 with the mouse and wait until the network has read it."""
    drag(qtbot, pad, seven())
    qtbot.waitUntil(lambda: pad.probabilities is not None, timeout=SIGNAL_TIMEOUT_MS)


def test_drawing_with_the_mouse_changes_what_the_network_sees_and_its_softmax(qtbot, make_pad, stepper):
    pad = make_pad()
    pad.show_snapshot(snapshot_of(stepper))
    assert not pad.preview.pixels.any() and pad.probabilities is None
    with qtbot.waitSignal(pad.drawingChanged, timeout=SIGNAL_TIMEOUT_MS) as changed:
        drag(qtbot, pad, seven())
    column = changed.args[0]
    assert column.shape == (784,) and column.max() <= 1.0
    # The preview shows exactly the column the network reads, and it is the canvas preprocessed as MNIST.
    np.testing.assert_array_equal(pad.preview.pixels, np.round(column.reshape(28, 28) * 255))
    np.testing.assert_allclose(column, drawing.mnist_preprocess(pad.canvas.ink()))
    assert pad.preview.pixels.any()
    expected = drawing.predict(stepper.params, column, "relu")[3]
    np.testing.assert_allclose(pad.probabilities, expected, rtol=1e-5)
    np.testing.assert_allclose(pad.a2_bars.opts["width"], pad.probabilities)
    assert pad.prediction == int(np.argmax(expected))
    assert len(pad.a1_bars.opts["height"]) == 10
    answer = pad.findChild(QLabel, "drawingPrediction").text()
    assert f">{pad.prediction}</div>" in answer and f"{expected.max():.0%}" in answer


def test_the_network_reads_the_drawing_while_the_button_is_still_down(qtbot, make_pad, stepper):
    pad = make_pad()
    pad.show_snapshot(snapshot_of(stepper))
    drag(qtbot, pad, seven()[:3], release=False)
    qtbot.waitUntil(lambda: pad.probabilities is not None, timeout=SIGNAL_TIMEOUT_MS)
    top_bar = pad.preview.pixels.copy()
    drag_on = [(180, 120), (160, 180), (140, 240)]
    for point in drag_on:
        qtbot.mouseMove(pad.canvas, on_canvas(pad, *point))
    qtbot.waitUntil(lambda: not np.array_equal(pad.preview.pixels, top_bar), timeout=SIGNAL_TIMEOUT_MS)
    qtbot.mouseRelease(pad.canvas, Qt.MouseButton.LeftButton, pos=on_canvas(pad, *drag_on[-1]))


def test_strokes_between_two_frames_cost_one_preprocessing_and_forward_pass(qtbot, make_pad, stepper):
    pad = make_pad()
    pad.show_snapshot(snapshot_of(stepper))
    columns = []
    pad.drawingChanged.connect(columns.append)
    # Forty mouse moves delivered straight to the canvas, without the event loop running in between.
    press = QMouseEvent(QEvent.Type.MouseButtonPress, on_canvas(pad, 60, 100).toPointF(),
                        Qt.MouseButton.LeftButton, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(pad.canvas, press)
    for step in range(1, 41):
        move = QMouseEvent(QEvent.Type.MouseMove, on_canvas(pad, 60 + 4 * step, 100).toPointF(),
                           Qt.MouseButton.NoButton, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
        QApplication.sendEvent(pad.canvas, move)
    assert columns == []
    qtbot.waitUntil(lambda: len(columns) == 1, timeout=SIGNAL_TIMEOUT_MS)
    assert columns[0].any()
    assert not pad.refresh_pending and len(columns) == 1       # and none is on its way


@pytest.mark.parametrize("how", ["button", "Delete", "Backspace", "action"])
def test_clear_resets_the_canvas_the_preview_and_the_bars(qtbot, make_pad, stepper, how):
    pad = make_pad()
    pad.show_snapshot(snapshot_of(stepper))
    draw_seven(qtbot, pad)
    assert pad.canvas.ink().any()
    with qtbot.waitSignal(pad.drawingChanged, timeout=SIGNAL_TIMEOUT_MS) as cleared:
        if how == "button":
            qtbot.mouseClick(pad.findChild(QPushButton, "clearDrawing"), Qt.MouseButton.LeftButton)
        elif how == "action":
            pad.findChild(type(pad.clear_action), "clearDrawingAction").trigger()
        else:
            pad.canvas.setFocus()       # the pad has focus through its canvas, as after drawing
            qtbot.keyClick(pad.canvas, getattr(Qt.Key, f"Key_{how}"))
    assert not cleared.args[0].any()
    assert not pad.canvas.ink().any() and not pad.preview.pixels.any()
    assert pad.probabilities is None and pad.prediction is None
    assert not np.any(pad.a2_bars.opts["width"]) and len(pad.a1_bars.opts["height"]) == 0
    assert "draw a digit" in pad.findChild(QLabel, "drawingPrediction").text()


def test_the_clear_action_is_ready_for_the_window(make_pad):
    pad = make_pad()
    action = pad.clear_action
    assert action.objectName() == "clearDrawingAction"
    assert action.shortcut() == QKeySequence("Ctrl+Backspace")
    assert action.toolTip()


def test_ctrl_backspace_clears_through_the_action(qtbot, make_pad, stepper):
    pad = make_pad()
    pad.show_snapshot(snapshot_of(stepper))
    draw_seven(qtbot, pad)
    pad.activateWindow()
    qtbot.waitUntil(pad.isActiveWindow, timeout=SIGNAL_TIMEOUT_MS)
    pad.canvas.setFocus()
    with qtbot.waitSignal(pad.clear_action.triggered, timeout=SIGNAL_TIMEOUT_MS):
        qtbot.keyClick(pad.canvas, Qt.Key.Key_Backspace, Qt.KeyboardModifier.ControlModifier)
    assert not pad.canvas.ink().any() and pad.probabilities is None


def test_new_parameters_change_the_answer_for_the_same_drawing(qtbot, make_pad, stepper):
    pad = make_pad()
    pad.show_snapshot(snapshot_of(stepper))
    draw_seven(qtbot, pad)
    before = pad.probabilities.copy()
    for _ in range(3):
        stepper.step_iteration()
    pad.show_snapshot(snapshot_of(stepper))
    expected = drawing.predict(stepper.params, pad.column, "relu")[3]
    np.testing.assert_allclose(pad.probabilities, expected, rtol=1e-5)
    assert not np.allclose(pad.probabilities, before)


def test_a_hidden_pad_reads_the_drawing_again_only_when_shown(qtbot, make_pad, stepper):
    pad = make_pad()
    pad.show_snapshot(snapshot_of(stepper))
    draw_seven(qtbot, pad)
    before = pad.probabilities.copy()
    pad.hide()
    stepper.step_iteration()
    pad.show_snapshot(snapshot_of(stepper))
    np.testing.assert_array_equal(pad.probabilities, before)
    pad.show()
    qtbot.waitExposed(pad)
    np.testing.assert_allclose(pad.probabilities, drawing.predict(stepper.params, pad.column)[3], rtol=1e-5)


@pytest.mark.parametrize("hidden, activation", [(1, "relu"), (128, "tanh"), (20, "leaky_relu")])
def test_any_hidden_width_and_activation(qtbot, make_pad, tiny_split, hidden, activation):
    stepper = Stepper(tiny_split, TrainingConfig(hidden=hidden, activation=activation))
    pad = make_pad()
    pad.show_snapshot(snapshot_of(stepper))
    draw_seven(qtbot, pad)
    heights = pad.a1_bars.opts["height"]
    assert len(heights) == hidden
    np.testing.assert_allclose(heights, drawing.predict(stepper.params, pad.column, activation)[1], rtol=1e-5)
    assert np.isfinite(heights).all()


def test_class_names_other_than_digits(qtbot, make_pad, tiny_split):
    fashion = Split("fashion", tiny_split.X_train, tiny_split.labels_train, tiny_split.X_dev,
                    tiny_split.labels_dev, FASHION_NAMES)
    pad = make_pad()
    pad.show_snapshot(snapshot_of(Stepper(fashion, TrainingConfig())))
    ticks = pad.a2_plot.getAxis("left")._tickLevels[0]
    assert [name for _, name in ticks] == list(FASHION_NAMES)
    draw_seven(qtbot, pad)
    assert FASHION_NAMES[pad.prediction] in pad.findChild(QLabel, "drawingPrediction").text()


def test_drawing_before_the_first_network_arrives(qtbot, make_pad):
    pad = make_pad()
    with qtbot.waitSignal(pad.drawingChanged, timeout=SIGNAL_TIMEOUT_MS):
        drag(qtbot, pad, seven())
    assert pad.preview.pixels.any() and pad.probabilities is None
    assert "waiting for the network" in pad.findChild(QLabel, "drawingPrediction").text()


@pytest.mark.parametrize("size", [(430, 560), (640, 360), (900, 420)])
def test_the_canvas_stays_square_and_large_enough_to_draw_on(make_pad, size):
    pad = make_pad(*size)
    paper = pad.canvas.paper()
    assert paper.width() == paper.height() >= 160
    assert pad.canvas.geometry().intersected(pad.graphics.geometry()).isEmpty()
    assert pad.canvas.geometry().intersected(pad.info.geometry()).isEmpty()


def test_presenter_mode_enlarges_the_type_and_the_preview(make_pad):
    pad = make_pad(900, 600)
    preview = pad.preview.width()
    pad.set_presenter_mode(True)
    assert pad.preview.width() > preview
    assert pad.clear_button.font().pointSizeF() > 15
    pad.set_presenter_mode(False)
    assert pad.preview.width() == preview


def test_every_interactive_part_is_named_and_explained(make_pad):
    pad = make_pad()
    assert pad.objectName() == "drawPad"
    for widget in (pad, pad.canvas, pad.preview, pad.clear_button, pad.graphics, pad.prediction_label):
        assert isinstance(widget, QWidget)
        assert widget.accessibleName() and widget.toolTip(), widget.objectName()
