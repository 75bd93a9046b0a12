"""Does the window survive a classroom? Key mashing, random use, closing at any moment, broken files, a full disk.

Every test drives the real window; the closing tests run it in a fresh process (offscreen), because what they
guard against — "QThread: Destroyed while thread is still running" — aborts the process that prints it.
"""
from __future__ import annotations

import errno
import gzip
import os
import random
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PyQt6.QtCore import Qt
from PyQt6.QtGui import QAction
from PyQt6.QtWidgets import QApplication, QComboBox, QDoubleSpinBox, QFileDialog, QLabel, QPushButton, QWidget

from core import checkpoints
from core.network import PHASES
from visualizer.bridge import MAX_PENDING_STEPS

from .test_hostile_window import answer_save, wait_for_banner

TIMEOUT = 10_000
ROOT = Path(__file__).resolve().parents[2]


def label(window, name: str) -> str:
    return window.findChild(QLabel, name).text()


def action(window, name: str) -> QAction:
    return window.findChild(QAction, name)


def phase_after(phases_done: int) -> str:
    """What phaseLabel shows once phases_done phases of the current iteration are computed."""
    return "update" if phases_done == 0 else PHASES[phases_done - 1]


def settle(qtbot, window) -> None:
    """Pause, wait for every step to be answered, then for one more request: everything before it is on screen."""
    bridge = window.bridge
    bridge.pause()
    qtbot.waitUntil(lambda: bridge.pending_steps == 0, timeout=TIMEOUT)
    index = 1 if window.snapshot.example.index != 1 else 2
    bridge.select_example("train", index)
    qtbot.waitUntil(lambda: window.snapshot.example.index == index and not window.snapshot.playing,
                    timeout=TIMEOUT)


# ------------------------------------------------------------------ key mashing and random use

def test_a_thousand_presses_stay_bounded_and_end_where_the_accepted_steps_say(qtbot, make_window):
    """→ mashed in bursts faster than the window can answer: refused presses are counted, never queued."""
    window = make_window("--size", "800x600")
    bridge = window.bridge
    most_pending = 0
    for press_number in range(1000):
        qtbot.keyClick(window, Qt.Key.Key_Right)
        most_pending = max(most_pending, bridge.pending_steps)
        if press_number % 50 == 49:
            # A breath between bursts: what was taken is answered, and the next burst is taken up to the bound.
            qtbot.waitUntil(lambda: bridge.pending_steps == 0, timeout=TIMEOUT)
    assert most_pending <= MAX_PENDING_STEPS
    assert bridge.accepted_steps + bridge.refused_steps == 1000
    assert bridge.accepted_steps >= 20 * MAX_PENDING_STEPS      # each of the twenty bursts was taken to the bound
    # No backlog: everything taken is answered within seconds of the last press.
    qtbot.waitUntil(lambda: bridge.pending_steps == 0, timeout=TIMEOUT)
    iteration, phases_done = divmod(bridge.accepted_steps, len(PHASES))
    qtbot.waitUntil(lambda: (label(window, "iterationLabel"), label(window, "phaseLabel"))
                    == (str(iteration), phase_after(phases_done)), timeout=TIMEOUT)
    assert (window.snapshot.iteration, window.snapshot.phases_done) == (iteration, phases_done)


