"""The five panels: input example, values, matrices, equation, curves — driven by real snapshots of a Stepper."""
from __future__ import annotations

import re

import numpy as np
import pyqtgraph as pg
import pytest
from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QLabel

from core import network
from core.config import TrainingConfig
from core.data import FASHION_NAMES, Split
from core.stepper import Stepper
from visualizer.snapshot import ExampleSelection, make_snapshot
from visualizer.views.curves import CurvesView
from visualizer.views.equation import EquationView
from visualizer.views.input_view import InputView
from visualizer.views.matrices import MatricesView, tile_rows
from visualizer.views.values import ValuesView

VIEWS = (InputView, ValuesView, MatricesView, EquationView, CurvesView)
SIGNAL_TIMEOUT_MS = 1000


def plain(text: str) -> str:
    """Label text as a reader sees it (the views use non-breaking spaces to keep shapes on one line)."""
    return text.replace("\u00a0", " ")


def without_dev(split: Split) -> Split:
    return Split(split.name, split.X_train, split.labels_train, np.zeros((784, 0), np.float32),
                 np.zeros(0, np.int64), split.class_names)


def phase_snapshots(stepper: Stepper, selection: ExampleSelection = ExampleSelection("train", 3)):
    """A snapshot before anything is computed, then one after each of the eleven phases."""
    yield make_snapshot(stepper, selection)
    for _ in network.PHASES:
        stepper.step_phase()
        yield make_snapshot(stepper, selection)


@pytest.fixture
def stepper(tiny_split) -> Stepper:
    return Stepper(tiny_split, TrainingConfig(hidden=10, alpha=0.5))


@pytest.fixture
def make_view(show_widget):
    """Build, size and show a view (closed and deleted through Qt when the test ends)."""
    return lambda view_class: show_widget(view_class(), 430, 560)


# ------------------------------------------------------------------ every view

@pytest.mark.parametrize("view_class", VIEWS, ids=lambda cls: cls.__name__)
@pytest.mark.parametrize("hidden, dev, names", [(10, True, None), (1, False, FASHION_NAMES), (128, True, None)],
                         ids=["H10", "H1-no-dev-fashion", "H128"])
def test_every_view_draws_every_phase_and_the_empty_start(qtbot, make_view, tiny_split, view_class, hidden, dev, names):
    split = tiny_split if dev else without_dev(tiny_split)
    if names:
        split = Split(split.name, split.X_train, split.labels_train, split.X_dev, split.labels_dev, names)
    view = make_view(view_class)
    stepper = Stepper(split, TrainingConfig(hidden=hidden, alpha=0.5))
    expected_name = view_class.__name__[0].lower() + view_class.__name__[1:]
    assert view.objectName() == expected_name
    assert view.accessibleName() and view.toolTip()
    phases = []
    for snapshot in phase_snapshots(stepper):
        view.show_snapshot(snapshot)
        phases.append(snapshot.phase)
        assert not view.grab().isNull()     # painting the new state raises nothing
    assert phases == [None, *network.PHASES]


# ------------------------------------------------------------------ matrices

EXPECTED_TITLES = {
    "Z1": ["W1 (10, 784)", "X (784, 200)", "b1 (10, 1)", "Z1 (10, 200)"],
    "A1": ["Z1 (10, 200)", "A1 (10, 200)"],
    "Z2": ["W2 (10, 10)", "A1 (10, 200)", "b2 (10, 1)", "Z2 (10, 200)"],
    "A2": ["Z2 (10, 200)", "A2 (10, 200)"],
    "dZ2": ["A2 (10, 200)", "Y (10, 200)", "dZ2 (10, 200)"],
    "dW2": ["dZ2 (10, 200)", "A1ᵀ (200, 10)", "dW2 (10, 10)"],
    "db2": ["dZ2 (10, 200)", "db2 (10, 1)"],
    "dZ1": ["W2ᵀ (10, 10)", "dZ2 (10, 200)", "Z1 (10, 200)", "dZ1 (10, 200)"],
    "dW1": ["dZ1 (10, 200)", "Xᵀ (200, 784)", "dW1 (10, 784)"],
    "db1": ["dZ1 (10, 200)", "db1 (10, 1)"],
    "update": ["W1 before (10, 784)", "dW1 (10, 784)", "W1 after (10, 784)", "b1 (10, 1)",
               "W2 before (10, 10)", "dW2 (10, 10)", "W2 after (10, 10)", "b2 (10, 1)"],
}


