"""The network diagram, driven by real snapshots of a Stepper on the tiny split."""
from __future__ import annotations

import dataclasses
import math
import re

import numpy as np
import pytest
from PyQt6.QtCore import QPoint, QPointF, Qt
from PyQt6.QtGui import QColor, QImage
from PyQt6.QtWidgets import QApplication, QGraphicsLineItem, QGraphicsSimpleTextItem

from core import network
from core.config import TrainingConfig
from core.data import FASHION_NAMES
from core.stepper import Stepper
from visualizer.snapshot import ExampleSelection, make_snapshot
from visualizer import theme
from visualizer.views.diagram import EMPHASIS_PARTS, NetworkDiagram

SIGNAL_TIMEOUT_MS = 1000

# What a teacher expects lit after each phase: the part of the diagram that phase wrote, and the direction.
EXPECTED = {
    "Z1": ({"W1", "hidden"}, "forward →"),
    "A1": ({"hidden"}, "forward →"),
    "Z2": ({"W2", "output"}, "forward →"),
    "A2": ({"output"}, "forward →"),
    "dZ2": ({"output"}, "← backward"),
    "dW2": ({"W2"}, "← backward"),
    "db2": ({"b2"}, "← backward"),
    "dZ1": ({"hidden"}, "← backward"),
    "dW1": ({"W1"}, "← backward"),
    "db1": ({"b1"}, "← backward"),
    "update": ({"W1", "b1", "W2", "b2"}, "update"),
}


def number(text: str) -> float:
    return float(text.replace("−", "-"))


def make_stepper(split, hidden: int = 10) -> Stepper:
    return Stepper(split, TrainingConfig(hidden=hidden, alpha=0.5))


@pytest.fixture
def diagram(qtbot) -> NetworkDiagram:
    view = NetworkDiagram()
    view.set_animation_ms(0)
    qtbot.addWidget(view)
    view.resize(704, 432)
    view.show()
    qtbot.waitExposed(view)
    return view


def node_position(diagram: NetworkDiagram, item) -> QPointF:
    """Where an item's centre is on the widget (for mouse events)."""
    point = diagram.view.mapFromScene(item.sceneBoundingRect().center())
    return point


def test_widget_is_named_and_described(diagram):
    assert diagram.objectName() == "networkDiagram"
    assert diagram.accessibleName() and diagram.toolTip()
    assert diagram.view.accessibleName() and diagram.view.toolTip()


def test_before_the_first_phase_nothing_is_lit_and_the_next_equation_is_shown(diagram, tiny_split):
    diagram.show_snapshot(make_snapshot(make_stepper(tiny_split), ExampleSelection()))
    assert diagram.highlighted_parts == frozenset()
    assert diagram.direction_caption == "ready"
    assert any("Z1 = W1 · X + b1" in text for text in diagram.caption_texts())


def test_each_phase_lights_the_part_it_computed(diagram, tiny_split):
    stepper = make_stepper(tiny_split)
    for phase in network.PHASES:
        stepper.step_phase()
        diagram.show_snapshot(make_snapshot(stepper, ExampleSelection("train", 3)))
        parts, caption = EXPECTED[phase]
        assert diagram.highlighted_parts == parts, phase
        assert diagram.direction_caption == caption, phase
        assert not math.isnan(diagram.view.transform().m11())


def test_captions_carry_the_real_shapes_and_name_the_gradient_being_drawn(diagram, tiny_split):
    stepper = make_stepper(tiny_split)
    m = tiny_split.train_size
    captions = {}
    for phase in network.PHASES:
        stepper.step_phase()
        diagram.show_snapshot(make_snapshot(stepper, ExampleSelection()))
        captions[phase] = diagram.caption_texts()
    for text in ("W1 (10, 784)", "b1 (10, 1)", "W2 (10, 10)", "b2 (10, 1)", f"A1 (10, {m})", f"A2 (10, {m})",
                 f"X (784, {m})", "X · 784 inputs"):
        assert text in captions["Z1"], text
    assert "dW2 (10, 10)" in captions["dW2"] and "W2 (10, 10)" not in captions["dW2"]
    assert any("dW2" in text and "gradient" in text for text in captions["dW2"])
    assert "dW1 (10, 784)" in captions["dW1"]
    assert "db2 (10, 1)" in captions["db2"] and "db1 (10, 1)" in captions["db1"]


