"""Background work for the panels (the bug lab, the optimizer race, the what-if's measurements, the GIF export):
one Job class, a worker QObject moved to a QThread of its own.

A job runs a function of a JobContext in its thread. The function reports progress with context.report(value),
reads the panel's requests with context.requests() (or waits for one with context.take()), and looks at
context.cancelled between its steps. The panel never touches a running job's data: it posts requests, and the
job's signals come back to it in the UI thread (queued). Cancel is a flag the function reads; shutdown() cancels,
ends the thread's event loop and waits for it (never terminate()).

Signals, in the UI thread: progress(value) for each report, then done(result) when the function returns, or
failed(message) when it raises (one line), and last finished() once the thread has ended. A cancelled job sends
neither done nor failed.
"""
from __future__ import annotations

import queue
import threading
from typing import Any, Callable

from PyQt6.QtCore import QObject, QThread, pyqtSignal, pyqtSlot


class Cancelled(Exception):
    """Raised by JobContext.take() when the job is cancelled while it waits; ends the work quietly."""


class JobContext:
    """What the work sees of its job. The only state both threads share: the cancel flag (a threading.Event)
    and the queue of requests (a queue.Queue), both safe to use from either thread."""

    def __init__(self, report: Callable[[Any], None]) -> None:
        self._report = report
        self._cancelled = threading.Event()
        self._requests: queue.Queue = queue.Queue()

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def report(self, value: Any) -> None:
        """Hand a value to the panel (the job's progress signal, delivered in the UI thread)."""
        self._report(value)

    def requests(self) -> list[Any]:
        """The requests the panel posted since the last call, oldest first."""
        taken = []
        while True:
            try:
                taken.append(self._requests.get_nowait())
            except queue.Empty:
                return taken

    def take(self) -> Any:
        """Wait for the panel's next request; raises Cancelled if the job is cancelled first."""
        while True:
            request = self._requests.get()
            if self.cancelled:
                raise Cancelled()
            if request is not _WAKE:
                return request

    # called by the Job, from the UI thread
    def _post(self, request: Any) -> None:
        self._requests.put(request)

    def _cancel(self) -> None:
        self._cancelled.set()
        self._requests.put(_WAKE)           # wakes a take() that waits


_WAKE = object()


class _Runner(QObject):
    """The worker object: lives in the job's thread and calls the work there."""

    def __init__(self, job: "Job") -> None:
        super().__init__()
        self.job = job

    @pyqtSlot()
    def run(self) -> None:
        job = self.job
        try:
            result = job.work(job.context)
        except Cancelled:
            pass
        except Exception as error:        # the window must survive a defect: it is said in one line
            if not job.context.cancelled:
                job.failed.emit(f"{job.title} failed: {' '.join(str(error).split()) or type(error).__name__}")
        else:
            if not job.context.cancelled:
                job.done.emit(result)
        finally:
            QThread.currentThread().quit()


class Job(QObject):
    """One run of `work(context)` in a thread of its own; start() once, then cancel() or shutdown()."""

    progress = pyqtSignal(object)
    done = pyqtSignal(object)
    failed = pyqtSignal(str)
    finished = pyqtSignal()

    def __init__(self, work: Callable[[JobContext], Any], title: str, parent: QObject | None = None) -> None:
        """title names the work in a failure's message ("the bug lab failed: …")."""
        super().__init__(parent)
        self.work, self.title = work, title
        self.context = JobContext(self.progress.emit)
        self.thread = QThread(self)
        self.thread.setObjectName(title)
        self._runner = _Runner(self)
        self._runner.moveToThread(self.thread)
        self.thread.started.connect(self._runner.run)
        self.thread.finished.connect(self.finished)
        self._started = False
        if parent is not None:
            # A panel deleted with its job still running (a test's teardown, say) must not take a running thread
            # with it: the thread is stopped before the parent's children are deleted.
            parent.destroyed.connect(self.shutdown)

    @property
    def running(self) -> bool:
        return self.thread.isRunning()

    @property
    def cancelled(self) -> bool:
        return self.context.cancelled

    def start(self) -> None:
        if self._started:
            raise RuntimeError(f"{self.title}: a job runs once; make a new one")
        self._started = True
        self.thread.start()

    def post(self, request: Any) -> None:
        """A request for the running work (it reads them between its steps)."""
        self.context._post(request)

    def cancel(self) -> None:
        """Ask the work to stop; it sends neither done nor failed."""
        self.context._cancel()

    def shutdown(self) -> None:
        """Cancel and wait for the thread to end (the window calls this when it closes); safe to call twice."""
        self.cancel()
        self.thread.quit()
        self.thread.wait()
