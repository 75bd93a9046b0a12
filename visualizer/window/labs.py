"""The lab panels, the bug lab and Check my code, built the first time their dock is shown (or a part of the window
asks for one: docks.LazyPanels): most lessons never open them, and building them (plots, tables, a code view) took
65 ms of every cold start."""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from PyQt6.QtWidgets import QDockWidget, QWidget

from visualizer.window.docks import DockManager, LazyPanels

if TYPE_CHECKING:
    from visualizer.views.buglab import BugLabView
    from visualizer.views.check_code import CheckCodeView


class Labs:
    """The window's lab panels and their two actions. The bug lab, once built, is one of the window's views (it
    follows the snapshots); both report failures to show_error."""

    def __init__(self, docks: DockManager, bug_lab_dock: QDockWidget, check_dock: QDockWidget,
                 add_view: Callable[[QWidget], None], show_error: Callable[[str], None],
                 ask_code: Callable[[], str], before_check: Callable[[], None]) -> None:
        self._docks, self.bug_lab_dock, self.check_dock = docks, bug_lab_dock, check_dock
        self._show_error, self._ask_code, self._before_check = show_error, ask_code, before_check
        self._panels = LazyPanels(add_view)
        self._panels.add("bug_lab", bug_lab_dock, self._make_bug_lab)
        self._panels.add("check_code", check_dock, self._make_check_code, view=False)

    @property
    def bug_lab(self) -> BugLabView:
        return self._panels.get("bug_lab")

    @property
    def check_code(self) -> CheckCodeView:
        return self._panels.get("check_code")

    @property
    def built(self) -> tuple[str, ...]:
        """The names of the panels built so far."""
        return self._panels.built

    def show_bug_lab(self, on: bool) -> None:
        self._docks.show_floating(self.bug_lab_dock, on)

    def check_my_code(self) -> None:
        """Ask for a notebook or a .py file and check it in the Check my code panel."""
        path = self._ask_code()
        if path:
            self._before_check()
            self._docks.show_floating(self.check_dock, True)
            self.check_code.check(path)

    def _make_bug_lab(self) -> BugLabView:
        from visualizer.views.buglab import BugLabView
        lab = BugLabView()
        lab.failed.connect(self._show_error)
        return lab

    def _make_check_code(self) -> CheckCodeView:
        from visualizer.views.check_code import CheckCodeView
        check = CheckCodeView()
        check.failed.connect(self._show_error)
        return check

    def shutdown(self) -> None:
        """Cancel the work of the panels built (the others have none)."""
        for name in self._panels.built:
            self._panels.get(name).shutdown()
