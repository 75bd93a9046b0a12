"""What each phase looks like in the window, in one table keyed by core.network.PHASES.

The core says what a phase computes (its equation, meaning, reads, writes and direction); this table adds only
what the window draws for it: the colour of its direction, the diagram parts it lights, the array the diagram
draws in place of a parameter, how its pulse runs, the width of its chip and the matrices panel's layout. The
diagram, the equation's chips, the matrices and the lesson all read it from here.

The update is purple everywhere (the chips, the diagram's lit regions, its footer and its pulses). Yellow is
the highlighter's alone: the chip of the phase just computed, a lesson's emphasis and the update's flashes.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from PyQt6.QtGui import QColor

from core import network

from . import theme

# The parts of the diagram a phase can light and a lesson can point at.
DIAGRAM_PARTS: frozenset[str] = frozenset({"input", "W1", "hidden", "b1", "W2", "output", "b2"})
DIRECTION_CAPTIONS: Mapping[str, str] = {"forward": "forward →", "backward": "← backward", "update": "update"}
# The theme colour of each direction, by name: a theme switch changes the colour, not the name.
DIRECTION_COLOURS: Mapping[str, str] = {"forward": "FORWARD", "backward": "BACKWARD", "update": "PURPLE"}


@dataclass(frozen=True)
class PhaseLook:
    phase: str
    lights: frozenset[str]                          # the diagram parts the phase writes
    matrices: tuple[tuple[str, ...], ...]           # the matrices panel's rows, read as the equation is (see below)
    gradient_note: str = ""                         # the diagram draws this gradient in place of its parameter
    pulse: str | None = None                        # what the diagram's pulse follows (visualizer/views/diagram)
    chip_width: float = 1.0                         # the width of its chip, in ordinary chips

    @property
    def direction(self) -> str:
        """"forward", "backward" or "update", as the core orders the phases."""
        if self.phase in network.FORWARD_PHASES:
            return "forward"
        return "backward" if self.phase in network.BACKWARD_PHASES else "update"

    @property
    def colour_name(self) -> str:
        return DIRECTION_COLOURS[self.direction]

    def drawn(self, parameter: str) -> str:
        """What the diagram draws for a parameter in this phase: its gradient while the phase computes it
        ("dW2" over the W2 edges), else the parameter."""
        gradient = network.GRADIENT_OF[parameter]
        return gradient if self.gradient_note and gradient == self.phase else parameter


# The matrices' layouts: rows of array names (a trailing ᵀ: drawn transposed) and operators. The update's bias
# gradients are not drawn (db1, db2 had their own phases); a bias before and after share one small panel, two
# columns side by side ("b1_before|b1").
LOOKS: Mapping[str, PhaseLook] = {look.phase: look for look in (
    PhaseLook("Z1", frozenset({"W1", "hidden"}), (("W1", "·", "X", "+", "b1"), ("→", "Z1")), pulse="Z1"),
    PhaseLook("A1", frozenset({"hidden"}), (("Z1", "g →", "A1"),)),
    PhaseLook("Z2", frozenset({"W2", "output"}), (("W2", "·", "A1", "+", "b2"), ("→", "Z2")), pulse="W2·A1"),
    PhaseLook("A2", frozenset({"output"}), (("Z2", "softmax →", "A2"),)),
    PhaseLook("dZ2", frozenset({"output"}), (("A2", "−", "Y", "→", "dZ2"),)),
    PhaseLook("dW2", frozenset({"W2"}), (("dZ2", "·", "A1ᵀ", "→", "dW2"),),
              gradient_note="W2 edges show dW2, the gradient", pulse="dW2"),
    PhaseLook("db2", frozenset({"b2"}), (("dZ2", "Σⱼ ÷ m →", "db2"),), gradient_note="output biases show db2"),
    PhaseLook("dZ1", frozenset({"hidden"}), (("W2ᵀ", "·", "dZ2", "⊙ g′", "Z1"), ("→", "dZ1")), pulse="W2·dZ2"),
    PhaseLook("dW1", frozenset({"W1"}), (("dZ1", "·", "Xᵀ"), ("→", "dW1")),
              gradient_note="thumbnails show dW1 rows, the gradient", pulse="dW1"),
    PhaseLook("db1", frozenset({"b1"}), (("dZ1", "Σⱼ ÷ m →", "db1"),), gradient_note="hidden biases show db1"),
    PhaseLook("update", frozenset({"W1", "b1", "W2", "b2"}),
              (("W1_before", "− α ·", "dW1", "→", "W1", ",", "b1_before|b1"),
               ("W2_before", "− α ·", "dW2", "→", "W2", ",", "b2_before|b2")),
              chip_width=1.8),        # its name is twice as long, and it is a different kind of step
)}
if tuple(LOOKS) != network.PHASES:
    raise ImportError(f"visualizer/phases.py: LOOKS lists {tuple(LOOKS)}, core.network.PHASES {network.PHASES}")


def look(phase: str) -> PhaseLook:
    return LOOKS[phase]


def direction(phase: str | None) -> str | None:
    """The phase's direction; None before the first phase."""
    return None if phase is None else LOOKS[phase].direction


def colour(phase: str | None) -> QColor:
    """The phase's colour in the current theme (MUTED before the first phase)."""
    return QColor(getattr(theme, LOOKS[phase].colour_name) if phase is not None else theme.MUTED)


def lights(phase: str | None) -> frozenset[str]:
    """The diagram parts the phase lights (none before the first phase)."""
    return LOOKS[phase].lights if phase is not None else frozenset()
