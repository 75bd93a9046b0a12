"""`python -m core train`: progress lines, JSON results, weights files, and one-line errors with exit codes."""
from __future__ import annotations

import io
import json
import os
import re
import shlex
import stat
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import crafted
from core import cli, kernels, training
from core.checkpoints import load_weights
from core.cli import main
from core.network import init_params
from core.stepper import Stepper

RESULT_KEYS = {"iterations", "train_seconds", "ms_per_iteration", "compile_seconds", "loss", "train_accuracy",
               "dev_accuracy", "train_samples", "dev_samples"}
LINE = re.compile(r"^Iteration: (\d+)  loss (\d+\.\d{4})  train accuracy (\d\.\d{4})(  dev accuracy (\d\.\d{4}))?$")


@pytest.fixture(scope="module")
def tiny_csv(tmp_path_factory) -> Path:
    """250 learnable images as a Kaggle-style CSV (header, label first): 200 train + 50 dev with --dev-size 50."""
    rng = np.random.default_rng(1234)
    labels = rng.integers(0, 10, 250)
    pixels = rng.integers(0, 60, (250, 784))
    for row, label in enumerate(labels):
        pixels[row, label * 78:(label + 1) * 78] = 200
    path = tmp_path_factory.mktemp("data") / "tiny.csv"
    header = "label," + ",".join(f"pixel{i}" for i in range(784))
    np.savetxt(path, np.column_stack([labels, pixels]), fmt="%d", delimiter=",", header=header, comments="")
    return path


def run(capsys, *argv: str) -> tuple[int, list[str], list[str]]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out.splitlines(), captured.err.splitlines()


def train(capsys, tiny_csv: Path, *argv: str) -> tuple[int, list[str], list[str]]:
    return run(capsys, "train", "--data", str(tiny_csv), "--dev-size", "50", *argv)


def result_of(out: list[str]) -> dict:
    return json.loads(out[-1])


def complaints(stderr: str) -> str:
    """A child's stderr without the line saying that numba compiles (a loaded machine may take that long to load
    the kernels from numba's cache, and a fresh clone compiles them)."""
    return "".join(line for line in stderr.splitlines(keepends=True) if line.rstrip("\n") != training.PREPARING)


# ---------------------------------------------------------------- results and progress

def test_json_result_has_every_key_with_its_type(capsys, tiny_csv):
    code, out, err = train(capsys, tiny_csv, "--iterations", "7", "--json")
    assert code == 0 and err == []
    result = result_of(out)
    assert set(result) == RESULT_KEYS
    assert result["iterations"] == 7
    assert result["train_samples"] == 200 and result["dev_samples"] == 50
    for key in ("train_seconds", "ms_per_iteration", "loss", "train_accuracy", "dev_accuracy"):
        assert isinstance(result[key], float), key
    assert 0 <= result["train_accuracy"] <= 1 and 0 <= result["dev_accuracy"] <= 1
    assert result["ms_per_iteration"] == pytest.approx(1000 * result["train_seconds"] / 7, rel=1e-3)


@pytest.mark.parametrize("engine", ["fast", "phases"])
def test_the_kernels_compile_and_their_rows_are_made_before_the_clock_starts(capsys, tiny_csv, monkeypatch, engine):
    events = []
    monkeypatch.setattr(kernels, "compiled", lambda: False)
    monkeypatch.setattr(kernels, "compile_kernels", lambda: events.append("compile") or 12.5)
    pixel_rows = kernels.pixel_rows
    monkeypatch.setattr(kernels, "pixel_rows", lambda *args: events.append("rows") or pixel_rows(*args))
    monkeypatch.setattr(cli, "train", lambda engine, iterations, on_progress: events.append("train") or
                        [on_progress(done) for done in range(1, iterations + 1)] and 0.25)
    monkeypatch.setattr(kernels, "numba_available", lambda: True)   # the engine chooses the kernels
    code, out, _ = train(capsys, tiny_csv, "--iterations", "5", "--json", "--engine", engine)
    assert code == 0 and events == ["compile", "rows", "train"]      # X as the kernels read it: before the clock
    result = result_of(out)
    assert result["compile_seconds"] == 12.5 and result["train_seconds"] == 0.25
    assert result["ms_per_iteration"] == pytest.approx(50.0)
    monkeypatch.setattr(kernels, "numba_available", lambda: False)  # NumPy's products: nothing to compile
    events.clear()
    code, out, _ = train(capsys, tiny_csv, "--iterations", "5", "--json", "--engine", engine)
    assert code == 0 and events == ["train"] and result_of(out)["compile_seconds"] == 0.0


