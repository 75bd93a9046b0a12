"""The update phase: how each parameter moves against its gradient.

Optimizers are pure functions of (parameters, gradients, state): they return new
arrays and never modify their inputs, so any earlier state can be kept and restored.
"""
from __future__ import annotations

from typing import Mapping

import numpy as np

from .network import EQUATIONS, GRADIENT_OF, MEANINGS

OPTIMIZERS: tuple[str, ...] = ("gd", "momentum", "adam")
MOMENTUM = 0.9
BETA1, BETA2, EPSILON = 0.9, 0.999, 1e-8

UPDATE_EQUATIONS: Mapping[str, str] = {
    "gd": "W ← W − α · dW",
    "momentum": "W ← W − α · v,   v ← 0.9·v + dW",
    "adam": "W ← W − α · m̂ / (√v̂ + ε)",
}
UPDATE_NAMES: Mapping[str, str] = {"gd": "gradient descent", "momentum": "momentum", "adam": "Adam"}
UPDATE_MEANINGS: Mapping[str, str] = {
    "gd": "Every weight and bias takes a small step against its gradient: this is where the network learns.",
    "momentum": "Each parameter moves by its velocity v, a running sum of gradients (0.9 of the last v plus the "
                "new dW), so steady directions speed up and zig-zags cancel.",
    "adam": "Each parameter moves by m̂ / (√v̂ + ε): m is a running mean of its gradients (β1 = 0.9), v of their "
            "squares (β2 = 0.999), both bias-corrected, so every weight gets a step of about α whatever its scale.",
}

State = dict[str, np.ndarray]


def phase_equation(phase: str, optimizer: str) -> str:
    """A phase's equation; the update's is the optimizer's rule."""
    return UPDATE_EQUATIONS[optimizer] if phase == "update" else EQUATIONS[phase]


def phase_meaning(phase: str, optimizer: str) -> str:
    return UPDATE_MEANINGS[optimizer] if phase == "update" else MEANINGS[phase]


def initial_state(optimizer: str, params: Mapping[str, np.ndarray]) -> State:
    """The optimizer's memory before the first step: none for gd, zero velocities / moments otherwise."""
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {optimizer!r}: choose one of {', '.join(OPTIMIZERS)}")
    if optimizer == "gd":
        return {}
    state = {f"v_{name}": np.zeros_like(value) for name, value in params.items()}
    if optimizer == "adam":
        state.update({f"m_{name}": np.zeros_like(value) for name, value in params.items()})
        state["t"] = np.zeros((), dtype=np.int64)
    return state


def step(optimizer: str, params: Mapping[str, np.ndarray], grads: Mapping[str, np.ndarray], alpha: float,
         state: State) -> tuple[dict[str, np.ndarray], State]:
    """One update of every parameter; returns (new parameters, new optimizer state)."""
    dtype = next(iter(params.values())).dtype.type
    lr = dtype(alpha)
    new_params: dict[str, np.ndarray] = {}
    new_state: State = {}
    if optimizer == "gd":
        for name, value in params.items():
            new_params[name] = value - lr * grads[GRADIENT_OF[name]]
    elif optimizer == "momentum":
        # torch.optim.SGD(momentum=0.9): v <- mu*v + g; w <- w - lr*v (v starts at 0, so the first v is g).
        for name, value in params.items():
            velocity = dtype(MOMENTUM) * state[f"v_{name}"] + grads[GRADIENT_OF[name]]
            new_state[f"v_{name}"] = velocity
            new_params[name] = value - lr * velocity
    elif optimizer == "adam":
        # torch.optim.Adam: bias-corrected moments, eps added to the corrected root.
        t = int(state["t"]) + 1
        new_state["t"] = np.array(t, dtype=np.int64)
        correction1 = 1 - BETA1 ** t
        correction2 = 1 - BETA2 ** t
        for name, value in params.items():
            grad = grads[GRADIENT_OF[name]]
            first = dtype(BETA1) * state[f"m_{name}"] + dtype(1 - BETA1) * grad
            second = dtype(BETA2) * state[f"v_{name}"] + dtype(1 - BETA2) * grad * grad
            new_state[f"m_{name}"] = first
            new_state[f"v_{name}"] = second
            denominator = np.sqrt(second) / dtype(np.sqrt(correction2)) + dtype(EPSILON)
            new_params[name] = value - dtype(alpha / correction1) * first / denominator
    else:
        raise ValueError(f"unknown optimizer {optimizer!r}: choose one of {', '.join(OPTIMIZERS)}")
    return new_params, new_state
