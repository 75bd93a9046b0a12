"""A drawing becomes an MNIST column as MNIST's digits were made; the network reads it with its forward pass."""
from __future__ import annotations

import numpy as np
import pytest

from core import drawing, network
from core.data import load

SIDE = drawing.SIDE


def as_image(column: np.ndarray) -> np.ndarray:
    return column.reshape(SIDE, SIDE)


def centre_of_mass(image: np.ndarray) -> tuple[float, float]:
    mass = image.sum()
    return (image.sum(axis=1) @ np.arange(image.shape[0]) / mass,
            image.sum(axis=0) @ np.arange(image.shape[1]) / mass)


def bounding_box(image: np.ndarray) -> tuple[int, int]:
    rows, columns = np.flatnonzero(image.any(axis=1)), np.flatnonzero(image.any(axis=0))
    return rows[-1] - rows[0] + 1, columns[-1] - columns[0] + 1


def nearest_upscale(image: np.ndarray, size: int) -> np.ndarray:
    """image redrawn size × size pixels large, each new pixel taking the old pixel it falls in (sharp edges)."""
    source = (np.arange(size) * image.shape[0] / size).astype(int)
    return image[np.ix_(source, source)]


def best_shifted_correlation(image: np.ndarray, reference: np.ndarray) -> float:
    """Correlation after moving image by at most one pixel each way: the centring rounds the centre of mass,
    and a digit whose centre lies near a half pixel may land one pixel away from where MNIST put it."""
    return max(np.corrcoef(np.roll(image, (down, right), axis=(0, 1)).ravel(), reference.ravel())[0, 1]
               for down in (-1, 0, 1) for right in (-1, 0, 1))


@pytest.fixture(scope="module")
def mnist_digits() -> tuple[np.ndarray, np.ndarray]:
    """The first digit of each class in the 5,000-digit sample (rows are sorted by class), 28 × 28, in [0, 1]."""
    dataset = load("mnist-sample")
    firsts = [int(np.flatnonzero(dataset.labels == digit)[0]) for digit in range(10)]
    return dataset.pixels[firsts].reshape(-1, SIDE, SIDE) / 255.0, dataset.labels[firsts]


# ------------------------------------------------------------------ the preprocessing

def test_an_empty_canvas_is_all_zeros():
    for shape in ((280, 280), (50, 90), (1, 1)):
        column = drawing.mnist_preprocess(np.zeros(shape))
        assert column.shape == (784,)
        assert not column.any()


def test_a_bar_drawn_off_centre_ends_centred_by_mass_with_its_longer_side_20():
    canvas = np.zeros((200, 300))
    canvas[10:70, 250:262] = 1.0         # a short upright bar in the top-right corner
    image = as_image(drawing.mnist_preprocess(canvas))
    row, column = centre_of_mass(image)
    assert abs(row - drawing.CENTRE) <= 0.5 and abs(column - drawing.CENTRE) <= 0.5
    assert bounding_box(image) == (20, 4)   # 60 × 12 keeps its 5:1 aspect at 20 × 4


def test_the_longer_side_becomes_20_whichever_it_is_and_the_aspect_ratio_is_kept():
    canvas = np.zeros((400, 400))
    canvas[100:140, 50:350] = 1.0        # 40 × 300: wide
    assert bounding_box(as_image(drawing.mnist_preprocess(canvas))) == (3, 20)
    assert bounding_box(as_image(drawing.mnist_preprocess(canvas.T))) == (20, 3)


def test_a_digit_drawn_small_or_large_becomes_the_same_column():
    shape = np.zeros((10, 10))
    shape[1:9, 2] = shape[1, 2:8] = shape[8, 2:8] = shape[4, 2:6] = 1.0   # an E
    small = np.zeros((300, 300))
    small[10:50, 200:240] = nearest_upscale(shape, 40)
    large = np.zeros((300, 300))
    large[20:280, 20:280] = nearest_upscale(shape, 260)
    np.testing.assert_allclose(drawing.mnist_preprocess(small), drawing.mnist_preprocess(large), atol=1e-6)


def test_shrinking_anti_aliases_edges_into_grey_and_keeps_values_in_0_1():
    canvas = np.zeros((300, 300))
    canvas[:, :145] = 1.0                # a block whose right edge, at 145 of 300, falls inside new pixel 9…
    canvas[:15, 285:] = 1.0              # …with a dot in the far corner so the box is 300 wide
    column = drawing.mnist_preprocess(canvas)
    assert column.min() >= 0.0 and column.max() <= 1.0
    image = as_image(column)
    top, left = np.flatnonzero(image.any(axis=1))[0], np.flatnonzero(image.any(axis=0))[0]
    # New pixel 9 of the 20 covers old pixels 135–150, of which 10 are inked: it is two-thirds grey.
    np.testing.assert_allclose(image[top:top + 20, left + 9], 10 / 15, rtol=1e-5)
    np.testing.assert_allclose(image[top:top + 20, left:left + 9], 1.0, rtol=1e-5)
    rng = np.random.default_rng(3)
    for _ in range(20):
        canvas = rng.random((int(rng.integers(1, 120)), int(rng.integers(1, 120))))
        canvas[canvas < 0.7] = 0.0
        column = drawing.mnist_preprocess(canvas)
        assert column.shape == (784,) and np.isfinite(column).all()
        assert column.min() >= 0.0 and column.max() <= 1.0


