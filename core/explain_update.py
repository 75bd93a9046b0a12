"""The update's arithmetic, one rule per optimizer (core/optimizers.py's step, written out for one parameter):

    gd        W[i, k] ← W[i, k] − α · dW[i, k]
    momentum  v ← 0.9 · v + dW[i, k];  W[i, k] ← W[i, k] − α · v
    adam      m ← β1 · m + (1 − β1) · dW;  v ← β2 · v + (1 − β2) · dW²;
              m̂ = m / (1 − β1ᵗ);  v̂ = v / (1 − β2ᵗ);  W[i, k] ← W[i, k] − α · m̂ / (√v̂ + ε)

The old value is the update record's W1_before, the new one its W1; v, m and t before the update come from
context.optimizer_state (the TrainingState.optimizer the update started from).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping

import numpy as np

from . import network, optimizers
from .explanation import BEFORE, Context, ExplainError, Step, Term, array_of, rounding, symbol, times
from .numbers import minus, short_number


@dataclass(frozen=True)
class _Entry:
    """The parameter entry being updated and how its numbers are written."""
    name: str                       # "W1"
    index: tuple[int, ...]
    shape: tuple[int, ...]
    alpha: str                      # α as the configuration shows it, "0.1"

    def symbol(self, prefix: str = "", suffix: str = "") -> str:
        """W1[3, 17]; with a prefix the optimizer's memory of it (v_W1[3, 17]), with BEFORE the old value."""
        return symbol(f"{prefix}{self.name}{suffix}", self.index)

    @property
    def gradient(self) -> str:
        return symbol(network.GRADIENT_OF[self.name], self.index)


def _memory(context: Context, prefix: str, entry: _Entry) -> float:
    """One entry of the optimizer's memory before the update (v_W1, m_W1, …)."""
    key, shape, index = prefix + entry.name, entry.shape, entry.index
    state = context.optimizer_state
    if key not in state:
        held = ", ".join(sorted(state)) or "nothing"
        raise ExplainError(f"explaining a {context.optimizer} update needs the optimizer's state before it: "
                           f"context.optimizer_state has no {key} (it holds {held})")
    memory = np.asarray(state[key])
    if memory.shape != shape:
        raise ExplainError(f"context.optimizer_state[{key!r}] has shape {memory.shape}, expected {shape}")
    return float(memory[index])


def _gd(entry: _Entry, old: float, gradient: float, context: Context) -> dict:
    alpha = context.alpha
    computed = old - alpha * gradient
    s, g, before, rate = entry.symbol(), entry.gradient, entry.symbol(suffix=BEFORE), entry.alpha
    return dict(
        formula=f"{s} ← {s} − α · {g}",
        terms=(Term(before, old), Term(g, gradient), Term("α", alpha)),
        steps=(Step(f"{s} = {before} − α · {g} = {short_number(old)} − {rate} · {times(gradient)} = "
                    f"{short_number(computed)}", computed),),
        computed=computed,
        tolerance=rounding(context.dtype, 2, abs(old) + alpha * abs(gradient)))


def _momentum(entry: _Entry, old: float, gradient: float, context: Context) -> dict:
    alpha = context.alpha
    velocity_before = _memory(context, "v_", entry)
    velocity = optimizers.MOMENTUM * velocity_before + gradient
    computed = old - alpha * velocity
    s, g, before, rate, v = entry.symbol(), entry.gradient, entry.symbol(suffix=BEFORE), entry.alpha, entry.symbol("v_")
    return dict(
        formula=f"{s} ← {s} − α · v,  v ← {optimizers.MOMENTUM:g} · v + {g}",
        terms=(Term(before, old), Term(g, gradient), Term(f"{v} before", velocity_before), Term("α", alpha)),
        steps=(Step(f"v = {optimizers.MOMENTUM:g} · {times(velocity_before)} + {times(gradient)} = "
                    f"{short_number(velocity)}", velocity),
               Step(f"{s} = {before} − α · v = {short_number(old)} − {rate} · {times(velocity)} = "
                    f"{short_number(computed)}", computed)),
        computed=computed,
        tolerance=rounding(context.dtype, 3, abs(old) + alpha * (optimizers.MOMENTUM * abs(velocity_before)
                                                                  + abs(gradient))))


