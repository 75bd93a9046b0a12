"""Session files: a reopened run goes on bit for bit, rewinds as far as was saved, and broken files are named."""
from __future__ import annotations

import os
import tracemalloc
import zipfile

import numpy as np
import pytest

import crafted
from core.checkpoints import CheckpointError, save_weights
from core.config import TrainingConfig
from core.data import Dataset, DataError, split
from core.session import FORMAT, load_session, save_session
from core.stepper import Stepper

CONFIGS = {
    "gd": TrainingConfig(optimizer="gd", alpha=0.1),
    "momentum": TrainingConfig(optimizer="momentum", alpha=0.05),
    "adam": TrainingConfig(optimizer="adam", alpha=0.01),
    "adam mini-batch": TrainingConfig(optimizer="adam", alpha=0.01, batch_size=64, seed=3),
    "momentum mini-batch float64": TrainingConfig(optimizer="momentum", alpha=0.05, batch_size=48, dtype="float64"),
}


def loader_of(data):
    """A split loader that hands back the given split, or raises what it is given."""
    def load(spec, extra, config):
        if isinstance(data, Exception):
            raise data
        assert config.dtype == str(data.X_train.dtype), "the loader is asked for the saved dtype"
        return data
    return load


def assert_same_state(first: Stepper, second: Stepper) -> None:
    assert (first.iteration, first.phases_done) == (second.iteration, second.phases_done)
    for name in first.params:
        np.testing.assert_array_equal(first.params[name], second.params[name], strict=True)
    assert first.state.optimizer.keys() == second.state.optimizer.keys()
    for name in first.state.optimizer:
        np.testing.assert_array_equal(first.state.optimizer[name], second.state.optimizer[name], strict=True)


def assert_same_curves(first: Stepper, second: Stepper) -> None:
    for name in ("loss", "train_accuracy", "dev_accuracy"):
        np.testing.assert_array_equal(getattr(first.history.curves, name), getattr(second.history.curves, name))


@pytest.fixture
def tiny_config_split(tiny_split):
    def for_config(config: TrainingConfig):
        if config.dtype == "float32":
            return tiny_split
        rng = np.random.default_rng(1234)
        labels = rng.integers(0, 10, 250).astype(np.uint8)
        pixels = rng.integers(0, 60, (250, 784)).astype(np.uint8)
        return split(Dataset("tiny64", pixels, labels), dev_size=50, seed=0, dtype=config.dtype)
    return for_config


@pytest.mark.parametrize("name", CONFIGS)
def test_a_reopened_session_continues_bit_for_bit(tmp_path, tiny_config_split, name):
    config = CONFIGS[name]
    data = tiny_config_split(config)
    straight = Stepper(data, config, keyframe_every=4)
    straight.run(9)
    saved = Stepper(data, config, keyframe_every=4)
    saved.run(9)
    for _ in range(4):       # mid-iteration: Z1, A1, Z2, A2 computed
        saved.step_phase()
        straight.step_phase()
    save_session(tmp_path / "run.npz", saved, data.name, {"note": "kept"})

    reopened, meta = load_session(tmp_path / "run.npz", loader_of(data))

    assert meta["extra"] == {"note": "kept"}
    assert (reopened.iteration, reopened.phases_done, reopened.phase) == (9, 4, "A2")
    np.testing.assert_array_equal(reopened.record.arrays["A2"], straight.record.arrays["A2"])
    assert reopened.config == config
    for _ in range(7):       # the rest of iteration 9, its update included
        reopened.step_phase()
        straight.step_phase()
    reopened.run(7)
    straight.run(7)
    assert_same_state(reopened, straight)
    assert_same_curves(reopened, straight)
    assert reopened.iteration == 17 and len(reopened.history.curves.loss) == 17


def test_stepping_back_after_reopening_restores_the_saved_iterations_exactly(tmp_path, tiny_split):
    config = CONFIGS["adam mini-batch"]
    straight = Stepper(tiny_split, config, keyframe_every=5)
    straight.run(13)
    save_session(tmp_path / "run.npz", straight, "tiny", {})
    reopened, _ = load_session(tmp_path / "run.npz", loader_of(tiny_split))
    assert (reopened.history.earliest, reopened.history.latest) == (0, 13)

    reopened.step_back_phase()               # undoes the update of iteration 12
    straight.step_back_phase()
    assert (reopened.iteration, reopened.phases_done, reopened.phase) == (12, 10, "db1")
    np.testing.assert_array_equal(reopened.record.arrays["db1"], straight.record.arrays["db1"])
    for iteration in (7, 0, 11):             # between keyframes, the very start, a recent state
        reopened.seek(iteration)
        straight.seek(iteration)
        assert_same_state(reopened, straight)


