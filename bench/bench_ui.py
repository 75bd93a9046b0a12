"""How the window keeps up, measured in one run on the default data (mnist-sample):

(a) iterations per second playing at full speed in the window vs the headless core (ratio, target ≥ 0.90),
(b) the window's frame rate while playing (target ≥ 30): snapshots shown per second, each one redrawing the
    curves, the timeline and the status bar (the diagram follows 20 times a second, the per-phase panels once),
(c) median time from a → key press to phaseLabel showing the new phase (target ≤ 50 ms),
(d) cold start to a usable window, measured in a fresh process (target ≤ 2 s).

Both sides of (a) run the same Stepper class with the same configuration and BLAS threads, in the same process,
on the very same arrays: the headless Stepper trains on the window's own split. (Two copies of the same data in
one process can train 2-5 % apart, depending on where they landed in memory: measured, alternating 0.2 s runs of
two headless Steppers; an earlier version of this script gave the headless side its own copy, allocated later.)

The machine's own speed drifts by a third over seconds (the headless rate alone: 90-160 iterations/s; successive
0.1 s runs are correlated 0.9, runs 2 s apart 0.5), so the two sides are timed in short alternating slices
while the window plays on: --rounds slices of --seconds each of playing, each between two slices of the headless
core. For a headless slice the worker thread is held before its next iteration (a gate this script puts on
Stepper.step_iteration, for the worker's thread only) and the UI thread, which has nothing new to draw, runs the headless Stepper; the window is never
paused, so nothing is redrawn for Play or Pause. Each playing slice is compared with the mean of the headless
slices on either side of it; the median, the quartiles and the pooled ratio are printed. The ratio is also split
into two factors measured within each slice: the share of the time the worker thread runs rather than waits
(for the interpreter, mostly: see the UI thread's Python time below), and the worker's CPU time per iteration
against the headless core's (what the snapshots and the UI's work on the other core add to each iteration).
The UI thread's time in Python (the time it holds the interpreter the training thread needs) is profiled in a
separate run. While playing, the window runs an event loop as `app.exec()` does (`--loop poll` instead wakes every
millisecond to process events, as this script once did: each wake takes the interpreter from the worker).

Run: QT_QPA_PLATFORM=offscreen python bench/bench_ui.py [--seconds 0.25] [--rounds 32] [--warmup 1]
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# As `python -m visualizer` does (see visualizer/app.py), for the window and the headless core alike.
for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(variable, "1")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

COLD_START = """
import time, sys
start = float(sys.argv[1])
from PyQt6.QtWidgets import QApplication
from visualizer import create_main_window
window = create_main_window(["--size", "1280x720"])
window.show()
def ready():
    if window.snapshot is not None:
        print(time.time() - start, flush=True)
        window.close()
    else:
        QTimer.singleShot(5, ready)
