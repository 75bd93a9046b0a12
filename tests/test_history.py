"""The rewind history: curves, learning rates, keyframes within the memory budget, exact states on demand."""
from __future__ import annotations

import re

import numpy as np
import pytest

import core.history
from core import network, optimizers
from core.history import Curves, History, TrainingState


def real_state(optimizer: str = "gd", hidden: int = 10) -> TrainingState:
    """A 784-hidden-10 float32 state of real size."""
    params = network.init_params(hidden, "uniform", np.random.default_rng(0), np.float32)
    return TrainingState(0, params, optimizers.initial_state(optimizer, params))


def counting_state(iteration: int, template: TrainingState) -> TrainingState:
    """A state of the template's size whose b2 says which iteration it is (the other arrays are shared)."""
    params = dict(template.params)
    params["b2"] = np.full_like(template.params["b2"], iteration)
    return TrainingState(iteration, params, template.optimizer)


def fake_recompute(calls: list[int]):
    def recompute(state: TrainingState) -> TrainingState:
        calls.append(state.iteration)
        return counting_state(state.iteration + 1, state)
    return recompute


def record_run(history: History, template: TrainingState, iterations: int, counting: bool = True) -> None:
    for iteration in range(history.latest + 1, iterations + 1):
        state = (counting_state(iteration, template) if counting
                 else TrainingState(iteration, template.params, template.optimizer))  # same size, quicker
        history.record(state, loss=1.0 / iteration, train_accuracy=0.5, dev_accuracy=None)


def test_state_sizes_in_the_docstring():
    assert real_state("gd").nbytes == 31_840            # "31.8 kB"
    assert real_state("momentum").nbytes == 63_680      # "63.7 kB"
    assert real_state("adam").nbytes == 95_528          # "95.5 kB"
    for text in ("31.8 kB", "63.7 kB", "95.5 kB", "64 MiB", "24 bytes an iteration"):
        assert text in core.history.__doc__


def test_ten_thousand_iterations_of_the_default_network_stay_rewindable_within_100_mb():
    template = counting_state(0, real_state("gd"))
    history = History(template, alpha=0.1)
    record_run(history, template, 10_000)
    assert history.earliest == 0 and history.latest == 10_000
    assert history.nbytes < 100e6
    assert len(history.keyframes) == 101
    calls: list[int] = []
    for iteration in (0, 1, 99, 100, 101, 4_321, 9_999, 5_000, 10_000):
        state = history.state_at(iteration, fake_recompute(calls))
        assert state.iteration == iteration and int(state.params["b2"][0, 0]) == iteration
    # Each iteration is at most 99 recomputations away from its keyframe.
    assert len(calls) <= 9 * 99


@pytest.mark.parametrize("optimizer, newest", [("gd", 180_000), ("momentum", 90_000), ("adam", 60_000)])
def test_the_default_budget_keeps_what_the_docstring_promises(optimizer, newest):
    """'in a run of up to 260,000 iterations the default budget keeps at least the newest 180,000 rewindable
    (90,000 with momentum, 60,000 with Adam)' — and never holds more than its budget."""
    assert f"{newest:,}" in core.history.__doc__
    template = counting_state(0, real_state(optimizer))
    history = History(template, alpha=0.1)
    budget = 64 * 2**20
    assert history.budget_bytes == budget
    record_run(history, template, newest, counting=False)
    assert history.earliest == 0 and history.nbytes <= budget
    record_run(history, template, 260_000, counting=False)
    assert history.latest - history.earliest >= newest
    assert history.earliest > 0                  # the oldest keyframes did go: the budget is real
    assert history.nbytes <= budget
    assert history.curves.length == 260_000


def test_dropped_keyframes_move_earliest_and_refuse_older_iterations():
    template = counting_state(0, real_state("gd"))
    size = template.nbytes
    history = History(template, alpha=0.1, budget_bytes=size * (4 + 5) + Curves().nbytes,
                      keyframe_every=7, recent=4)
    record_run(history, template, 100)
    assert list(history.keyframes) == [70, 77, 84, 91, 98]
    assert history.earliest == 70 and history.nbytes <= history.budget_bytes
    calls: list[int] = []
    state = history.state_at(75, fake_recompute(calls))
    assert state.iteration == 75 and calls == [70, 71, 72, 73, 74]
    with pytest.raises(IndexError, match=re.escape("iteration 69 is outside the rewindable range 70–100")):
        history.state_at(69, fake_recompute(calls))
    with pytest.raises(IndexError, match=re.escape("iteration 101 is outside the rewindable range 70–100")):
        history.state_at(101, fake_recompute(calls))


