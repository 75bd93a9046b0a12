"""Check my code: run a student's notebook functions on our data and weights, phase by phase.

The student's file defines the notebook's four functions:
    init_params() -> W1, b1, W2, b2
    forward_prop(W1, b1, W2, b2, X) -> Z1, A1, Z2, A2
    backward_prop(Z1, A1, Z2, A2, W1, W2, X, Y) -> dW1, db1, dW2, db2      (Y: the label vector)
    update_params(W1, b1, W2, b2, dW1, db1, dW2, db2, alpha) -> W1, b1, W2, b2
Their code runs in a separate 'spawn' process with a time limit and its printing captured. Each function
is given OUR arrays (backward_prop our forward arrays, update_params our gradients), so one mistake does
not cascade into the phases after it. Each result is compared with the float64 reference; a differing
one is compared with core.buglab's classic mistakes to say which one it looks like.
"""
from __future__ import annotations

import multiprocessing
import os
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from multiprocessing.connection import wait as connection_wait
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from . import buglab, data, network

EXAMPLES = 500              # mnist-sample examples the functions run on
HIDDEN = 10                 # the notebook's hidden width
ALPHA = 0.1
SEED = 0
START_LIMIT = 120.0         # seconds for the runner process to start (importing NumPy), before their code runs
LARGEST_KEPT = network.OUTPUTS * network.INPUTS     # entries of an array kept in a finding for display
OUTPUT_KEPT = 20_000        # characters of their printing kept

CALLS: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    # (their function, the arguments it is given, the phases its results are compared as)
    ("init_params", (), ("init_params",)),
    ("forward_prop", ("W1", "b1", "W2", "b2", "X"), ("Z1", "A1", "Z2", "A2")),
    ("backward_prop", ("Z1", "A1", "Z2", "A2", "W1", "W2", "X", "Y"), ("dW1", "db1", "dW2", "db2")),
    ("update_params", ("W1", "b1", "W2", "b2", "dW1", "db1", "dW2", "db2", "alpha"),
     ("new W1", "new b1", "new W2", "new b2")),
)
# The order of the report: the phases' order in network.PHASES.
REPORT_ORDER: tuple[str, ...] = ("import", "init_params", "Z1", "A1", "Z2", "A2", "dW2", "db2", "dW1", "db1",
                                 "new W1", "new b1", "new W2", "new b2")
CALL_OF = {phase: name for name, _, phases in CALLS for phase in phases}

VERDICT_LABELS = {"match": "ok", "differs": "DIFFERS", "shape": "DIFFERS", "raised": "RAISED",
                  "timeout": "TIMEOUT", "missing": "MISSING", "skipped": "—"}


class CheckFileError(ValueError):
    """The file to check is missing or unreadable."""


@dataclass(frozen=True)
class Finding:
    """The verdict on one phase: match, differs, shape, raised, timeout, missing, or skipped (not run)."""
    phase: str
    verdict: str
    message: str = ""                              # one line, already explained
    expected_shape: tuple[int, ...] | None = None
    their_shape: tuple[int, ...] | None = None
    largest_difference: float | None = None
    where: tuple[int, ...] | None = None           # index of the largest difference
    looks_like: str | None = None                  # the classic bug it resembles
    line: int | None = None                        # the line in their file that raised
    expected: np.ndarray | None = field(default=None, repr=False)   # ours, at most 10 x 784 entries
    theirs: np.ndarray | None = field(default=None, repr=False)

    @property
    def matches(self) -> bool:
        return self.verdict == "match"

    def line_text(self, width: int = 7) -> str:
        label = VERDICT_LABELS[self.verdict]
        text = f"{self.phase:<{width}} {label:<8}"
        if self.verdict == "match":
            text += f" {_shape(self.expected_shape)}" if self.expected_shape is not None else ""
        elif self.message:
            text += f" {self.message}"
        if self.looks_like:
            text += f" — looks like {self.looks_like}"
        return text.rstrip()


