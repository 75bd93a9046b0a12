"""The optimizer race: two Steppers from the same weights, stepped one iteration each per race step."""
from __future__ import annotations

import re

import numpy as np
import pytest

from core.config import TrainingConfig
from core.data import Split
from core.network import PARAMETERS
from core.race import Race, lane_name
from core.stepper import Stepper

BASE = TrainingConfig(seed=3)
GD = BASE                                              # the notebook: gradient descent, α 0.1
ADAM = BASE.with_changes(optimizer="adam", alpha=0.001)  # the TensorFlow version


def assert_same_state(stepper: Stepper, lone: Stepper) -> None:
    assert stepper.iteration == lone.iteration
    for name in PARAMETERS:
        assert np.array_equal(stepper.params[name], lone.params[name]), name
    assert stepper.state.optimizer.keys() == lone.state.optimizer.keys()
    for name, value in lone.state.optimizer.items():
        assert np.array_equal(stepper.state.optimizer[name], value), name
    for curve in ("loss", "train_accuracy", "dev_accuracy"):
        assert np.array_equal(getattr(stepper.history.curves, curve), getattr(lone.history.curves, curve)), curve


def test_both_lanes_start_from_the_main_runs_weights(tiny_split):
    main = Stepper(tiny_split, GD)
    race = Race(tiny_split, [GD, ADAM])
    for lane in race.lanes:
        assert lane.iteration == 0
        for name in PARAMETERS:
            assert np.array_equal(lane.stepper.params[name], main.params[name]), name


@pytest.mark.parametrize("configs", [
    (GD, ADAM),
    (BASE.with_changes(optimizer="momentum", alpha=0.05, batch_size=64), BASE.with_changes(alpha=0.5)),
    (BASE.with_changes(hidden=7, dtype="float64"), BASE.with_changes(hidden=7, dtype="float64", optimizer="adam",
                                                                     alpha=0.01)),
], ids=["gd-adam", "momentum-minibatch", "float64-h7"])
def test_after_k_race_steps_each_lane_is_a_lone_run_of_k_iterations_bit_for_bit(tiny_split, configs):
    race = Race(tiny_split, configs)
    for _ in range(7):
        race.step(target=100)
    for lane, config in zip(race.lanes, configs):
        lone = Stepper(tiny_split, config)
        lone.run(7)
        assert_same_state(lane.stepper, lone)
    # The two optimizers really took different paths.
    assert not np.array_equal(race.lanes[0].stepper.params["W1"], race.lanes[1].stepper.params["W1"])


def test_a_diverging_lane_stops_and_the_other_runs_to_the_target(tiny_split):
    wild = GD.with_changes(alpha=1e6)
    race = Race(tiny_split, [GD, wild])
    race.run(target=30)
    steady, diverged = race.lanes
    assert steady.problem is None and steady.iteration == 30
    assert diverged.problem is not None and diverged.problem.startswith("diverged at iteration")
    assert diverged.iteration < 30
    assert race.finished(30)
    # The diverged lane's parameters keep their last finite values, those of a lone run stopped there.
    lone = Stepper(tiny_split, wild)
    lone.run(diverged.iteration)
    assert_same_state(diverged.stepper, lone)
    verdict = race.verdict()
    assert f"gradient descent α 1e+06 diverged at iteration {diverged.iteration}" in verdict


def test_a_stopped_race_resumes_where_it_stopped_as_if_never_stopped(tiny_split):
    asked = []

    def stop_after_five() -> bool:
        asked.append(1)
        return len(asked) > 5

    race = Race(tiny_split, [GD, ADAM])
    race.run(target=12, should_stop=stop_after_five)
    assert [lane.iteration for lane in race.lanes] == [5, 5]
    race.run(target=12)
    assert [lane.iteration for lane in race.lanes] == [12, 12]
    uninterrupted = Race(tiny_split, [GD, ADAM])
    uninterrupted.run(target=12)
    for lane, other in zip(race.lanes, uninterrupted.lanes):
        assert_same_state(lane.stepper, other.stepper)


def test_the_verdict_names_the_first_iteration_each_lane_reaches_the_level(tiny_split):
    race = Race(tiny_split, [GD, ADAM.with_changes(alpha=0.01)])
    race.run(target=60)
    verdict = race.verdict(level=0.8)
    firsts = {}
    for lane in race.lanes:
        accuracy = lane.stepper.history.curves.dev_accuracy
        assert accuracy.max() >= 0.8, "the tiny data is learnable by both lanes in 60 iterations"
        firsts[lane_name(lane.config)] = int(np.argmax(accuracy >= 0.8))
    (fast, fast_at), (slow, slow_at) = sorted(firsts.items(), key=lambda item: item[1])
    assert verdict == f"{fast[0].upper() + fast[1:]} reaches 80 % dev accuracy at iteration {fast_at}, {slow} at {slow_at}."


def test_the_verdict_before_anyone_arrives_gives_the_best_so_far_and_uses_train_accuracy_without_dev(tiny_split):
    no_dev = Split("tiny", tiny_split.X_train, tiny_split.labels_train, tiny_split.X_dev[:, :0],
                   tiny_split.labels_dev[:0], tiny_split.class_names, tiny_split.dev_source)
    race = Race(no_dev, [GD, ADAM])
    race.run(target=2)
    verdict = race.verdict(level=0.999)
    assert verdict.startswith("No lane has reached 99.9 % train accuracy yet (best so far: gradient descent α 0.1: ")
    assert re.search(r"Adam α 0\.001: \d+\.\d %\)\.$", verdict), verdict


def test_two_lanes_with_the_same_settings_are_told_apart_and_run_identically(tiny_split):
    race = Race(tiny_split, [GD, GD])
    race.run(target=40)
    assert_same_state(race.lanes[0].stepper, race.lanes[1].stepper)
    assert "(lane A)" in race.verdict() and "(lane B)" in race.verdict()
