"""The lab panels, the bug lab and Check my code, built the first time their dock is shown (or a part of the window
asks for one): most lessons never open them, and importing and building them (plots, tables, a code view) took
65 ms of every cold start. Until then their docks hold an empty widget that is never seen: a dock being shown
builds its panel before it is painted."""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from PyQt6.QtWidgets import QDockWidget, QWidget

if TYPE_CHECKING:
    from visualizer.window.docks import DockManager
    from visualizer.views.buglab import BugLabView
    from visualizer.views.check_code import CheckCodeView


def _bug_lab() -> BugLabView:
    from visualizer.views.buglab import BugLabView
    return BugLabView()


def _check_code() -> CheckCodeView:
    from visualizer.views.check_code import CheckCodeView
    return CheckCodeView()


class Labs:
    """The window's lab panels: `bug_lab` and `check_code` build theirs on first use. The bug lab, once built, is
    one of the window's views (add_view: it follows the snapshots); both report failures to show_error."""

    def __init__(self, docks: DockManager, bug_lab_dock: QDockWidget, check_dock: QDockWidget,
                 add_view: Callable[[QWidget], None], show_error: Callable[[str], None],
                 ask_code: Callable[[], str], before_check: Callable[[], None]) -> None:
        self._docks, self.bug_lab_dock, self.check_dock = docks, bug_lab_dock, check_dock
        self._makers = {"bug_lab": (bug_lab_dock, _bug_lab, add_view), "check_code": (check_dock, _check_code, None)}
        self._show_error, self._ask_code, self._before_check = show_error, ask_code, before_check
        self._built: dict[str, QWidget] = {}
        for name, (dock, _, _) in self._makers.items():
            dock.visibilityChanged.connect(lambda visible, name=name: visible and self._get(name))

    @property
    def bug_lab(self) -> BugLabView:
        return self._get("bug_lab")

    @property
    def check_code(self) -> CheckCodeView:
        return self._get("check_code")

    @property
    def built(self) -> tuple[str, ...]:
        """The names of the panels built so far."""
        return tuple(self._built)

    def show_bug_lab(self, on: bool) -> None:
        self._docks.show_floating(self.bug_lab_dock, on)

    def check_my_code(self) -> None:
        """Ask for a notebook or a .py file and check it in the Check my code panel."""
        path = self._ask_code()
        if path:
            self._before_check()
            self._docks.show_floating(self.check_dock, True)
            self.check_code.check(path)

    def _get(self, name: str) -> QWidget:
        view = self._built.get(name)
        if view is None:
            dock, make, add_view = self._makers[name]
            view = self._built[name] = make()
            dock.setWidget(view)
            view.failed.connect(self._show_error)
            if add_view is not None:
                add_view(view)
        return view

    def shutdown(self) -> None:
        """Cancel the work of the panels built (the others have none)."""
        for view in self._built.values():
            view.shutdown()
