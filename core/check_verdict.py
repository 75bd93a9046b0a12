"""Check my code, the verdict: from the runner's events to the findings, the advice and the report's other parts.

Events come from the learner's process, so every field is read as untrusted data (checked types, printable
text). For each function of the contract the runner tried Y as labels and as one-hot, and — when the function
reads a global m that is not the number of examples, or is not set — once more with that global set to X's 500
columns; the verdict is the call as their code stands in the convention that fits, and the other calls say why
it differs ("with m = 500 it matches") and where (dZ1, db2…).
"""
from __future__ import annotations

import signal
from dataclasses import replace
from typing import Any

import numpy as np

from .check_box import Attempt, printable
from .check_compare import Reference, bug_variants, compare, init_finding, locate_dz1
from .check_contract import (ASSIGNED_NAME, CONTRACT, CONTRACTS, COUNT_NAMES, EXAMPLES, HELPERS, REFERENCE_LINES,
                             TRAIN_ROWS_KAGGLE, Contract)
from .check_report import NOT_RUN, Finding, shape_text
from .check_source import LearnerSource

PHASE_ORDER = ("init_params", "Z1", "A1", "Z2", "A2", "dW2", "db2", "dW1", "db1",
               "new W1", "new b1", "new W2", "new b2", *(contract.name for contract in HELPERS))
REPORT_ORDER = PHASE_ORDER[:13]         # the phases every report lists (helpers only where they exist)
SIGNAL_WORDS = {"SIGSEGV": "segmentation fault", "SIGBUS": "bus error", "SIGFPE": "arithmetic error",
                "SIGABRT": "aborted", "SIGILL": "illegal instruction", "SIGKILL": "killed: out of memory, or a kill",
                "SIGTERM": "terminated", "SIGXCPU": "processor time limit"}
ADVICE_SHOWN = 8
UNREADABLE = ("the check's messages from your code's process could not be read (did your code write to the check's "
              "files?)")


def text(value: Any) -> str:
    return printable(value) if isinstance(value, (str, int, float)) else ""