@dataclass(frozen=True)
class CheckReport:
    path: str
    findings: tuple[Finding, ...]
    their_output: str = ""           # what their code printed (stdout and stderr), at most OUTPUT_KEPT characters
    runner_pid: int | None = None    # the process their code ran in (gone when the report is made)

    @property
    def all_match(self) -> bool:
        return all(finding.matches for finding in self.findings)

    @property
    def first_difference(self) -> Finding | None:
        return next((finding for finding in self.findings if not finding.matches), None)

    def finding(self, phase: str) -> Finding:
        return next(finding for finding in self.findings if finding.phase == phase)

    def text(self) -> str:
        width = max(len(finding.phase) for finding in self.findings)
        lines = [finding.line_text(width) for finding in self.findings]
        if self.all_match:
            lines.append("every phase matches the reference")
        else:
            differing = [f.phase for f in self.findings if f.verdict not in ("match", "skipped")]
            lines.append(f"{len(differing)} of {len(self.findings)} checks differ: {', '.join(differing)}")
        if self.their_output.strip():
            printed = self.their_output.rstrip().splitlines()
            lines.append(f"your code printed {len(printed)} line(s); the last ones:")
            lines += ["  | " + line for line in printed[-5:]]
        return "\n".join(lines)


def _shape(shape: tuple[int, ...] | None) -> str:
    return "(" + ", ".join(str(n) for n in shape) + ")" if shape is not None else "?"


# ---------------------------------------------------------------- the reference

@dataclass(frozen=True)
class Reference:
    """Our inputs and the float64 results every student function is compared with."""
    params: dict[str, np.ndarray]
    X: np.ndarray                       # (784, m) pixels / 255
    labels: np.ndarray                  # (m,) int64
    arrays: dict[str, np.ndarray]       # network.gradients: Z1 … db1
    new_params: dict[str, np.ndarray]
    alpha: float = ALPHA

    def expected(self, phase: str) -> np.ndarray:
        return self.new_params[phase[4:]] if phase.startswith("new ") else self.arrays[phase]

    def arguments(self) -> dict[str, Any]:
        """Every argument of the student's functions, by the notebook's parameter names."""
        return {**self.params, **{name: self.arrays[name] for name in ("Z1", "A1", "Z2", "A2")},
                **{name: self.arrays[name] for name in ("dW1", "db1", "dW2", "db2")},
                "X": self.X, "Y": self.labels, "alpha": self.alpha}


def make_reference(examples: int = EXAMPLES, seed: int = SEED) -> Reference:
    """`examples` digits of the mnist-sample, and the notebook's uniform init with 10 hidden units, in float64."""
    dataset = data.load("mnist-sample")
    rows = np.random.default_rng(seed).choice(dataset.labels.size, size=examples, replace=False)
    X = dataset.pixels[rows].T.astype(np.float64) / 255.0
    labels = dataset.labels[rows].astype(np.int64)
    params = network.init_params(HIDDEN, "uniform", np.random.default_rng(seed), np.float64)
    arrays = network.gradients(params, X, network.one_hot(labels, np.float64))
    new_params = {name: params[name] - ALPHA * arrays[network.GRADIENT_OF[name]] for name in network.PARAMETERS}
    return Reference(params, X, labels, arrays, new_params)


# ---------------------------------------------------------------- the runner (in the child process)

def _where_in_their_file(error: BaseException, path: str) -> tuple[int | None, str, str]:
    """(line, source text, function) of the deepest frame in their file; (None, "", "") if none is."""
    target = os.path.realpath(path)
    if isinstance(error, SyntaxError) and error.filename and os.path.realpath(error.filename) == target:
        return error.lineno, (error.text or "").strip(), ""     # Python could not read it: no code ran
    for frame in reversed(traceback.extract_tb(error.__traceback__)):
        if os.path.realpath(frame.filename) == target:
            return frame.lineno, (frame.line or "").strip(), frame.name
    return None, "", ""


def _describe_error(error: BaseException, path: str) -> dict[str, Any]:
    line, source, function = _where_in_their_file(error, path)
    message = error.msg if isinstance(error, SyntaxError) else str(error)   # without SyntaxError's own "(file, line)"
    return {"type": type(error).__name__, "message": message, "line": line, "source": source,
            "function": function, "module": getattr(error, "name", None)}


