"""Backprop Visualizer's window: PyQt6 + pyqtgraph views of the core's phases (core/ never imports Qt)."""
from __future__ import annotations

from typing import Sequence


def create_main_window(argv: Sequence[str]):
    """The whole window from command-line style arguments (see `python -m visualizer --help`), not yet shown.

    Needs no event loop; creates the QApplication if there is none.
    """
    from .app import create_main_window as create

    return create(argv)


__all__ = ["create_main_window"]