def test_matrices_show_each_phase_like_its_equation_with_real_shapes(qtbot, make_view, stepper):
    view = make_view(MatricesView)
    for snapshot in phase_snapshots(stepper):
        view.show_snapshot(snapshot)
        if snapshot.record is None:
            assert not view.placeholder.isHidden()
            assert "Press → to compute the first phase" in view.placeholder.text()
            assert view.visible_panels() == []
            continue
        assert view.placeholder.isHidden()
        titles = [plain(panel.title.text()) for panel in view.visible_panels()]
        assert titles == EXPECTED_TITLES[snapshot.phase], snapshot.phase
        assert len(titles) <= 10
        operators = [label.text() for row in view.operators for label in row if not label.isHidden()]
        assert "→" in " ".join(operators)
        for panel in view.visible_panels():
            # At most 64 of the 200 examples are drawn, and the title says so.
            assert panel.image.image.size <= 784 * 64
            if "(784, 200)" in plain(panel.title.text()):
                assert "first 64 columns" in plain(panel.description)
                assert panel.image.image.shape == (784, 64)
            if "(200, 784)" in plain(panel.title.text()):
                assert "first 64 rows" in plain(panel.description)
                assert panel.image.image.shape == (64, 784)


def test_update_shows_the_weights_before_and_after_the_step(qtbot, make_view, stepper):
    view = make_view(MatricesView)
    stepper.run(2)
    for _ in network.PHASES:
        record = stepper.step_phase()
    assert record.phase == "update"
    view.show_snapshot(make_snapshot(stepper, ExampleSelection()))
    panels = {plain(panel.title.text()): panel for panel in view.visible_panels()}
    before, after = panels["W1 before (10, 784)"].image.image, panels["W1 after (10, 784)"].image.image
    np.testing.assert_allclose(before, tile_rows(record.arrays["W1_before"])[0])
    np.testing.assert_allclose(after, tile_rows(stepper.params["W1"])[0])
    assert not np.allclose(before, after)
    # With plain gradient descent the step is −α·dW1, drawn between them.
    np.testing.assert_allclose(after - before, -0.5 * tile_rows(record.arrays["dW1"])[0], atol=1e-6)
    assert plain(panels["b1 (10, 1)"].description) == "b1 (10, 1) — before | after"
    biases = panels["b1 (10, 1)"].image.image
    np.testing.assert_allclose(biases[:, 0], record.arrays["b1_before"][:, 0])
    np.testing.assert_allclose(biases[:, 1], stepper.params["b1"][:, 0])


# ------------------------------------------------------------------ equation

def test_equation_shows_the_phase_its_live_shapes_and_meaning(qtbot, make_view, stepper):
    view = make_view(EquationView)
    equation = view.findChild(QLabel, "equationLabel")
    shapes = view.findChild(QLabel, "shapesLabel")
    meaning = view.findChild(QLabel, "meaningLabel")
    for snapshot in phase_snapshots(stepper):
        view.show_snapshot(snapshot)
        if snapshot.record is None:
            assert "Z1 = W1 · X + b1" in view.next_label.text()
            continue
        assert equation.text() == snapshot.record.equation
        assert meaning.text() == network.MEANINGS[snapshot.phase]
        assert "200" in plain(shapes.text()) or snapshot.phase == "update"
        position = f"phase {network.PHASES.index(snapshot.phase) + 1} of 11"
        assert position in view.position_label.text()
        assert view.chips.current == network.PHASES.index(snapshot.phase)
        if snapshot.phase == "dW1":
            assert equation.text() == "dW1 = 1/m · dZ1 · Xᵀ"
            assert plain(shapes.text()) == "(10, 200)·(200, 784) → (10, 784)"
            assert "backward" in view.position_label.text()
            assert view.next_label.text() == "next: db1 = 1/m · Σⱼ dZ1"
        # The one iteration number (docs/TESTING.md): the updates applied so far, as in the status bar.
        assert view.position_label.text().startswith(f"Iteration {snapshot.iteration} · ")
    # While playing (this panel then follows once a second) it names no iteration that would trail the status bar.
    playing = make_snapshot(stepper, ExampleSelection(), playing=True)
    view.show_snapshot(playing)
    assert view.position_label.text().startswith("Playing · phase 11 of 11 · update")
    assert not any(character.isdigit() for character in view.position_label.text().split("·")[0])


