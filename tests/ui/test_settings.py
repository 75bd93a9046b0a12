"""Remembered settings: they come back in the next run, garbage reads as defaults, and tests never touch the user's."""
from __future__ import annotations

import pytest
from PyQt6.QtCore import QSettings, Qt
from PyQt6.QtGui import QGuiApplication
from PyQt6.QtWidgets import QDockWidget, QLabel, QMainWindow

from visualizer import settings as settings_module
from visualizer.bridge import SPEEDS
from visualizer.settings import DEFAULT_ANIMATION_MS, DEFAULT_SPEED_INDEX, ENVIRONMENT_VARIABLE, Settings


def ini(path) -> Settings:
    """A fresh Settings over the INI file at path, as the next run of the program would open it."""
    return Settings(QSettings(str(path), QSettings.Format.IniFormat))


@pytest.fixture
def path(tmp_path):
    return tmp_path / "settings.ini"


def make_window(qtbot) -> tuple[QMainWindow, QDockWidget]:
    window = QMainWindow()
    window.setCentralWidget(QLabel("centre"))
    dock = QDockWidget("Curves")
    dock.setObjectName("curvesDock")
    dock.setWidget(QLabel("curves"))
    window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
    qtbot.addWidget(window)
    return window, dock


def screen_size() -> tuple[int, int]:
    area = QGuiApplication.primaryScreen().availableGeometry()
    return area.width(), area.height()


def test_values_written_in_one_run_are_read_in_the_next(path, tmp_path):
    first = ini(path)
    first.dataset = "/data/train.csv"
    first.weights_folder = str(tmp_path)
    first.session_folder = str(tmp_path)
    first.speed_index = 2
    first.animation_ms = 600
    first.theme = "dark"
    first.presenter = True
    first.sync()

    second = ini(path)
    assert second.dataset == "/data/train.csv"
    assert second.weights_folder == second.session_folder == str(tmp_path)
    assert (second.speed_index, second.animation_ms, second.theme, second.presenter) == (2, 600, "dark", True)


def test_a_first_run_reads_the_defaults(path):
    fresh = ini(path)
    assert (fresh.dataset, fresh.weights_folder, fresh.session_folder) == (None, "", "")
    assert (fresh.speed_index, fresh.animation_ms, fresh.theme, fresh.presenter) == (
        len(SPEEDS) - 1, DEFAULT_ANIMATION_MS, "light", False)


def test_garbage_in_the_file_reads_as_the_defaults(qtbot, path):
    path.write_text("[files]\ndataset=\nweightsFolder=/no/such/folder\n"
                    "[view]\nspeedIndex=fast\nanimationMs=-5\ntheme=../../etc/passwd\npresenter=maybe\n"
                    "[window]\ngeometry=not bytes\nstate=12\nsize=huge\n")
    garbage = ini(path)
    assert (garbage.dataset, garbage.weights_folder) == (None, "")
    assert (garbage.speed_index, garbage.animation_ms, garbage.theme, garbage.presenter) == (
        DEFAULT_SPEED_INDEX, DEFAULT_ANIMATION_MS, "light", False)
    window, _ = make_window(qtbot)
    window.resize(420, 300)
    assert not garbage.restore_window(window)
    assert (window.width(), window.height()) == (420, 300)


@pytest.mark.parametrize("value", [str(len(SPEEDS)), "-1", "2.5", "true"])
def test_a_speed_outside_the_list_reads_as_the_default(path, value):
    path.write_text(f"[view]\nspeedIndex={value}\n")
    assert ini(path).speed_index == DEFAULT_SPEED_INDEX


def test_a_folder_that_has_gone_reads_as_none(path, tmp_path):
    folder = tmp_path / "lessons"
    folder.mkdir()
    first = ini(path)
    first.session_folder = str(folder)
    first.sync()
    folder.rmdir()
    assert ini(path).session_folder == ""


def test_reset_forgets_everything(path):
    first = ini(path)
    first.speed_index = 1
    first.theme = "dark"
    first.dataset = "fashion-mnist"
    first.reset()
    again = ini(path)
    assert (again.speed_index, again.theme, again.dataset) == (DEFAULT_SPEED_INDEX, "light", None)


def test_the_window_and_its_docks_come_back_where_they_were(qtbot, path):
    width, height = screen_size()
    window, dock = make_window(qtbot)
    window.resize(width - 100, height - 80)
    window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, dock)
    window.show()
    qtbot.waitExposed(window)
    ini(path).save_window(window)

    later, later_dock = make_window(qtbot)
    later.resize(300, 200)
    assert ini(path).restore_window(later)
    assert (later.width(), later.height()) == (width - 100, height - 80)
    assert later.dockWidgetArea(later_dock) == Qt.DockWidgetArea.BottomDockWidgetArea


def test_a_layout_larger_than_the_screen_is_not_restored(qtbot, path):
    width, height = screen_size()
    window, dock = make_window(qtbot)
    window.resize(width + 600, height + 400)      # saved on a large monitor
    window.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, dock)
    ini(path).save_window(window)

    later, later_dock = make_window(qtbot)         # opened on the laptop
    later.resize(400, 300)
    assert not ini(path).restore_window(later)
    assert (later.width(), later.height()) == (400, 300)
    assert later.dockWidgetArea(later_dock) == Qt.DockWidgetArea.RightDockWidgetArea


def test_a_layout_of_another_version_is_not_restored(qtbot, path, monkeypatch):
    window, dock = make_window(qtbot)
    window.resize(350, 250)
    window.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, dock)
    ini(path).save_window(window)

    monkeypatch.setattr(settings_module, "LAYOUT_VERSION", settings_module.LAYOUT_VERSION + 1)
    later, later_dock = make_window(qtbot)
    later.resize(400, 300)
    assert not ini(path).restore_window(later)
    assert (later.width(), later.height()) == (400, 300)
    assert later.dockWidgetArea(later_dock) == Qt.DockWidgetArea.RightDockWidgetArea


def test_the_environment_variable_redirects_the_settings_to_a_file(path, monkeypatch):
    monkeypatch.setenv(ENVIRONMENT_VARIABLE, str(path))
    redirected = Settings()
    redirected.animation_ms = 750
    redirected.sync()
    assert redirected.store.fileName() == str(path)
    assert "animationMs=750" in path.read_text()
