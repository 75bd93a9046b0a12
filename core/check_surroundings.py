"""Check my code, the learner's surroundings in their process: time boxes, caps, data at Kaggle's paths.

Used by core.check_runner before and while the learner's code runs:
- time_box raises Stopped in their code after a wall time (SIGALRM) or processor time (SIGPROF) — a
  BaseException, so `except Exception:` does not swallow it, and it fires again if a bare `except:` did;
- limit_resources caps memory (RLIMIT_AS), any file written (RLIMIT_FSIZE), and turns core dumps off;
- PrintedOutput takes their print() straight to the output file, up to a cap;
- Surroundings sends /kaggle/... and a train.csv beside the notebook to the box's copy of the app's digits,
  makes input() a clear error (nobody can type) and get_ipython() a stand-in that runs no magic;
- Places maps the compiled cells back to the learner's "code cell 4, line 9", for every message about them.
"""
from __future__ import annotations

import builtins
import contextlib
import inspect
import io
import json
import linecache
import os
import signal
import sys
import threading
import traceback
import types
from typing import Any, Callable, Iterator

import numpy as np

from .check_source import PYTHON_CELL_MAGICS, LearnerSource


RETRY = 0.25                # a time box fires again this often if the learner's code swallowed it (except:)
TEXT_KEPT = 1_000           # characters of any one text sent home


class Places:
    """Maps the code objects' file names back to the learner's cells and lines."""

    def __init__(self, source: LearnerSource) -> None:
        self.source = source
        self.cell_of_file: dict[str, int | None] = {}
        self.default_file = source.path
        lines: dict[str, list[str]] = {}
        for cell in source.cells:
            name = self.file_of(cell.number)
            self.cell_of_file[name] = cell.number
            table = lines.setdefault(name, [])
            table.extend([""] * (cell.first_line - 1 + len(cell.text.splitlines()) - len(table)))
            for index, text in enumerate(cell.text.splitlines()):
                table[cell.first_line - 1 + index] = text
        for name, table in lines.items():     # so that tracebacks and inspect find the learner's lines
            linecache.cache[name] = (1, None, [line + "\n" for line in table], name)

    def file_of(self, cell: int | None) -> str:
        return self.source.path if cell is None else f"{self.source.path} (code cell {cell})"

    def of_frame(self, filename: str, line: int | None, function: str = "") -> dict[str, Any] | None:
        if filename not in self.cell_of_file:
            return None
        return {"cell": self.cell_of_file[filename], "line": line, "function": function}

    def caller(self) -> dict[str, Any]:
        """The learner's deepest frame on the current stack (where input() or a data file was called from)."""
        frame = sys._getframe(1)
        while frame is not None:
            where = self.of_frame(frame.f_code.co_filename, frame.f_lineno, frame.f_code.co_name)
            if where is not None:
                return where
            frame = frame.f_back
        return {"cell": None, "line": None, "function": ""}

    def of_error(self, error: BaseException) -> dict[str, Any]:
        """type, message, and the learner's deepest line in the traceback."""
        described: dict[str, Any] = {"type": type(error).__name__, "message": short(error), "cell": None,
                                     "line": None, "function": "", "name": short(getattr(error, "name", "") or "")}
        if isinstance(error, SyntaxError):
            described["message"] = short(error.msg)
        for frame in reversed(traceback.extract_tb(error.__traceback__)):
            where = self.of_frame(frame.filename, frame.lineno, frame.name)
            if where is not None:
                described.update(where)
                break
        return described

    def of_function(self, function: Any) -> dict[str, Any] | None:
        code = getattr(inspect.unwrap(getattr(function, "__func__", function)), "__code__", None)
        return None if code is None else self.of_frame(code.co_filename, code.co_firstlineno, code.co_name)

# ---------------------------------------------------------------- the top level


class Stopped(BaseException):
    """Raised in the learner's code when its time is up (a BaseException: `except Exception` lets it through)."""


class InputCalled(RuntimeError):
    """input() in the learner's code: nobody can type an answer in the check."""