# ------------------------------------------------------------------ input

def test_input_view_asks_for_next_previous_random_index_and_subset(qtbot, make_view, stepper):
    view = make_view(InputView)
    with qtbot.assertNotEmitted(view.exampleRequested):
        view.show_snapshot(make_snapshot(stepper, ExampleSelection("train", 0)))
    assert view.index_box.maximum() == 199
    assert view.subset_box.model().item(1).isEnabled()

    with qtbot.waitSignal(view.exampleRequested, timeout=SIGNAL_TIMEOUT_MS) as blocker:
        view.next_button.click()
    assert blocker.args == ["train", 1]
    with qtbot.waitSignal(view.exampleRequested, timeout=SIGNAL_TIMEOUT_MS) as blocker:
        view.previous_button.click()
    assert blocker.args == ["train", 0]
    with qtbot.waitSignal(view.exampleRequested, timeout=SIGNAL_TIMEOUT_MS) as blocker:
        view.previous_button.click()     # wraps around to the last example
    assert blocker.args == ["train", 199]
    with qtbot.waitSignal(view.exampleRequested, timeout=SIGNAL_TIMEOUT_MS) as blocker:
        view.next_button.click()         # and back to the first
    assert blocker.args == ["train", 0]

    drawn = set()
    for _ in range(5):
        with qtbot.waitSignal(view.exampleRequested, timeout=SIGNAL_TIMEOUT_MS) as blocker:
            view.random_button.click()
        subset, index = blocker.args
        assert subset == "train" and 0 <= index < 200
        drawn.add(index)
    assert len(drawn) > 1

    with qtbot.waitSignal(view.exampleRequested, timeout=SIGNAL_TIMEOUT_MS) as blocker:
        view.index_box.setValue(42)
    assert blocker.args == ["train", 42]
    with qtbot.waitSignal(view.exampleRequested, timeout=SIGNAL_TIMEOUT_MS) as blocker:
        view.subset_box.setCurrentIndex(1)
    assert blocker.args == ["dev", 42]
    with qtbot.waitSignal(view.exampleRequested, timeout=SIGNAL_TIMEOUT_MS) as blocker:
        view.next_button.click()
    assert blocker.args == ["dev", 43]


def test_random_never_repeats_the_example_on_screen(qtbot, make_view, stepper):
    view = make_view(InputView)
    for index in (0, 5, 199):
        view.show_snapshot(make_snapshot(stepper, ExampleSelection("train", index)))
        for _ in range(10):
            with qtbot.waitSignal(view.exampleRequested, timeout=SIGNAL_TIMEOUT_MS) as blocker:
                view.random_button.click()
            assert blocker.args[1] != index and 0 <= blocker.args[1] < 200
            view.show_snapshot(make_snapshot(stepper, ExampleSelection("train", index)))


def test_input_view_keys_step_through_examples(qtbot, make_view, stepper):
    view = make_view(InputView)
    view.activateWindow()
    qtbot.waitUntil(view.isActiveWindow, timeout=SIGNAL_TIMEOUT_MS)
    view.show_snapshot(make_snapshot(stepper, ExampleSelection("train", 10)))
    with qtbot.waitSignal(view.exampleRequested, timeout=SIGNAL_TIMEOUT_MS) as blocker:
        qtbot.keyClick(view, Qt.Key.Key_BracketRight)
    assert blocker.args == ["train", 11]
    with qtbot.waitSignal(view.exampleRequested, timeout=SIGNAL_TIMEOUT_MS) as blocker:
        qtbot.keyClick(view, Qt.Key.Key_BracketLeft)
    assert blocker.args == ["train", 10]


def test_input_view_disables_dev_without_a_dev_set(qtbot, make_view, tiny_split):
    view = make_view(InputView)
    stepper = Stepper(without_dev(tiny_split), TrainingConfig())
    view.show_snapshot(make_snapshot(stepper, ExampleSelection("train", 7)))
    assert not view.subset_box.model().item(1).isEnabled()
    assert view.subset_box.currentText() == "train" and view.index_box.value() == 7


