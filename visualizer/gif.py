"""An animated GIF89a writer in NumPy and plain Python (no imaging library).

Each frame gets its own colour table of at most 256 colours: exact when the frame has that few (the diagram is
mostly flat theme colours), otherwise the colours covering large areas are kept exactly and the rest (the
antialiased edges of text and lines) are shared out by a weighted median cut. After the first frame only the
rectangle that changed is written, and inside it the pixels that did not change are transparent, which keeps an
animation of a mostly still picture small. The image data is LZW-compressed as the GIF specification asks:
codes of 3 to 12 bits, a clear code first and whenever the 4,096-entry table is full.
"""
from __future__ import annotations

import os
import struct
from bisect import bisect_right
from pathlib import Path
from typing import BinaryIO, Iterable

import numpy as np

from core.checkpoints import check_destination, open_temporary, publish, remove_stale_temporaries

MAX_COLORS = 256
MAX_CODE_BITS = 12
FLAT_SHARE = 1 / 1000       # a colour covering at least this share of a frame is kept exactly


# ---------------------------------------------------------------- colours
def _keys(rgb: np.ndarray) -> np.ndarray:
    """(…, 3) uint8 → (…) uint32 with one number per colour, 0xRRGGBB."""
    rgb = rgb.astype(np.uint32)
    return (rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2]


def _colors(keys: np.ndarray) -> np.ndarray:
    return np.stack([(keys >> 16) & 255, (keys >> 8) & 255, keys & 255], axis=-1).astype(np.uint8)


def median_cut(colors: np.ndarray, weights: np.ndarray, count: int) -> np.ndarray:
    """At most count colours standing for colors (n, 3) weighted by weights (n,), each the weighted mean of a box.

    A variance-based median cut: the box with the largest squared error is split along its channel of largest
    variance, at the place that leaves the least squared error, so distinct clusters end up in distinct boxes.
    """
    if count <= 0 or len(colors) == 0:
        return np.zeros((0, 3), np.uint8)
    values = colors.astype(np.float64)
    weights = np.asarray(weights, dtype=np.float64)

    def statistics(box: np.ndarray) -> tuple[float, np.ndarray]:
        """(squared error around the weighted mean, per-channel weighted variance) of a box."""
        w, x = weights[box], values[box]
        total = w.sum()
        mean = w @ x / total
        spread = w @ (x - mean) ** 2
        return float(spread.sum()), spread

    def split(box: np.ndarray, channel: int) -> tuple[np.ndarray, np.ndarray]:
        order = box[np.argsort(values[box, channel], kind="stable")]
        w, x = weights[order], values[order]
        w_left = np.cumsum(w)[:-1]
        wx_left = np.cumsum(w[:, None] * x, axis=0)[:-1]
        wxx_left = np.cumsum(w * (x * x).sum(axis=1))[:-1]
        w_all, wx_all, wxx_all = w_left[-1] + w[-1], wx_left[-1] + w[-1] * x[-1], wxx_left[-1] + w[-1] * x[-1] @ x[-1]
        error = (wxx_left - (wx_left ** 2).sum(axis=1) / w_left) + \
            ((wxx_all - wxx_left) - ((wx_all - wx_left) ** 2).sum(axis=1) / (w_all - w_left))
        # Only between different values of the channel: equal colours are never parted.
        error[x[1:, channel] == x[:-1, channel]] = np.inf
        cut = int(np.argmin(error)) + 1
        return order[:cut], order[cut:]

    boxes = [np.arange(len(colors))]
    stats = [statistics(boxes[0])]
    while len(boxes) < count:
        widest = max(range(len(boxes)), key=lambda k: stats[k][0])
        if stats[widest][0] <= 0 or len(boxes[widest]) < 2:
            break
        left, right = split(boxes[widest], int(np.argmax(stats[widest][1])))
        boxes[widest], stats[widest] = left, statistics(left)
        boxes.append(right)
        stats.append(statistics(right))
    means = [weights[box] @ values[box] / weights[box].sum() for box in boxes]
    return np.clip(np.rint(means), 0, 255).astype(np.uint8)


def _nearest(colors: np.ndarray, palette: np.ndarray) -> np.ndarray:
    """Index into palette of the nearest entry (squared RGB distance) for each of colors (n, 3)."""
    entries = palette.astype(np.float32)
    # |c − p|² = |c|² − 2 c·p + |p|², and |c|² is the same for every p: one matrix product for all pairs.
    distances = (entries * entries).sum(axis=1)[None, :] - 2 * colors.astype(np.float32) @ entries.T
    return distances.argmin(axis=1)


