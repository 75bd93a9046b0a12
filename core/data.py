"""Datasets: the `--data` spec, the notebook's dev/train split, and where the data come from (the readers of
the file formats users bring are in core/dataset_files.py)."""
from __future__ import annotations

import hashlib
import importlib.resources
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

from .dataset_files import DataError, read_csv, read_idx, read_keras_npz, unpacked
from .network import INPUTS
from .reading import DAMAGE, open_regular

DIGIT_NAMES: tuple[str, ...] = tuple(str(digit) for digit in range(10))
FASHION_NAMES: tuple[str, ...] = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                  "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")


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

SAMPLE = "mnist-sample"
FASHION = "fashion-mnist"
# The 5,000 MNIST digits inside the package (core/sample/, made by scripts/make_mnist_sample.py; see NOTICE).
SAMPLE_FILES = ("mnist-sample-images-idx3-ubyte.gz", "mnist-sample-labels-idx1-ubyte.gz")
FASHION_FOLDER = Path("/usr/share/datasets/fashion-mnist")     # Debian's dataset-fashion-mnist
FASHION_IMAGES = "train-images-idx3-ubyte"                      # as Zalando names it, with or without .gz
NO_SUCH_FILE = "no such file; --data takes mnist-sample, fashion-mnist, or the path of a CSV, IDX or .npz file"
FOLDER_HINT = "; give a file inside it (a CSV, an IDX images file or an .npz)"
# Fashion-MNIST is recognised by its labels, whatever the file is called (its IDX files are named as MNIST's):
# the SHA-256 of the label bytes (0–9, one per image, in the files' order) of its 60,000 training and 10,000 test
# images. A file of MNIST digits never has these labels in this order.
FASHION_LABELS_SHA256 = frozenset({
    "657fbd221bfc9f4198cc14b5619cc33ec57c58dd0e47af4d99d6650759e869a7",     # train-labels-idx1-ubyte
    "3d0e6c6ea990b53b6f8f500a41cac93881d981b315f84578b7d915342ade01e9",     # t10k-labels-idx1-ubyte
})


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
        with open_regular(path, spec, DataError, NO_SUCH_FILE, FOLDER_HINT) as file:
            if os.fstat(file.fileno()).st_size == 0:
                raise DataError(f"{spec}: is empty")
            kind = _kind_of(path, file)
    except DataError:
        raise
    except DAMAGE as error:
        raise DataError(f"{spec}: cannot be read ({error})") from None
    if kind == "npz":
        pixels, labels, dev_pixels, dev_labels = read_keras_npz(path, spec)
        return Dataset(spec, pixels, labels, class_names=class_names_of(labels), dev_pixels=dev_pixels,
                       dev_labels=dev_labels)
    if kind == "idx":
        pixels, labels = read_idx(path, spec)
    else:
        pixels, labels = read_csv(path, spec)
    return Dataset(spec, pixels, labels, class_names=class_names_of(labels))


def is_fashion(labels: np.ndarray) -> bool:
    """True for Fashion-MNIST's training or test labels, in its order (FASHION_LABELS_SHA256)."""
    if labels.size not in (10_000, 60_000):
        return False
    digest = hashlib.sha256(np.ascontiguousarray(labels, dtype=np.uint8).tobytes()).hexdigest()
    return digest in FASHION_LABELS_SHA256


def class_names_of(labels: np.ndarray) -> tuple[str, ...]:
    """Fashion-MNIST's clothes for its own labels, else the digits."""
    return FASHION_NAMES if is_fashion(labels) else DIGIT_NAMES


def fitting_dev_size(requested: int, examples: int) -> int:
    """The dev set a file of `examples` rows can give: the size requested, or a fifth of the file when the
    request would leave no training examples (a 64-row CSV and the default 1,000, say)."""
    return requested if requested < examples else examples // 5


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


def _kind_of(path: Path, file: BinaryIO) -> str:
    """"csv", "idx" or "npz": by the name where it is clear, else by the first bytes (gunzipped)."""
    name = path.name.lower()
    if name.endswith(".npz"):
        return "npz"
    if name.endswith((".csv", ".csv.gz", ".txt", ".txt.gz")):
        return "csv"
    if "idx" in name or name.endswith((".ubyte", ".ubyte.gz")):
        return "idx"
    start = file.read(4)
    if start.startswith(b"PK"):
        return "npz"
    if start.startswith(b"\x1f\x8b"):
        file.seek(0)
        try:
            with unpacked(file) as stream:
                start = stream.read(4)
        except DAMAGE:
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
    Debian's. The first name that exists is read, so that one that is not a file is refused as such."""
    where = Path(folder) if folder else FASHION_FOLDER
    name = f"{FASHION}={folder}" if folder else FASHION
    images = fashion_images(where)
    if images is None:
        what = f"holds no {FASHION_IMAGES}(.gz)" if where.is_dir() else "is not a folder" if where.exists() else \
            "does not exist"
        raise DataError(f"{name}: {where} {what}; {fashion_advice(folder is None)}")
    pixels, labels = read_idx(images, str(images))
    return Dataset(name, pixels, labels, class_names=FASHION_NAMES)


def fashion_images(folder: Path) -> Path | None:
    """Fashion-MNIST's training images file in folder (raw or .gz), or None."""
    return next((folder / (FASHION_IMAGES + ending) for ending in (".gz", "")
                 if os.path.lexists(folder / (FASHION_IMAGES + ending))), None)


def fashion_advice(debian_folder: bool = True) -> str:
    """How to get Fashion-MNIST on this system: a clause to follow a semicolon."""
    files = ("download its four files (train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, "
             "t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz) from Zalando Research's fashion-mnist "
             "repository into a folder, then start with --data fashion-mnist=FOLDER or open that folder's "
             "train-images file")
    if debian_folder and sys.platform.startswith("linux") and shutil.which("apt-get"):
        return f"install it with `sudo apt-get install dataset-fashion-mnist`, or {files}"
    return files
