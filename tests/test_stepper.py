"""The stepper: phase by phase equals a plain loop, records say what each phase did, and rewinding is exact."""
from __future__ import annotations

import numpy as np
import pytest

from core import kernels, network, optimizers
from core.config import TrainingConfig
from core.data import split
from core.network import PARAMETERS, PHASES
from core.stepper import Diverged, Stepper, starting_params


BACKENDS = [pytest.param("numpy"),
            pytest.param("numba", marks=pytest.mark.skipif(not kernels.numba_available(), reason="numba not installed"))]


def copy_state(stepper: Stepper) -> dict:
    return {"iteration": stepper.iteration, "phases_done": stepper.phases_done,
            "params": {k: v.copy() for k, v in stepper.state.params.items()},
            "optimizer": {k: v.copy() for k, v in stepper.state.optimizer.items()}}


def assert_same_state(stepper: Stepper, expected: dict) -> None:
    assert stepper.iteration == expected["iteration"]
    assert stepper.phases_done == expected["phases_done"]
    assert set(stepper.state.optimizer) == set(expected["optimizer"])
    for store, reference in ((stepper.state.params, expected["params"]),
                             (stepper.state.optimizer, expected["optimizer"])):
        for name, value in reference.items():
            assert np.array_equal(store[name], value), f"{name} at iteration {expected['iteration']}"


def curves_of(stepper: Stepper) -> np.ndarray:
    curves = stepper.history.curves
    return np.stack([curves.loss, curves.train_accuracy, curves.dev_accuracy])


# ---------------------------------------------------------------- the same numbers as a plain loop

def plain_loop(tiny_split, alpha: float, iterations: int):
    """The notebook's loop (with per-row bias gradients) from core.network's functions, in float32."""
    rng = np.random.default_rng(0)
    params = network.init_params(10, "uniform", rng, np.float32)
    W1, b1, W2, b2 = (params[name] for name in PARAMETERS)
    X, Y = tiny_split.X_train, network.one_hot(tiny_split.labels_train, np.float32)
    lr = np.float32(alpha)
    per_iteration = []
    for _ in range(iterations):
        Z1 = network.z1(W1, X, b1)
        A1 = network.a1(Z1)
        Z2 = network.z2(W2, A1, b2)
        A2 = network.softmax(Z2)
        dZ2 = network.dz2(A2, Y)
        dW2 = network.dw2(dZ2, A1)
        db2 = network.db2(dZ2)
        dZ1 = network.dz1(W2, dZ2, Z1)
        dW1 = network.dw1(dZ1, X)
        db1 = network.db1(dZ1)
        W1, b1, W2, b2 = W1 - lr * dW1, b1 - lr * db1, W2 - lr * dW2, b2 - lr * db2
        per_iteration.append(dict(Z1=Z1, A1=A1, Z2=Z2, A2=A2, dZ2=dZ2, dW2=dW2, db2=db2, dZ1=dZ1, dW1=dW1,
                                  db1=db1, W1=W1, b1=b1, W2=W2, b2=b2))
    return per_iteration


def assert_equal_or_close(actual: np.ndarray, expected: np.ndarray, exact: bool, what: str) -> None:
    """Bit for bit, or (the fast kernels: sums in another order) to float32 rounding, relative to the array."""
    if exact:
        assert np.array_equal(actual, expected), what
    else:
        assert actual.shape == expected.shape and actual.dtype == expected.dtype, what
        scale = max(float(np.abs(expected).max()), 1e-30)
        assert float(np.abs(actual - expected).max()) <= 2e-5 * scale, what


@pytest.mark.parametrize("backend", BACKENDS)
def test_phase_by_phase_gives_the_numbers_of_a_plain_training_loop(tiny_split, backend):
    # NumPy's products give exactly the plain loop's bits; the fast kernels the same numbers to float32 rounding.
    expected = plain_loop(tiny_split, 0.1, 6)
    stepper = Stepper(tiny_split, TrainingConfig(), backend=backend)
    assert stepper.backend == backend
    exact = backend == "numpy"
    for iteration, arrays in enumerate(expected):
        for phase in PHASES[:-1]:
            record = stepper.step_phase()
            assert_equal_or_close(record.arrays[phase], arrays[phase], exact, f"{phase} of iteration {iteration}")
        record = stepper.step_phase()
        assert record.phase == "update" and stepper.iteration == iteration + 1
        for name in PARAMETERS:
            assert_equal_or_close(stepper.params[name], arrays[name], exact, f"{name} after iteration {iteration}")
            assert np.array_equal(record.arrays[name], stepper.params[name])
    assert stepper.params["W1"].dtype == np.float32


