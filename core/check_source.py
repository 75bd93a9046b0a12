"""Check my code, reading the learner's file: a script, an nbconvert export (.py) or a Jupyter notebook (.ipynb).

The file is read once, by the checking process, only if it is a regular file and at most MAX_SOURCE_BYTES; a
notebook's code cells are taken in order from its nbformat 4 JSON (the standard library reads it). IPython's own
syntax — line and cell magics (%matplotlib inline, %%time), shell lines (!pip install …) — is not Python: the
runner replaces each such line by `pass` (same indentation, same line numbers) and says so, so the rest of the
cell still runs. The get_ipython() calls nbconvert writes for them are answered at run time (core.check_runner).
"""
from __future__ import annotations

import json
import os
import re
import stat
import tokenize
from dataclasses import asdict, dataclass
from io import BytesIO

MAX_SOURCE_BYTES = 32 << 20          # a notebook with its plots' images embedded stays far below
NBCONVERT_MARKER = re.compile(r"^# In\[[ 0-9]*\]:[ \t]*$")
# Cell magics whose body is Python: the magic line goes, the body runs.
PYTHON_CELL_MAGICS = ("time", "timeit", "capture", "prun", "debug", "memit")
_MAGIC = re.compile(r"^([ \t]*)(?:[%!?]|[\w.]+\?\??[ \t]*$)")
_MAGIC_ASSIGNMENT = re.compile(r"^([ \t]*)([\w.]+(?:[ \t]*,[ \t]*[\w.]+)*)[ \t]*=[ \t]*([%!])")


class CheckError(ValueError):
    """The check cannot run: an argument out of range, or a file it cannot read (the CLI's exit code 2)."""


class CheckFileError(CheckError):
    """The file to check is missing, not a regular file, too large, or not a notebook Jupyter could open."""


@dataclass(frozen=True)
class Cell:
    """A piece of the learner's code that runs on its own: a notebook's code cell, or a script (or part of it)."""
    number: int | None      # the notebook's code cell, counted from 1 (markdown cells not counted); None in a .py
    first_line: int         # the line of the file its first line is (1 in a notebook, where lines count per cell)
    text: str               # as the learner wrote it


@dataclass(frozen=True)
class LearnerSource:
    path: str
    kind: str               # "notebook" (.ipynb), "export" (a .py written by jupyter nbconvert) or "script"
    cells: tuple[Cell, ...]

    @property
    def noun(self) -> str:
        return "notebook" if self.kind in ("notebook", "export") else "file"

    def place(self, cell: int | None, line: int | None) -> str:
        """"code cell 4, line 9" in a notebook, "line 57" in a .py file."""
        if line is None:
            return f"code cell {cell}" if cell is not None else "(no line)"
        return f"code cell {cell}, line {line}" if cell is not None else f"line {line}"

    def line(self, cell: int | None, line: int | None) -> str:
        """The learner's text of that line, stripped ("" when there is none)."""
        for piece in self.cells:
            if piece.number == cell and line is not None:
                lines = piece.text.splitlines()
                index = line - piece.first_line
                if 0 <= index < len(lines):
                    return lines[index].strip()
        return ""

    def describe(self) -> str:
        if self.kind == "notebook":
            return f"a Jupyter notebook with {len(self.cells)} code cell{'s' if len(self.cells) != 1 else ''}"
        return "a notebook exported by jupyter nbconvert" if self.kind == "export" else "a Python file"

    def to_json(self) -> dict:
        return {"path": self.path, "kind": self.kind, "cells": [asdict(cell) for cell in self.cells]}

    @classmethod
    def from_json(cls, value: dict) -> "LearnerSource":
        return cls(value["path"], value["kind"], tuple(Cell(**cell) for cell in value["cells"]))


def read_learner_file(path: str | os.PathLike) -> LearnerSource:
    """The learner's code, cell by cell; CheckFileError (naming the file and what is wrong) when it cannot be."""
    path = os.path.abspath(os.fspath(path))
    data = read_regular_file(path, MAX_SOURCE_BYTES)
    if path.lower().endswith(".ipynb") or data.lstrip()[:1] == b"{":
        return LearnerSource(path, "notebook", tuple(_notebook_cells(data, path)))
    text = _decode(data, path)
    lines = text.splitlines()
    markers = [index for index, line in enumerate(lines) if NBCONVERT_MARKER.match(line)]
    if not markers:
        return LearnerSource(path, "script", (Cell(None, 1, text),))
    # nbconvert writes each cell after a "# In[n]:" line: run each on its own, as the notebook did.
    bounds = [0, *[index + 1 for index in markers], len(lines) + 1]
    cells = tuple(Cell(None, start + 1, "\n".join(lines[start:end - 1]) + "\n")
                  for start, end in zip(bounds, bounds[1:]) if "".join(lines[start:end - 1]).strip())
    return LearnerSource(path, "export", cells)