def quantize(rgb: np.ndarray, colors: int = MAX_COLORS) -> tuple[np.ndarray, np.ndarray]:
    """(…, 3) uint8 pixels → (indices (…) uint8, palette (k, 3) uint8) with k ≤ colors; exact (palette[indices]
    equals rgb) when the pixels have at most colors distinct colours."""
    if not 1 <= colors <= MAX_COLORS:
        raise ValueError(f"a GIF colour table holds 1 to {MAX_COLORS} colours, not {colors}")
    keys, inverse, counts = np.unique(_keys(rgb).ravel(), return_inverse=True, return_counts=True)
    inverse = inverse.reshape(rgb.shape[:-1])
    if len(keys) <= colors:
        return inverse.astype(np.uint8), _colors(keys)
    # Large flat areas (background, panel, the theme's fills, text ink) keep their exact colour, so text stays
    # crisp; the median cut shares the other slots among the in-between colours of antialiasing and images.
    order = np.argsort(-counts, kind="stable")
    flat = order[counts[order] >= FLAT_SHARE * counts.sum()][:colors // 2]
    rest = np.ones(len(keys), bool)
    rest[flat] = False
    # The cut runs on 5-bit bins of the other colours (weighted means), a few thousand at most, not every colour.
    rest_colors, rest_counts = _colors(keys[rest]).astype(np.int64), counts[rest]
    bins, members = np.unique(_keys(rest_colors >> 3), return_inverse=True)
    weights = np.bincount(members, rest_counts).astype(np.float64)
    means = np.stack([np.bincount(members, rest_counts * rest_colors[:, channel]) for channel in range(3)], axis=1)
    binned = np.clip(np.rint(means / weights[:, None]), 0, 255).astype(np.uint8)
    palette = np.concatenate([_colors(keys[flat]), median_cut(binned, weights, colors - len(flat))])
    # Flat colours are their own entries; every other colour takes the entry nearest to its bin's mean.
    mapping = np.empty(len(keys), np.int64)
    mapping[flat] = np.arange(len(flat))
    mapping[rest] = _nearest(binned, palette)[members]
    return mapping[inverse].astype(np.uint8), palette


# ---------------------------------------------------------------- LZW
def lzw_codes(indices: bytes, min_code_size: int) -> list[int]:
    """The GIF LZW code stream for indices (one byte per pixel, each < 2**min_code_size), from the first clear
    code to the end code; when code 4,095 has been handed out a clear code starts a new table."""
    clear = 1 << min_code_size
    end = clear + 1
    codes = [clear]
    count = len(indices)
    if count == 0:
        return codes + [end]
    # Where each run of equal indices ends (exclusive): a background or a transparent area is crossed in one
    # step per code instead of one per pixel.
    data = np.frombuffer(indices, np.uint8)
    run_ends = np.append(np.flatnonzero(data[1:] != data[:-1]) + 1, count).tolist()
    table: dict[int, int] = {}
    look_up, add = table.get, codes.append       # local names: the loop is hot
    # runs[s][j - 1] is the code of s repeated j times; the table holds every shorter repeat of one it holds.
    runs = [[symbol] for symbol in range(clear)]
    next_code = end + 1
    full = 1 << MAX_CODE_BITS
    prefix = indices[0]
    repeated, repeats = prefix, 1       # the prefix is `repeated` `repeats` times over, or repeats is 0
    i = 1
    while i < count:
        index = indices[i]
        if repeats and index == repeated:
            # The prefix is a run of this index and the run goes on: take the longest repeat the table has.
            run = runs[index]
            stop = run_ends[bisect_right(run_ends, i)]
            wanted = repeats + stop - i
            if wanted <= len(run):
                prefix, repeats, i = run[wanted - 1], wanted, stop
                continue
            i += len(run) - repeats
            prefix = run[-1]
            key = prefix << 8 | index           # not in the table: the next repeat is new
        else:
            key = prefix << 8 | index
            code = look_up(key)
            if code is not None:
                prefix, repeats = code, 0
                i += 1
                continue
        add(prefix)
        if next_code == full:
            add(clear)
            table = {}
            look_up = table.get
            runs = [[symbol] for symbol in range(clear)]
            next_code = end + 1
        else:
            table[key] = next_code
            if repeats and index == repeated:
                runs[index].append(next_code)
            next_code += 1
        prefix, repeated, repeats = index, index, 1
        i += 1
    add(prefix)
    add(end)
    return codes


def code_widths(codes: list[int], min_code_size: int) -> np.ndarray:
    """The bit width of each code of lzw_codes' stream, as a decoder reads it.

    The j-th code after a clear is read when the table has j new entries (a decoder adds its entries one code
    late), the last of them end + j, so it takes the bits of end + j, at least min_code_size + 1 and at most 12;
    the end code follows one more entry; a clear code keeps the width of the code before it.
    """
    values = np.asarray(codes)
    clear, end = 1 << min_code_size, (1 << min_code_size) + 1
    position = np.arange(len(values))
    is_clear = values == clear
    # Index of each code within its table: its distance from the latest clear code before it, minus one.
    last_clear = np.maximum.accumulate(np.where(is_clear, position, 0))
    within = position - last_clear - 1
    widths = np.minimum(np.floor(np.log2(end + np.maximum(within, 0))).astype(np.int64) + 1, MAX_CODE_BITS)
    later = np.flatnonzero(is_clear[1:]) + 1      # clear codes after the first: the width of the code before
    widths[later] = widths[later - 1]
    widths[0] = min_code_size + 1
    return widths


def pack_codes(codes: list[int], widths: np.ndarray) -> bytes:
    """Variable-width codes packed least significant bit first, as GIF stores them."""
    values = np.asarray(codes, dtype=np.uint32)
    bits = ((values[:, None] >> np.arange(MAX_CODE_BITS, dtype=np.uint32)) & 1).astype(np.uint8)
    used = np.arange(MAX_CODE_BITS) < np.asarray(widths)[:, None]
    return np.packbits(bits[used], bitorder="little").tobytes()


def lzw_compress(indices: np.ndarray | bytes, min_code_size: int) -> bytes:
    data = indices.tobytes() if isinstance(indices, np.ndarray) else bytes(indices)
    codes = lzw_codes(data, min_code_size)
    return pack_codes(codes, code_widths(codes, min_code_size))


def _sub_blocks(data: bytes) -> bytes:
    """Data split into blocks of at most 255 bytes, each preceded by its length, ended by an empty block."""
    parts = [bytes([len(data[i:i + 255])]) + data[i:i + 255] for i in range(0, len(data), 255)]
    return b"".join(parts) + b"\x00"


# ---------------------------------------------------------------- the file
class GifWriter:
    """Writes frames of one size to an animated GIF as they come; the file appears (atomically) on close().

        with GifWriter("out.gif", (800, 500)) as gif:
            for frame in frames:            # (500, 800, 3) uint8 RGB
                gif.add_frame(frame, delay_ms=100)
    """

    PART = ".part"          # the file is written as .NAME.XXXXXXXX.part beside NAME, then renamed

    def __init__(self, path: str | os.PathLike, size: tuple[int, int], loop: int = 0):
        """size is (width, height) in pixels; loop 0 repeats forever, n plays n + 1 times in all. A destination
        that cannot be written (a folder, a device, no such folder) raises CheckpointError before anything is."""
        self._file: BinaryIO | None = None
        self._temporary: str | None = None
        width, height = size
        if not (1 <= width <= 65535 and 1 <= height <= 65535):
            raise ValueError(f"a GIF is 1 to 65,535 pixels each way, not {width}×{height}")
        if not 0 <= loop <= 65535:
            raise ValueError(f"the loop count is 0 (forever) to 65,535, not {loop}")
        self.path = Path(path)
        self.size = (int(width), int(height))
        self.frames = 0
        self._previous: np.ndarray | None = None    # the last frame given, to find what changed
        self._target = check_destination(self.path, suggested="animation.gif")
        remove_stale_temporaries(self._target, self.PART)      # what exports killed half-way left
        self._file, self._temporary = open_temporary(self.path, self._target, self.PART)
        # Header, logical screen (no global colour table: every frame brings its own), NETSCAPE2.0 loop.
        self._file.write(b"GIF89a" + struct.pack("<HHBBB", width, height, 0, 0, 0))
        self._file.write(b"\x21\xff\x0bNETSCAPE2.0\x03\x01" + struct.pack("<H", loop) + b"\x00")

    def add_frame(self, rgb: np.ndarray, delay_ms: int = 100) -> None:
        """Append a (height, width, 3) uint8 RGB frame shown for delay_ms (GIF counts in hundredths)."""
        if self._file is None:
            raise ValueError("the GIF is closed")
        width, height = self.size
        rgb = np.asarray(rgb)
        if rgb.shape != (height, width, 3) or rgb.dtype != np.uint8:
            raise ValueError(f"a frame must be a ({height}, {width}, 3) uint8 array, not {rgb.shape} {rgb.dtype}")
        left, top, indices, palette, transparent = self._frame_data(rgb)
        self._previous = rgb.copy()
        table_bits = max(1, int(len(palette) - 1).bit_length())
        table = np.zeros((1 << table_bits, 3), np.uint8)
        table[:len(palette)] = palette
        delay = int(np.clip(round(delay_ms / 10), 0, 65535))
        # Graphic control: disposal 1 (leave the frame in place, the next draws over it), transparency.
        packed = (1 << 2) | (1 if transparent is not None else 0)
        self._file.write(b"\x21\xf9\x04" + struct.pack("<BHB", packed, delay, transparent or 0) + b"\x00")
        rows, columns = indices.shape
        self._file.write(b"\x2c" + struct.pack("<HHHHB", left, top, columns, rows, 0x80 | (table_bits - 1)))
        self._file.write(table.tobytes())
        min_code_size = max(2, table_bits)
        self._file.write(bytes([min_code_size]) + _sub_blocks(lzw_compress(indices, min_code_size)))
        self.frames += 1

    def _frame_data(self, rgb: np.ndarray) -> tuple[int, int, np.ndarray, np.ndarray, int | None]:
        """(left, top, indices, palette, transparent index or None) of the part of rgb to write."""
        if self._previous is None:
            indices, palette = quantize(rgb)
            return 0, 0, indices, palette, None
        changed = (rgb != self._previous).any(axis=2)
        rows, columns = np.flatnonzero(changed.any(axis=1)), np.flatnonzero(changed.any(axis=0))
        if rows.size == 0:
            # Nothing changed: one transparent pixel carries the delay.
            return 0, 0, np.zeros((1, 1), np.uint8), np.zeros((1, 3), np.uint8), 0
        top, bottom, left, right = rows[0], rows[-1] + 1, columns[0], columns[-1] + 1
        part, moved = rgb[top:bottom, left:right], changed[top:bottom, left:right]
        if moved.all() or np.unique(_keys(part[moved])).size >= MAX_COLORS:
            # Every pixel changed, or a transparent slot would cost a colour: the whole rectangle, exact if it can be.
            indices, palette = quantize(part)
            return int(left), int(top), indices, palette, None
        # Unchanged pixels are transparent (the previous frame shows through), the changed ones keep their colours.
        shown, palette = quantize(part[moved], MAX_COLORS - 1)
        transparent = len(palette)
        indices = np.full(moved.shape, transparent, np.uint8)
        indices[moved] = shown
        palette = np.concatenate([palette, np.zeros((1, 3), np.uint8)])
        return int(left), int(top), indices, palette, transparent

    def close(self) -> None:
        """Finish the file and move it into place (a GIF without frames gets one white frame)."""
        if self._file is None:
            return
        try:
            if self.frames == 0:
                width, height = self.size
                self.add_frame(np.full((height, width, 3), 255, np.uint8))
            self._file.write(b"\x3b")
            self._file.close()
            publish(self._temporary, self._target)
        except BaseException:
            self.discard()          # a full disk, or a folder put at path meanwhile: no .part is left
            raise
        self._file = self._temporary = None

    def discard(self) -> None:
        """Give up: remove the partial file, leave whatever was at path before untouched."""
        file, temporary, self._file, self._temporary = self._file, self._temporary, None, None
        if file is not None:
            try:
                file.close()
            except OSError:
                pass        # what could not be flushed goes with the file
        if temporary is not None:
            try:
                os.remove(temporary)
            except FileNotFoundError:
                pass

    def __enter__(self) -> "GifWriter":
        return self

    def __exit__(self, kind, value, traceback) -> None:
        if kind is None:
            self.close()
        else:
            self.discard()

    def __del__(self) -> None:
        self.discard()


def write_gif(path: str | os.PathLike, frames: Iterable[np.ndarray], delay_ms: int = 100, loop: int = 0) -> int:
    """Write (height, width, 3) uint8 frames, all of one size, as an animated GIF; returns the frame count."""
    writer: GifWriter | None = None
    try:
        for frame in frames:
            if writer is None:
                writer = GifWriter(path, (frame.shape[1], frame.shape[0]), loop)
            writer.add_frame(frame, delay_ms)
        if writer is None:
            raise ValueError("a GIF needs at least one frame")
        writer.close()
        return writer.frames
    except BaseException:
        if writer is not None:
            writer.discard()
        raise
