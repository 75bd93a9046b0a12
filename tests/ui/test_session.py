"""Save session / Open session through the bridge: the run comes back where it was, on its own data, and goes on."""
from __future__ import annotations

import shutil

import numpy as np
import pytest

from core.config import TrainingConfig
from core.stepper import Stepper
from visualizer.bridge import Bridge
from visualizer.splits import DataOptions, load_split

TIMEOUT = 10_000
OPTIONS = DataOptions(dev_size=50, seed=4)
CONFIG = TrainingConfig(optimizer="momentum", alpha=0.05, batch_size=100, seed=2)


@pytest.fixture
def data_file(tmp_path, small_csv):
    """A copy of the small CSV that a test may delete."""
    return shutil.copy(small_csv, tmp_path / "digits.csv")


@pytest.fixture
def bridge(qtbot, data_file):
    bridge = Bridge(Stepper(load_split(str(data_file), OPTIONS, CONFIG.dtype), CONFIG), OPTIONS)
    qtbot.waitUntil(lambda: bridge.latest is not None, timeout=TIMEOUT)
    yield bridge
    bridge.shutdown()
    assert not bridge.thread.isRunning()


def steps(qtbot, bridge: Bridge, kind: str, count: int) -> None:
    for _ in range(count):
        assert bridge.step(kind)
        qtbot.waitUntil(lambda: bridge.pending_steps == 0, timeout=TIMEOUT)


def test_an_opened_session_comes_back_where_it_was_saved_and_goes_on_bit_for_bit(qtbot, bridge, data_file,
                                                                                  tmp_path):
    path = str(tmp_path / "lesson.npz")
    steps(qtbot, bridge, "iteration", 6)
    steps(qtbot, bridge, "phase", 5)
    bridge.select_example("dev", 7)
    qtbot.waitUntil(lambda: bridge.latest.example.subset == "dev", timeout=TIMEOUT)
    saved = bridge.latest
    with qtbot.waitSignal(bridge.notice, timeout=TIMEOUT) as notice:
        bridge.save_session(path)
    assert notice.args[0].startswith(f"Saved the session at iteration 6 to {path}")

    # Something else happens meanwhile: another configuration, trained further.
    bridge.reset(TrainingConfig(hidden=4))
    steps(qtbot, bridge, "iteration", 3)
    assert bridge.latest.config.hidden == 4

    with qtbot.waitSignal(bridge.notice, timeout=TIMEOUT) as notice:
        bridge.load_session(path)
    assert f"Opened the session {path}: iteration 6" in notice.args[0]
    opened = bridge.latest
    assert (opened.iteration, opened.phases_done, opened.phase) == (6, 5, "dZ2")
    assert opened.config == CONFIG and opened.dataset_name == str(data_file)
    assert (opened.example.subset, opened.example.index) == ("dev", 7)
    np.testing.assert_array_equal(opened.record.arrays["dZ2"], saved.record.arrays["dZ2"])
    np.testing.assert_array_equal(opened.curves.loss, saved.curves.loss)

    steps(qtbot, bridge, "iteration", 3)
    straight = Stepper(load_split(str(data_file), OPTIONS, CONFIG.dtype), CONFIG)
    straight.run(9)
    assert bridge.latest.iteration == 9
    for name in straight.params:
        np.testing.assert_array_equal(bridge.latest.params[name], straight.params[name])
    # and back in time, within what was saved
    bridge.seek(2)
    qtbot.waitUntil(lambda: bridge.latest.iteration == 2, timeout=TIMEOUT)
    straight.seek(2)
    np.testing.assert_array_equal(bridge.latest.params["W1"], straight.params["W1"])


def test_a_broken_session_file_fails_with_its_name_and_the_run_is_kept(qtbot, bridge, tmp_path):
    steps(qtbot, bridge, "iteration", 2)
    before = bridge.latest
    broken = tmp_path / "broken.npz"
    broken.write_bytes(b"PK\x03\x04 this zip was cut short")
    with qtbot.waitSignal(bridge.failed, timeout=TIMEOUT) as failure:
        bridge.load_session(str(broken))
    assert failure.args[0].startswith(f"{broken}: ") and "\n" not in failure.args[0]
    steps(qtbot, bridge, "iteration", 1)
    assert bridge.latest.iteration == before.iteration + 1 and bridge.latest.config == before.config


def test_a_session_whose_data_is_gone_says_which_dataset_and_which_file(qtbot, bridge, data_file, tmp_path):
    path = tmp_path / "lesson.npz"
    steps(qtbot, bridge, "iteration", 1)
    with qtbot.waitSignal(bridge.notice, timeout=TIMEOUT):
        bridge.save_session(str(path))
    data_file.unlink()
    with qtbot.waitSignal(bridge.failed, timeout=TIMEOUT) as failure:
        bridge.load_session(str(path))
    assert failure.args[0].startswith(f"{path}: the session's dataset {data_file} cannot be loaded")
    assert bridge.latest.iteration == 1


def test_opening_a_session_while_playing_pauses_and_shows_the_session(qtbot, bridge, tmp_path):
    path = str(tmp_path / "start.npz")
    with qtbot.waitSignal(bridge.notice, timeout=TIMEOUT):
        bridge.save_session(path)
    bridge.play()
    qtbot.waitUntil(lambda: bridge.latest.playing and bridge.latest.iteration >= 3, timeout=TIMEOUT)
    with qtbot.waitSignal(bridge.notice, timeout=TIMEOUT):
        bridge.load_session(path)
    assert (bridge.latest.iteration, bridge.latest.playing, bridge.playing) == (0, False, False)


def test_saving_into_a_missing_folder_fails_with_the_file_name(qtbot, bridge, tmp_path):
    path = tmp_path / "no such folder" / "lesson.npz"
    with qtbot.waitSignal(bridge.failed, timeout=TIMEOUT) as failure:
        bridge.save_session(str(path))
    assert failure.args[0].startswith(f"{path}: ") and "does not exist" in failure.args[0]
