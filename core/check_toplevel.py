"""Check my code, the learner's top level: their cells run statement by statement, each in a time box.

A statement that fails or runs out of time (TOP_LEVEL_CPU seconds of processor time: a training loop at the top,
or the time limit of wall time) is noted and the next one runs, so the notebook's data loading, its global m and
the definitions after its training are all there. `if __name__ == "__main__":` is taken statement by statement
too (the notebook ran as __main__). check_surroundings.Places says where a statement was ("code cell 4, line 9").
"""
from __future__ import annotations

import ast
import time
import types
from typing import Any, Iterator

from .check_source import neutralise
from .check_surroundings import InputCalled, Places, Status, Stopped, short, time_box

TOP_LEVEL_CPU = 1.5         # processor seconds one top-level statement may use; reading train.csv takes ~0.2
DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom)


def is_main_guard(test: ast.expr) -> bool:
    return (isinstance(test, ast.Compare) and isinstance(test.left, ast.Name) and test.left.id == "__name__"
            and len(test.comparators) == 1 and isinstance(test.comparators[0], ast.Constant)
            and test.comparators[0].value == "__main__")


def top_level_statements(tree: ast.Module) -> Iterator[ast.stmt]:
    """The module's statements, with the body of `if __name__ == "__main__":` taken statement by statement."""
    for node in tree.body:
        if isinstance(node, ast.If) and is_main_guard(node.test) and not node.orelse:
            yield from node.body
        else:
            yield node


def assigned_names(node: ast.AST) -> Iterator[str]:
    targets: list[ast.AST] = []
    if isinstance(node, ast.Assign):
        targets = list(node.targets)
    elif isinstance(node, (ast.AugAssign, ast.AnnAssign, ast.For)):
        targets = [node.target]
    elif isinstance(node, ast.With):
        targets = [item.optional_vars for item in node.items if item.optional_vars is not None]
    for target in targets:
        for part in ast.walk(target):
            if isinstance(part, ast.Name):
                yield part.id


def is_definition(node: ast.stmt) -> bool:
    """Definitions, imports and constants: what still runs when the top level as a whole could not."""
    if isinstance(node, DEFINITIONS):
        return True
    return isinstance(node, ast.Assign) and all(isinstance(part, (ast.Constant, ast.Tuple, ast.UnaryOp, ast.USub,
                                                                  ast.Load)) for part in ast.walk(node.value))


class TopLevel:
    """Runs the learner's cells statement by statement; remembers where each global was set."""

    def __init__(self, module: types.ModuleType, places: Places, status: Status, job: dict) -> None:
        self.module, self.places, self.status = module, places, status
        self.wall, self.budget = job["timeout"], job["top_level_seconds"]
        self.definitions_only = job["definitions_only"]
        self.assignments: dict[str, list[dict[str, Any]]] = {}     # name -> places it was set, as they ran
        self.written: dict[str, list[dict[str, Any]]] = {}         # name -> places that set it, ran or not
        self.unfinished: dict[str, dict[str, Any]] = {}            # name -> the statement that would have set it

    def run(self) -> None:
        started = time.monotonic()
        out_of_time = False
        for cell in self.places.source.cells:
            tree = self.parse(cell)
            if tree is None:
                continue
            for node in top_level_statements(tree):
                where = {"cell": cell.number, "line": node.lineno}
                for name in assigned_names(node):
                    self.written.setdefault(name, []).append(where)
                if not is_definition(node):
                    if self.definitions_only or out_of_time:
                        continue
                    if time.monotonic() - started > self.budget:
                        out_of_time = True
                        self.status.send("note", kind="budget", seconds=self.budget, **where)
                        continue
                self.execute(node, cell.number, where)

    def parse(self, cell: Any) -> ast.Module | None:
        filename = self.places.file_of(cell.number)
        text = cell.text
        try:
            tree = ast.parse(text, filename)
        except SyntaxError:
            text, replaced = neutralise(cell.text)
            for line, original, why in replaced:
                self.status.send("note", kind="ipython", text=short(original), why=why, cell=cell.number,
                                 line=line + cell.first_line - 1)
            try:
                tree = ast.parse(text, filename)
            except SyntaxError as error:
                self.status.send("note", kind="syntax", message=short(error.msg), cell=cell.number,
                                 line=(error.lineno or 1) + cell.first_line - 1)
                return None
        ast.increment_lineno(tree, cell.first_line - 1)
        return tree

    def execute(self, node: ast.stmt, cell: int | None, where: dict[str, Any]) -> None:
        code = compile(ast.Module(body=[node], type_ignores=[]), self.places.file_of(cell), "exec")
        self.status.send("statement", **where)
        finished, root = False, where
        try:
            with time_box(self.wall, None if is_definition(node) else TOP_LEVEL_CPU):
                exec(code, self.module.__dict__)
            finished = True
        except Stopped as stop:
            self.status.send("note", kind="stopped", limit=str(stop), seconds=TOP_LEVEL_CPU if str(stop) ==
                             "processor" else self.wall, **where)
        except InputCalled:
            pass                                            # noted where input() was called
        except NameError as error:
            # A name an earlier statement would have set, had it finished (the training that was stopped):
            # said once for all the statements that needed it, not as an error of each.
            setter = self.unfinished.get(getattr(error, "name", None) or "")
            if setter is not None:
                root = setter           # what this statement would have set waits for the same statement
                self.status.send("note", kind="needs", name=error.name, setter=setter, **where)
            else:
                self.status.send("note", kind="raised", error=self.places.of_error(error), **where)
        except BaseException as error:      # noqa: BLE001 — SystemExit and KeyboardInterrupt are theirs too
            self.status.send("note", kind="raised", error=self.places.of_error(error), **where)
        if self.status.parent_lost():
            self.status.send("note", kind="killed parent", **where)
        for name in assigned_names(node):
            self.assignments.setdefault(name, []).append(where)
            if finished:
                self.unfinished.pop(name, None)
            else:
                self.unfinished.setdefault(name, root)
