"""Check my code, the box: a temporary folder and a process group for the learner's code, and their end.

Each attempt starts `python -I -S core/check_keeper.py`, which starts the runner (core.check_runner); both are in a
new session and process group (POSIX) or a new process group (Windows), and the keeper ends that group when this
process ends, however it ends (its stdin is a pipe we hold). The learner's code gets:
- a temporary working folder (its cwd) laid out as Kaggle's: kaggle/working/ with train.csv, and
  kaggle/input/digit-recognizer/train.csv, both the app's 5,000-digit MNIST sample as Kaggle's train.csv
  (label, pixel0 … pixel783); the runner sends /kaggle/... paths there. Nothing is downloaded.
- caps, set by the runner on itself: memory (RLIMIT_AS), any file written (RLIMIT_FSIZE), no core dumps; its
  printing goes to a file (never to our terminal or pipe) and is capped; a returned array over RETURN_LIMIT
  comes back as its shape only.
- no way to hand us code: events are JSON lines, arrays come back in .npz files read with allow_pickle=False.
At the end of each attempt the whole process group is killed (SIGKILL; on Windows the keeper's job object ends
every process in it as the keeper ends, and `taskkill /T` ends the tree — never run on Windows here), the keeper
reaped, and at the end of the check the folder removed.
"""
from __future__ import annotations

import contextlib
import functools
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from . import data, network
from .check_source import CheckError, LearnerSource

MEMORY_LIMIT = 2 << 30      # bytes of address space for the learner's process (NumPy and pandas need ~0.8 GiB)
FILE_LIMIT = 64 << 20       # bytes of any one file the learner's process writes, its output included
OUTPUT_LIMIT = 4 << 20      # bytes their print() calls may write
RETURN_LIMIT = 8 << 20      # bytes of one returned array brought back (X itself, 784 × 500 float64, is 3.1 MB)
STATUS_LIMIT = 16 << 20     # bytes of events read back from one attempt
EVENT_LIMIT = 64 << 10      # bytes of one event
START_LIMIT = 60.0          # seconds for Python and NumPy to start in the box, under load
GRACE = 5.0                 # seconds past a time box before the process group is killed
POLL = 0.02                 # seconds between looks at the runner's events
KEEPER = Path(__file__).with_name("check_keeper.py")
PACKAGE_ROOT = str(Path(__file__).resolve().parent.parent)
RUNNER = "import sys; sys.path.insert(0, sys.argv[1]); from core.check_runner import main; main(sys.argv[2:])"
KAGGLE_INPUT = ("input", "digit-recognizer")
BOX_PREFIX = "backprop-check-"
OWNER_FILE = "owner.pid"    # the checking process a box belongs to
# Terminal control: escape sequences (CSI, OSC, others), C0 controls but newline, C1 controls, bidi overrides.
_CONTROL = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]?|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-_]?"
                      r"|[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """Text from the learner's process as it may be shown: no escape codes, no control characters."""
    return _CONTROL.sub("", str(text).replace("\r\n", "\n").replace("\t", "    "))


@functools.lru_cache(maxsize=1)
def kaggle_csv() -> tuple[bytes, int]:
    """The app's MNIST sample as Kaggle's digit-recognizer train.csv (label,pixel0..pixel783), and its rows."""
    dataset = data.load("mnist-sample")
    numbers = [str(value).encode() for value in range(256)]
    header = b"label," + b",".join(b"pixel%d" % index for index in range(network.INPUTS))
    rows = np.column_stack([dataset.labels.astype(np.uint8), dataset.pixels]).tolist()
    body = [b",".join([numbers[value] for value in row]) for row in rows]
    return b"\n".join([header, *body]) + b"\n", len(rows)


@dataclass
class Attempt:
    """One run of the runner: the events it sent and how it ended."""
    events: list[dict[str, Any]] = field(default_factory=list)
    ending: str = ""            # done, timeout, died, keeper killed, cancelled, unreadable, runner failed
    stage: dict[str, Any] | None = None     # the last "statement" or "start" event: where it was when it ended
    returncode: int | None = None           # the runner's (negative: the signal that ended it)
    output: Path | None = None
    pid: int | None = None


