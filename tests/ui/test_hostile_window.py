"""The window under hostile conditions (issue 17): whatever the core or a background job raises is one line in the
banner with the run paused where it was; exports leave no half file; wide and crafted files are refused end to end.

Failures are made by monkeypatching the core in the test (a Stepper method, a reader, a save), so each kind of
request meets an exception its slot does not expect.
"""
from __future__ import annotations

from html import unescape

import numpy as np
import pytest
from PyQt6.QtGui import QAction
from PyQt6.QtWidgets import QApplication, QFileDialog, QLabel, QPushButton

import core.data
import core.session
import core.training
from core import checkpoints
from core.stepper import Stepper
from visualizer import worker as worker_module
from visualizer import snapshot as snapshot_module

from .conftest import write_kaggle_csv

TIMEOUT = 20_000


def action(window, name: str) -> QAction:
    return window.findChild(QAction, name)


def banner_text(window) -> str:
    """The banner's message as the user reads it (the label holds escaped rich text)."""
    return unescape(window.findChild(QLabel, "messageBannerText").text())


def wait_for_banner(qtbot, window) -> str:
    qtbot.waitUntil(window.message_banner.isVisible, timeout=TIMEOUT)
    return banner_text(window)


def boom(*args, **kwargs):
    raise RuntimeError("boom from the core")


def answer_open(monkeypatch, path) -> None:
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(path), ""))


def answer_save(monkeypatch, path) -> None:
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(path), ""))


# ------------------------------------------------------------------ each kind of request meets a defect

def step_phase(window, monkeypatch, tmp_path):
    monkeypatch.setattr(Stepper, "step_phase", boom)
    action(window, "stepPhase").trigger()


def step_back(window, monkeypatch, tmp_path):
    monkeypatch.setattr(Stepper, "step_back_phase", boom)
    action(window, "stepBack").trigger()


def seek(window, monkeypatch, tmp_path):
    monkeypatch.setattr(Stepper, "seek", boom)
    window.timeline.slider.setValue(0)          # the timeline sends the seek, as a drag would


def reset(window, monkeypatch, tmp_path):
    monkeypatch.setattr(worker_module, "Stepper", boom)
    window.findChild(QPushButton, "resetButton").click()


def learning_rate(window, monkeypatch, tmp_path):
    monkeypatch.setattr(Stepper, "set_alpha", boom)
    window.bridge.set_learning_rate(0.05)


def select_example(window, monkeypatch, tmp_path):
    # Every snapshot fails from now on: the window keeps the one it has, paused, and says so.
    monkeypatch.setattr(snapshot_module, "example_view", boom)
    window.bridge.select_example("train", 5)


def evaluation(window, monkeypatch, tmp_path):
    monkeypatch.setattr(worker_module, "evaluate", boom)
    window.bridge.set_evaluation(True)


def open_dataset(window, monkeypatch, tmp_path):
    def exhausted(*args, **kwargs):
        raise MemoryError()
    monkeypatch.setattr(core.data, "load", exhausted)
    answer_open(monkeypatch, write_kaggle_csv(tmp_path / "other.csv", rows=120))
    action(window, "openDataset").trigger()


def open_weights(window, monkeypatch, tmp_path):
    def too_deep(*args, **kwargs):
        raise RecursionError("maximum recursion depth exceeded")
    monkeypatch.setattr(worker_module, "adopt_weights", too_deep)
    answer_open(monkeypatch, tmp_path / "weights.npz")
    action(window, "openWeights").trigger()


def save_weights(window, monkeypatch, tmp_path):
    monkeypatch.setattr(checkpoints, "save_weights", boom)
    answer_save(monkeypatch, tmp_path / "weights.npz")
    action(window, "saveWeights").trigger()


def save_session(window, monkeypatch, tmp_path):
    monkeypatch.setattr(core.session, "save_session", boom)
    answer_save(monkeypatch, tmp_path / "session.npz")
    action(window, "saveSession").trigger()