def test_area_averaging_weights_share_each_new_pixel_among_the_old_ones_it_covers():
    weights = drawing.area_weights(5, 2)     # each new pixel covers 2.5 old ones
    np.testing.assert_allclose(weights.sum(axis=1), 1.0)
    np.testing.assert_allclose(weights[0], [0.4, 0.4, 0.2, 0.0, 0.0])
    np.testing.assert_allclose(drawing.area_weights(2, 4)[:, 0], [1, 1, 0, 0])   # enlarging repeats pixels


def test_a_lopsided_digit_is_moved_no_further_than_the_edge_of_the_field():
    canvas = np.zeros((100, 100))
    canvas[:, :5] = 1.0                  # a long thin stem…
    canvas[:20, :] = 1.0                 # …under a heavy top bar: the centre of mass is near the top
    column = drawing.mnist_preprocess(canvas)
    image = as_image(column)
    assert image[-1].any(), "moved down as far as it goes: its last row is the field's last"
    assert bounding_box(image) == (20, 20)
    # Nothing was cut off: the ink is the whole 20 × 20 digit's.
    expected = drawing.area_weights(100, 20) @ canvas @ drawing.area_weights(100, 20).T
    assert column.sum() == pytest.approx(expected.sum(), rel=1e-5)


def test_the_canvas_must_be_a_2d_image():
    with pytest.raises(ValueError, match="2-D"):
        drawing.mnist_preprocess(np.zeros(784))


def test_an_mnist_digit_redrawn_ten_times_larger_elsewhere_comes_back_as_it_was(mnist_digits):
    images, labels = mnist_digits
    for image, label in zip(images, labels):
        canvas = np.zeros((420, 400))
        canvas[100:380, 7:287] = np.kron(image, np.ones((10, 10)))
        column = drawing.mnist_preprocess(canvas)
        correlation = np.corrcoef(column, image.ravel())[0, 1]
        assert correlation > 0.9, f"digit {label}: correlation {correlation:.3f}"
        np.testing.assert_allclose(column, image.ravel(), atol=1e-6)   # MNIST's own recipe: the same pixels


@pytest.mark.parametrize("size", [150, 203, 333])
def test_an_mnist_digit_redrawn_at_other_scales_comes_back_close_to_the_original(mnist_digits, size):
    images, labels = mnist_digits
    for image, label in zip(images, labels):
        canvas = np.zeros((400, 420))
        canvas[400 - size - 5:395, 420 - size - 3:417] = nearest_upscale(image, size)
        result = as_image(drawing.mnist_preprocess(canvas))
        correlation = best_shifted_correlation(result, image)
        assert correlation > 0.9, f"digit {label} drawn {size} pixels large: correlation {correlation:.3f}"
        row, column = centre_of_mass(result)
        assert abs(row - drawing.CENTRE) <= 0.5 and abs(column - drawing.CENTRE) <= 0.5


# ------------------------------------------------------------------ the network's answer

@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_predict_is_the_forward_pass_of_the_one_column(activation):
    params = network.init_params(7, "uniform", np.random.default_rng(0))
    column = np.random.default_rng(1).random(784).astype(np.float32)
    z1, a1, z2, a2 = drawing.predict(params, column, activation)
    Z1, A1, Z2, A2 = network.forward(params, column[:, None], activation)
    for got, expected in ((z1, Z1), (a1, A1), (z2, Z2), (a2, A2)):
        assert got.shape == expected[:, 0].shape
        np.testing.assert_allclose(got, expected[:, 0], rtol=1e-6)
    assert a1.shape == (7,) and a2.shape == (10,)
    assert a2.sum() == pytest.approx(1.0, abs=1e-5)
    assert (a1.min() < 0) == (activation == "tanh")


def test_predict_never_returns_nan_for_a_network_near_divergence():
    params = {name: np.full(shape, 1e30, np.float32) for name, shape in network.parameter_shapes(4).items()}
    params["W2"][0] = -1e30
    z1, a1, z2, a2 = drawing.predict(params, np.ones(784, np.float32))
    for array in (z1, a1, z2, a2):
        assert np.isfinite(array).all()
    assert a2.sum() == pytest.approx(1.0, abs=1e-5)
