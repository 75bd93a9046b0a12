"""The bridge: requests in, immutable snapshots out, the core in a worker thread that always stops."""
from __future__ import annotations

import numpy as np
import pytest
from PyQt6.QtCore import Qt

from core.config import TrainingConfig
from core.network import PHASES
from core.stepper import Stepper
from visualizer.bridge import MAX_PENDING_STEPS, Bridge
from visualizer.pacing import SNAPSHOT_INTERVAL
from visualizer.worker import RELEASE_PHASE
from visualizer.pacing import Pacing
from fake_clock import FakeClock

TIMEOUT = 10_000


@pytest.fixture
def bridge(qtbot, tiny_split):
    bridge = Bridge(Stepper(tiny_split, TrainingConfig()))
    qtbot.waitUntil(lambda: bridge.latest is not None, timeout=TIMEOUT)
    yield bridge
    bridge.shutdown()
    assert not bridge.thread.isRunning()


def settled(qtbot, bridge: Bridge) -> None:
    qtbot.waitUntil(lambda: bridge.pending_steps == 0, timeout=TIMEOUT)


def test_the_first_snapshot_shows_iteration_zero_before_any_phase(bridge):
    assert (bridge.latest.iteration, bridge.latest.phase, bridge.latest.next_phase) == (0, None, "Z1")


def test_three_phase_steps_compute_z1_a1_z2(qtbot, bridge):
    for _ in range(3):
        assert bridge.step("phase")
        settled(qtbot, bridge)
    assert (bridge.latest.iteration, bridge.latest.phases_done, bridge.latest.phase) == (0, 3, "Z2")


def test_an_iteration_step_finishes_with_the_update_and_back_undoes_it(qtbot, bridge):
    bridge.step("iteration")
    settled(qtbot, bridge)
    assert (bridge.latest.iteration, bridge.latest.phase) == (1, "update")
    bridge.step("back")
    settled(qtbot, bridge)
    assert (bridge.latest.iteration, bridge.latest.phases_done, bridge.latest.phase) == (0, 10, "db1")


def test_steps_beyond_the_bound_are_refused_not_queued(qtbot, bridge):
    # Without the event loop running, no answer arrives: only MAX_PENDING_STEPS presses are taken.
    taken = [bridge.step("phase") for _ in range(3 * MAX_PENDING_STEPS)]
    assert taken.count(True) == MAX_PENDING_STEPS == bridge.accepted_steps
    assert bridge.refused_steps == 2 * MAX_PENDING_STEPS
    settled(qtbot, bridge)
    qtbot.waitUntil(lambda: bridge.latest.phases_done == MAX_PENDING_STEPS, timeout=TIMEOUT)
    assert bridge.step("phase")     # answered, so stepping is possible again


def test_snapshots_are_not_changed_by_later_training(qtbot, bridge):
    bridge.step("iteration")
    settled(qtbot, bridge)
    snapshot = bridge.latest
    W1 = np.array(snapshot.params["W1"])
    dW1 = np.array(snapshot.record.arrays["dW1"])
    with pytest.raises(ValueError):
        snapshot.params["W1"][0, 0] = 1.0
    for _ in range(3):
        bridge.step("iteration")
        settled(qtbot, bridge)
    assert bridge.latest.iteration == 4
    np.testing.assert_array_equal(snapshot.params["W1"], W1)
    np.testing.assert_array_equal(snapshot.record.arrays["dW1"], dW1)


def test_play_trains_and_pause_stops(qtbot, bridge):
    bridge.play()
    qtbot.waitUntil(lambda: bridge.latest.playing and bridge.latest.iteration >= 5, timeout=TIMEOUT)
    with qtbot.waitSignal(bridge.snapshotReady, timeout=TIMEOUT, check_params_cb=lambda s: not s.playing):
        bridge.pause()
    stopped_at = bridge.latest.iteration
    # Any later request is answered after the pause: the count did not move in between.
    with qtbot.waitSignal(bridge.snapshotReady, timeout=TIMEOUT):
        bridge.select_example("train", 3)
    assert bridge.latest.iteration == stopped_at
    assert bridge.latest.example.index == 3