def test_a_first_run_says_why_nothing_happens_while_numba_compiles(capsys, tiny_csv, monkeypatch):
    def prepare_kernels(backend, announce):         # as at the first run after installing (see test_training.py)
        announce(True)
        events.append("said")
        announce(False)
        return 31.0
    events = []
    monkeypatch.setattr(cli, "prepare_kernels", prepare_kernels)
    monkeypatch.setattr(cli, "train", lambda engine, iterations, on_progress: events.append("train") or
                        [on_progress(done) for done in range(1, iterations + 1)] and 0.25)
    code, out, err = train(capsys, tiny_csv, "--iterations", "5", "--json")
    assert code == 0 and events == ["said", "train"]
    assert err == [training.PREPARING]          # on stderr, once: stdout stays the run's lines and its JSON
    assert result_of(out)["compile_seconds"] == 31.0


@pytest.mark.parametrize("backend", ["numba", "numpy"])
def test_with_the_kernels_numpys_blas_trains_and_measures_on_one_thread(capsys, tiny_csv, monkeypatch, backend):
    # The kernels have threads of their own, against which an idle BLAS thread spins (core.training.one_blas_thread).
    threadpoolctl = pytest.importorskip("threadpoolctl")
    if backend == "numba" and not kernels.numba_available():
        pytest.skip("needs numba")
    if backend == "numpy":
        monkeypatch.setattr(kernels, "numba_available", lambda: False)  # the engine chooses NumPy's products

    def blas_threads() -> set[int]:
        return {pool["num_threads"] for pool in threadpoolctl.threadpool_info() if pool["user_api"] == "blas"}

    seen = []
    real_train, real_measure = cli.train, cli.measure
    monkeypatch.setattr(cli, "train", lambda *args: seen.append(("train", blas_threads())) or real_train(*args))
    monkeypatch.setattr(cli, "measure", lambda *args: seen.append(("measure", blas_threads())) or real_measure(*args))
    with threadpoolctl.threadpool_limits(limits=2, user_api="blas"):
        if blas_threads() != {2}:
            pytest.skip(f"NumPy's BLAS here does not take two threads ({blas_threads() or 'no BLAS found'})")
        code, _, _ = train(capsys, tiny_csv, "--iterations", "3", "--engine", "phases")
        after = blas_threads()
    assert code == 0 and after == {2}
    assert seen == [("train", {1 if backend == "numba" else 2}), ("measure", {1 if backend == "numba" else 2})]


def test_progress_every_n_iterations_and_after_the_last(capsys, tiny_csv):
    code, out, _ = train(capsys, tiny_csv, "--iterations", "25", "--log-every", "10", "--json")
    assert code == 0
    matches = [LINE.match(line) for line in out if line.startswith("Iteration:")]
    assert all(matches), out
    assert [int(match.group(1)) for match in matches] == [10, 20, 25]
    # The last line and the JSON describe the same (final) weights; training lowers the loss.
    result = result_of(out)
    assert float(matches[-1].group(2)) == pytest.approx(result["loss"], abs=1e-4)
    assert float(matches[-1].group(5)) == pytest.approx(result["dev_accuracy"], abs=1e-4)
    assert float(matches[0].group(2)) > float(matches[-1].group(2))


def test_log_every_zero_prints_only_the_last_line(capsys, tiny_csv):
    code, out, _ = train(capsys, tiny_csv, "--iterations", "12", "--log-every", "0")
    assert code == 0
    assert [line.split()[1] for line in out if line.startswith("Iteration:")] == ["12"]


def test_without_dev_set_dev_accuracy_is_null(capsys, tiny_csv):
    code, out, _ = run(capsys, "train", "--data", str(tiny_csv), "--dev-size", "0", "--iterations", "3", "--json")
    assert code == 0
    result = result_of(out)
    assert result["dev_accuracy"] is None and result["dev_samples"] == 0 and result["train_samples"] == 250
    assert "dev accuracy" not in out[-2]