@pytest.mark.skipif(not kernels.numba_available(), reason="numba not installed")
@pytest.mark.parametrize("config", [TrainingConfig(hidden=7, activation="tanh"), TrainingConfig(dtype="float64"),
                                    TrainingConfig(batch_size=64, optimizer="adam", alpha=0.01),
                                    TrainingConfig(activation="sigmoid", init="he")],
                         ids=["tanh-h7", "float64", "mini-batch", "sigmoid"])
def test_the_fast_kernel_computes_each_phase_as_its_own_function_does(tiny_split, config):
    """Every phase's array from the kernel's pass, against the phase's own function applied to the very arrays
    the record says it read: the same numbers to the dtype's rounding (relative to the array's largest value)."""
    stepper = Stepper(tiny_split, config, backend="numba")
    tolerance = 1e-5 if config.dtype == "float32" else 1e-13
    errors = []
    for _ in range(3 * len(PHASES)):
        record = stepper.step_phase()
        if record.phase == "update":
            continue
        reference = network.run_phase(record.phase, record.arrays, config.activation)
        actual = record.arrays[record.phase]
        assert actual.dtype == reference.dtype and actual.shape == reference.shape, record.phase
        errors.append(float(np.abs(actual - reference).max() / np.abs(reference).max()))
        assert errors[-1] <= tolerance, (record.phase, errors[-1])
    assert max(errors) > 0, "the kernel ran (NumPy's own bits everywhere would mean it did not)"


def test_step_iteration_is_eleven_step_phase_calls(tiny_split):
    by_iteration = Stepper(tiny_split, TrainingConfig(optimizer="adam", alpha=0.01))
    by_phase = Stepper(tiny_split, TrainingConfig(optimizer="adam", alpha=0.01))
    for _ in range(3):
        record = by_iteration.step_iteration()
        assert record.phase == "update"
        phases = [by_phase.step_phase().phase for _ in range(11)]
        assert phases == list(PHASES)
        assert_same_state(by_phase, copy_state(by_iteration))
    # In the middle of an iteration, step_iteration finishes it.
    for _ in range(4):
        by_phase.step_phase()
    by_phase.step_iteration()
    by_iteration.step_iteration()
    assert_same_state(by_phase, copy_state(by_iteration))
    assert np.array_equal(curves_of(by_phase), curves_of(by_iteration))
    assert curves_of(by_phase).shape == (3, 4)


def test_step_iteration_calls_before_with_each_phase_it_is_about_to_compute(tiny_split):
    plain = Stepper(tiny_split, TrainingConfig())
    watched = Stepper(tiny_split, TrainingConfig())
    seen: list[tuple[str, int, int]] = []

    def before(phase: str) -> None:     # the phase is still to come: the stepper has not computed it yet
        seen.append((phase, watched.phases_done, watched.iteration))

    for iteration in range(2):
        plain.step_iteration()
        watched.step_iteration(before)
        assert seen == [(phase, k, iteration) for k, phase in enumerate(PHASES)]
        assert_same_state(watched, copy_state(plain))       # the same numbers with or without it
        seen.clear()
    for _ in range(4):                  # from the middle of an iteration: the phases that remain
        plain.step_phase()
        watched.step_phase()
    plain.step_iteration()
    watched.step_iteration(before)
    assert [phase for phase, _, _ in seen] == list(PHASES[4:])
    assert_same_state(watched, copy_state(plain))


# ---------------------------------------------------------------- phase records

