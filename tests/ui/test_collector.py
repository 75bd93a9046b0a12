"""Python's garbage is collected in the UI thread only (visualizer/collector.py): garbage made in another
thread, widgets in it or not, is not deleted there, and the window's collector stops cleanly."""
from __future__ import annotations

import gc
import threading

import pytest

from visualizer.collector import UiThreadCollector

TIMEOUT = 10_000


@pytest.fixture
def collector(qapp):
    assert gc.isenabled()
    collector = UiThreadCollector(interval_ms=10)
    yield collector
    collector.stop()
    collector.deleteLater()


class Noted:
    """A cycle that notes the thread it is deleted in."""

    deleted_in: list[str] = []

    def __init__(self) -> None:
        self.cycle = self

    def __del__(self) -> None:
        Noted.deleted_in.append(threading.current_thread().name)


kept: list[list] = []


def make_garbage_and_allocate() -> None:
    Noted()
    # Kept: what counts is allocations less deallocations, and Python collects once they pass the first
    # threshold (700): automatic collection would run here, in this thread, many times over.
    kept.extend([] for _ in range(50_000))


def test_garbage_made_in_another_thread_is_collected_in_the_ui_thread(qtbot, collector):
    Noted.deleted_in.clear()
    thread = threading.Thread(target=make_garbage_and_allocate, name="worker-like")
    try:
        thread.start()
        thread.join()
        assert Noted.deleted_in == [] and not gc.isenabled()     # nothing collected where it was made
        qtbot.waitUntil(lambda: Noted.deleted_in != [], timeout=TIMEOUT)
        assert Noted.deleted_in == [threading.main_thread().name]
    finally:
        kept.clear()


def test_the_counts_decide_which_generations_are_collected(collector, monkeypatch):
    collected = []
    monkeypatch.setattr(gc, "collect", lambda generation=2: collected.append(generation) or 0)
    thresholds = collector.thresholds
    for counts, expected in (((0, 0, 0), []), ((thresholds[0] + 1, 0, 0), [0]),
                             ((thresholds[0] + 1, thresholds[1] + 1, 0), [0, 1]),
                             ((thresholds[0] + 1, thresholds[1] + 1, thresholds[2] + 1), [0, 1, 2])):
        collected.clear()
        monkeypatch.setattr(gc, "get_count", lambda: counts)
        collector.collect()
        assert collected == expected, counts


def test_stopping_gives_the_collection_back_to_python(collector):
    assert not gc.isenabled()
    collector.stop()
    assert gc.isenabled() and not collector.timer.isActive()
