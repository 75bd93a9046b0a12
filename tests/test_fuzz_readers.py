"""Property-based tests: whatever bytes a user hands to --data, the only thing that escapes is a DataError; whatever
a weights file or a session holds or claims, only a CheckpointError (or the session's DataError).

Each example is loaded under tracemalloc, so a reader that sets memory aside for what a damaged header claims
(rather than for what the file holds) fails here even where the machine would have granted it.
The number of examples comes from the hypothesis profile in tests/conftest.py.
"""
from __future__ import annotations

import gzip
import io
import json
import struct
import tempfile
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import event, given, strategies as st  # noqa: E402

import core.dataset_files as dataset_files  # noqa: E402
import crafted  # noqa: E402
from core.checkpoints import CheckpointError, load_weights  # noqa: E402
from core.config import TrainingConfig  # noqa: E402
from core.data import DataError, Dataset, load  # noqa: E402
from core.network import init_params  # noqa: E402
from core.session import load_session, save_session  # noqa: E402
from core.stepper import Stepper  # noqa: E402

MOST_MEMORY = 64 << 20   # the files here are a few KB; any reader needing more believed a header


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


def refused_within_memory(read, path: Path, errors: tuple[type[Exception], ...]) -> object:
    """read(path), or None when it raised one of errors with a one-line message naming the file (or the labels file
    beside it); either way within MOST_MEMORY."""
    tracemalloc.start()
    try:
        result = read(path)
    except errors as error:
        message = str(error)
        assert "\n" not in message and message.startswith(f"{path.parent}"), message
        result = None
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert peak < MOST_MEMORY, f"{peak:,} bytes for a file of {path.stat().st_size:,}"
    event("loaded" if result is not None else "refused with the project's error")
    return result


def load_only_data_errors(path: Path) -> Dataset | None:
    """load(path) must give a sound Dataset or raise DataError naming the file, within MOST_MEMORY."""
    dataset = refused_within_memory(lambda file: load(str(file)), path, (DataError,))
    if dataset is not None:
        assert dataset.pixels.ndim == 2 and dataset.pixels.shape[1] == 784
        assert dataset.labels.shape == (dataset.pixels.shape[0],) and dataset.labels.max(initial=0) <= 9
        if dataset.pixels.dtype == np.float32:
            assert np.all((dataset.pixels >= 0) & (dataset.pixels <= 1))
    return dataset


# Edits applied to a valid file: (where, as a fraction of its length; what; a byte or a length).
edits = st.lists(st.tuples(st.floats(0, 1), st.sampled_from(["replace", "insert", "delete", "truncate"]),
                           st.integers(0, 255)), min_size=1, max_size=6)


def mutate(content: bytes, changes: list[tuple[float, str, int]]) -> bytes:
    content = bytearray(content)
    for where, what, value in changes:
        at = min(int(where * len(content)), max(len(content) - 1, 0))
        if what == "replace" and content:
            content[at] = value
        elif what == "insert":
            content[at:at] = bytes([value])
        elif what == "delete" and content:
            del content[at:at + 1 + value % 8]
        elif what == "truncate":
            del content[at:]
    return bytes(content)


def valid_csv(header: bool) -> bytes:
    rng = np.random.default_rng(0)
    rows = np.column_stack([[3, 7], rng.integers(0, 256, (2, 784))])
    lines = (["label," + ",".join(f"pixel{index}" for index in range(784))] if header else [])
    lines += [",".join(map(str, row)) for row in rows]
    return ("\n".join(lines) + "\n").encode()


CSV_TOKENS = st.sampled_from(["0", "255", "256", "-1", "9", "10", "0.5", "1.5", "nan", "inf", "-inf", "1e3", "",
                              " ", "abc", "3.0", ",", "\n", "\r\n", '"5"', "\x00", "é", "1_0", "0x1f", "+4"])