def test_each_phase_record_names_its_phase_equation_and_shapes_with_the_real_m(tiny_split):
    stepper = Stepper(tiny_split, TrainingConfig(hidden=12, optimizer="momentum"))
    m = tiny_split.train_size
    assert m == 200
    expected_reads = {
        "Z1": {"W1": (12, 784), "X": (784, m), "b1": (12, 1)}, "A1": {"Z1": (12, m)},
        "Z2": {"W2": (10, 12), "A1": (12, m), "b2": (10, 1)}, "A2": {"Z2": (10, m)},
        "dZ2": {"A2": (10, m), "Y": (10, m)}, "dW2": {"dZ2": (10, m), "A1": (12, m)}, "db2": {"dZ2": (10, m)},
        "dZ1": {"W2": (10, 12), "dZ2": (10, m), "Z1": (12, m)}, "dW1": {"dZ1": (12, m), "X": (784, m)},
        "db1": {"dZ1": (12, m)},
    }
    expected_writes = {"Z1": (12, m), "A1": (12, m), "Z2": (10, m), "A2": (10, m), "dZ2": (10, m),
                       "dW2": (10, 12), "db2": (10, 1), "dZ1": (12, m), "dW1": (12, 784), "db1": (12, 1)}
    stepper.step_iteration()
    for index, phase in enumerate(PHASES):
        record = stepper.step_phase()
        assert (record.phase, record.index, record.iteration, record.m) == (phase, index, 1, m)
        assert stepper.phase == phase
        assert record.is_forward == (index < 4) and record.is_backward == (4 <= index < 10)
        if phase == "update":
            assert record.meaning == optimizers.UPDATE_MEANINGS["momentum"]
            assert "velocity" in record.meaning
            assert record.equation == optimizers.UPDATE_EQUATIONS["momentum"]
            assert record.equation == "W ← W − α · v,   v ← 0.9·v + dW"
        else:
            assert record.meaning == network.MEANINGS[phase]
        if phase == "update":
            assert dict(record.writes) == {"W1": (12, 784), "b1": (12, 1), "W2": (10, 12), "b2": (10, 1)}
            assert record.shapes == "W1 (12, 784), b1 (12, 1), W2 (10, 12), b2 (10, 1)"
            assert np.array_equal(record.arrays["W1"], stepper.params["W1"])
            assert not np.array_equal(record.arrays["W1_before"], record.arrays["W1"])
        else:
            assert record.equation == network.EQUATIONS[phase]
            assert dict(record.reads) == expected_reads[phase]
            assert dict(record.writes) == {phase: expected_writes[phase]}
            for name, shape in {**expected_reads[phase], phase: expected_writes[phase]}.items():
                assert record.arrays[name].shape == shape
    assert stepper.iteration == 2
    record_z1 = Stepper(tiny_split, TrainingConfig(hidden=12)).step_phase()
    assert record_z1.shapes == "(12, 784)·(784, 200) + (12, 1) → (12, 200)"
    assert record_z1.equation == "Z1 = W1 · X + b1"


def test_mini_batch_records_show_the_batch_size_as_m(tiny_split):
    stepper = Stepper(tiny_split, TrainingConfig(batch_size=64))
    records = [stepper.step_phase() for _ in range(11)]
    assert {record.m for record in records} == {64}
    assert records[8].shapes == "(10, 64)·(64, 784) → (10, 784)"     # dW1 = 1/m · dZ1 · Xᵀ
    assert records[6].shapes == "Σⱼ(10, 64) → (10, 1)"               # db2


@pytest.mark.parametrize("config", [TrainingConfig(dtype="float64"), TrainingConfig(batch_size=64)],
                         ids=["converted-X", "mini-batch"])
def test_record_arrays_are_read_only_for_good(tiny_split, config):
    stepper = Stepper(tiny_split, config)
    records = [stepper.step_phase() for _ in range(11)]
    with pytest.raises(TypeError):
        records[0].arrays["Z1"] = np.zeros(1)
    for record in records:
        for name, value in record.arrays.items():
            with pytest.raises(ValueError):
                value[(0,) * value.ndim] = 1
            with pytest.raises(ValueError):  # nor can the flag be turned back on
                value.flags.writeable = True
    for name, value in stepper.params.items():
        with pytest.raises(ValueError):
            value[0, 0] = 1


# ---------------------------------------------------------------- rewinding

def forward_run(stepper: Stepper, iterations: int):
    """Step phase by phase, keeping the state at each iteration's start and every record."""
    states, records = [copy_state(stepper)], {}
    for _ in range(iterations):
        for _ in PHASES:
            iteration = stepper.iteration
            record = stepper.step_phase()
            records[iteration, record.phase] = record
        states.append(copy_state(stepper))
    return states, records


def assert_same_record(record, expected) -> None:
    assert (record.iteration, record.phase, record.shapes) == (expected.iteration, expected.phase, expected.shapes)
    assert set(record.arrays) == set(expected.arrays)
    for name in record.arrays:
        assert np.array_equal(record.arrays[name], expected.arrays[name]), name


