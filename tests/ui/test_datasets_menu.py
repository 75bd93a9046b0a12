"""Datasets from the window (issue 14): File ▸ Datasets, Fashion-MNIST recognised from its own files, a dev-size
setting, and a small file opened with a smaller dev set instead of an error."""
from __future__ import annotations

import pytest
from PyQt6.QtCore import Qt
from PyQt6.QtGui import QAction
from PyQt6.QtWidgets import QFileDialog, QMenu, QPushButton, QSpinBox

from core import data

from .conftest import write_kaggle_csv
from .test_one_truth import TIMEOUT

FASHION_FILE = data.fashion_images(data.FASHION_FOLDER)
needs_fashion = pytest.mark.skipif(FASHION_FILE is None, reason=f"no Fashion-MNIST in {data.FASHION_FOLDER}")


def action(window, name: str) -> QAction:
    return window.findChild(QAction, name)


def test_the_mnist_sample_is_in_the_menu_and_comes_back_after_another_file(qtbot, make_window):
    window = make_window()
    assert window.snapshot.dataset_name != data.SAMPLE
    menu = window.findChild(QMenu, "datasetsMenu")
    assert action(window, "datasetMnistSample") in menu.actions()
    action(window, "datasetMnistSample").trigger()
    qtbot.waitUntil(lambda: window.snapshot.dataset_name == data.SAMPLE, timeout=TIMEOUT)
    assert window.snapshot.train_size + window.snapshot.dev_size == 5000


def test_fashion_mnist_is_disabled_with_the_reason_where_it_is_missing(qtbot, make_window, tmp_path, monkeypatch):
    monkeypatch.setattr(data, "FASHION_FOLDER", tmp_path / "nowhere")
    window = make_window()
    window.findChild(QMenu, "datasetsMenu").aboutToShow.emit()
    fashion = action(window, "datasetFashion")
    assert not fashion.isEnabled()
    assert "not on this computer" in fashion.text()
    assert "Zalando" in fashion.toolTip() and str(tmp_path / "nowhere") in fashion.toolTip()


@needs_fashion
def test_a_fashion_folder_chosen_in_the_window_is_remembered(qtbot, make_window, tmp_path, monkeypatch):
    window = make_window()
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(FASHION_FILE.parent))
    monkeypatch.setattr(data, "FASHION_FOLDER", tmp_path / "nowhere")     # only the folder chosen has it
    action(window, "datasetFashionFolder").trigger()
    qtbot.waitUntil(lambda: window.snapshot.class_names == data.FASHION_NAMES, timeout=30_000)
    assert window.settings.folder("fashion") == str(FASHION_FILE.parent)
    window.findChild(QMenu, "datasetsMenu").aboutToShow.emit()
    assert action(window, "datasetFashion").isEnabled()


@needs_fashion
def test_fashion_mnist_opened_from_its_train_images_file_gets_its_class_names(qtbot, make_window, monkeypatch):
    """Its IDX files are named as MNIST's: it is recognised by its labels (data.FASHION_LABELS_SHA256)."""
    window = make_window()
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(FASHION_FILE), ""))
    qtbot.keyClick(window, Qt.Key.Key_O, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.snapshot.dataset_name == str(FASHION_FILE), timeout=30_000)
    assert window.snapshot.class_names == data.FASHION_NAMES
    assert window.diagram.output_name_items[6].text() == "Shirt"


def test_digits_are_not_taken_for_fashion():
    sample = data.load(data.SAMPLE)
    assert not data.is_fashion(sample.labels) and sample.class_names == data.DIGIT_NAMES


def test_a_small_file_opens_with_a_smaller_dev_set_and_says_so(qtbot, make_window, tmp_path, monkeypatch):
    small = write_kaggle_csv(tmp_path / "forty.csv", rows=40)
    window = make_window()                      # --dev-size 50: more than the file has
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(small), ""))
    action(window, "openDataset").trigger()
    qtbot.waitUntil(lambda: window.snapshot.dataset_name == str(small), timeout=TIMEOUT)
    assert (window.snapshot.dev_size, window.snapshot.train_size) == (8, 32)
    assert not window.message_banner.isVisible()
    qtbot.waitUntil(lambda: "dev set is 8" in window.statusBar().currentMessage(), timeout=TIMEOUT)
    assert window.findChild(QSpinBox, "devSizeSpin").value() == 8


def test_the_dev_size_setting_splits_the_data_again(qtbot, make_window):
    window = make_window()
    spin = window.findChild(QSpinBox, "devSizeSpin")
    assert spin.value() == window.snapshot.dev_size == 50
    spin.setValue(120)
    window.findChild(QPushButton, "applyButton").click()
    assert "dev set" in window.config_panel.confirm_bar.text.text()
    window.findChild(QPushButton, "confirmApply").click()
    qtbot.waitUntil(lambda: window.snapshot.dev_size == 120 and window.snapshot.train_size == 180,
                    timeout=TIMEOUT)
    assert window.snapshot.iteration == 0