def test_output_labels_are_the_class_names(diagram, tiny_split):
    diagram.show_snapshot(make_snapshot(make_stepper(tiny_split), ExampleSelection()))
    assert [item.text() for item in diagram.output_name_items] == [str(digit) for digit in range(10)]
    fashion = dataclasses.replace(tiny_split, class_names=FASHION_NAMES)
    diagram.show_snapshot(make_snapshot(make_stepper(fashion), ExampleSelection()))
    assert [item.text() for item in diagram.output_name_items] == list(FASHION_NAMES)


def test_label_and_prediction_markers_sit_on_their_output_nodes(diagram, tiny_split):
    stepper = make_stepper(tiny_split)
    stepper.run(3)
    seen_labels = set()
    for index in range(12):
        snapshot = make_snapshot(stepper, ExampleSelection("train", index))
        diagram.show_snapshot(snapshot)
        label, prediction = snapshot.example.label, int(np.argmax(snapshot.example.a2))
        seen_labels.add(label)
        label_centre = diagram.label_ring.sceneBoundingRect().center()
        prediction_centre = diagram.prediction_ring.sceneBoundingRect().center()
        assert label_centre == pytest.approx(diagram.output_nodes[label].sceneBoundingRect().center(), abs=0.5)
        assert prediction_centre == pytest.approx(
            diagram.output_nodes[prediction].sceneBoundingRect().center(), abs=0.5)
        texts = [item.text() for item in diagram.scene.items()
                 if isinstance(item, QGraphicsSimpleTextItem) and item.isVisible()]
        if label == prediction:
            assert any("label = prediction" in text for text in texts)
        else:
            assert any("wrong" in text for text in texts)
    assert len(seen_labels) > 2   # the markers really moved between rows


@pytest.mark.parametrize("hidden", [1, 3, 40, 128])
def test_hidden_node_count_follows_the_hidden_width(diagram, tiny_split, hidden):
    stepper = make_stepper(tiny_split, hidden)
    stepper.step_phase()
    diagram.show_snapshot(make_snapshot(stepper, ExampleSelection()))
    assert len(diagram.hidden_nodes) == hidden
    assert f"W1 ({hidden}, 784)" in diagram.caption_texts()
    centres = [node.sceneBoundingRect().center().y() for node in diagram.hidden_nodes]
    assert centres == sorted(centres) and len(set(centres)) == hidden
    scene = diagram.scene.sceneRect()
    assert all(scene.contains(node.sceneBoundingRect()) for node in diagram.hidden_nodes)


def test_hover_shows_the_units_z1_and_a1(diagram, qtbot, tiny_split):
    stepper = make_stepper(tiny_split)
    stepper.run(2)
    snapshot = make_snapshot(stepper, ExampleSelection("train", 5))
    diagram.show_snapshot(snapshot)
    unit = int(np.argmax(snapshot.example.a1))   # an active unit, so A1 is not simply 0

    def hovered() -> bool:
        # A late resize can rebuild the scene under a cursor that has stopped: move onto the node as it is now.
        qtbot.mouseMove(diagram.view.viewport(), QPoint(1, 1))
        qtbot.mouseMove(diagram.view.viewport(), node_position(diagram, diagram.hidden_nodes[unit]))
        return diagram.hover_text.startswith(f"hidden unit {unit} ")
    qtbot.waitUntil(hovered, timeout=SIGNAL_TIMEOUT_MS)
    node = diagram.hidden_nodes[unit]
    for text in (diagram.hover_text, node.toolTip()):
        z1 = number(re.search(r"Z1 = (\S+)", text).group(1))
        a1 = number(re.search(r"A1 = (\S+)", text).group(1))
        assert z1 == pytest.approx(snapshot.example.z1[unit], rel=0.01, abs=0.001)
        assert a1 == pytest.approx(snapshot.example.a1[unit], rel=0.01, abs=0.001)


