"""How a number is written for a learner: the window's nodes and pills, the explanations and the questions all
show a value with the same digits, so a number explained is the number on screen."""
from __future__ import annotations

MINUS = "−"       # U+2212: a projector shows it as wide as a plus, a hyphen it does not
# Below this a value is round-off, not a quantity (a float64 sum that should be 0 leaves 1e−15 or so; float32's
# smallest step near 1 is 1.2e−07): it is written 0 rather than as a number with a needless exponent.
NEGLIGIBLE = 1e-9


def minus(text: str) -> str:
    """text with its hyphens written as minus signs."""
    return text.replace("-", MINUS)


def short_number(value: float) -> str:
    """A short signed number, always with its leading zero: 0.93, −0.031, 12.4, 318, 1234, 1.2e+05, 4.0e−05, 0.

    From 0.001 to 100,000 it is fixed-point (3 decimals below 0.1, 2 below 10, 1 below 100, none from 100 on),
    outside that range one decimal of scientific notation; round-off below NEGLIGIBLE is 0; hyphens are minus
    signs.
    """
    value = float(value)
    magnitude = abs(value)
    if magnitude < NEGLIGIBLE:
        return "0"
    if magnitude >= 100_000 or magnitude < 0.001:
        text = f"{value:.1e}"
    elif magnitude >= 100:
        text = f"{value:.0f}"
    elif magnitude >= 10:
        text = f"{value:.1f}"
    elif magnitude >= 0.1:
        text = f"{value:.2f}"
    else:
        text = f"{value:.3f}"
    return minus(text)