class Box:
    """The temporary folder of one check; attempt() runs the runner in it once, kill() ends that run at once."""

    def __init__(self, source: LearnerSource, inputs: dict[str, np.ndarray], timeout: float,
                 top_level_seconds: float, stand_ins: bool) -> None:
        self.source, self.timeout = source, timeout
        remove_stale_boxes()
        self.root = Path(tempfile.mkdtemp(prefix=BOX_PREFIX))
        (self.root / OWNER_FILE).write_text(str(os.getpid()), encoding="ascii")
        self.control = self.root / "control"
        self.kaggle = self.root / "kaggle"
        self.working = self.kaggle / "working"
        kaggle_input = self.kaggle.joinpath(*KAGGLE_INPUT)
        for folder in (self.control, self.working, kaggle_input):
            folder.mkdir(parents=True)
        csv, self.train_rows = kaggle_csv()
        (kaggle_input / "train.csv").write_bytes(csv)
        try:
            os.link(kaggle_input / "train.csv", self.working / "train.csv")
        except OSError:             # a file system without hard links
            (self.working / "train.csv").write_bytes(csv)
        np.savez(self.control / "inputs.npz", **inputs)
        self.job = {"source": source.to_json(), "timeout": timeout, "top_level_seconds": top_level_seconds,
                    "stand_ins": stand_ins, "kaggle_root": str(self.kaggle), "working": str(self.working),
                    "data_files": [str(kaggle_input / "train.csv"), str(self.working / "train.csv")],
                    "limits": {"memory": MEMORY_LIMIT, "file": FILE_LIMIT, "output": OUTPUT_LIMIT,
                               "return": RETURN_LIMIT}}
        self.attempts = 0
        self._lock = threading.Lock()
        self._process: subprocess.Popen | None = None
        self._cancelled = threading.Event()

    def attempt(self, skip: set[str], definitions_only: bool) -> Attempt:
        """Run the runner once: the top level (or only its definitions), then each contract not in `skip`."""
        self.attempts += 1
        status = self.control / f"status-{self.attempts}.jsonl"
        attempt = Attempt(output=self.control / f"output-{self.attempts}.txt")
        job = {**self.job, "skip": sorted(skip), "definitions_only": definitions_only, "status": str(status)}
        (self.control / "job.json").write_text(json.dumps(job), encoding="utf-8")
        for stale in self.control.glob("call-*.npz"):
            stale.unlink()
        env = {name: value for name, value in os.environ.items()
               if name not in ("DISPLAY", "WAYLAND_DISPLAY", "PYTHONSTARTUP", "PYTHONINSPECT")}
        # No window can open (plt.show() with a display would wait for it), no BLAS threads fight ours.
        env.update(MPLBACKEND="Agg", QT_QPA_PLATFORM="offscreen", OPENBLAS_NUM_THREADS="1",
                   OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", PYTHONIOENCODING="utf-8", PYTHONDONTWRITEBYTECODE="1")
        command = [sys.executable, "-I", "-S", str(KEEPER), str(status),
                   sys.executable, "-I", "-c", RUNNER, PACKAGE_ROOT, str(self.control)]
        options: dict[str, Any] = {}
        if os.name == "posix":
            options["start_new_session"] = True
        else:
            options["creationflags"] = subprocess.CREATE_NEW_PROCESS_GROUP | getattr(subprocess, "CREATE_NO_WINDOW", 0)
        with self._lock:
            if self._cancelled.is_set():
                attempt.ending = "cancelled"
                return attempt
            with open(attempt.output, "wb") as output:
                try:
                    # stdin is the keeper's lifeline: if this process ends, even killed, the group ends too.
                    process = subprocess.Popen(command, cwd=self.working, env=env, stdin=subprocess.PIPE,
                                               stdout=output, stderr=subprocess.STDOUT, close_fds=True, **options)
                except OSError as error:
                    raise CheckError(f"cannot start Python to run the file: {error.strerror or error}") from error
            self._process = process
        attempt.pid = process.pid
        try:
            self._follow(process, status, attempt)
        finally:
            self._end(process)
            attempt.returncode = next((event.get("returncode") for event in attempt.events
                                       if event["event"] == "ended"), attempt.returncode)
        for event in attempt.events:        # the next attempt's calls write files of the same names
            if event["event"] == "call" and isinstance(event.get("file"), str):
                event["arrays"] = self.load_arrays(event["file"])
        return attempt

    def _follow(self, process: subprocess.Popen, status: Path, attempt: Attempt) -> None:
        deadline = time.monotonic() + START_LIMIT
        reader = _EventReader(status)
        while True:
            for event in reader.read():
                attempt.events.append(event)
                kind = event["event"]
                if kind in ("statement", "looking", "start"):
                    attempt.stage = event
                elif kind in ("finished", "top level done", "ready"):
                    attempt.stage = None
                deadline = time.monotonic() + self.timeout + GRACE
                if kind in ("done", "runner failed", "ended"):
                    attempt.ending = {"done": "done", "runner failed": "runner failed"}.get(kind, "died")
                    return
            if reader.broken:
                attempt.ending = "unreadable"
                return
            if _exited(process) and not self._runner_alive(attempt, process):
                attempt.events.extend(reader.read())
                ended = any(event["event"] == "ended" for event in attempt.events)
                done = any(event["event"] == "done" for event in attempt.events)
                attempt.ending = "done" if done else "died" if ended else "keeper killed"
                return
            if self._cancelled.is_set():
                attempt.ending = "cancelled"
                return
            if time.monotonic() > deadline:
                attempt.ending = "timeout"
                return
            self._cancelled.wait(POLL)

    @staticmethod
    def _runner_alive(attempt: Attempt, process: subprocess.Popen) -> bool:
        """Whether the runner still runs after its keeper ended: their code can kill its parent and go on."""
        runner = next((event.get("pid") for event in attempt.events if event["event"] == "ready"), None)
        if not isinstance(runner, int) or os.name != "posix" or runner <= 1:
            return False
        try:
            return os.getpgid(runner) == process.pid       # still in our group: not a process that took its id
        except OSError:
            return False

    def _end(self, process: subprocess.Popen) -> None:
        """Kill the whole group (the keeper is not reaped yet, so its id cannot have been reused), then reap."""
        if os.name == "posix":
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
        else:
            subprocess.run(["taskkill", "/F", "/T", "/PID", str(process.pid)], capture_output=True, check=False)
            with contextlib.suppress(OSError):
                process.kill()
        process.wait()
        with contextlib.suppress(OSError):
            process.stdin.close()
        with self._lock:
            self._process = None

    def cancel(self) -> None:
        """End the current attempt now, and refuse any further one (from any thread)."""
        with self._lock:
            self._cancelled.set()
            process = self._process
        if process is not None and os.name == "posix":
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def load_arrays(self, name: str) -> dict[str, np.ndarray]:
        """The arrays of one call, as plain numbers; {} when the file is missing, too large or not plain."""
        path = self.control / os.path.basename(name)
        try:
            if not path.is_file() or path.stat().st_size > 8 * RETURN_LIMIT:
                return {}
            with np.load(path, allow_pickle=False) as stored:
                return {key: stored[key] for key in stored.files}
        except (OSError, ValueError, EOFError, KeyError, RuntimeError, NotImplementedError):
            return {}

    def close(self) -> None:
        self.cancel()
        _remove(self.root)

    def __enter__(self) -> "Box":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()


def remove_stale_boxes() -> None:
    """Remove the boxes of checking processes that are gone (killed before they could remove their own)."""
    for folder in Path(tempfile.gettempdir()).glob(f"{BOX_PREFIX}*"):
        try:
            owner = int((folder / OWNER_FILE).read_text(encoding="ascii"))
            os.kill(owner, 0)
            continue                            # its process still runs (or its number was reused): leave it
        except ProcessLookupError:
            pass
        except (OSError, ValueError):           # not ours to judge: no owner file, not readable, not a number
            continue
        _remove(folder)


def _remove(folder: Path) -> None:
    # Their code may have made folders unreadable: give them back before removing the box.
    for inside, _, _ in os.walk(folder):
        with contextlib.suppress(OSError):
            os.chmod(inside, 0o700)
    shutil.rmtree(folder, ignore_errors=True)


def _exited(process: subprocess.Popen) -> bool:
    """Whether the keeper has ended, without reaping it (so that its process group id stays ours to kill)."""
    if hasattr(os, "waitid"):
        try:
            return os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
        except ChildProcessError:
            return True
    return process.poll() is not None


class _EventReader:
    """New complete JSON lines of a status file, bounded in size; `broken` when it holds what we never wrote."""

    def __init__(self, path: Path) -> None:
        self.path, self.offset, self.pending, self.broken = path, 0, b"", False

    def read(self) -> list[dict[str, Any]]:
        try:
            with open(self.path, "rb") as stream:
                stream.seek(self.offset)
                chunk = stream.read(STATUS_LIMIT + 1 - self.offset)
        except FileNotFoundError:
            return []
        except OSError:
            self.broken = True
            return []
        self.offset += len(chunk)
        if self.offset > STATUS_LIMIT:
            self.broken = True
        *lines, self.pending = (self.pending + chunk).split(b"\n")
        if len(self.pending) > EVENT_LIMIT:
            self.broken = True
        events = []
        for line in lines:
            try:
                event = json.loads(line) if len(line) <= EVENT_LIMIT else None
            except (ValueError, RecursionError):
                event = None
            if isinstance(event, dict) and isinstance(event.get("event"), str):
                events.append(event)
            elif line.strip():
                self.broken = True
        return events


def read_output(path: Path | None, kept: int) -> tuple[str, int, bool]:
    """(the last `kept` characters, printable; the exact number of lines; whether the output reached its cap)."""
    if path is None or not path.is_file():
        return "", 0, False
    lines, tail, size = 0, b"", 0
    with open(path, "rb") as stream:
        while chunk := stream.read(1 << 20):
            size += len(chunk)
            lines += chunk.count(b"\n")
            tail = (tail + chunk)[-4 * kept:]
    if tail and not tail.endswith(b"\n"):
        lines += 1          # a last line without its newline is a line too
    return printable(tail.decode("utf-8", errors="replace"))[-kept:], lines, size >= OUTPUT_LIMIT