def test_training_matches_the_stepper_it_drives(capsys, tiny_csv, tmp_path):
    path = tmp_path / "w.npz"
    code, _, _ = train(capsys, tiny_csv, "--iterations", "6", "--optimizer", "momentum", "--batch-size", "64",
                       "--seed", "3", "--save", str(path), "--engine", "phases")
    assert code == 0
    from core import data
    from core.config import TrainingConfig
    split = data.split(data.load(str(tiny_csv)), dev_size=50, seed=3)
    stepper = Stepper(split, TrainingConfig(optimizer="momentum", batch_size=64, seed=3))
    stepper.run(6)
    saved, meta = load_weights(path)
    for name, value in stepper.params.items():
        np.testing.assert_array_equal(saved[name], value)
    assert meta["iteration"] == 6 and meta["optimizer"] == "momentum" and meta["seed"] == 3


def test_fast_engine_matches_the_phases_to_float32_rounding(capsys, tiny_csv, tmp_path):
    fast, phases = tmp_path / "fast.npz", tmp_path / "phases.npz"
    for engine, path in (("fast", fast), ("phases", phases)):
        code, _, _ = train(capsys, tiny_csv, "--iterations", "20", "--optimizer", "adam", "--alpha", "0.01",
                           "--save", str(path), "--engine", engine)
        assert code == 0
    fast_params, _ = load_weights(fast)
    phase_params, _ = load_weights(phases)
    for name in phase_params:
        np.testing.assert_allclose(fast_params[name], phase_params[name], rtol=1e-4, atol=1e-5)


def test_progress_bar_only_on_a_terminal(capsys, tiny_csv, monkeypatch):
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    code = main(["train", "--data", str(tiny_csv), "--dev-size", "50", "--iterations", "5"])
    out = capsys.readouterr().out
    assert code == 0
    assert "5/5" in terminal.getvalue() and terminal.getvalue().endswith("\r\033[K")
    assert "[" not in out and "Iteration: 5  loss" in out


# ---------------------------------------------------------------- weights files

def test_iterations_zero_saves_the_initial_weights(capsys, tiny_csv, tmp_path):
    path = tmp_path / "initial.npz"
    code, out, _ = train(capsys, tiny_csv, "--iterations", "0", "--init", "he", "--hidden", "6", "--seed", "5",
                         "--dtype", "float64", "--save", str(path), "--json")
    assert code == 0
    saved, meta = load_weights(path)
    expected = init_params(6, "he", np.random.default_rng(5), "float64")
    for name, value in expected.items():
        assert saved[name].dtype == np.float64
        np.testing.assert_array_equal(saved[name], value)
    assert meta == {"hidden": 6, "activation": "relu", "optimizer": "gd", "alpha": 0.1, "iteration": 0,
                    "dataset": str(tiny_csv), "dtype": "float64", "seed": 5, "init": "he"}
    assert result_of(out)["iterations"] == 0 and result_of(out)["ms_per_iteration"] is None


def test_save_then_continue_equals_training_straight_through(capsys, tiny_csv, tmp_path):
    halfway, resumed, straight = tmp_path / "halfway.npz", tmp_path / "resumed.npz", tmp_path / "straight.npz"
    assert train(capsys, tiny_csv, "--iterations", "4", "--activation", "tanh", "--save", str(halfway))[0] == 0
    code, out, _ = train(capsys, tiny_csv, "--iterations", "4", "--init", str(halfway), "--save", str(resumed))
    assert code == 0
    assert " tanh," in out[0]    # the file's activation is kept when --activation is not given
    assert train(capsys, tiny_csv, "--iterations", "8", "--activation", "tanh", "--save", str(straight))[0] == 0
    resumed_params, resumed_meta = load_weights(resumed)
    straight_params, _ = load_weights(straight)
    for name, value in straight_params.items():
        np.testing.assert_array_equal(resumed_params[name], value)
    assert resumed_meta["iteration"] == 8 and resumed_meta["activation"] == "tanh"


def test_student_weights_file_starts_training(capsys, tiny_csv, tmp_path):
    params = init_params(16, "xavier", np.random.default_rng(0), "float64")
    path = tmp_path / "notebook.npz"
    np.savez(path, W1=params["W1"], b1=params["b1"].ravel(), W2=params["W2"], b2=params["b2"])
    code, out, _ = train(capsys, tiny_csv, "--init", str(path), "--iterations", "0", "--json")
    assert code == 0
    assert "784→16→10" in out[0]


