"""The one training step: every engine (Stepper, its replay, FastTrainer's NumPy path, the race, the bug lab)
computes its numbers through core.training.train_step, so they agree bit for bit; Diverged says where and why."""
from __future__ import annotations

import numpy as np
import pytest

from core import kernels, optimizers, training
from core.buglab import BUGS, train_side_by_side
from core.config import ConfigError, TrainingConfig, learning_rate
from core.fast import FastTrainer
from core.history import TrainingState
from core.network import PARAMETERS, PHASES
from core.race import Race
from core.stepper import Stepper
from core.training import Diverged, TrainingData, train_step

NO_NUMBA = pytest.mark.skipif(not kernels.numba_available(), reason="numba not installed")
BACKENDS = [pytest.param("numpy"), pytest.param("numba", marks=NO_NUMBA)]
CONFIGS = [TrainingConfig(), TrainingConfig(optimizer="adam", alpha=0.01, batch_size=64, seed=2),
           TrainingConfig(optimizer="momentum", hidden=7, activation="tanh", dtype="float64")]


def steps(split, config: TrainingConfig, iterations: int, backend: str = "auto", replace=None) -> list:
    """train_step after train_step from the configuration's initial state."""
    data = TrainingData(split, config, backend)
    params = training.starting_params(config)
    state = TrainingState(0, params, optimizers.initial_state(config.optimizer, params))
    done = []
    for iteration in range(iterations):
        step = train_step(state, data.batch(iteration), config, config.alpha, replace)
        done.append(step)
        state = step.state
    return done


def assert_same_params(actual, expected) -> None:
    for name in PARAMETERS:
        assert np.array_equal(actual[name], expected[name]), name


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("config", CONFIGS, ids=["gd", "adam-minibatch", "momentum-tanh-float64"])
def test_the_stepper_phase_by_phase_and_its_replay_are_the_one_step(tiny_split, backend, config):
    expected = steps(tiny_split, config, 6, backend)
    stepper = Stepper(tiny_split, config, backend=backend, keyframe_every=4)
    stepper.history.recent_size = 1     # so that seeking back replays from the keyframes
    for iteration, step in enumerate(expected):
        for phase in PHASES[:-1]:
            assert np.array_equal(stepper.step_phase().arrays[phase], step.arrays[phase]), phase
        stepper.step_phase()
        assert_same_params(stepper.params, step.state.params)
        loss, train_accuracy, _ = stepper.history.curves.at(iteration)
        assert (loss, train_accuracy) == (step.loss, step.train_accuracy)
    for iteration in (5, 2, 6, 3):
        stepper.seek(iteration)     # replayed by train_step from the keyframe at 0 or 4
        assert_same_params(stepper.params, expected[iteration - 1].state.params)


@pytest.mark.parametrize("config", CONFIGS, ids=["gd", "adam-minibatch", "momentum-tanh-float64"])
def test_fast_trainers_numpy_path_is_the_one_step(tiny_split, config):
    expected = steps(tiny_split, config, 5, "numpy")
    trainer = FastTrainer(tiny_split, config, backend="numpy")
    for step in expected:
        assert trainer.step() == (step.loss, step.train_accuracy)
        assert_same_params(trainer.params, step.state.params)
    for name, value in expected[-1].state.optimizer.items():
        assert np.array_equal(trainer.optimizer_state[name], value), name


def test_each_race_lane_is_the_one_step(tiny_split):
    configs = [TrainingConfig(seed=3), TrainingConfig(seed=3, optimizer="adam", alpha=0.001)]
    race = Race(tiny_split, configs)
    for _ in range(4):
        race.step(target=10)
    for lane, config in zip(race.lanes, configs):
        expected = steps(tiny_split, config, 4)
        assert_same_params(lane.stepper.params, expected[-1].state.params)
        assert list(lane.stepper.history.curves.loss) == [step.loss for step in expected]