def number(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def crash_text(returncode: int | None) -> str:
    if returncode is None or returncode == 0:
        return "the Python process running your code ended without a word"
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        return f"your code crashed the Python process ({SIGNAL_WORDS.get(name, name)})"
    return f"your code ended the Python process (exit status {returncode}: os._exit?)"


class Verdict:
    """Reads the attempts' events once; findings(), advice, contract_lines() and top_level_lines() report them."""

    def __init__(self, source: LearnerSource, reference: Reference, attempts: list[Attempt], timeout: float,
                 train_rows: int) -> None:
        self.source, self.reference, self.timeout, self.train_rows = source, reference, timeout, train_rows
        self.variants = bug_variants(reference)
        self.functions: dict[str, dict[str, Any]] = {}
        self.calls: dict[str, list[dict[str, Any]]] = {}
        self.notes: list[dict[str, Any]] = []
        self.stopped: dict[str, str] = {}           # contract -> why it did not finish (a hang or a crash)
        self.stand_ins: list[str] = []
        self.restarts: list[str] = []
        self.advice: list[str] = []
        self.with_fixed: dict[str, str] = {}       # contract -> what the call gave with the global m fixed
        self.located: list[str] = []                # where in their code the error is (dZ1)
        self.convention: str | None = None
        for attempt in attempts:
            self._read(attempt)

    # ------------------------------------------------------------ reading the events
    def _read(self, attempt: Attempt) -> None:
        seen_notes = {(note.get("kind"), note.get("cell"), note.get("line")) for note in self.notes}
        top_done = False
        for event in attempt.events:
            kind, contract = event.get("event"), event.get("contract")
            if kind == "note" and (event.get("kind"), event.get("cell"), event.get("line")) not in seen_notes:
                self.notes.append(event)
            elif kind == "top level done":
                top_done = True
                self.stand_ins = [text(name) for name in event.get("stand_ins") or [] if isinstance(name, str)]
            elif kind == "function" and isinstance(contract, str):
                self.functions[contract] = event
            elif kind == "call" and isinstance(contract, str):
                self.calls.setdefault(contract, []).append(event)
        if attempt.ending in ("done", "cancelled"):
            return
        why = {"timeout": "timeout", "keeper killed": "keeper",
               "unreadable": "unreadable"}.get(attempt.ending) or crash_text(attempt.returncode)
        stage = attempt.stage or {}
        if top_done and isinstance(stage.get("contract"), str):
            self.stopped.setdefault(stage["contract"], why)
            return
        what = {"timeout": f"your top level did not finish in {self.timeout:g} s",
                "keeper": "your top level killed the check's keeper (its parent process: os.kill(os.getppid(), …)?)",
                "unreadable": UNREADABLE}.get(why, f"{why}, in your top level")
        if stage.get("event") == "statement":
            what += f" at {self.yours(stage.get('cell'), stage.get('line'))}"
        self.restarts.append(f"{what}: the check started again and ran only your definitions, imports and constants")

    def place(self, cell: Any, line: Any) -> str:
        return self.source.place(number(cell), number(line))

    def yours(self, cell: Any, line: Any) -> str:
        """"your notebook's code cell 4, line 9" / "your file's line 57", and the line itself."""
        code = self.source.line(number(cell), number(line))
        return f"your {self.source.noun}'s {self.place(cell, line)}" + (f": {code}" if code else "")

    # ------------------------------------------------------------ findings
    def findings(self) -> tuple[Finding, ...]:
        found: dict[str, Finding] = {}
        for contract in CONTRACTS:
            found.update(self._contract(contract))
        self._locate_dz1(found)
        self._advise(found)
        return tuple(found[phase] for phase in PHASE_ORDER if phase in found)

    def _label(self, info: dict[str, Any]) -> str:
        name = text(info.get("name")) or "?"
        return f"{text(info.get('owner'))}.{name}" if info.get("owner") else name

    def _contract(self, contract: Contract) -> dict[str, Finding]:
        phases = [phase for phase in PHASE_ORDER if phase in contract.returns]
        first, rest = phases[0], phases[1:]
        info = self.functions.get(contract.name)

        def stop(verdict: str, message: str, not_run: str, **fields: Any) -> dict[str, Finding]:
            return {first: Finding(first, verdict, message, **fields),
                    **{phase: Finding(phase, NOT_RUN, f"not run: {not_run}") for phase in rest}}
        if contract.name in self.stopped and (info is None or not self._values(contract.name)):
            label = self._label(info) if info else contract.name
            why = self.stopped[contract.name]
            return stop("timeout" if why == "timeout" else "raised", self._ended_text(why, label),
                        f"{label} did not finish", function=label)
        if info is None:
            return {} if contract.helper else {phase: Finding(phase, NOT_RUN, "not run: the check did not get to "
                                                                                "it") for phase in phases}
        if not info.get("found"):
            if contract.helper:
                return {}
            return stop("missing", self._missing_text(contract, info), f"no {contract.name}")
        label = self._label(info)
        where = info.get("where") if isinstance(info.get("where"), dict) else {}
        defined = self.place(where.get("cell"), where.get("line"))
        if not info.get("fits"):
            forms = " or ".join(contract.signature(index) for index in range(len(contract.forms)))
            return stop("signature", f"your {label} ({defined}) {text(info.get('why'))}: the check calls {forms}",
                        f"{label} does not take the notebook's arguments", function=label, place=defined)
        chosen, corrected = self._choose(contract)
        result = self._call_findings(contract, phases, chosen, label)
        if corrected is not None:
            fixed = self._call_findings(contract, phases, corrected, label)
            result = self._with_globals(contract, info, result, fixed, label)
        lines = info.get("lines") if isinstance(info.get("lines"), dict) else {}
        for phase, finding in result.items():
            place = lines.get(ASSIGNED_NAME.get(phase, phase).lower()) if phase in ASSIGNED_NAME else where
            place = place if isinstance(place, dict) else {}
            result[phase] = replace(finding, function=label, place=self.place(place.get("cell"), place.get("line")),
                                    their_code=self.source.line(number(place.get("cell")), number(place.get("line")))
                                    or None, reference_code=REFERENCE_LINES.get(phase))
        return result

    def _missing_text(self, contract: Contract, info: dict[str, Any]) -> str:
        if info.get("owner"):
            return (f"your class {text(info['owner'])} has {text(info.get('name'))}, but {text(info.get('why'))}: "
                    f"give its constructor's arguments defaults, or write the functions at the top level")
        similar = [text(name) for name in info.get("similar") or [] if isinstance(name, str)]
        hint = f" (is {' or '.join(similar)} it?)" if similar else ""
        return (f"your {self.source.noun} defines no {contract.name}, nor {', '.join(contract.aliases[:3])}, nor a "
                f"method of that name{hint}: the check calls {contract.signature()}")

    def _values(self, name: str) -> list[dict[str, Any]]:
        return [call for call in self.calls.get(name, []) if call.get("outcome") == "values"]

    def _choose(self, contract: Contract) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        """(the call as their code stands, in the Y convention that fits; the same with the global m fixed)."""
        calls = self.calls.get(contract.name, [])
        as_is = [call for call in calls if not call.get("fixed")]
        fixed = [call for call in calls if call.get("fixed")]
        conventions = [call.get("convention") for call in as_is]
        if len(set(conventions)) <= 1:
            chosen = as_is[0] if as_is else None
        else:
            def score(call: dict[str, Any] | None) -> int:
                if call is None or call.get("outcome") != "values":
                    return -1
                found = self._call_findings(contract, list(contract.returns), call, contract.name)
                return sum(finding.matches for finding in found.values())
            guess = "labels" if (self.functions.get(contract.name) or {}).get("calls_one_hot") else "one-hot"

            def rank(call: dict[str, Any]) -> tuple[int, int, bool]:
                twin = next((other for other in fixed if other.get("convention") == call.get("convention")), None)
                return score(call), score(twin), call.get("convention") == guess
            chosen = max(as_is, key=rank)
            self.convention = chosen.get("convention") if isinstance(chosen.get("convention"), str) else None
        corrected = next((call for call in fixed if chosen is not None
                          and call.get("convention") == chosen.get("convention")), None)
        return chosen, corrected

    def _call_findings(self, contract: Contract, phases: list[str], call: dict[str, Any] | None,
                       label: str) -> dict[str, Finding]:
        first, rest = phases[0], phases[1:]

        def stop(verdict: str, message: str, why: str, line: int | None = None) -> dict[str, Finding]:
            return {first: Finding(first, verdict, message, line=line),
                    **{phase: Finding(phase, NOT_RUN, f"not run: {label} {why}") for phase in rest}}
        outcome = call.get("outcome") if call else None
        if outcome == "timeout":
            return stop("timeout", self._ended_text("timeout", label), "did not finish")
        if outcome == "killed parent":
            return stop("raised", self._ended_text("keeper", label), "ended its parent")
        if outcome == "input":
            return stop("raised", f"your {label} calls input(): nobody can type in the check — give it the value "
                                  f"as an argument", "waited for input()")
        if outcome == "raised":
            error = call.get("error") if isinstance(call.get("error"), dict) else {}
            return stop("raised", f"your {label} raised {self.error_text(error)}", "raised",
                        number(error.get("line")))
        if outcome == "none":
            return stop("differs", f"your {label} returned None — is its `return` missing?", "returned None")
        if outcome != "values":
            return stop("raised", f"what your {label} returned could not be brought back "
                                  f"({text(call.get('reason')) if call else 'no answer'})", "gave no result")
        entries = [entry for entry in call.get("values") or [] if isinstance(entry, dict)]
        count = next((number(entry.get("count")) for entry in entries if "count" in entry), None)
        values = [self._value(entry, call.get("arrays") or {}) for entry in entries if "count" not in entry]
        if contract.name == "init_params":
            return {first: init_finding(values, count)}
        if count != len(contract.results):
            return stop("differs", f"your {label} returned {count} value{'s' if count != 1 else ''}, expected "
                                   f"{len(contract.results)} ({', '.join(contract.results)})",
                        f"returned {count} values")
        by_phase = dict(zip(contract.returns, values))
        return {phase: compare(phase, by_phase[phase], self.reference, self.variants) for phase in phases}

    def _ended_text(self, why: str, label: str) -> str:
        """Why a call of their function gave no result: a time-out, a killed keeper, unreadable messages, a crash."""
        if why == "timeout":
            return f"your {label} took longer than {self.timeout:g} s and was stopped — an endless loop?"
        if why == "keeper":
            return (f"your {label} killed its parent process (os.kill(os.getppid(), …)?): in the check that is the "
                    f"check's keeper, so the window and the check go on")
        if why == "unreadable":
            return f"{UNREADABLE}, in {label}"
        return f"{why} in {label}"

    @staticmethod
    def _value(entry: dict[str, Any], arrays: dict[str, np.ndarray]) -> np.ndarray | str:
        if isinstance(entry.get("key"), str) and entry["key"] in arrays:
            return arrays[entry["key"]]
        shape = entry.get("shape")
        shape_words = shape_text(tuple(shape)) if isinstance(shape, list) and all(
            number(n) is not None for n in shape) else "?"
        if entry.get("too_large") is not None:
            size = number(entry["too_large"]) or 0
            return f"an array of shape {shape_words} ({size:,} bytes: too large to bring back)"
        return text(entry.get("not_array")) or "a value the check could not bring back"

    def error_text(self, error: dict[str, Any]) -> str:
        words = f"{text(error.get('type')) or 'an error'}: {text(error.get('message'))}"
        if number(error.get("line")) is not None:
            words += f" ({self.yours(error.get('cell'), error.get('line'))}, in {text(error.get('function'))})"
        else:
            words += " (when the check called it: is its signature the notebook's?)"
        return words

    # ------------------------------------------------------------ a global m
    def _with_globals(self, contract: Contract, info: dict[str, Any], as_is: dict[str, Finding],
                      fixed: dict[str, Finding], label: str) -> dict[str, Finding]:
        """Their findings, explained by what the same call gave with the global m set to the number of examples."""
        fixable = self._fixable(info)
        names = " and ".join(fixable)
        values = " and ".join(f"{text(entry.get('name'))} = {text(entry.get('text')) or 'not set'}"
                              for entry in info.get("globals") or [] if isinstance(entry, dict)
                              and text(entry.get("name")) in fixable)
        worked = [phase for phase, finding in fixed.items() if finding.matches]
        still = [phase for phase, finding in fixed.items() if finding.ran and not finding.matches]
        summary = (f"with {names} = {EXAMPLES} (the columns of X), your {label} gives: "
                   + ("; ".join(part for part in (", ".join(worked) + " ok" if worked else "",
                                                   ", ".join(still) + " still differ" if still else "") if part)))
        self.with_fixed[contract.name] = summary
        first = next(iter(as_is))
        result = {}
        for phase, finding in as_is.items():
            better = fixed.get(phase)
            if finding.verdict == NOT_RUN or (finding.verdict == "raised" and phase != first):
                result[phase] = better if better is not None else finding
            elif finding.verdict == "raised":
                result[phase] = replace(finding, message=f"{finding.message}; {summary}")
            elif not finding.matches and better is not None and better.matches:
                result[phase] = replace(finding, looks_like=f"the global {values} is not the {EXAMPLES} columns of "
                                                            f"X; with {names} = {EXAMPLES} it matches")
            elif not finding.matches and better is not None and better.looks_like:
                result[phase] = replace(finding, looks_like=better.looks_like)
            else:
                result[phase] = finding
        return result

    @staticmethod
    def _fixable(info: dict[str, Any]) -> list[str]:
        return [text(entry.get("name")) for entry in info.get("globals") or [] if isinstance(entry, dict)
                and entry.get("name") in COUNT_NAMES and (not entry.get("defined") or entry.get("int") != EXAMPLES)]

    def _global_text(self, label: str, entry: dict[str, Any]) -> str:
        name = text(entry.get("name"))
        via = text(entry.get("via"))
        reader = label if not via or via == label.split(".")[-1] else f"{label} (through {via})"
        set_at = entry.get("set_at") if isinstance(entry.get("set_at"), dict) else None
        where = ""
        if set_at:
            where = self.yours(set_at.get("cell"), set_at.get("line"))
        if not entry.get("defined"):
            return (f"your {reader} reads the global {name}, which is not set here" +
                    (f" ({where} sets it, but did not run)" if set_at else "") +
                    ("; compute it inside the function from its arguments" if name in COUNT_NAMES else ""))
        value = text(entry.get("text"))
        words = f"your {reader} uses the global {name}" + (f" ({where})" if where else "") + f", here {value}"
        if name in COUNT_NAMES:
            count = number(entry.get("int"))
            meaning = (f": the number of all rows of train.csv ({TRAIN_ROWS_KAGGLE:,} in Kaggle's file), dev rows "
                       f"included," if count == self.train_rows else "")
            words += (f"{meaning} instead of the number of columns of the X it is given ({EXAMPLES}). "
                      f"Compute it inside: m = Y.size (labels) or m = X.shape[1]")
            if count == EXAMPLES:
                words += " — it happens to agree here, but not on other data"
        return words

    # ------------------------------------------------------------ where the error is, and what to fix
    def _locate_dz1(self, found: dict[str, Finding]) -> None:
        if not all(phase in found for phase in ("dW2", "db2", "dW1", "db1")):
            return
        effective = self._effective("backward_prop")
        arrays = self._arrays_by_phase("backward_prop", effective)
        output_right = all(self._matches(phase, arrays) for phase in ("dW2", "db2"))
        hidden_wrong = [phase for phase in ("dW1", "db1") if not self._matches(phase, arrays)]
        if not output_right or len(hidden_wrong) < 2:
            return          # one of dW1, db1 right: dZ1 is right, the other's own line is not
        deriv_info = self.functions.get("ReLU_deriv") or {}
        deriv_call = self._effective("ReLU_deriv")
        deriv = self._arrays_by_phase("ReLU_deriv", deriv_call).get("ReLU_deriv")
        why = locate_dz1(self.reference, arrays.get("dW1"), arrays.get("db1"), deriv,
                         self._label(deriv_info) if deriv_info.get("found") else "ReLU_deriv")
        info = self.functions.get("backward_prop") or {}
        lines = info.get("lines") if isinstance(info.get("lines"), dict) else {}
        at = lines.get("dz1") if isinstance(lines.get("dz1"), dict) else None
        line = (f" ({self.yours(at.get('cell'), at.get('line'))}; reference: {REFERENCE_LINES['dZ1']})" if at
                else f" (reference: {REFERENCE_LINES['dZ1']})")
        self.located.append(f"dW2 and db2 match but dW1 and db1 do not: the error is in dZ1{line}"
                           + (f" — {why}" if why else " — look at W2ᵀ · dZ2 and the factor g′(Z1) = (Z1 > 0)"))
        for phase in hidden_wrong:
            if not found[phase].looks_like or found[phase].looks_like.startswith("ours times"):
                found[phase] = replace(found[phase], looks_like=f"the error is in dZ1: {why or 'see below'}")

    def _effective(self, name: str) -> dict[str, Any] | None:
        chosen, corrected = self._choose(CONTRACT[name])
        return corrected if corrected is not None and corrected.get("outcome") == "values" else chosen

    def _arrays_by_phase(self, name: str, call: dict[str, Any] | None) -> dict[str, np.ndarray]:
        if not call or call.get("outcome") != "values":
            return {}
        contract = CONTRACT[name]
        entries = [entry for entry in call.get("values") or [] if isinstance(entry, dict) and "count" not in entry]
        values = [self._value(entry, call.get("arrays") or {}) for entry in entries]
        return {phase: value for phase, value in zip(contract.returns, values) if isinstance(value, np.ndarray)}

    def _matches(self, phase: str, arrays: dict[str, np.ndarray]) -> bool:
        return phase in arrays and compare(phase, arrays[phase], self.reference, {}).matches

    def _advise(self, found: dict[str, Finding]) -> None:
        """Globals first (with what fixing them showed), then where the error is, then each differing line."""
        said: set[tuple[str, str]] = set()
        advice = []
        for contract in CONTRACTS:
            info = self.functions.get(contract.name) or {}
            for entry in info.get("globals") or []:
                key = (text(entry.get("name")), text(entry.get("via"))) if isinstance(entry, dict) else None
                if key and key not in said:
                    said.add(key)
                    advice.append(self._global_text(self._label(info), entry))
            if contract.name in self.with_fixed:
                advice.append(self.with_fixed[contract.name])
        advice += self.located
        for finding in found.values():
            if finding.line_differs:
                advice.append(f"{finding.phase}, your {self.source.noun}'s {finding.place}:\n"
                              f"  yours:     {finding.their_code}\n"
                              f"  reference: {finding.reference_code}"
                              + (f"\n  {finding.looks_like}" if finding.looks_like else ""))
        self.advice = advice[:ADVICE_SHOWN]

    # ------------------------------------------------------------ the rest of the report
    def contract_lines(self) -> tuple[str, ...]:
        m = self.reference.examples
        backward = self.functions.get("backward_prop") or {}
        if self.convention == "one-hot":
            convention = (f"({self.reference.params['W2'].shape[0]}, {m}) one-hot, one column per example — your "
                          f"{self._label(backward)} takes Y one-hot, as the lesson writes it")
        elif self.convention == "labels":
            convention = f"({m},) labels 0–9 — your {self._label(backward)} takes labels" + (
                " (it calls one_hot itself)" if backward.get("calls_one_hot") else "")
        else:
            convention = f"({m},) labels 0–9 or (10, {m}) one-hot: the check tries both"
        lines = [f"X  ({self.reference.X.shape[0]}, {m})  {m} digits of the app's MNIST sample, one per column, "
                 f"pixels already divided by 255",
                 f"Y  {convention}",
                 "W1 (10, 784), b1 (10, 1), W2 (10, 10), b2 (10, 1): the notebook's init (np.random.rand − 0.5); "
                 f"alpha (α) = {self.reference.alpha:g}"]
        for contract in CONTRACTS:
            if contract.helper:
                continue
            info = self.functions.get(contract.name) or {}
            line = f"{contract.signature()} {contract.note}".rstrip()
            if info.get("found") and self._label(info) != contract.name:
                line += f"   (yours: {self._label(info)})"
            lines.append(line)
        return tuple(lines)

    def top_level_lines(self) -> tuple[str, ...]:
        lines = list(self.restarts)
        waiting: dict[tuple[Any, Any], list[dict[str, Any]]] = {}
        for note in self.notes:
            setter = note.get("setter") if isinstance(note.get("setter"), dict) else None
            if note.get("kind") == "needs" and setter is not None:
                key = (setter.get("cell"), setter.get("line"))
                if key not in waiting:
                    lines.append(key)          # type: ignore[arg-type] — replaced below, in order
                waiting.setdefault(key, []).append(note)
            else:
                lines.append(self._note_text(note))
        lines = [self._needs_text(key, waiting[key]) if isinstance(key, tuple) else key for key in lines]
        if self.stand_ins:
            served = " and ".join(sorted({name.split(".")[0] for name in self.stand_ins}))
            lines.append(f"{served} {'is' if ' and ' not in served else 'are'} not installed here: the check gave "
                         f"your code a small stand-in (read_csv, DataFrame; plots draw nothing)")
        return tuple(line for line in lines if line)

    def _needs_text(self, setter: tuple[Any, Any], notes: list[dict[str, Any]]) -> str:
        places = [self.place(note.get("cell"), note.get("line")) for note in notes]
        names = ", ".join(dict.fromkeys(text(note.get("name")) for note in notes))
        span = places[0] if len(places) == 1 else f"{places[0]} … {places[-1]}"
        count = f"{len(notes)} statements need" if len(notes) > 1 else "needs"
        return (f"{span}: {count} {names}, which {self.place(*setter)} would have set: "
                f"{'they were' if len(notes) > 1 else 'it was'} skipped")

    def _note_text(self, note: dict[str, Any]) -> str:
        kind = note.get("kind")
        place = self.place(note.get("cell"), note.get("line"))
        code = self.source.line(number(note.get("cell")), number(note.get("line")))
        shown = f"{place}: {code}" if code else place
        if kind == "data":
            return (f"{shown} — read {text(note.get('path'))}: the app's {self.train_rows:,} digits laid out as "
                    f"Kaggle's train.csv")
        if kind == "stopped":
            limit = "of processor time" if note.get("limit") == "processor" else ""
            return (f"{shown} — stopped after {note.get('seconds', 0):g} s {limit}: the check does not need "
                    f"training at the top level (your functions are checked on their own)").replace("  ", " ")
        if kind == "raised":
            error = note.get("error") if isinstance(note.get("error"), dict) else {}
            hint = (" (your code runs in a temporary folder holding only train.csv)"
                    if text(error.get("type")) == "FileNotFoundError" else "")
            return (f"{shown} — raised {text(error.get('type'))}: {text(error.get('message'))}{hint}; "
                    f"the check went on")
        if kind == "syntax":
            return f"{place}: SyntaxError: {text(note.get('message'))} — this cell did not run"
        if kind == "ipython":
            return f"{place}: {text(note.get('text'))} — {text(note.get('why'))}"
        if kind == "killed parent":
            return (f"{shown} — killed its parent process (os.kill(os.getppid(), …)?): in the check that is the "
                    f"check's keeper, so the window and the check went on")
        if kind == "input":
            return (f"{shown} — input() waits for someone to type, and nobody can in the check: it raised there; "
                    f"put the value in the code")
        if kind == "budget":
            return (f"{place}: the top level had run {note.get('seconds', 0):g} s: from here only definitions, "
                    f"imports and constants ran")
        return ""
