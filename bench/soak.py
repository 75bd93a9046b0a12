"""Does the window survive a long lesson? Plays in one real window and prints what it measured:

(a) resident memory (VmRSS) after the warm-up and at the end: growth must stay under 30 MB,
(b) QObjects under the window, Python-visible QThreads and Python threads at the start and at the end: no leaks,
(c) responsiveness: a QTimer in the UI thread fires every 10 ms; its largest lateness must stay under 250 ms.

Two ways to run it:

    QT_QPA_PLATFORM=offscreen python bench/soak.py [--iterations 20000] [--data mnist-sample]
        N iterations; the warm-up is the first 1,000, and the growth counts everything (the rewind history of
        20,000 iterations is a few MB).
    QT_QPA_PLATFORM=offscreen python bench/soak.py --minutes 30
        full speed for that long; the warm-up is the first minute. Memory is sampled every 30 s (play pauses for
        the moment it takes to read the rewind history's size in the idle worker). The rewind history fills its
        budget (64 MiB) over the first 200,000 iterations or so, by design; the bound is on the growth beyond it,
        and the history must stay within its budget. Both figures are printed.

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
WARM_UP_SECONDS = 60            # the same, for a run of --minutes
SAMPLE_SECONDS = 30             # memory samples of a run of --minutes
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
        # Ticks per millisecond of lateness (the last bin: a second or more): memory that does not grow with the
        # length of the run, which a list of every tick would (6 MB in 30 minutes, counted as the app's).
        self.late = [0] * 1001
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
        self.worst, self.late, self.ticks, self.longest_collection = 0.0, [0] * 1001, 0, 0.0
        self.timer.start()

    def percentile(self, fraction: float) -> float:
        """Seconds (to the millisecond) within which that fraction of the ticks came."""
        wanted, seen = min(self.ticks - 1, int(fraction * self.ticks)), 0
        for milliseconds, count in enumerate(self.late):
            seen += count
            if seen > wanted:
                return milliseconds / 1000
        return 0.0

    def _tick(self) -> None:
        now = time.perf_counter()
        lateness = max(0.0, now - self._last - self.interval)
        if lateness > self.worst:
            self.worst = lateness
            self.worst_at = self.window.snapshot.iteration if self.window.snapshot else 0
        self.late[min(len(self.late) - 1, int(lateness * 1000))] += 1
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


def run_loop(seconds: float) -> None:
    from PyQt6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()


def paused(window, timeout: float = 60) -> None:
    """Pause and wait until the window shows the paused run."""
    from PyQt6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()

    def check(snapshot) -> None:
        if not snapshot.playing:
            loop.quit()

    window.bridge.snapshotReady.connect(check)
    QTimer.singleShot(int(timeout * 1000), loop.quit)
    window.bridge.pause()
    if window.snapshot.playing or window.bridge.playing:
        loop.exec()
    window.bridge.snapshotReady.disconnect(check)


def history_mb(window) -> float:
    """The rewind history's bytes, read while the worker is idle (call after paused()): a bench may look."""
    return window.bridge.worker.stepper.history.nbytes / 2**20


def soak_for(window, minutes: float, probe: LatenessProbe) -> dict:
    """Full speed for `minutes`, a memory sample every SAMPLE_SECONDS; the baseline after WARM_UP_SECONDS."""
    samples: list[tuple[float, float, float, int]] = []     # (seconds, resident MB, history MB, iteration)
    started = time.perf_counter()
    total = minutes * 60
    while (elapsed := time.perf_counter() - started) < total - 1:
        window.bridge.play()
        run_loop(min(SAMPLE_SECONDS, total - elapsed))
        paused(window)
        samples.append((time.perf_counter() - started, resident_mb(), history_mb(window), window.snapshot.iteration))
        print(f"  {samples[-1][0] / 60:5.1f} min: iteration {samples[-1][3]:,}, resident {samples[-1][1]:.1f} MB, "
              f"history {samples[-1][2]:.1f} MB", flush=True)
    return {"samples": samples, "seconds": time.perf_counter() - started}