@pytest.mark.parametrize("optimizer", optimizers.OPTIMIZERS)
@pytest.mark.parametrize("batch_size", [0, 64])
def test_rewinding_and_replaying_is_bit_identical(tiny_split, optimizer, batch_size):
    config = TrainingConfig(optimizer=optimizer, batch_size=batch_size, alpha=0.05 if optimizer != "adam" else 0.01)
    stepper = Stepper(tiny_split, config, keyframe_every=7)
    states, records = forward_run(stepper, 25)
    final_curves = curves_of(stepper)
    assert final_curves.shape == (3, 25) and np.isfinite(final_curves).all()

    # Back one phase at a time across an update: the arrays of the earlier phases come back.
    record = stepper.step_back_phase()
    assert (stepper.iteration, stepper.phases_done) == (24, 10)
    assert_same_record(record, records[24, "db1"])
    record = stepper.step_back_phase()
    assert_same_record(record, records[24, "dW1"])
    assert_same_state(stepper, {**states[24], "phases_done": 9})

    # Back to the start of the iteration, then to the start of the one before.
    stepper.step_back_iteration()
    assert_same_state(stepper, states[24])
    stepper.step_back_iteration()
    assert_same_state(stepper, states[23])

    # Seek anywhere, including iterations only a recomputation from a keyframe can reach.
    for k in (0, 3, 7, 13, 20, 25, 11):
        record = stepper.seek(k)
        assert_same_state(stepper, states[k])
        if k > 0:
            assert_same_record(record, records[k - 1, "update"])
        else:
            assert record is None
        assert stepper.has_future == (k < 25)
    assert np.array_equal(curves_of(stepper), final_curves)

    # Forward again from 11: the same phases, the same states, the same curves.
    for iteration in range(11, 25):
        for phase in PHASES:
            assert_same_record(stepper.step_phase(), records[iteration, phase])
        assert_same_state(stepper, states[iteration + 1])
    assert np.array_equal(curves_of(stepper), final_curves)
    assert not stepper.has_future


def test_initial_params_are_the_runs_start_until_the_history_lets_them_go(tiny_split):
    config = TrainingConfig(seed=4)
    drawn = Stepper(tiny_split, config)
    given = {name: np.full_like(value, 0.01) for name, value in drawn.params.items()}
    opened = Stepper(tiny_split, config, given)
    for stepper, start in ((drawn, starting_params(config)), (opened, given)):
        stepper.run(3)
        assert all(np.array_equal(stepper.initial_params[name], start[name]) for name in start)
    probe = Stepper(tiny_split, config)
    budget = probe.state.nbytes * (32 + 2) + probe.history.curves.nbytes      # 2 keyframes kept
    short = Stepper(tiny_split, config, history_budget_bytes=budget, keyframe_every=2)
    short.run(12)
    assert short.history.earliest > 0 and short.initial_params is None


def test_keyframes_beyond_the_budget_are_dropped_and_the_rest_stays_exact(tiny_split):
    config = TrainingConfig(optimizer="adam", alpha=0.01)
    probe = Stepper(tiny_split, config)
    state_bytes = probe.state.nbytes
    budget = state_bytes * (32 + 10) + probe.history.curves.nbytes  # 10 keyframes beside 32 recent states
    stepper = Stepper(tiny_split, config, history_budget_bytes=budget, keyframe_every=7)
    states, _ = forward_run(stepper, 100)
    history = stepper.history
    assert history.nbytes <= budget
    assert len(history.keyframes) == 10 and history.earliest == 98 - 9 * 7
    earliest = history.earliest
    assert earliest - 1 not in history.recent  # so only the keyframes can say what came before

    stepper.seek(earliest)
    assert_same_state(stepper, states[earliest])
    assert stepper.step_back_phase() is None or stepper.iteration == earliest  # nothing earlier to go back to
    assert_same_state(stepper, states[earliest])
    stepper.step_back_iteration()
    assert_same_state(stepper, states[earliest])
    with pytest.raises(IndexError, match=f"iteration {earliest - 1} is outside the rewindable range {earliest}–100"):
        stepper.seek(earliest - 1)
    with pytest.raises(IndexError, match="iteration 101 is outside the rewindable range"):
        stepper.seek(101)
    assert_same_state(stepper, states[earliest])  # a refused seek changes nothing
    for k in (earliest + 1, earliest + 9, 99, 100, earliest + 3):
        stepper.seek(k)
        assert_same_state(stepper, states[k])
    stepper.run(100 - stepper.iteration)
    assert_same_state(stepper, states[100])