def open_session(window, monkeypatch, tmp_path):
    def wrong_type(*args, **kwargs):
        raise TypeError("'<' not supported between instances of 'str' and 'int'")
    monkeypatch.setattr(core.session, "load_session", wrong_type)
    answer_open(monkeypatch, tmp_path / "session.npz")
    action(window, "openSession").trigger()


REQUESTS = {
    "step a phase": (step_phase, "Stepping failed (RuntimeError: boom from the core)"),
    "step back": (step_back, "Stepping failed (RuntimeError: boom from the core)"),
    "seek": (seek, "Going to an iteration failed (RuntimeError: boom from the core)"),
    "reset": (reset, "Reset failed (RuntimeError: boom from the core)"),
    "learning rate": (learning_rate, "Changing the learning rate failed (RuntimeError: boom from the core)"),
    "select an example": (select_example, "Choosing an example failed (RuntimeError: boom from the core)"),
    "evaluation": (evaluation, "The evaluation failed (RuntimeError: boom from the core)"),
    "open a dataset": (open_dataset, "Opening the dataset failed (MemoryError)"),
    "open weights": (open_weights, "Opening the weights failed (RecursionError: maximum recursion depth exceeded)"),
    "save weights": (save_weights, "Saving the weights failed (RuntimeError: boom from the core)"),
    "save a session": (save_session, "Saving the session failed (RuntimeError: boom from the core)"),
    "open a session": (open_session, "Opening the session failed (TypeError: '<' not supported between"),
}


@pytest.mark.parametrize("request_kind", REQUESTS)
def test_a_defect_in_any_request_is_one_line_in_the_banner_and_the_run_is_kept(request_kind, qtbot, window,
                                                                                  monkeypatch, tmp_path, capsys):
    action(window, "stepIteration").trigger()
    action(window, "stepIteration").trigger()
    action(window, "stepPhase").trigger()
    qtbot.waitUntil(lambda: (window.snapshot.iteration, window.snapshot.phases_done) == (2, 1), timeout=TIMEOUT)
    before = window.snapshot
    labels = {name: window.findChild(QLabel, name).text() for name in ("iterationLabel", "phaseLabel",
                                                                        "datasetLabel", "lossLabel")}
    make_it_fail, expected = REQUESTS[request_kind]
    make_it_fail(window, monkeypatch, tmp_path)
    text = wait_for_banner(qtbot, window)
    assert expected in text and "the run is kept as it was, paused" in text, text
    assert "\n" not in text and "<br" not in text and len(text) < 400
    qtbot.waitUntil(lambda: window.bridge.pending_steps == 0, timeout=TIMEOUT)
    assert action(window, "playPause").text() == "Play" and not window.snapshot.playing
    assert window.statusBar().currentMessage() == ""            # no "loading …" left behind
    after = window.snapshot
    assert (after.iteration, after.phases_done, after.phase, after.dataset_name, after.config) == \
        (before.iteration, before.phases_done, before.phase, before.dataset_name, before.config)
    for name in ("W1", "b1", "W2", "b2"):
        np.testing.assert_array_equal(after.params[name], before.params[name])
    assert {name: window.findChild(QLabel, name).text() for name in labels} == labels
    assert "Traceback" in capsys.readouterr().err           # and stderr keeps the details, for a bug report


def test_a_defect_half_way_through_an_iteration_leaves_no_half_iteration(qtbot, window, monkeypatch):
    """The iteration is undone to where it began, exactly: the next one computes what a fresh run computes."""
    broken = [True]
    original = core.training.phase_array

    def fails_at_dz1(phase, *args, **kwargs):
        if broken[0] and phase == "dZ1":
            raise FloatingPointError("underflow in a kernel")
        return original(phase, *args, **kwargs)
    monkeypatch.setattr(core.training, "phase_array", fails_at_dz1)
    action(window, "stepIteration").trigger()
    text = wait_for_banner(qtbot, window)
    assert "Stepping failed (FloatingPointError: underflow in a kernel)" in text
    assert (window.snapshot.iteration, window.snapshot.phases_done, window.snapshot.phase) == (0, 0, None)
    assert window.findChild(QLabel, "phaseLabel").text() == "—"
    broken[0] = False
    action(window, "stepIteration").trigger()
    qtbot.waitUntil(lambda: window.snapshot.iteration == 1, timeout=TIMEOUT)
    fresh = Stepper(window.snapshot.split, window.snapshot.config)
    fresh.step_iteration()
    for name in ("W1", "b1", "W2", "b2"):
        np.testing.assert_array_equal(window.snapshot.params[name], fresh.params[name])


