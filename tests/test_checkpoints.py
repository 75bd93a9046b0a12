"""Weights files: round trips, notebook-style files, every kind of broken file, and atomic saving."""
from __future__ import annotations

import os
import stat

import numpy as np
import pytest

from core import checkpoints
from core.checkpoints import CheckpointError, load_weights, save_weights
from core.network import init_params

META = {"hidden": 12, "activation": "tanh", "optimizer": "adam", "alpha": 0.01, "iteration": 40,
        "dataset": "mnist-sample", "dtype": "float32", "seed": 3, "init": "he"}


def params_of(hidden: int = 12, dtype: str = "float32", seed: int = 0) -> dict[str, np.ndarray]:
    return init_params(hidden, "uniform", np.random.default_rng(seed), dtype)


def error_for(path) -> str:
    with pytest.raises(CheckpointError) as caught:
        load_weights(path)
    message = str(caught.value)
    assert "\n" not in message
    assert str(path) in message
    return message


# ---------------------------------------------------------------- round trips

@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_round_trip_keeps_values_dtype_and_meta(tmp_path, dtype):
    params = params_of(dtype=dtype)
    path = tmp_path / "weights.npz"
    save_weights(path, params, META)
    loaded, meta = load_weights(path)
    assert meta == META
    for name, value in params.items():
        assert loaded[name].dtype == np.dtype(dtype)
        np.testing.assert_array_equal(loaded[name], value)


def test_saved_file_opens_in_plain_numpy_without_pickle(tmp_path):
    path = tmp_path / "weights.npz"
    save_weights(path, params_of(), META)
    with np.load(path, allow_pickle=False) as plain:
        assert sorted(plain.files) == ["W1", "W2", "b1", "b2", "meta"]
        assert plain["W1"].shape == (12, 784)
        assert plain["meta"].shape == ()


def test_student_savez_file_loads_with_empty_meta(tmp_path):
    params = params_of(hidden=10, dtype="float64")
    path = tmp_path / "w.npz"
    np.savez(path, W1=params["W1"], b1=params["b1"], W2=params["W2"], b2=params["b2"])
    loaded, meta = load_weights(path)
    assert meta == {}
    np.testing.assert_array_equal(loaded["W2"], params["W2"])


def test_compressed_file_with_extra_arrays_loads(tmp_path):
    params = params_of()
    path = tmp_path / "w.npz"
    np.savez_compressed(path, **params, losses=np.arange(5.0))
    loaded, _ = load_weights(path)
    np.testing.assert_array_equal(loaded["b2"], params["b2"])


def test_vector_biases_are_read_as_columns(tmp_path):
    params = params_of(hidden=7)
    path = tmp_path / "w.npz"
    np.savez(path, W1=params["W1"], b1=params["b1"].ravel(), W2=params["W2"], b2=params["b2"].ravel())
    loaded, _ = load_weights(path)
    assert loaded["b1"].shape == (7, 1) and loaded["b2"].shape == (10, 1)
    np.testing.assert_array_equal(loaded["b1"], params["b1"])


def test_integer_weights_load_as_floats(tmp_path):
    path = tmp_path / "w.npz"
    np.savez(path, W1=np.ones((3, 784), int), b1=np.zeros((3, 1), int), W2=np.ones((10, 3), int),
             b2=np.zeros((10, 1), int))
    loaded, _ = load_weights(path)
    assert loaded["W1"].dtype == np.float64 and loaded["W1"][0, 0] == 1.0


# ---------------------------------------------------------------- broken files

def test_missing_file(tmp_path):
    assert "no such file" in error_for(tmp_path / "absent.npz")


def test_empty_file(tmp_path):
    path = tmp_path / "empty.npz"
    path.write_bytes(b"")
    assert "empty" in error_for(path)


def test_text_file_is_not_weights(tmp_path):
    path = tmp_path / "notes.npz"
    path.write_text("W1,b1\n1,2\n")
    assert "not an .npz" in error_for(path)


def test_truncated_zip_is_reported(tmp_path):
    path = tmp_path / "cut.npz"
    save_weights(path, params_of(), META)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    assert "is not a readable .npz (zip) file" in error_for(path)


def test_damaged_member_is_reported(tmp_path):
    path = tmp_path / "damaged.npz"
    np.savez_compressed(path, **params_of())
    data = bytearray(path.read_bytes())
    middle = len(data) // 3
    data[middle:middle + 200] = bytes(200)   # zero a stretch of compressed W1 data, keep the zip directory
    path.write_bytes(bytes(data))
    assert "W1 is damaged" in error_for(path)


def test_single_npy_array(tmp_path):
    path = tmp_path / "w.npy"
    np.save(path, params_of()["W1"])
    assert "single array" in error_for(path)


def test_folder_is_not_a_file(tmp_path):
    assert "folder" in error_for(tmp_path)


def test_missing_arrays_are_named(tmp_path):
    params = params_of()
    path = tmp_path / "w.npz"
    np.savez(path, W1=params["W1"], W2=params["W2"])
    message = error_for(path)
    assert "missing b1, b2" in message


def test_wrong_shape_is_named(tmp_path):
    params = params_of(hidden=10)
    params["W2"] = np.zeros((10, 11), np.float32)
    path = tmp_path / "w.npz"
    np.savez(path, **params)
    message = error_for(path)
    assert "W2" in message and "(10, 11)" in message


