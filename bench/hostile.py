"""Peak memory of the core's readers on the hostile files of issue 17, each refused in a fresh process.

    python bench/hostile.py [--keep FOLDER] [--only NAME]

Builds the files in a temporary folder (nothing is downloaded or shipped), then for each one runs the reader that
opens it (core.checkpoints.load_weights or core.data.load) in a child process and prints
one table: the file's size, what it claims, the reader's bound (the largest legitimate input of its kind), the
peak of memory traced by tracemalloc during the call (Python and NumPy allocations) and the growth of the child's
peak resident memory (ru_maxrss) across the call, the time it took, and the message. The bombs' zip entries carry
no CRC: the readers refuse them long before the end of an entry, where zip would check it.
"""
from __future__ import annotations

import argparse
import gzip
import io
import json
import struct
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core import dataset_files, network  # noqa: E402
from core.config import LARGEST_HIDDEN  # noqa: E402

MIB = 1 << 20
WEIGHTS_BOUND = sum(np.prod(shape) for shape in network.parameter_shapes(LARGEST_HIDDEN).values()) * 8
KERAS_BOUND = dataset_files.LARGEST_EXAMPLES * (network.INPUTS + 1) * 8
CSV_BOUND = dataset_files.LARGEST_TEXT


# ---------------------------------------------------------------- making the files

def npy_header(shape: tuple, descr: str) -> bytes:
    stream = io.BytesIO()
    np.lib.format.write_array_header_1_0(stream, {"descr": descr, "fortran_order": False, "shape": shape})
    return stream.getvalue()


def npy_of(array: np.ndarray) -> bytes:
    stream = io.BytesIO()
    np.save(stream, array, allow_pickle=False)
    return stream.getvalue()


def deflated_zeros(prefix: bytes, zero_bytes: int) -> bytes:
    """A raw deflate stream of prefix and zero_bytes zeros, made in a moment: after a full flush the compressor
    starts afresh, so every further MiB of zeros compresses to the same ~1 kB, which is repeated."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = compressor.compress(prefix) + compressor.flush(zlib.Z_FULL_FLUSH)
    unit = compressor.compress(bytes(MIB)) + compressor.flush(zlib.Z_FULL_FLUSH)
    return head + unit * (zero_bytes // MIB) + compressor.compress(bytes(zero_bytes % MIB)) + compressor.flush()


def zeros_crc(prefix: bytes, zero_bytes: int) -> int:
    """The CRC of prefix and zero_bytes zeros, for the entries small enough to be read to their end."""
    crc = zlib.crc32(prefix)
    for _ in range(zero_bytes // MIB):
        crc = zlib.crc32(bytes(MIB), crc)
    return zlib.crc32(bytes(zero_bytes % MIB), crc)


def write_zip64(path: Path, members: list[tuple]) -> Path:
    """A zip of (name, data, method, uncompressed size[, crc]) entries, every one with zip64 sizes, as a bomb needs
    them (and as any tool may write them). A deflated entry's CRC is 0 unless given."""
    with open(path, "wb") as file:
        directory = []
        for name, data, method, size, *given in members:
            crc = zlib.crc32(data) if method == 0 else (given[0] if given else 0)
            offset = file.tell()
            encoded = name.encode()
            extra = struct.pack("<HHQQ", 1, 16, size, len(data))
            file.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 45, 0, method, 0, 0, crc, 0xFFFFFFFF, 0xFFFFFFFF,
                                   len(encoded), len(extra)) + encoded + extra)
            file.write(data)
            extra = struct.pack("<HHQQQ", 1, 24, size, len(data), offset)
            directory.append(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 45, 45, 0, method, 0, 0, crc,
                                         0xFFFFFFFF, 0xFFFFFFFF, len(encoded), len(extra), 0, 0, 0, 0, 0xFFFFFFFF)
                             + encoded + extra)
        start = file.tell()
        for entry in directory:
            file.write(entry)
        size = file.tell() - start
        record = file.tell()
        file.write(struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, len(directory), len(directory), size,
                               start))
        file.write(struct.pack("<IIQI", 0x07064B50, 0, record, 1))
        file.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0))
    return path


