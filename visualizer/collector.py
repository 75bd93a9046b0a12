"""Python's cyclic garbage collected in the UI thread only, between two events.

Left to itself, the collector runs wherever an allocation sets it off: in the worker thread, in a job's thread,
or inside a Qt call that runs Python code on the way. Garbage can hold widgets (pyqtgraph's context menus of a
plot that is gone, kept only by a cycle), and deleting a widget there is unsafe: off the UI thread Qt's widget
lists are not locked, and inside a restyle Qt went on to use a deleted widget (visualizer/appearance.py).
So the window turns automatic collection off and runs the same generational collections from a timer of the
UI thread, when their counts pass the thresholds Python would have used (the pattern of calibre's
GarbageCollector).
"""
from __future__ import annotations

import gc

from PyQt6.QtCore import QObject, QTimer

INTERVAL_MS = 500       # how often the counts are looked at; a young generation's collection takes well under 1 ms


class UiThreadCollector(QObject):
    """While it lives: no automatic collection anywhere; collect() from a timer of the thread it was made in."""

    def __init__(self, parent: QObject | None = None, interval_ms: int = INTERVAL_MS):
        super().__init__(parent)
        self.thresholds = gc.get_threshold()
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.collect)
        gc.disable()
        self.timer.start()

    def collect(self) -> int:
        """Collect each generation whose count has passed its threshold, youngest first, as Python would;
        returns the number of objects found unreachable."""
        found = 0
        counts = gc.get_count()
        for generation in range(3):
            if counts[generation] <= self.thresholds[generation]:
                break
            found += gc.collect(generation)
        return found

    def stop(self) -> None:
        """Back to automatic collection."""
        self.timer.stop()
        gc.enable()