def test_a_random_walk_over_every_control_stays_consistent(qtbot, make_window):
    """About 300 actions a restless class might take, in a seeded random order; the end state must add up."""
    window = make_window("--size", "800x600")
    speed = window.findChild(QComboBox, "speedControl")
    next_example = window.findChild(QPushButton, "nextButton")
    moves = {
        "play/pause": lambda: action(window, "playPause").trigger(),
        "reset": lambda: qtbot.keyClick(window, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier),
        "step phase": lambda: qtbot.keyClick(window, Qt.Key.Key_Right),
        "step iteration": lambda: qtbot.keyClick(window, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier),
        "step back": lambda: qtbot.keyClick(window, Qt.Key.Key_Left),
        "presenter mode": lambda: action(window, "presenterMode").trigger(),
        "select example": lambda: next_example.click(),
        "change speed": lambda: speed.setCurrentIndex(generator.randrange(speed.count())),
    }
    names = list(moves)
    weights = [4, 1, 6, 3, 4, 0.5, 2, 2]      # presenter mode and reset less often: each redoes the layout
    generator = random.Random(20261125)
    done = []
    for _ in range(300):
        name = generator.choices(names, weights)[0]
        moves[name]()
        done.append(name)
        if generator.random() < 0.25:
            QApplication.processEvents()
    assert set(done) == set(names)
    if window.presenter_action.isChecked():
        action(window, "leavePresenterMode").trigger()
    settle(qtbot, window)
    held = window.bridge.latest      # the worker is idle now: its last answer is what it holds
    assert label(window, "iterationLabel") == str(held.iteration)
    assert label(window, "phaseLabel") == (held.phase or "—")
    assert (window.snapshot.iteration, window.snapshot.phases_done) == (held.iteration, held.phases_done)
    assert action(window, "playPause").text() == "Play"
    assert not window.isFullScreen()


def test_a_long_run_keeps_memory_and_objects_bounded(qtbot, window):
    """bench/soak.py's bounds, scaled to a few seconds for every test run: 600 iterations in one window.

    Fewer QObjects at the end is fine (panels show fewer arrays after an update than mid-iteration); more is a leak.
    """
    from bench.soak import census, resident_mb

    def play_to(iteration: int) -> None:
        window.bridge.play(iteration)
        qtbot.waitUntil(lambda: window.snapshot.iteration == iteration and not window.snapshot.playing,
                        timeout=60_000)

    # Panels create some items the first time a phase or a value range needs them: count after a warm-up
    # long enough for every pool to have filled, so what grows after it can only be a leak.
    play_to(100)
    memory = resident_mb()
    play_to(400)
    before = census(window)
    play_to(700)
    after = census(window)
    assert resident_mb() - memory < 30
    assert all(after[name] <= before[name] for name in before), (before, after)
    assert window.snapshot.earliest == 0        # and every iteration can still be rewound


# ------------------------------------------------------------------ closing at any moment (fresh processes)

CLOSE_SCRIPT = """
import sys, threading, time
from pathlib import Path
from PyQt6.QtCore import QTimer
from PyQt6.QtWidgets import QApplication
import core.checkpoints
from visualizer import create_main_window

moment, data, other, target = sys.argv[1:5]
window = create_main_window(["--data", data, "--dev-size", "50"])
window.show()
bridge = window.bridge
started = threading.Event()        # set in the worker thread once the slow request is under way

def close_soon():
    QTimer.singleShot(0, window.close)

def poll_then_close():
    if started.is_set():
        close_soon()
    else:
        QTimer.singleShot(5, poll_then_close)

if moment == "play":
    bridge.snapshotReady.connect(lambda s: s.playing and s.iteration >= 2 and close_soon())
    bridge.play()
elif moment == "step":
    # A step the worker is still computing: the first snapshot after the press is not here yet.
    QTimer.singleShot(50, lambda: (bridge.step("iteration"), bridge.step("phase"), close_soon()))
elif moment == "load":
    bridge.busy.connect(lambda text: text and close_soon())
    QTimer.singleShot(50, lambda: bridge.load_data(other))
elif moment == "save":
    savez = core.checkpoints.np.savez
    def slow_savez(file, **arrays):
        started.set()
        time.sleep(0.5)            # a slow disk: the window closes while the file is being written
        savez(file, **arrays)
    core.checkpoints.np.savez = slow_savez
    QTimer.singleShot(50, lambda: (bridge.save_weights(target), poll_then_close()))
code = QApplication.instance().exec()
print("worker running after close:", bridge.thread.isRunning())
sys.exit(code)
"""