def _adam(entry: _Entry, old: float, gradient: float, context: Context) -> dict:
    alpha, beta1, beta2, epsilon = context.alpha, optimizers.BETA1, optimizers.BETA2, optimizers.EPSILON
    if "t" not in context.optimizer_state:
        raise ExplainError("explaining an Adam update needs the optimizer's state before it: "
                           "context.optimizer_state has no t (the number of updates so far)")
    t = int(np.asarray(context.optimizer_state["t"])) + 1
    first_before = _memory(context, "m_", entry)
    second_before = _memory(context, "v_", entry)
    first = beta1 * first_before + (1 - beta1) * gradient
    second = beta2 * second_before + (1 - beta2) * gradient * gradient
    first_hat = first / (1 - beta1 ** t)
    second_hat = second / (1 - beta2 ** t)
    denominator = math.sqrt(second_hat) + epsilon
    change = alpha * first_hat / denominator
    computed = old - change
    s, g, before, rate = entry.symbol(), entry.gradient, entry.symbol(suffix=BEFORE), entry.alpha
    m_symbol, v_symbol = entry.symbol("m_"), entry.symbol("v_")
    # m adds two numbers that may cancel: its rounding is relative to their sizes, and the step divides it.
    first_rounding = rounding(context.dtype, 2, beta1 * abs(first_before) + (1 - beta1) * abs(gradient),
                              underflow=False)
    tolerance = (rounding(context.dtype, 1, abs(old)) + rounding(context.dtype, 12, abs(change))
                 + alpha / (1 - beta1 ** t) * first_rounding / denominator)
    return dict(
        formula=f"{s} ← {s} − α · m̂ / (√v̂ + ε),  m̂ = m / (1 − β1ᵗ),  v̂ = v / (1 − β2ᵗ)",
        terms=(Term(before, old), Term(g, gradient), Term(f"{m_symbol} before", first_before),
               Term(f"{v_symbol} before", second_before), Term("t", t), Term("α", alpha), Term("β1", beta1),
               Term("β2", beta2), Term("ε", epsilon)),
        steps=(Step(f"t = {t}: this is update number {t}", t),
               Step(f"m = {beta1:g} · {times(first_before)} + {1 - beta1:.1g} · {times(gradient)} = "
                    f"{short_number(first)}", first),
               Step(f"v = {beta2:g} · {times(second_before)} + {1 - beta2:.1g} · {times(gradient)}² = "
                    f"{short_number(second)}", second),
               Step(f"m̂ = m / (1 − {beta1:g}^{t}) = {short_number(first_hat)}", first_hat),
               Step(f"v̂ = v / (1 − {beta2:g}^{t}) = {short_number(second_hat)}", second_hat),
               Step(f"{s} = {before} − α · m̂ / (√v̂ + ε) = "
                    f"{short_number(old)} − {rate} · {times(first_hat)} / "
                    f"({short_number(math.sqrt(second_hat))} + {minus(f'{epsilon:g}')}) = {short_number(computed)}",
                    computed)),
        computed=computed, tolerance=tolerance)


_RULES = {"gd": _gd, "momentum": _momentum, "adam": _adam}


def explain_update(name: str, index: tuple[int, ...], arrays: Mapping[str, np.ndarray], context: Context) -> dict:
    """The parts of an Explanation of the new value of parameter `name` at `index` (see core/explain.py)."""
    old_array = array_of(name + BEFORE, arrays, name)
    gradient_name = network.GRADIENT_OF[name]
    gradient_array = array_of(gradient_name, arrays, name)
    shape = tuple(np.shape(arrays[name]))
    for other, array in ((name + BEFORE, old_array), (gradient_name, gradient_array)):
        if array.shape != shape:
            raise ExplainError(f"{other} has shape {array.shape} but {name} has {shape}")
    entry = _Entry(name, index, shape, minus(f"{context.alpha:g}"))
    parts = _RULES[context.optimizer](entry, float(old_array[index]), float(gradient_array[index]), context)
    return dict(parts, products=(), note=optimizers.UPDATE_MEANINGS[context.optimizer])
