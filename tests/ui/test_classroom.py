"""The classroom panels inside the real window: reached from the Classroom menu and the keyboard, wired to the
worker, the diagram and each other."""
from __future__ import annotations

from PyQt6.QtCore import Qt
from PyQt6.QtGui import QAction
from PyQt6.QtWidgets import QDockWidget, QLabel

TIMEOUT = 10_000


def action(window, name: str) -> QAction:
    found = window.findChild(QAction, name)
    assert found is not None, name
    return found


def dock(window, name: str) -> QDockWidget:
    found = window.findChild(QDockWidget, name)
    assert found is not None, name
    return found


def phase(window) -> str:
    return window.findChild(QLabel, "phaseLabel").text()


def test_every_classroom_action_is_in_the_menu_with_a_shortcut_and_a_tooltip(window):
    menu = window.classroom.menu
    for item in menu.actions():
        if item.isSeparator():
            continue
        assert item.shortcut().toString(), item.objectName()
        assert item.toolTip(), item.objectName()
        assert item in window.actions(), f"{item.objectName()} works only while its panel has focus"


def test_the_lesson_opens_with_ctrl_l_and_its_next_key_computes_the_phase_it_explains(qtbot, window):
    lesson_dock = dock(window, "lessonPanel")
    assert not lesson_dock.isVisible()
    qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lesson_dock.isVisible, timeout=TIMEOUT)
    lesson = window.classroom.lesson
    assert lesson.index == 0
    # Steps 1 and 2 (pixels, parameters) compute nothing; step 3 is Z1 = W1·X + b1.
    for _ in range(2):
        qtbot.keyClick(window, Qt.Key.Key_Period, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: phase(window) == "Z1", timeout=TIMEOUT)
    assert lesson.index == 2
    assert "hidden" in window.diagram.emphasized_parts
    qtbot.keyClick(window, Qt.Key.Key_Period, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: phase(window) == "A1", timeout=TIMEOUT)
    qtbot.keyClick(window, Qt.Key.Key_Comma, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: phase(window) == "Z1", timeout=TIMEOUT)


def test_hiding_the_lesson_clears_the_diagrams_emphasis(qtbot, window):
    action(window, "guidedLesson").trigger()
    lesson_dock = dock(window, "lessonPanel")
    qtbot.waitUntil(lesson_dock.isVisible, timeout=TIMEOUT)
    qtbot.waitUntil(lambda: window.diagram.emphasized_parts == window.classroom.lesson.parts, timeout=TIMEOUT)
    assert window.diagram.emphasized_parts
    action(window, "guidedLesson").trigger()
    qtbot.waitUntil(lambda: not lesson_dock.isVisible(), timeout=TIMEOUT)
    assert window.diagram.emphasized_parts == frozenset()


def test_clicking_a_hidden_unit_opens_its_what_if_panel(qtbot, window):
    neuron_dock = dock(window, "neuronPanelDock")
    assert not neuron_dock.isVisible()
    window.diagram.neuronClicked.emit(4)
    qtbot.waitUntil(neuron_dock.isVisible, timeout=TIMEOUT)
    panel = window.classroom.neuron
    assert panel.unit == 4
    assert action(window, "hiddenUnit").isChecked()
    action(window, "hiddenUnit").trigger()
    qtbot.waitUntil(lambda: not neuron_dock.isVisible(), timeout=TIMEOUT)
    assert not action(window, "hiddenUnit").isChecked()


def test_the_what_if_panel_evaluates_on_the_windows_dev_set(qtbot, window):
    window.diagram.neuronClicked.emit(1)
    panel = window.classroom.neuron
    assert panel.split is window.snapshot.split         # the run's own arrays, not a copy
    assert panel.split.dev_size == 50