def test_transposed_w1_is_rejected(tmp_path):
    params = params_of(hidden=10)
    params["W1"] = params["W1"].T
    path = tmp_path / "w.npz"
    np.savez(path, **params)
    assert "W1" in error_for(path)


@pytest.mark.parametrize("bad", [np.zeros((10, 784), complex), np.zeros((10, 784), bool),
                                 np.full((10, 784), "x")])
def test_non_real_arrays_are_rejected(tmp_path, bad):
    params = params_of(hidden=10)
    params["W1"] = bad
    path = tmp_path / "w.npz"
    np.savez(path, **params)
    message = error_for(path)
    assert "W1" in message and "real numbers" in message


def test_pickled_arrays_are_not_loaded(tmp_path):
    params = params_of()
    params["b2"] = np.array([object()] * 10, dtype=object).reshape(10, 1)
    path = tmp_path / "w.npz"
    np.savez(path, **params)
    assert "pickled" in error_for(path)


def test_nan_and_inf_are_counted_for_the_named_array(tmp_path):
    params = params_of()
    params["W2"] = params["W2"].copy()
    params["W2"][0, :2] = np.nan
    params["W2"][3, 4] = np.inf
    path = tmp_path / "w.npz"
    np.savez(path, **params)
    message = error_for(path)
    assert "W2 has 3 NaN or infinite entries" in message


@pytest.mark.parametrize("meta", ["{not json", "[1, 2]"])
def test_bad_meta_is_reported(tmp_path, meta):
    path = tmp_path / "w.npz"
    np.savez(path, **params_of(), meta=np.array(meta))
    assert "meta" in error_for(path)


def test_meta_that_is_not_text_is_reported(tmp_path):
    path = tmp_path / "w.npz"
    np.savez(path, **params_of(), meta=np.arange(3))
    assert "meta" in error_for(path)


# ---------------------------------------------------------------- saving safely

def leftovers(folder) -> list[str]:
    return sorted(name for name in os.listdir(folder) if name != "weights.npz")


@pytest.mark.parametrize("failure, raised", [
    (OSError(28, "No space left on device"), CheckpointError),
    (KeyboardInterrupt(), KeyboardInterrupt),
])
def test_failure_half_way_leaves_old_file_and_no_temporary(tmp_path, monkeypatch, failure, raised):
    path = tmp_path / "weights.npz"
    save_weights(path, params_of(seed=1), META)
    before = path.read_bytes()

    def savez_failing_half_way(file, **arrays):
        file.write(b"PK\x03\x04 half a zip")
        raise failure

    monkeypatch.setattr(checkpoints.np, "savez", savez_failing_half_way)
    with pytest.raises(raised) as caught:
        save_weights(path, params_of(seed=2), META)
    if raised is CheckpointError:
        assert "no space left" in str(caught.value) and "unchanged" in str(caught.value)
    assert path.read_bytes() == before
    assert leftovers(tmp_path) == []


def test_overwrite_replaces_whole_file(tmp_path):
    path = tmp_path / "weights.npz"
    save_weights(path, params_of(hidden=30), META)
    save_weights(path, params_of(hidden=5), {})
    loaded, meta = load_weights(path)
    assert loaded["W1"].shape == (5, 784) and meta == {}
    assert leftovers(tmp_path) == []


def test_read_only_destination_is_not_overwritten(tmp_path):
    path = tmp_path / "weights.npz"
    save_weights(path, params_of(seed=1), META)
    before = path.read_bytes()
    path.chmod(stat.S_IRUSR | stat.S_IRGRP)
    try:
        with pytest.raises(CheckpointError, match="read-only"):
            save_weights(path, params_of(seed=2), META)
    finally:
        path.chmod(stat.S_IRUSR | stat.S_IWUSR)
    assert path.read_bytes() == before


def test_unwritable_folder_is_reported(tmp_path, monkeypatch):
    def refused(**kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(checkpoints.tempfile, "mkstemp", refused)
    with pytest.raises(CheckpointError) as caught:
        save_weights(tmp_path / "weights.npz", params_of(), META)
    assert "permission denied" in str(caught.value) and str(tmp_path) in str(caught.value)


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root may write in any folder")
def test_read_only_folder_is_reported(tmp_path):
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        with pytest.raises(CheckpointError, match="cannot write"):
            save_weights(folder / "weights.npz", params_of(), META)
    finally:
        folder.chmod(stat.S_IRWXU)


def test_missing_folder_is_reported(tmp_path):
    with pytest.raises(CheckpointError, match="does not exist"):
        save_weights(tmp_path / "nowhere" / "weights.npz", params_of(), META)


def test_broken_parameters_are_never_saved(tmp_path):
    params = params_of()
    params["b1"] = np.full((12, 1), np.nan, np.float32)
    path = tmp_path / "weights.npz"
    with pytest.raises(CheckpointError, match="b1 has 12 NaN"):
        save_weights(path, params, META)
    assert not path.exists() and leftovers(tmp_path) == []


def test_saved_file_is_readable_by_others_as_usual(tmp_path):
    path = tmp_path / "weights.npz"
    save_weights(path, params_of(), META)
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~mask