def _as_array(value: Any) -> np.ndarray | str:
    try:
        array = np.asarray(value)
    except Exception as error:      # noqa: BLE001 — anything their object does is their finding
        return f"a {type(value).__name__} that is not an array ({error})"
    if array.dtype.kind not in "biuf":
        return f"a {type(value).__name__} of {array.dtype} values, not numbers"
    return array


def _run_student(path: str, arguments: dict[str, Any], connection: Any, output_path: str) -> None:
    """The child process: import their file by path, call each function, send each result home."""
    output = open(output_path, "w", buffering=1, encoding="utf-8", errors="replace")
    os.dup2(output.fileno(), 1)
    os.dup2(output.fileno(), 2)
    sys.stdout = sys.stderr = output
    folder = os.path.dirname(os.path.abspath(path))
    sys.path.insert(0, folder)          # their file may import a helper next to it
    os.chdir(folder)                    # and open files next to it, as the notebook would
    connection.send(("ready", None))
    import importlib.util
    try:
        spec = importlib.util.spec_from_file_location("student_code", path)
        module = importlib.util.module_from_spec(spec)
        sys.modules["student_code"] = module
        spec.loader.exec_module(module)
    except BaseException as error:      # noqa: BLE001 — SystemExit at top level is their finding too
        connection.send(("import", _describe_error(error, path)))
        return
    connection.send(("import", None))
    for name, argument_names, _ in CALLS:
        function = getattr(module, name, None)
        if not callable(function):
            connection.send((name, {"missing": True}))
            continue
        connection.send(("start", name))
        # Fresh copies: a function that changes its inputs in place must not change the next call's.
        given = [np.array(arguments[argument]) if isinstance(arguments[argument], np.ndarray)
                 else arguments[argument] for argument in argument_names]
        try:
            result = function(*given)
        except BaseException as error:  # noqa: BLE001
            connection.send((name, {"error": _describe_error(error, path)}))
            continue
        if result is None:
            connection.send((name, {"none": True}))
            continue
        if not isinstance(result, (tuple, list)):
            result = (result,)
        connection.send((name, {"values": [_as_array(value) for value in result]}))
    output.flush()
    connection.send(("done", None))


# ---------------------------------------------------------------- comparing

def _close(theirs: np.ndarray, ours: np.ndarray) -> bool:
    if theirs.shape != ours.shape:
        return False
    scale = max(1.0, float(np.abs(ours).max(initial=0.0)))
    return bool(np.allclose(theirs.astype(np.float64), ours, rtol=1e-6, atol=1e-9 * scale))


def _kept(array: np.ndarray | None) -> np.ndarray | None:
    if array is None:
        return None
    if array.size > LARGEST_KEPT and array.ndim == 2:
        array = array[:network.OUTPUTS, :network.INPUTS]
    return np.array(array, dtype=np.float64) if array.size <= LARGEST_KEPT else None


def _bug_variants(reference: Reference) -> dict[str, dict[str, np.ndarray]]:
    """For each classic bug of the notebook's functions, the arrays its phases would produce from our inputs.

    Backward phases start from OUR forward arrays, as backward_prop is called in the check.
    """
    variants = {}
    for name, bug in buglab.BUGS.items():
        if bug.input_scale != 1.0 or name == "missing_transpose":
            continue        # data loading is not in their functions; a missing transpose raises instead
        Z1, A1, Z2, A2 = buglab.forward_with_bug(reference.params, reference.X, "relu", bug)
        variant = {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}
        arrays = {**reference.params, "X": reference.X, "Y": network.one_hot(reference.labels, np.float64),
                  **{phase: reference.arrays[phase] for phase in network.FORWARD_PHASES}}
        for phase in network.BACKWARD_PHASES:
            arrays[phase] = buglab.run_phase_with_bug(phase, arrays, "relu", bug)
            variant[phase] = arrays[phase]
        variants[name] = variant
    return variants