# ---------------------------------------------------------------- mini-batches

def test_mini_batches_cover_every_example_once_per_epoch(tiny_split):
    stepper = Stepper(tiny_split, TrainingConfig(batch_size=64, seed=5))
    m = tiny_split.train_size
    epochs = []
    for epoch in range(3):
        batches = [stepper.batch_indices(epoch * 4 + position) for position in range(4)]  # ⌈200 / 64⌉ = 4
        assert [len(batch) for batch in batches] == [64, 64, 64, 8]
        order = np.concatenate(batches)
        assert np.array_equal(np.sort(order), np.arange(m))
        epochs.append(order)
    assert not np.array_equal(epochs[0], epochs[1])  # reshuffled each epoch
    assert Stepper(tiny_split, TrainingConfig(batch_size=0)).batch_indices(3) is None
    assert Stepper(tiny_split, TrainingConfig(batch_size=500)).batch_indices(3) is None
    # The stepper really trains on those columns.
    record = stepper.step_phase()
    assert np.array_equal(record.arrays["X"], tiny_split.X_train[:, epochs[0][:64]])
    for _ in range(4):
        record = stepper.step_phase()
    assert record.phase == "dZ2"
    assert np.array_equal(record.arrays["Y"].argmax(axis=0), tiny_split.labels_train[epochs[0][:64]])


def test_mini_batch_runs_are_reproducible(tiny_split):
    def train(seed: int) -> Stepper:
        stepper = Stepper(tiny_split, TrainingConfig(batch_size=32, seed=seed, optimizer="momentum"))
        stepper.run(15)
        return stepper

    first, second, other = train(1), train(1), train(2)
    assert_same_state(second, copy_state(first))
    assert np.array_equal(curves_of(first), curves_of(second))
    assert not np.array_equal(first.params["W1"], other.params["W1"])


# ---------------------------------------------------------------- changing the learning rate

def test_set_alpha_applies_from_the_next_update_and_drops_later_history(tiny_split):
    # NumPy's products, so that the update can be checked bit for bit against network.gradients below.
    stepper = Stepper(tiny_split, TrainingConfig(alpha=0.1), keyframe_every=7, backend="numpy")
    states, _ = forward_run(stepper, 12)
    curves = curves_of(stepper)
    stepper.seek(5)
    for _ in range(4):
        stepper.step_phase()
    stepper.set_alpha(0.3)
    assert stepper.alpha == 0.3 and stepper.config.alpha == 0.3
    assert stepper.history.latest == 5 and not stepper.has_future
    assert np.array_equal(curves_of(stepper), curves[:, :5])
    with pytest.raises(IndexError, match="outside the rewindable range 0–5"):
        stepper.seek(6)

    stepper.step_iteration()  # this update already uses 0.3
    gradients = network.gradients(states[5]["params"], tiny_split.X_train,
                                  network.one_hot(tiny_split.labels_train, np.float32))
    for name in PARAMETERS:
        expected = states[5]["params"][name] - np.float32(0.3) * gradients[network.GRADIENT_OF[name]]
        assert np.array_equal(stepper.params[name], expected), name
    stepper.run(3)
    assert curves_of(stepper).shape == (3, 9)
    assert np.array_equal(curves_of(stepper)[:, :6], curves[:, :6])  # iteration 5's forward pass is unchanged
    after = copy_state(stepper)

    # Earlier iterations keep their own learning rate; later ones the new one, exactly.
    stepper.seek(2)
    assert stepper.alpha == 0.1
    assert_same_state(stepper, states[2])
    stepper.seek(8)
    assert stepper.alpha == 0.3
    stepper.run(1)
    assert_same_state(stepper, after)


def test_set_alpha_refuses_nonsense(tiny_split):
    stepper = Stepper(tiny_split, TrainingConfig())
    for alpha in (0.0, -1.0, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="positive number"):
            stepper.set_alpha(alpha)
    assert stepper.alpha == 0.1


# ---------------------------------------------------------------- divergence

