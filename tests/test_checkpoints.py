"""Weights files: round trips, notebook-style files, every kind of broken file, and atomic saving."""
from __future__ import annotations

import os
import stat
import time
import tracemalloc

import numpy as np
import pytest

import crafted
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


# ---------------------------------------------------------------- hostile weights files

CHILD_LOAD = ("import sys\nfrom core.checkpoints import CheckpointError, load_weights\ntry:\n"
              "    load_weights(sys.argv[1])\nexcept CheckpointError as e:\n    print(e)\n")


def test_only_regular_files_are_opened(tmp_path, in_child):
    def refused(path) -> str:
        completed = in_child(f"import sys; sys.argv[1:] = [{str(path)!r}]\n" + CHILD_LOAD)   # a FIFO would block
        assert completed.returncode == 0, completed.stderr
        return completed.stdout.strip()

    pipe = crafted.fifo(tmp_path, "w.npz")
    assert refused(pipe) == f"{pipe}: is a named pipe (FIFO), not a file"
    assert refused("/dev/zero") == "/dev/zero: is a device, not a file"
    loop = crafted.link_loop(tmp_path, "loop.npz")
    assert refused(loop).startswith(f"{loop}: is a symbolic link loop")


def traced_error(path, **keywords) -> tuple[str, int]:
    tracemalloc.start()
    try:
        with pytest.raises(CheckpointError) as caught:
            load_weights(path, **keywords)
        return str(caught.value), tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def notebook_members(hidden: int = 10) -> dict[str, bytes]:
    return {f"{name}.npy": crafted.npy_of(value) for name, value in params_of(hidden).items()}


def test_a_zip_bomb_of_a_wide_network_is_refused_from_its_header(tmp_path):
    path = crafted.deflated_zeros_member(
        tmp_path / "bomb.npz", "W1.npy", crafted.npy((1_000_000, 784), "<f4"), 200 << 20,
        {name: content for name, content in notebook_members().items() if name != "W1.npy"})
    assert path.stat().st_size < 1 << 20          # 200 MB of zeros in a few hundred kB
    message, peak = traced_error(path)
    assert message == f"{path}: has 1,000,000 hidden units; at most 4,096 can be used here"
    assert peak < 1 << 20
    narrow = tmp_path / "narrow.npz"
    save_weights(narrow, params_of(hidden=200), META)
    message, _ = traced_error(narrow, largest_hidden=128)
    assert message == f"{narrow}: has 200 hidden units; at most 128 can be used here"


def test_claims_the_archive_does_not_back_are_refused_before_reading(tmp_path):
    members = notebook_members()
    members["W1.npy"] = crafted.npy((10, 784), "<f4", bytes(100))          # declares 31,360 bytes, holds 100
    path = crafted.write_zip(tmp_path / "short.npz", members)
    assert error_for(path).endswith("W1 claims 31,360 bytes of data but the archive holds 228")
    members = notebook_members()
    members["b2.npy"] = crafted.npy((2 ** 40,), "<f4")                     # the 2⁴⁰ elements
    path = crafted.write_zip(tmp_path / "huge.npz", members)
    message, peak = traced_error(path)
    assert message.startswith(f"{path}: b2 has shape (1099511627776,)") and peak < 1 << 20
    path = crafted.write_zip(tmp_path / "inflated.npz", notebook_members())
    crafted.patch_entry(path, "W2.npy", file_size=0xFFFFFF00)
    assert error_for(path).endswith("W2 would unpack to 4,294,967,040 bytes; at most 400 are read for it")


@pytest.mark.parametrize("patch, expected", [
    (dict(flag_bits=1), "W1 is encrypted (password-protected); save it without a password"),
    (dict(compress_type=1), "W1 is compressed with shrink, which is not read"),
    (dict(compress_type=99), "W1 is compressed with AES encryption, which is not read"),
])
def test_zip_entries_that_cannot_be_read_are_named(tmp_path, patch, expected):
    path = crafted.write_zip(tmp_path / "w.npz", notebook_members())
    crafted.patch_entry(path, "W1.npy", **patch)
    assert error_for(path) == f"{path}: {expected}" + (", as np.savez does" if "password" in expected else
                                                         "; np.savez and np.savez_compressed write files that are")


@pytest.mark.parametrize("meta, expected", [
    ("[" * 100_000 + "]" * 100_000, "meta is nested too deeply to be settings"),
    # (then Python's own words, which differ between versions: "Exceeds the limit (4300) for integer string …")
    ('{"iteration": ' + "7" * 5000 + "}", "meta holds a number too long to read (Exceeds the limit (4300"),
    ("x" * (1 << 20 + 1), "meta would unpack to 8,388,736 bytes; at most 4,194,304 are read for it"),
])
def test_meta_that_python_cannot_parse_is_named(tmp_path, meta, expected):
    path = tmp_path / "w.npz"
    np.savez(path, **params_of(), meta=np.array(meta))
    assert error_for(path).startswith(f"{path}: {expected}")