def test_ctrl_d_opens_the_draw_pad_and_it_reads_a_drawing_with_the_current_network(qtbot, window):
    pad_dock = dock(window, "drawPadDock")
    qtbot.keyClick(window, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(pad_dock.isVisible, timeout=TIMEOUT)
    pad = window.classroom.draw_pad
    pad.draw_stroke([(60, 60), (200, 60), (200, 220)])
    qtbot.waitUntil(lambda: pad.column.any(), timeout=TIMEOUT)
    action(window, "clearDrawingAction").trigger()
    qtbot.waitUntil(lambda: not pad.column.any(), timeout=TIMEOUT)


def test_ctrl_g_opens_the_race_and_it_races_from_the_windows_data_until_the_window_closes(qtbot, window):
    race_dock = dock(window, "racePanelDock")
    qtbot.keyClick(window, Qt.Key.Key_G, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(race_dock.isVisible, timeout=TIMEOUT)
    assert action(window, "raceMode").isChecked()
    race = window.classroom.race
    race.start()
    qtbot.waitUntil(lambda: race.running, timeout=TIMEOUT)
    job = race.job
    window.close()
    assert not job.running


def test_the_race_starts_from_a_weights_file_the_main_run_opened(qtbot, window, monkeypatch, tmp_path):
    import numpy as np
    from PyQt6.QtWidgets import QFileDialog

    from core import checkpoints

    race_dock = dock(window, "racePanelDock")
    action(window, "raceMode").trigger()
    qtbot.waitUntil(race_dock.isVisible, timeout=TIMEOUT)
    race = window.classroom.race
    assert "uniform init, seed 0" in race.setup.text()
    rng = np.random.default_rng(3)
    params = {"W1": rng.normal(0, 0.1, (10, 784)), "b1": np.zeros((10, 1)), "W2": rng.normal(0, 0.1, (10, 10)),
              "b2": np.zeros((10, 1))}        # the same hidden width and activation: only the weights change
    path = tmp_path / "start.npz"
    checkpoints.save_weights(path, params, {"activation": "relu"})
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *args, **kwargs: (str(path), ""))
    action(window, "openWeights").trigger()
    qtbot.waitUntil(lambda: "opened from a file" in race.setup.text(), timeout=TIMEOUT)
    np.testing.assert_array_equal(race.start_weights["W1"], params["W1"].astype(np.float32))


def test_presenter_mode_hides_an_open_classroom_panel_and_brings_it_back(qtbot, window):
    lesson_dock = dock(window, "lessonPanel")
    action(window, "guidedLesson").trigger()
    qtbot.waitUntil(lesson_dock.isVisible, timeout=TIMEOUT)
    window.set_presenter_mode(True)
    assert not lesson_dock.isVisible()
    window.set_presenter_mode(False)
    qtbot.waitUntil(lesson_dock.isVisible, timeout=TIMEOUT)


def test_a_broken_lesson_file_is_named_and_the_window_works_without_the_lesson(qtbot, make_window, monkeypatch,
                                                                               tmp_path):
    import shutil

    from visualizer.views import lesson

    folder = tmp_path / "lessons"
    shutil.copytree(lesson.LESSONS, folder)
    (folder / "03-z1.md").write_text("# Z1 without its first line\n", encoding="utf-8")
    monkeypatch.setattr(lesson, "LESSONS", folder)
    window = make_window()
    assert window.classroom.lesson is None
    text = window.findChild(QLabel, "messageBannerText").text()
    assert window.message_banner.isVisible() and str(folder / "03-z1.md") in text and "first line" in text
    window.message_banner.hide()
    action(window, "guidedLesson").trigger()
    assert window.message_banner.isVisible()
    action(window, "stepPhase").trigger()
    qtbot.waitUntil(lambda: phase(window) == "Z1", timeout=TIMEOUT)


def test_the_heavier_panels_are_built_only_when_first_shown_and_then_follow_the_window(qtbot, window):
    classroom = window.classroom
    assert classroom.built == ()
    action(window, "stepIteration").trigger()
    qtbot.waitUntil(lambda: window.snapshot.iteration == 1, timeout=TIMEOUT)
    action(window, "drawDigit").trigger()
    pad = classroom.draw_pad
    assert dock(window, "drawPadDock").widget() is pad and pad in window.views
    assert set(classroom.built) == {"draw_pad"}
    clear = window.findChild(QAction, "clearDrawingAction")
    assert clear in window.actions() and "Ctrl+Backspace" in clear.toolTip()
    action(window, "stepIteration").trigger()
    qtbot.waitUntil(lambda: window.snapshot.iteration == 2, timeout=TIMEOUT)
    assert pad._params is window.snapshot.params


def test_a_floating_panel_opens_on_the_screen_even_when_the_window_reaches_past_it(qtbot, window):
    screen = window.screen().availableGeometry()
    window.move(screen.right() - 200, screen.top())      # most of the window is off the screen
    action(window, "drawDigit").trigger()
    pad_dock = dock(window, "drawPadDock")
    qtbot.waitUntil(pad_dock.isVisible, timeout=TIMEOUT)
    assert screen.contains(pad_dock.geometry()), (pad_dock.geometry(), screen)
    window.close()
    assert not pad_dock.isVisible()          # a floating panel does not outlive its window on the screen