def print_leaks_and_lateness(window, probe: LatenessProbe, at_start: dict, at_end: dict) -> None:
    for name in at_start:
        print(f"{name}: {at_start[name]} at the start, {at_end[name]} at the end")
    print(f"UI thread: {probe.ticks:,} timer ticks every {PROBE_INTERVAL_MS} ms, lateness median "
          f"{probe.percentile(0.5) * 1000:.0f} ms, 99th percentile {probe.percentile(0.99) * 1000:.0f} ms, largest "
          f"{probe.worst * 1000:.0f} ms at iteration {probe.worst_at:,} (bound {MOST_LATENESS_MS:.0f} ms); "
          f"{window.frames_shown:,} frames shown; longest garbage collection {probe.longest_collection * 1000:.0f} ms")


def report_minutes(window, args, probe: LatenessProbe, at_start: dict, run: dict) -> bool:
    samples, seconds = run["samples"], run["seconds"]
    warm = min(samples, key=lambda s: abs(s[0] - WARM_UP_SECONDS))     # the sample nearest the first minute
    after = [s for s in samples if s[0] >= warm[0]]
    end = samples[-1]
    budget_mb = window.bridge.worker.stepper.history.budget_bytes / 2**20
    beyond = [(s[1] - warm[1]) - (s[2] - warm[2]) for s in after]       # growth not explained by the history
    full = next((s for s in after if s[2] >= 0.95 * budget_mb), None)
    tail = [s for s in after if s[0] >= end[0] - 5 * 60]
    at_end = census(window)
    leaks = {name: (at_start[name], at_end[name]) for name in at_start if at_end[name] > at_start[name]}
    print(f"soak: {end[3]:,} iterations of {args.data} in {seconds / 60:.1f} minutes at full speed "
          f"({end[3] / seconds:.0f} iterations/s); rewindable {window.snapshot.earliest:,}…{window.snapshot.iteration:,}")
    print(f"resident memory: {warm[1]:.1f} MB at {warm[0] / 60:.1f} min, {end[1]:.1f} MB at the end: growth "
          f"{end[1] - warm[1]:+.1f} MB, most {max(s[1] for s in after) - warm[1]:+.1f} MB; over the last 5 minutes "
          f"{tail[-1][1] - tail[0][1]:+.1f} MB")
    print(f"rewind history: {warm[2]:.1f} MB at {warm[0] / 60:.1f} min, {end[2]:.1f} MB at the end (budget "
          f"{budget_mb:.0f} MiB" + (f", 95 % full from {full[0] / 60:.1f} min)" if full else ", not yet full)"))
    print(f"growth beyond the history: {beyond[-1]:+.1f} MB at the end, most {max(beyond):+.1f} MB "
          f"(bound {MOST_GROWTH_MB:.0f} MB)")
    print_leaks_and_lateness(window, probe, at_start, at_end)
    ok = (max(beyond) < MOST_GROWTH_MB and max(s[2] for s in samples) <= budget_mb and not leaks
          and probe.worst * 1000 < MOST_LATENESS_MS)
    print("soak: PASS" if ok else f"soak: FAIL{' (leaks: ' + str(leaks) + ')' if leaks else ''}")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=20_000)
    parser.add_argument("--minutes", type=float, default=None, help="play at full speed this long instead")
    parser.add_argument("--data", default="mnist-sample")
    parser.add_argument("--size", default="1280x720")
    args = parser.parse_args()
    if args.minutes is None and args.iterations <= WARM_UP:
        parser.error(f"--iterations must be more than the {WARM_UP:,} warm-up iterations")
    if args.minutes is not None and args.minutes * 60 <= WARM_UP_SECONDS:
        parser.error(f"--minutes must be more than the {WARM_UP_SECONDS} s warm-up")

    from visualizer import create_main_window

    from visualizer.app import tune_runtime

    window = create_main_window(["--data", args.data, "--size", args.size])
    tune_runtime()          # as `python -m visualizer` does
    window.show()
    probe = LatenessProbe(window)
    play_to(window, 1, timeout=60)          # the first frame painted, the views built
    at_start = census(window)
    probe.start()                           # the run, not the window's construction
    if args.minutes is not None:
        ok = report_minutes(window, args, probe, at_start, soak_for(window, args.minutes, probe))
        window.close()
        return 0 if ok else 1

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
    print_leaks_and_lateness(window, probe, at_start, at_end)
    ok = growth < MOST_GROWTH_MB and not leaks and probe.worst * 1000 < MOST_LATENESS_MS
    print("soak: PASS" if ok else f"soak: FAIL{' (leaks: ' + str(leaks) + ')' if leaks else ''}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