def test_a_defect_while_playing_pauses_at_the_last_whole_iteration(qtbot, window, monkeypatch):
    original = core.training.phase_array

    def fails_in_iteration_three(phase, arrays, activation, iteration, *args, **kwargs):
        if iteration >= 3 and phase == "dW2":
            raise RuntimeError("boom while playing")
        return original(phase, arrays, activation, iteration, *args, **kwargs)
    monkeypatch.setattr(core.training, "phase_array", fails_in_iteration_three)
    action(window, "playPause").trigger()
    text = wait_for_banner(qtbot, window)
    assert "Playing failed (RuntimeError: boom while playing)" in text
    qtbot.waitUntil(lambda: not window.snapshot.playing, timeout=TIMEOUT)
    assert action(window, "playPause").text() == "Play"
    assert (window.snapshot.iteration, window.snapshot.phases_done) == (3, 0)
    assert window.findChild(QLabel, "iterationLabel").text() == "3"


# ------------------------------------------------------------------ a defect in a background job

def test_a_defect_in_the_bug_lab_is_named_in_the_banner(qtbot, window, monkeypatch):
    from visualizer.views import buglab

    monkeypatch.setattr(buglab, "run_lab", boom)
    action(window, "bugLab").trigger()
    window.findChild(QPushButton, "bugRun").click()
    assert "the bug lab failed: boom from the core" in wait_for_banner(qtbot, window)
    qtbot.waitUntil(lambda: not window.bug_lab.running, timeout=TIMEOUT)
    assert window.findChild(QPushButton, "bugRun").isEnabled()


def test_a_defect_in_the_race_is_named_in_the_banner(qtbot, window, monkeypatch):
    from visualizer.views import race

    monkeypatch.setattr(race, "Race", boom)
    action(window, "raceMode").trigger()
    window.findChild(QPushButton, "raceStart").click()
    assert "the optimizer race failed: boom from the core" in wait_for_banner(qtbot, window)
    qtbot.waitUntil(lambda: not window.classroom.race.running, timeout=TIMEOUT)


def test_a_defect_in_the_what_ifs_measurements_is_named_in_the_banner(qtbot, window, monkeypatch):
    from core import whatif

    monkeypatch.setattr(whatif, "outcome", boom)
    action(window, "stepIteration").trigger()
    qtbot.waitUntil(lambda: window.snapshot.iteration == 1, timeout=TIMEOUT)
    window.classroom.show_unit(0)
    window.findChild(QPushButton, "switchOff").click()
    assert "the what-if's measurements failed: boom from the core" in wait_for_banner(qtbot, window)


def test_a_defect_in_the_gif_export_is_named_in_the_banner_and_leaves_no_file(qtbot, window, monkeypatch, tmp_path):
    from visualizer import export

    monkeypatch.setattr(export, "diagram_snapshots", boom)
    answer_save(monkeypatch, tmp_path / "diagram.gif")
    action(window, "exportGif").trigger()
    text = wait_for_banner(qtbot, window)
    assert "diagram.gif" in text and "boom from the core" in text
    qtbot.waitUntil(lambda: not window.gif_export.running, timeout=TIMEOUT)
    assert list(tmp_path.iterdir()) == []


def test_a_defect_in_the_code_check_is_named_in_the_banner(qtbot, window, monkeypatch, tmp_path):
    from visualizer.views import check_code

    monkeypatch.setattr(check_code.CheckWork, "__call__", boom)
    learner = tmp_path / "mine.py"
    learner.write_text("def forward_prop(W1, b1, W2, b2, X):\n    pass\n")
    answer_open(monkeypatch, learner)
    action(window, "checkCode").trigger()
    assert "boom from the core" in wait_for_banner(qtbot, window)
    qtbot.waitUntil(lambda: not window.check_code.running, timeout=TIMEOUT)
    QApplication.processEvents()