def big_csv(path: Path, rows: int = 6000) -> Path:
    """A Kaggle-style CSV of some 19 MB, written fast: loading it takes the worker a noticeable while."""
    header = "label," + ",".join(f"pixel{i}" for i in range(784)) + "\n"
    row = ",".join(["255"] * 784) + "\n"
    with open(path, "w") as file:
        file.write(header)
        for number in range(rows):
            file.write(f"{number % 10},{row}")
    return path


@pytest.mark.parametrize("moment", ["play", "step", "load", "save"])
def test_closing_at_any_moment_exits_cleanly_and_leaves_no_half_file(moment, small_csv, tmp_path):
    other = big_csv(tmp_path / "big.csv") if moment == "load" else small_csv
    target = tmp_path / "weights.npz"
    old = {"W1": np.ones((10, 784)), "b1": np.zeros((10, 1)), "W2": np.ones((10, 10)), "b2": np.zeros((10, 1))}
    checkpoints.save_weights(target, old, {"iteration": 0})
    old_bytes = target.read_bytes()
    result = subprocess.run([sys.executable, "-c", CLOSE_SCRIPT, moment, str(small_csv), str(other), str(target)],
                            capture_output=True, text=True, cwd=ROOT, timeout=120,
                            env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert result.returncode == 0, result.stderr
    assert "QThread" not in result.stderr and "Traceback" not in result.stderr, result.stderr
    assert "worker running after close: False" in result.stdout
    # The weights file is the old one or a complete new one, never a torn one; no temporary file stays behind.
    params, meta = checkpoints.load_weights(target)
    if moment == "save":
        assert target.read_bytes() != old_bytes and meta["dataset"] == str(small_csv)
    else:
        assert target.read_bytes() == old_bytes
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["weights.npz"] + (["big.csv"] if other != small_csv
                                                                                   else []))


# ------------------------------------------------------------------ broken files from the GUI

def idx_images(count: int, claimed: int | None = None, magic: int = 2051) -> bytes:
    header = struct.pack(">IIII", magic, claimed if claimed is not None else count, 28, 28)
    return header + bytes(count * 784)


def idx_labels(count: int) -> bytes:
    return struct.pack(">II", 2049, count) + bytes(count)


def write_idx(folder: Path, images: bytes, labels: bytes) -> Path:
    (folder / "train-labels-idx1-ubyte").write_bytes(labels)
    path = folder / "train-images-idx3-ubyte"
    path.write_bytes(images)
    return path


def csv_text(rows: list[list[str]]) -> str:
    header = "label," + ",".join(f"pixel{i}" for i in range(784))
    return "\n".join([header] + [",".join(row) for row in rows]) + "\n"


def good_row(label: str = "3", pixel: str = "0") -> list[str]:
    return [label] + [pixel] * 784


def good_params(hidden: int = 10) -> dict[str, np.ndarray]:
    return {"W1": np.full((hidden, 784), 0.01), "b1": np.zeros((hidden, 1)), "W2": np.full((10, hidden), 0.01),
            "b2": np.zeros((10, 1))}


def damaged_npz(path: Path) -> None:
    checkpoints.save_weights(path, good_params(), {})
    content = bytearray(path.read_bytes())
    middle = len(content) // 2
    content[middle:middle + 64] = bytes(64)      # zeros over the middle of W1's stored bytes
    path.write_bytes(bytes(content))


