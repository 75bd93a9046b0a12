"""What the window reads at run time: its icons, its themes and the built-in lesson.

They are read through importlib.resources, so they are found wherever the package is: a source checkout, an
installed wheel, a zip or a frozen bundle. Only what the app reads lives here; see the README's layout section.
"""
from __future__ import annotations

from importlib.resources import files
from typing import TYPE_CHECKING

if TYPE_CHECKING:   # importlib.resources.abc from Python 3.11; importlib.abc has it on 3.10 too
    from importlib.abc import Traversable

ICONS = "icons"
STYLES = "styles"
LESSONS = "lessons"


def asset(*parts: str) -> Traversable:
    """The packaged file or folder at parts, e.g. asset("icons", "play.svg"); open it, or read_text/read_bytes."""
    return files(__name__).joinpath(*parts)