def _looks_like_bug(bug: str, phase: str) -> str:
    dZ = "dZ2" if phase in ("dW2", "db2") else "dZ1"
    return {
        "db_sum_all": f"np.sum({dZ}) without axis=1: one number for all biases of the layer; "
                      f"write np.sum({dZ}, axis=1, keepdims=True)",
        "missing_1_over_m": f"{phase} without the 1/m: yours is m = {EXAMPLES} times ours",
        "softmax_wrong_axis": "softmax over axis 1 (the examples): your rows sum to 1, the columns should",
        "missing_g_prime": "dZ1 = W2ᵀ·dZ2 without ⊙ g′(Z1) (for ReLU: * (Z1 > 0))",
    }[bug]


def _diagnose(phase: str, theirs: np.ndarray, reference: Reference, variants: Mapping[str, Mapping[str, np.ndarray]]
              ) -> str | None:
    """Which classic mistake `theirs` looks like, if any."""
    ours = reference.expected(phase)
    for bug, variant in variants.items():
        if phase in variant and not _close(variant[phase], ours) and _close(theirs, variant[phase]):
            return _looks_like_bug(bug, phase)
    if theirs.ndim == 2 and theirs.T.shape == ours.shape and _close(theirs.T, ours):
        return "the right numbers transposed: check the order of the product (e.g. dZ1 · X.T, not X · dZ1.T)"
    if theirs.size == ours.size and theirs.shape != ours.shape and _close(theirs.reshape(ours.shape), ours):
        if theirs.ndim == 1:
            return (f"the right numbers without keepdims=True: shape {_shape(theirs.shape)} broadcasts against "
                    f"{_shape(ours.shape)} into a square matrix in the update")
        return "the right numbers in the wrong shape"
    if phase == "A2" and theirs.shape == ours.shape:
        columns_ok = np.allclose(theirs.sum(axis=0), 1.0)
        rows_ok = np.allclose(theirs.sum(axis=1), 1.0)
        if not columns_ok and rows_ok:
            return _looks_like_bug("softmax_wrong_axis", phase)
        if not columns_ok:
            return "its columns do not sum to 1: not a softmax over each example's ten scores"
    if phase.startswith("new ") and theirs.shape == ours.shape:
        name = phase[4:]
        before, step = reference.params[name], reference.alpha * reference.arrays[network.GRADIENT_OF[name]]
        if _close(theirs, before):
            return f"{name} unchanged: update_params returned the weights it was given"
        if _close(theirs, before + step):
            return f"{name} + α·d{name}: a step up the gradient; the update subtracts"
        if _close(theirs, before - step / reference.alpha):
            return f"{name} − d{name}: the learning rate α is missing"
    if theirs.shape == ours.shape and np.isfinite(theirs).all():
        # A constant factor: a wrong m (e.g. the notebook's global m, counted over the whole file).
        norm = float(np.vdot(ours, ours))
        factor = float(np.vdot(theirs.astype(np.float64), ours)) / norm if norm > 0 else 0.0
        if factor not in (0.0, 1.0) and _close(theirs, factor * ours):
            return (f"ours times {factor:.6g}: a wrong scale; if it is 1/m, m should be the number of "
                    f"examples in X ({EXAMPLES}), here it is {EXAMPLES / factor:.6g}")
    return None


def _compare(phase: str, theirs: np.ndarray | str, reference: Reference,
             variants: Mapping[str, Mapping[str, np.ndarray]]) -> Finding:
    ours = reference.expected(phase)
    if isinstance(theirs, str):
        return Finding(phase, "differs", f"yours is {theirs}", ours.shape, expected=_kept(ours))
    kept = {"expected_shape": ours.shape, "their_shape": theirs.shape, "expected": _kept(ours),
            "theirs": _kept(theirs)}
    if theirs.shape != ours.shape:
        # Shapes are checked before values: NumPy would broadcast a () or (10,) db silently.
        return Finding(phase, "shape", f"expected {_shape(ours.shape)}, yours {_shape(theirs.shape)}",
                       looks_like=_diagnose(phase, theirs, reference, variants), **kept)
    if _close(theirs, ours):
        return Finding(phase, "match", expected_shape=ours.shape, their_shape=theirs.shape)
    difference = np.abs(theirs.astype(np.float64) - ours)
    if not np.isfinite(difference).all():
        where = tuple(int(i) for i in np.argwhere(~np.isfinite(difference))[0])
        return Finding(phase, "differs", f"yours is not finite at {where}", where=where,
                       largest_difference=float("inf"), **kept)
    where = tuple(int(i) for i in np.unravel_index(int(difference.argmax()), difference.shape))
    largest = float(difference.max())
    return Finding(phase, "differs",
                   f"largest difference {largest:.3g} at {where}: yours {float(theirs[where]):.6g}, "
                   f"expected {float(ours[where]):.6g}",
                   largest_difference=largest, where=where,
                   looks_like=_diagnose(phase, theirs, reference, variants), **kept)