def test_a_session_saved_after_rewinding_keeps_its_future_and_its_learning_rate_schedule(tmp_path, tiny_split):
    straight = Stepper(tiny_split, CONFIGS["momentum"], keyframe_every=4)
    straight.run(6)
    straight.set_alpha(0.02)
    straight.run(6)
    straight.seek(5)
    save_session(tmp_path / "run.npz", straight, "tiny", {})

    reopened, _ = load_session(tmp_path / "run.npz", loader_of(tiny_split))

    assert reopened.iteration == 5 and reopened.has_future and reopened.history.latest == 12
    assert reopened.history.alphas == [(0, 0.05), (6, 0.02)]
    assert reopened.alpha == 0.05
    reopened.seek(12)
    straight.seek(12)
    assert reopened.alpha == 0.02
    assert_same_state(reopened, straight)
    reopened.run(3)
    straight.run(3)
    assert_same_state(reopened, straight)
    assert_same_curves(reopened, straight)


def test_a_history_cut_by_its_budget_reopens_rewindable_as_far_as_it_was(tmp_path, tiny_split):
    state_bytes = 4 * (10 * 784 + 10 + 10 * 10 + 10)
    # Room for the 32 recent states, the curves and two keyframes: older keyframes are dropped.
    budget = state_bytes * (32 + 2) + 3 * 1024 * 8
    stepper = Stepper(tiny_split, TrainingConfig(), history_budget_bytes=budget, keyframe_every=3)
    stepper.run(40)
    earliest = stepper.history.earliest
    assert earliest > 0
    meta = save_session(tmp_path / "run.npz", stepper, "tiny", {})
    assert meta["rewindable_from"] == earliest

    reopened, _ = load_session(tmp_path / "run.npz", loader_of(tiny_split))

    assert (reopened.history.earliest, reopened.history.latest) == (earliest, 40)
    with pytest.raises(IndexError):
        reopened.seek(earliest - 1)
    reopened.seek(earliest + 1)
    stepper.seek(earliest + 1)
    assert_same_state(reopened, stepper)
    assert len(reopened.history.curves.loss) == 40     # the curves go back to the start regardless


def test_a_session_at_iteration_zero_reopens_before_any_phase(tmp_path, tiny_split):
    stepper = Stepper(tiny_split, TrainingConfig(hidden=3, init="he", seed=9))
    save_session(tmp_path / "start.npz", stepper, "tiny", {})
    reopened, _ = load_session(tmp_path / "start.npz", loader_of(tiny_split))
    assert (reopened.iteration, reopened.phases_done, reopened.record) == (0, 0, None)
    assert_same_state(reopened, stepper)


def test_saving_over_a_session_replaces_it_whole_and_leaves_no_temporary_file(tmp_path, tiny_split):
    stepper = Stepper(tiny_split, TrainingConfig())
    path = tmp_path / "run.npz"
    save_session(path, stepper, "tiny", {})
    stepper.run(3)
    save_session(path, stepper, "tiny", {})
    assert os.listdir(tmp_path) == ["run.npz"]
    assert load_session(path, loader_of(tiny_split))[0].iteration == 3


def test_a_failed_save_keeps_the_earlier_file(tmp_path, tiny_split, monkeypatch):
    stepper = Stepper(tiny_split, TrainingConfig())
    path = tmp_path / "run.npz"
    save_session(path, stepper, "tiny", {})
    before = path.read_bytes()
    stepper.run(2)

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(np, "savez", disk_full)
    with pytest.raises(CheckpointError, match="no space left on device.*unchanged"):
        save_session(path, stepper, "tiny", {})
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["run.npz"]


def test_saving_into_a_missing_folder_says_so(tmp_path, tiny_split):
    with pytest.raises(CheckpointError, match="does not exist"):
        save_session(tmp_path / "nowhere" / "run.npz", Stepper(tiny_split, TrainingConfig()), "tiny", {})


# ---------------------------------------------------------------- the data

def test_missing_data_is_a_data_error_naming_the_dataset_and_the_session(tmp_path, tiny_split):
    path = tmp_path / "run.npz"
    save_session(path, Stepper(tiny_split, TrainingConfig()), "/data/gone.csv", {})
    with pytest.raises(DataError, match=rf"{path}: the session's dataset /data/gone.csv cannot be loaded: .*no such"):
        load_session(path, loader_of(DataError("/data/gone.csv: no such file")))