class Status:
    """The events sent home: one JSON line each, appended to status.jsonl."""

    def __init__(self, path: str) -> None:
        self.descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        self.parent = os.getppid()          # the keeper
        self.parent_signalled = self.parent_reported = False

    def parent_lost(self) -> bool:
        """True once, after the learner's code signalled or ended our parent (the keeper): os.kill(os.getppid(), …).
        The signal is seen at once; the new parent only once the keeper has died, which is the same loss."""
        if self.parent_reported or not (self.parent_signalled or os.getppid() != self.parent):
            return False
        self.parent_reported = True
        return True

    def send(self, event: str, **fields: Any) -> None:
        line = json.dumps({"event": event, **fields}, default=str, ensure_ascii=True) + "\n"
        os.write(self.descriptor, line.encode("ascii"))


class PrintedOutput(io.TextIOBase):
    """sys.stdout and sys.stderr: straight to the output file (no buffer to lose when killed), up to `limit` bytes."""

    def __init__(self, descriptor: int, limit: int) -> None:
        self.descriptor, self.limit, self.written = descriptor, limit, 0

    def write(self, text: str) -> int:
        data = str(text).encode("utf-8", errors="replace")
        room = self.limit - self.written
        if room > 0:
            with contextlib.suppress(OSError):
                view = memoryview(data[:room])
                while view:
                    view = view[os.write(self.descriptor, view):]
        self.written += len(data)
        return len(text)

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        return self.descriptor

    @property
    def encoding(self) -> str:
        return "utf-8"


def short(text: Any) -> str:
    try:
        text = str(text)
    except BaseException:       # noqa: BLE001 — a learner's __str__ may raise anything
        text = "(a value that cannot be shown)"
    return text if len(text) <= TEXT_KEPT else text[:TEXT_KEPT] + "…"


# ---------------------------------------------------------------- time boxes

@contextlib.contextmanager
def time_box(wall: float, cpu: float | None = None) -> Iterator[None]:
    """Raise Stopped in this (the main) thread after `wall` seconds, or `cpu` seconds of processor time."""
    if not hasattr(signal, "setitimer"):
        # Windows has no interval timers: a watchdog interrupts the main thread (wall time only).
        import _thread
        timer = threading.Timer(wall, _thread.interrupt_main)
        timer.daemon = True
        timer.start()
        try:
            yield
        except KeyboardInterrupt:
            raise Stopped("wall") from None
        finally:
            timer.cancel()
        return

    def expire(signum: int, frame: Any) -> None:
        raise Stopped("processor" if signum == signal.SIGPROF else "wall")
    previous = {signal.SIGALRM: signal.signal(signal.SIGALRM, expire)}
    signal.setitimer(signal.ITIMER_REAL, wall, RETRY)
    if cpu is not None:
        previous[signal.SIGPROF] = signal.signal(signal.SIGPROF, expire)
        signal.setitimer(signal.ITIMER_PROF, cpu, RETRY)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        if cpu is not None:
            signal.setitimer(signal.ITIMER_PROF, 0)
        for number, handler in previous.items():
            signal.signal(number, handler)


# ---------------------------------------------------------------- the learner's surroundings

def limit_resources(limits: dict[str, int]) -> None:
    """Caps on memory (address space) and on any file written, where the OS has them; no core dumps."""
    try:
        import resource
    except ImportError:         # Windows: the time limit and the caps on output and returns still hold
        return
    for name, value in (("RLIMIT_AS", limits["memory"]), ("RLIMIT_FSIZE", limits["file"]), ("RLIMIT_CORE", 0)):
        kind = getattr(resource, name, None)
        if kind is None:
            continue
        _, hard = resource.getrlimit(kind)
        value = value if hard == resource.RLIM_INFINITY else min(value, hard)
        with contextlib.suppress(ValueError, OSError):      # macOS refuses RLIMIT_AS: "where the OS allows"
            resource.setrlimit(kind, (value, value))
    if hasattr(signal, "SIGXFSZ"):
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)     # a write past the cap fails instead of killing