@given(header=st.booleans(), changes=edits)
def test_mutated_csv(folder, header, changes) -> None:
    path = folder / "train.csv"
    path.write_bytes(mutate(valid_csv(header), changes))
    load_only_data_errors(path)


@given(header=st.booleans(), row=st.integers(0, 2), column=st.integers(0, 784), token=CSV_TOKENS)
def test_csv_with_one_odd_cell(folder, header, row, column, token) -> None:
    lines = valid_csv(header).decode().split("\n")
    index = min(row + header, len(lines) - 2)
    cells = lines[index].split(",")
    cells[column] = token
    lines[index] = ",".join(cells)
    path = folder / "train.csv"
    path.write_text("\n".join(lines), encoding="utf-8")
    dataset = load_only_data_errors(path)
    if dataset is None and token in ("abc", "", " ", "1_0", "0x1f") and not (header and index == 0):
        with pytest.raises(DataError, match=f"row {index + 1}, column {column + 1}"):
            load(str(path))


@given(text=st.text(alphabet=st.sampled_from("0123456789,.-+eE\n nai"), max_size=3000))
def test_random_numeric_looking_text_as_csv(folder, text) -> None:
    path = folder / "digits.csv"
    path.write_text(text)
    load_only_data_errors(path)


@given(content=st.binary(max_size=4000), name=st.sampled_from(["data.csv", "data.csv.gz", "mnist.npz", "blob",
                                                                 "train-images-idx3-ubyte", "x-images.gz"]))
def test_random_bytes_under_any_name(folder, content, name) -> None:
    path = folder / name
    path.write_bytes(content)
    load_only_data_errors(path)


def idx_pair(count: int = 3) -> tuple[bytes, bytes]:
    rng = np.random.default_rng(1)
    images = struct.pack(">IIII", 0x803, count, 28, 28) + rng.integers(0, 256, count * 784, dtype=np.uint8).tobytes()
    labels = struct.pack(">II", 0x801, count) + bytes(range(count))
    return images, labels


@given(compressed=st.booleans(), mutate_labels=st.booleans(), changes=edits,
       header_bytes=st.lists(st.tuples(st.integers(0, 15), st.integers(0, 255)), max_size=4))
def test_mutated_idx(folder, compressed, mutate_labels, changes, header_bytes) -> None:
    images, labels = idx_pair()
    target = bytearray(labels if mutate_labels else images)
    for at, value in header_bytes:  # damaged headers above all: counts, dimensions, magic numbers
        if at < len(target):
            target[at] = value
    target = mutate(bytes(target), changes)
    images, labels = (images, target) if mutate_labels else (target, labels)
    suffix, pack = (".gz", gzip.compress) if compressed else ("", bytes)
    (folder / f"train-labels-idx1-ubyte{suffix}").write_bytes(pack(labels))
    path = folder / f"train-images-idx3-ubyte{suffix}"
    path.write_bytes(pack(images))
    try:
        load_only_data_errors(path)
    finally:
        for file in folder.glob("train-*"):
            file.unlink()


EDGE_SIZES = st.one_of(st.sampled_from([0, 1, 2, 3, 4, 27, 28, 29, 2 ** 31, 2 ** 32 - 1]), st.integers(0, 2 ** 32 - 1))


@given(count=EDGE_SIZES, rows=EDGE_SIZES, compressed=st.booleans())
def test_idx_header_claims(folder, count, rows, compressed) -> None:
    images, labels = idx_pair()
    images = struct.pack(">IIII", 0x803, count, rows, 28) + images[16:]
    suffix, pack = (".gz", gzip.compress) if compressed else ("", bytes)
    (folder / f"t10k-labels-idx1-ubyte{suffix}").write_bytes(pack(labels))
    path = folder / f"t10k-images-idx3-ubyte{suffix}"
    path.write_bytes(pack(images))
    try:
        dataset = load_only_data_errors(path)
        assert dataset is None or (count, rows) == (3, 28)
    finally:
        for file in folder.glob("t10k-*"):
            file.unlink()