def test_clicking_a_hidden_node_emits_its_index(diagram, qtbot, tiny_split):
    diagram.show_snapshot(make_snapshot(make_stepper(tiny_split), ExampleSelection()))
    for unit in (0, 7):
        position = node_position(diagram, diagram.hidden_nodes[unit])
        with qtbot.waitSignal(diagram.neuronClicked, timeout=SIGNAL_TIMEOUT_MS) as blocker:
            qtbot.mouseClick(diagram.view.viewport(), Qt.MouseButton.LeftButton, pos=position)
        assert blocker.args == [unit]


def test_without_animation_the_state_is_final_at_once(diagram, tiny_split):
    stepper = make_stepper(tiny_split)
    stepper.step_phase()
    diagram.show_snapshot(make_snapshot(stepper, ExampleSelection()))
    assert not diagram.animating and not diagram.overlays_visible()


def test_a_phase_sends_a_pulse_that_ends_cleanly(diagram, qtbot, tiny_split):
    diagram.set_animation_ms(60)
    stepper = make_stepper(tiny_split)
    stepper.step_phase()
    diagram.show_snapshot(make_snapshot(stepper, ExampleSelection()))
    assert diagram.animating and diagram.overlays_visible()
    stepper.step_phase()   # a new snapshot mid-animation restarts it: still one animation
    diagram.show_snapshot(make_snapshot(stepper, ExampleSelection()))
    assert diagram.animating
    qtbot.waitUntil(lambda: not diagram.animating, timeout=SIGNAL_TIMEOUT_MS)
    assert not diagram.overlays_visible()


def test_while_playing_no_animation_starts(diagram, tiny_split):
    diagram.set_animation_ms(400)
    stepper = make_stepper(tiny_split)
    stepper.step_iteration()
    diagram.show_snapshot(make_snapshot(stepper, ExampleSelection(), playing=True))
    assert not diagram.animating and not diagram.overlays_visible()


def test_update_flashes_the_w2_edge_that_changed_most(diagram, tiny_split):
    diagram.set_animation_ms(400)
    stepper = make_stepper(tiny_split)
    record = stepper.step_iteration()
    diagram.show_snapshot(make_snapshot(stepper, ExampleSelection()))
    change = np.abs(record.arrays["W2"] - record.arrays["W2_before"])
    i, j = np.unravel_index(np.argmax(change), change.shape)
    edge = diagram.hidden_nodes[j].sceneBoundingRect().center().y(), \
        diagram.output_nodes[i].sceneBoundingRect().center().y()
    flashes = [item for item in diagram.scene.items()
               if isinstance(item, QGraphicsLineItem) and item.isVisible() and item.zValue() > 5]
    assert any((line.line().y1(), line.line().y2()) == pytest.approx(edge) for line in flashes)


def test_presenter_mode_enlarges_the_text(diagram, tiny_split):
    diagram.show_snapshot(make_snapshot(make_stepper(tiny_split), ExampleSelection()))
    before = diagram.output_name_items[0].font().pointSizeF()
    diagram.set_presenter_mode(True)
    after = diagram.output_name_items[0].font().pointSizeF()
    assert after > before
    diagram.set_presenter_mode(False)
    assert diagram.output_name_items[0].font().pointSizeF() == before


