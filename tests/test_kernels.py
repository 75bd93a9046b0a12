"""The fast kernel's loops (core/kernel_loops.py) against the equations in float64 NumPy: every hidden width the
blocks of five units handle differently, blocks that end part-way through a group of four examples, uint8 and
float rows, a mini-batch's order, both dtypes; and, in a child process compiled for AVX2, the loops for narrower
vectors."""
from __future__ import annotations

import os
import platform
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from core import kernels, network

pytestmark = pytest.mark.skipif(not kernels.numba_available(), reason="numba not installed")
TOLERANCE = {"float32": 2e-6, "float64": 1e-12}     # relative to the largest value of each array


def problem(hidden: int, m: int, dtype: str, seed: int = 0):
    """Weights as the notebook draws them, m images half of whose pixels are 0 (as in Fashion-MNIST), labels."""
    rng = np.random.default_rng(seed)
    params = {name: (rng.random(shape) - 0.5).astype(dtype)
              for name, shape in network.parameter_shapes(hidden).items()}
    pixels = (rng.integers(1, 256, (m, network.INPUTS)) * (rng.random((m, network.INPUTS)) < 0.5)).astype(np.uint8)
    return params, pixels, rng.integers(0, 10, m)


def equations(params, X, labels):
    """The eleven phases' arrays (but the update), the loss and the accuracy, in float64, as the contract writes
    them: X is 784 × m."""
    W1, b1, W2, b2 = (params[name].astype(np.float64) for name in network.PARAMETERS)
    m = X.shape[1]
    Z1 = W1 @ X + b1
    A1 = np.maximum(Z1, 0)
    Z2 = W2 @ A1 + b2
    E = np.exp(Z2 - Z2.max(axis=0))
    A2 = E / E.sum(axis=0)
    Y = np.eye(10)[:, labels]
    dZ2 = A2 - Y
    dZ1 = W2.T @ dZ2 * (Z1 > 0)
    arrays = {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2, "dZ2": dZ2, "dZ1": dZ1,
              "dW2": dZ2 @ A1.T / m, "db2": dZ2.sum(axis=1, keepdims=True) / m,
              "dW1": dZ1 @ X.T / m, "db1": dZ1.sum(axis=1, keepdims=True) / m}
    loss = float(-np.mean(np.log(A2[labels, np.arange(m)])))
    return arrays, loss, float(np.mean(Z2.argmax(axis=0) == labels))


def assert_pass_agrees(result: kernels.Pass, expected: dict, loss: float, accuracy: float, dtype: str) -> None:
    for name, value in expected.items():
        actual = result.phases[name]
        assert actual.shape == value.shape and actual.dtype == np.dtype(dtype), name
        error = np.max(np.abs(actual - value)) / np.max(np.abs(value))
        assert error <= TOLERANCE[dtype], f"{name}: relative error {error:.2g}"
    assert result.loss == pytest.approx(loss, rel=TOLERANCE[dtype])
    assert result.train_accuracy == accuracy


@pytest.mark.parametrize("hidden", [1, 4, 5, 7, 10, 12])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_a_pass_gives_the_equations_arrays_for_every_hidden_width(hidden, dtype):
    # 263 examples: two blocks of 128 and one of 7, which ends inside a group of four examples
    params, pixels, labels = problem(hidden, 263, dtype)
    result = kernels.fused_pass(kernels.Pixels(pixels, 1 / 255), np.arange(0), labels, params, "relu", arrays=True)
    X = pixels.T.astype(dtype).astype(np.float64) / 255     # what the kernel reads: pixel / 255, in float64 here
    assert_pass_agrees(result, *equations(params, X, labels), dtype)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_float_rows_and_a_mini_batchs_order_give_the_equations_arrays(dtype):
    params, pixels, labels = problem(10, 300, dtype, seed=1)
    rows = (pixels * np.asarray(0.0031, dtype)).astype(dtype)    # values that are not whole pixels / 255
    order = np.random.default_rng(2).permutation(300)[:149]
    result = kernels.fused_pass(kernels.Pixels(rows, 1.0), order, labels, params, "relu", arrays=True)
    assert_pass_agrees(result, *equations(params, rows[order].T.astype(np.float64), labels[order]), dtype)


def test_a_pass_does_not_depend_on_where_its_arrays_lie_in_memory():
    """The kernel copies W1 to a 64-byte boundary and its loads take any address: rows that start at an odd
    address give the same bits."""
    params, pixels, labels = problem(10, 200, "float32", seed=3)
    shifted = np.empty(pixels.size + 1, np.uint8)[1:].reshape(pixels.shape)
    shifted[...] = pixels
    assert shifted.ctypes.data % 2 == 1
    passes = [kernels.fused_pass(kernels.Pixels(rows, 1 / 255), np.arange(0), labels, params, "relu")
              for rows in (pixels, shifted)]
    for name in passes[0].grads:
        assert np.array_equal(passes[0].grads[name], passes[1].grads[name]), name


def test_rows_of_another_width_are_refused_before_the_loops_read_past_them():
    params, pixels, labels = problem(10, 20, "float32")
    with pytest.raises(ValueError, match="rows of 784 pixels, not 783"):
        kernels.fused_pass(kernels.Pixels(pixels[:, :783].copy(), 1 / 255), np.arange(0), labels, params, "relu")


AVX2 = "+64bit,+avx,+avx2,+fma,+f16c,+bmi,+bmi2,+lzcnt,+popcnt,+sse4.2,+sse4.1,+ssse3,+sse3,+sse2,+sse,+cx16,+cmov"


@pytest.mark.skipif(platform.machine().lower() not in ("x86_64", "amd64"), reason="x86-64 only")
def test_the_loops_for_narrower_vectors_give_the_same_arrays(tmp_path):
    """numba compiled for an AVX2 processor (as most laptops have) takes _forward_plain and _backward_sparse; a
    child process compiles them so (about half a minute), into its own cache, and checks them as above."""
    script = textwrap.dedent("""
        import numpy as np
        from core import kernels, lanes
        from tests.test_kernels import assert_pass_agrees, equations, problem
        kernels.compile_kernels()
        assert lanes.BYTES == 32, lanes.BYTES
        for hidden, dtype in ((7, "float32"), (10, "float32"), (3, "float64")):
            params, pixels, labels = problem(hidden, 263, dtype)
            result = kernels.fused_pass(kernels.Pixels(pixels, 1 / 255), np.arange(0), labels, params, "relu",
                                        arrays=True)
            X = pixels.T.astype(dtype).astype(np.float64) / 255
            assert_pass_agrees(result, *equations(params, X, labels), dtype)
        print("agreed")
        """)
    cpu_flags = open("/proc/cpuinfo").read() if os.path.exists("/proc/cpuinfo") else ""
    if " avx2" not in cpu_flags or " fma" not in cpu_flags:
        pytest.skip("this processor has no AVX2")
    environment = {**os.environ, "NUMBA_CPU_NAME": "haswell", "NUMBA_CPU_FEATURES": AVX2,
                   "NUMBA_CACHE_DIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", script], env=environment, capture_output=True, text=True,
                          cwd=os.path.dirname(os.path.dirname(__file__)), timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip() == "agreed"