def _init_finding(values: list[np.ndarray | str]) -> Finding:
    if len(values) != 4:
        return Finding("init_params", "differs", f"returned {len(values)} values, expected 4 (W1, b1, W2, b2)")
    shapes = [value.shape if isinstance(value, np.ndarray) else None for value in values]
    hidden = shapes[0][0] if shapes[0] is not None and len(shapes[0]) == 2 else HIDDEN
    expected = list(network.parameter_shapes(hidden).values())
    wrong = [f"{name} {_shape(shape)} (expected {_shape(want)})"
             for name, shape, want in zip(network.PARAMETERS, shapes, expected) if shape != want]
    if wrong:
        return Finding("init_params", "shape", "; ".join(wrong))
    return Finding("init_params", "match", expected_shape=tuple(expected[0]), their_shape=tuple(shapes[0]))


def _error_text(error: Mapping[str, Any], function: str) -> str:
    text = f"{error['type']}: {error['message']}"
    if error["line"] is not None:
        text += f" (your line {error['line']}, in {error['function']}: {error['source']})"
    else:
        text += f" (when calling your {function}; is its signature the notebook's?)"
    if error["type"] == "NameError" and error["line"] is not None:
        text += " — a name your function reads from top-level code that did not run on import: compute it inside"
    return text


def _import_error_text(error: Mapping[str, Any]) -> str:
    if error["type"] == "ModuleNotFoundError" and error["module"]:
        where = f" at line {error['line']}" if error["line"] else ""
        return f"importing your file failed{where}: it imports {error['module']}, which is not installed here"
    text = "importing your file failed"
    if error["line"] is not None:
        text += f" at line {error['line']}"
    if error["source"]:
        text += f" ({error['source']})"
    text += f": {error['type']}: {error['message']}"
    if error["function"] == "<module>":
        text += " — put top-level code under if __name__ == '__main__':"
    return text


# ---------------------------------------------------------------- the check

def check_file(path: str | os.PathLike, timeout: float = 20.0, reference: Reference | None = None) -> CheckReport:
    """Run the notebook functions in `path` on the reference data and weights; compare them phase by phase.

    Raises CheckFileError when the file is missing or unreadable; everything their code does is a finding.
    """
    path = os.path.abspath(os.fspath(path))
    try:
        Path(path).read_bytes()
    except OSError as error:
        raise CheckFileError(f"cannot read {path}: {error.strerror or error}") from error
    reference = reference or make_reference()
    messages, runner_pid, output = _run_in_child(path, reference, timeout)
    return CheckReport(path, _findings(messages, reference, timeout), output, runner_pid)


def _run_in_child(path: str, reference: Reference, timeout: float) -> tuple[list[tuple[str, Any]], int | None, str]:
    """The messages the runner sent, with ("timeout", function) or ("died", function) when it did not finish."""
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    handle, output_path = tempfile.mkstemp(prefix="backprop-check-", suffix=".txt")
    os.close(handle)
    process = context.Process(target=_run_student, args=(path, reference.arguments(), sender, output_path),
                              daemon=True)
    messages: list[tuple[str, Any]] = []
    try:
        process.start()
        sender.close()
        deadline = time.monotonic() + START_LIMIT
        current = "import"
        while True:
            remaining = deadline - time.monotonic()
            # The process's sentinel too: a runner that dies before unpickling its end of the pipe sends no EOF.
            ready = connection_wait([receiver, process.sentinel], max(remaining, 0))
            if not ready:
                messages.append(("timeout", current))
                break
            try:
                if not receiver.poll(0):
                    raise EOFError
                message = receiver.recv()
            except (EOFError, OSError):
                process.join(5)
                messages.append(("died", (current, process.exitcode)))
                break
            kind, content = message
            if kind == "ready":
                deadline = time.monotonic() + timeout     # the time limit counts their code only
                continue
            if kind == "start":
                current = content
                continue
            messages.append(message)
            if kind == "done" or (kind == "import" and content is not None):
                break
    finally:
        receiver.close()
        if process.is_alive():
            process.kill()
        process.join()
        try:
            output = _tail(output_path)
        finally:
            os.unlink(output_path)
    return messages, process.pid, output