# ------------------------------------------------------------------ exports: no half files, refusals said first

def disk_with(free: int):
    import shutil
    return lambda folder: shutil._ntuple_diskusage(1 << 30, (1 << 30) - free, free)


class FullDisk:
    """A file that takes `room` bytes and then fails as a full disk does."""

    def __init__(self, file, room: int):
        self.file, self.room = file, room

    def write(self, data) -> int:
        if len(data) > self.room:
            raise OSError(28, "No space left on device")
        self.room -= len(data)
        return self.file.write(data)

    def __getattr__(self, name):
        return getattr(self.file, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.file.close()


def full_disk_after(monkeypatch, module, room: int) -> None:
    """module's open_temporary hands out files that run out of room after `room` bytes."""
    original = module.open_temporary

    def opened(*args, **kwargs):
        file, temporary = original(*args, **kwargs)
        return FullDisk(file, room), temporary
    monkeypatch.setattr(module, "open_temporary", opened)


def never_painted(monkeypatch) -> None:
    from visualizer.window import files

    def painted(*args, **kwargs):
        raise AssertionError("the picture was painted although its destination is refused")
    monkeypatch.setattr(files, "write_picture", painted)


@pytest.mark.parametrize("kind", ["png", "svg"])
def test_a_picture_onto_a_folder_is_refused_in_the_banner_before_any_work(kind, qtbot, window, monkeypatch,
                                                                           tmp_path):
    folder = tmp_path / f"slides.{kind}"
    folder.mkdir()
    never_painted(monkeypatch)
    answer_save(monkeypatch, folder)
    action(window, "exportDiagramSvg" if kind == "svg" else "exportDiagram").trigger()
    text = wait_for_banner(qtbot, window)
    assert f"slides.{kind}: is a folder; give a file name such as {folder / ('diagram.' + kind)}" in text
    assert [p.name for p in tmp_path.iterdir()] == [f"slides.{kind}"] and list(folder.iterdir()) == []


def test_a_picture_for_a_disk_without_room_is_refused_and_nothing_written(qtbot, window, monkeypatch, tmp_path):
    monkeypatch.setattr(checkpoints.shutil, "disk_usage", disk_with(100_000))
    answer_save(monkeypatch, tmp_path / "diagram.png")
    action(window, "exportDiagram").trigger()
    text = wait_for_banner(qtbot, window)
    assert "diagram.png: the disk holding" in text and "98 KiB free" in text
    assert list(tmp_path.iterdir()) == []


def test_an_animation_for_a_disk_without_room_is_refused_before_any_training(qtbot, window, monkeypatch, tmp_path):
    monkeypatch.setattr(checkpoints.shutil, "disk_usage", disk_with(3 * 2**20))
    answer_save(monkeypatch, tmp_path / "diagram.gif")
    action(window, "exportGif").trigger()
    text = wait_for_banner(qtbot, window)
    assert "diagram.gif: the disk holding" in text and "3.0 MiB free; about 6.0 MiB are needed" in text
    assert window.gif_export is None and list(tmp_path.iterdir()) == []


def test_a_picture_that_fills_the_disk_half_way_leaves_the_earlier_file_and_no_temporary(qtbot, window,
                                                                                        monkeypatch, tmp_path):
    from core import checkpoints      # export writes through checkpoints.write_atomically

    target = tmp_path / "diagram.png"
    target.write_bytes(b"the earlier picture")
    full_disk_after(monkeypatch, checkpoints, room=1000)
    answer_save(monkeypatch, target)
    action(window, "exportDiagram").trigger()
    text = wait_for_banner(qtbot, window)
    assert "diagram.png: could not be written (no space left on device)" in text and "unchanged" in text
    assert target.read_bytes() == b"the earlier picture"
    assert [p.name for p in tmp_path.iterdir()] == ["diagram.png"]


def test_an_animation_onto_a_folder_is_refused_in_the_banner_before_any_training(qtbot, window, monkeypatch,
                                                                                 tmp_path):
    folder = tmp_path / "diagram.gif"
    folder.mkdir()
    answer_save(monkeypatch, folder)
    action(window, "exportGif").trigger()
    assert f"diagram.gif: is a folder; give a file name such as {folder / 'diagram-0.gif'}" in \
        wait_for_banner(qtbot, window)
    assert window.gif_export is None                       # no copy trained, no frame painted
    assert [p.name for p in tmp_path.iterdir()] == ["diagram.gif"] and list(folder.iterdir()) == []


def test_an_animation_that_fills_the_disk_says_so_and_leaves_no_part_file(qtbot, window, monkeypatch, tmp_path):
    from visualizer import gif

    full_disk_after(monkeypatch, gif, room=20_000)
    answer_save(monkeypatch, tmp_path / "diagram.gif")
    action(window, "exportGif").trigger()
    text = wait_for_banner(qtbot, window)
    assert "diagram.gif: the animation could not be written" in text and "No space left on device" in text
    qtbot.waitUntil(lambda: not window.gif_export.running, timeout=TIMEOUT)
    assert list(tmp_path.iterdir()) == []
    assert not window.gif_banner.isVisible()


def test_an_animation_whose_destination_becomes_a_folder_leaves_no_part_file(tmp_path):
    from core.checkpoints import CheckpointError
    from visualizer.gif import GifWriter

    path = tmp_path / "diagram.gif"
    writer = GifWriter(path, (8, 6))
    writer.add_frame(np.zeros((6, 8, 3), np.uint8))
    path.mkdir()                            # the export's folder changed under it
    with pytest.raises(OSError, match="is a folder"):
        writer.close()
    assert [p.name for p in tmp_path.iterdir()] == ["diagram.gif"]
    with pytest.raises(CheckpointError, match="is a folder; give a file name such as .*animation.gif"):
        GifWriter(path, (8, 6))
    assert [p.name for p in tmp_path.iterdir()] == ["diagram.gif"]


@pytest.mark.parametrize("name, export_action", [("diagram.png", "exportDiagram"), ("diagram.gif", "exportGif")])
def test_an_export_removes_the_part_files_killed_exports_left_and_keeps_live_ones(name, export_action, qtbot,
                                                                                   window, monkeypatch, tmp_path):
    import os
    import time

    fcntl = pytest.importorskip("fcntl")
    old = time.time() - 3600
    stale, fresh, locked = (tmp_path / f".{name}.{tag}.part" for tag in ("stale0000", "fresh000", "locked00"))
    other = tmp_path / ".other.png.stale000.part"
    for temporary in (stale, fresh, locked, other):
        temporary.write_bytes(b"half a picture")
    for temporary in (stale, locked, other):
        os.utime(temporary, (old, old))
    answer_save(monkeypatch, tmp_path / name)
    with open(locked, "rb") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)           # an export in progress in another window
        action(window, export_action).trigger()
        if name.endswith(".gif"):
            qtbot.waitUntil(lambda: window.gif_export is not None and not window.gif_export.running,
                            timeout=120_000)
        qtbot.waitUntil(lambda: (tmp_path / name).exists(), timeout=TIMEOUT)
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == sorted([name, fresh.name, locked.name, other.name])


