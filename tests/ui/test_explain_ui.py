"""Explain any number in the real window: window.explain(name, index) and a click on a heat map's cell, a bar or a
diagram node open explainPanel with the arithmetic; every explained value is the array's own element, and the
arithmetic shown reproduces it within the dtype's rounding, for every array of every phase."""
from __future__ import annotations

import numpy as np
import pytest
from PyQt6.QtCore import QPointF, Qt
from PyQt6.QtWidgets import QDockWidget, QLabel, QWidget

from core import network
from visualizer.questions import arrays_of

TIMEOUT = 10_000


def explained(qtbot, window, name: str, index: tuple[int, ...]):
    """window.explain(name, index), then the explanation once the job has worked it out."""
    window.explain(name, index)
    qtbot.waitUntil(lambda: not window.explainer.working and window.explainer.explanation is not None
                    and window.explainer.explanation.name == name
                    and window.explainer.explanation.index == tuple(index), timeout=TIMEOUT)
    return window.explainer.explanation


def indices(shape: tuple[int, ...], rng: np.random.Generator) -> list[tuple[int, ...]]:
    """The first entry, the last, and one drawn at random."""
    return [tuple(0 for _ in shape), tuple(n - 1 for n in shape), tuple(int(rng.integers(n)) for n in shape)]


def step_to(qtbot, window, phase: str) -> None:
    qtbot.keyClick(window, Qt.Key.Key_Right)
    qtbot.waitUntil(lambda: window.findChild(QLabel, "phaseLabel").text() == phase, timeout=TIMEOUT)


@pytest.mark.parametrize("optimizer", ["gd", "adam"])
def test_every_array_of_every_phase_is_explained_with_its_own_value(qtbot, make_window, optimizer):
    window = make_window("--optimizer", optimizer, "--hidden", "6")
    if optimizer == "adam":       # an update with a memory to explain: the second iteration's
        qtbot.keyClick(window, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)
        qtbot.waitUntil(lambda: window.snapshot.iteration == 1, timeout=TIMEOUT)
    rng = np.random.default_rng(0)
    panel = window.findChild(QWidget, "explainPanel")
    for phase in network.PHASES:
        step_to(qtbot, window, phase)
        arrays = arrays_of(window.snapshot)
        for name in window.snapshot.record.arrays:
            for index in indices(arrays[name].shape, rng):
                explanation = explained(qtbot, window, name, index)
                value = arrays[name][index]
                assert explanation.result == value and explanation.result.dtype == value.dtype, (name, index)
                assert abs(explanation.computed - float(value)) <= explanation.tolerance, (name, index)
                assert window.findChild(QLabel, "explainTitle").text() == \
                    f"{explanation.symbol} = {explanation.result_text}"
        assert panel.isVisible()


def test_z1_shows_its_contribution_map_and_dw1_its_largest_examples(qtbot, window):
    step_to(qtbot, window, "Z1")
    explanation = explained(qtbot, window, "Z1", (2, 5))
    maps = window.findChild(QWidget, "explainMaps")
    assert maps.isVisible()
    weights, inputs, contributions = (image.image for image in window.explainer.panel.images)
    np.testing.assert_array_equal(contributions, explanation.products[0].contribution_map())
    np.testing.assert_allclose(weights * inputs, contributions)
    snapshot = window.snapshot
    np.testing.assert_array_equal(weights.ravel(), snapshot.arrays["W1"][2].astype(np.float64))
    for phase in network.PHASES[1:network.PHASES.index("dW1") + 1]:
        step_to(qtbot, window, phase)
    explanation = explained(qtbot, window, "dW1", (1, 400))
    terms = window.findChild(QLabel, "explainTerms").text()
    assert not maps.isVisible() and "largest of the" in terms and "example" in terms
    assert explanation.products[0].largest[0].label.split(" (")[0] in terms


def test_softmax_lists_its_ten_terms(qtbot, window):
    for phase in network.PHASES[:4]:
        step_to(qtbot, window, phase)
    explained(qtbot, window, "A2", (3, 0))
    terms = window.findChild(QLabel, "explainTerms").text().splitlines()
    assert len([line for line in terms if line.startswith("  ")]) == network.OUTPUTS


def test_a_bad_index_is_said_in_the_panel(qtbot, window):
    step_to(qtbot, window, "Z1")
    window.explain("Z1", (99, 0))
    qtbot.waitUntil(lambda: window.explainer.error is not None, timeout=TIMEOUT)
    assert "outside Z1" in window.findChild(QLabel, "explainStatus").text()


def click_scene(qtbot, view, scene_point: QPointF) -> None:
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=view.mapFromScene(scene_point))


def test_a_click_on_a_heat_map_cell_explains_that_entry(qtbot, window):
    step_to(qtbot, window, "Z1")
    window.findChild(QDockWidget, "matricesDock").raise_()
    panel = next(p for p in window.matrices.visible_panels() if p.token == "Z1")
    qtbot.waitUntil(lambda: panel.view.isVisible() and panel.view.width() > 20, timeout=TIMEOUT)
    click_scene(qtbot, panel.view, panel.image.mapToScene(QPointF(3.5, 1.5)))      # column 3, row 1
    qtbot.waitUntil(lambda: window.explainer.explanation is not None and not window.explainer.working,
                    timeout=TIMEOUT)
    assert window.explainer.explanation.symbol == "Z1[1, 3]"


def test_a_click_on_an_output_node_explains_its_probability(qtbot, window):
    for phase in network.PHASES[:4]:
        step_to(qtbot, window, phase)
    node = window.diagram.output_nodes[7]
    click_scene(qtbot, window.diagram.view, node.sceneBoundingRect().center())
    qtbot.waitUntil(lambda: window.explainer.explanation is not None and not window.explainer.working,
                    timeout=TIMEOUT)
    explanation = window.explainer.explanation
    column = window.snapshot.example.column
    assert explanation.name == "A2" and explanation.index == (7, column)
    assert explanation.result == window.snapshot.example.a2[7]


def test_a_click_on_a_bar_explains_the_examples_value(qtbot, window):
    step_to(qtbot, window, "Z1")
    plot = window.values.z1_plot
    box = plot.getViewBox()
    qtbot.waitUntil(lambda: box.sceneBoundingRect().width() > 20, timeout=TIMEOUT)
    value = float(window.snapshot.example.z1[4])
    click_scene(qtbot, window.values.graphics, box.mapViewToScene(QPointF(4, value / 2)))
    qtbot.waitUntil(lambda: window.explainer.explanation is not None and not window.explainer.working,
                    timeout=TIMEOUT)
    explanation = window.explainer.explanation
    assert explanation.name == "Z1" and explanation.index[0] == 4
    assert explanation.result_text == window.explainer.panel.title.text().split(" = ")[-1]