def test_play_with_a_target_stops_exactly_there(qtbot, bridge):
    bridge.step("phase")
    settled(qtbot, bridge)
    bridge.play(7)
    qtbot.waitUntil(lambda: not bridge.latest.playing and bridge.latest.iteration == 7, timeout=TIMEOUT)
    assert bridge.latest.phases_done == 0


def test_learning_rate_change_applies_to_the_next_update(qtbot, bridge):
    with qtbot.waitSignal(bridge.snapshotReady, timeout=TIMEOUT):
        bridge.set_learning_rate(0.5)
    assert bridge.latest.alpha == 0.5 and bridge.latest.config.alpha == 0.5
    assert bridge.latest.config.hidden == 10


def test_reset_restarts_at_iteration_zero_with_the_new_configuration(qtbot, bridge):
    bridge.step("iteration")
    settled(qtbot, bridge)
    with qtbot.waitSignal(bridge.snapshotReady, timeout=TIMEOUT):
        bridge.reset(TrainingConfig(hidden=24, activation="tanh"))
    assert bridge.latest.iteration == 0
    assert bridge.latest.params["W1"].shape == (24, 784)
    assert bridge.latest.config.activation == "tanh"


def test_divergence_pauses_and_says_where_and_seek_goes_back(qtbot, bridge):
    bridge.reset(TrainingConfig(alpha=1e20))   # 1e6 only makes the loss huge
    with qtbot.waitSignal(bridge.diverged, timeout=TIMEOUT) as blocker:
        bridge.play()
    message, good = blocker.args
    assert f"iteration {good}" in message and "learning rate" in message
    qtbot.waitUntil(lambda: bridge.latest.diverged, timeout=TIMEOUT)
    assert not bridge.latest.playing
    with qtbot.waitSignal(bridge.snapshotReady, timeout=TIMEOUT):
        bridge.seek(good)
    assert (bridge.latest.iteration, bridge.latest.phases_done, bridge.latest.diverged) == (good, 0, False)
    assert all(np.isfinite(value).all() for value in bridge.latest.params.values())
    # From there a sensible learning rate trains on without diverging.
    bridge.set_learning_rate(0.1)
    bridge.play(good + 3)
    qtbot.waitUntil(lambda: bridge.latest.iteration == good + 3 and not bridge.latest.playing, timeout=TIMEOUT)
    assert not bridge.latest.diverged and np.isfinite(bridge.latest.loss)


def test_a_broken_dataset_is_reported_and_the_old_one_kept(qtbot, bridge, tmp_path):
    broken = tmp_path / "broken.csv"
    broken.write_text("label,pixel0\n3,not-a-number\n")
    bridge.step("iteration")
    settled(qtbot, bridge)
    with qtbot.waitSignal(bridge.failed, timeout=TIMEOUT) as blocker:
        bridge.load_data(str(broken))
    assert "broken.csv" in blocker.args[0] and "\n" not in blocker.args[0]
    with qtbot.waitSignal(bridge.snapshotReady, timeout=TIMEOUT):
        bridge.select_example("train", 0)
    assert (bridge.latest.dataset_name, bridge.latest.iteration) == ("tiny", 1)


def test_seek_outside_the_history_is_an_error_not_a_crash(qtbot, bridge):
    with qtbot.waitSignal(bridge.failed, timeout=TIMEOUT) as blocker:
        bridge.seek(50)
    assert "50" in blocker.args[0]


def test_shutdown_while_playing_ends_the_thread(qtbot, tiny_split):
    bridge = Bridge(Stepper(tiny_split, TrainingConfig()))
    bridge.play()
    qtbot.waitUntil(lambda: bridge.latest is not None and bridge.latest.playing, timeout=TIMEOUT)
    bridge.shutdown()
    assert bridge.thread.isFinished()
    assert not bridge.step("phase")     # nothing is sent to a stopped worker
    bridge.shutdown()                   # twice is harmless