from PyQt6.QtCore import QTimer
QTimer.singleShot(0, ready)
QApplication.instance().exec()
"""


def wait_until(app, condition, timeout: float = 30.0) -> None:
    end = time.perf_counter() + timeout
    while not condition():
        if time.perf_counter() > end:
            raise TimeoutError("the window did not answer in time")
        app.processEvents()
        time.sleep(0.0005)


def headless_stepper(split, config):
    """A Stepper of its own on the given split (the window's, so both sides train on the same arrays)."""
    from core.stepper import Stepper

    stepper = Stepper(split, config)
    stepper.step_iteration()        # warm up
    return stepper


def headless_rate(stepper, seconds: float) -> tuple[float, float]:
    """Iterations per second, and CPU milliseconds per iteration."""
    start, start_cpu, done = time.perf_counter(), time.thread_time(), 0
    while time.perf_counter() - start < seconds:
        stepper.step_iteration()
        done += 1
    return done / (time.perf_counter() - start), 1000 * (time.thread_time() - start_cpu) / done


def run_events(app, seconds: float, loop: str) -> None:
    """Let the window run for seconds: in an event loop as the app does, or polling every millisecond."""
    from PyQt6.QtCore import QEventLoop, QTimer

    if loop == "exec":
        events = QEventLoop()
        QTimer.singleShot(round(seconds * 1000), events.quit)
        events.exec()
        return
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        app.processEvents()
        time.sleep(0.001)


def worker_thread(app, window) -> int:
    """The worker thread's identifier (asked from inside it)."""
    from PyQt6.QtCore import QObject, pyqtSignal, pyqtSlot

    class Probe(QObject):
        asked = pyqtSignal()

        def __init__(self) -> None:
            super().__init__()
            self.ident: int | None = None

        @pyqtSlot()
        def answer(self) -> None:
            self.ident = threading.get_ident()

    probe, asker = Probe(), Probe()
    probe.moveToThread(window.bridge.thread)
    asker.asked.connect(probe.answer)          # queued: answered in the worker's thread
    asker.asked.emit()
    wait_until(app, lambda: probe.ident is not None)
    return probe.ident


class PausedClock:
    """The window's frame-policy clock, stopped while the worker is held: the slow layers (the diagram 20 times
    a second, the per-phase panels once…) then count playing time only, as in a window that plays on, instead of
    finding themselves due at the start of every slice."""

    def __init__(self) -> None:
        self.held = 0.0

    def __call__(self) -> float:
        return time.perf_counter() - self.held


class Gate:
    """Holds the worker thread before its next iteration while the headless core is timed, without pausing the
    window, and notes when each of its iterations ends (a wrapper on Stepper.step_iteration that acts in the
    worker's thread only, and a PausedClock for the window's frame policy, both removed by close())."""

    def __init__(self, window, worker: int) -> None:
        from core.stepper import Stepper

        self.open, self.waiting = threading.Event(), threading.Event()
        self.open.set()
        self.ends: list[float] = []        # appended by the worker thread only
        self.policy, self.clock, self.held_at = window.frame_policy, PausedClock(), 0.0
        self.policy.clock = self.clock
        step = self.step = Stepper.step_iteration

        def gated_step(stepper, *args, **kwargs):
            if threading.get_ident() != worker:          # the headless core, in this thread
                return step(stepper, *args, **kwargs)
            if not self.open.is_set():
                self.waiting.set()
                self.open.wait()
                self.waiting.clear()
            record = step(stepper, *args, **kwargs)
            self.ends.append(time.perf_counter())
            return record

        Stepper.step_iteration = gated_step

    def hold(self, app) -> None:
        self.open.clear()
        wait_until(app, self.waiting.is_set)
        self.held_at = time.perf_counter()

    def release(self) -> None:
        self.clock.held += time.perf_counter() - self.held_at
        self.open.set()

    def close(self) -> None:
        from core.stepper import Stepper

        self.policy.clock = time.perf_counter
        Stepper.step_iteration = self.step          # the class's own again
        self.open.set()


def playing_slice(app, window, gate: Gate, seconds: float, loop: str,
                  clock: int) -> tuple[float, float, float, float, float]:
    """One slice of playing, the worker just released: iterations and frames per second, the UI thread's CPU
    milliseconds per frame, and the worker thread's CPU seconds per wall second (what it did not spend waiting,
    mostly for the interpreter) and CPU milliseconds per iteration. Iterations per second are timed from the end of
    the slice's first iteration to the end of its last: ~25 iterations in a slice, a count would be ±4 %."""
    first, start_frames = len(gate.ends), window.frames_shown
    start, start_cpu, start_worker = time.perf_counter(), time.thread_time(), time.clock_gettime(clock)
    run_events(app, seconds, loop)
    elapsed, cpu = time.perf_counter() - start, time.thread_time() - start_cpu
    worker_cpu = time.clock_gettime(clock) - start_worker
    ends = gate.ends[first:]
    iterations, frames = len(ends), window.frames_shown - start_frames
    rate = (iterations - 1) / (ends[-1] - ends[0]) if iterations > 1 else 0.0
    return (rate, frames / elapsed, 1000 * cpu / max(frames, 1), worker_cpu / elapsed,
            1000 * worker_cpu / max(iterations, 1))


def interleaved(app, window, stepper, args, worker) -> tuple[list[tuple[float, ...]], list[tuple[float, float]]]:
    """Headless and playing slices in turn (headless first and last) while the window plays on. Per playing
    slice: (headless it/s around it, playing it/s, frames/s, UI CPU ms/frame), and (worker running share,
    worker CPU per iteration ÷ headless CPU per iteration)."""
    window.bridge.play()
    wait_until(app, lambda: window.snapshot is not None and window.snapshot.playing)
    run_events(app, args.warmup, args.loop)     # steady playing: pressing Play redraws every panel once
    gate = Gate(window, worker)
    clock = time.pthread_getcpuclockid(worker)
    alone = []
    slices = []
    try:
        for _ in range(args.rounds):
            gate.hold(app)
            alone.append(headless_rate(stepper, args.seconds))
            gate.release()
            slices.append(playing_slice(app, window, gate, args.seconds, args.loop, clock))
        gate.hold(app)
        alone.append(headless_rate(stepper, args.seconds))
    finally:
        gate.close()
    window.bridge.pause()
    wait_until(app, lambda: not window.snapshot.playing)
    rounds, costs = [], []
    for k, (played, frames, ui_cpu, busy, worker_cpu) in enumerate(slices):
        rate = (alone[k][0] + alone[k + 1][0]) / 2
        alone_cpu = (alone[k][1] + alone[k + 1][1]) / 2
        rounds.append((rate, played, frames, ui_cpu))
        costs.append((busy, worker_cpu / alone_cpu))
    return rounds, costs


def ui_python_time(app, window, seconds: float) -> tuple[float, float, list[tuple[float, str]]]:
    """The UI thread's CPU time inside Python while playing, which is the time it holds the interpreter (PyQt
    releases it only in the event loop): cProfile with a CPU clock, summing what the event loop called into
    Python (slots, timers, Python paint and boundingRect overrides). Milliseconds per frame and per second, and
    the largest entries. A separate run: the profiler adds its own cost to every call, so this run's it/s is not
    used, and the figure is somewhat high."""
    import cProfile
    import pstats

    window.bridge.play()
    wait_until(app, lambda: window.snapshot is not None and window.snapshot.playing)
    start_frames, start = window.frames_shown, time.perf_counter()
    profile = cProfile.Profile(time.thread_time)
    profile.enable()
    run_events(app, seconds, "exec")
    profile.disable()
    elapsed, frames = time.perf_counter() - start, window.frames_shown - start_frames
    window.bridge.pause()
    wait_until(app, lambda: not window.snapshot.playing)
    stats = pstats.Stats(profile).stats
    loop = next(key for key in stats if key[2] in ("<built-in method exec>", "<method 'exec' of 'QEventLoop' objects>"))
    called = [(entry[4][loop][3], f"{Path(key[0]).name}:{key[1]} {key[2]}")
              for key, entry in stats.items() if loop in entry[4]]
    python = sum(cpu for cpu, _ in called)
    return 1000 * python / max(frames, 1), 1000 * python / elapsed, sorted(called, reverse=True)[:6]


def key_latency(app, window, presses: int) -> float:
    from PyQt6.QtCore import Qt
    from PyQt6.QtTest import QTest
    from PyQt6.QtWidgets import QLabel

    label = window.findChild(QLabel, "phaseLabel")
    times = []
    for _ in range(presses):
        before = label.text()
        start = time.perf_counter()
        QTest.keyClick(window, Qt.Key.Key_Right)
        wait_until(app, lambda: label.text() != before)
        times.append(time.perf_counter() - start)
        wait_until(app, lambda: window.bridge.pending_steps == 0)
    return statistics.median(times)


def start_environment(**more: str) -> dict[str, str]:
    """A fresh process's environment for a cold start: offscreen, and with its bytecode cached (an installed app
    has it: pip compiles the modules as it installs them), whatever PYTHONDONTWRITEBYTECODE says here."""
    environment = {**os.environ, "QT_QPA_PLATFORM": "offscreen", **more}
    environment.pop("PYTHONDONTWRITEBYTECODE", None)
    return environment


def cold_start() -> float:
    start = time.time()
    result = subprocess.run([sys.executable, "-c", COLD_START, str(start)], capture_output=True, text=True,
                            cwd=ROOT, timeout=120, env=start_environment())
    if result.returncode != 0:
        raise RuntimeError(result.stderr)
    return float(result.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=0.25,
                        help="length of each timed slice (short: the machine's speed drifts over seconds)")
    parser.add_argument("--rounds", type=int, default=32,
                        help="playing slices timed for (a) and (b), each between two headless slices")
    parser.add_argument("--warmup", type=float, default=1.0,
                        help="seconds of playing before the first timed slice: pressing Play redraws every panel "
                             "and the curves' axes once")
    parser.add_argument("--presses", type=int, default=30, help="key presses timed for (c)")
    parser.add_argument("--loop", choices=("exec", "poll"), default="exec",
                        help="while playing: run an event loop as the app does (default), or poll every 1 ms")
    args = parser.parse_args()

    from PyQt6.QtWidgets import QApplication

    from visualizer import create_main_window

    from visualizer.app import tune_runtime

    load_before = os.getloadavg()[0]
    cold_start()            # once first: compiles what has changed, fills the disk cache
    cold = cold_start()
    window = create_main_window(["--size", "1280x720"])
    tune_runtime()          # as `python -m visualizer` does
    app = QApplication.instance()
    window.show()
    wait_until(app, lambda: window.snapshot is not None)
    # The headless core trains on the window's own arrays (see the docstring).
    stepper = headless_stepper(window.snapshot.split, window.snapshot.config)
    worker = worker_thread(app, window)
    rounds, costs = interleaved(app, window, stepper, args, worker)
    gil_frame, gil_second, gil_entries = ui_python_time(app, window, max(args.seconds, 2.0))
    latency = key_latency(app, window, args.presses)
    window.close()

    headless = statistics.median(alone for alone, _, _, _ in rounds)
    playing = statistics.median(played for _, played, _, _ in rounds)
    fps = statistics.median(frames for _, _, frames, _ in rounds)
    ratios = sorted(played / alone for alone, played, _, _ in rounds)
    ratio = statistics.median(ratios)
    quartiles = statistics.quantiles(ratios, n=4) if len(ratios) > 1 else [ratio] * 3
    pooled = sum(played for _, played, _, _ in rounds) / sum(alone for alone, _, _, _ in rounds)
    ui_cpu = statistics.median(cpu for _, _, _, cpu in rounds)
    print(f"    load average {load_before:.2f} before, {os.getloadavg()[0]:.2f} after; event loop: {args.loop}")
    print("    slices (headless around, playing it/s, frames/s, UI CPU ms/frame): "
          + "; ".join(f"{alone:.0f}, {played:.0f}, {frames:.0f}, {cpu:.1f}" for alone, played, frames, cpu in rounds))
    print(f"    UI thread CPU while playing {ui_cpu:5.1f} ms per frame (median)")
    print(f"    UI thread in Python (holding the GIL) {gil_frame:5.1f} ms per frame, {gil_second:4.0f} ms per second "
          f"(separate profiled run); largest: "
          + "; ".join(f"{name} {1000 * cpu / max(args.seconds, 2.0):.0f} ms/s" for cpu, name in gil_entries[:4]))
    print(f"(a) headless core        {headless:8.1f} iterations/s")
    print(f"    playing in window    {playing:8.1f} iterations/s   ratio {ratio:.2f}  (target ≥ 0.90) "
          f"{'ok' if ratio >= 0.90 else 'MISSED'}")
    print(f"    ratio over {len(ratios)} playing slices, each against the headless slices on either side: quartiles {quartiles[0]:.2f} / {quartiles[1]:.2f} / "
          f"{quartiles[2]:.2f}, pooled (mean playing rate ÷ mean headless rate) {pooled:.2f}")
    busy = statistics.median(share for share, _ in costs)
    cpu_ratio = statistics.median(ratio for _, ratio in costs)
    print(f"    the ratio in two factors, less noisy than the rates: the worker thread runs (is not waiting) "
          f"{busy:.1%} of the time; its CPU time per iteration is {cpu_ratio:.2f} × the headless core's")
    print(f"(b) frames while playing {fps:8.1f} per second      (target ≥ 30) {'ok' if fps >= 30 else 'MISSED'}")
    print(f"(c) → to phaseLabel      {latency * 1000:8.1f} ms median       (target ≤ 50) "
          f"{'ok' if latency <= 0.050 else 'MISSED'}")
    print(f"(d) cold start           {cold:8.2f} s                 (target ≤ 2) {'ok' if cold <= 2 else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