def valid_npz() -> bytes:
    rng = np.random.default_rng(2)
    stream = io.BytesIO()
    np.savez(stream, x_train=rng.integers(0, 256, (3, 28, 28), dtype=np.uint8), y_train=np.array([1, 2, 3]),
             x_test=rng.integers(0, 256, (2, 28, 28), dtype=np.uint8), y_test=np.array([4, 5], np.uint8))
    return stream.getvalue()


@given(changes=edits)
def test_mutated_npz(folder, changes) -> None:
    path = folder / "mnist.npz"
    path.write_bytes(mutate(valid_npz(), changes))
    load_only_data_errors(path)


SHAPES = st.lists(st.one_of(st.integers(-3, 800), st.integers(0, 2 ** 64)), max_size=4).map(tuple)
DESCRIPTIONS = st.sampled_from(["|u1", "<i8", "<f4", ">f8", "|O", "<U3", "|V8", "|b1", "<c16", "<M8[s]",
                                [("a", "<i4")], "|S2"])


@given(shape=SHAPES, descr=DESCRIPTIONS, fortran=st.booleans(), payload=st.binary(max_size=3000),
       labels_shape=SHAPES)
def test_npz_with_any_npy_header(folder, shape, descr, fortran, payload, labels_shape) -> None:
    path = folder / "mnist.npz"
    with zipfile.ZipFile(path, "w") as archive:
        for key, member_shape in (("x_train", shape), ("y_train", labels_shape)):
            stream = io.BytesIO()
            np.lib.format.write_array_header_1_0(stream, {"descr": descr, "fortran_order": fortran,
                                                          "shape": member_shape})
            archive.writestr(f"{key}.npy", stream.getvalue() + payload)
    load_only_data_errors(path)


# ---------------------------------------------------------------- the bounds: bombs, zip directories, weights, sessions

@given(piece=st.lists(CSV_TOKENS, min_size=1, max_size=40).map(lambda tokens: ",".join(tokens).encode()),
       newline=st.booleans(), repeats=st.integers(1, 3000))
def test_gzipped_csv_bombs_stay_within_the_bounds(folder, piece, newline, repeats) -> None:
    """Pieces of CSV repeated as gzip members: whatever they unpack to, memory stays within the scaled bound."""
    path = folder / "bomb.csv.gz"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(dataset_files, "LARGEST_EXAMPLES", 50)
        patch.setattr(dataset_files, "LARGEST_TEXT", 4 << 20)
        crafted.gzip_bomb(path, (piece + b"\n" if newline else piece) * 64, repeats)
        load_only_data_errors(path)


MEMBER_PATCHES = st.fixed_dictionaries({}, optional={
    "flag_bits": st.sampled_from([0, 1, 8, 0x41, 0xFFFF]),
    "compress_type": st.sampled_from([0, 1, 6, 8, 9, 12, 14, 93, 99, 0xFFFF]),
    "file_size": st.one_of(st.sampled_from([0, 1, 2 ** 31, 2 ** 32 - 1]), st.integers(0, 2 ** 32 - 1))})


@given(member=st.sampled_from(["x_train.npy", "y_train.npy", "x_test.npy"]), patch=MEMBER_PATCHES,
       compressed=st.booleans())
def test_npz_with_a_lying_zip_directory(folder, member, patch, compressed) -> None:
    path = folder / "mnist.npz"
    with zipfile.ZipFile(io.BytesIO(valid_npz())) as original:
        members = {name: original.read(name) for name in original.namelist()}
    crafted.write_zip(path, members, zipfile.ZIP_DEFLATED if compressed else zipfile.ZIP_STORED)
    crafted.patch_entry(path, member, **patch)
    load_only_data_errors(path)