def test_phases_follow_the_network_order(qtbot, bridge):
    seen = []
    for _ in PHASES:
        bridge.step("phase")
        settled(qtbot, bridge)
        seen.append(bridge.latest.phase)
    assert tuple(seen) == PHASES


class CountingPacing(Pacing):
    """The worker's pacing, counting the iterations it times: how far the worker has trained, seen without a
    snapshot (an int the worker thread writes, read here whole)."""

    def __init__(self) -> None:
        super().__init__()
        self.iterations = 0

    def timed(self, step) -> None:
        super().timed(step)
        self.iterations += 1


def test_a_paced_bridge_makes_one_snapshot_per_frame_taken_while_playing(qtbot, tiny_split):
    """A window sets paced and calls frame_taken() at each frame: the worker copies out no snapshot nobody shows."""
    pacing = CountingPacing()
    bridge = Bridge(Stepper(tiny_split, TrainingConfig()), pacing=pacing)
    try:
        qtbot.waitUntil(lambda: bridge.latest is not None, timeout=TIMEOUT)
        received = []
        bridge.snapshotReady.connect(received.append)
        bridge.paced = True
        bridge.play()
        qtbot.waitUntil(lambda: any(snapshot.playing for snapshot in received), timeout=TIMEOUT)
        # Dozens of snapshot intervals of training (an iteration takes ~1 ms), and no frame taken.
        trained = pacing.iterations
        qtbot.waitUntil(lambda: pacing.iterations >= trained + 60, timeout=TIMEOUT)
        assert len(received) <= 2       # the one saying playing started (and at most one already made)
        for frame in range(3):
            count = len(received)
            bridge.frame_taken()
            qtbot.waitUntil(lambda: len(received) == count + 1, timeout=TIMEOUT)
            trained = pacing.iterations
            qtbot.waitUntil(lambda: pacing.iterations >= trained + 30, timeout=TIMEOUT)
            assert len(received) == count + 1
            assert received[-1].iteration > received[-2].iteration      # training went on in between
        with qtbot.waitSignal(bridge.snapshotReady, timeout=TIMEOUT, check_params_cb=lambda s: not s.playing):
            bridge.pause()              # a pause (like a step) answers at once, taken or not
    finally:
        bridge.shutdown()


def frames_sent(qtbot, bridge: Bridge, count: int = 6) -> list[tuple[int, str, int]]:
    """Plays until `count` frames were sent: (the snapshot's iteration, the phase the worker computes next, its
    iteration) for each, seen in the worker thread as it sends them. The first, which says playing started, is left
    out."""
    worker, sent = bridge.worker, []
    worker.snapshotReady.connect(
        lambda s: sent.append((s.iteration, worker.stepper.next_phase, worker.stepper.iteration, s.playing)),
        Qt.ConnectionType.DirectConnection)
    bridge.play()
    qtbot.waitUntil(lambda: sum(playing for *_, playing in sent) > count, timeout=TIMEOUT)
    bridge.pause()
    qtbot.waitUntil(lambda: not bridge.latest.playing, timeout=TIMEOUT)
    return [tuple(frame) for *frame, playing in sent if playing][1:]


def test_at_full_speed_a_frame_is_sent_as_the_next_iterations_dW1_starts(qtbot, bridge):
    """Made at the end of an iteration and sent as the next one's longest NumPy call starts (see bridge.py)."""
    assert RELEASE_PHASE == "dW1"
    frames = frames_sent(qtbot, bridge)
    assert frames and all(phase == "dW1" and now == made for made, phase, now in frames)


@pytest.mark.parametrize("speed, interval", [(50, SNAPSHOT_INTERVAL), (0, 1e-6)])
def test_a_frame_is_sent_at_once_when_the_next_iteration_does_not_follow_at_once_or_takes_a_frame(
        qtbot, tiny_split, speed, interval):
    bridge = Bridge(Stepper(tiny_split, TrainingConfig()), pacing=Pacing(frame_interval=interval))  # 1e-6: every
    try:                                                                   # iteration takes longer than a frame
        qtbot.waitUntil(lambda: bridge.latest is not None, timeout=TIMEOUT)
        bridge.set_speed(speed)
        frames = frames_sent(qtbot, bridge, 3)
        assert frames and all(phase == "Z1" and now == made for made, phase, now in frames)
    finally:
        bridge.shutdown()


