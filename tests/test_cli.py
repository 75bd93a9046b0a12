"""`python -m core train`: progress lines, JSON results, weights files, and one-line errors with exit codes."""
from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from core import cli, kernels
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
def test_the_kernels_compile_before_the_clock_starts_and_are_reported_apart(capsys, tiny_csv, monkeypatch, engine):
    events = []
    monkeypatch.setattr(cli, "compile_kernels", lambda: events.append("compile") or 12.5)
    monkeypatch.setattr(cli, "train", lambda engine, iterations, on_progress: events.append("train") or
                        [on_progress(done) for done in range(1, iterations + 1)] and 0.25)
    monkeypatch.setattr(kernels, "numba_available", lambda: True)   # the engine chooses the kernels
    code, out, _ = train(capsys, tiny_csv, "--iterations", "5", "--json", "--engine", engine)
    assert code == 0 and events == ["compile", "train"]
    result = result_of(out)
    assert result["compile_seconds"] == 12.5 and result["train_seconds"] == 0.25
    assert result["ms_per_iteration"] == pytest.approx(50.0)
    monkeypatch.setattr(kernels, "numba_available", lambda: False)  # NumPy's products: nothing to compile
    events.clear()
    code, out, _ = train(capsys, tiny_csv, "--iterations", "5", "--json", "--engine", engine)
    assert code == 0 and events == ["train"] and result_of(out)["compile_seconds"] == 0.0


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
    assert completed.stderr == ""
    assert json.loads(completed.stdout.splitlines()[-1])["iterations"] == 5


@pytest.mark.slow
def test_default_run_learns_the_mnist_sample(capsys):
    """The notebook's result: 500 full-batch iterations at α 0.1 on the 5,000-digit sample."""
    code, out, _ = run(capsys, "train", "--json")
    assert code == 0
    result = result_of(out)
    assert result["train_samples"] == 4000 and result["dev_samples"] == 1000
    assert result["dev_accuracy"] >= 0.83