def small_weights(hidden: int = 10) -> dict[str, np.ndarray]:
    return network.init_params(hidden, "uniform", np.random.default_rng(0), np.float32)


def make_cases(folder: Path) -> list[dict]:
    """(name, path, reader, claim, bound) for every hostile file of the issue, and a few more."""
    cases = []

    def case(name: str, path: Path, reader: str, claim: str, bound: int) -> None:
        cases.append({"name": name, "path": str(path), "reader": reader, "claim": claim, "bound": bound})

    # 1. A weights zip bomb: W1 of 1,340,000 hidden units, 4.2 GB of zeros deflated into ~4.3 MB.
    hidden = 1_340_000
    header = npy_header((hidden, network.INPUTS), "<f4")
    w1_bytes = hidden * network.INPUTS * 4
    others = [(f"{name}.npy", npy_of(value), 0, len(npy_of(value))) for name, value in small_weights().items()
              if name != "W1"]
    case("weights zip bomb", write_zip64(folder / "bomb.npz", [
        ("W1.npy", deflated_zeros(header, w1_bytes), 8, len(header) + w1_bytes), *others]),
        "weights", f"W1 ({hidden:,}, 784) float32, {w1_bytes / 1e9:.1f} GB", WEIGHTS_BOUND)

    # 2. A network of width 10⁶ whose every array is consistent: W1, b1, W2, b2 (b1 stored in full).
    hidden = 1_000_000
    parts = []
    for name, shape in network.parameter_shapes(hidden).items():
        header = npy_header(shape, "<f4")
        size = int(np.prod(shape)) * 4
        if name == "b1":
            data = header + np.random.default_rng(1).standard_normal(hidden).astype(np.float32).tobytes()
            parts.append((f"{name}.npy", data, 0, len(data)))
        else:
            crc = zeros_crc(header, size) if size <= 64 * MIB else 0
            parts.append((f"{name}.npy", deflated_zeros(header, size), 8, len(header) + size, crc))
    case("weights of width 10⁶", write_zip64(folder / "wide.npz", parts), "weights",
         "H = 1,000,000: 3.2 GB of float32", WEIGHTS_BOUND)

    # 3. An .npy header declaring 2⁴⁰ elements.
    members = [(f"{name}.npy", npy_of(value), 0, len(npy_of(value))) for name, value in small_weights().items()]
    header = npy_header((2 ** 40,), "<f8")
    members[1] = ("b1.npy", header, 0, len(header))
    case("npy header of 2⁴⁰ elements", write_zip64(folder / "claim.npz", members), "weights",
         "b1 (2⁴⁰,) float64, 8.8 TB", WEIGHTS_BOUND)

    # 4. Gzipped CSV bombs: one endless line, and rows that each look right.
    line = gzip.compress(b"0," * (MIB // 2), 9)
    path = folder / "line.csv.gz"
    path.write_bytes(line * 3000)
    case("gzipped CSV bomb: one line", path, "data", "3.1 GB of '0,' without a line end", CSV_BOUND)
    row = b"3," + b",".join([b"0"] * network.INPUTS) + b"\n"
    piece = gzip.compress(row * 1000, 9)
    path = folder / "rows.csv.gz"
    path.write_bytes(piece * 2000)
    case("gzipped CSV bomb: rows", path, "data", f"2,000,000 rows, {len(row) * 2e6 / 1e9:.1f} GB", CSV_BOUND)

    # 5. A Keras npz whose x_train declares 3,000,000 float64 images (18.8 GB), with 9 GB of zeros deflated.
    header = npy_header((3_000_000, 28, 28), "<f8")
    labels = npy_of(np.zeros(3_000_000, np.uint8))
    case("Keras npz needing 19 GB", write_zip64(folder / "mnist.npz", [
        ("x_train.npy", deflated_zeros(header, 9 << 30), 8, len(header) + 3_000_000 * 784 * 8),
        ("y_train.npy", zlib.compress(labels, 9)[2:-4], 8, len(labels))]),
        "data", "x_train (3,000,000, 28, 28) float64, 18.8 GB", KERAS_BOUND)

    # 6. A Keras npz within the bound of images, whose zip entry claims 4 GB unpacked.
    header = npy_header((60_000, 28, 28), "<f8")
    case("Keras entry claiming 4 GB", write_zip64(folder / "entry.npz", [
        ("x_train.npy", deflated_zeros(header, 64 * MIB), 8, 4 << 30),
        ("y_train.npy", npy_of(np.zeros(60_000, np.uint8)), 0, len(npy_of(np.zeros(60_000, np.uint8))))]),
        "data", "an entry of 4.3 GB", KERAS_BOUND)
    return cases


# ---------------------------------------------------------------- measuring, each in a fresh process

CHILD = """
import json, resource, sys, time, tracemalloc
from core import data, checkpoints
from core.checkpoints import CheckpointError
from core.data import DataError

reader, path = sys.argv[1], sys.argv[2]
read = {"weights": checkpoints.load_weights, "data": data.load}[reader]
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
tracemalloc.start()
start = time.perf_counter()
try:
    read(path)
    message, refused = "accepted", False
except (CheckpointError, DataError) as error:
    message, refused = str(error), True
seconds = time.perf_counter() - start
peak = tracemalloc.get_traced_memory()[1]
tracemalloc.stop()
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"refused": refused, "message": message, "traced": peak, "rss": (after - before) * 1024,
                  "seconds": seconds}))
"""


def measure(case: dict) -> dict:
    completed = subprocess.run([sys.executable, "-c", CHILD, case["reader"], case["path"]], capture_output=True,
                               text=True, cwd=ROOT, timeout=600)
    if completed.returncode != 0:
        return {"refused": False, "message": completed.stderr.strip().splitlines()[-1], "traced": 0, "rss": 0,
                "seconds": 0.0}
    return json.loads(completed.stdout)


def size(count: float) -> str:
    return f"{count / 1e9:.2f} GB" if count >= 1e9 else f"{count / 1e6:.1f} MB" if count >= 1e5 else \
        f"{count / 1e3:.0f} kB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, default=None, help="make the files here and keep them")
    parser.add_argument("--only", default=None, help="measure only the cases whose name contains this")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="hostile"))
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for case in make_cases(folder):
        if args.only and args.only not in case["name"]:
            continue
        result = measure(case)
        rows.append((case, result, Path(case["path"]).stat().st_size))
        print(f"{case['name']}: {'refused' if result['refused'] else 'NOT REFUSED'} in {result['seconds']:.2f} s, "
              f"traced peak {size(result['traced'])}, resident growth {size(result['rss'])}", file=sys.stderr)
    print("| file | size | claims | bound | traced peak | resident growth | time | message |")
    print("| --- | ---: | --- | ---: | ---: | ---: | ---: | --- |")
    for case, result, file_size in rows:
        message = result["message"].replace(case["path"], Path(case["path"]).name)
        message = message if len(message) <= 90 else message[:87] + "..."
        print(f"| {case['name']} | {size(file_size)} | {case['claim']} | {size(case['bound'])} | "
              f"{size(result['traced'])} | {size(result['rss'])} | {result['seconds']:.2f} s | {message} |")
    worst = max((result["traced"] / case["bound"] for case, result, _ in rows), default=0)
    print(f"\nAll refused: {all(result['refused'] for _, result, _ in rows)}; the largest traced peak is "
          f"{worst:.4f} × its reader's bound (the issue's bar: at most 2 ×).")


if __name__ == "__main__":
    main()