def test_a_hidden_units_number_too_wide_for_its_node_is_shortened_not_hidden(diagram, tiny_split):
    """On a projector the nodes' numbers are large: 20.1 becomes 20 rather than vanishing (zeros alone showed)."""
    stepper = make_stepper(tiny_split)
    for _ in range(2):
        stepper.step_phase()
    snapshot = make_snapshot(stepper, ExampleSelection())
    values = np.array([5.54, 0.5, 0.0, 9.2, 3.14, 0.8, 1.25, 2.71, 0.35, 7.04])
    snapshot = dataclasses.replace(snapshot, example=dataclasses.replace(snapshot.example, a1=values))
    diagram.set_presenter_mode(True)
    diagram.resize(1280, 560)      # the nodes' numbers are as wide as the nodes: 5.54 no longer fits
    diagram.show_snapshot(snapshot)
    radius = diagram.scene_layout.radius
    items = diagram.hidden.values
    assert items[0].boundingRect().width() > 0
    for value, item in zip(values, items):
        assert item.isVisible(), f"A1 = {value} is not written in its node"
        shown = number(item.text())
        decimals = len(item.text().partition(".")[2])
        assert abs(shown - value) <= 0.5 * 10 ** -decimals + 1e-9, (value, item.text())
        assert shown != 0 or value == 0
        assert item.boundingRect().width() <= 2 * radius - 3
    assert any(item.text() != diagram.hidden.written[j] for j, item in enumerate(items)), \
        "in this small presenter panel some number must have been shortened"


def test_no_nan_reaches_the_items(diagram, tiny_split):
    stepper = make_stepper(tiny_split)
    for _ in range(5):
        stepper.step_phase()
    snapshot = make_snapshot(stepper, ExampleSelection())
    bad = np.full(10, np.nan)
    example = dataclasses.replace(snapshot.example, z1=bad, a1=bad, z2=bad, a2=bad)
    W2 = np.array(snapshot.params["W2"])
    W2[0, 0] = np.inf
    params = {**snapshot.params, "W2": W2}
    diagram.show_snapshot(dataclasses.replace(snapshot, example=example, params=params))
    for item in diagram.scene.items():
        if isinstance(item, QGraphicsSimpleTextItem):
            assert "nan" not in item.text().lower() and "inf" not in item.text().lower()
        assert math.isfinite(item.pos().x()) and math.isfinite(item.pos().y())
        pen = getattr(item, "pen", None)
        if pen is not None:
            assert math.isfinite(pen().widthF())


def test_backward_phases_write_the_examples_gradient_beside_the_nodes(diagram, tiny_split):
    stepper = make_stepper(tiny_split)
    gradients = {}
    for phase in network.PHASES:
        record = stepper.step_phase()
        diagram.show_snapshot(make_snapshot(stepper, ExampleSelection("train", 4)))
        gradients[phase] = diagram.gradient_texts()
        if phase == "dZ2":
            expected_dZ2 = record.arrays["dZ2"][:, 4]
        if phase == "dZ1":
            expected_dZ1 = record.arrays["dZ1"][:, 4]
    assert gradients["A2"] == ([], [])
    assert [number(text) for text in gradients["dZ2"][1]] == pytest.approx(expected_dZ2, rel=0.01, abs=0.005)
    assert gradients["dZ2"][0] == []
    assert [number(text) for text in gradients["dZ1"][0]] == pytest.approx(expected_dZ1, rel=0.01, abs=0.005)


def test_an_example_outside_the_mini_batch_says_so_instead_of_showing_a_gradient(diagram, tiny_split):
    stepper = Stepper(tiny_split, TrainingConfig(hidden=10, batch_size=20))
    outside = next(index for index in range(tiny_split.train_size) if index not in stepper.batch_indices(0))
    for _ in range(5):
        stepper.step_phase()
    diagram.show_snapshot(make_snapshot(stepper, ExampleSelection("train", outside)))
    assert diagram.gradient_texts() == ([], [])
    assert any("not in the mini-batch" in text for text in diagram.caption_texts())
    assert "A1 (10, 20)" in diagram.caption_texts()


