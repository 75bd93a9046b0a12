"""The classroom panels of the main window: the guided lesson, draw a digit, one hidden unit's "what if", and the
optimizer race. Each is a dock, hidden until asked for, with an action in the Classroom menu; this module wires
them to the window's bridge and views through the window's public methods (add_action, add_view, its dock manager)
so that main_window.py stays the wiring of the basic window only. It does not import the window.
"""
from __future__ import annotations

from typing import Callable, Protocol

from PyQt6.QtCore import Qt
from PyQt6.QtGui import QAction
from PyQt6.QtWidgets import QDockWidget, QMenuBar, QWidget

from .bridge import Bridge
from .lesson_control import LessonControl
from .views.diagram import NetworkDiagram
from .views.draw_pad import DrawPad
from .views.lesson import LessonPanel
from .views.neuron import NeuronPanel
from .views.race import RacePanel
from .window.actions import ActionSpec
from .window.docks import DockManager, LazyPanels

Key, Mod = Qt.Key, Qt.KeyboardModifier


class Host(Protocol):
    """What the classroom uses of the window."""
    bridge: Bridge
    diagram: NetworkDiagram
    dock_manager: DockManager

    def add_action(self, spec: ActionSpec, slot: Callable) -> QAction: ...
    def add_view(self, view: QWidget) -> None: ...
    def show_error(self, text: str) -> None: ...
    def place_strip(self, widget: QWidget, beside: bool) -> None: ...
    def menuBar(self) -> QMenuBar: ...
    def addAction(self, action: QAction) -> None: ...


class Classroom:
    """Builds the classroom docks and actions into a window (once, after the window's own docks exist)."""

    def __init__(self, window: Host):
        self.window = window
        self.docks: DockManager = window.dock_manager
        self.menu = window.menuBar().addMenu("&Classroom")
        self.menu.setObjectName("classroomMenu")
        self._panels = LazyPanels(window.add_view)
        self._build_lesson()
        self._build_others()

    # ------------------------------------------------------------ helpers
    def _dock(self, title: str, name: str, widget: QWidget, beside: str) -> QDockWidget:
        """A hidden dock, tabbed with the dock named `beside` when shown (presenter mode hides it with the
        others: only the diagram, the equation and the steps show)."""
        return self.docks.add(title, name, widget, beside=beside, hidden=True)

    def _toggle(self, spec: ActionSpec, dock: QDockWidget, floating: bool = False) -> QAction:
        """A checkable window action that shows the dock (raised to the top of its tabs) or hides it. A floating
        dock opens the first time over the right column at its full height, as the labs do."""
        show = self.docks.show_floating if floating else self.docks.show_in_column
        action = self.window.add_action(spec, lambda on: show(dock, on))
        dock.toggleViewAction().toggled.connect(action.setChecked)
        self.menu.addAction(action)
        return action

    # ------------------------------------------------------------ the guided lesson
    def _build_lesson(self) -> None:
        """The lesson's dock, keys, files and presenter caption: visualizer/lesson_control.py."""
        self.lesson_control = LessonControl(self)

    @property
    def lesson(self) -> LessonPanel | None:
        """The lesson's panel; None when the built-in lesson's files are broken and no other lesson is open."""
        return self.lesson_control.panel

    @property
    def lesson_dock(self) -> QDockWidget:
        return self.lesson_control.dock

    @property
    def lesson_action(self) -> QAction:
        return self.lesson_control.action

    # ------------------------------------------------------------ the other panels, built when first shown
    # A window that is never asked for them does not pay for them (a quarter of a second at start together).
    @property
    def built(self) -> tuple[str, ...]:
        """The panels built so far, of "neuron", "draw_pad" and "race"."""
        return self._panels.built

    def _lazy_dock(self, title: str, name: str, beside: str, panel: str, make: Callable[[], QWidget]) -> QDockWidget:
        dock = self._dock(title, name, QWidget(), beside)
        self._panels.add(panel, dock, make)
        return dock

    @property
    def neuron(self) -> NeuronPanel:
        return self._panels.get("neuron")

    @property
    def draw_pad(self) -> DrawPad:
        return self._panels.get("draw_pad")

    @property
    def race(self) -> RacePanel:
        return self._panels.get("race")

    def _build_others(self) -> None:
        self.neuron_dock = self._lazy_dock("Hidden unit", "neuronPanelDock", "valuesDock", "neuron", self._make_neuron)
        self.neuron_action = self._toggle(ActionSpec(
            "hiddenUnit", "Hidden unit: what if…", "neuron", (Mod.ControlModifier | Key.Key_U,),
            "What one hidden unit looks for, and what happens without it (click a hidden unit in the diagram)",
            "", checkable=True), self.neuron_dock, floating=True)
        self.window.diagram.neuronClicked.connect(self.show_unit)
        self.draw_dock = self._lazy_dock("Draw a digit", "drawPadDock", "curvesDock", "draw_pad", self._make_draw_pad)
        self.draw_action = self._toggle(ActionSpec(
            "drawDigit", "Draw a digit", "draw-digit", (Mod.ControlModifier | Key.Key_D,),
            "Draw a digit with the mouse and watch the current network read it", "", checkable=True),
            self.draw_dock, floating=True)
        self.race_dock = self._lazy_dock("Optimizer race", "racePanelDock", "curvesDock", "race", self._make_race)
        self.race_action = self._toggle(ActionSpec(
            "raceMode", "Optimizer race", "race", (Mod.ControlModifier | Key.Key_G,),
            "Gradient descent from scratch against Adam, from the same weights, side by side", "",
            checkable=True), self.race_dock, floating=True)
        self.menu.addSeparator()

    def show_unit(self, unit: int) -> None:
        """What a click on hidden unit `unit` of the diagram does."""
        self.neuron.select(unit)
        self.docks.show_floating(self.neuron_dock, True)

    def _make_neuron(self) -> NeuronPanel:
        panel = NeuronPanel()
        panel.failed.connect(self.window.show_error)
        panel.editsChanged.connect(self.window.diagram.mark_units)     # a switched-off unit, crossed out there
        return panel

    def _make_draw_pad(self) -> DrawPad:
        pad = DrawPad()
        # "Show in the network": the main diagram takes the drawing as it changes, until pressed again.
        diagram = self.window.diagram
        pad.shownInNetwork.connect(lambda on: diagram.show_drawing(pad.column if on else None))
        pad.drawingChanged.connect(lambda column: pad.send_button.isChecked() and diagram.show_drawing(column))
        clear = pad.clear_action          # Ctrl+Backspace, from anywhere in the window once there is a pad
        clear.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.window.addAction(clear)
        self.menu.insertAction(self.race_action, clear)
        return pad

    def _make_race(self) -> RacePanel:
        race = RacePanel()
        race.failed.connect(self.window.show_error)
        return race

    # ------------------------------------------------------------ closing
    def shutdown(self) -> None:
        """Stop every job a classroom panel started (the window calls this when it closes)."""
        self.lesson_control.shutdown()
        for name in ("race", "neuron"):
            if name in self._panels.built:
                self._panels.get(name).shutdown()
