"""The real window, driven as a user drives it: every action by name and by key, every control, every file action."""
from __future__ import annotations

import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from PyQt6.QtCore import Qt
from PyQt6.QtGui import QAction, QImage
from PyQt6.QtWidgets import (QApplication, QComboBox, QDoubleSpinBox, QFileDialog, QLabel, QPushButton, QSpinBox,
                             QWidget)

from core import checkpoints
from tests.ui.conftest import write_kaggle_csv
from visualizer.bridge import MAX_PENDING_STEPS

TIMEOUT = 10_000
ACTIONS = {"stepPhase": "Right", "stepIteration": "Shift+Right", "stepBack": "Left", "playPause": "Space",
           "reset": "Ctrl+R", "openDataset": "Ctrl+O", "openWeights": "Ctrl+Shift+O", "saveWeights": "Ctrl+S",
           "exportImage": "Ctrl+E", "presenterMode": "F11", "quit": "Ctrl+Q"}
ROOT = Path(__file__).resolve().parents[2]


def answer_file_dialog(monkeypatch, kind: str, path: Path | str) -> None:
    monkeypatch.setattr(QFileDialog, kind, lambda *args, **kwargs: (str(path), ""))


def action(window, name: str) -> QAction:
    found = window.findChild(QAction, name)
    assert found is not None, name
    return found


def label(window, name: str) -> str:
    return window.findChild(QLabel, name).text()


def wait_for(qtbot, window, iteration: int, phase: str) -> None:
    qtbot.waitUntil(lambda: (label(window, "iterationLabel"), label(window, "phaseLabel")) == (str(iteration), phase),
                    timeout=TIMEOUT)