@pytest.mark.parametrize("presenter", [False, True], ids=["normal", "presenter"])
@pytest.mark.parametrize("size", [(640, 250), (704, 432), (1056, 648)], ids=lambda size: "x".join(map(str, size)))
def test_no_two_texts_overlap_and_a_wide_panel_is_filled(diagram, qtbot, tiny_split, size, presenter):
    fashion = dataclasses.replace(tiny_split, class_names=FASHION_NAMES)   # the longest class names
    stepper = make_stepper(fashion)
    for _ in range(5):
        stepper.step_phase()   # dZ2: the gradient pills and both markers are on screen
    diagram.set_presenter_mode(presenter)
    diagram.resize(*size)
    qtbot.waitUntil(lambda: diagram.view.viewport().width() == size[0], timeout=SIGNAL_TIMEOUT_MS)
    diagram.show_snapshot(make_snapshot(stepper, ExampleSelection("train", 3)))
    texts = [item for item in diagram.scene.items()
             if isinstance(item, QGraphicsSimpleTextItem) and item.isVisible() and item.text()]
    boxes = [(item.text(), item.sceneBoundingRect().adjusted(1, 1, -1, -1)) for item in texts]
    for k, (text, box) in enumerate(boxes):
        assert diagram.scene.sceneRect().contains(box), text
        for other, other_box in boxes[k + 1:]:
            assert not box.intersects(other_box), (text, other)
    # The scene takes the panel's shape unless the ten output rows would get too low for their text.
    scene = diagram.scene.sceneRect()
    panel_aspect, scene_aspect = size[0] / size[1], scene.width() / scene.height()
    assert scene_aspect == pytest.approx(panel_aspect, rel=0.1) or scene_aspect < panel_aspect