def test_recent_states_are_served_without_recomputation():
    template = counting_state(0, real_state("gd"))
    history = History(template, alpha=0.1, keyframe_every=10, recent=3)
    record_run(history, template, 25)
    assert list(history.recent) == [23, 24, 25]
    calls: list[int] = []
    assert history.state_at(24, fake_recompute(calls)).iteration == 24 and calls == []
    assert history.state_at(18, fake_recompute(calls)).iteration == 18 and calls == list(range(10, 18))
    # The way there is remembered: the next step back costs nothing.
    calls.clear()
    assert history.state_at(17, fake_recompute(calls)).iteration == 17 and calls == []


def test_replayed_states_do_not_add_curve_points_or_keyframes():
    template = counting_state(0, real_state("gd"))
    history = History(template, alpha=0.1, keyframe_every=5)
    record_run(history, template, 12)
    loss = history.curves.loss
    history.record(counting_state(10, template), loss=99.0, train_accuracy=0.0, dev_accuracy=0.0)
    assert np.array_equal(history.curves.loss, loss) and history.latest == 12
    assert list(history.keyframes) == [0, 5, 10]


def test_alphas_by_iteration_and_truncation():
    template = counting_state(0, real_state("gd"))
    history = History(template, alpha=0.1, keyframe_every=5)
    record_run(history, template, 20)
    history.set_alpha(8, 0.3)
    assert [history.alpha_at(k) for k in (0, 7, 8, 30)] == [0.1, 0.1, 0.3, 0.3]
    history.set_alpha(4, 0.05)                   # a change earlier replaces the later ones
    assert [history.alpha_at(k) for k in (3, 4, 8)] == [0.1, 0.05, 0.05]
    history.truncate_after(12)
    assert history.latest == 12 and history.curves.length == 12
    assert list(history.keyframes) == [0, 5, 10] and max(history.recent) == 12
    assert np.array_equal(history.curves.loss, 1.0 / np.arange(1, 13))
    history.truncate_after(3)
    assert history.alphas == [(0, 0.1)]


def test_curves_grow_and_truncate():
    curves = Curves()
    for t in range(2_500):
        curves.append(loss=float(t), train_accuracy=0.5, dev_accuracy=None if t % 2 else 0.25)
    assert curves.length == 2_500
    assert np.array_equal(curves.loss, np.arange(2_500.0))
    assert np.isnan(curves.dev_accuracy[1::2]).all() and (curves.dev_accuracy[::2] == 0.25).all()
    assert curves.at(10) == (10.0, 0.5, 0.25) and curves.at(11) == (11.0, 0.5, None)
    curves.truncate(100)
    assert curves.length == 100 and curves.loss[-1] == 99.0
    curves.append(7.0, 1.0, 1.0)
    assert curves.at(100) == (7.0, 1.0, 1.0)
    returned = curves.loss
    returned[0] = -1.0                           # a copy: the history is not changed through it
    assert curves.loss[0] == 0.0


# ---------------------------------------------------------------- bounded growth (issue 17)

def allocated_state(iteration: int, hidden: int, optimizer: str) -> TrainingState:
    """A state whose every array is freshly allocated (as training makes them), all filled with its iteration."""
    params = {name: np.full(shape, iteration, np.float32)
              for name, shape in network.parameter_shapes(hidden).items()}
    moments = {name: np.full_like(value, iteration) for name, value in optimizers.initial_state(optimizer,
                                                                                              params).items()}
    return TrainingState(iteration, params, moments)


