"""How the window writes numbers (visualizer/formatting.py, over core/numbers.py): leading zeros, no round-off."""
from __future__ import annotations

import pytest

from visualizer import formatting


@pytest.mark.parametrize("value, texts", [
    (0.031, ["0.031", "0.03"]), (-0.35, ["−0.35", "−0.3"]), (20.1, ["20.1", "20"]), (0.009, ["0.009", "0.01"]),
    (1.5e-15, ["0"]), (4e-05, ["4.0e−05"]),
])
def test_a_shortened_number_keeps_its_leading_zero_and_never_becomes_zero(value, texts):
    assert list(formatting.shorter(value)) == texts
    for text in texts:
        assert not text.lstrip("−").startswith("."), text
