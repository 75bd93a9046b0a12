"""The worker's pacing on a clock of the test's own (the frames' rhythm is in tests/ui/test_bridge.py)."""
from __future__ import annotations

import pytest

from visualizer.pacing import CHUNK_SECONDS, UNLIMITED, Pacing
from fake_clock import FakeClock


def test_at_a_speed_limit_a_chunk_trains_only_the_iterations_due():
    clock = FakeClock()
    pacing = Pacing(clock)
    pacing.start(10)                    # 10 iterations a second
    assert pacing.timer_ms() == 50
    trained = []

    def step() -> None:
        trained.append(clock.now)
        clock.now += 0.001
    pacing.chunk(step, lambda: False, lambda: None)
    assert len(trained) == 1            # the first is due at once
    clock.now += 0.5
    pacing.chunk(step, lambda: False, lambda: None)
    assert len(trained) == 6            # 0.5 s later: five more
    pacing.chunk(step, lambda: False, lambda: None)
    assert len(trained) == 6            # and not one ahead of the schedule


def test_at_full_speed_a_chunk_trains_until_its_time_is_up_or_it_is_stopped():
    clock = FakeClock()
    pacing = Pacing(clock, chunk_seconds=2 ** -7)       # binary fractions: the sums are exact
    pacing.start(0)
    assert pacing.due() == UNLIMITED and pacing.timer_ms() == 0
    assert Pacing().chunk_seconds == CHUNK_SECONDS
    count = []

    def step() -> None:
        count.append(1)
        clock.now += 2 ** -10
    pacing.chunk(step, lambda: False, lambda: None)
    assert len(count) == 8
    pacing.chunk(step, lambda: len(count) >= 11, lambda: None)
    assert len(count) == 11


def test_iteration_time_is_a_running_average_and_decides_whether_a_frame_waits():
    clock = FakeClock()
    pacing = Pacing(clock)
    pacing.start(0)
    assert not pacing.holds_frame()             # nothing timed yet: sent at once
    for _ in range(50):
        pacing.timed(lambda: setattr(clock, "now", clock.now + 0.004))
    assert pacing.ms_per_iteration == pytest.approx(4.0)
    assert pacing.holds_frame()                 # faster than a frame: waits for the next RELEASE_PHASE
    for _ in range(50):
        pacing.timed(lambda: setattr(clock, "now", clock.now + 0.040))
    assert not pacing.holds_frame()
    pacing.start(20)
    pacing.ms_per_iteration = 4.0
    assert not pacing.holds_frame()             # at a speed limit the next iteration does not follow at once


def test_a_late_frame_does_not_make_the_next_ones_crowd_in():
    clock = FakeClock()
    pacing = Pacing(clock, frame_interval=0.025)
    pacing.frame_made()
    assert not pacing.frame_due()
    clock.now += 0.3                            # a slow frame, a pause
    assert pacing.frame_due()
    pacing.frame_made()
    clock.now += 0.024
    assert not pacing.frame_due()               # a frame after the late one, not one after the schedule
    clock.now += 0.001
    assert pacing.frame_due()


def test_while_playing_an_evaluation_stands_for_half_a_second():
    clock = FakeClock()
    pacing = Pacing(clock)
    made = clock.now
    clock.now += 0.49
    assert pacing.evaluation_fresh(made)
    clock.now += 0.02
    assert not pacing.evaluation_fresh(made)