# ---------------------------------------------------------------- user errors: one line, exit 2

def assert_one_line_error(code: int, err: list[str], *fragments: str) -> None:
    assert code == 2
    assert len(err) == 1 and err[0].startswith("error: "), err
    for fragment in fragments:
        assert fragment in err[0], err[0]


def test_missing_data_file(capsys, tmp_path):
    code, _, err = run(capsys, "train", "--data", str(tmp_path / "train.csv"))
    assert_one_line_error(code, err, "train.csv", "no such file")


def test_bad_csv_names_row_and_column(capsys, tiny_csv, tmp_path):
    lines = tiny_csv.read_text().splitlines()
    cells = lines[2].split(",")
    cells[4] = "oops"
    lines[2] = ",".join(cells)
    path = tmp_path / "train.csv"
    path.write_text("\n".join(lines) + "\n")
    code, out, err = run(capsys, "train", "--data", str(path))
    assert_one_line_error(code, err, "train.csv", "row 3", "column 5", "oops")
    assert out == []


def test_bad_weights_file(capsys, tiny_csv, tmp_path):
    path = tmp_path / "weights.npz"
    path.write_text("these are not weights")
    code, _, err = train(capsys, tiny_csv, "--init", str(path))
    assert_one_line_error(code, err, "weights.npz")


def test_nan_weights_file(capsys, tiny_csv, tmp_path):
    params = init_params(10, "uniform", np.random.default_rng(0))
    params["W1"][0, 0] = np.nan
    path = tmp_path / "weights.npz"
    np.savez(path, **params)
    code, out, err = train(capsys, tiny_csv, "--init", str(path))
    assert_one_line_error(code, err, "weights.npz", "W1 has 1 NaN")


def test_hidden_conflicting_with_weights_file(capsys, tiny_csv, tmp_path):
    path = tmp_path / "w.npz"
    np.savez(path, **init_params(10, "uniform", np.random.default_rng(0)))
    code, _, err = train(capsys, tiny_csv, "--init", str(path), "--hidden", "20")
    assert_one_line_error(code, err, "--hidden 20", "w.npz", "10 hidden units")


@pytest.mark.parametrize("argv, fragment", [
    (["--alpha", "-1"], "learning rate"),
    (["--alpha", "nan"], "learning rate"),
    (["--alpha", "fast"], "--alpha"),
    (["--hidden", "0"], "hidden"),
    (["--iterations", "-5"], "--iterations"),
    (["--batch-size", "-1"], "batch size"),
    (["--optimizer", "sgd"], "--optimizer"),
    (["--init", "hee"], "'hee'"),
    (["--dev-size", "250"], "dev set"),
    (["--unknown-flag"], "--unknown-flag"),
])
def test_bad_settings(capsys, tiny_csv, argv, fragment):
    code, out, err = train(capsys, tiny_csv, *argv)
    assert_one_line_error(code, err, fragment)
    assert not any(line.startswith("Iteration") for line in out)


def test_no_command(capsys):
    code, _, err = run(capsys)
    assert_one_line_error(code, err, "train")


def test_read_only_save_destination(capsys, tiny_csv, tmp_path):
    path = tmp_path / "kept.npz"
    path.write_bytes(b"precious")
    path.chmod(0o444)
    try:
        code, out, err = train(capsys, tiny_csv, "--iterations", "2", "--save", str(path))
    finally:
        path.chmod(0o644)
    assert_one_line_error(code, err, "kept.npz", "read-only")
    assert out == []     # refused before training, not after
    assert path.read_bytes() == b"precious"


# ---------------------------------------------------------------- divergence and interruption

@pytest.mark.filterwarnings("error")    # a numpy overflow warning would reach the user's terminal
@pytest.mark.parametrize("log_every", ["1", "0"])   # found by the progress line's measurement / by the stepper
def test_divergence_exits_1_and_never_prints_nan(capsys, tiny_csv, tmp_path, log_every):
    path = tmp_path / "w.npz"
    code, out, err = train(capsys, tiny_csv, "--alpha", "1e10", "--iterations", "50", "--log-every", log_every,
                           "--save", str(path), "--json")
    assert code == 1
    text = "\n".join(out + err).lower()
    assert "nan" not in text and "inf " not in text
    assert err[0].startswith("diverged at iteration") and "lower the learning rate" in err[0]
    assert len(err) == 2 and "last finite weights" in err[1]
    assert not any(line.startswith("{") for line in out)
    params, meta = load_weights(path)    # loads, so every entry is finite
    assert meta["iteration"] < 50


