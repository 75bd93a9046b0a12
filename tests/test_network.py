"""The eleven phases against the textbook formulas, the classic notebook, finite differences and PyTorch."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

from core import network, optimizers
from core.network import ACTIVATIONS, PARAMETERS, PHASES, ShapeError
from fixtures import notebook

HIDDEN = 7
M = 12


def make_problem(activation_seed: int = 0, hidden: int = HIDDEN, m: int = M, dtype=np.float64):
    """Random float64 parameters (the notebook's init), pixel-like inputs X in [0, 1] and labels."""
    rng = np.random.default_rng(activation_seed)
    params = network.init_params(hidden, "uniform", rng, dtype)
    X = rng.random((network.INPUTS, m)).astype(dtype)
    labels = rng.integers(0, 10, m)
    return params, X, labels, network.one_hot(labels, dtype)


# ---------------------------------------------------------------- textbook formulas

def textbook_pass(params, X, Y, alpha):
    """The equations written out independently: explicit sums and a per-column softmax."""
    W1, b1, W2, b2 = (params[name] for name in PARAMETERS)
    m = X.shape[1]
    Z1 = np.einsum("ik,kj->ij", W1, X) + b1
    A1 = np.where(Z1 > 0, Z1, 0.0)
    Z2 = np.einsum("ik,kj->ij", W2, A1) + b2
    A2 = np.empty_like(Z2)
    for j in range(m):
        e = np.exp(Z2[:, j] - Z2[:, j].max())
        A2[:, j] = e / e.sum()
    dZ2 = A2 - Y
    dW2 = np.einsum("ij,kj->ik", dZ2, A1) / m
    db2 = np.array([[sum(dZ2[i, j] for j in range(m)) / m] for i in range(network.OUTPUTS)])
    dZ1 = np.einsum("ki,kj->ij", W2, dZ2) * (Z1 > 0)
    dW1 = np.einsum("ij,kj->ik", dZ1, X) / m
    db1 = np.array([[sum(dZ1[i, j] for j in range(m)) / m] for i in range(W1.shape[0])])
    arrays = dict(Z1=Z1, A1=A1, Z2=Z2, A2=A2, dZ2=dZ2, dW2=dW2, db2=db2, dZ1=dZ1, dW1=dW1, db1=db1)
    updated = dict(W1=W1 - alpha * dW1, b1=b1 - alpha * db1, W2=W2 - alpha * dW2, b2=b2 - alpha * db2)
    return arrays, updated


def test_every_phase_equals_the_textbook_formula_in_float64():
    params, X, labels, Y = make_problem()
    expected, expected_update = textbook_pass(params, X, Y, alpha=0.1)
    arrays = network.gradients(params, X, Y, "relu")
    for phase in PHASES[:-1]:
        assert arrays[phase].shape == expected[phase].shape, phase
        np.testing.assert_allclose(arrays[phase], expected[phase], rtol=0, atol=1e-12, err_msg=phase)
    assert arrays["db2"].shape == (network.OUTPUTS, 1)
    assert arrays["db1"].shape == (HIDDEN, 1)
    updated, state = optimizers.step("gd", params, arrays, 0.1, {})
    assert state == {}
    for name in PARAMETERS:
        np.testing.assert_allclose(updated[name], expected_update[name], rtol=0, atol=1e-12, err_msg=name)


def test_forward_returns_the_same_arrays_as_the_phases():
    params, X, labels, Y = make_problem(1)
    arrays = network.gradients(params, X, Y, "tanh")
    for name, value in zip(("Z1", "A1", "Z2", "A2"), network.forward(params, X, "tanh")):
        assert np.array_equal(value, arrays[name]), name
    np.testing.assert_allclose(arrays["A2"].sum(axis=0), 1.0, rtol=0, atol=1e-12)


# ---------------------------------------------------------------- the classic notebook, verbatim

def notebook_functions(monkeypatch):
    """The notebook's forward_prop and backward_prop (tests/fixtures/notebook.py), with its global m set as the
    notebook's top level sets it (there: all rows of the file, dev rows included; here the M columns of X)."""
    monkeypatch.setattr(notebook, "m", M)
    return notebook.forward_prop, notebook.backward_prop


def notebook_problem():
    params, X, labels, Y = make_problem(2)
    labels[0] = 9  # the notebook's one_hot needs the largest label present to make 10 rows
    return params, X, labels, network.one_hot(labels, np.float64)


def notebook_and_ours(monkeypatch) -> tuple[dict, dict]:
    """The notebook's forward_prop and backward_prop on notebook_problem(), by name, and our gradients on it."""
    forward_prop, backward_prop = notebook_functions(monkeypatch)
    params, X, labels, Y = notebook_problem()
    W1, b1, W2, b2 = (params[name] for name in PARAMETERS)
    Z1, A1, Z2, A2 = forward_prop(W1, b1, W2, b2, X)
    dW1, db1, dW2, db2 = backward_prop(Z1, A1, Z2, A2, W1, W2, X, labels)
    notebook = dict(Z1=Z1, A1=A1, Z2=Z2, A2=A2, dW1=dW1, db1=db1, dW2=dW2, db2=db2)
    return notebook, network.gradients(params, X, Y)


def test_forward_pass_and_weight_gradients_equal_the_notebook(monkeypatch):
    notebook, ours = notebook_and_ours(monkeypatch)
    for name in ("Z1", "A1", "Z2", "A2", "dW1", "dW2"):
        np.testing.assert_allclose(ours[name], notebook[name], rtol=0, atol=1e-12, err_msg=name)


def test_bias_gradients_are_per_row_unlike_the_notebooks_np_sum_without_axis(monkeypatch):
    """The notebook's np.sum(dZ2) adds all rows into one number, which is always ≈ 0 (each column of A2 − Y
    sums to 0), so its b2 never learns; ours gives each output bias its own row sum."""
    notebook, ours = notebook_and_ours(monkeypatch)
    notebook_db1, notebook_db2 = notebook["db1"], notebook["db2"]
    assert np.ndim(notebook_db2) == 0 and abs(notebook_db2) < 1e-12
    assert ours["db2"].shape == (network.OUTPUTS, 1)
    assert np.abs(ours["db2"]).max() > 1e-3
    np.testing.assert_allclose(ours["db2"], ours["dZ2"].sum(axis=1, keepdims=True) / M, rtol=0, atol=1e-15)
    # The notebook's db1 is the sum of our per-row db1: the same total, spread over one number.
    assert np.ndim(notebook_db1) == 0
    np.testing.assert_allclose(ours["db1"].sum(), notebook_db1, rtol=0, atol=1e-12)
    assert not np.allclose(ours["db1"], notebook_db1)


# ---------------------------------------------------------------- finite differences

def loss_of(params, X, labels, activation):
    Z2 = network.forward(params, X, activation)[2]
    return network.cross_entropy(Z2, labels)


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_gradients_match_central_finite_differences(activation):
    params, X, labels, Y = make_problem(3)
    if activation in ("sigmoid", "tanh"):
        # Keep the hidden sums out of saturation so the gradients are not all ≈ 0.
        params = {name: value * 0.1 for name, value in params.items()}
    analytic = network.gradients(params, X, Y, activation)
    rng = np.random.default_rng(4)
    h = 1e-6
    for name in PARAMETERS:
        shape = params[name].shape
        entries = [tuple(int(rng.integers(0, n)) for n in shape) for _ in range(8)]
        numeric, exact = [], []
        for entry in entries:
            plus = {key: value.copy() for key, value in params.items()}
            minus = {key: value.copy() for key, value in params.items()}
            plus[name][entry] += h
            minus[name][entry] -= h
            numeric.append((loss_of(plus, X, labels, activation) - loss_of(minus, X, labels, activation)) / (2 * h))
            exact.append(analytic[network.GRADIENT_OF[name]][entry])
        numeric, exact = np.array(numeric), np.array(exact)
        assert np.linalg.norm(exact) > 1e-6, f"{name}: sampled gradients all ≈ 0, the check would be empty"
        relative = np.linalg.norm(numeric - exact) / np.linalg.norm(numeric + exact)
        assert relative < 1e-6, f"{activation} {name}: relative error {relative:.2e}"


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_activation_derivative_matches_finite_differences(activation):
    Z = np.linspace(-4, 4, 81) + 0.0125  # avoids z = 0, where ReLU's derivative is undefined
    g, g_prime = ACTIVATIONS[activation].g, ACTIVATIONS[activation].g_prime
    numeric = (g(Z + 1e-6) - g(Z - 1e-6)) / 2e-6
    np.testing.assert_allclose(g_prime(Z), numeric, rtol=0, atol=1e-8)
    assert g(Z.astype(np.float32)).dtype == np.float32
    assert g_prime(Z.astype(np.float32)).dtype == np.float32


def test_sigmoid_does_not_overflow_for_large_sums():
    Z = np.array([-1e4, -50.0, 0.0, 50.0, 1e4])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        A = ACTIVATIONS["sigmoid"].g(Z)
    np.testing.assert_allclose(A, [0.0, 1.9287498479639178e-22, 0.5, 1.0, 1.0], rtol=0, atol=1e-15)
    np.testing.assert_allclose(ACTIVATIONS["sigmoid"].g(np.array([-3.0, 3.0])), 1 / (1 + np.exp([3.0, -3.0])),
                               rtol=1e-14)


# ---------------------------------------------------------------- stability

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_and_cross_entropy_are_stable_for_huge_scores(dtype):
    Z2 = np.zeros((10, 3), dtype=dtype)
    Z2[3, 0], Z2[5, 0] = 1e4, -1e4         # one huge score wins outright
    Z2[:, 1] = -1e4                        # all equal (huge and negative): uniform
    Z2[7, 2], Z2[8, 2] = 1e4, 1e4          # two tie
    with warnings.catch_warnings():
        warnings.simplefilter("error")     # no overflow, no invalid value
        A2 = network.softmax(Z2)
        right = network.cross_entropy(Z2, np.array([3, 0, 7]))
        wrong = network.cross_entropy(Z2[:, :1], np.array([5]))
    assert A2.dtype == dtype and np.isfinite(A2).all()
    expected = np.zeros((10, 3))
    expected[3, 0] = 1.0
    expected[:, 1] = 0.1
    expected[7, 2] = expected[8, 2] = 0.5
    np.testing.assert_allclose(A2, expected, rtol=1e-6, atol=1e-30)
    # −log of 1, 0.1 and 0.5 averaged; the wrong guess costs the whole gap of 2·10⁴.
    # float32 holds 10⁴ + log 2 only to its spacing at 10⁴ (about 0.001).
    tolerance = 1e-3 if dtype == np.float32 else 1e-9
    assert right == pytest.approx((0.0 + np.log(10) + np.log(2)) / 3, abs=tolerance)
    assert wrong == pytest.approx(2e4, abs=tolerance)


def test_cross_entropy_is_the_mean_negative_log_probability_of_the_label():
    params, X, labels, Y = make_problem(5)
    Z2 = network.forward(params, X)[2]
    A2 = network.softmax(Z2)
    expected = -np.mean(np.log(A2[labels, np.arange(M)]))
    assert network.cross_entropy(Z2, labels) == pytest.approx(expected, rel=1e-12)


# ---------------------------------------------------------------- initialisation

@pytest.mark.parametrize("init", network.INITS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_init_shapes_dtype_and_seed(init, dtype):
    params = network.init_params(16, init, np.random.default_rng(7), dtype)
    assert {name: value.shape for name, value in params.items()} == {
        "W1": (16, 784), "b1": (16, 1), "W2": (10, 16), "b2": (10, 1)}
    assert all(value.dtype == dtype for value in params.values())
    again = network.init_params(16, init, np.random.default_rng(7), dtype)
    other = network.init_params(16, init, np.random.default_rng(8), dtype)
    assert all(np.array_equal(params[name], again[name]) for name in PARAMETERS)
    assert not np.array_equal(params["W1"], other["W1"])
    assert network.check_params(params) == 16


def test_uniform_init_is_the_notebooks_rand_minus_a_half():
    params = network.init_params(32, "uniform", np.random.default_rng(0), np.float64)
    for name, value in params.items():
        assert value.min() >= -0.5 and value.max() < 0.5, name
    # Spread over the whole interval, and centred: uniform[−0.5, 0.5) has mean 0 and std 1/√12.
    W1 = params["W1"]
    assert W1.min() < -0.49 and W1.max() > 0.49
    assert abs(W1.mean()) < 0.01
    assert W1.std() == pytest.approx(1 / np.sqrt(12), rel=0.02)
    assert params["b1"].std() > 0.1  # the notebook's biases are random too


def test_he_init_is_normal_with_variance_two_over_fan_in_and_zero_biases():
    params = network.init_params(64, "he", np.random.default_rng(0), np.float64)
    assert params["W1"].std() == pytest.approx(np.sqrt(2 / 784), rel=0.02)
    assert params["W2"].std() == pytest.approx(np.sqrt(2 / 64), rel=0.1)
    assert abs(params["W1"].mean()) < 0.002
    assert not params["b1"].any() and not params["b2"].any()


def test_xavier_init_is_uniform_within_its_limit_and_zero_biases():
    params = network.init_params(64, "xavier", np.random.default_rng(0), np.float64)
    for name, fan_in, fan_out in (("W1", 784, 64), ("W2", 64, 10)):
        limit = np.sqrt(6 / (fan_in + fan_out))
        assert np.abs(params[name]).max() <= limit
        assert np.abs(params[name]).max() > 0.95 * limit
        assert params[name].std() == pytest.approx(limit / np.sqrt(3), rel=0.05)
    assert not params["b1"].any() and not params["b2"].any()


def test_init_rejects_unknown_names_and_empty_layers():
    with pytest.raises(ValueError, match="unknown init 'normal'.*uniform, he, xavier"):
        network.init_params(10, "normal", np.random.default_rng(0))
    with pytest.raises(ValueError, match="at least one unit, not 0"):
        network.init_params(0, "he", np.random.default_rng(0))


# ---------------------------------------------------------------- check_params

def good_params(hidden: int = 3) -> dict[str, np.ndarray]:
    return {name: np.zeros(shape) for name, shape in network.parameter_shapes(hidden).items()}


def test_check_params_returns_the_hidden_width():
    assert network.check_params(good_params(3)) == 3
    assert network.check_params(good_params(128)) == 128


@pytest.mark.parametrize("change, message", [
    ({"b2": None}, "missing b2"),
    ({"W2": None, "b1": None}, "missing b1, W2"),
    ({"W1": np.zeros((3, 783))}, r"W1 has shape \(3, 783\), expected \(3, 784\)"),
    ({"b1": np.zeros(3)}, r"b1 has shape \(3,\), expected \(3, 1\)"),
    ({"W2": np.zeros((10, 4))}, r"W2 has shape \(10, 4\), expected \(10, 3\)"),
    ({"b2": np.zeros((9, 1))}, r"b2 has shape \(9, 1\), expected \(10, 1\)"),
    ({"W1": np.zeros(784)}, r"W1 has shape \(784,\), expected \(H, 784\) with H ≥ 1"),
    ({"W1": np.zeros((0, 784))}, r"W1 has shape \(0, 784\), expected \(H, 784\) with H ≥ 1"),
])
def test_check_params_names_the_wrong_parameter_and_the_expected_shape(change, message):
    params = good_params(3)
    for name, value in change.items():
        if value is None:
            del params[name]
        else:
            params[name] = value
    with pytest.raises(ShapeError, match=message):
        network.check_params(params)


# ---------------------------------------------------------------- predictions

def test_predictions_and_accuracy():
    A2 = np.full((10, 4), 0.05)
    A2[[2, 7, 7, 0], [0, 1, 2, 3]] = 0.55
    assert network.accuracy(A2, np.array([2, 7, 1, 0])) == 0.75
    assert np.isnan(network.accuracy(A2[:, :0], np.array([], dtype=np.int64)))
    params, X, labels, Y = make_problem(6)
    predictions = network.predict(params, X)
    assert predictions.shape == (M,)
    assert np.array_equal(predictions, network.forward(params, X)[3].argmax(axis=0))
    # A network whose output bias strongly prefers digit 4 predicts 4 for everything.
    params["b2"] = np.zeros((10, 1))
    params["b2"][4] = 1e3
    assert np.array_equal(network.predict(params, X), np.full(M, 4))
    assert network.accuracy(network.forward(params, X)[3], labels) == np.mean(labels == 4)


def test_one_hot():
    Y = network.one_hot(np.array([3, 0, 9, 3]))
    assert Y.shape == (10, 4) and Y.dtype == np.float32
    assert np.array_equal(Y.argmax(axis=0), [3, 0, 9, 3])
    assert np.array_equal(Y.sum(axis=0), np.ones(4))


def test_run_phase_refuses_the_update():
    with pytest.raises(ValueError, match="'update' is not a computing phase"):
        network.run_phase("update", {}, "relu")


# ---------------------------------------------------------------- PyTorch

TORCH_ACTIVATIONS = {
    "relu": lambda torch, Z: torch.relu(Z),
    "leaky_relu": lambda torch, Z: torch.nn.functional.leaky_relu(Z, network.LEAKY_SLOPE),
    "sigmoid": lambda torch, Z: torch.sigmoid(Z),
    "tanh": lambda torch, Z: torch.tanh(Z),
}


def torch_gradients(torch, params, X, labels, activation):
    """dL/dW1, db1, dW2, db2 of the mean cross-entropy, by autograd."""
    tensors = {name: torch.tensor(value, requires_grad=True) for name, value in params.items()}
    Z1 = tensors["W1"] @ torch.tensor(X) + tensors["b1"]
    A1 = TORCH_ACTIVATIONS[activation](torch, Z1)
    Z2 = tensors["W2"] @ A1 + tensors["b2"]
    loss = torch.nn.functional.cross_entropy(Z2.T, torch.tensor(labels), reduction="mean")
    loss.backward()
    return loss.item(), {name: tensor.grad.numpy() for name, tensor in tensors.items()}


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_gradients_equal_pytorch_autograd(activation):
    torch = pytest.importorskip("torch")
    params, X, labels, Y = make_problem(8, hidden=32, m=64)
    loss, expected = torch_gradients(torch, params, X, labels, activation)
    arrays = network.gradients(params, X, Y, activation)
    assert network.cross_entropy(arrays["Z2"], labels) == pytest.approx(loss, rel=1e-12)
    for name in PARAMETERS:
        gradient = arrays[network.GRADIENT_OF[name]]
        assert gradient.shape == expected[name].shape, name
        assert np.abs(expected[name]).max() > 1e-4, name
        np.testing.assert_allclose(gradient, expected[name], rtol=0, atol=1e-9, err_msg=name)


# ---------------------------------------------------------------- the phase table

def test_every_table_of_the_phases_is_read_off_the_one_registry():
    table = network.PHASE_TABLE
    assert [phase.name for phase in table] == list(PHASES) == list(network.PHASE)
    assert PHASES == ("Z1", "A1", "Z2", "A2", "dZ2", "dW2", "db2", "dZ1", "dW1", "db1", "update")
    assert network.FORWARD_PHASES == tuple(p.name for p in table if p.direction == "forward") == PHASES[:4]
    assert network.BACKWARD_PHASES == tuple(p.name for p in table if p.direction == "backward") == PHASES[4:10]
    assert network.COMPUTING_PHASES == PHASES[:10] and table[-1].direction == "update"
    for phase in table:
        assert network.PHASE[phase.name] is phase
        assert network.EQUATIONS[phase.name] == phase.equation
        assert network.MEANINGS[phase.name] == phase.meaning
        assert network.READS[phase.name] == phase.reads
        assert network.WRITES[phase.name] == phase.writes
        assert phase.equation.startswith(phase.name + " = ") or phase.name == "update"
        assert phase.writes == ((phase.name,) if phase.name != "update" else PARAMETERS)
    for derived in (network.EQUATIONS, network.MEANINGS, network.READS, network.WRITES, network.PHASE):
        with pytest.raises(TypeError):
            derived["Z1"] = None        # read-only: a second, drifting copy cannot be made by assignment


def test_run_phase_is_a_lookup_of_each_phases_own_function():
    params, X, labels, Y = make_problem(2)
    arrays = network.gradients(params, X, Y, "sigmoid")
    calls = {"Z1": lambda: network.z1(params["W1"], X, params["b1"]),
             "A1": lambda: network.a1(arrays["Z1"], "sigmoid"),
             "Z2": lambda: network.z2(params["W2"], arrays["A1"], params["b2"]),
             "A2": lambda: network.softmax(arrays["Z2"]), "dZ2": lambda: network.dz2(arrays["A2"], Y),
             "dW2": lambda: network.dw2(arrays["dZ2"], arrays["A1"]), "db2": lambda: network.db2(arrays["dZ2"]),
             "dZ1": lambda: network.dz1(params["W2"], arrays["dZ2"], arrays["Z1"], "sigmoid"),
             "dW1": lambda: network.dw1(arrays["dZ1"], X), "db1": lambda: network.db1(arrays["dZ1"])}
    assert set(calls) == set(network.COMPUTING_PHASES)
    for phase, call in calls.items():
        assert np.array_equal(network.run_phase(phase, arrays, "sigmoid"), call()), phase
    with pytest.raises(ValueError, match="unknown phase 'Z3'"):
        network.run_phase("Z3", arrays, "relu")


def test_the_live_shape_string_of_every_phase():
    H, m = 12, 200
    shapes = {"W1": (H, 784), "b1": (H, 1), "W2": (10, H), "b2": (10, 1), "X": (784, m), "Y": (10, m),
              "Z1": (H, m), "A1": (H, m), "Z2": (10, m), "A2": (10, m), "dZ2": (10, m), "dW2": (10, H),
              "db2": (10, 1), "dZ1": (H, m), "dW1": (H, 784), "db1": (H, 1)}
    expected = {
        "Z1": "(12, 784)·(784, 200) + (12, 1) → (12, 200)",
        "A1": "g(12, 200) → (12, 200)",
        "Z2": "(10, 12)·(12, 200) + (10, 1) → (10, 200)",
        "A2": "softmax(10, 200) → (10, 200)",
        "dZ2": "(10, 200) − (10, 200) → (10, 200)",
        "dW2": "(10, 200)·(200, 12) → (10, 12)",
        "db2": "Σⱼ(10, 200) → (10, 1)",
        "dZ1": "(12, 10)·(10, 200) ⊙ (12, 200) → (12, 200)",
        "dW1": "(12, 200)·(200, 784) → (12, 784)",
        "db1": "Σⱼ(12, 200) → (12, 1)",
        "update": "W1 (12, 784), b1 (12, 1), W2 (10, 12), b2 (10, 1)",
    }
    assert set(expected) == set(PHASES)
    for phase in network.PHASE_TABLE:
        assert phase.shape_equation(shapes) == expected[phase.name], phase.name
        # Every shape it names is one the phase reads or writes.
        assert phase.shape_equation({name: shapes[name] for name in (*phase.reads, *phase.writes)})