def test_the_bug_labs_runs_are_the_one_step_with_the_bugs_line_changed(tiny_split):
    # Both runs on NumPy's products: a phase of the fast kernel's one pass cannot be replaced.
    config = TrainingConfig()
    correct, buggy = train_side_by_side(tiny_split, config, "missing_g_prime", 5)
    right = steps(tiny_split, config, 5, "numpy")
    wrong = steps(tiny_split, config, 5, "numpy", replace=BUGS["missing_g_prime"].replacements)
    for curves, expected in ((correct, right), (buggy, wrong)):
        assert curves.loss == [step.loss for step in expected]
        assert curves.train_accuracy == [step.train_accuracy for step in expected]
    stepper = Stepper(tiny_split, config, backend="numpy")
    stepper.run(5)
    assert correct.loss == list(stepper.history.curves.loss)        # the bug lab's correct run is the window's
    assert wrong[-1].loss != right[-1].loss


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_diverging_step_carries_where_and_why(tiny_split, backend):
    config = TrainingConfig(alpha=1e20)
    stepper = Stepper(tiny_split, config, backend=backend)
    with pytest.raises(Diverged) as raised:
        stepper.run(20)
    error = raised.value
    assert (error.iteration, error.alpha) == (stepper.iteration, 1e20) and error.phase in PHASES
    assert error.what in (*PHASES, *PARAMETERS, "the loss") and error.reason == training.UNDEFINED
    assert error.summary == (f"diverged at iteration {error.iteration}: {error.what} {error.reason} in phase "
                             f"{error.phase} with learning rate 1e+20")
    assert str(error).startswith(error.summary + "; ")
    assert error.last_good_iteration == (error.iteration if error.phase == "update" else error.iteration - 1)
    assert Diverged(0, "Z1", "Z1", 1.0).last_good_iteration == 0
    with pytest.raises(Diverged) as limit:
        training.check_loss(3e7, 4, 0.5)
    assert limit.value.reason.startswith("reached 3e+07, past the limit of 1e+06")
    assert (limit.value.phase, limit.value.what, limit.value.last_good_iteration) == ("update", "the loss", 4)


def test_the_learning_rate_is_checked_in_one_place_for_every_engine(tiny_split):
    assert learning_rate(0.5) == 0.5 and learning_rate(np.float32(0.25)) == 0.25
    refusals = [lambda alpha: learning_rate(alpha), lambda alpha: TrainingConfig(alpha=alpha),
                Stepper(tiny_split, TrainingConfig()).set_alpha, FastTrainer(tiny_split, TrainingConfig()).set_alpha]
    for refuse in refusals:
        for alpha in (0.0, -1.0, float("nan"), float("inf"), "0.1"):
            with pytest.raises(ConfigError, match=f"the learning rate must be a positive number, not {alpha!r}"):
                refuse(alpha)


@pytest.mark.skipif(not kernels.numba_available(), reason="numba not installed")
def test_the_kernels_give_the_same_bits_whatever_the_threads(tiny_split, monkeypatch):
    """m = 2,000 examples: four chunks, added in chunk order whatever thread ran them, so a rewind is exact."""
    from core.data import Dataset, split

    rng = np.random.default_rng(5)
    pixels = (rng.integers(1, 256, (2100, 784)) * (rng.random((2100, 784)) < 0.5)).astype(np.uint8)
    bigger = split(Dataset("bigger", pixels, rng.integers(0, 10, 2100).astype(np.uint8)), dev_size=100, seed=0)
    monkeypatch.setattr(kernels, "_threads", None)      # both restored afterwards
    monkeypatch.setattr(kernels, "_thread_count", kernels._thread_count)
    monkeypatch.setattr(kernels, "PARALLEL_EXAMPLES", 0)      # the pool for these few examples too
    results = []
    for threads in (1, 3):
        kernels.use_threads(threads)
        results.append(steps(bigger, TrainingConfig(), 2, "numba")[-1])
    for name in ("Z1", "dW1"):
        assert np.array_equal(results[0].arrays[name], results[1].arrays[name]), name
    assert_same_params(results[0].state.params, results[1].state.params)


# ---------------------------------------------------------------- preparing the kernels

@pytest.fixture
def slow_compile(monkeypatch):
    """The kernels as at the first start after installing: not compiled, and compile_kernels returns (12.5 s, said
    to have taken) only once the test sets the returned gate."""
    import threading

    gate, calls = threading.Event(), []
    monkeypatch.setattr(kernels, "compiled", lambda: False)
    monkeypatch.setattr(kernels, "compile_kernels", lambda: calls.append("compile") or gate.wait(30) and 12.5)
    return gate, calls


def test_a_slow_compile_is_announced_once_it_runs_past_the_limit_and_its_end_too(slow_compile):
    gate, calls = slow_compile
    said = []

    def announce(slow: bool) -> None:
        said.append(slow)
        gate.set()          # the compile ends once it has been announced
    assert training.prepare_kernels("numba", announce, after=0.0) == 12.5
    assert calls == ["compile"] and said == [True, False]


def test_kernels_ready_before_the_limit_are_not_announced(slow_compile):
    gate, calls = slow_compile
    gate.set()              # a load from numba's disk cache: at once
    said = []
    assert training.prepare_kernels("numba", said.append, after=3600.0) == 12.5
    assert calls == ["compile"] and said == []


def test_there_is_nothing_to_prepare_with_numpys_products_or_once_compiled(slow_compile, monkeypatch):
    _, calls = slow_compile
    said = []
    assert training.prepare_kernels("numpy", said.append, after=0.0) == 0.0
    monkeypatch.setattr(kernels, "compiled", lambda: True)
    assert training.prepare_kernels("numba", said.append, after=0.0) == 0.0
    assert calls == [] and said == []
