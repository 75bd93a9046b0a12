"""A hand-drawn digit made into an MNIST column, and the current network's answer for it.

MNIST's digits were made from black-and-white scans in three steps (LeCun, Cortes and Burges): the digit's
bounding box was scaled so its longer side is 20 pixels, keeping the aspect ratio, with anti-aliasing (so edges
turn grey); the 20-pixel box was then placed in a 28 × 28 field so that the centre of mass of the ink lies at
the centre of the field. A drawing has to go through the same steps before the network can recognise it: a
digit drawn small in a corner is, to a network trained on MNIST, nothing like a digit.
"""
from __future__ import annotations

from typing import Mapping

import numpy as np

from . import network

SIDE = 28        # the field is SIDE × SIDE = network.INPUTS pixels
BOX = 20         # the longer side of the digit's bounding box after scaling
CENTRE = 14.0    # where the centre of mass goes, in pixel indices (MNIST's digits average 14.0 on both axes)


def area_weights(size: int, new_size: int) -> np.ndarray:
    """(new_size, size): row i averages the old pixels under new pixel i, each weighted by the length it covers.

    Resampling with these weights is area averaging: shrinking a sharp edge leaves a grey pixel where the
    edge cuts it (MNIST's anti-aliasing), and the ink's total, scaled by the area ratio, is kept.
    """
    step = size / new_size                         # old pixels per new pixel
    starts = np.arange(new_size)[:, None] * step   # new pixel i covers [i·step, (i+1)·step) of the old axis
    old = np.arange(size)[None, :]                 # old pixel j covers [j, j + 1)
    overlap = np.minimum(starts + step, old + 1) - np.maximum(starts, old)
    return np.clip(overlap, 0.0, None) / step


def mnist_preprocess(canvas: np.ndarray) -> np.ndarray:
    """The (784,) column in [0, 1] of a grayscale canvas (any size, ink = 1), made as MNIST's digits were.

    Crop to the ink's bounding box, scale its longer side to 20 pixels with area averaging, and place it in
    28 × 28 with its centre of mass at (14, 14) (moved by whole pixels, never past the field's edge).
    An empty canvas gives all zeros.
    """
    canvas = np.asarray(canvas, dtype=np.float64)
    if canvas.ndim != 2 or canvas.size == 0:
        raise ValueError(f"the canvas must be a 2-D grayscale image, not an array of shape {canvas.shape}")
    canvas = np.clip(np.nan_to_num(canvas, nan=0.0), 0.0, 1.0)
    field = np.zeros((SIDE, SIDE), dtype=np.float32)
    rows = np.flatnonzero(canvas.any(axis=1))
    columns = np.flatnonzero(canvas.any(axis=0))
    if rows.size == 0:
        return field.ravel()
    crop = canvas[rows[0]:rows[-1] + 1, columns[0]:columns[-1] + 1]
    height, width = crop.shape
    scale = BOX / max(height, width)
    new_height = min(BOX, max(1, round(height * scale)))
    new_width = min(BOX, max(1, round(width * scale)))
    digit = area_weights(height, new_height) @ crop @ area_weights(width, new_width).T

    mass = digit.sum()
    centre_row = (digit.sum(axis=1) @ np.arange(new_height)) / mass
    centre_column = (digit.sum(axis=0) @ np.arange(new_width)) / mass
    top = int(np.clip(round(CENTRE - centre_row), 0, SIDE - new_height))
    left = int(np.clip(round(CENTRE - centre_column), 0, SIDE - new_width))
    field[top:top + new_height, left:left + new_width] = np.clip(digit, 0.0, 1.0)
    return field.ravel()


def predict(params: Mapping[str, np.ndarray], column: np.ndarray, activation: str = "relu"
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """z1, a1 (H,), z2, a2 (10,) of one (784,) column pushed through the network's forward pass.

    Never NaN: parameters near divergence can overflow for one example, and then the saturated values are shown.
    """
    X = np.asarray(column, dtype=params["W1"].dtype).reshape(network.INPUTS, 1)
    with np.errstate(all="ignore"):
        Z1, A1, Z2, A2 = network.forward(params, X, activation)
    if not all(np.isfinite(array).all() for array in (Z1, A1, Z2, A2)):
        Z1, A1, Z2 = (np.nan_to_num(array, nan=0.0) for array in (Z1, A1, Z2))
        A2 = network.softmax(np.clip(Z2.astype(np.float64), -1e300, 1e300)).astype(Z2.dtype)
    return Z1[:, 0], A1[:, 0], Z2[:, 0], A2[:, 0]
