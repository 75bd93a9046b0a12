"""How the worker's requests fail: each ends in one line for the window's banner, never in a traceback only.

A request the worker cannot carry out (a broken file, a divergence, the end of the timeline) is answered in its
slot with its own message; anything else a slot raises (a defect, MemoryError) is caught by `guarded`, which hands
it to the worker to pause the run where it was and say what failed.
"""
from __future__ import annotations

import functools
from typing import Any, Callable, Protocol

from core.stepper import Diverged


def one_line(error: BaseException) -> str:
    return " ".join(str(error).split()) or type(error).__name__


class Refused(Exception):
    """A request the worker does not carry out; the message says why, in a sentence of its own."""


class Recovering(Protocol):
    """What guarded needs of the worker (bridge.Worker)."""

    def note_position(self) -> None: ...

    def recover(self, error: Exception, what: str) -> None: ...


def guarded(what: str) -> Callable:
    """Wrap a Worker slot: whatever it raises that it does not handle itself (a defect, MemoryError, an exhausted
    machine) ends in the window's banner in one line, with the run paused at the state it had. Without this, the
    slot's exception went to stderr only, and the window went on saying it played."""
    def wrap(slot: Callable) -> Callable:
        @functools.wraps(slot)
        def run(worker: Recovering, *args: Any) -> None:
            worker.note_position()
            try:
                slot(worker, *args)
            except Exception as error:          # noqa: BLE001 — the window must survive it and say it
                worker.recover(error, what)
        return run
    return wrap


def failure_message(error: BaseException, what: str) -> str:
    """"Stepping failed (RuntimeError: boom); the run is kept as it was, paused." — or a Refused's own words."""
    if isinstance(error, Refused):
        return one_line(error)
    name, detail = type(error).__name__, one_line(error)
    cause = name if detail == name else f"{name}: {detail}"
    if len(cause) > 300:
        cause = cause[:297] + "..."
    return f"{what} failed ({cause}); the run is kept as it was, paused."


def last_good_iteration(error: Diverged, earliest: int) -> int:
    """Where a lower learning rate can still help (Diverged.last_good_iteration), within the rewindable history."""
    return max(earliest, error.last_good_iteration)


def divergence_message(error: Diverged, good: int) -> str:
    return (f"Training {error.summary}. Lower the learning rate in the configuration panel and press Ctrl+R to "
            f"start again, or go back to iteration {good} and continue with a smaller one.")