def test_interrupt_exits_130_quietly_and_saves_nothing(capsys, tiny_csv, tmp_path, monkeypatch):
    calls = []
    step = Stepper.step_iteration

    def interrupted(self):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return step(self)

    monkeypatch.setattr(Stepper, "step_iteration", interrupted)
    path = tmp_path / "w.npz"
    code, _, err = train(capsys, tiny_csv, "--iterations", "10", "--save", str(path), "--engine", "phases")
    assert code == 130
    assert err == ["interrupted after 2 iterations; nothing saved"]
    assert not path.exists()


def test_train_loop_drives_any_engine():
    class CountingEngine:
        iteration = 0
        params: dict = {}

        def step_iteration(self) -> None:
            self.iteration += 1

    engine, seen = CountingEngine(), []
    seconds = cli.train(engine, 4, seen.append)
    assert engine.iteration == 4 and seen == [1, 2, 3, 4] and seconds >= 0


# ---------------------------------------------------------------- end to end

def test_python_dash_m_core_end_to_end(tiny_csv):
    completed = subprocess.run(
        [sys.executable, "-m", "core", "train", "--data", str(tiny_csv), "--dev-size", "50",
         "--iterations", "5", "--json"],
        capture_output=True, text=True, timeout=120, cwd=Path(__file__).resolve().parents[1],
        env={**os.environ, "PYTHONWARNINGS": "error"})
    assert completed.returncode == 0, completed.stderr
    assert complaints(completed.stderr) == ""
    assert json.loads(completed.stdout.splitlines()[-1])["iterations"] == 5


@pytest.mark.slow
def test_default_run_learns_the_mnist_sample(capsys):
    """The notebook's result: 500 full-batch iterations at α 0.1 on the 5,000-digit sample."""
    code, out, _ = run(capsys, "train", "--json")
    assert code == 0
    result = result_of(out)
    assert result["train_samples"] == 4000 and result["dev_samples"] == 1000
    assert result["dev_accuracy"] >= 0.83


# ---------------------------------------------------------------- hostile arguments and files: one line, exit 2

def run_command(*argv: str, shell_redirect: str = "", timeout: float = 120) -> subprocess.CompletedProcess:
    """`python -m core ARGV` in a child process with a time limit (a FIFO that blocked would time out), its
    standard streams redirected as a shell would (e.g. ">&-")."""
    command = " ".join(shlex.quote(part) for part in (sys.executable, "-m", "core", *argv)) + " " + shell_redirect
    return subprocess.run(["/bin/sh", "-c", command], capture_output=True, text=True, timeout=timeout,
                          cwd=Path(__file__).resolve().parents[1], stdin=subprocess.DEVNULL)


def test_files_that_are_not_files_are_one_line_errors(tmp_path):
    pipe = crafted.fifo(tmp_path, "data.csv")
    long_name = str(tmp_path / ("w" * 300 + ".npz"))
    for argv, fragment in [(["--data", str(pipe)], "is a named pipe (FIFO), not a file"),
                           (["--data", "/dev/zero"], "/dev/zero: is a device, not a file"),
                           (["--init", str(pipe)], "is a named pipe (FIFO), not a file"),
                           (["--data", long_name], "the name is too long for the file system"),
                           (["--init", long_name], "the name is too long for the file system"),
                           (["--save", long_name], "the name is too long for the file system"),
                           (["--save", str(pipe)], "saving would replace it, so nothing is saved")]:
        completed = run_command("train", "--iterations", "1", *argv)
        assert completed.returncode == 2, (argv, completed.stderr)
        assert completed.stderr.count("\n") == 1 and completed.stderr.startswith("error: "), completed.stderr
        assert fragment in completed.stderr and "Traceback" not in completed.stderr
    assert stat.S_ISFIFO(os.stat(pipe).st_mode)


