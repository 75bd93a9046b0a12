"""Does the window survive a long lesson? Plays N iterations in one real window and prints what it measured:

(a) resident memory (VmRSS) after the first 1,000 iterations and at the end: growth must stay under 30 MB
    (the rewind history and the curves included),
(b) QObjects under the window, Python-visible QThreads and Python threads at the start and at the end: no leaks,
(c) responsiveness: a QTimer in the UI thread fires every 10 ms; its largest lateness must stay under 250 ms.

Run: QT_QPA_PLATFORM=offscreen python bench/soak.py [--iterations 20000] [--data mnist-sample]
(or under Xvfb with DISPLAY set). Exits 1 when a bound is broken.
"""
from __future__ import annotations

import argparse
import gc
import os
import sys
import threading
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(variable, "1")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

WARM_UP = 1000                  # iterations before the memory baseline: caches, fonts and first-use costs settle
MOST_GROWTH_MB = 30.0
MOST_LATENESS_MS = 250.0
PROBE_INTERVAL_MS = 10


def resident_mb() -> float:
    """VmRSS of this process in MB, from /proc/self/status."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status (Linux only)")


def census(window) -> dict[str, int]:
    """What could leak: QObjects under the window, QThread wrappers alive, Python threads, top-level widgets."""
    from PyQt6.QtCore import QObject, QThread
    from PyQt6.QtWidgets import QApplication

    from PyQt6.QtCore import QCoreApplication, QEvent

    # Objects already handed to deleteLater() are gone for good; count them gone.
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)
    gc.collect()
    return {"QObjects under the window": len(window.findChildren(QObject)),
            # type(), not isinstance(): an object's __class__ may be a deprecated attribute (torch) that warns
            "QThreads alive": sum(1 for o in gc.get_objects() if issubclass(type(o), QThread)),
            "Python threads": threading.active_count(),
            "top-level widgets": len(QApplication.topLevelWidgets())}


class LatenessProbe:
    """A QTimer in the UI thread; records how much later than asked each timeout arrives."""

    def __init__(self, window, interval_ms: int = PROBE_INTERVAL_MS):
        from PyQt6.QtCore import Qt, QTimer

        self.window = window
        self.interval = interval_ms / 1000
        self.worst_at = 0                # the iteration on screen when the worst lateness ended
        self.worst = 0.0
        self.late = []                 # lateness of every tick, seconds
        self.ticks = 0
        self._last = time.perf_counter()
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self._tick)
        self.longest_collection = 0.0    # the garbage collector's longest pause, a usual suspect for a late tick
        self._collecting = 0.0
        gc.callbacks.append(self._collection)

    def _collection(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._collecting = time.perf_counter()
        else:
            self.longest_collection = max(self.longest_collection, time.perf_counter() - self._collecting)

    def start(self) -> None:
        """Start, or start again from here (what came before is forgotten)."""
        self._last = time.perf_counter()
        self.worst, self.late, self.ticks, self.longest_collection = 0.0, [], 0, 0.0
        self.timer.start()

    def percentile(self, fraction: float) -> float:
        ordered = sorted(self.late)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else 0.0

    def _tick(self) -> None:
        now = time.perf_counter()
        lateness = max(0.0, now - self._last - self.interval)
        if lateness > self.worst:
            self.worst = lateness
            self.worst_at = self.window.snapshot.iteration if self.window.snapshot else 0
        self.late.append(lateness)
        self._last = now
        self.ticks += 1


def play_to(window, iteration: int, timeout: float) -> None:
    """Play until the window shows `iteration`, paused (the worker stops exactly there)."""
    from PyQt6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()

    def check(snapshot) -> None:
        if snapshot.iteration >= iteration and not snapshot.playing:
            loop.quit()

    window.bridge.snapshotReady.connect(check)
    QTimer.singleShot(int(timeout * 1000), loop.quit)
    window.bridge.play(iteration)
    loop.exec()
    window.bridge.snapshotReady.disconnect(check)       # the window showed the snapshot as it arrived
    if window.snapshot.iteration < iteration:
        raise SystemExit(f"soak: only {window.snapshot.iteration:,} of {iteration:,} iterations in {timeout:.0f} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=20_000)
    parser.add_argument("--data", default="mnist-sample")
    parser.add_argument("--size", default="1280x720")
    args = parser.parse_args()
    if args.iterations <= WARM_UP:
        parser.error(f"--iterations must be more than the {WARM_UP:,} warm-up iterations")

    from visualizer import create_main_window

    from visualizer.app import tune_runtime

    window = create_main_window(["--data", args.data, "--size", args.size])
    tune_runtime()          # as `python -m visualizer` does
    window.show()
    probe = LatenessProbe(window)
    play_to(window, 1, timeout=60)          # the first frame painted, the views built
    at_start = census(window)
    probe.start()                           # the run, not the window's construction

    started = time.perf_counter()
    play_to(window, WARM_UP, timeout=600)
    memory_warm = resident_mb()
    play_to(window, args.iterations, timeout=3600)
    seconds = time.perf_counter() - started
    memory_end = resident_mb()
    at_end = census(window)
    rewindable = f"{window.snapshot.earliest:,}…{window.snapshot.iteration:,}"

    window.close()
    growth = memory_end - memory_warm
    leaks = {name: (at_start[name], at_end[name]) for name in at_start if at_end[name] > at_start[name]}
    print(f"soak: {args.iterations:,} iterations of {args.data} played in one window in {seconds:.0f} s "
          f"({args.iterations / seconds:.0f} iterations/s)")
    print(f"memory: {memory_warm:.1f} MB after {WARM_UP:,} iterations, {memory_end:.1f} MB at the end: "
          f"growth {growth:+.1f} MB (bound {MOST_GROWTH_MB:.0f} MB); rewindable iterations {rewindable}")
    for name in at_start:
        print(f"{name}: {at_start[name]} at the start, {at_end[name]} at the end")
    print(f"UI thread: {probe.ticks:,} timer ticks every {PROBE_INTERVAL_MS} ms, lateness median "
          f"{probe.percentile(0.5) * 1000:.0f} ms, 99th percentile {probe.percentile(0.99) * 1000:.0f} ms, largest "
          f"{probe.worst * 1000:.0f} ms at iteration {probe.worst_at:,} (bound {MOST_LATENESS_MS:.0f} ms); "
          f"{window.frames_shown:,} frames shown; longest garbage collection {probe.longest_collection * 1000:.0f} ms")
    ok = growth < MOST_GROWTH_MB and not leaks and probe.worst * 1000 < MOST_LATENESS_MS
    print("soak: PASS" if ok else f"soak: FAIL{' (leaks: ' + str(leaks) + ')' if leaks else ''}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
