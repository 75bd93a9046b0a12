"""FastTrainer: the Stepper's numbers (gradients, parameters, loss, accuracy, divergence), only faster."""
from __future__ import annotations

import numpy as np
import pytest

from core import fast, kernel_loops, kernels
from core.config import TrainingConfig
from core.data import Dataset, split
from core.fast import FastTrainer, training_rows
from core.network import PARAMETERS
from core.optimizers import OPTIMIZERS
from core.stepper import Diverged, Stepper

BACKENDS = [pytest.param("numpy"),
            pytest.param("numba", marks=pytest.mark.skipif(not fast.numba_available(), reason="numba not installed"))]
TOLERANCE = {"float64": 1e-12, "float32": 1e-5}   # relative to the largest value of each array


def assert_close(actual: np.ndarray, expected: np.ndarray, dtype: str, what: str) -> None:
    assert actual.shape == expected.shape and actual.dtype == expected.dtype, what
    error = np.max(np.abs(actual.astype(np.float64) - expected)) / np.max(np.abs(expected))
    assert error <= TOLERANCE[dtype], f"{what}: relative error {error:.2g}"


def stepper_gradients(stepper: Stepper) -> dict[str, np.ndarray]:
    """dW1, db1, dW2, db2 of the Stepper's next iteration (it is left just before that iteration's update)."""
    while stepper.next_phase != "update":
        stepper.step_phase()
    return {name: stepper.arrays[name] for name in ("dW1", "db1", "dW2", "db2")}


@pytest.fixture(scope="module")
def sparse_split():
    """700 random images, half of their pixels 0 as in Fashion-MNIST: 600 train examples in two chunks."""
    rng = np.random.default_rng(7)
    pixels = (rng.integers(1, 256, (700, 784)) * (rng.random((700, 784)) < 0.5)).astype(np.uint8)
    labels = rng.integers(0, 10, 700).astype(np.uint8)
    return split(Dataset("sparse", pixels, labels), dev_size=100, seed=3)


def splits(tiny_split, sparse_split, dtype: str):
    """Both data sets with X in the training dtype, as core.data.split makes them for that dtype."""
    tiny = tiny_split if dtype == "float32" else split_in(tiny_split, dtype)
    return [tiny, sparse_split if dtype == "float32" else split_in(sparse_split, dtype)]


def split_in(original, dtype: str):
    pixels = np.rint(original.X_train.T * 255).astype(np.uint8)
    dev = np.rint(original.X_dev.T * 255).astype(np.uint8)
    dataset = Dataset(original.name, np.concatenate([dev, pixels]),
                      np.concatenate([original.labels_dev, original.labels_train]).astype(np.uint8))
    return split(dataset, dev_size=original.dev_size, shuffle=False, dtype=dtype)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_gradients_parameters_loss_and_accuracy_equal_the_steppers(tiny_split, sparse_split, backend, dtype,
                                                                   optimizer):
    alpha = 0.01 if optimizer == "adam" else 0.1
    for data in splits(tiny_split, sparse_split, dtype):
        config = TrainingConfig(optimizer=optimizer, alpha=alpha, dtype=dtype)
        # The Stepper on the same backend: with numpy both run the phase functions, with numba the kernel's pass.
        stepper, trainer = Stepper(data, config, backend=backend), FastTrainer(data, config, backend=backend)
        assert trainer.backend == backend
        for iteration in range(6):
            grads, _, _ = trainer.gradients()
            for name, expected in stepper_gradients(stepper).items():
                assert_close(grads[name], expected, dtype, f"{data.name} {name} at iteration {iteration}")
            loss, train_accuracy = trainer.step()
            stepper.step_iteration()
            expected_loss, expected_accuracy, _ = stepper.history.curves.at(iteration)
            assert loss == pytest.approx(expected_loss, rel=TOLERANCE[dtype])
            # A near-tie between two outputs may round the other way: at most one example of difference.
            assert abs(train_accuracy - expected_accuracy) <= 1 / data.train_size + 1e-12
        assert trainer.iteration == stepper.iteration == 6
        for name in PARAMETERS:
            assert_close(trainer.params[name], stepper.params[name], dtype, f"{data.name} {name} after 6 updates")
            # The same phase functions (numpy) or the same kernel's pass (numba) on the same arrays: the same bits.
            assert np.array_equal(trainer.params[name], stepper.params[name]), name
        for name, value in stepper.state.optimizer.items():
            if name != "t":
                assert_close(trainer.optimizer_state[name], value, dtype, f"{data.name} optimizer {name}")
        assert trainer.evaluate_dev() == pytest.approx(stepper.evaluate_dev(stepper.params), abs=1 / data.dev_size)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("activation", ["leaky_relu", "sigmoid", "tanh"])