@pytest.mark.parametrize("argv, fragment", [
    (["--seed", "-1"], "--seed must be 0 or more, not -1"),
    (["--seed", str(2 ** 64)], "the seed must be a whole number from 0 to 2⁶⁴ − 1"),
    (["--batch-size", str(10 ** 30)], "batch size must be 0 (full batch) or a whole number up to 2,147,483,647"),
])
def test_numbers_out_of_range_are_usage_errors(capsys, tiny_csv, argv, fragment):
    code, out, err = train(capsys, tiny_csv, *argv)
    assert_one_line_error(code, err, fragment)
    assert out == []


@pytest.mark.parametrize("timeout", ["1e300", "nan", "0", "-3", "inf", "abc"])
def test_check_timeout_beyond_ten_minutes_or_not_positive_is_one_line_and_exit_2(capsys, timeout):
    code, _, err = run(capsys, "check", "--timeout", timeout, "student.py")
    assert_one_line_error(code, err, "--timeout must be")


def test_an_unwritable_or_full_destination_fails_before_training(capsys, tiny_csv, tmp_path, monkeypatch):
    from core import checkpoints

    monkeypatch.setattr(checkpoints.shutil, "disk_usage",
                        lambda folder: checkpoints.shutil._ntuple_diskusage(1 << 30, 1 << 30, 0))
    code, out, err = train(capsys, tiny_csv, "--iterations", "3000", "--hidden", "128",
                           "--save", str(tmp_path / "w.npz"))
    assert_one_line_error(code, err, "has 0 KiB free; about 1.4 MiB are needed")
    assert out == []            # refused before training, not after
    monkeypatch.undo()
    real_access = os.access
    monkeypatch.setattr(checkpoints.os, "access", lambda path, mode: path != tmp_path and real_access(path, mode))
    code, out, err = train(capsys, tiny_csv, "--iterations", "3000", "--save", str(tmp_path / "w.npz"))
    assert_one_line_error(code, err, f"cannot write in the folder {tmp_path} (permission denied)")
    assert out == []


def test_a_device_as_the_destination_stays_a_device(capsys, tiny_csv, tmp_path):
    null = crafted.device_node(tmp_path, "null")      # like /dev/null, in the test's own folder
    if null is None:
        pytest.skip("making a device node needs root")
    code, out, err = train(capsys, tiny_csv, "--iterations", "1", "--save", str(null))
    assert_one_line_error(code, err, f"{null}: is a device, not a file")
    assert stat.S_ISCHR(os.stat(null).st_mode) and out == []


def test_weights_beyond_float32_are_blamed_on_the_file(capsys, tiny_csv, tmp_path):
    params = init_params(10, "uniform", np.random.default_rng(0), "float64")
    params["W1"][2, 3] = 1e300
    path = tmp_path / "w.npz"
    np.savez(path, **params)
    code, _, err = train(capsys, tiny_csv, "--init", str(path))
    assert_one_line_error(code, err, "W1 holds values up to 1e+300, too large for float32")
    assert "learning rate" not in err[0]


@pytest.mark.parametrize("redirect", [">&-", ">&- 2>&-"])
def test_closed_standard_streams_neither_crash_nor_swallow_the_save(tmp_path, tiny_csv, redirect):
    path = tmp_path / "w.npz"
    completed = run_command("train", "--data", str(tiny_csv), "--dev-size", "50", "--iterations", "2", "--json",
                            "--save", str(path), shell_redirect=redirect)
    assert completed.returncode == 0, completed.stderr
    assert load_weights(path)[1]["iteration"] == 2
    completed = run_command("train", "--data", str(tmp_path / "absent.csv"), shell_redirect=">&-")
    assert completed.returncode == 2 and completed.stderr.startswith("error: ") and "no such file" in completed.stderr


def test_a_reader_that_goes_away_ends_the_run_quietly(tiny_csv):
    """`python -m core train … | head -1`: no error line, no traceback, when the pipe closes."""
    with subprocess.Popen([sys.executable, "-m", "core", "train", "--data", str(tiny_csv), "--dev-size", "50",
                           "--iterations", "3000", "--log-every", "1"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          cwd=Path(__file__).resolve().parents[1], text=True) as child:
        assert child.stdout.readline().startswith("Training")
        child.stdout.close()
        _, err = child.communicate(timeout=120)
    assert complaints(err) == "" and child.returncode in (0, 1)