def test_input_view_draws_the_digit_upright_and_its_column(qtbot, make_view, stepper):
    view = make_view(InputView)
    snapshot = make_snapshot(stepper, ExampleSelection("train", 3))
    view.show_snapshot(snapshot)
    np.testing.assert_allclose(view.image.image, snapshot.example.pixels.reshape(28, 28))
    np.testing.assert_allclose(view.column_values, snapshot.example.pixels.reshape(784, 1))
    assert view.column.boundingRect().width() * view.column.transform().m11() == pytest.approx(1)
    assert "x = X[:, j]" in view.caption.text() and "(784, 1)" in view.caption.text()
    assert "j = 3" in view.caption.text()
    assert snapshot.class_names[snapshot.example.label] in view.verdict.text()


# ------------------------------------------------------------------ values

def test_values_compare_prediction_and_truth_in_the_backward_phases(qtbot, make_view, stepper):
    """From dZ2 to db1 (the backward pass carries the error back), each row named by its class."""
    view = make_view(ValuesView)
    seen_dz2 = False
    backward = ("dZ2", "dW2", "db2", "dZ1", "dW1", "db1")
    for snapshot in phase_snapshots(stepper):
        view.show_snapshot(snapshot)
        assert view.comparison_shown == (snapshot.phase in backward)
        assert view.comparison_bars["dZ2"].isVisible() == (snapshot.phase in backward)
        computed = 1.0 if snapshot.phase is not None else 0.0     # before the first phase: nothing yet
        np.testing.assert_allclose(view.a2_bars.opts["width"], computed * snapshot.example.a2)
        np.testing.assert_allclose(view.z1_bars.opts["height"], computed * snapshot.example.z1)
        if snapshot.phase not in backward:
            continue
        names = [text for _, text in view.dz2_plot.getAxis("left")._tickLevels[0]]
        assert names == list(snapshot.class_names)
        seen_dz2 = True
        example = snapshot.example
        truth = np.eye(10)[example.label]
        shown = {name: np.asarray(bars.opts["width"]) for name, bars in view.comparison_bars.items()}
        np.testing.assert_allclose(shown["Y"], truth)
        np.testing.assert_allclose(shown["A2"], example.a2, atol=1e-5)
        np.testing.assert_allclose(shown["dZ2"], example.a2 - truth, atol=1e-5)
        np.testing.assert_allclose(shown["dZ2"], snapshot.arrays["dZ2"][:, example.column])
    assert seen_dz2


def test_values_heat_map_shows_the_first_64_examples_of_a1(qtbot, make_view, stepper):
    view = make_view(ValuesView)
    snapshots = phase_snapshots(stepper)
    for snapshot in snapshots:
        view.show_snapshot(snapshot)
        if snapshot.phase == "A1":
            break
    A1 = snapshot.record.arrays["A1"]
    np.testing.assert_allclose(view.heat_image.image, A1[:, :64])
    assert view.heat_title == "A1[:, :64] of (10, 200)"
    for snapshot in snapshots:       # later phases that do not carry A1 keep the last one
        view.show_snapshot(snapshot)
    assert view.heat_image.image.shape == (10, 64)


# ------------------------------------------------------------------ curves

def legend(view: CurvesView) -> list[str]:
    return re.sub("<[^>]+>", "", view.legend_text).replace("&nbsp;", " ").split()


def test_curves_have_one_point_per_iteration_and_a_marker_at_the_current_one(qtbot, make_view, stepper, tiny_split):
    view = make_view(CurvesView)
    stepper.run(5)
    snapshot = make_snapshot(stepper, ExampleSelection())
    view.show_snapshot(snapshot)
    x, loss = view.loss_curve.getData()
    assert len(x) == len(loss) == 5
    np.testing.assert_allclose(loss, snapshot.curves.loss)
    assert len(view.train_curve.getData()[0]) == 5 and len(view.dev_curve.getData()[0]) == 5
    assert view.dev_curve.isVisible()
    assert legend(view) == ["━━", "train", "╍╍", "dev"]      # the title is the legend, outside the data
    assert all(marker.value() == 5 for marker in view.markers)
    assert f"loss {snapshot.loss:.3f}" in plain(view.readout.text())

    no_dev = Stepper(without_dev(tiny_split), TrainingConfig())
    no_dev.run(3)
    view.show_snapshot(make_snapshot(no_dev, ExampleSelection()))
    assert not view.dev_curve.isVisible()
    assert legend(view) == ["━━", "train"]
    dev_x, _ = view.dev_curve.getData()     # the NaNs of a missing dev set never reach pyqtgraph
    assert dev_x is None or len(dev_x) == 0
    assert all(marker.value() == 3 for marker in view.markers)
    assert "dev" not in view.readout.text()