def test_other_data_under_the_same_name_is_refused(tmp_path, tiny_split):
    path = tmp_path / "run.npz"
    save_session(path, Stepper(tiny_split, TrainingConfig()), "tiny", {})
    rng = np.random.default_rng(5)
    other = split(Dataset("tiny", rng.integers(0, 255, (250, 784)).astype(np.uint8),
                          rng.integers(0, 10, 250).astype(np.uint8)), dev_size=50)
    with pytest.raises(DataError, match="not the one this session was trained on.*other images or labels"):
        load_session(path, loader_of(other))
    smaller = split(Dataset("tiny", rng.integers(0, 255, (100, 784)).astype(np.uint8),
                            rng.integers(0, 10, 100).astype(np.uint8)), dev_size=50)
    with pytest.raises(DataError, match="50 training and 50 dev examples now, 200 and 50 then"):
        load_session(path, loader_of(smaller))


# ---------------------------------------------------------------- broken files

@pytest.fixture
def good_session(tmp_path, tiny_split):
    stepper = Stepper(tiny_split, TrainingConfig(optimizer="adam", alpha=0.01), keyframe_every=2)
    stepper.run(5)
    path = tmp_path / "good.npz"
    save_session(path, stepper, "tiny", {})
    with np.load(path) as loaded:
        arrays = {name: loaded[name] for name in loaded.files}
    return path, arrays


def rewritten(tmp_path, arrays, change) -> str:
    arrays = dict(arrays)
    change(arrays)
    path = tmp_path / "broken.npz"
    np.savez(path, **arrays)
    return str(path)


def with_meta(section: str | None = None, **changes):
    """A change to the meta, or to one of its sections ("config", "history")."""
    import json

    def change(arrays):
        meta = json.loads(str(arrays["meta"]))
        (meta[section] if section else meta).update(changes)
        arrays["meta"] = np.array(json.dumps(meta))
    return change


def nan_in(name):
    def change(arrays):
        value = arrays[name].copy()
        value.flat[3] = np.nan
        arrays[name] = value
    return change


BROKEN = {
    "wrong version": (with_meta(version=99), "version 99; this program reads version 1"),
    "not a session": (with_meta(format="something else"), "not a session file"),
    "missing state": (lambda a: a.pop("state_4_m_W2"), "missing state_4_m_W2"),
    "unexpected array": (lambda a: a.update(extra=np.zeros(3)), "unexpected extra"),
    "wrong shape": (lambda a: a.update(state_5_W1=np.zeros((10, 783), np.float32)),
                    r"W1 of iteration 5 is a float32 array of shape \(10, 783\)"),
    "wrong dtype": (lambda a: a.update(state_5_b2=np.zeros((10, 1))), "b2 of iteration 5 is a float64 array"),
    "NaN weight": (nan_in("state_4_W2"), "at iteration 4 W2 has 1 NaN or infinite entry"),
    "NaN loss": (nan_in("curves"), "loss or train accuracy curve has 1 NaN"),
    "short curves": (lambda a: a.update(curves=a["curves"][:, :3]), r"curves .* shape \(3, 3\)"),
    "bad config": (with_meta(config={"hidden": -1}), "saved configuration is not usable"),
    "bad position": (with_meta(phases_done=11), "phases_done must be a whole number from 0 to 10, not 11"),
    "bad schedule": (lambda a: a.update(alpha_values=np.array([-1.0])), "learning-rate schedule is broken"),
    "pickled meta": (lambda a: a.update(meta=np.array([{"x": 1}], dtype=object)), "pickled"),
    "meta not JSON": (lambda a: a.update(meta=np.array("{oops")), "not valid JSON"),
    "hidden true": (with_meta("config", hidden=True), "hidden must be a whole number from 1 to 4096, not True"),
    "seed text": (with_meta("config", seed="abc"), "the seed must be a whole number from 0 to 2⁶⁴ − 1, not 'abc'"),
    "seed 1.5": (with_meta("config", seed=1.5), "the seed must be a whole number from 0 to 2⁶⁴ − 1, not 1.5"),
    "batch 10**30": (with_meta("config", batch_size=10**30), "batch size must be 0 .full batch. or a whole number up to "
                                                     "2,147,483,647, not 1000000000000000000000000000000"),
    "activation list": (with_meta("config", activation=["relu"]), r"unknown activation \['relu'\]"),
    "iteration 2**31": (with_meta(iteration=2**31), "meta's iteration must be a whole number from 0 to 5, not "
                                                    "2147483648"),
    "latest 2**31": (with_meta("history", latest=2**31), "meta's history's latest must be a whole number from 0 to "
                                                 "2,147,483,647, not 2147483648"),
    "budget 1 TB": (with_meta("history", budget_bytes=2**40), "history's budget_bytes must be a whole number from 1 to "
                                                      "1,073,741,824"),
    "recent as text": (with_meta("history", recent=["5"]), "no valid list of recent iterations"),
    "too many recent": (with_meta("history", recent_size=2, recent=[3, 4, 5]), "no valid list of recent iterations "
                                                                      r"\(1 to 2 iterations"),
    "keyframes unsorted": (with_meta("history", keyframes=[4, 0, 2]), "keyframes out of order"),
    "rewindable_from": (with_meta(rewindable_from=3), "rewindable_from 3 is not its first keyframe 0"),
    "data sizes": (with_meta(data={"train_size": "200", "dev_size": 50, "checksum": 1}),
                   "meta's data's train_size must be a whole number"),
    "dataset number": (with_meta(dataset=5), "meta has no valid 'dataset' .found 5."),
    "accuracy above 1": (lambda a: a.update(curves=a["curves"] * np.array([[1], [5], [1]])),
                         r"an accuracy outside \[0, 1\]"),
    "schedule beyond": (lambda a: a.update(alpha_iterations=np.array([0, 99]), alpha_values=np.array([0.01, 0.1])),
                        "learning-rate schedule is broken"),
    "more than its budget": (with_meta("history", budget_bytes=1, recent_size=1, recent=[5]),
                             "its meta promises 4 states and 5 points of curves"),
}


