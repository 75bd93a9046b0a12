"""The window's frame policy on a clock of the test's own: which layers each frame redraws while playing."""
from __future__ import annotations

from visualizer.frames import EVERYTHING, INTERVALS, RACE_INTERVALS, Frame, FramePolicy
from fake_clock import FakeClock


def test_a_frame_that_is_not_playing_draws_everything():
    policy = FramePolicy(FakeClock())
    frame = policy.frame(playing=False)
    assert frame is EVERYTHING and not frame.playing
    assert all(frame.shows(layer) for layer in (*INTERVALS, "anything else"))


def test_the_first_playing_frame_after_a_step_draws_only_the_live_panels():
    """A step drew everything: the slow layers wait their interval from there."""
    clock = FakeClock()
    policy = FramePolicy(clock)
    policy.frame(playing=False)
    clock.now += 0.01
    frame = policy.frame(playing=True)
    assert frame.playing and frame.due == frozenset()
    assert not frame.shows("diagram") and not frame.shows("details") and not frame.shows("numbers")


def test_each_layer_is_due_once_per_interval_while_playing():
    clock, step = FakeClock(), 0.004
    policy = FramePolicy(clock)
    policy.frame(playing=False)
    seconds = 10.0
    counts = dict.fromkeys(INTERVALS, 0)
    for _ in range(round(seconds / step)):
        clock.now += step
        for layer in policy.frame(playing=True).due:
            counts[layer] += 1
    for layer, interval in INTERVALS.items():
        assert abs(counts[layer] - seconds / interval) <= seconds / interval * 0.05 + 1, (layer, counts[layer])


def test_a_panels_parts_are_due_only_with_it():
    """The diagram's numbers are not used up in a frame that does not draw the diagram."""
    clock = FakeClock()
    policy = FramePolicy(clock, {"diagram": 1.0, "diagram.numbers": 0.1, "curves.readout": 0.1})
    policy.frame(playing=False)
    clock.now += 0.5
    assert policy.frame(playing=True).due == {"curves.readout"}
    clock.now += 0.5
    assert policy.frame(playing=True).due == {"diagram", "diagram.numbers", "curves.readout"}
    clock.now += 0.2
    assert policy.frame(playing=True).due == {"curves.readout"}


def test_a_frame_of_every_panel_draws_the_diagram_and_restarts_its_interval():
    clock = FakeClock()
    policy = FramePolicy(clock, {"details": 1.0, "diagram": 0.75})
    policy.frame(playing=False)
    clock.now += 1.0
    assert policy.frame(playing=True).due == {"details", "diagram"}
    clock.now += 0.5
    assert policy.frame(playing=True).due == frozenset()      # 0.5 since the diagram was last drawn
    clock.now += 0.25
    assert policy.frame(playing=True).due == {"diagram"}


def test_the_race_draws_its_diagrams_four_times_a_second():
    assert RACE_INTERVALS["diagram"] == 0.25 and "details" not in RACE_INTERVALS
    assert Frame(playing=True, due=frozenset({"diagram"})).shows("diagram")