def _tail(path: str) -> str:
    """The last OUTPUT_KEPT characters or so of a file that may be as large as their code printed."""
    with open(path, "rb") as stream:
        stream.seek(0, os.SEEK_END)
        stream.seek(max(0, stream.tell() - 4 * OUTPUT_KEPT))
        return stream.read().decode("utf-8", errors="replace")[-OUTPUT_KEPT:]


def _findings(messages: list[tuple[str, Any]], reference: Reference, timeout: float) -> tuple[Finding, ...]:
    findings: dict[str, Finding] = {}
    variants = _bug_variants(reference)
    stopped: str | None = None
    for kind, content in messages:
        if kind == "import":
            findings["import"] = (Finding("import", "match") if content is None else
                                  Finding("import", "raised", _import_error_text(content), line=content["line"]))
        elif kind == "timeout":
            where = "importing your file" if content == "import" else f"your {content}"
            hint = " — is training code at top level? put it under if __name__ == '__main__':" \
                if content == "import" else " — an endless loop?"
            first = _report_first(content)
            findings[first] = Finding(first, "timeout", f"{where} took longer than {timeout:g} s and was stopped{hint}")
            stopped = content
        elif kind == "died":
            function, exit_code = content
            first = _report_first(function)
            where = "while importing your file" if function == "import" else f"in your {function}"
            findings[first] = Finding(first, "raised", f"the process ended {where} (exit code {exit_code})")
            stopped = function
        elif kind in CALL_OF.values():
            findings.update(_call_findings(kind, content, reference, variants))
    if stopped is not None:
        why = f"not run: {'the import' if stopped == 'import' else stopped} did not finish"
    else:
        why = "not run"
    if "import" in findings and findings["import"].verdict != "match":
        why = "not run: your file could not be imported"
    return tuple(findings.get(phase) or Finding(phase, "skipped", why) for phase in REPORT_ORDER)


def _report_first(function: str) -> str:
    """The first phase in the report's order that `function` produces (or "import")."""
    if function == "import":
        return "import"
    return next(p for p in REPORT_ORDER if CALL_OF.get(p) == function)


def _call_findings(function: str, content: Mapping[str, Any], reference: Reference,
                   variants: Mapping[str, Mapping[str, np.ndarray]]) -> dict[str, Finding]:
    phases = next(p for name, _, p in CALLS if name == function)
    first = _report_first(function)
    if content.get("missing"):
        return {first: Finding(first, "missing", f"your file defines no {function}(...)"),
                **{p: Finding(p, "skipped", f"not run: no {function}") for p in phases if p != first}}
    if "error" in content:
        error = content["error"]
        return {first: Finding(first, "raised", f"your {function} raised {_error_text(error, function)}",
                               line=error["line"]),
                **{p: Finding(p, "skipped", f"not run: {function} raised") for p in phases if p != first}}
    if content.get("none"):
        return {first: Finding(first, "differs", f"your {function} returned None — is its `return` missing?"),
                **{p: Finding(p, "skipped", f"not run: {function} returned None") for p in phases if p != first}}
    values = content["values"]
    if function == "init_params":
        return {"init_params": _init_finding(values)}
    if len(values) != len(phases):
        return {first: Finding(first, "differs", f"your {function} returned {len(values)} values, expected "
                                                 f"{len(phases)} ({', '.join(p.removeprefix('new ') for p in phases)})"),
                **{p: Finding(p, "skipped", f"not run: {function} returned {len(values)} values")
                   for p in phases if p != first}}
    return {phase: _compare(phase, value, reference, variants) for phase, value in zip(phases, values)}
