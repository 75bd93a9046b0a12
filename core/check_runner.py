"""Check my code, in the learner's process: run their notebook's top level, then call each of their functions.

Started by core.check_box (through its keeper) with the box's control folder as its argument: it reads job.json
and inputs.npz there, writes one JSON line per event to status.jsonl and each call's arrays to an .npz (plain
numbers only, read back with allow_pickle=False). The learner's code runs here and only here: a crash, a hang or a
kill ends this process group, never the checking process.

Their top level runs first (core.check_toplevel), then each function of the contract (core.check_contract) is
looked for — by its name, the names learners also use, any case, or as a method of their class — and called with
the reference's arrays, each call in its own time box: Y as labels and as one-hot, and again with a global m set
to the number of examples when the function reads one (core.check_verdict makes sense of the calls).
"""
from __future__ import annotations

import ast
import builtins
import dis
import inspect
import json
import linecache
import os
import sys
import textwrap
import traceback
import types
from typing import Any

import numpy as np

from . import check_standins
from .check_contract import COUNT_NAMES, EXAMPLES, Contract, CONTRACTS, bind
from .check_source import LearnerSource
from .check_surroundings import (InputCalled, Places, PrintedOutput, Status, Stopped, Surroundings, limit_resources,
                                 short, time_box)
from .check_toplevel import TopLevel, assigned_names


# ---------------------------------------------------------------- the learner's functions

def find_function(module: types.ModuleType, contract: Contract, instances: dict[type, Any],
                  wall: float) -> tuple[Any, dict[str, Any]]:
    """Their function for the contract (a near-miss name, any case, or a method of one of their classes)."""
    namespace = module.__dict__
    plain = {name: value for name, value in namespace.items()
             if callable(value) and not isinstance(value, type) and not name.startswith("_")}
    lower = {name.lower(): name for name in plain}
    for wanted in contract.names:
        name = wanted if wanted in plain else lower.get(wanted.lower())
        if name is not None:
            return plain[name], {"name": name, "owner": None}
    for owner in [value for value in namespace.values()
                  if isinstance(value, type) and value.__module__ == module.__name__]:
        methods = {name.lower(): name for name in dir(owner) if not name.startswith("_")}
        name = next((methods[wanted.lower()] for wanted in contract.names if wanted.lower() in methods), None)
        if name is None:
            continue
        instance = instances.get(owner)
        if instance is None:
            instance = instances[owner] = make_instance(owner, wall)
        if isinstance(instance, str):
            return None, {"name": name, "owner": owner.__name__, "why": instance}
        return getattr(instance, name), {"name": name, "owner": owner.__name__}
    import difflib
    similar = difflib.get_close_matches(contract.name.lower(), list(lower), n=2, cutoff=0.75)
    return None, {"similar": [lower[name] for name in similar]}


def make_instance(owner: type, wall: float) -> Any:
    """An instance of their class, or why there is none (a str)."""
    try:
        required = [name for name, parameter in inspect.signature(owner).parameters.items()
                    if parameter.default is parameter.empty
                    and parameter.kind not in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD)]
    except (TypeError, ValueError):
        required = []
    if required:
        return f"its constructor needs {', '.join(required)}, which the check cannot know"
    try:
        with time_box(wall):
            return owner()
    except Stopped:
        return f"{owner.__name__}() took longer than {wall:g} s"
    except BaseException as error:      # noqa: BLE001
        return f"{owner.__name__}() raised {type(error).__name__}: {short(error)}"