def test_every_activation_trains_as_in_the_stepper(tiny_split, backend, activation):
    config = TrainingConfig(activation=activation, dtype="float32", init="he")
    stepper, trainer = Stepper(tiny_split, config), FastTrainer(tiny_split, config, backend=backend)
    initial_W1 = trainer.params["W1"]
    trainer.run(5)
    stepper.run(5)
    for name in PARAMETERS:
        assert_close(trainer.params[name], stepper.params[name], "float32", f"{activation} {name}")
    assert np.abs(trainer.params["W1"] - initial_W1).max() > 1e-4   # it did learn


@pytest.mark.parametrize("backend", BACKENDS)
def test_mini_batches_come_in_the_steppers_order(tiny_split, backend):
    config = TrainingConfig(batch_size=64, optimizer="momentum", dtype="float32")   # 4 batches per epoch
    stepper, trainer = Stepper(tiny_split, config), FastTrainer(tiny_split, config, backend=backend)
    for iteration in range(9):   # into the third epoch, through the short last batch of 8
        assert np.array_equal(trainer.batch_indices(iteration), stepper.batch_indices(iteration))
        loss, _ = trainer.step()
        stepper.step_iteration()
        assert loss == pytest.approx(stepper.history.curves.at(iteration)[0], rel=1e-5)
    for name in PARAMETERS:
        assert_close(trainer.params[name], stepper.params[name], "float32", f"mini-batch {name}")


@pytest.mark.parametrize("backend", BACKENDS)
def test_given_weights_and_a_split_in_another_dtype_are_used_as_the_stepper_uses_them(tiny_split, backend):
    # The split is float32, training float64: the pixels are the float32 values, not pixel / 255 in float64.
    # An odd hidden width takes the kernel's paths for a last unit without a partner.
    config = TrainingConfig(dtype="float64", hidden=5)
    weights = {name: value * 0.5 for name, value in
               Stepper(tiny_split, config.with_changes(seed=9)).params.items()}
    stepper, trainer = Stepper(tiny_split, config, weights), FastTrainer(tiny_split, config, weights, backend)
    trainer.run(4)
    stepper.run(4)
    for name in PARAMETERS:
        assert_close(trainer.params[name], stepper.params[name], "float64", name)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("optimizer, alpha", [("gd", 1e8), ("adam", 1e8), ("gd", 1e20)])
def test_divergence_raises_where_the_stepper_does_and_keeps_the_parameters(tiny_split, backend, optimizer, alpha):
    config = TrainingConfig(alpha=alpha, optimizer=optimizer)
    stepper, trainer = Stepper(tiny_split, config), FastTrainer(tiny_split, config, backend=backend)
    with pytest.raises(Diverged) as expected:
        stepper.run(50)
    before = {name: value.copy() for name, value in trainer.params.items()}
    for _ in range(expected.value.iteration):
        trainer.step()
        before = {name: value.copy() for name, value in trainer.params.items()}
    with pytest.raises(Diverged) as raised:
        trainer.step()
    assert (raised.value.iteration, raised.value.phase) == (expected.value.iteration, expected.value.phase)
    assert str(raised.value).split(":")[0] == str(expected.value).split(":")[0]
    assert trainer.iteration == expected.value.iteration
    for name, value in before.items():
        assert np.array_equal(trainer.params[name], value)