# ------------------------------------------------------------------ wide and crafted files, end to end

def wide_weights(path, hidden: int):
    rng = np.random.default_rng(0)
    np.savez(path, W1=rng.normal(0, 0.01, (hidden, 784)).astype(np.float32), b1=np.zeros((hidden, 1), np.float32),
             W2=rng.normal(0, 0.1, (10, hidden)).astype(np.float32), b2=np.zeros((10, 1), np.float32))
    return path


def session_file(path, csv, config=None):
    """A session of a fresh run on the window's test data, saved as the window saves one."""
    from dataclasses import asdict

    from core.config import TrainingConfig
    from visualizer.splits import DataOptions, load_split

    options = DataOptions(dev_size=50)
    stepper = Stepper(load_split(str(csv), options, "float32"), config or TrainingConfig())
    core.session.save_session(path, stepper, str(csv), {"data_options": asdict(options)})
    return path


def crafted_session(path, csv, change):
    """A real session whose meta and arrays change(meta, arrays) rewrites, as an attacker would."""
    import json

    with np.load(session_file(path.with_name("base.npz"), csv), allow_pickle=False) as archive:
        arrays = {name: archive[name] for name in archive.files}
    meta = json.loads(str(arrays.pop("meta")))
    arrays = change(meta, arrays)
    np.savez(path, meta=np.array(json.dumps(meta)), **arrays)
    return path


