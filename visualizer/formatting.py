"""How the window writes numbers: short signed values for nodes and pills, typographic minus signs, percentages,
and the finite arrays every view hands to Qt (a NaN or an infinity never reaches an item)."""
from __future__ import annotations

from collections.abc import Iterator
from html import escape

import numpy as np

from core.numbers import minus, short_number as short     # one way to write a value, shared with the core


def shorter(value: float) -> Iterator[str]:
    """short(value), then the same value with one decimal fewer at a time, never rounded to 0 (a node too small
    for 20.1 still says 20, for 0.031 0.03; hovering shows every digit). The leading zero stays: ".03" is misread
    from the back of a room."""
    full = short(value)
    yield full
    if "e" in full or "." not in full:
        return
    shown = len(full) - full.index(".") - 1         # the decimals full has
    for decimals in range(shown - 1, -1, -1):
        text = f"{value:.{decimals}f}"
        if float(text) == 0:
            return
        yield minus(text)


def significant(value: float, digits: int = 3) -> str:
    """value to `digits` significant digits, with a minus sign (a NaN reads 0)."""
    return minus(f"{float(np.nan_to_num(value)):.{digits}g}")


def percent(fraction: float) -> str:
    """"12.3 %", or "—" for a value that is not a number."""
    return "—" if not np.isfinite(fraction) else f"{100 * fraction:.1f} %"


def finite(array: np.ndarray) -> np.ndarray:
    """array as float64 with NaN and ±infinity as 0: the core guarantees finite values, this keeps that promise
    at the border to Qt (no copy when there is nothing to replace)."""
    array = np.asarray(array, dtype=np.float64)
    return array if np.isfinite(array).all() else np.nan_to_num(array, nan=0.0, posinf=0.0, neginf=0.0)


def html(text: str, colour: str | None = None, bold: bool = False) -> str:
    """text escaped for a rich-text label, optionally bold and coloured."""
    text = escape(text, quote=False)
    if bold:
        text = f"<b>{text}</b>"
    return f"<span style='color:{colour}'>{text}</span>" if colour else text


def ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th, 11th, 21st …"""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