class Surroundings:
    """What the learner's code finds around it: the data at Kaggle's paths, no input(), no IPython, no windows."""

    def __init__(self, job: dict, status: Status, places: Places) -> None:
        self.status, self.places = status, places
        self.kaggle_root, self.working = job["kaggle_root"], job["working"]
        self.data_files = {os.path.realpath(path) for path in job["data_files"]}
        self.folder = os.path.dirname(job["source"]["path"])
        self.data_read: set[str] = set()
        self.real_open = builtins.open

    def install(self, module: types.ModuleType) -> None:
        surroundings = self

        def open_redirected(file: Any, *args: Any, **kwargs: Any) -> Any:
            return surroundings.real_open(surroundings.redirect(file), *args, **kwargs)
        builtins.open = io.open = open_redirected
        for name in ("loadtxt", "genfromtxt", "load"):
            original = getattr(np, name)
            setattr(np, name, self._redirecting(original))
        real_kill = os.kill

        def kill(pid: int, signal_number: int) -> None:
            if pid == surroundings.status.parent and signal_number != 0:
                surroundings.status.parent_signalled = True
            real_kill(pid, signal_number)
        os.kill = kill
        builtins.input = self.input
        builtins.get_ipython = lambda: IPythonStandIn(module, self)
        builtins.display = lambda *args, **kwargs: None
        sys.stdin = io.StringIO("")

    def _redirecting(self, function: Callable[..., Any]) -> Callable[..., Any]:
        def redirected(file: Any, *args: Any, **kwargs: Any) -> Any:
            return function(self.redirect(file), *args, **kwargs)
        redirected.__wrapped__ = function
        return redirected

    def redirect(self, file: Any) -> Any:
        """Kaggle's /kaggle/... and a train.csv beside the notebook are the box's copies of the app's digits."""
        if not isinstance(file, (str, os.PathLike)):
            return file
        text = os.fspath(file)
        if not isinstance(text, str):
            return file
        target = text
        if text.replace("\\", "/").startswith("/kaggle/"):
            target = os.path.join(self.kaggle_root, *text.replace("\\", "/")[len("/kaggle/"):].split("/"))
        elif os.path.dirname(os.path.abspath(text)) == self.folder:
            beside = os.path.join(self.working, os.path.basename(text))
            if os.path.realpath(beside) in self.data_files:
                target = beside
        if os.path.realpath(target) in self.data_files and text not in self.data_read:
            self.data_read.add(text)
            self.status.send("note", kind="data", path=short(text), **self.places.caller())
        return target

    def input(self, prompt: Any = "") -> str:
        where = self.places.caller()
        self.status.send("note", kind="input", prompt=short(prompt), **where)
        raise InputCalled("input() waits for someone to type, and nobody can in the check")


class IPythonStandIn:
    """What get_ipython() returns here (nbconvert writes magics as get_ipython() calls): nothing runs, but the
    body of a %%time / %%capture cell, which is Python, does."""

    def __init__(self, module: types.ModuleType, surroundings: Surroundings) -> None:
        self.module, self.surroundings = module, surroundings

    def run_cell_magic(self, magic: str, line: str, cell: str) -> None:
        if magic in PYTHON_CELL_MAGICS:
            self._note(f"%%{magic}", f"the cell's code ran, without %%{magic}")
            exec(compile(cell, self.surroundings.places.default_file, "exec"), self.module.__dict__)
        else:
            self._note(f"%%{magic}", f"a %%{magic} cell is not Python: it did not run")

    def run_line_magic(self, magic: str, line: str = "", *args: Any) -> None:
        self._note(f"%{magic} {line}".strip())

    def system(self, command: str = "", *args: Any) -> None:
        self._note(f"!{command}")

    def getoutput(self, command: str = "", *args: Any) -> list:
        self._note(f"!{command}")
        return []

    def __getattr__(self, name: str) -> Callable[..., None]:
        return lambda *args, **kwargs: None

    def _note(self, what: str, why: str = "IPython is not running here: it did nothing") -> None:
        self.surroundings.status.send("note", kind="ipython", text=short(what), why=why,
                                      **self.surroundings.places.caller())