def global_reads(function: Any, namespace: dict[str, Any]) -> dict[str, str]:
    """Data globals the function reads (itself or through their functions it calls): name -> the reading function."""
    found: dict[str, str] = {}
    seen: set[int] = set()

    def visit(value: Any) -> None:
        target = inspect.unwrap(getattr(value, "__func__", value))
        code = getattr(target, "__code__", None)
        if code is None or id(code) in seen:
            return
        seen.add(id(code))
        stack = [code]
        while stack:
            current = stack.pop()
            stack.extend(const for const in current.co_consts if isinstance(const, types.CodeType))
            for instruction in dis.get_instructions(current):
                if instruction.opname not in ("LOAD_GLOBAL", "LOAD_NAME") or not isinstance(instruction.argval, str):
                    continue
                name = instruction.argval
                if name in namespace:
                    held = namespace[name]
                    if isinstance(held, (types.FunctionType, types.MethodType)):
                        if getattr(held, "__module__", None) == "__main__":
                            visit(held)
                        continue
                    if isinstance(held, (types.ModuleType, type, types.BuiltinFunctionType)) or callable(held):
                        continue
                elif hasattr(builtins, name):
                    continue
                found.setdefault(name, code.co_name)
    visit(function)
    return found


def describe_value(value: Any) -> dict[str, Any]:
    if isinstance(value, (bool, np.bool_)):
        return {"text": str(value)}
    if isinstance(value, (int, np.integer)):
        return {"text": f"{int(value):,}", "int": int(value)}
    if isinstance(value, (float, np.floating)):
        return {"text": f"{float(value):g}"}
    if isinstance(value, np.ndarray):
        return {"text": f"an array of shape {tuple(value.shape)}"}
    return {"text": f"a {type(value).__name__}"}


def parameters_of(function: Any) -> tuple[list[tuple[str, bool]], bool] | str:
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError) as error:
        return f"its signature cannot be read ({error})"
    kinds = inspect.Parameter
    listed = [(name, parameter.default is parameter.empty) for name, parameter in signature.parameters.items()
              if parameter.kind in (kinds.POSITIONAL_ONLY, kinds.POSITIONAL_OR_KEYWORD)]
    if any(parameter.kind == kinds.KEYWORD_ONLY and parameter.default is parameter.empty
           for parameter in signature.parameters.values()):
        return "it needs keyword-only arguments"
    return listed, any(parameter.kind == kinds.VAR_POSITIONAL for parameter in signature.parameters.values())


