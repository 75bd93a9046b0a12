"""The window's frame policy: which panels, and which of their slow layers, a frame redraws while playing.

While playing, the phase is always the update and a frame comes about every 28 ms. The curves, the timeline and
the status bar follow every frame; what changes faster than anyone reads, or costs the interpreter the training
thread needs, follows less often: the diagram twenty times a second (its numbers, thumbnails and parameters
less), the per-phase panels once a second. A frame that is not playing (a step, a pause, a seek) redraws
everything, exactly.

Time is read here and nowhere else in the window: a FramePolicy with an injected clock decides once per frame,
and the views draw what the Frame they are given says is due. Tests hand in a clock of their own.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Callable, Mapping

# Seconds between redraws of each layer while playing. A layer named "panel.part" is a part of that panel and is
# due only in frames that draw the panel.
INTERVALS: Mapping[str, float] = {
    "details": 1.0,                 # the per-phase panels: equation, input, values, matrices, evaluation, …
    "diagram": 0.05,
    "diagram.numbers": 0.25,        # the numbers on the nodes, and the tooltips (read only when hovered)
    "diagram.thumbnails": 0.25,     # ten 28×28 pictures of W1: one iteration's change is too small to see
    "diagram.parameters": 0.1,      # the W2 edges and the bias squares (the activations follow every frame)
    # The numbers that count the run: the status bar's, the timeline's and the curves' readout, on the same
    # frames, so they never disagree on screen (docs/TESTING.md, "One iteration number").
    "numbers": 0.25,
}
# The optimizer race draws its two small diagrams four times a second while it runs.
RACE_INTERVALS: Mapping[str, float] = {
    "diagram": 0.25,
    **{name: seconds for name, seconds in INTERVALS.items() if name.startswith("diagram.")},
}


@dataclass(frozen=True)
class Frame:
    """What one frame draws: everything when not playing, else the layers due."""
    playing: bool
    due: frozenset[str] = frozenset()

    def shows(self, layer: str) -> bool:
        return not self.playing or layer in self.due


EVERYTHING = Frame(playing=False)


class FramePolicy:
    """Decides once per frame which layers are due; a layer counts as drawn when it is due."""

    def __init__(self, clock: Callable[[], float] = time.perf_counter,
                 intervals: Mapping[str, float] = INTERVALS) -> None:
        self.clock = clock
        self.intervals = dict(intervals)
        self._drawn = {name: -math.inf for name in self.intervals}

    def frame(self, playing: bool) -> Frame:
        now = self.clock()
        if not playing:
            # Everything is drawn now: the slow layers wait their interval from here when playing starts.
            self._drawn = dict.fromkeys(self.intervals, now)
            return EVERYTHING
        due = {name for name, interval in self.intervals.items() if now - self._drawn[name] >= interval}
        if "details" in due:
            due.add("diagram")      # a frame that draws every panel draws the diagram too
        due = {name for name in due if self._with_its_panel(name, due)}
        for name in due:
            self._drawn[name] = now
        return Frame(True, frozenset(due))

    def _with_its_panel(self, name: str, due: set[str]) -> bool:
        """A part of a panel the policy throttles is due only when that panel is."""
        panel = name.split(".")[0]
        return name == panel or panel not in self.intervals or panel in due