def press(qtbot, window, key: Qt.Key, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    qtbot.keyClick(window, key, modifier)


def settled(qtbot, measure) -> None:
    """Wait until measure() gives the same value in two passes of the event loop (the layouts have settled)."""
    last = [object()]

    def same() -> bool:
        QApplication.processEvents()
        value = measure()
        stable, last[0] = value == last[0], value
        return stable
    qtbot.waitUntil(same, timeout=TIMEOUT)


# ------------------------------------------------------------------ actions and their keys

def test_every_action_has_its_shortcut_an_icon_and_a_tooltip_naming_the_key(window):
    for name, keys in ACTIONS.items():
        found = action(window, name)
        assert found.shortcut().toString() == keys, name
        assert not found.icon().isNull(), name
        assert found.toolTip() and "(" in found.toolTip(), name


def test_right_arrow_three_times_computes_z1_a1_z2(qtbot, window):
    for phase in ("Z1", "A1", "Z2"):
        press(qtbot, window, Qt.Key.Key_Right)
        wait_for(qtbot, window, 0, phase)


def test_shift_right_finishes_the_iteration_and_left_steps_back(qtbot, window):
    press(qtbot, window, Qt.Key.Key_Right)
    wait_for(qtbot, window, 0, "Z1")
    press(qtbot, window, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)
    wait_for(qtbot, window, 1, "update")
    press(qtbot, window, Qt.Key.Key_Left)
    wait_for(qtbot, window, 0, "db1")


def test_page_down_and_page_up_step_as_a_clicker_does(qtbot, window):
    press(qtbot, window, Qt.Key.Key_PageDown)
    press(qtbot, window, Qt.Key.Key_PageDown)
    wait_for(qtbot, window, 0, "A1")
    press(qtbot, window, Qt.Key.Key_PageUp)
    wait_for(qtbot, window, 0, "Z1")


def test_step_actions_triggered_by_name(qtbot, window):
    action(window, "stepIteration").trigger()
    wait_for(qtbot, window, 1, "update")
    action(window, "stepPhase").trigger()
    wait_for(qtbot, window, 1, "Z1")
    action(window, "stepBack").trigger()
    wait_for(qtbot, window, 1, "update")


def test_arrow_keys_in_a_focused_spin_box_edit_it_and_do_not_step(qtbot, window):
    spin = window.findChild(QSpinBox, "hiddenSpin")
    spin.setFocus()
    qtbot.waitUntil(spin.hasFocus, timeout=TIMEOUT)
    press(qtbot, spin, Qt.Key.Key_Up)
    assert spin.value() == 11
    press(qtbot, spin, Qt.Key.Key_Left)
    press(qtbot, window, Qt.Key.Key_Space)      # but the window's other keys still work: play …
    qtbot.waitUntil(lambda: int(label(window, "iterationLabel")) >= 2, timeout=TIMEOUT)
    action(window, "playPause").trigger()       # … and pause
    qtbot.waitUntil(lambda: not window.bridge.playing and window.snapshot and not window.snapshot.playing,
                    timeout=TIMEOUT)
    assert window.bridge.accepted_steps == 0


def test_space_plays_and_pauses(qtbot, window):
    press(qtbot, window, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: int(label(window, "iterationLabel")) >= 3, timeout=TIMEOUT)
    assert action(window, "playPause").text() == "Pause"
    press(qtbot, window, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: window.snapshot is not None and not window.snapshot.playing, timeout=TIMEOUT)
    stopped = label(window, "iterationLabel")
    # A later request is answered after the pause: the count has stopped.
    window.bridge.select_example("train", 1)
    qtbot.waitUntil(lambda: window.snapshot.example.index == 1, timeout=TIMEOUT)
    assert label(window, "iterationLabel") == stopped
    assert action(window, "playPause").text() == "Play"


def test_speed_control_sets_the_iterations_per_second(qtbot, window):
    speed = window.findChild(QComboBox, "speedControl")
    texts = [speed.itemText(index) for index in range(speed.count())]
    assert texts == ["1/s", "2/s", "5/s", "10/s", "20/s", "50/s", "100/s", "max"]
    speed.setCurrentIndex(texts.index("5/s"))
    qtbot.waitUntil(lambda: window.bridge.speed == 5, timeout=TIMEOUT)      # the worker says it plays at 5/s
    speed.setCurrentIndex(texts.index("max"))
    qtbot.waitUntil(lambda: window.bridge.speed == 0, timeout=TIMEOUT)


def test_animation_control_switches_the_diagram_animation(qtbot, window):
    control = window.findChild(QSpinBox, "animationControl")
    control.setValue(2000)
    action(window, "stepPhase").trigger()
    wait_for(qtbot, window, 0, "Z1")
    assert window.diagram.animating
    control.setValue(0)
    assert control.text() == "off" and not window.diagram.animating
    action(window, "stepPhase").trigger()
    wait_for(qtbot, window, 0, "A1")
    assert not window.diagram.animating


def test_the_input_view_chooses_the_example_the_views_show(qtbot, window):
    qtbot.mouseClick(window.findChild(QPushButton, "nextButton"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.snapshot.example.index == 1, timeout=TIMEOUT)
    assert window.snapshot.example.subset == "train"


# ------------------------------------------------------------------ configuration

def test_ctrl_r_resets_to_iteration_zero_with_the_panel_learning_rate_at_once(qtbot, window):
    action(window, "stepIteration").trigger()
    wait_for(qtbot, window, 1, "update")
    window.config_panel.learning_rate.setValue(0.25)
    qtbot.waitUntil(lambda: label(window, "learningRateLabel") == "α = 0.25", timeout=TIMEOUT)
    assert label(window, "iterationLabel") == "1"       # a new α does not restart
    press(qtbot, window, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    wait_for(qtbot, window, 0, "—")
    assert window.snapshot.alpha == 0.25
    assert not window.findChild(QWidget, "confirmBar").isVisible()


def test_typing_a_learning_rate_applies_it(qtbot, window):
    spin = window.findChild(QDoubleSpinBox, "learningRateSpin")
    spin.setFocus()
    spin.selectAll()
    qtbot.keyClicks(spin, "2.5e-3")
    press(qtbot, spin, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: label(window, "learningRateLabel") == "α = 0.0025", timeout=TIMEOUT)
    assert spin.text() == "0.0025"


def test_a_hidden_width_change_asks_inline_and_apply_restarts_with_it(qtbot, window):
    action(window, "stepIteration").trigger()
    wait_for(qtbot, window, 1, "update")
    window.findChild(QSpinBox, "hiddenSpin").setValue(16)
    qtbot.mouseClick(window.findChild(QPushButton, "applyButton"), Qt.MouseButton.LeftButton)
    bar = window.findChild(QWidget, "confirmBar")
    assert bar.isVisible()
    assert "hidden width restarts training from iteration 0" in window.findChild(QLabel, "confirmText").text()
    assert label(window, "iterationLabel") == "1"       # nothing happens until confirmed
    qtbot.mouseClick(window.findChild(QPushButton, "confirmApply"), Qt.MouseButton.LeftButton)
    wait_for(qtbot, window, 0, "—")
    assert window.snapshot.params["W1"].shape == (16, 784)
    assert not bar.isVisible()


def test_cancel_keeps_the_run_and_puts_the_setting_back(qtbot, window):
    action(window, "stepIteration").trigger()
    wait_for(qtbot, window, 1, "update")
    window.findChild(QComboBox, "activationCombo").setCurrentText("tanh")
    window.findChild(QPushButton, "applyButton").click()
    assert "activation" in window.findChild(QLabel, "confirmText").text()
    window.findChild(QPushButton, "confirmCancel").click()
    assert not window.findChild(QWidget, "confirmBar").isVisible()
    assert window.findChild(QComboBox, "activationCombo").currentText() == "relu"
    action(window, "stepPhase").trigger()
    wait_for(qtbot, window, 1, "Z1")
    assert window.snapshot.config.activation == "relu"


# ------------------------------------------------------------------ files

def test_open_dataset_switches_data_and_a_broken_file_keeps_the_old(qtbot, window, monkeypatch, tmp_path):
    other = write_kaggle_csv(tmp_path / "other.csv", rows=200, seed=3)
    answer_file_dialog(monkeypatch, "getOpenFileName", other)
    press(qtbot, window, Qt.Key.Key_O, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.snapshot.dataset_name == str(other), timeout=TIMEOUT)
    assert window.snapshot.train_size == 150 and "other.csv" in window.windowTitle()
    assert "150 train" in label(window, "datasetLabel")

    broken = tmp_path / "broken.csv"
    broken.write_text("label,pixel0\n1,2,3\nnot,a,csv\n")
    answer_file_dialog(monkeypatch, "getOpenFileName", broken)
    action(window, "openDataset").trigger()
    banner = window.findChild(QWidget, "messageBanner")
    qtbot.waitUntil(banner.isVisible, timeout=TIMEOUT)
    assert "broken.csv" in window.findChild(QLabel, "messageBannerText").text()
    assert window.snapshot.dataset_name == str(other)


def test_loading_shows_in_the_status_bar_while_the_window_stays_responsive(qtbot, window, monkeypatch, tmp_path):
    other = write_kaggle_csv(tmp_path / "other.csv", rows=200, seed=3)
    answer_file_dialog(monkeypatch, "getOpenFileName", other)
    # What the status bar says as each busy signal arrives (connected after the window: its own slot runs first).
    # Noted at once: a fast load's "done" can arrive in the same pass of the event loop as its start.
    said = []
    window.bridge.busy.connect(lambda text: said.append((text, window.statusBar().currentMessage())))
    action(window, "openDataset").trigger()
    qtbot.waitUntil(lambda: window.snapshot.dataset_name == str(other), timeout=TIMEOUT)
    assert said[0] == (f"loading {other} …", f"loading {other} …")        # the status bar says what is loading
    assert not window.statusBar().currentMessage().startswith("loading")


def test_save_weights_writes_a_file_that_loads_back(qtbot, window, monkeypatch, tmp_path):
    action(window, "stepIteration").trigger()
    wait_for(qtbot, window, 1, "update")
    target = tmp_path / "w.npz"
    answer_file_dialog(monkeypatch, "getSaveFileName", target)
    press(qtbot, window, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(target.exists, timeout=TIMEOUT)
    params, meta = checkpoints.load_weights(target)
    np.testing.assert_array_equal(params["W1"], window.snapshot.params["W1"])
    assert (meta["hidden"], meta["iteration"], meta["activation"], meta["optimizer"]) == (10, 1, "relu", "gd")
    assert meta["alpha"] == pytest.approx(0.1)


def test_saving_over_a_read_only_file_shows_a_message(qtbot, window, monkeypatch, tmp_path):
    target = tmp_path / "locked.npz"
    target.write_bytes(b"old")
    target.chmod(stat.S_IRUSR)
    answer_file_dialog(monkeypatch, "getSaveFileName", target)
    action(window, "saveWeights").trigger()
    banner = window.findChild(QWidget, "messageBanner")
    qtbot.waitUntil(banner.isVisible, timeout=TIMEOUT)
    assert "read-only" in window.findChild(QLabel, "messageBannerText").text()
    assert target.read_bytes() == b"old"


def test_a_notice_gets_the_datasets_room_in_the_status_bar(qtbot, window):
    """In a 1200-pixel window "Loaded weights from …" was cut after a few words by the permanent labels."""
    window.resize(1200, 640)
    status = window.statusBar()
    label = window.findChild(QLabel, "datasetLabel")
    qtbot.waitUntil(lambda: label.isVisible() and status.width() <= 1200, timeout=TIMEOUT)

    def room() -> int:      # where the first permanent label starts: the message is drawn left of it
        return min(child.geometry().x() for child in status.findChildren(QLabel) if child.isVisible())

    text = "Loaded weights from /tmp/start.npz (hidden width 10, relu)"
    window.bridge.notice.emit(text)
    assert status.currentMessage() == text and not label.isVisible()
    qtbot.waitUntil(lambda: room() >= status.fontMetrics().horizontalAdvance(text) + 8, timeout=TIMEOUT)
    status.clearMessage()
    assert label.isVisible()


def test_open_weights_adopts_the_file_and_a_broken_file_changes_nothing(qtbot, window, monkeypatch, tmp_path):
    rng = np.random.default_rng(0)
    params = {"W1": rng.normal(0, 0.1, (7, 784)), "b1": np.zeros((7, 1)), "W2": rng.normal(0, 0.1, (10, 7)),
              "b2": np.zeros((10, 1))}
    good = tmp_path / "seven.npz"
    checkpoints.save_weights(good, params, {"activation": "tanh"})
    answer_file_dialog(monkeypatch, "getOpenFileName", good)
    press(qtbot, window, Qt.Key.Key_O, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: window.snapshot.config.hidden == 7, timeout=TIMEOUT)
    np.testing.assert_allclose(window.snapshot.params["W1"], params["W1"].astype(np.float32))
    assert window.snapshot.config.activation == "tanh"
    assert window.findChild(QSpinBox, "hiddenSpin").value() == 7     # the panel shows what runs

    broken = tmp_path / "broken.npz"
    broken.write_bytes(b"PK\x03\x04 this is not a zip")
    answer_file_dialog(monkeypatch, "getOpenFileName", broken)
    action(window, "openWeights").trigger()
    banner = window.findChild(QWidget, "messageBanner")
    qtbot.waitUntil(banner.isVisible, timeout=TIMEOUT)
    assert "broken.npz" in window.findChild(QLabel, "messageBannerText").text()
    assert window.snapshot.config.hidden == 7


def test_export_writes_a_png_of_the_window_at_twice_its_size(qtbot, window, monkeypatch, tmp_path):
    target = tmp_path / "window.png"
    answer_file_dialog(monkeypatch, "getSaveFileName", target)
    press(qtbot, window, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    assert target.stat().st_size > 10_000
    image = QImage(str(target))
    # twice the window's pixels by default, for slides (Export ▸ PNG size: tests/ui/test_slides.py)
    assert (image.width(), image.height()) == (2 * window.width(), 2 * window.height())
    # Not a blank page: the export has many colours.
    assert len({image.pixel(x, y) for x in range(0, image.width(), 7) for y in range(0, image.height(), 7)}) > 20


def test_export_of_one_panel_is_twice_its_size(qtbot, window, monkeypatch, tmp_path):
    target = tmp_path / "diagram.png"
    answer_file_dialog(monkeypatch, "getSaveFileName", target)
    window.findChild(QAction, "exportDiagram").trigger()
    image = QImage(str(target))
    assert (image.width(), image.height()) == (2 * window.diagram.width(), 2 * window.diagram.height())


def test_export_of_a_panel_as_svg_is_a_vector_drawing_of_its_size(qtbot, window, monkeypatch, tmp_path):
    target = tmp_path / "curves.svg"
    answer_file_dialog(monkeypatch, "getSaveFileName", target)
    window.findChild(QAction, "exportCurvesSvg").trigger()
    text = target.read_text(encoding="utf-8")
    assert "<svg" in text and "<path" in text
    assert f'viewBox="0 0 {window.curves.width()} {window.curves.height()}"' in text


def test_a_gif_export_shows_its_progress_and_cancel_leaves_no_file(qtbot, window, monkeypatch, tmp_path):
    target = tmp_path / "diagram.gif"
    answer_file_dialog(monkeypatch, "getSaveFileName", target)
    window.findChild(QAction, "exportGifLong").trigger()
    strip = window.findChild(QLabel, "gifBannerText")
    qtbot.waitUntil(lambda: "frame 2 of 51" in strip.text(), timeout=30_000)
    assert window.gif_banner.isVisible()
    iteration = window.snapshot.iteration
    qtbot.mouseClick(window.findChild(QPushButton, "gifBannerAction"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.gif_export.running, timeout=TIMEOUT)
    assert not window.gif_banner.isVisible()
    assert not target.exists() and list(tmp_path.iterdir()) == []
    assert window.snapshot.iteration == iteration == 0      # the run itself never moved


def test_closing_the_window_during_a_gif_export_stops_it(qtbot, window, monkeypatch, tmp_path):
    answer_file_dialog(monkeypatch, "getSaveFileName", tmp_path / "diagram.gif")
    window.findChild(QAction, "exportGifLong").trigger()
    strip = window.findChild(QLabel, "gifBannerText")
    qtbot.waitUntil(lambda: "frame 1 of" in strip.text(), timeout=30_000)
    export = window.gif_export
    window.close()
    assert not export.running
    assert not (tmp_path / "diagram.gif").exists()


# ------------------------------------------------------------------ presenter mode, banners, closing

def test_presenter_mode_goes_full_screen_with_only_diagram_equation_and_steps(qtbot, window):
    press(qtbot, window, Qt.Key.Key_F11)
    qtbot.waitUntil(window.isFullScreen, timeout=TIMEOUT)
    assert window.diagram.isVisible() and window.equation.isVisible() and window.toolbar.isVisible()
    assert not window.matrices.isVisible() and not window.config_panel.isVisible()
    assert not window.statusBar().isVisible() and not window.tools_toolbar.isVisible()
    assert not window.timeline_toolbar.isVisible()
    press(qtbot, window, Qt.Key.Key_Right)      # stepping still works from the keyboard
    qtbot.waitUntil(lambda: window.snapshot.phase == "Z1", timeout=TIMEOUT)
    press(qtbot, window, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not window.isFullScreen(), timeout=TIMEOUT)
    assert window.matrices.isVisible() and window.statusBar().isVisible() and window.tools_toolbar.isVisible()
    assert window.timeline_toolbar.isVisible()
    action(window, "presenterMode").trigger()
    qtbot.waitUntil(window.isFullScreen, timeout=TIMEOUT)
    action(window, "presenterMode").trigger()
    qtbot.waitUntil(lambda: not window.isFullScreen(), timeout=TIMEOUT)


def test_presenter_mode_answers_the_platforms_full_screen_keys_besides_f11(qtbot, window):
    """F11 is "Show Desktop" on macOS: the platform's own full-screen keys work too (Alt+Enter here)."""
    from PyQt6.QtGui import QKeySequence

    keys = action(window, "presenterMode").shortcuts()
    platform = QKeySequence.keyBindings(QKeySequence.StandardKey.FullScreen)
    assert QKeySequence(Qt.Key.Key_F11) in keys and platform and all(key in keys for key in platform)
    other = next((key for key in platform if key != QKeySequence(Qt.Key.Key_F11)), None)
    if other is not None:
        combination = other[0]
        press(qtbot, window, combination.key(), combination.keyboardModifiers())
        qtbot.waitUntil(window.isFullScreen, timeout=TIMEOUT)
        press(qtbot, window, Qt.Key.Key_Escape)
        qtbot.waitUntil(lambda: not window.isFullScreen(), timeout=TIMEOUT)


def test_leaving_presenter_mode_brings_back_the_window_and_panels_as_they_were(qtbot, make_window):
    """Seen under Xvfb at 1280×720: after F11 and Esc the window stayed wider than the screen (the docks' minimum
    sizes still had the presenter's type when the old geometry was set back), the docks came back at other
    sizes and the values panel's plots ran past its right edge."""
    window = make_window("--size", "1200x640")
    docks = [dock for dock in window.docks if dock.isVisible()]
    settled(qtbot, lambda: (window.size(), [dock.size() for dock in docks]))      # the first layout has settled
    before = (window.size(), [dock.size() for dock in docks])

    def as_before() -> bool:
        return window.size() == before[0] and all(
            abs(dock.width() - size.width()) <= 2 and abs(dock.height() - size.height()) <= 2
            for dock, size in zip(docks, before[1]))
    for _ in range(2):
        window.set_presenter_mode(True)
        qtbot.waitUntil(window.isFullScreen, timeout=TIMEOUT)
        settled(qtbot, lambda: (window.size(), window.diagram.size()))
        window.set_presenter_mode(False)
        qtbot.waitUntil(lambda: not window.isFullScreen(), timeout=TIMEOUT)
        qtbot.waitUntil(as_before, timeout=TIMEOUT)
        graphics = window.values.graphics
        qtbot.waitUntil(lambda: graphics.ci.geometry().width() <= graphics.width(),    # the plots fit the panel again
                        timeout=TIMEOUT)


def test_quit_closes_the_window_and_stops_the_worker(qtbot, window):
    press(qtbot, window, Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier)
    assert not window.isVisible()
    assert window.bridge.thread.isFinished()


def test_closing_while_playing_stops_the_worker(qtbot, window):
    action(window, "playPause").trigger()
    qtbot.waitUntil(lambda: window.snapshot.playing, timeout=TIMEOUT)
    # The close button (Ctrl+Q would first ask whether to drop the run once it has more than a few iterations,
    # and how many it has by now depends on the machine's speed)
    window.close()
    assert window.bridge.thread.isFinished()


def test_divergence_pauses_shows_the_banner_and_going_back_works(qtbot, make_window):
    window = make_window("--alpha", "1e20")     # 1e6 only makes the loss huge; 1e20 overflows float32
    assert window.findChild(QDoubleSpinBox, "learningRateSpin").text() == "1e+20"
    action(window, "playPause").trigger()
    banner = window.findChild(QWidget, "divergenceBanner")
    qtbot.waitUntil(banner.isVisible, timeout=TIMEOUT)
    text = window.findChild(QLabel, "divergenceBannerText").text()
    assert "diverged at iteration" in text and "Ctrl+R" in text and "learning rate" in text
    qtbot.waitUntil(lambda: window.snapshot.diverged and not window.snapshot.playing, timeout=TIMEOUT)
    button = window.findChild(QPushButton, "divergenceBannerAction")
    good = int(button.text().rsplit(" ", 1)[1])      # "Go back to iteration N"
    assert good <= window.snapshot.iteration and f"go back to iteration {good}" in text
    button.click()
    wait_for(qtbot, window, good, "update" if good else "—")
    assert not banner.isVisible()


def test_key_mashing_is_bounded_and_the_count_matches_the_accepted_steps(qtbot, window):
    from PyQt6.QtWidgets import QApplication

    # A clicker's presses arrive between frames, some answered: MAX_PENDING_STEPS + 2 of them between two passes of
    # the event loop, so that some are refused however fast the worker answers (with 3, a fast one refused none).
    for press_number in range(200):
        press(qtbot, window, Qt.Key.Key_Right)
        if press_number % (MAX_PENDING_STEPS + 2) == 0:
            QApplication.processEvents()
    bridge = window.bridge
    assert bridge.accepted_steps + bridge.refused_steps == 200
    assert bridge.refused_steps > 0 and bridge.accepted_steps >= MAX_PENDING_STEPS
    qtbot.waitUntil(lambda: bridge.pending_steps == 0, timeout=TIMEOUT)
    iteration, phases = divmod(bridge.accepted_steps, 11)
    expected = "—" if bridge.accepted_steps == 0 else ("update" if phases == 0 else
                                                     ("Z1", "A1", "Z2", "A2", "dZ2", "dW2", "db2", "dZ1", "dW1",
                                                      "db1")[phases - 1])
    wait_for(qtbot, window, iteration, expected)
    assert window.snapshot.phases_done == phases


def test_a_bad_command_line_is_one_line_and_exit_2(tmp_path):
    for argv in (["--hidden", "many"], ["--data", str(tmp_path / "missing.csv")], ["--size", "huge"]):
        result = subprocess.run([sys.executable, "-m", "visualizer", *argv], capture_output=True, text=True,
                                env={**os.environ, "QT_QPA_PLATFORM": "offscreen"}, cwd=ROOT, timeout=120)
        assert result.returncode == 2, argv
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_screenshot_run_writes_the_png_and_exits_cleanly(small_csv, tmp_path):
    shot = tmp_path / "shot.png"
    result = subprocess.run([sys.executable, "-m", "visualizer", "--data", str(small_csv), "--dev-size", "50",
                             "--size", "1000x700", "--steps", "3", "--screenshot", str(shot)],
                            capture_output=True, text=True, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
                            cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "QThread" not in result.stderr
    image = QImage(str(shot))
    assert (image.width(), image.height()) == (1000, 700)


def test_presenter_flag_starts_full_screen(qapp, small_csv, tmp_path):
    shot = tmp_path / "presenter.png"
    result = subprocess.run([sys.executable, "-m", "visualizer", "--data", str(small_csv), "--dev-size", "50",
                             "--size", "700x500", "--presenter", "--steps", "1", "--screenshot", str(shot)],
                            capture_output=True, text=True, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
                            cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    image = QImage(str(shot))
    screen = qapp.primaryScreen().geometry()     # the same offscreen platform as the subprocess
    assert (image.width(), image.height()) == (screen.width(), screen.height()) != (700, 500)


def test_closing_while_playing_in_a_real_process_exits_cleanly(small_csv):
    """Also: at exit the window, bridge, worker and thread are deleted before PyQt's own clean-up, which deletes the
    parentless objects while it walks its table of them and crashed now and then with the window among them."""
    script = textwrap.dedent(f"""
        import atexit, sys
        from PyQt6 import sip
        from PyQt6.QtWidgets import QApplication
        from visualizer import create_main_window
        objects = []
        def probe():        # registered before the window's clean-up (atexit runs the latest first): runs after it
            print("deleted" if all(sip.isdeleted(o) for o in objects) else "alive", flush=True)
        atexit.register(probe)
        window = create_main_window(["--data", {str(small_csv)!r}, "--dev-size", "50"])
        objects += [window, window.bridge, window.bridge.worker, window.bridge.thread]
        window.show()
        window.bridge.play()
        def close_when_playing(snapshot):
            if snapshot.playing and snapshot.iteration >= 2:
                window.close()
        window.bridge.snapshotReady.connect(close_when_playing)
        sys.exit(QApplication.instance().exec())
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=120,
                            env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert result.returncode == 0, result.stderr
    assert "QThread: Destroyed" not in result.stderr
    assert result.stdout.split() == ["deleted"]