@pytest.mark.parametrize("iteration_ms", [2, 10, 13, 27, 45])
def test_playing_frames_come_every_snapshot_interval_on_average_whatever_an_iteration_takes(iteration_ms):
    """The worker's pacing on a clock of the test's own, as the worker uses it (Worker._play_chunk, _frame and
    _release): iterations that take iteration_ms, and a window that shows each frame at once."""
    clock = FakeClock()
    pacing = Pacing(clock)
    pacing.start(0)
    sent: list[tuple[float, str]] = []
    state = {"taken": True, "trained": False, "held": False}

    def iteration() -> None:
        clock.now += iteration_ms / 1000
        if state["held"]:               # RELEASE_PHASE starts: the frame held back is sent, and shown at once
            state["held"], state["taken"] = False, True
            sent.append((clock.now, RELEASE_PHASE))
        state["trained"] = True

    def frame() -> None:
        if not (state["taken"] and state["trained"] and pacing.frame_due()):
            return
        pacing.frame_made()
        state["taken"] = state["trained"] = False
        if pacing.holds_frame():
            state["held"] = True
        else:                           # sent now: the next iteration has not started ("Z1" comes next)
            state["taken"] = True
            sent.append((clock.now, "Z1"))

    for _ in range(3000):
        pacing.chunk(iteration, lambda: False, frame)
        frame()                         # as the worker does at the end of a chunk
    times = np.array([now for now, _ in sent[1:]])
    spacing = np.diff(times)
    if iteration_ms < 1000 * SNAPSHOT_INTERVAL:
        assert {phase for _, phase in sent[1:]} == {RELEASE_PHASE}
        assert abs(spacing.mean() - SNAPSHOT_INTERVAL) < 0.0005
        assert spacing.max() <= SNAPSHOT_INTERVAL + iteration_ms / 1000 + 1e-9
    else:                               # one a frame is more than one an iteration: each iteration shows
        assert {phase for _, phase in sent[1:]} == {"Z1"}
        np.testing.assert_allclose(spacing, iteration_ms / 1000)
    assert len(times) > 100


@pytest.mark.parametrize("request_", ["load_data", "load_weights", "load_session", "seek"])
def test_a_request_that_fails_while_playing_leaves_the_run_shown_paused(qtbot, bridge, tmp_path, request_):
    """Each stops the playing before it tries; when it fails, the window must not go on saying the run plays
    (pressing Pause would then do nothing)."""
    broken = tmp_path / "broken.npz"
    broken.write_bytes(b"not a file of any kind")
    bridge.play()
    qtbot.waitUntil(lambda: bridge.latest.playing and bridge.latest.iteration > 0, timeout=TIMEOUT)
    before = bridge.latest.config
    with qtbot.waitSignal(bridge.failed, timeout=TIMEOUT):
        if request_ == "seek":
            bridge.seek(10 ** 9)
        else:
            getattr(bridge, request_)(str(broken))
    assert not bridge.latest.playing and not bridge.playing
    shown = bridge.latest
    with qtbot.waitSignal(bridge.snapshotReady, timeout=TIMEOUT):
        bridge.select_example("train", 1)       # the worker answers with what it holds now
    assert bridge.latest.iteration == shown.iteration and not bridge.latest.playing   # what it holds, shown
    assert bridge.latest.config == before                               # nothing else changed


def test_an_unpaced_bridge_sends_snapshots_as_it_plays(qtbot, bridge):
    received = []
    bridge.snapshotReady.connect(received.append)
    bridge.play()
    qtbot.waitUntil(lambda: sum(snapshot.playing for snapshot in received) >= 10, timeout=TIMEOUT)
    bridge.pause()
    qtbot.waitUntil(lambda: not bridge.latest.playing, timeout=TIMEOUT)