def session_at_iteration(tmp_path, csv, iteration: int):
    """A session whose run starts, and stands, at `iteration`."""
    def change(meta, arrays):
        meta["history"].update(start=iteration, latest=iteration, keyframes=[iteration], recent=[iteration])
        meta.update(iteration=iteration, rewindable_from=iteration)
        arrays = {name.replace("state_0_", f"state_{iteration}_"): value for name, value in arrays.items()}
        arrays["alpha_iterations"] = np.array([iteration], np.int64)
        return arrays
    return crafted_session(tmp_path / f"at-{iteration}.npz", csv, change)


def assert_run_kept(window, before) -> None:
    after = window.snapshot
    assert (after.iteration, after.phases_done, after.config, after.dataset_name) == \
        (before.iteration, before.phases_done, before.config, before.dataset_name)
    assert window.findChild(QLabel, "iterationLabel").text() == str(before.iteration)
    assert window.timeline.slider.maximum() == before.latest


@pytest.mark.parametrize("hidden", [129, 4096])
def test_weights_wider_than_the_window_are_refused_with_a_message(hidden, qtbot, window, monkeypatch, tmp_path):
    before = window.snapshot
    answer_open(monkeypatch, wide_weights(tmp_path / f"wide-{hidden}.npz", hidden))
    action(window, "openWeights").trigger()
    text = wait_for_banner(qtbot, window)
    assert f"wide-{hidden}.npz: has {hidden:,} hidden units; at most 128 can be used here" in text
    assert_run_kept(window, before)


def test_a_session_wider_than_the_window_is_refused_with_a_message(qtbot, window, monkeypatch, tmp_path, small_csv):
    from core.config import TrainingConfig

    before = window.snapshot
    answer_open(monkeypatch, session_file(tmp_path / "wide.npz", small_csv, TrainingConfig(hidden=129)))
    action(window, "openSession").trigger()
    text = wait_for_banner(qtbot, window)
    assert "wide.npz: its network has 129 hidden units; at most 128 can be used here" in text
    assert_run_kept(window, before)


def test_wide_weights_on_the_command_line_are_one_line_and_exit_code_2(in_child, tmp_path):
    path = wide_weights(tmp_path / "wide.npz", 129)
    result = in_child(f"import sys; from visualizer.__main__ import main; "
                      f"sys.exit(main(['--init', {str(path)!r}, '--size', '800x600']))", timeout=60)
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines() == [
        f"backprop-visualizer: error: {path}: has 129 hidden units; at most 128 can be used here"]


def test_a_session_past_the_timelines_32_bits_never_reaches_it(qtbot, window, monkeypatch, tmp_path, small_csv):
    before = window.snapshot
    answer_open(monkeypatch, session_at_iteration(tmp_path, small_csv, 2**31))
    action(window, "openSession").trigger()
    text = wait_for_banner(qtbot, window)
    assert "at-2147483648.npz" in text and "2,147,483,647" in text
    assert_run_kept(window, before)


def test_a_session_at_the_timelines_last_iteration_opens_and_stops_there(qtbot, window, monkeypatch, tmp_path,
                                                                         small_csv):
    last = 2**31 - 1
    answer_open(monkeypatch, session_at_iteration(tmp_path, small_csv, last))
    action(window, "openSession").trigger()
    qtbot.waitUntil(lambda: window.snapshot.iteration == last, timeout=TIMEOUT)
    assert window.findChild(QLabel, "iterationLabel").text() == str(last)
    assert window.timeline.slider.maximum() == last and window.timeline.slider.value() == last
    for step in ("stepIteration", "playPause"):
        window.message_banner.hide()
        action(window, step).trigger()
        text = wait_for_banner(qtbot, window)
        assert "Iteration 2,147,483,647 is the last one the timeline can hold" in text
        qtbot.waitUntil(lambda: not window.snapshot.playing, timeout=TIMEOUT)
        assert action(window, "playPause").text() == "Play"
        assert window.snapshot.iteration == last and window.findChild(QLabel, "iterationLabel").text() == str(last)
    action(window, "stepPhase").trigger()                   # the phases of the iteration can still be shown
    qtbot.waitUntil(lambda: window.snapshot.phase == "Z1", timeout=TIMEOUT)