def write_broken(kind: str, folder: Path) -> tuple[str, Path]:
    """(which action opens it, the file) for each kind of broken input a user can pick."""
    rows = [good_row(str(n % 10)) for n in range(60)]
    if kind == "truncated IDX":
        return "openDataset", write_idx(folder, idx_images(60)[:-500], idx_labels(60))
    if kind == "wrong-magic IDX":
        return "openDataset", write_idx(folder, idx_images(60, magic=0x0000_0999), idx_labels(60))
    if kind == "IDX header claiming more than the file holds":
        return "openDataset", write_idx(folder, idx_images(60, claimed=1_000_000), idx_labels(60))
    path = folder / f"{kind.replace(' ', '-')}.csv"
    if kind == "CSV with a wrong column count":
        path.write_text(csv_text(rows[:30] + [good_row()[:500]] + rows[30:]))
    elif kind == "CSV with a text cell":
        path.write_text(csv_text(rows[:10] + [good_row()[:7] + ["seven"] + good_row()[8:]] + rows[10:]))
    elif kind == "CSV with label 10":
        path.write_text(csv_text(rows + [good_row("10")]))
    elif kind == "CSV with pixel 256":
        path.write_text(csv_text(rows + [good_row("1", "256")]))
    elif kind == "empty file":
        path.write_bytes(b"")
    elif kind == "binary file as .csv":
        path.write_bytes(gzip.compress(bytes(range(256)) * 40)[:4000] + bytes(range(256)))
    elif kind == "missing dataset file":
        path = folder / "gone.csv"
    elif kind == "npz dataset with missing keys":
        path = folder / "mnist.npz"
        np.savez(path, x_train=np.zeros((60, 28, 28), np.uint8))
    elif kind == "damaged weights npz":
        path = folder / "damaged.npz"
        damaged_npz(path)
        return "openWeights", path
    elif kind == "weights with NaN":
        path = folder / "nan.npz"
        params = good_params()
        params["W2"][3, 4] = np.nan
        np.savez(path, **params)
        return "openWeights", path
    elif kind == "weights with wrong shapes":
        path = folder / "shapes.npz"
        params = good_params()
        params["W2"] = np.zeros((10, 5))
        np.savez(path, **params)
        return "openWeights", path
    elif kind == "weights that are not a zip":
        path = folder / "text.npz"
        path.write_text("W1 = [[0.1, 0.2]]\n")
        return "openWeights", path
    return "openDataset", path


BROKEN = ["truncated IDX", "wrong-magic IDX", "IDX header claiming more than the file holds",
          "CSV with a wrong column count", "CSV with a text cell", "CSV with label 10", "CSV with pixel 256",
          "empty file", "binary file as .csv", "missing dataset file", "npz dataset with missing keys",
          "damaged weights npz", "weights with NaN", "weights with wrong shapes", "weights that are not a zip"]


@pytest.mark.parametrize("kind", BROKEN)
def test_a_broken_file_names_itself_and_changes_nothing(kind, qtbot, window, monkeypatch, tmp_path):
    action(window, "stepIteration").trigger()
    action(window, "stepPhase").trigger()
    qtbot.waitUntil(lambda: window.snapshot.phases_done == 1 and window.snapshot.iteration == 1, timeout=TIMEOUT)
    before = window.snapshot
    status = (label(window, "datasetLabel"), label(window, "iterationLabel"), label(window, "phaseLabel"))
    opener, path = write_broken(kind, tmp_path)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *args, **kwargs: (str(path), ""))
    action(window, opener).trigger()
    banner = window.findChild(QWidget, "messageBanner")
    qtbot.waitUntil(banner.isVisible, timeout=TIMEOUT)
    message = window.findChild(QLabel, "messageBannerText").text()
    assert path.name in message, message
    # The run goes on where it was: a step now continues the old run.
    action(window, "stepPhase").trigger()
    qtbot.waitUntil(lambda: window.snapshot.phases_done == 2, timeout=TIMEOUT)
    after = window.snapshot
    assert (after.dataset_name, after.train_size, after.dev_size, after.iteration, after.config) \
        == (before.dataset_name, before.train_size, before.dev_size, before.iteration, before.config)
    for name in ("W1", "b1", "W2", "b2"):
        np.testing.assert_array_equal(after.params[name], before.params[name])
    assert (label(window, "datasetLabel"), label(window, "iterationLabel")) == status[:2]
    assert label(window, "phaseLabel") == "A1"