class Caller:
    """Calls each function of the contract with the reference's arrays and sends the results home."""

    def __init__(self, module: types.ModuleType, places: Places, status: Status, job: dict,
                 inputs: dict[str, np.ndarray], top: TopLevel, control: str) -> None:
        self.module, self.places, self.status, self.top = module, places, status, top
        self.inputs, self.control = inputs, control
        self.wall, self.return_limit = job["timeout"], job["limits"]["return"]
        self.skip = set(job["skip"])
        self.instances: dict[type, Any] = {}
        self.sequence = 0

    def run(self) -> None:
        for contract in CONTRACTS:
            if contract.name not in self.skip:
                self.check(contract)

    def check(self, contract: Contract) -> None:
        self.status.send("looking", contract=contract.name)
        function, info = find_function(self.module, contract, self.instances, self.wall)
        if function is None:
            self.status.send("function", contract=contract.name, found=False, **info)
            self.status.send("finished", contract=contract.name)
            return
        info["where"] = self.places.of_function(function)
        parameters = parameters_of(function)
        binding = parameters if isinstance(parameters, str) else bind(parameters[0], contract, parameters[1])
        reads = global_reads(function, self.module.__dict__)
        info["globals"] = [self.describe_global(name, via) for name, via in reads.items()]
        info["lines"] = self.assignment_lines(function)
        info["calls_one_hot"] = any("one" in name.lower() and "hot" in name.lower()
                                    for name in self.called_names(function))
        if isinstance(binding, str):
            self.status.send("function", contract=contract.name, found=True, fits=False, why=binding, **info)
            self.status.send("finished", contract=contract.name)
            return
        positional, keywords = binding
        info["arguments"] = list(positional) + [name for _, name in keywords]
        self.status.send("function", contract=contract.name, found=True, fits=True, **info)
        conventions = ("labels", "one-hot") if "Y" in info["arguments"] else (None,)
        fixable = {entry["name"] for entry in info["globals"] if entry["name"] in COUNT_NAMES
                   and (not entry["defined"] or entry.get("int", EXAMPLES) != EXAMPLES)}
        for fixed in ((False, True) if fixable else (False,)):
            for convention in conventions:
                outcome = self.call(contract, function, positional, keywords, convention,
                                    fixable if fixed else set())
                if outcome in ("timeout", "killed parent"):      # not again with the other Y or m
                    self.status.send("finished", contract=contract.name)
                    return
        self.status.send("finished", contract=contract.name)

    def describe_global(self, name: str, via: str) -> dict[str, Any]:
        namespace = self.module.__dict__
        ran = self.top.assignments.get(name)
        written = self.top.written.get(name)
        entry: dict[str, Any] = {"name": name, "via": via, "defined": name in namespace,
                                 "set_at": ran[-1] if ran else written[0] if written else None,
                                 "set_ran": bool(ran)}
        if name in namespace:
            entry.update(describe_value(namespace[name]))
        return entry

    def assignment_lines(self, function: Any) -> dict[str, dict[str, Any]]:
        """name (lower case) -> where their function assigns it last, e.g. "dz1" -> code cell 4, line 7."""
        target = inspect.unwrap(getattr(function, "__func__", function))
        code = getattr(target, "__code__", None)
        where = self.places.of_function(function)
        if code is None or where is None:
            return {}
        lines = linecache.getlines(code.co_filename)
        try:
            block = inspect.getblock(lines[code.co_firstlineno - 1:])
            tree = ast.parse(textwrap.dedent("".join(block)))
        except (SyntaxError, IndexError, ValueError, TypeError):
            return {}
        found: dict[str, dict[str, Any]] = {}
        for node in ast.walk(tree):
            line = code.co_firstlineno + getattr(node, "lineno", 1) - 1
            # "return": what a one-line helper computes is on its return line.
            for name in [*assigned_names(node), *(["return"] if isinstance(node, ast.Return) else [])]:
                if name.lower() not in found or found[name.lower()]["line"] < line:
                    found[name.lower()] = {"cell": where["cell"], "line": line}
        return found

    @staticmethod
    def called_names(function: Any) -> set[str]:
        code = getattr(inspect.unwrap(getattr(function, "__func__", function)), "__code__", None)
        if code is None:
            return set()
        # Globals and attributes: a method calls its helper as self.one_hot(Y).
        return {instruction.argval for instruction in dis.get_instructions(code)
                if instruction.opname in ("LOAD_GLOBAL", "LOAD_NAME", "LOAD_ATTR", "LOAD_METHOD")
                and isinstance(instruction.argval, str)}

    def call(self, contract: Contract, function: Any, positional: tuple[str, ...],
             keywords: tuple[tuple[str, str], ...], convention: str | None, fixed: set[str]) -> str:
        variant = {"convention": convention, "fixed": sorted(fixed)}
        self.status.send("start", contract=contract.name, **variant)
        namespace = self.module.__dict__
        saved = {name: namespace[name] for name in fixed if name in namespace}
        namespace.update({name: EXAMPLES for name in fixed})
        try:
            with time_box(self.wall):
                result = function(*[self.argument(name, convention) for name in positional],
                                  **{keyword: self.argument(name, convention) for keyword, name in keywords})
                values, arrays = self.plain(result, contract)
        except Stopped:
            self.status.send("call", contract=contract.name, outcome="timeout", **variant)
            return "timeout"
        except BaseException as error:      # noqa: BLE001 — whatever their code raises is a finding
            if self.status.parent_lost():
                self.status.send("call", contract=contract.name, outcome="killed parent", **variant)
                return "killed parent"
            if isinstance(error, InputCalled):
                self.status.send("call", contract=contract.name, outcome="input", **variant)
                return "input"
            self.status.send("call", contract=contract.name, outcome="raised", error=self.places.of_error(error),
                             **variant)
            return "raised"
        finally:
            for name in fixed:
                namespace.pop(name, None)
            namespace.update(saved)
        if self.status.parent_lost():
            self.status.send("call", contract=contract.name, outcome="killed parent", **variant)
            return "killed parent"
        if values is None:
            self.status.send("call", contract=contract.name, outcome="none", **variant)
            return "none"
        self.sequence += 1
        name = f"call-{self.sequence}.npz"
        try:
            np.savez(os.path.join(self.control, name), **arrays)
        except (OSError, ValueError) as error:
            self.status.send("call", contract=contract.name, outcome="unsendable", reason=short(error), **variant)
            return "unsendable"
        self.status.send("call", contract=contract.name, outcome="values", values=values, file=name, **variant)
        return "values"

    def argument(self, name: str, convention: str | None) -> Any:
        if name == "Y":
            name = "labels" if convention == "labels" else "Y"
        if name == "alpha":
            return float(self.inputs["alpha"])
        return np.array(self.inputs[name])      # a fresh copy: a function that changes its inputs changes only this

    def plain(self, result: Any, contract: Contract) -> tuple[list[dict[str, Any]] | None, dict[str, np.ndarray]]:
        """What they returned as plain arrays (at most return_limit bytes each), or a description of each value."""
        if result is None:
            return None, {}
        if len(contract.results) == 1:
            items = [result]
        elif isinstance(result, dict):
            keys = {str(key).lower().removeprefix("new "): key for key in result}
            wanted = [name.lower() for name in contract.results]
            items = [result[keys[key]] for key in wanted] if all(key in keys for key in wanted) \
                else list(result.values())
        elif isinstance(result, (tuple, list)):
            items = list(result)
        else:
            items = [result]
        values, arrays = [], {}
        for index, item in enumerate(items[:len(contract.results) + 4]):
            try:
                array = np.asarray(item)
            except BaseException as error:      # noqa: BLE001
                values.append({"not_array": f"a {type(item).__name__} that NumPy cannot read as numbers "
                                            f"({short(error)})"})
                continue
            array = array.view(np.ndarray) if type(array) is not np.ndarray else array
            shape = [int(n) for n in array.shape]
            if array.dtype.kind not in "biuf":
                values.append({"not_array": f"a {type(item).__name__} of {array.dtype} values, not numbers",
                               "shape": shape})
            elif array.nbytes > self.return_limit:
                values.append({"too_large": int(array.nbytes), "shape": shape})
            else:
                arrays[f"v{index}"] = array
                values.append({"key": f"v{index}", "shape": shape})
        values.append({"count": len(items)})
        return values, arrays