WEIGHT_SHAPES = st.one_of(st.sampled_from([(10, 784), (784, 10), (10, 1), (10,), (1, 10), (10, 10), (2 ** 40,),
                                           (10 ** 6, 784), (4097, 784), ()]),
                          st.lists(st.integers(0, 2 ** 33), max_size=3).map(tuple))


@given(shapes=st.fixed_dictionaries({name: WEIGHT_SHAPES for name in ("W1", "b1", "W2", "b2")}),
       descr=st.sampled_from(["<f4", ">f8", "<i2", "|u1", "<f2", "<c8", "|b1", "<U4", "|V4", "<f16"]),
       payload=st.binary(max_size=2000), meta=st.one_of(st.none(), st.text(max_size=200),
                                                        st.sampled_from(["[" * 5000, '{"a": 1e999}', "{}"])))
def test_weights_with_any_npy_headers(folder, shapes, descr, payload, meta) -> None:
    members = {f"{name}.npy": crafted.npy(shape, descr, payload) for name, shape in shapes.items()}
    if meta is not None:
        members["meta.npy"] = crafted.npy_of(np.array(meta))
    path = crafted.write_zip(folder / "w.npz", members)
    refused_within_memory(load_weights, path, (CheckpointError,))


@given(member=st.sampled_from(["W1.npy", "b2.npy", "meta.npy"]), patch=MEMBER_PATCHES, compressed=st.booleans())
def test_weights_with_a_lying_zip_directory(folder, member, patch, compressed) -> None:
    rng = np.random.default_rng(3)
    members = {f"{name}.npy": crafted.npy_of(value) for name, value in
               init_params(10, "uniform", rng, "float32").items()}
    members["meta.npy"] = crafted.npy_of(np.array('{"iteration": 3}'))
    path = crafted.write_zip(folder / "w.npz", members, zipfile.ZIP_DEFLATED if compressed else zipfile.ZIP_STORED)
    crafted.patch_entry(path, member, **patch)
    refused_within_memory(load_weights, path, (CheckpointError,))


def json_containers(inner: st.SearchStrategy) -> st.SearchStrategy:
    return st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=6), inner, max_size=4))


JSON_VALUES = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(-2 ** 70, 2 ** 70), st.floats(),
                                     st.text(max_size=8)), json_containers, max_leaves=12)
SESSION_FIELDS = ["iteration", "phases_done", "rewindable_from", "dataset", "data", "extra", "config", "version",
                  "config.hidden", "config.seed", "config.batch_size", "config.alpha", "config.optimizer",
                  "history.start", "history.latest", "history.budget_bytes", "history.keyframe_every",
                  "history.recent_size", "history.keyframes", "history.recent"]


@pytest.fixture(scope="module")
def session_arrays(tiny_split) -> dict[str, np.ndarray]:
    stepper = Stepper(tiny_split, TrainingConfig(optimizer="momentum"), keyframe_every=2)
    stepper.run(4)
    path = Path(tempfile.mkdtemp()) / "session.npz"
    save_session(path, stepper, "tiny", {})
    with np.load(path) as loaded:
        return {name: loaded[name] for name in loaded.files}


@given(changes=st.dictionaries(st.sampled_from(SESSION_FIELDS), JSON_VALUES, min_size=1, max_size=3))
def test_sessions_with_any_meta_values(folder, session_arrays, tiny_split, changes) -> None:
    meta = json.loads(str(session_arrays["meta"]))
    for field, value in changes.items():
        *parents, last = field.split(".")
        target = meta
        for parent in parents:
            if not isinstance(target.get(parent), dict):
                target[parent] = {}
            target = target[parent]
        target[last] = value
    path = folder / "session.npz"
    np.savez(path, **{**session_arrays, "meta": np.array(json.dumps(meta))})

    # A DataError: the fingerprint no longer matches, also a clear refusal.
    refused_within_memory(lambda file: load_session(file, lambda spec, extra, config: tiny_split), path,
                          (CheckpointError, DataError))
