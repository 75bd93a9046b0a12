"""What the window remembers: settings between runs (in the private INI file of tests/ui/conftest.py) and
sessions saved and reopened from the File menu."""
from __future__ import annotations

from pathlib import Path

import pytest
from PyQt6.QtGui import QAction
from PyQt6.QtWidgets import QFileDialog, QLabel

from visualizer import create_main_window
from visualizer.settings import Settings
from visualizer.window.files import start_folder

TIMEOUT = 10_000


def trigger(window, name: str) -> None:
    window.findChild(QAction, name).trigger()


def test_speed_animation_and_dataset_come_back_in_the_next_run(qtbot, make_window, small_csv):
    first = make_window()
    first.speed_control.setCurrentIndex(2)
    first.animation_control.setValue(600)
    first.close()
    settings = Settings()
    assert (settings.speed_index, settings.animation_ms) == (2, 600)
    assert settings.dataset == str(small_csv)

    second = make_window()
    assert second.speed_control.currentIndex() == 2
    assert second.animation_control.value() == 600


def test_without_data_the_window_opens_the_dataset_used_last_time(qtbot, small_csv):
    Settings().dataset = str(small_csv)
    window = create_main_window(["--dev-size", "50", "--size", "1280x720"])
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: window.bridge.latest is not None, timeout=TIMEOUT)
    assert window.bridge.latest.dataset_name.endswith("small.csv")
    window.close()


def test_a_remembered_dataset_that_has_gone_is_named_and_the_sample_opens_instead(qtbot, tmp_path):
    gone = tmp_path / "gone.csv"        # a file that was moved or deleted since
    Settings().dataset = str(gone)
    window = create_main_window(["--dev-size", "50", "--size", "1280x720"])
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.bridge.latest is not None, timeout=TIMEOUT)
    assert window.bridge.latest.dataset_name == "mnist-sample"
    banner = window.findChild(QLabel, "messageBannerText")
    assert window.message_banner.isVisible()
    assert "gone.csv" in banner.text() and "mnist-sample" in banner.text()
    window.close()


def test_a_screenshot_run_neither_reads_nor_writes_the_settings(qtbot, small_csv, private_settings):
    Settings().animation_ms = 900
    window = create_main_window(["--data", str(small_csv), "--dev-size", "50", "--size", "1280x720",
                                 "--screenshot", "unused.png"])
    qtbot.addWidget(window)
    assert window.animation_control.value() != 900
    window.animation_control.setValue(100)
    window.close()
    assert Settings().animation_ms == 900


def test_a_session_saved_from_the_file_menu_reopens_where_it_was(qtbot, make_window, monkeypatch, tmp_path):
    window = make_window()
    for _ in range(3):
        trigger(window, "stepIteration")
        qtbot.waitUntil(lambda: window.bridge.pending_steps == 0, timeout=TIMEOUT)
    trigger(window, "stepPhase")
    qtbot.waitUntil(lambda: window.findChild(QLabel, "phaseLabel").text() == "Z1", timeout=TIMEOUT)
    path = str(tmp_path / "class.npz")
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (path, ""))
    with qtbot.waitSignal(window.bridge.notice, timeout=TIMEOUT):
        trigger(window, "saveSession")
    assert Settings().session_folder == str(tmp_path)

    trigger(window, "reset")
    qtbot.waitUntil(lambda: window.findChild(QLabel, "iterationLabel").text() == "0", timeout=TIMEOUT)

    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (path, ""))
    trigger(window, "openSession")
    qtbot.waitUntil(lambda: window.findChild(QLabel, "iterationLabel").text() == "3", timeout=TIMEOUT)
    assert window.findChild(QLabel, "phaseLabel").text() == "Z1"


def test_a_broken_session_is_named_in_the_banner_and_the_run_is_kept(qtbot, make_window, monkeypatch, tmp_path):
    window = make_window()
    trigger(window, "stepIteration")
    qtbot.waitUntil(lambda: window.findChild(QLabel, "iterationLabel").text() == "1", timeout=TIMEOUT)
    broken = tmp_path / "broken.npz"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(broken), ""))
    trigger(window, "openSession")
    qtbot.waitUntil(window.message_banner.isVisible, timeout=TIMEOUT)
    assert "broken.npz" in window.findChild(QLabel, "messageBannerText").text()
    assert window.findChild(QLabel, "iterationLabel").text() == "1"


def test_the_theme_is_chosen_from_the_view_menu_remembered_and_presenter_mode_returns_to_it(qtbot, make_window):
    from visualizer import appearance

    window = make_window()
    try:
        window.findChild(QAction, "themeDark").trigger()
        assert appearance.current_theme() == "dark"
        assert window.findChild(QAction, "themeDark").isChecked()
        assert not window.findChild(QAction, "themeLight").isChecked()
        window.set_presenter_mode(True)
        assert appearance.current_theme() == "presenter"
        window.set_presenter_mode(False)
        assert appearance.current_theme() == "dark"
        window.close()
        assert Settings().theme == "dark"
        make_window()
        assert appearance.current_theme() == "dark"
    finally:
        appearance.apply_theme(None, "light")


def test_the_weights_dialogs_open_in_the_folder_used_last(qtbot, make_window, monkeypatch, tmp_path):
    window = make_window()
    path = str(tmp_path / "w.npz")
    asked = []
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        lambda parent, title, name, *a: asked.append(name) or (path, ""))
    with qtbot.waitSignal(window.bridge.notice, timeout=TIMEOUT):
        trigger(window, "saveWeights")
    monkeypatch.setattr(QFileDialog, "getOpenFileName",
                        lambda parent, title, folder, *a: asked.append(folder) or ("", ""))
    trigger(window, "openWeights")
    # the first in the user's documents (never the working folder), the next where the last file went
    assert asked[0] == str(Path(start_folder(None, "weights")) / "weights-0.npz") and asked[1] == str(tmp_path)
    assert not asked[0].startswith(str(Path.cwd()))


@pytest.mark.parametrize("action_name, dialog, kind", [
    ("openDataset", "getOpenFileName", "dataset"), ("openSession", "getOpenFileName", "session"),
    ("saveSession", "getSaveFileName", "session"), ("checkCode", "getOpenFileName", "code"),
    ("exportImage", "getSaveFileName", "image"), ("exportDiagramSvg", "getSaveFileName", "image"),
    ("exportGif", "getSaveFileName", "image")])
def test_every_file_dialog_starts_in_its_kinds_folder_else_documents_or_pictures(
        qtbot, make_window, monkeypatch, tmp_path, action_name, dialog, kind):
    from PyQt6.QtCore import QStandardPaths

    window = make_window()
    asked = []
    monkeypatch.setattr(QFileDialog, dialog, lambda parent, title, where, *a: asked.append(where) or ("", ""))
    trigger(window, action_name)
    location = QStandardPaths.StandardLocation.PicturesLocation if kind == "image" else \
        QStandardPaths.StandardLocation.DocumentsLocation
    expected = start_folder(None, kind)
    assert expected in (QStandardPaths.writableLocation(location), str(Path.home()),
                        QStandardPaths.writableLocation(QStandardPaths.StandardLocation.HomeLocation))
    assert asked and (asked[0] == expected or Path(asked[0]).parent == Path(expected))
    assert Path(asked[0]) != Path.cwd() and Path(asked[0]).parent != Path.cwd()
    window.settings.remember_folder(kind, str(tmp_path))      # once a file of this kind was chosen there
    asked.clear()
    trigger(window, action_name)
    assert asked[0] == str(tmp_path) or Path(asked[0]).parent == tmp_path
