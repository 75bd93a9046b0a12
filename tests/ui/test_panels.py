"""Panels a teacher can hide and bring back (issue 14): every dock from View ▸ Panels, floating ones closable,
View ▸ Reset layout, and a layout saved on another screen size left alone."""
from __future__ import annotations

from PyQt6.QtCore import QSettings, Qt
from PyQt6.QtGui import QAction
from PyQt6.QtWidgets import QDockWidget, QMenu

from visualizer import settings as settings_module
from visualizer.settings import Settings

TIMEOUT = 10_000
Area = Qt.DockWidgetArea


def test_every_dock_can_be_hidden_and_shown_from_the_view_menu(qtbot, make_window):
    window = make_window()
    menu = window.findChild(QMenu, "panelsMenu")
    menu.aboutToShow.emit()                 # filled as it opens, so the classroom's docks are in it too
    in_menu = set(menu.actions())
    names = set()
    for dock in window.dock_manager.docks:
        toggle = dock.toggleViewAction()
        assert toggle in in_menu and toggle.isEnabled(), dock.objectName()
        names.add(dock.objectName())
    assert {"inputDock", "configDock", "valuesDock", "curvesDock", "matricesDock", "evaluationDock",
            "bugLabPanel", "checkCodePanel", "lessonPanel", "drawPadDock"} <= names
    values = window.dock_manager.find("valuesDock")
    values.toggleViewAction().trigger()
    assert values.isHidden()
    values.toggleViewAction().trigger()
    assert values.isVisible()


def test_the_floating_check_my_code_window_can_be_closed(qtbot, make_window):
    window = make_window()
    dock = window.check_code_dock
    window.dock_manager.show_floating(dock, True)
    qtbot.waitUntil(dock.isVisible, timeout=TIMEOUT)
    assert dock.isFloating() and dock.features() & QDockWidget.DockWidgetFeature.DockWidgetClosable
    assert dock.close()
    assert dock.isHidden()


def test_reset_layout_brings_back_the_default_layout_for_this_size(qtbot, make_window):
    window = make_window()
    input_dock, values = window.dock_manager.find("inputDock"), window.dock_manager.find("valuesDock")
    matrices = window.dock_manager.find("matricesDock")
    input_dock.hide()
    values.setFloating(True)
    window.addDockWidget(Area.LeftDockWidgetArea, matrices)
    window.findChild(QAction, "resetLayout").trigger()
    qtbot.waitUntil(lambda: input_dock.isVisible() and values.isVisible(), timeout=TIMEOUT)
    assert not values.isFloating() and window.dockWidgetArea(values) == Area.RightDockWidgetArea
    assert window.dockWidgetArea(input_dock) == Area.LeftDockWidgetArea
    # 720 px high: the matrices share the right column with the curves, one tab each (docks.COMPACT_HEIGHT).
    assert matrices in window.tabifiedDockWidgets(window.dock_manager.find("curvesDock"))
    assert window.bug_lab_dock.isHidden()


def test_a_layout_saved_on_another_screen_size_is_not_restored(qtbot, make_window, private_settings, monkeypatch):
    monkeypatch.setattr(settings_module, "_fits_a_screen", lambda width, height: True)   # offscreen is 800×800
    window = make_window()
    window.save_settings()
    store = QSettings(str(private_settings), QSettings.Format.IniFormat)
    assert Settings(store).restore_window(window)           # the same screen: restored
    store.setValue(settings_module.SCREEN, "1920x1200")     # saved on the office monitor, opened on the projector
    assert not Settings(store).restore_window(window)