def test_a_transposed_parameter_is_said_to_look_transposed(tmp_path):
    params = params_of(hidden=12)
    path = tmp_path / "w.npz"
    np.savez(path, **{**params, "W1": params["W1"].T})
    assert error_for(path) == (f"{path}: W1 has shape (784, 12); it looks transposed: W1 is H×784, one row per "
                               "hidden unit (save W1.T)")
    np.savez(path, **{**params, "W2": params["W2"].T})
    assert error_for(path).endswith("; W2 looks transposed (save W2.T)")


def test_values_beyond_float32_are_said_to_be_too_large_for_it(tmp_path):
    from core.options import adopt_weights

    params = params_of(dtype="float64")
    params["W2"][3, 4] = -2e39
    path = tmp_path / "w.npz"
    np.savez(path, **params)
    with pytest.raises(CheckpointError, match=r"W2 holds values up to 2e\+39, too large for float32 \(at most "
                                              r"±3.4e\+38\); train in float64"):
        adopt_weights(str(path))
    assert adopt_weights(str(path), dtype="float64")[4] == "float64"


# ---------------------------------------------------------------- saves that respect the destination

def test_a_symlink_is_written_through_to_its_target(tmp_path):
    (tmp_path / "runs").mkdir()
    target, link = tmp_path / "runs" / "latest.npz", tmp_path / "w.npz"
    target.write_bytes(b"old")
    link.symlink_to(target)
    save_weights(link, params_of(seed=4), META)
    assert link.is_symlink() and os.readlink(link) == str(target)
    np.testing.assert_array_equal(load_weights(target)[0]["W1"], params_of(seed=4)["W1"])
    dangling = tmp_path / "new.npz"
    dangling.symlink_to(tmp_path / "runs" / "made.npz")
    save_weights(dangling, params_of(), META)
    assert dangling.is_symlink() and (tmp_path / "runs" / "made.npz").is_file()


def test_what_is_not_a_file_is_never_replaced(tmp_path):
    pipe = crafted.fifo(tmp_path, "pipe.npz")
    loop = crafted.link_loop(tmp_path, "loop.npz")
    null = crafted.device_node(tmp_path, "null")
    for path, problem in [(pipe, "is a named pipe (FIFO), not a file; saving would replace it, so nothing is saved"),
                          (loop, "is a symbolic link loop"), (tmp_path, "is a folder"),
                          (null, "is a device, not a file; saving would replace it, so nothing is saved")]:
        if path is None:
            continue        # device nodes need root
        kind = stat.S_IFMT(os.lstat(path).st_mode)
        with pytest.raises(CheckpointError) as caught:
            save_weights(path, params_of(), META)
        assert str(caught.value).startswith(f"{path}: {problem}")
        assert stat.S_IFMT(os.lstat(path).st_mode) == kind
    with pytest.raises(OSError, match="is a named pipe"):           # as the window's exports move their files
        checkpoints.publish(tmp_path / "x.tmp", pipe)


def test_a_hard_linked_file_is_not_split_from_its_other_names(tmp_path):
    path, other = tmp_path / "w.npz", tmp_path / "same.npz"
    save_weights(path, params_of(seed=1), META)
    os.link(path, other)
    with pytest.raises(CheckpointError, match="has 2 hard links; a save replaces the file"):
        save_weights(path, params_of(seed=2), META)
    assert os.path.samefile(path, other)


def test_a_full_disk_or_an_unwritable_folder_is_found_before_writing(tmp_path, monkeypatch):
    monkeypatch.setattr(checkpoints.shutil, "disk_usage", lambda folder: shutil_usage(free=10_000))
    with pytest.raises(CheckpointError, match=r"has 10 KiB free; about 1.4 MiB are needed"):
        checkpoints.check_destination(tmp_path / "w.npz", checkpoints.weights_nbytes(128, "float32"))
    monkeypatch.undo()
    real_access = os.access
    monkeypatch.setattr(checkpoints.os, "access", lambda path, mode: path != tmp_path and real_access(path, mode))
    with pytest.raises(CheckpointError, match=f"cannot write in the folder {tmp_path} \\(permission denied\\)"):
        save_weights(tmp_path / "w.npz", params_of(), META)
    assert leftovers(tmp_path) == []


def shutil_usage(free: int):
    import shutil
    return shutil._ntuple_diskusage(1 << 30, (1 << 30) - free, free)


def test_temporaries_left_by_killed_saves_are_removed_and_live_ones_kept(tmp_path):
    path = tmp_path / "weights.npz"
    old = time.time() - 3600
    stale, fresh, locked = (tmp_path / f".weights.npz.{tag}.tmp.npz" for tag in ("stale", "fresh", "locked"))
    for temporary in (stale, fresh, locked):
        temporary.write_bytes(b"half a zip")
    os.utime(stale, (old, old))
    os.utime(locked, (old, old))
    other = tmp_path / ".other.npz.stale.tmp.npz"
    other.write_bytes(b"another file's")
    os.utime(other, (old, old))
    with open(locked, "rb") as held:
        fcntl = pytest.importorskip("fcntl")
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)       # a save in progress in another process
        save_weights(path, params_of(), META)
    assert leftovers(tmp_path) == sorted([fresh.name, locked.name, other.name])