# ------------------------------------------------------------------ divergence and saving

def test_after_divergence_going_back_and_a_sane_rate_train_on(qtbot, make_window):
    window = make_window("--alpha", "1e20")
    action(window, "playPause").trigger()
    banner = window.findChild(QWidget, "divergenceBanner")
    qtbot.waitUntil(banner.isVisible, timeout=TIMEOUT)
    qtbot.waitUntil(lambda: window.snapshot.diverged and not window.snapshot.playing, timeout=TIMEOUT)
    button = window.findChild(QPushButton, "divergenceBannerAction")
    good = int(button.text().rsplit(" ", 1)[1])      # "Go back to iteration N"
    button.click()
    qtbot.waitUntil(lambda: label(window, "iterationLabel") == str(good) and not window.snapshot.diverged,
                    timeout=TIMEOUT)
    window.findChild(QDoubleSpinBox, "learningRateSpin").setValue(0.1)
    # Going back leaves the diverged iterations after this one; a timeline may ask before a new α drops them.
    confirm = window.findChild(QPushButton, "timelineConfirmApply")
    qtbot.waitUntil(lambda: label(window, "learningRateLabel") == "α = 0.1"
                    or (confirm is not None and confirm.isVisible()), timeout=TIMEOUT)
    if label(window, "learningRateLabel") != "α = 0.1":
        confirm.click()
    qtbot.waitUntil(lambda: label(window, "learningRateLabel") == "α = 0.1", timeout=TIMEOUT)
    action(window, "playPause").trigger()
    qtbot.waitUntil(lambda: window.snapshot.iteration >= good + 5, timeout=TIMEOUT)
    action(window, "playPause").trigger()
    qtbot.waitUntil(lambda: not window.snapshot.playing, timeout=TIMEOUT)
    assert not banner.isVisible() and not window.snapshot.diverged
    assert np.isfinite(window.snapshot.loss) and window.snapshot.loss < 10
    assert all(np.all(np.isfinite(window.snapshot.params[name])) for name in ("W1", "b1", "W2", "b2"))


def test_a_save_interrupted_by_a_full_disk_keeps_the_earlier_file(qtbot, window, monkeypatch, tmp_path):
    target = tmp_path / "weights.npz"
    checkpoints.save_weights(target, good_params(), {"iteration": 0})
    earlier = target.read_bytes()

    def full_disk(file, **arrays):
        file.write(b"PK\x03\x04 the first few bytes of a zip")
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(checkpoints.np, "savez", full_disk)
    answer_save(monkeypatch, target)
    action(window, "saveWeights").trigger()
    message = wait_for_banner(qtbot, window)
    assert "weights.npz" in message and "no space left on device" in message and "unchanged" in message
    assert target.read_bytes() == earlier
    assert [p.name for p in tmp_path.iterdir()] == ["weights.npz"]


def test_saving_into_a_missing_folder_says_so(qtbot, window, monkeypatch, tmp_path):
    target = tmp_path / "no-such-folder" / "weights.npz"
    answer_save(monkeypatch, target)
    action(window, "saveWeights").trigger()
    assert "does not exist" in wait_for_banner(qtbot, window)
    assert not target.parent.exists()


def test_saving_into_a_read_only_folder_says_so_and_writes_nothing(qtbot, window, monkeypatch, tmp_path):
    # Root ignores a folder's mode bits, so the refusal the system would give is given here by mkstemp itself.
    def refused(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied")
    monkeypatch.setattr(checkpoints.tempfile, "mkstemp", refused)
    target = tmp_path / "weights.npz"
    answer_save(monkeypatch, target)
    action(window, "saveWeights").trigger()
    message = wait_for_banner(qtbot, window)
    assert "weights.npz" in message and "cannot write in the folder" in message and "permission denied" in message
    assert list(tmp_path.iterdir()) == []
