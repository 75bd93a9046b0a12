"""The window's docks, through one manager: each is added, found, shown (in its column or floating) and sized here,
and presenter mode hides them all.

Left and right docks run the full height; the matrices sit under the diagram, or on a short screen (a 720p
projector) in a tab beside the curves. The labs and the heavier classroom panels open floating the first time,
over the right column at its full height: they need their plots, text and tables at once, more than a tab holds.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from PyQt6.QtCore import QRect, Qt
from PyQt6.QtWidgets import QDockWidget, QFrame, QMainWindow, QMenu, QScrollArea, QToolBar, QWidget

COMPACT_HEIGHT = 900  # below this window height the matrices move into a tab beside the curves
CENTRE_WIDTH = 480    # the diagram's column gets at least this much (at 1024 px, a projector's width, 450 and more)
Area = Qt.DockWidgetArea


class DockManager:
    def __init__(self, window: QMainWindow) -> None:
        self.window = window
        self._docks: list[QDockWidget] = []
        # Left and right docks run the full height; the matrices sit under the diagram.
        window.setCorner(Qt.Corner.BottomLeftCorner, Area.LeftDockWidgetArea)
        window.setCorner(Qt.Corner.BottomRightCorner, Area.RightDockWidgetArea)

    @property
    def docks(self) -> tuple[QDockWidget, ...]:
        """Every dock, in the order they were added."""
        return tuple(self._docks)

    def find(self, name: str) -> QDockWidget:
        return next(dock for dock in self._docks if dock.objectName() == name)

    def add(self, title: str, name: str, widget: QWidget, area: Area = Area.RightDockWidgetArea,
            beside: str | None = None, hidden: bool = False) -> QDockWidget:
        """A movable, floatable dock; beside: tabbed with that dock (where it goes when docked back from
        floating); hidden: until asked for."""
        window = self.window
        dock = QDockWidget(title, window)
        dock.setObjectName(name)
        dock.setWidget(widget)
        # Closable: its toggle in View ▸ Panels is enabled (Qt greys it otherwise) and a floating panel can be
        # closed like any window; View ▸ Reset layout brings every panel back.
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable
                         | QDockWidget.DockWidgetFeature.DockWidgetClosable)
        window.addDockWidget(area, dock)
        if beside is not None:
            window.tabifyDockWidget(self.find(beside), dock)
        if hidden:
            dock.hide()
        self._docks.append(dock)
        return dock

    # ------------------------------------------------------------ showing
    def show_in_column(self, dock: QDockWidget, on: bool) -> None:
        """Show a dock raised to the top of its tabs, with the height of its column (or hide it)."""
        dock.setVisible(on)
        if on:
            dock.raise_()
            self._give_height(dock)

    def show_floating(self, dock: QDockWidget, on: bool) -> None:
        """Show a dock, the first time floating over the right column at its full height; or hide it. The user
        can dock it back (double-click its title) and it then stays where they put it."""
        if on and not dock.property("placed"):
            dock.setProperty("placed", True)
            dock.setFloating(True)
            dock.setGeometry(self._right_column())
        dock.setVisible(on)
        if on:
            dock.raise_()

    def _right_column(self) -> QRect:
        window = self.window
        frame = window.geometry()
        centre = window.centralWidget()
        top = centre.mapToGlobal(centre.rect().topLeft()).y()
        width = max(560, min(720, frame.width() * 2 // 5))
        place = QRect(frame.right() - width, top, width, max(400, frame.bottom() - top))
        if window.screen() is not None:
            # A window partly off the screen (or just back from full screen) must not put the panel there.
            screen = window.screen().availableGeometry()
            place.setSize(place.size().boundedTo(screen.size()))
            place.moveRight(min(place.right(), screen.right()))
            place.moveBottom(min(place.bottom(), screen.bottom()))
            place.moveLeft(max(place.left(), screen.left()))
            place.moveTop(max(place.top(), screen.top()))
        return place

    def _give_height(self, dock: QDockWidget) -> None:
        """A text panel needs the height of its column more than the panel under it (the configuration)."""
        window = self.window
        if window.dockWidgetArea(dock) != Area.LeftDockWidgetArea or dock.isFloating():
            return
        config = self.find("configDock")
        if config.isVisible() and not window.tabifiedDockWidgets(config):
            height = window.height()
            window.resizeDocks([dock, config], [height * 3 // 4, height // 4], Qt.Orientation.Vertical)

    def panels_menu(self, menu: QMenu) -> None:
        """Fill menu with every dock's show / hide toggle, as they are now (called each time it opens)."""
        menu.clear()
        for dock in self._docks:
            menu.addAction(dock.toggleViewAction())

    def remember_default(self) -> None:
        """The layout as built, before any saved one is restored: what reset_layout goes back to."""
        self._default = self.window.saveState()

    def reset_layout(self) -> None:
        """The default layout: the panels of a fresh start where they start, the others hidden and, when shown
        again, floating over the right column as the first time; then sized for the window as it is now."""
        for dock in self._docks:
            dock.setProperty("placed", False)
        self.window.restoreState(self._default)
        self.fit()

    def hide_all(self) -> None:
        for dock in self._docks:
            dock.hide()

    def hide_floating(self) -> None:
        """A floating panel is a window of its own: it goes with the main window."""
        for dock in self._docks:
            if dock.isFloating():
                dock.hide()

    # ------------------------------------------------------------ sizes
    def fit(self) -> None:
        """Share the window between the panels: the diagram gets what the others leave."""
        window = self.window
        width, height = window.width(), window.height()
        side = max(240, min(400, width // 5))
        input_dock, config_dock, values_dock, curves_dock, matrices_dock = (
            self.find(name) for name in ("inputDock", "configDock", "valuesDock", "curvesDock", "matricesDock"))
        # The values view sets two plots side by side, so the right column is the wider one; on a narrow screen it
        # gives way first, so that the diagram keeps CENTRE_WIDTH.
        left = max(side, input_dock.minimumSizeHint().width())
        right = max(values_dock.minimumSizeHint().width(), min(int(side * 1.35), width - left - CENTRE_WIDTH - 16))
        window.resizeDocks([input_dock, values_dock], [left, right], Qt.Orientation.Horizontal)
        if height < COMPACT_HEIGHT and not window.tabifiedDockWidgets(matrices_dock):
            # A short screen (a 720p projector): the diagram needs the height more than the matrices do,
            # so they share the right column's lower half with the curves, one tab each.
            window.addDockWidget(Area.RightDockWidgetArea, matrices_dock)
            window.tabifyDockWidget(curves_dock, matrices_dock)
            curves_dock.raise_()
        elif height >= COMPACT_HEIGHT:
            window.resizeDocks([matrices_dock], [max(140, height // 5)], Qt.Orientation.Vertical)
        window.resizeDocks([input_dock, config_dock], [height // 2, height // 2], Qt.Orientation.Vertical)
        window.resizeDocks([values_dock, curves_dock], [height // 2, height // 2], Qt.Orientation.Vertical)


class LazyPanels:
    """Panels built the first time their dock is shown (by an action, the View menu or a restored layout) or the
    first time they are asked for: a window never asked for them does not pay for them at its start. Until then
    their dock holds an empty widget that is never seen: a dock being shown builds its panel before it paints."""

    def __init__(self, add_view: Callable[[QWidget], None]) -> None:
        self._add_view = add_view           # the window's: a view follows the snapshots from when it is built
        self._makers: dict[str, tuple[QDockWidget, Callable[[], QWidget], bool]] = {}
        self._built: dict[str, QWidget] = {}

    def add(self, name: str, dock: QDockWidget, make: Callable[[], QWidget], view: bool = True) -> None:
        """make() builds the panel `name` for dock; view: it is one of the window's views."""
        self._makers[name] = (dock, make, view)
        dock.visibilityChanged.connect(lambda visible: visible and self.get(name))

    def get(self, name: str) -> QWidget:
        """The panel, built now if it was not yet."""
        panel = self._built.get(name)
        if panel is None:
            dock, make, view = self._makers[name]
            panel = self._built[name] = make()
            dock.setWidget(panel)
            if view:
                self._add_view(panel)
        return panel

    @property
    def built(self) -> tuple[str, ...]:
        """The names of the panels built so far."""
        return tuple(self._built)


@dataclass(frozen=True)
class Panels:
    """The docks the window itself needs to reach (the others are found by name in the DockManager)."""
    evaluation: QDockWidget
    bug_lab: QDockWidget
    check: QDockWidget
    timeline: QToolBar


def add_panels(window: QMainWindow, docks: DockManager) -> Panels:
    """The window's panels in their docks, as a first start shows them: input and configuration at the left,
    values and curves at the right (the evaluation, the bug lab and Check my code as tabs behind the curves),
    the matrices below, and the timeline as a thin bar above the status bar."""
    config_scroll = QScrollArea()
    config_scroll.setWidgetResizable(True)
    config_scroll.setWidget(window.config_panel)
    config_scroll.setFrameShape(QFrame.Shape.NoFrame)
    docks.add("Input", "inputDock", window.input_view, Area.LeftDockWidgetArea)
    docks.add("Configuration", "configDock", config_scroll, Area.LeftDockWidgetArea)
    docks.add("Values", "valuesDock", window.values)
    curves = docks.add("Curves", "curvesDock", window.curves)
    docks.add("Matrices", "matricesDock", window.matrices, Area.BottomDockWidgetArea)
    # The dev-set evaluation; the worker computes it only while it is visible.
    evaluation = docks.add("Evaluation", "evaluationDock", window.evaluation, beside="curvesDock")
    curves.raise_()
    # The labs' panels are built when first shown (window/labs.py): until then an empty widget that is never seen.
    bug_lab = docks.add("Bug lab", "bugLabPanel", QWidget(), beside="curvesDock", hidden=True)
    check = docks.add("Check my code", "checkCodePanel", QWidget(), beside="curvesDock", hidden=True)
    bar = QToolBar("Timeline")
    bar.setObjectName("timelineToolbar")
    bar.setMovable(False)
    bar.addWidget(window.timeline)
    window.addToolBar(Qt.ToolBarArea.BottomToolBarArea, bar)
    return Panels(evaluation, bug_lab, check, bar)
