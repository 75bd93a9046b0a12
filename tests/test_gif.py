"""The GIF writer: what it writes is decoded by Qt's own GIF reader (an independent decoder) and compared."""
from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from visualizer import gif

pytestmark = pytest.mark.usefixtures("qapp")     # Qt's image plugins are found through the application


def decode(path) -> tuple[list[np.ndarray], list[int], int]:
    """(frames as (h, w, 3) uint8, delays in ms, loop count) as Qt reads the file."""
    from PyQt6.QtGui import QImage, QImageReader

    reader = QImageReader(str(path))
    assert reader.format() == b"gif", reader.errorString()
    frames, delays = [], []
    while True:
        image = reader.read()
        if image.isNull():
            break
        image = image.convertToFormat(QImage.Format.Format_RGB888)
        bits = image.constBits()
        bits.setsize(image.sizeInBytes())
        rows = np.frombuffer(bits, np.uint8).reshape(image.height(), image.bytesPerLine())
        frames.append(rows[:, :image.width() * 3].reshape(image.height(), image.width(), 3).copy())
        delays.append(reader.nextImageDelay())
    return frames, delays, reader.loopCount()


def palette_frame(rng: np.random.Generator, shape: tuple[int, int], colors: int) -> np.ndarray:
    """A frame of random pixels using exactly `colors` distinct random colours."""
    palette = np.unique(rng.integers(0, 256, (colors * 4, 3), dtype=np.uint8), axis=0)[:colors]
    assert len(palette) == colors
    indices = rng.integers(0, colors, shape)
    indices.ravel()[:colors] = np.arange(colors)          # every colour appears at least once
    return palette[indices]


def textbook_lzw(indices: bytes, min_code_size: int) -> list[int]:
    """LZW as the GIF specification describes it, one pixel at a time with string keys (for comparison)."""
    clear, end = 1 << min_code_size, (1 << min_code_size) + 1
    codes = [clear]
    table = {bytes([i]): i for i in range(clear)}
    current = b""
    for pixel in indices:
        extended = current + bytes([pixel])
        if extended in table:
            current = extended
            continue
        codes.append(table[current])
        if len(table) + 2 == 4096:
            codes.append(clear)
            table = {bytes([i]): i for i in range(clear)}
        else:
            table[extended] = len(table) + 2
        current = bytes([pixel])
    return codes + [table[current], end]


@pytest.mark.parametrize("kind", ["runs", "random", "stripes", "one run"])
def test_the_run_shortcut_gives_the_textbook_code_stream(kind):
    rng = np.random.default_rng(2)
    if kind == "runs":      # long runs of a few symbols, as a transparent or flat frame has
        data = np.repeat(rng.integers(0, 6, 3000), rng.integers(1, 300, 3000))
    elif kind == "random":
        data = rng.integers(0, 256, 60000)
    elif kind == "stripes":
        data = np.tile(np.repeat([0, 1, 2], [40, 3, 200]), 400)
    else:
        data = np.zeros(200000, int)
    indices = data.astype(np.uint8).tobytes()
    size = {"random": 8, "runs": 3}.get(kind, 2)
    assert gif.lzw_codes(indices, size) == textbook_lzw(indices, size)


def test_qt_reads_gif():
    from PyQt6.QtGui import QImageReader

    assert b"gif" in [bytes(name) for name in QImageReader.supportedImageFormats()]


def test_frames_delays_and_loop_come_back_exactly(tmp_path):
    rng = np.random.default_rng(0)
    first = palette_frame(rng, (60, 90), 40)
    second = first.copy()
    second[10:20, 30:50] = (255, 0, 0)                    # a small change: written as a rectangle
    third = palette_frame(rng, (60, 90), 200)             # everything changes
    fourth = third.copy()                                 # nothing changes
    frames = [first, second, third, fourth]
    path = tmp_path / "a.gif"
    with gif.GifWriter(path, (90, 60), loop=3) as writer:
        for frame, delay in zip(frames, (70, 100, 250, 1500)):
            writer.add_frame(frame, delay)
    decoded, delays, loop = decode(path)
    assert len(decoded) == 4
    for expected, got in zip(frames, decoded):
        np.testing.assert_array_equal(got, expected)
    assert delays == [70, 100, 250, 1500]
    assert loop == 3


def test_loop_forever_is_the_default(tmp_path):
    path = tmp_path / "forever.gif"
    gif.write_gif(path, [np.zeros((4, 4, 3), np.uint8), np.full((4, 4, 3), 255, np.uint8)])
    assert decode(path)[2] == -1                          # Qt's "forever"


def test_one_frame_of_one_pixel(tmp_path):
    path = tmp_path / "dot.gif"
    frame = np.array([[[12, 34, 56]]], np.uint8)
    assert gif.write_gif(path, [frame]) == 1
    decoded, _, _ = decode(path)
    assert len(decoded) == 1
    np.testing.assert_array_equal(decoded[0], frame)


@pytest.mark.parametrize("colors", [1, 2, 3, 4, 5, 16, 17, 129, 255, 256])
def test_up_to_256_colours_are_exact(tmp_path, colors):
    rng = np.random.default_rng(colors)
    frames = [palette_frame(rng, (37, 53), colors) for _ in range(2)]
    path = tmp_path / "colors.gif"
    gif.write_gif(path, frames)
    decoded, _, _ = decode(path)
    for expected, got in zip(frames, decoded, strict=True):
        np.testing.assert_array_equal(got, expected)