def test_the_budget_counts_every_state_a_wide_network_keeps_as_measured_by_allocation():
    """Issue 17: a "64 MiB" history held 410 MB (gd) and 1.23 GB (Adam) at H = 4,096, because its 32 newest states
    were not held to the budget. The bytes really allocated, as tracemalloc sees NumPy's allocations, stay within it."""
    import tracemalloc

    budget = 16 * 2**20
    state_bytes = allocated_state(0, 256, "adam").nbytes           # 2.4 MB: 32 of them are 77 MB
    assert 32 * state_bytes > 4 * budget
    tracemalloc.start()
    try:
        history = History(allocated_state(0, 256, "adam"), alpha=0.001, budget_bytes=budget, keyframe_every=10)
        for iteration in range(1, 201):
            history.record(allocated_state(iteration, 256, "adam"), loss=1.0, train_accuracy=0.5, dev_accuracy=None)
        held, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert history.nbytes <= budget
    assert held <= budget + 2**20, f"{held / 2**20:.1f} MB allocated for a {budget / 2**20:.0f} MiB history"
    assert abs(held - history.nbytes) < 2**20          # nbytes is what is held
    assert history.recent_limit == budget // state_bytes - 1 and len(history.recent) == history.recent_limit
    assert history.earliest > 0 and max(history.keyframes) == 200


def test_the_curves_of_a_long_run_stay_small_and_still_cover_the_whole_run():
    """Issue 17: playing grew ~31 bytes an iteration without bound. Past the rewindable range the curves are
    thinned to a power-of-two stride, at most THINNED_POINTS of them; every point from one before `earliest` on
    stays exact, and any coarser power-of-two sampling (the snapshot's) finds only points that were recorded."""
    template = counting_state(0, real_state("gd"))
    history = History(template, alpha=0.1, budget_bytes=2 * 2**20)
    record_run(history, template, 200_000, counting=False)
    curves = history.curves
    assert curves.length == 200_000 and history.nbytes <= history.budget_bytes
    assert curves.nbytes < 400_000                      # 4.8 MB if every point were kept
    iterations = curves.iterations
    assert iterations[0] == 0 and iterations[-1] == 199_999 and (np.diff(iterations) > 0).all()
    assert len(iterations) <= core.history.THINNED_POINTS + 200_000 - curves.exact_from
    np.testing.assert_array_equal(curves.loss, 1.0 / (iterations + 1))           # each point is its own iteration
    for index in range(history.earliest - history.start - 1, 200_000, 997):
        assert curves.at(index) == (1.0 / (index + 1), 0.5, None)
    stride = curves.stride
    while stride < 200_000:
        wanted = np.arange(0, 200_000, stride)
        np.testing.assert_array_equal(curves.sample(wanted)[0], 1.0 / (wanted + 1))
        stride *= 2
    with pytest.raises(IndexError, match="not held"):
        curves.at(curves.stride + 1)


def test_thinned_curves_restore_exactly_and_refuse_a_layout_that_does_not_fit():
    curves = Curves()
    for t in range(5_000):
        curves.append(loss=float(t), train_accuracy=0.5, dev_accuracy=None)
    curves.thin_before(4_000)
    curves.append(loss=5_000.0, train_accuracy=0.5, dev_accuracy=0.25)
    for _ in range(3_500):                              # fills the buffer: the points before 4,000 are thinned
        curves.append(loss=1.0, train_accuracy=0.5, dev_accuracy=None)
    assert curves.exact_from == 4_000 and curves.stride == 1
    curves.thin_before(7_999)
    for _ in range(9_000):
        curves.append(loss=2.0, train_accuracy=0.5, dev_accuracy=None)
    assert curves.stride == 2 and curves.exact_from == 7_999
    again = Curves.restore(curves.points(), curves.stride, curves.exact_from, curves.length)
    np.testing.assert_array_equal(again.iterations, curves.iterations)
    np.testing.assert_array_equal(again.points(), curves.points())
    assert again.at(5_000) == (5_000.0, 0.5, 0.25)
    with pytest.raises(ValueError, match="columns"):
        Curves.restore(curves.points()[:, 1:], curves.stride, curves.exact_from, curves.length)
    with pytest.raises(ValueError, match="stride of 3"):
        Curves.restore(curves.points(), 3, curves.exact_from, curves.length)
