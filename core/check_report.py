"""Check my code, the report: one Finding per phase or helper, and the text a learner reads (CLI and window).

The report opens with the contract (what the check gives their functions), says what their top-level code did,
lists every phase and helper with its verdict, then what to fix (their line beside the reference's), and what
their code printed. "Not run" is never counted as a match nor as a difference.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .check_contract import HELPERS

VERDICT_LABELS = {"match": "ok", "differs": "DIFFERS", "shape": "DIFFERS", "raised": "RAISED",
                  "timeout": "TIMEOUT", "missing": "MISSING", "signature": "MISFIT", "skipped": "—"}
NOT_RUN = "skipped"
LINES_SHOWN = 5             # last lines of their printing in the text report
HELPER_NAMES = frozenset(contract.name for contract in HELPERS)


@dataclass(frozen=True)
class Finding:
    """The verdict on one phase or helper: match, differs, shape, raised, timeout, missing, signature (their
    function does not take the notebook's arguments) or skipped (not run)."""
    phase: str
    verdict: str
    message: str = ""                              # one line, already explained
    expected_shape: tuple[int, ...] | None = None
    their_shape: tuple[int, ...] | None = None
    largest_difference: float | None = None
    where: tuple[int, ...] | None = None           # index of the largest difference
    looks_like: str | None = None                  # the mistake it resembles
    line: int | None = None                        # the line of their file (of their cell) that raised
    expected: np.ndarray | None = field(default=None, repr=False)   # ours, at most 10 x 784 entries
    theirs: np.ndarray | None = field(default=None, repr=False)
    function: str | None = None                    # their function's name, e.g. "back_prop" or "Net.backward"
    place: str | None = None                       # where their line is: "code cell 4, line 9" / "line 57"
    their_code: str | None = None                  # their line computing this phase
    reference_code: str | None = None              # the reference's line, in the notebook's code

    @property
    def matches(self) -> bool:
        return self.verdict == "match"

    @property
    def ran(self) -> bool:
        return self.verdict != NOT_RUN

    @property
    def line_differs(self) -> bool:
        """Their line for this phase is known and is not the reference's: worth showing side by side."""
        return (self.verdict in ("differs", "shape") and bool(self.their_code) and bool(self.reference_code)
                and " ".join(str(self.their_code).split()) != " ".join(str(self.reference_code).split()))

    def line_text(self, width: int = 7) -> str:
        label = VERDICT_LABELS.get(self.verdict, self.verdict.upper())
        text = f"{self.phase:<{width}} {label:<8}"
        if self.verdict == "match":
            text += f" {shape_text(self.expected_shape)}" if self.expected_shape is not None else ""
        elif self.message:
            text += f" {self.message}"
        if self.looks_like:
            text += f" — {self.looks_like}"
        return text.rstrip()


@dataclass(frozen=True)
class CheckReport:
    path: str
    findings: tuple[Finding, ...]
    their_output: str = ""              # the end of what their code printed (stdout and stderr), printable
    runner_pid: int | None = None       # the first process their code ran under (all gone when the report is made)
    kind: str = "script"                # "notebook", "export" or "script"
    description: str = ""               # "a Jupyter notebook with 9 code cells"
    contract: tuple[str, ...] = ()      # what the check gives their functions
    top_level: tuple[str, ...] = ()     # what happened to their top-level code, one line each
    advice: tuple[str, ...] = ()        # what to fix; an item may hold several lines
    printed_lines: int = 0              # exactly how many lines their code printed
    output_capped: bool = False         # their printing reached the cap and was cut
    convention: str | None = None       # how their backward_prop takes Y: "labels" or "one-hot"

    @property
    def all_match(self) -> bool:
        return bool(self.findings) and all(finding.matches for finding in self.findings)

    @property
    def first_difference(self) -> Finding | None:
        return next((finding for finding in self.findings if not finding.matches and finding.ran), None)

    @property
    def differing(self) -> tuple[Finding, ...]:
        return tuple(finding for finding in self.findings if finding.ran and not finding.matches)

    @property
    def not_run(self) -> tuple[Finding, ...]:
        return tuple(finding for finding in self.findings if not finding.ran)

    def finding(self, phase: str) -> Finding:
        return next(finding for finding in self.findings if finding.phase == phase)

    def summary(self) -> str:
        """"3 checks differ (dW2, db2, db1), 14 match, 1 not run" — not run is neither."""
        matching = sum(finding.matches for finding in self.findings)
        if self.all_match:
            return f"every check matches the reference ({matching} checks)"
        parts = []
        if self.differing:
            names = ", ".join(finding.phase for finding in self.differing)
            parts.append(f"{len(self.differing)} check{'s' if len(self.differing) != 1 else ''} "
                         f"differ{'s' if len(self.differing) == 1 else ''} ({names})")
        parts.append(f"{matching} match{'es' if matching == 1 else ''}")
        if self.not_run:
            parts.append(f"{len(self.not_run)} not run")
        return ", ".join(parts)

    def printed_text(self) -> str:
        if not self.printed_lines:
            return "your code printed nothing"
        text = f"your code printed {self.printed_lines:,} line{'s' if self.printed_lines != 1 else ''}"
        return text + (" (cut at the cap: it printed more)" if self.output_capped else "")

    def text(self) -> str:
        lines = [f"Check my code: {self.path}" + (f" ({self.description})" if self.description else "")]
        if self.contract:
            lines += ["", "What the check gives your functions:", *(f"  {line}" for line in self.contract)]
        if self.top_level:
            lines += ["", "Your top-level code:", *(f"  {line}" for line in self.top_level)]
        helpers = [finding for finding in self.findings if finding.phase in HELPER_NAMES]
        main = [finding for finding in self.findings if finding.phase not in HELPER_NAMES]
        width = max((len(finding.phase) for finding in self.findings), default=7)
        if main:
            lines += ["", "Phase by phase (each function is given the reference's inputs):"]
            lines += [f"  {finding.line_text(width)}" for finding in main]
        if helpers:
            lines += ["", "Helpers:", *(f"  {finding.line_text(width)}" for finding in helpers)]
        if self.advice:
            lines += ["", "What to look at:"]
            for item in self.advice:
                first, *rest = item.split("\n")
                lines += [f"  - {first}", *(f"    {line}" for line in rest)]
        lines += ["", self.summary()]
        printed = self.printed_text()
        if self.their_output.strip():
            shown = self.their_output.rstrip().splitlines()[-LINES_SHOWN:]
            lines.append(f"{printed}; the last {len(shown)}:" if self.printed_lines > len(shown) else f"{printed}:")
            lines += ["  | " + line for line in shown]
        return "\n".join(lines)


def shape_text(shape: tuple[int, ...] | None) -> str:
    return "(" + ", ".join(str(n) for n in shape) + ")" if shape is not None else "?"