@pytest.mark.parametrize("optimizer, alpha, cause", [
    ("gd", 1e8, "the loss reached"), ("momentum", 1e8, "the loss reached"), ("adam", 1e8, "the loss reached"),
    ("gd", 1e20, "would become infinite or undefined"),
])
def test_a_huge_learning_rate_raises_diverged_and_keeps_the_last_finite_parameters(tiny_split, optimizer, alpha,
                                                                                   cause):
    stepper = Stepper(tiny_split, TrainingConfig(alpha=alpha, optimizer=optimizer))
    for _ in range(11 * 50):
        before = copy_state(stepper)
        try:
            stepper.step_phase()
        except Diverged as raised:
            error, message = raised, str(raised)
            break
    else:
        pytest.fail(f"50 iterations at α = {alpha:g} never diverged")
    assert f"diverged at iteration {before['iteration']}" in message
    assert "lower the learning rate" in message and f"learning rate {alpha:g}" in message and cause in message
    assert "nan" not in message.lower()
    assert error.iteration == before["iteration"] and error.phase in PHASES
    assert_same_state(stepper, before)
    for value in (*stepper.params.values(), *stepper.state.optimizer.values()):
        assert np.isfinite(value).all()
    # The run can go on from there with a sane learning rate (or be rewound).
    stepper.seek(0)
    assert stepper.iteration == 0


# ---------------------------------------------------------------- real data

def mnist_sample_split():
    import core.data

    return split(core.data.load("mnist-sample"), dev_size=1000, seed=0)


@pytest.mark.slow
def test_the_default_run_learns_the_mnist_sample():
    data = mnist_sample_split()
    assert (data.train_size, data.dev_size) == (4000, 1000)
    stepper = Stepper(data, TrainingConfig())
    assert stepper.config.alpha == 0.1 and stepper.config.hidden == 10
    stepper.run(500)
    dev_accuracy = stepper.evaluate_dev(stepper.params)
    assert dev_accuracy >= 0.83
    loss = stepper.history.curves.loss
    assert loss[0] > 2 * loss[-1]


def test_stepping_back_at_the_very_start_changes_nothing(tiny_split):
    stepper = Stepper(tiny_split, TrainingConfig())
    start = copy_state(stepper)
    assert stepper.step_back_phase() is None and stepper.step_back_iteration() is None
    assert_same_state(stepper, start)
    stepper.step_phase()
    stepper.step_phase()
    record = stepper.step_back_phase()
    assert record.phase == "Z1" and stepper.next_phase == "A1"
    stepper.step_back_phase()
    assert stepper.phase is None and stepper.next_phase == "Z1"
    assert_same_state(stepper, start)


def test_given_weights_are_copied_in_the_run_dtype_and_checked(tiny_split):
    weights = network.init_params(10, "he", np.random.default_rng(3), np.float64)
    stepper = Stepper(tiny_split, TrainingConfig(), params=weights)
    for name in PARAMETERS:
        assert stepper.params[name].dtype == np.float32
        assert np.array_equal(stepper.params[name], weights[name].astype(np.float32))
    stepper.run(2)
    assert not np.array_equal(weights["W1"].astype(np.float32), stepper.params["W1"])
    assert np.array_equal(weights["W1"], network.init_params(10, "he", np.random.default_rng(3), np.float64)["W1"])
    with pytest.raises(network.ShapeError, match="the weights have 10 hidden units but the configuration asks for 12"):
        Stepper(tiny_split, TrainingConfig(hidden=12), params=weights)


def test_a_wide_network_keeps_fewer_recent_states_and_rewinds_exactly_wherever_it_says(tiny_split):
    """Issue 17: the recent states count against the budget. With room for a few states only, every iteration the
    history says it can reach is still recomputed bit for bit."""
    config = TrainingConfig(hidden=128, optimizer="adam", alpha=0.001)
    state_bytes = Stepper(tiny_split, config).state.nbytes
    stepper = Stepper(tiny_split, config, history_budget_bytes=6 * state_bytes, keyframe_every=4)
    states, _ = forward_run(stepper, 30)
    history = stepper.history
    assert history.recent_limit == 5 and len(history.recent) <= 5 and history.nbytes <= 6 * state_bytes
    assert history.earliest > 0
    for iteration in [30, *range(history.earliest, 30), history.earliest]:
        stepper.seek(iteration)
        assert_same_state(stepper, states[iteration])
