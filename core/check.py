"""Check my code: run a learner's notebook functions on our data and weights, phase by phase.

The learner's file is a Jupyter notebook (.ipynb), an nbconvert export or a plain .py, as they have it: top-level
loading, training and plotting included. It defines the notebook's functions (core.check_contract):
    init_params() -> W1, b1, W2, b2
    forward_prop(W1, b1, W2, b2, X) -> Z1, A1, Z2, A2
    backward_prop(Z1, A1, Z2, A2, W1, W2, X, Y) -> dW1, db1, dW2, db2      (Y as labels or one-hot)
    update_params(W1, b1, W2, b2, dW1, db1, dW2, db2, alpha) -> W1, b1, W2, b2
and perhaps the helpers ReLU, ReLU_deriv, softmax, one_hot, get_predictions, get_accuracy.

The parts, one job each:
    check_source   reads the file (bounded, regular files only) into cells
    check_box      the temporary folder and process group their code runs in, and its end
    check_runner   runs in that process: their top level (time-boxed), then each function
    check_standins pandas and pyplot stand-ins for their top level when those are not installed
    check_compare  the reference arrays, and what a differing result looks like
    check_verdict  from the runner's events to findings and advice
    check_report   the findings and the text a learner reads
CheckRun (here) runs them: an attempt runs the whole file; a function that hangs beyond its time box or crashes
the process is reported and the check starts again without it, so the other functions are still checked.
"""
from __future__ import annotations

import math
import os
import threading

from . import check_box
from .check_box import Box, read_output
from .check_compare import Reference, make_reference
from .check_contract import CONTRACTS
from .check_report import CheckReport, Finding
from .check_source import CheckError, CheckFileError, read_learner_file
from .check_verdict import REPORT_ORDER, Verdict

__all__ = ["CheckCancelled", "CheckError", "CheckFileError", "CheckReport", "CheckRun", "DEFAULT_TIMEOUT",
           "Finding", "REPORT_ORDER", "Reference", "check_file", "make_reference", "parse_timeout"]

DEFAULT_TIMEOUT = 10.0      # seconds each function (and each top-level statement) may run
LONGEST_TIMEOUT = 600.0
TOP_LEVEL_TIMES = 3         # the whole top level may take this many time limits
OUTPUT_KEPT = 20_000        # characters of their printing kept in the report


class CheckCancelled(Exception):
    """CheckRun.cancel() was called: the check ended without a report."""


def parse_timeout(value: object) -> float:
    """A time limit in seconds, or CheckError saying what is wrong with it (e.g. 1e300, nan, -1, "abc")."""
    try:
        seconds = float(value)          # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise CheckError(f"--timeout must be a number of seconds, not {str(value)[:40]!r}") from None
    if not (math.isfinite(seconds) and 0.1 <= seconds <= LONGEST_TIMEOUT):
        raise CheckError(f"--timeout must be between 0.1 and {LONGEST_TIMEOUT:g} seconds, not {str(value)[:40]}")
    return seconds


class CheckRun:
    """One check of one file. run() blocks (call it in a worker thread); cancel() from any thread ends the
    learner's processes at once, and run() then raises CheckCancelled."""

    def __init__(self, path: str | os.PathLike, timeout: object = DEFAULT_TIMEOUT,
                 reference: Reference | None = None, stand_ins: bool = False) -> None:
        self.path = os.path.abspath(os.fspath(path))
        self.timeout = parse_timeout(timeout)
        self.reference, self.stand_ins = reference, stand_ins
        self._lock = threading.Lock()
        self._cancelled = False
        self._box: Box | None = None

    def cancel(self) -> None:
        with self._lock:
            self._cancelled = True
            box = self._box
        if box is not None:
            box.cancel()

    def run(self) -> CheckReport:
        """Raises CheckFileError for a file it cannot read; everything their code does is a finding."""
        source = read_learner_file(self.path)
        reference = self.reference or make_reference()
        box = Box(source, reference.inputs(), self.timeout, TOP_LEVEL_TIMES * self.timeout, self.stand_ins)
        with box:
            with self._lock:
                if self._cancelled:
                    raise CheckCancelled(self.path)
                self._box = box
            attempts = self._attempts(box)
            try:
                verdict = Verdict(source, reference, attempts, self.timeout, box.train_rows)
                findings = verdict.findings()
                output, lines, capped = read_output(attempts[0].output, OUTPUT_KEPT)
                top_level = verdict.top_level_lines()
                if len(attempts) > 1:
                    top_level += ("your code ran more than once (the check started it again after a hang or a crash): "
                                  "its printing is counted from the first run only",)
                return CheckReport(
                    check_box.printable(self.path), findings, output, attempts[0].pid, source.kind,
                    source.describe(), verdict.contract_lines(), top_level, tuple(verdict.advice), lines, capped,
                    verdict.convention)
            except (TypeError, KeyError, ValueError, AttributeError, IndexError) as error:
                # Their process writes the events, so their code could have written anything there.
                raise CheckError(f"checking {self.path} failed: the messages from the process running it were "
                                 f"not the check's own ({type(error).__name__}: {error})") from error

    def _attempts(self, box: Box) -> list[check_box.Attempt]:
        """Run the file until every function has an answer: a hang or a crash skips that function next time."""
        attempts = []
        skip: set[str] = set()
        definitions_only = False
        for _ in range(len(CONTRACTS) + 3):
            attempt = box.attempt(skip, definitions_only)
            attempts.append(attempt)
            if attempt.ending == "cancelled" or box.cancelled:
                raise CheckCancelled(self.path)
            if attempt.ending == "runner failed":
                failure = next((event.get("traceback", "") for event in attempt.events
                                if event.get("event") == "runner failed"), "")
                last = check_box.printable(str(failure)).strip().splitlines()[-1:] or ["?"]
                raise CheckError(f"checking {self.path} failed inside the check (a defect): {last[0]}")
            if attempt.ending == "done":
                break
            skip |= {event["contract"] for event in attempt.events
                     if event.get("event") == "finished" and isinstance(event.get("contract"), str)}
            top_done = any(event.get("event") == "top level done" for event in attempt.events)
            stage = attempt.stage or {}
            if top_done and isinstance(stage.get("contract"), str):
                skip.add(stage["contract"])
            elif definitions_only:
                break               # even the definitions did not run through: report what there is
            else:
                definitions_only = True
        return attempts


def check_file(path: str | os.PathLike, timeout: object = DEFAULT_TIMEOUT, reference: Reference | None = None,
               stand_ins: bool = False) -> CheckReport:
    """Run the notebook functions in `path` on the reference data and weights; compare them phase by phase.

    `stand_ins` gives their top level the check's pandas and pyplot stand-ins even when the real ones are
    installed (as on a machine without them). Raises CheckFileError for a file it cannot read, CheckError for a
    bad time limit.
    """
    return CheckRun(path, timeout, reference, stand_ins).run()
