"""The evaluation panel in the real window: the confusion matrix of the dev set and the gallery of mistakes."""
from __future__ import annotations

import numpy as np
from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QComboBox, QLabel, QListWidget, QSpinBox

from core import network
from visualizer.snapshot import MISTAKES_SHOWN
from visualizer.views.evaluation import EvaluationPanel

TIMEOUT = 10_000


def label(window, name: str) -> str:
    return window.findChild(QLabel, name).text()


def open_panel(qtbot, window) -> EvaluationPanel:
    panel = window.findChild(EvaluationPanel, "evaluationPanel")
    assert panel is not None
    window.evaluation_dock.raise_()
    qtbot.waitUntil(lambda: on_screen(panel), timeout=TIMEOUT)
    return panel


def on_screen(widget) -> bool:
    """Visible and not behind another tab (a dock behind a tab still reports isVisible())."""
    return widget.isVisible() and not widget.visibleRegion().isEmpty()


def train(qtbot, window, iterations: int) -> None:
    window.bridge.play(iterations)
    qtbot.waitUntil(lambda: window.snapshot.iteration == iterations and not window.snapshot.playing
                    and window.snapshot.evaluation is not None and window.snapshot.evaluation.iteration == iterations,
                    timeout=TIMEOUT)


def dev_predictions(window) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Labels, predictions and probabilities of the dev set under the parameters on screen, computed here."""
    split = window.snapshot.split
    A2 = network.forward(window.snapshot.params, split.X_dev, window.snapshot.config.activation)[3]
    return split.labels_dev, A2.argmax(axis=0), A2


def test_the_panel_is_a_tab_behind_the_curves_and_evaluates_only_when_shown(qtbot, window):
    curves_dock = window.findChild(type(window.evaluation_dock), "curvesDock")
    assert window.evaluation_dock in window.tabifiedDockWidgets(curves_dock)
    assert not on_screen(window.evaluation) and on_screen(window.curves)
    window.bridge.select_example("train", 3)
    qtbot.waitUntil(lambda: window.snapshot.example.index == 3, timeout=TIMEOUT)
    assert window.snapshot.evaluation is None
    open_panel(qtbot, window)
    qtbot.waitUntil(lambda: window.snapshot.evaluation is not None, timeout=TIMEOUT)
    assert not on_screen(window.curves)


def test_the_confusion_matrix_counts_the_dev_set_and_its_diagonal_is_the_dev_accuracy(qtbot, window):
    panel = open_panel(qtbot, window)
    train(qtbot, window, 6)
    evaluation = window.snapshot.evaluation
    confusion = evaluation.confusion
    assert confusion.shape == (10, 10)
    assert confusion.sum() == window.snapshot.dev_size == 50
    labels, predictions, _ = dev_predictions(window)
    for true, predicted in ((0, 0), (3, 5), (labels[0], predictions[0])):
        assert confusion[true, predicted] == np.sum((labels == true) & (predictions == predicted))
    accuracy = np.trace(confusion) / confusion.sum()
    assert accuracy == evaluation.accuracy == np.mean(labels == predictions)
    assert f"Dev accuracy {accuracy:.1%}" in label(window, "evaluationTitle")
    assert "iteration 6" in label(window, "evaluationTitle")
    # The status bar's dev accuracy is measured in the forward pass of the next iteration, with these parameters.
    qtbot.keyClick(window, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: window.snapshot.iteration == 7, timeout=TIMEOUT)
    assert f"dev {accuracy:.1%}" in label(window, "accuracyLabel")
    # Every count is written in its cell.
    qtbot.waitUntil(lambda: window.snapshot.evaluation.iteration == 7, timeout=TIMEOUT)
    shown = window.snapshot.evaluation.confusion
    cells = [text.toPlainText() for text in panel._counts]
    assert cells[0] == str(shown[0, 0]) and cells[10 * 3 + 5] == (str(shown[3, 5]) if shown[3, 5] else "")


def test_the_gallery_shows_only_mistakes_most_confident_first_with_their_labels(qtbot, window):
    panel = open_panel(qtbot, window)
    train(qtbot, window, 3)
    labels, predictions, A2 = dev_predictions(window)
    wrong = np.flatnonzero(labels != predictions)
    assert wrong.size > 0
    gallery = window.findChild(QListWidget, "mistakeGallery")
    tiles = [gallery.item(row) for row in range(gallery.count()) if not gallery.item(row).isHidden()]
    assert len(tiles) == min(wrong.size, MISTAKES_SHOWN)
    confidences = []
    for tile in tiles:
        index = tile.data(Qt.ItemDataRole.UserRole)
        assert index in wrong
        assert tile.text().split("\n")[0] == f"{labels[index]} → {predictions[index]}"
        confidences.append(A2[predictions[index], index])
    assert confidences == sorted(confidences, reverse=True)
    assert f"{wrong.size} mistakes" in label(window, "mistakesCaption")
    assert panel.stack.currentWidget() is panel.splitter


def test_clicking_a_mistake_makes_it_the_example_shown(qtbot, window):
    open_panel(qtbot, window)
    train(qtbot, window, 3)
    gallery = window.findChild(QListWidget, "mistakeGallery")
    tile = gallery.item(1)
    index = tile.data(Qt.ItemDataRole.UserRole)
    assert window.snapshot.example.subset == "train"
    gallery.scrollToItem(tile)
    qtbot.mouseClick(gallery.viewport(), Qt.MouseButton.LeftButton, pos=gallery.visualItemRect(tile).center())
    qtbot.waitUntil(lambda: (window.snapshot.example.subset, window.snapshot.example.index) == ("dev", index),
                    timeout=TIMEOUT)
    assert window.findChild(QComboBox, "subsetBox").currentText() == "dev"
    assert window.findChild(QSpinBox, "indexBox").value() == index
    labels, predictions, _ = dev_predictions(window)
    verdict = label(window, "inputVerdict")
    assert f"label <b>{labels[index]}</b>" in verdict and f"predicted <b>{predictions[index]}</b>" in verdict
    assert gallery.selectedItems() == [tile]
    # Another example shown: no tile stays marked as if it were the one on screen.
    window.bridge.select_example("train", 4)
    qtbot.waitUntil(lambda: window.snapshot.example.subset == "train", timeout=TIMEOUT)
    assert gallery.selectedItems() == []


def test_without_a_dev_set_the_panel_says_so(qtbot, make_window):
    window = make_window("--dev-size", "0")
    panel = open_panel(qtbot, window)
    qtbot.keyClick(window, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: window.snapshot.iteration == 1, timeout=TIMEOUT)
    assert window.snapshot.evaluation is None
    assert panel.stack.currentWidget() is panel.message and panel.message.isVisible()
    assert "no dev set" in label(window, "evaluationMessage").lower()
    assert "No dev set" in label(window, "evaluationTitle")


def test_class_names_other_than_digits_label_the_axes_and_the_tiles(qtbot, tiny_split):
    from dataclasses import replace

    from core.config import TrainingConfig
    from core.data import FASHION_NAMES
    from core.stepper import Stepper
    from visualizer.snapshot import ExampleSelection, evaluate, make_snapshot

    stepper = Stepper(replace(tiny_split, class_names=FASHION_NAMES), TrainingConfig())
    stepper.run(2)
    evaluation = evaluate(stepper)
    panel = EvaluationPanel()
    qtbot.addWidget(panel)
    panel.show_snapshot(make_snapshot(stepper, ExampleSelection(), evaluation=evaluation))
    # A panel out of sight (a tab behind another) draws the evaluation once it is shown, not before.
    assert panel._shown is None and panel._class_names == ()
    panel.show()
    left = [text for _, text in panel.plot.getAxis("left")._tickLevels[0]]
    assert left[0] == "0 T-shirt/top" and left[9] == "9 Ankle boot"
    # Long names are numbered under the columns, so ten of them fit under a narrow matrix.
    assert [text for _, text in panel.plot.getAxis("bottom")._tickLevels[0]] == [str(k) for k in range(10)]
    first = panel.gallery.item(0)
    true, predicted = evaluation.mistake_labels[0], evaluation.mistake_predictions[0]
    assert " ".join(first.text().split()).startswith(f"{FASHION_NAMES[true]} → {FASHION_NAMES[predicted]} (")