# ---------------------------------------------------------------- main

def main(argv: list[str]) -> None:
    control = argv[0]
    with builtins.open(os.path.join(control, "job.json"), encoding="utf-8") as stream:
        job = json.load(stream)
    limit_resources(job["limits"])
    status = Status(job["status"])
    sys.stdout = sys.stderr = PrintedOutput(1, job["limits"]["output"])
    try:
        with np.load(os.path.join(control, "inputs.npz"), allow_pickle=False) as stored:
            inputs = {name: stored[name] for name in stored.files}
        source = LearnerSource.from_json(job["source"])
        places = Places(source)
        finder = check_standins.install(always=job["stand_ins"])
        module = types.ModuleType("__main__")
        module.__file__ = source.path
        module.__builtins__ = builtins
        sys.modules["__main__"] = module
        sys.argv = [source.path]
        sys.path.append(os.path.dirname(source.path))       # a helper module beside theirs; never first
        Surroundings(job, status, places).install(module)
        status.send("ready", pid=os.getpid())
        top = TopLevel(module, places, status, job)
        top.run()
        status.send("top level done", stand_ins=finder.served)
        Caller(module, places, status, job, inputs, top, control).run()
        status.send("done")
    except BaseException:       # noqa: BLE001 — a defect of the check: say so, with its traceback
        status.send("runner failed", traceback=traceback.format_exc()[-4000:])
    os._exit(0)     # not sys.exit: their atexit handlers and threads must not hold the verdict