def read_regular_file(path: str, limit: int) -> bytes:
    """At most `limit` bytes of a regular file; a FIFO, device or folder is refused before it is read."""
    try:
        mode = os.stat(path).st_mode
        if stat.S_ISREG(mode):
            # O_NONBLOCK: if it is swapped for a FIFO after the stat, opening still returns at once.
            descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
            with os.fdopen(descriptor, "rb") as stream:
                mode = os.fstat(stream.fileno()).st_mode
                data = stream.read(limit + 1) if stat.S_ISREG(mode) else b""
    except OSError as error:
        raise CheckFileError(f"cannot read {path}: {error.strerror or error}") from error
    if not stat.S_ISREG(mode):
        raise CheckFileError(f"{path} is {_kind_of(mode)}, not a file: choose the notebook (.ipynb) or .py file")
    if len(data) > limit:
        raise CheckFileError(f"{path} is larger than {limit >> 20} MiB: that is not a notebook of this lesson")
    return data


def _kind_of(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
                       (stat.S_ISCHR, "a device"), (stat.S_ISBLK, "a device"), (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a regular file"


def _decode(data: bytes, path: str) -> str:
    try:
        encoding, _ = tokenize.detect_encoding(BytesIO(data).readline)
        return data.decode(encoding).replace("\r\n", "\n").replace("\r", "\n")
    except (SyntaxError, LookupError, UnicodeDecodeError) as error:
        raise CheckFileError(f"{path} is not readable as Python source text: {error}") from error


def _notebook_cells(data: bytes, path: str) -> list[Cell]:
    try:
        notebook = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise CheckFileError(f"{path} is not a notebook Jupyter can open (not JSON: "
                             f"{' '.join(str(error).split())[:200]})") from error
    if isinstance(notebook, dict) and "worksheets" in notebook:
        raise CheckFileError(f"{path} is an old nbformat 3 notebook: open it in Jupyter and save it to update it")
    if not isinstance(notebook, dict) or not isinstance(notebook.get("cells"), list):
        raise CheckFileError(f"{path} is JSON without a list of \"cells\": not a Jupyter notebook (nbformat 4)")
    if notebook.get("nbformat", 4) != 4:
        raise CheckFileError(f"{path} is nbformat {notebook.get('nbformat')!r}; the check reads nbformat 4")
    metadata = notebook.get("metadata") if isinstance(notebook.get("metadata"), dict) else {}
    language = (metadata.get("language_info") or {}).get("name", "python") \
        if isinstance(metadata.get("language_info"), dict) else "python"
    if isinstance(language, str) and language.lower() not in ("python", "python3", "ipython"):
        raise CheckFileError(f"{path} is a {language} notebook; the check runs Python")
    cells = []
    for index, cell in enumerate(notebook["cells"], 1):
        if not isinstance(cell, dict) or not isinstance(cell.get("cell_type"), str):
            raise CheckFileError(f"{path}: cell {index} is not a notebook cell (no cell_type)")
        if cell["cell_type"] != "code":
            continue
        source = cell.get("source", "")
        if isinstance(source, list) and all(isinstance(part, str) for part in source):
            source = "".join(source)
        if not isinstance(source, str):
            raise CheckFileError(f"{path}: the source of cell {index} is neither text nor a list of lines")
        cells.append(Cell(len(cells) + 1, 1, source.replace("\r\n", "\n").replace("\r", "\n")))
    return cells


def neutralise(text: str) -> tuple[str, list[tuple[int, str, str]]]:
    """The cell with IPython's syntax replaced by `pass`, and (line in the cell, the line, why) for each replaced.

    Only lines that Python cannot read anyway are touched; the caller tries the text as it is first.
    """
    lines = text.split("\n")
    replaced: list[tuple[int, str, str]] = []
    first = lines[0].strip() if lines else ""
    if first.startswith("%%"):
        magic = first[2:].split()[0] if first[2:].split() else ""
        if magic not in PYTHON_CELL_MAGICS:
            # %%bash, %%writefile, %%html…: the body is not Python; the whole cell is left out.
            why = f"a %%{magic} cell is not Python: the cell was skipped"
            return "\n".join("" for _ in lines), [(1, first, why)]
        lines[0] = ""
        replaced.append((1, first, f"the cell magic %%{magic} was left out; the cell's code runs"))
    for index, line in enumerate(lines):
        assignment = _MAGIC_ASSIGNMENT.match(line)
        if assignment and not line.rstrip().endswith((",", "\\")):
            kind = "a shell command" if assignment.group(3) == "!" else "an IPython magic"
            lines[index] = f"{assignment.group(1)}{assignment.group(2)} = []"
            replaced.append((index + 1, line.strip(), f"{kind} is not run: its names are set to []"))
        elif _MAGIC.match(line):
            stripped = line.strip()
            kind = ("a shell command" if stripped.startswith("!") else
                    "IPython help" if stripped.endswith("?") or stripped.startswith("?") else "an IPython magic")
            lines[index] = f"{_MAGIC.match(line).group(1)}pass"
            replaced.append((index + 1, stripped, f"{kind} is not run by the check"))
    return "\n".join(lines), replaced
