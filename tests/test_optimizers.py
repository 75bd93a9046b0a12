"""The update phase: gd, momentum and Adam, by their equations and against torch.optim."""
from __future__ import annotations

import numpy as np
import pytest

from core import network, optimizers
from core.network import GRADIENT_OF, PARAMETERS


def problem(hidden: int = 5, m: int = 16, dtype=np.float64, seed: int = 0):
    rng = np.random.default_rng(seed)
    params = network.init_params(hidden, "uniform", rng, dtype)
    X = rng.random((network.INPUTS, m)).astype(dtype)
    labels = rng.integers(0, 10, m)
    return params, X, labels, network.one_hot(labels, dtype)


def gradients_of(params, X, Y):
    arrays = network.gradients(params, X, Y)
    return {GRADIENT_OF[name]: arrays[GRADIENT_OF[name]] for name in PARAMETERS}


def frozen(arrays):
    for value in arrays.values():
        value.flags.writeable = False
    return arrays


@pytest.mark.parametrize("optimizer", optimizers.OPTIMIZERS)
def test_initial_state_is_zero(optimizer):
    params, *_ = problem()
    state = optimizers.initial_state(optimizer, params)
    expected_keys = {"gd": set(), "momentum": {f"v_{n}" for n in PARAMETERS},
                     "adam": {f"v_{n}" for n in PARAMETERS} | {f"m_{n}" for n in PARAMETERS} | {"t"}}[optimizer]
    assert set(state) == expected_keys
    for name, value in state.items():
        assert not value.any(), name
        if name != "t":
            assert value.shape == params[name[2:]].shape and value.dtype == params[name[2:]].dtype


def test_unknown_optimizer_is_named():
    params, X, labels, Y = problem()
    with pytest.raises(ValueError, match="unknown optimizer 'rmsprop': choose one of gd, momentum, adam"):
        optimizers.initial_state("rmsprop", params)
    with pytest.raises(ValueError, match="unknown optimizer 'rmsprop'"):
        optimizers.step("rmsprop", params, gradients_of(params, X, Y), 0.1, {})


@pytest.mark.parametrize("optimizer", optimizers.OPTIMIZERS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_step_never_modifies_its_inputs_and_keeps_the_dtype(optimizer, dtype):
    """Read-only inputs would raise on any in-place write; the old state stays valid for rewinding."""
    params, X, labels, Y = problem(dtype=dtype)
    grads = gradients_of(params, X, Y)
    state = optimizers.initial_state(optimizer, params)
    copies = [{k: v.copy() for k, v in d.items()} for d in (params, grads, state)]
    new_params, new_state = optimizers.step(optimizer, frozen(params), frozen(grads), 0.1, frozen(state))
    for original, copy in zip((params, grads, state), copies):
        assert all(np.array_equal(original[k], copy[k]) for k in copy)
    assert set(new_params) == set(PARAMETERS) and set(new_state) == set(state)
    for name in PARAMETERS:
        assert new_params[name].dtype == dtype and new_params[name].shape == params[name].shape
        assert not np.array_equal(new_params[name], params[name]), name


def test_gd_moves_against_the_gradient():
    params, X, labels, Y = problem()
    grads = gradients_of(params, X, Y)
    new_params, _ = optimizers.step("gd", params, grads, 0.5, {})
    for name in PARAMETERS:
        np.testing.assert_allclose(new_params[name], params[name] - 0.5 * grads[GRADIENT_OF[name]],
                                   rtol=0, atol=1e-15)
    before = network.cross_entropy(network.forward(params, X)[2], labels)
    after = network.cross_entropy(network.forward(new_params, X)[2], labels)
    assert after < before


def test_momentum_accumulates_velocity():
    params, X, labels, Y = problem()
    grads = gradients_of(params, X, Y)
    state = optimizers.initial_state("momentum", params)
    first, state = optimizers.step("momentum", params, grads, 0.1, state)
    gd, _ = optimizers.step("gd", params, grads, 0.1, {})
    assert all(np.array_equal(first[name], gd[name]) for name in PARAMETERS)  # v starts at 0: v = dW
    # With the same gradient again, the velocity is 1.9 dW: the step grows.
    second, state = optimizers.step("momentum", first, grads, 0.1, state)
    for name in PARAMETERS:
        np.testing.assert_allclose(state[f"v_{name}"], 1.9 * grads[GRADIENT_OF[name]], rtol=1e-15, atol=0)
        np.testing.assert_allclose(second[name], first[name] - 0.19 * grads[GRADIENT_OF[name]], rtol=0, atol=1e-15)


def test_adams_first_step_has_the_size_of_alpha_for_every_parameter():
    """m̂ = g and v̂ = g² after one step, so each parameter moves by α·g/(|g| + ε) ≈ α·sign(g)."""
    params, X, labels, Y = problem()
    grads = gradients_of(params, X, Y)
    new_params, state = optimizers.step("adam", params, grads, 0.01, optimizers.initial_state("adam", params))
    assert int(state["t"]) == 1
    for name in PARAMETERS:
        g = grads[GRADIENT_OF[name]]
        expected = params[name] - 0.01 * g / (np.abs(g) + optimizers.EPSILON)
        np.testing.assert_allclose(new_params[name], expected, rtol=0, atol=1e-15)
        moved = np.abs(new_params[name] - params[name])[np.abs(g) > 1e-6]
        np.testing.assert_allclose(moved, 0.01, rtol=1e-2)


# ---------------------------------------------------------------- against torch.optim

TORCH_OPTIMIZERS = {
    "gd": lambda torch, tensors, lr: torch.optim.SGD(tensors, lr=lr),
    "momentum": lambda torch, tensors, lr: torch.optim.SGD(tensors, lr=lr, momentum=0.9),
    "adam": lambda torch, tensors, lr: torch.optim.Adam(tensors, lr=lr, betas=(0.9, 0.999), eps=1e-8),
}


@pytest.mark.parametrize("optimizer, alpha", [("gd", 0.1), ("momentum", 0.1), ("adam", 0.01)])
def test_twenty_steps_equal_torch_optim(optimizer, alpha):
    """Each side computes its own gradients (ours by the phases, torch's by autograd) for 20 full-batch steps."""
    torch = pytest.importorskip("torch")
    params, X, labels, Y = problem(hidden=10, m=64, seed=3)
    tensors = {name: torch.tensor(value, requires_grad=True) for name, value in params.items()}
    torch_optimizer = TORCH_OPTIMIZERS[optimizer](torch, list(tensors.values()), alpha)
    X_tensor, labels_tensor = torch.tensor(X), torch.tensor(labels)
    state = optimizers.initial_state(optimizer, params)
    start = {name: value.copy() for name, value in params.items()}
    for step in range(20):
        torch_optimizer.zero_grad()
        A1 = torch.relu(tensors["W1"] @ X_tensor + tensors["b1"])
        Z2 = tensors["W2"] @ A1 + tensors["b2"]
        torch.nn.functional.cross_entropy(Z2.T, labels_tensor).backward()
        torch_optimizer.step()
        params, state = optimizers.step(optimizer, params, network.gradients(params, X, Y), alpha, state)
        for name in PARAMETERS:
            np.testing.assert_allclose(params[name], tensors[name].detach().numpy(), rtol=0, atol=1e-9,
                                       err_msg=f"{optimizer} step {step + 1}: {name}")
    # The runs went somewhere: every parameter moved well beyond the tolerance.
    for name in PARAMETERS:
        assert np.abs(params[name] - start[name]).max() > 1e-3, name