def test_more_than_256_colours_come_close_and_flat_colours_stay_exact(tmp_path):
    # A white page with black "text" and a smooth 4,096-colour gradient: the gradient is approximated,
    # the page and the ink keep their exact colours (text stays crisp).
    frame = np.full((120, 160, 3), 255, np.uint8)
    frame[10:30, 10:150] = (29, 35, 48)
    y, x = np.mgrid[0:64, 0:64]
    frame[40:104, 20:84] = np.stack([x * 4, y * 4, (x + y) * 2], axis=-1).astype(np.uint8)
    path = tmp_path / "gradient.gif"
    gif.write_gif(path, [frame])
    decoded = decode(path)[0][0].astype(int)
    error = np.abs(decoded - frame)
    assert error[40:104, 20:84].mean() < 4
    assert error.max() < 32
    flat = np.ones(frame.shape[:2], bool)
    flat[40:104, 20:84] = False
    assert error[flat].max() == 0


def coded(seed: int, shape: tuple[int, int], colors: int, bits: int) -> tuple[np.ndarray, list[int], list[int]]:
    """A random frame of `colors` colours, its LZW codes for `bits`-bit indices, and each code's width in bits."""
    frame = palette_frame(np.random.default_rng(seed), shape, colors)
    indices, _ = gif.quantize(frame)
    codes = gif.lzw_codes(indices.tobytes(), bits)
    return frame, codes, gif.code_widths(codes, bits).tolist()


def test_a_large_busy_frame_fills_the_code_table_many_times(tmp_path):
    frame, codes, widths = coded(7, (300, 400), 256, 8)
    clear = 256
    assert codes.count(clear) > 10                        # a clear code each time 4,095 is handed out
    assert max(widths) == 12 and min(widths) == 9
    assert max(codes) <= 4095
    path = tmp_path / "busy.gif"
    gif.write_gif(path, [frame, frame[::-1].copy()])
    decoded, _, _ = decode(path)
    np.testing.assert_array_equal(decoded[0], frame)
    np.testing.assert_array_equal(decoded[1], frame[::-1])


def test_code_width_climbs_from_3_to_12_bits_between_clears(tmp_path):
    # Four colours: 2-bit indices, so codes start at 3 bits; a busy frame takes them all the way to 12.
    frame, codes, widths = coded(11, (200, 300), 4, 2)
    clear = 4
    assert widths[0] == 3 and max(widths) == 12
    starts = [i for i, code in enumerate(codes) if code == clear] + [len(codes)]
    assert len(starts) > 2
    for start, stop in zip(starts, starts[1:]):
        run = widths[start + 1:stop]
        assert run == sorted(run) and set(run) == set(range(3, 13)) or stop == len(codes)
    path = tmp_path / "four.gif"
    gif.write_gif(path, [frame])
    np.testing.assert_array_equal(decode(path)[0][0], frame)


def test_an_unchanged_frame_costs_a_few_bytes(tmp_path):
    rng = np.random.default_rng(3)
    frame = palette_frame(rng, (100, 100), 50)
    one, two = tmp_path / "one.gif", tmp_path / "two.gif"
    gif.write_gif(one, [frame])
    gif.write_gif(two, [frame, frame])
    assert os.path.getsize(two) - os.path.getsize(one) < 40
    decoded, _, _ = decode(two)
    np.testing.assert_array_equal(decoded[1], frame)


@settings(max_examples=40, deadline=None)
@given(height=st.integers(1, 24), width=st.integers(1, 24), colors=st.integers(1, 256), frames=st.integers(1, 3),
       seed=st.integers(0, 2**32 - 1))
def test_random_small_animations_round_trip(tmp_path_factory, height, width, colors, frames, seed):
    rng = np.random.default_rng(seed)
    palette = rng.integers(0, 256, (colors, 3), dtype=np.uint8)
    sequence = [palette[rng.integers(0, colors, (height, width))] for _ in range(frames)]
    if frames > 1:
        sequence[-1] = sequence[0].copy()                 # back to the first: transparency must not leave traces
    path = tmp_path_factory.mktemp("random") / "r.gif"
    gif.write_gif(path, sequence)
    decoded, _, _ = decode(path)
    assert len(decoded) == frames
    for expected, got in zip(sequence, decoded):
        np.testing.assert_array_equal(got, expected)


def test_a_failed_write_leaves_the_old_file_and_no_debris(tmp_path):
    path = tmp_path / "keep.gif"
    path.write_bytes(b"old")
    with pytest.raises(ValueError, match="frame must be"):
        with gif.GifWriter(path, (10, 10)) as writer:
            writer.add_frame(np.zeros((10, 10, 3), np.uint8))
            writer.add_frame(np.zeros((5, 10, 3), np.uint8))
    assert path.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.gif"]


def test_bad_arguments_are_refused_with_a_reason(tmp_path):
    with pytest.raises(ValueError, match="65,535"):
        gif.GifWriter(tmp_path / "x.gif", (0, 10))
    with pytest.raises(ValueError, match="at least one frame"):
        gif.write_gif(tmp_path / "x.gif", [])
    with pytest.raises(ValueError, match="1 to 256"):
        gif.quantize(np.zeros((2, 2, 3), np.uint8), 300)
    assert list(tmp_path.iterdir()) == []


def test_median_cut_keeps_distinct_clusters_apart():
    rng = np.random.default_rng(5)
    centres = np.array([[20, 20, 200], [230, 160, 0], [0, 158, 115]])
    colors = np.clip(np.repeat(centres, 50, axis=0) + rng.integers(-6, 7, (150, 3)), 0, 255).astype(np.uint8)
    palette = gif.median_cut(colors, np.ones(150), 3)
    assert len(palette) == 3
    for centre in centres:
        assert np.abs(palette.astype(int) - centre).sum(axis=1).min() < 12