@pytest.mark.parametrize("case", BROKEN)
def test_a_broken_session_names_the_file_and_the_problem(tmp_path, tiny_split, good_session, case):
    change, problem = BROKEN[case]
    path = rewritten(tmp_path, good_session[1], change)
    with pytest.raises(CheckpointError, match=problem) as caught:
        load_session(path, loader_of(tiny_split))
    assert str(caught.value).startswith(f"{path}: ")


def test_a_truncated_session_is_refused(tmp_path, tiny_split, good_session):
    whole = good_session[0].read_bytes()
    for size in (len(whole) // 2, len(whole) - 30, 10):
        path = tmp_path / f"cut-{size}.npz"
        path.write_bytes(whole[:size])
        with pytest.raises(CheckpointError, match=rf"^{path}: "):
            load_session(path, loader_of(tiny_split))


@pytest.mark.parametrize("content, problem", [(b"", "the file is empty, not a session file"),
                                              (b"hello, not a zip", "not an .npz session file"),
                                              (b"\x93NUMPY\x01\x00", "a single array, not a session file")])
def test_files_that_are_not_sessions_are_refused(tmp_path, tiny_split, content, problem):
    path = tmp_path / "odd.npz"
    path.write_bytes(content)
    with pytest.raises(CheckpointError, match=rf"^{path}: .*{problem}"):
        load_session(path, loader_of(tiny_split))


def test_a_weights_file_is_pointed_to_open_weights(tmp_path, tiny_split):
    path = tmp_path / "weights.npz"
    save_weights(path, Stepper(tiny_split, TrainingConfig()).params, {"iteration": 0})
    with pytest.raises(CheckpointError, match="Open weights"):
        load_session(path, loader_of(tiny_split))
    with pytest.raises(CheckpointError, match="no such file"):
        load_session(tmp_path / "absent.npz", loader_of(tiny_split))


def test_the_session_file_is_a_plain_npz_with_json_meta(good_session):
    with zipfile.ZipFile(good_session[0]) as archive:
        names = set(archive.namelist())
    assert {"meta.npy", "curves.npy", "state_5_W1.npy", "state_5_t.npy"} <= names
    assert FORMAT in str(good_session[1]["meta"])


def test_a_notebook_weights_file_without_meta_is_pointed_to_open_weights(tmp_path, tiny_split):
    path = tmp_path / "notebook.npz"
    np.savez(path, **Stepper(tiny_split, TrainingConfig()).params)
    with pytest.raises(CheckpointError, match="has no meta, so it is not a session file.*use Open weights"):
        load_session(path, loader_of(tiny_split))


def test_an_array_declared_larger_than_the_meta_says_is_refused_before_reading(tmp_path, tiny_split, good_session):
    members = {f"{name}.npy": crafted.npy_of(value) for name, value in good_session[1].items()}
    members["state_5_W1.npy"] = crafted.npy((1_000_000, 784), "<f4")
    path = crafted.write_zip(tmp_path / "huge.npz", members)
    tracemalloc.start()
    try:
        with pytest.raises(CheckpointError) as caught:
            load_session(path, loader_of(tiny_split))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert str(caught.value) == (f"{path}: W1 of iteration 5 is a float32 array of shape (1000000, 784); the "
                                 "configuration needs float32 of shape (10, 784)")
    assert peak < 16 << 20


def test_a_network_wider_than_the_caller_shows_is_refused(tmp_path, tiny_split):
    path = tmp_path / "wide.npz"
    save_session(path, Stepper(tiny_split, TrainingConfig(hidden=130)), "tiny", {})
    with pytest.raises(CheckpointError, match="its network has 130 hidden units; at most 128 can be used here"):
        load_session(path, loader_of(tiny_split), largest_hidden=128)


CHILD_SESSION = """import sys
from core import data
from core.checkpoints import CheckpointError
from core.session import load_session

def loader(spec, extra, config):
    return data.split(data.load(spec), dev_size=50, dtype=config.dtype)

try:
    load_session(sys.argv[1], loader)
except (CheckpointError, data.DataError) as error:
    print(error)
"""


def test_a_session_or_its_dataset_that_is_not_a_file_is_refused(tmp_path, tiny_split, in_child):
    def refused(path) -> str:
        completed = in_child(f"import sys; sys.argv[1:] = [{str(path)!r}]\n" + CHILD_SESSION)  # a FIFO would block
        assert completed.returncode == 0, completed.stderr
        return completed.stdout.strip()

    pipe = crafted.fifo(tmp_path, "data.csv")
    names = {"fifo.npz": str(pipe), "tty.npz": "/dev/tty", "stdin.npz": "/dev/stdin"}
    for name, spec in names.items():
        save_session(tmp_path / name, Stepper(tiny_split, TrainingConfig()), spec, {})
    assert refused(tmp_path / "fifo.npz") == (f"{tmp_path / 'fifo.npz'}: the session's dataset {pipe} cannot be "
                                              f"loaded: {pipe}: is a named pipe (FIFO), not a file")
    assert refused(tmp_path / "tty.npz").endswith("/dev/tty: is a device, not a file")
    assert refused(tmp_path / "stdin.npz").endswith("not a file")
    session_pipe = crafted.fifo(tmp_path, "session.npz")
    assert refused(session_pipe) == f"{session_pipe}: is a named pipe (FIFO), not a file"


def test_a_long_run_whose_curves_were_thinned_reopens_with_the_same_curves_and_goes_on_alike(tmp_path, tiny_split):
    """Issue 17's bounded curves: a session saves them as held (every stride-th before the rewindable range), and
    a reopened run continues them exactly as the run that never stopped."""
    config = TrainingConfig(alpha=0.1)
    state_bytes = Stepper(tiny_split, config).state.nbytes
    run = Stepper(tiny_split, config, history_budget_bytes=40 * state_bytes, keyframe_every=10)
    run.run(6_500)
    curves = run.history.curves
    assert curves.stride > 1 and curves.exact_from > 0          # thinned, so the layout is saved too
    path = tmp_path / "long.npz"
    meta = save_session(path, run, "tiny")
    assert (meta["history"]["curve_stride"], meta["history"]["curve_exact_from"]) == (curves.stride,
                                                                                    curves.exact_from)
    reopened, _ = load_session(path, loader_of(tiny_split))
    np.testing.assert_array_equal(reopened.history.curves.iterations, curves.iterations)
    assert_same_curves(run, reopened)
    run.run(1_000)
    reopened.run(1_000)
    assert_same_state(run, reopened)
    assert_same_curves(run, reopened)
    assert list(run.history.keyframes) == list(reopened.history.keyframes)
def test_the_extra_settings_read_without_the_arrays_and_a_lesson_travels_as_text(tmp_path, tiny_split):
    from core.session import read_extra

    stepper = Stepper(tiny_split, TrainingConfig(hidden=4))
    stepper.run(2)
    lesson = {"lesson": {"name": "mine", "files": {"01-z1.md": "<!-- phase: Z1; parts: input -->\n# Ünïcode\n"},
                         "step": 1}}
    path = tmp_path / "lesson.npz"
    save_session(path, stepper, "tiny", lesson)
    assert read_extra(path) == lesson
    with np.load(path, allow_pickle=False) as archive:           # text in the JSON meta, not a pickled object
        assert all(archive[name].dtype != object for name in archive.files)
    weights = tmp_path / "weights.npz"
    save_weights(weights, stepper.params, {})
    with pytest.raises(CheckpointError, match="not a session file"):
        read_extra(weights)