# ------------------------------------------------------------------ emphasis (set_emphasis, for guided lessons)
def highlighter_pixels(diagram: NetworkDiagram) -> np.ndarray:
    """A (height, width) mask of the canvas pixels drawn in the highlighter's colour (theme.HIGHLIGHT)."""
    image = diagram.view.viewport().grab().toImage().convertToFormat(QImage.Format.Format_RGB32)
    pixels = np.frombuffer(image.constBits().asstring(image.sizeInBytes()), np.uint8)
    pixels = pixels.reshape(image.height(), image.bytesPerLine() // 4, 4)[:, :image.width(), 2::-1]
    highlight = QColor(theme.HIGHLIGHT)
    target = np.array([highlight.red(), highlight.green(), highlight.blue()])
    return np.abs(pixels.astype(int) - target).sum(axis=2) < 40


def part_items(diagram: NetworkDiagram, part: str) -> list:
    """What a teacher would call this part on screen (the biases: their squares and their caption)."""
    return {"input": [diagram.input.picture, diagram.input.label, diagram.input.example],
            "W1": [diagram.thumbnails.bundle, *diagram.thumbnails.pictures], "hidden": diagram.hidden_nodes,
            "W2": [edge for row in diagram.edges.lines for edge in row],
            "output": [*diagram.output_nodes, *diagram.output_name_items, *diagram.outputs.probabilities],
            "b1": [*diagram.hidden.biases.squares, diagram.captions.items["W11"]],
            "b2": [*diagram.outputs.biases.squares, diagram.captions.items["W21"]]}[part]


def viewport_box(diagram: NetworkDiagram, items) -> tuple[int, int, int, int]:
    rect = items[0].sceneBoundingRect()
    for item in items[1:]:
        rect = rect.united(item.sceneBoundingRect())
    box = diagram.view.mapFromScene(rect).boundingRect()
    return box.left(), box.top(), box.right(), box.bottom()


@pytest.fixture
def forward_snapshot(tiny_split):
    """After Z1: the phase lights W1 and the hidden units in the forward colour, not in the highlighter's."""
    stepper = make_stepper(tiny_split)
    stepper.step_phase()
    return make_snapshot(stepper, ExampleSelection())


@pytest.mark.parametrize("part", sorted(EMPHASIS_PARTS))
def test_an_emphasized_part_is_outlined_in_the_highlighter_colour(diagram, forward_snapshot, part):
    diagram.show_snapshot(forward_snapshot)
    before = highlighter_pixels(diagram)
    diagram.set_emphasis(frozenset({part}))
    new = highlighter_pixels(diagram) & ~before
    assert new.sum() > 150, "no visible mark"
    rows, columns = np.nonzero(new)
    left, top, right, bottom = viewport_box(diagram, part_items(diagram, part))
    # The mark surrounds the part, close around it (W2's leaves the edges' first pixels to the hidden units).
    assert columns.min() <= left + 12 and columns.max() >= right - 12, "the mark does not go around the part"
    assert rows.min() <= top + 3 and rows.max() >= bottom - 3, "the mark does not go around the part"
    assert columns.min() >= left - 40 and columns.max() <= right + 40, "the mark strays from the part"
    assert rows.min() >= top - 40 and rows.max() <= bottom + 40, "the mark strays from the part"


def test_emphasis_persists_across_snapshots_and_rebuilds_until_replaced(diagram, tiny_split, forward_snapshot):
    diagram.set_emphasis(frozenset({"W2", "b1"}))      # before the first snapshot: shown with it
    diagram.show_snapshot(forward_snapshot)
    marked = highlighter_pixels(diagram).sum()
    assert diagram.emphasized_parts == {"W2", "b1"} and marked > 300
    stepper = make_stepper(tiny_split, hidden=20)      # another hidden width: the scene is built again
    stepper.run(2)
    stepper.step_phase()
    diagram.show_snapshot(make_snapshot(stepper, ExampleSelection("train", 3), playing=True))
    diagram.set_presenter_mode(True)
    assert diagram.emphasized_parts == {"W2", "b1"} and highlighter_pixels(diagram).sum() > 300
    diagram.set_presenter_mode(False)
    diagram.set_emphasis(frozenset())
    assert diagram.emphasized_parts == frozenset() and highlighter_pixels(diagram).sum() < 30


def test_an_unknown_part_is_refused_and_the_emphasis_kept(diagram, forward_snapshot):
    diagram.show_snapshot(forward_snapshot)
    diagram.set_emphasis(frozenset({"output"}))
    for wrong in (frozenset({"output", "W3"}), frozenset({"Hidden"}), "W1"):
        with pytest.raises(ValueError):
            diagram.set_emphasis(wrong)
    assert diagram.emphasized_parts == {"output"}


def test_no_panel_shape_makes_the_diagram_refit_itself_for_ever(qtbot, diagram, tiny_split):
    """The scene's width follows the body height (the input tile grows with it), so on some shapes the body height
    the panel wants flipped between two values, each rebuild asking for the other, until the stack ran out (a
    RecursionError at 500×290 with the sample's fonts). pytest-qt fails the test on any exception raised in the
    diagram's resizeEvent."""
    stepper = make_stepper(tiny_split)
    stepper.step_phase()
    diagram.show_snapshot(make_snapshot(stepper, ExampleSelection()))
    diagram.show()
    for width in range(440, 580, 20):
        for height in range(240, 340, 10):
            diagram.resize(width, height)
            QApplication.processEvents()        # the resize and any refit it asks for
            assert diagram.caption_texts()


def test_the_update_has_one_colour_in_the_diagram_and_in_the_equations_chips(diagram, qtbot, tiny_split):
    """It was yellow in the diagram and purple in the chips; yellow is the highlighter's (visualizer/phases.py)."""
    from visualizer.views.equation import PhaseChips

    stepper = make_stepper(tiny_split)
    stepper.step_iteration()
    diagram.show_snapshot(make_snapshot(stepper, ExampleSelection()))
    purple = QColor(theme.PURPLE).rgb()
    lit = [region for region in diagram.regions.items.values() if region.isVisible()]
    assert len(lit) == 2 and all(region.pen().color().rgb() == purple for region in lit)
    chips = PhaseChips()
    qtbot.addWidget(chips)
    chips.resize(660, 30)
    chips.set_current(3)                 # the update chip is not the current one: drawn in its own colour
    image = chips.grab().toImage().convertToFormat(QImage.Format.Format_RGB32)
    right = [image.pixel(x, y) & 0xFFFFFF for x in range(int(image.width() * 0.85), image.width())
             for y in range(image.height())]
    assert purple & 0xFFFFFF in right and QColor(theme.HIGHLIGHT).rgb() & 0xFFFFFF not in right