@pytest.mark.skipif(not fast.numba_available(), reason="numba not installed")
def test_numba_results_do_not_depend_on_the_number_of_threads(sparse_split, monkeypatch):
    config = TrainingConfig(dtype="float32")
    results = []
    monkeypatch.setattr(kernels, "_threads", None)   # restored afterwards: other tests keep the default pool
    monkeypatch.setattr(kernels, "_thread_count", kernels._thread_count)
    monkeypatch.setattr(kernels, "PARALLEL_EXAMPLES", 0)      # the pool for these few examples too
    for threads in (1, 3):
        fast.use_threads(threads)
        trainer = FastTrainer(sparse_split, config, backend="numba")
        trainer.run(3)
        results.append(trainer.params)
    for name in PARAMETERS:
        assert np.array_equal(results[0][name], results[1][name]), name


@pytest.mark.skipif(not fast.numba_available(), reason="numba not installed")
def test_the_kernels_softmax_exp_is_within_an_ulp_of_numpys_at_every_range_and_edge():
    kernels.compile_kernels()
    rng = np.random.default_rng(11)
    n = 128
    Z2 = np.concatenate([rng.uniform(-1, 1, (3, n)), rng.uniform(-40, 40, (3, n)), rng.uniform(-800, 0, (4, n))])
    tops = Z2.max(axis=0)
    # exact edges (0, the fast path's lowest argument and just below it, the subnormal range, underflow to 0) and
    # what only a diverging run gives (−inf, NaN): all shifted by the column's maximum as the kernel's callers do
    edges = [0.0, -708.0, -708.0000001, -720.5, -745.1, -746.0, -np.inf, np.nan]
    Z2[9, :len(edges)] = tops[:len(edges)] + np.array(edges)
    E, bits = np.empty_like(Z2), np.empty(Z2.shape, np.int64)
    kernel_loops._exp_shifted(Z2, tops, n, E, bits)
    expected = np.exp(Z2 - tops)
    assert np.array_equal(np.isnan(E), np.isnan(expected))
    finite = ~np.isnan(expected)
    np.testing.assert_array_max_ulp(E[finite], expected[finite], maxulp=1)
    assert E[9, 0] == 1.0 and E[9, 5] == 0.0 and E[9, 6] == 0.0


def test_without_numba_auto_chooses_numpy_and_numba_is_refused(tiny_split, monkeypatch):
    monkeypatch.setattr(kernels, "numba_available", lambda: False)
    assert FastTrainer(tiny_split, TrainingConfig()).backend == "numpy"
    with pytest.raises(ValueError, match="pip install numba"):
        FastTrainer(tiny_split, TrainingConfig(), backend="numba")
    with pytest.raises(ValueError, match="unknown backend"):
        FastTrainer(tiny_split, TrainingConfig(), backend="cuda")


def test_pixel_columns_become_uint8_rows_exactly_and_other_values_stay_float(tiny_split):
    rows, scale = training_rows(tiny_split.X_train, "float32")
    assert rows.dtype == np.uint8 and rows.shape == (tiny_split.train_size, 784) and scale == 1 / 255
    assert np.array_equal(rows.T.astype(np.float32) / np.float32(255), tiny_split.X_train)
    shifted = tiny_split.X_train * np.float32(0.999)
    rows, scale = training_rows(shifted, "float32")
    assert rows.dtype == np.float32 and scale == 1.0 and np.array_equal(rows.T, shifted)


def test_rows_kept_for_an_x_are_dropped_with_it_even_after_the_module_is_torn_down(monkeypatch):
    """At interpreter exit, a module's globals can be cleared before the arrays they describe: the weakref's
    callback must not need them (it printed "Exception ignored … 'NoneType' object has no attribute 'pop'")."""
    X = np.zeros((784, 3), np.float32)
    X.flags.writeable = False
    table = kernels._rows_of
    kernels.pixel_rows(X, "float32")
    assert len([key for key in table if key[0] == id(X)]) == 1
    monkeypatch.setattr(kernels, "_rows_of", None)
    del X
    assert not [key for key in table if table[key][0]() is None]