def test_a_step_shows_the_whole_run_again_after_the_mouse_zoomed_the_curves(qtbot, make_view, stepper):
    view = make_view(CurvesView)
    stepper.run(5)
    view.show_snapshot(make_snapshot(stepper, ExampleSelection()))
    whole = [plot.viewRange() for plot in (view.loss_plot, view.accuracy_plot)]
    for plot in (view.loss_plot, view.accuracy_plot):
        plot.getViewBox().scaleBy((0.3, 0.3))       # what the wheel does
    assert [plot.viewRange() for plot in (view.loss_plot, view.accuracy_plot)] != whole
    view.show_snapshot(make_snapshot(stepper, ExampleSelection()))
    for plot, (x_range, y_range) in zip((view.loss_plot, view.accuracy_plot), whole):
        np.testing.assert_allclose(plot.viewRange()[0], x_range)
        np.testing.assert_allclose(plot.viewRange()[1], y_range)


# ------------------------------------------------------------------ presenter mode

@pytest.mark.parametrize("view_class", VIEWS, ids=lambda cls: cls.__name__)
def test_presenter_mode_enlarges_the_type(qtbot, make_view, stepper, view_class):
    view = make_view(view_class)
    stepper.step_phase()
    view.show_snapshot(make_snapshot(stepper, ExampleSelection()))

    def largest_label() -> float:
        """The largest type on the view: its labels and the tick numbers of its plots."""
        sizes = [label.font().pointSizeF() for label in view.findChildren(QLabel)]
        for graphics in view.findChildren(pg.GraphicsView):
            sizes += [item.style["tickFont"].pointSizeF() for item in graphics.scene().items()
                      if isinstance(item, pg.AxisItem) and item.style["tickFont"] is not None]
        return max(sizes)

    normal = largest_label()
    view.set_presenter_mode(True)
    assert largest_label() >= 1.8 * normal
    view.set_presenter_mode(False)
    assert largest_label() == normal


def test_presenter_mode_gives_the_next_equations_line_to_the_diagram(qtbot, make_view, stepper):
    from visualizer.views.equation import EquationView

    view = make_view(EquationView)
    view.show_snapshot(make_snapshot(stepper, ExampleSelection()))
    view.set_presenter_mode(True)
    assert view.next_label.isHidden()
    with_next = view.next_label.font()
    view.set_presenter_mode(False)
    assert not view.next_label.isHidden() and view.next_label.font() != with_next


def test_a_short_values_panel_gives_the_bars_the_height_of_what_it_leaves_out(qtbot):
    """Docked in a small window the panel drops the batch heat map and the Z1 / A1 axis captions (the titles say
    what the bars are); the bars then get a readable height. Tall again, everything comes back."""
    view = ValuesView()
    qtbot.addWidget(view)
    view.resize(400, 600)
    view.show()
    qtbot.waitExposed(view)
    assert view.heat_plot.isVisible() and view.z1_plot.getAxis("bottom").label.isVisible()
    view.resize(400, 230)
    qtbot.waitUntil(lambda: not view.heat_plot.isVisible())
    qtbot.waitUntil(lambda: view.z1_plot.getViewBox().height() >= 25)      # 9 px with the captions
    assert not view.z1_plot.getAxis("bottom").label.isVisible()
    assert view.a2_plot.getViewBox().height() >= 80                        # ten classes still fit
    view.resize(400, 600)
    qtbot.waitUntil(view.heat_plot.isVisible)
    assert view.z1_plot.getAxis("bottom").label.isVisible() and view.a1_plot.getAxis("bottom").label.isVisible()
