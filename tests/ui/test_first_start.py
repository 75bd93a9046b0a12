"""The first start after installing: numba compiles the fast kernels for about half a minute. The worker does it
once the first snapshot is on its way, the status bar says so, a step asked meanwhile waits for them, and closing
the window does not leave it on screen until the compile ends."""
from __future__ import annotations

import threading
from functools import partial

import pytest
from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QLabel, QWidget

from core import kernels, training
from core.config import TrainingConfig
from core.stepper import Stepper
from core.training import PREPARING
from visualizer import worker
from visualizer.bridge import Bridge

TIMEOUT = 10_000

pytestmark = pytest.mark.skipif(not kernels.numba_available(), reason="numba not installed: nothing to compile")


@pytest.fixture
def first_start(monkeypatch):
    """compile_kernels as at the first start after installing: it runs until the test sets the returned gate
    (then it loads the kernels, compiled already, at once), and the status bar's announcement comes at once."""
    gate = threading.Event()
    compiling_threads = []
    compile_kernels = kernels.compile_kernels

    def slow_compile() -> float:
        compiling_threads.append(threading.current_thread())
        gate.wait(TIMEOUT / 1000)
        return compile_kernels()
    monkeypatch.setattr(kernels, "compiled", gate.is_set)
    monkeypatch.setattr(kernels, "compile_kernels", slow_compile)
    monkeypatch.setattr(worker, "prepare_kernels", partial(training.prepare_kernels, after=0.0))
    yield gate, compiling_threads
    gate.set()


def recorded(bridge: Bridge) -> list[tuple[str, object]]:
    events: list[tuple[str, object]] = []
    bridge.snapshotReady.connect(lambda snapshot: events.append(("snapshot", snapshot.phase)))
    bridge.busy.connect(lambda text: events.append(("busy", text)))
    return events


def test_the_kernels_compile_after_the_first_snapshot_and_a_step_waits_for_them(qtbot, tiny_split, first_start):
    gate, compiling_threads = first_start
    bridge = Bridge(Stepper(tiny_split, TrainingConfig(), backend="numba"))
    events = recorded(bridge)       # connected before the event loop delivers anything
    try:
        qtbot.waitUntil(lambda: ("busy", PREPARING) in events, timeout=TIMEOUT)
        assert bridge.step("phase")         # asked while numba compiles
        assert events == [("snapshot", None), ("busy", PREPARING)]
        assert compiling_threads and compiling_threads[0] is not threading.main_thread()    # the worker's
        gate.set()
        qtbot.waitUntil(lambda: bridge.pending_steps == 0, timeout=TIMEOUT)
        assert events == [("snapshot", None), ("busy", PREPARING), ("busy", ""), ("snapshot", "Z1")]
    finally:
        gate.set()
        bridge.shutdown()


@pytest.mark.parametrize("backend", ["numba", "numpy"])
def test_a_quick_start_says_nothing(qtbot, tiny_split, first_start, monkeypatch, backend):
    gate, compiling_threads = first_start
    gate.set()      # numba: loaded from its disk cache, before the announcement's time; numpy: nothing to compile
    monkeypatch.setattr(worker, "prepare_kernels", partial(training.prepare_kernels, after=3600.0))
    monkeypatch.setattr(kernels, "compiled", lambda: False)
    bridge = Bridge(Stepper(tiny_split, TrainingConfig(), backend=backend))
    events = recorded(bridge)
    try:
        assert bridge.step("phase")         # answered after the start's preparation, in the worker's order
        qtbot.waitUntil(lambda: bridge.pending_steps == 0, timeout=TIMEOUT)
        assert events == [("snapshot", None), ("snapshot", "Z1")]
        assert bool(compiling_threads) == (backend == "numba")
    finally:
        bridge.shutdown()


def test_the_window_says_why_the_first_step_waits_and_closing_is_at_once(qtbot, make_window, first_start):
    gate, _ = first_start
    window = make_window()
    banner, text = window.findChild(QWidget, "busyBanner"), window.findChild(QLabel, "busyBannerText")
    qtbot.waitUntil(lambda: window.statusBar().currentMessage() == PREPARING, timeout=TIMEOUT)
    qtbot.waitUntil(banner.isVisible, timeout=TIMEOUT)      # over the diagram too, once it has lasted a second
    assert text.text() == PREPARING
    qtbot.keyClick(window, Qt.Key.Key_Right)
    gate.set()
    qtbot.waitUntil(lambda: window.snapshot.phase == "Z1", timeout=TIMEOUT)
    assert window.statusBar().currentMessage() != PREPARING and not banner.isVisible()

    # Closed while numba compiles: the window goes at once, and the worker ends once the compile is done.
    gate.clear()
    window = make_window()
    qtbot.waitUntil(lambda: window.statusBar().currentMessage() == PREPARING, timeout=TIMEOUT)
    shutdown, seen = window.bridge.shutdown, []

    def shutdown_once_hidden() -> None:
        seen.append(window.isVisible())
        gate.set()
        shutdown()
    window.bridge.shutdown = shutdown_once_hidden
    window.close()
    assert seen == [False] and not window.bridge.thread.isRunning()


def test_in_presenter_mode_the_banner_says_it_where_the_status_bar_is_hidden(qtbot, make_window, first_start):
    gate, _ = first_start
    window = make_window()
    window.set_presenter_mode(True)
    qtbot.waitUntil(window.isFullScreen, timeout=TIMEOUT)
    banner = window.findChild(QWidget, "busyBanner")
    qtbot.waitUntil(banner.isVisible, timeout=TIMEOUT)
    assert not window.statusBar().isVisible()
    assert window.findChild(QLabel, "busyBannerText").font().pointSizeF() >= 16     # presenter.qss: the room reads it
    gate.set()
    qtbot.waitUntil(lambda: not banner.isVisible(), timeout=TIMEOUT)
