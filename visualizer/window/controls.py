"""The two controls of the toolbars: the playing speed and the length of the diagram's animation, with the keys
that reach them (they take focus only on a click, so that the arrow keys keep stepping)."""
from __future__ import annotations

from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QComboBox, QSpinBox

from visualizer.bridge import SPEEDS

DEFAULT_ANIMATION_MS = 250


class PlayControls:
    """`speed` (speedControl: item data = iterations per second, 0 = max) and `animation` (animationControl, ms)."""

    def __init__(self) -> None:
        self.speed = QComboBox()
        self.speed.setObjectName("speedControl")
        for speed in SPEEDS:
            self.speed.addItem("max" if speed == 0 else f"{speed}/s", speed)
        self.speed.setCurrentIndex(len(SPEEDS) - 1)
        self.speed.setToolTip("Speed while playing: iterations per second")
        self.speed.setAccessibleName("Speed")
        self.animation = QSpinBox()
        self.animation.setObjectName("animationControl")
        self.animation.setRange(0, 2000)
        self.animation.setSingleStep(50)
        self.animation.setSuffix(" ms")
        self.animation.setSpecialValueText("off")
        self.animation.setValue(DEFAULT_ANIMATION_MS)
        self.animation.setToolTip("Length of the diagram's animation of each phase (0 = off)")
        self.animation.setAccessibleName("Animation length")
        for control in (self.speed, self.animation):
            control.setFocusPolicy(Qt.FocusPolicy.ClickFocus)      # the arrow keys keep stepping
        self._animation_on_ms = DEFAULT_ANIMATION_MS

    def faster(self) -> None:
        self._nudge(1)

    def slower(self) -> None:
        self._nudge(-1)

    def _nudge(self, step: int) -> None:
        """One speed faster or slower; stops at the ends."""
        self.speed.setCurrentIndex(max(0, min(self.speed.count() - 1, self.speed.currentIndex() + step)))

    def toggle_animation(self) -> None:
        """Off, and back to the length it had."""
        if self.animation.value() > 0:
            self._animation_on_ms = self.animation.value()
            self.animation.setValue(0)
        else:
            self.animation.setValue(self._animation_on_ms or DEFAULT_ANIMATION_MS)