@pytest.mark.parametrize("field, value, named", [("hidden", True, "hidden"), ("seed", "abc", "seed"),
                                                 ("seed", 1.5, "seed"), ("batch_size", 10**30, "batch size"),
                                                 ("alpha", -1, "learning rate")])
def test_a_session_with_a_crafted_setting_names_the_field_and_the_panel_keeps_its_values(field, value, named, qtbot,
                                                                                       window, monkeypatch,
                                                                                       tmp_path, small_csv):
    """Issue 17: "hidden": true, "seed": "abc" or 1.5, "batch_size": 10**30 made the configuration panel raise and
    show stale values."""
    def change(meta, arrays):
        meta["config"][field] = value
        return arrays
    before = window.snapshot
    panel = window.config_panel.current
    answer_open(monkeypatch, crafted_session(tmp_path / "crafted.npz", small_csv, change))
    action(window, "openSession").trigger()
    text = wait_for_banner(qtbot, window)
    assert "crafted.npz: the saved configuration is not usable" in text and named in text, text
    assert_run_kept(window, before)
    assert window.config_panel.current == panel


FIFO_START = """
import sys
from PyQt6.QtCore import QEventLoop, QTimer
from PyQt6.QtWidgets import QLabel
from visualizer import create_main_window
from visualizer.settings import Settings

fifo, session = sys.argv[1:3]
window = create_main_window(["--dev-size", "50", "--size", "800x600"])
print("title:", window.windowTitle())
print("banner:", window.findChild(QLabel, "messageBannerText").text())
print("remembered:", Settings().dataset)
messages = []
loop = QEventLoop()

def failed(text):
    messages.append(text)
    if len(messages) == 3:
        loop.quit()

window.bridge.failed.connect(failed)
window.bridge.load_data(fifo)
window.bridge.load_weights(fifo)
window.bridge.load_session(session)
QTimer.singleShot(60_000, loop.quit)
loop.exec()
for message in messages:
    print("failed:", message)
window.close()
print("worker running after close:", window.bridge.thread.isRunning())
"""


def test_a_remembered_fifo_never_blocks_a_start_and_is_forgotten(in_child, tmp_path, small_csv):
    """Issue 17: a remembered last dataset that is a FIFO hung every start before any window appeared. Run in a
    child process with a time limit: a regression fails the test instead of hanging the suite."""
    import dataclasses
    import os

    from core.config import TrainingConfig
    from visualizer.settings import Settings
    from visualizer.splits import DataOptions, load_split

    fifo = tmp_path / "digits.csv"
    os.mkfifo(fifo)
    settings = Settings()
    settings.dataset = str(fifo)
    settings.sync()
    session = tmp_path / "names-a-fifo.npz"
    stepper = Stepper(load_split(str(small_csv), DataOptions(dev_size=50), "float32"), TrainingConfig())
    core.session.save_session(session, stepper, str(fifo), {"data_options": dataclasses.asdict(DataOptions(50))})
    result = in_child(FIFO_START.replace("sys.argv[1:3]", repr([str(fifo), str(session)])), timeout=90)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "title: Backprop Visualizer — mnist-sample" in out
    banner = unescape(out.split("banner: ", 1)[1].splitlines()[0])
    assert "could not be opened, so this is mnist-sample (it is forgotten)" in banner
    assert f"{fifo}: is a named pipe (FIFO), not a file" in banner
    assert "remembered: None" in out
    failures = [line for line in out.splitlines() if line.startswith("failed:")]
    assert len(failures) == 3 and all("named pipe (FIFO)" in line and str(fifo) in line for line in failures), out
    assert "worker running after close: False" in out
