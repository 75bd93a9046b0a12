"""The one job class for background work: a worker object in a thread of its own, with progress, done, failed, a
cancel flag and requests from the panel; never a thread left running."""
from __future__ import annotations

import threading

import pytest
from PyQt6.QtCore import QCoreApplication, QEvent
from PyQt6.QtWidgets import QWidget

from visualizer.jobs import Job

TIMEOUT = 10_000


def test_the_work_runs_in_another_thread_and_its_results_come_back_in_order(qtbot):
    seen = []

    def work(context):
        seen.append(threading.current_thread())
        for k in range(3):
            context.report(k)
        return "result"
    job = Job(work, "counting")
    events = []
    job.progress.connect(lambda value: events.append(("progress", value)))
    job.done.connect(lambda value: events.append(("done", value)))
    job.finished.connect(lambda: events.append(("finished", None)))
    with qtbot.waitSignal(job.finished, timeout=TIMEOUT):
        job.start()
    assert seen and seen[0] is not threading.main_thread()
    assert events == [("progress", 0), ("progress", 1), ("progress", 2), ("done", "result"), ("finished", None)]
    assert not job.running
    with pytest.raises(RuntimeError):
        job.start()                     # a job runs once


def test_a_defect_in_the_work_is_one_line_naming_the_job(qtbot):
    def work(context):
        raise ValueError("no\nluck")
    job = Job(work, "the test job")
    with qtbot.waitSignal(job.failed, timeout=TIMEOUT) as failed:
        job.start()
    assert failed.args == ["the test job failed: no luck"]
    job.shutdown()


def test_requests_reach_the_running_work_and_cancel_ends_it_without_a_result(qtbot):
    def work(context):
        while True:
            request = context.take()    # raises Cancelled when the job is cancelled while it waits
            context.report(request * 2)
    job = Job(work, "doubling")
    answers, done = [], []
    job.progress.connect(answers.append)
    job.done.connect(done.append)
    job.start()
    for value in (1, 2, 3):
        job.post(value)
    qtbot.waitUntil(lambda: answers == [2, 4, 6], timeout=TIMEOUT)
    assert job.running
    with qtbot.waitSignal(job.finished, timeout=TIMEOUT):
        job.cancel()
    assert done == [] and job.cancelled and not job.running


def test_deleting_the_panel_of_a_running_job_stops_its_thread_first(qtbot):
    """A panel closed and deleted without shutdown() (a test's teardown): Qt would abort the process with
    "QThread: Destroyed while thread is still running"."""
    from PyQt6 import sip

    panel = QWidget()
    started, ended = threading.Event(), threading.Event()

    def work(context):
        started.set()
        try:
            context.take()
        finally:
            ended.set()
    job = Job(work, "waiting", panel)
    thread = job.thread
    job.start()
    qtbot.waitUntil(started.is_set, timeout=TIMEOUT)
    panel.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)
    assert sip.isdeleted(thread) and ended.is_set()      # the work had ended before its thread was deleted


def test_shutdown_of_a_job_never_started_returns_at_once():
    job = Job(lambda context: None, "idle")
    job.shutdown()
    assert not job.running
