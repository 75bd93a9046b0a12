"""Property-based tests: whatever bytes a user hands to --data, the only thing that escapes is a DataError.

Each example is loaded under tracemalloc, so a reader that sets memory aside for what a damaged header claims
(rather than for what the file holds) fails here even where the machine would have granted it.
The number of examples comes from the hypothesis profile in tests/conftest.py.
"""
from __future__ import annotations

import gzip
import io
import struct
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import event, given, strategies as st  # noqa: E402

from core.data import DataError, Dataset, load  # noqa: E402

MOST_MEMORY = 64 << 20   # the files here are a few KB; any reader needing more believed a header


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


def load_only_data_errors(path: Path) -> Dataset | None:
    """load(path) must give a sound Dataset or raise DataError naming the file, within MOST_MEMORY."""
    tracemalloc.start()
    try:
        dataset = load(str(path))
    except DataError as error:
        message = str(error)
        assert "\n" not in message and message.startswith(f"{path.parent}"), message
        dataset = None
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert peak < MOST_MEMORY, f"{peak:,} bytes for a file of {path.stat().st_size:,}"
    event("loaded" if dataset is not None else "refused with a DataError")
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
