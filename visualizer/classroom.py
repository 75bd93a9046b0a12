"""The classroom panels of the main window: the guided lesson, draw a digit, one hidden unit's "what if", and the
optimizer race. Each is a dock, hidden until asked for, with an action in the Classroom menu; this module wires
them to the window's bridge and views so that main_window.py stays the wiring of the basic window only.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from PyQt6.QtCore import Qt
from PyQt6.QtGui import QAction, QKeySequence
from PyQt6.QtWidgets import QDockWidget, QWidget

from .views.draw_pad import DrawPad
from .views import lesson as lesson_files
from .views.lesson import LessonError, LessonPanel, load_lessons
from .views.neuron import NeuronPanel
from .views.race import RacePanel

if TYPE_CHECKING:
    from .main_window import MainWindow


class Classroom:
    """Builds the classroom docks and actions into a MainWindow (call once, after its own docks exist)."""

    def __init__(self, window: "MainWindow"):
        self.window = window
        self.menu = window.menuBar().addMenu("&Classroom")
        self.menu.setObjectName("classroomMenu")
        self.docks: list[QDockWidget] = []
        self._build_lesson()
        self._build_neuron()
        self._build_draw_pad()
        self._build_race()
        # Presenter mode hides them with the other docks (only the diagram, the equation and the steps show).
        window.docks = (*window.docks, *self.docks)

    # ------------------------------------------------------------ helpers
    def _dock(self, title: str, name: str, widget: QWidget, beside: str) -> QDockWidget:
        """A hidden dock, tabbed with the dock named `beside` when shown."""
        window = self.window
        dock = window._dock(title, name, widget, Qt.DockWidgetArea.RightDockWidgetArea)
        neighbour = window.findChild(QDockWidget, beside)
        window.tabifyDockWidget(neighbour, dock)
        dock.hide()
        self.docks.append(dock)
        return dock

    def _toggle(self, name: str, text: str, icon_name: str, key: QKeySequence, tip: str,
                dock: QDockWidget, floating: bool = False) -> QAction:
        """A checkable window action that shows the dock (raised to the top of its tabs) or hides it. A floating
        dock opens the first time over the right column at its full height, as the labs do."""
        def show(on: bool) -> None:
            if floating:
                self.window._show_lab_dock(dock, on)
                return
            dock.setVisible(on)
            if on:
                dock.raise_()
                self._give_height(dock)
        action = self.window._action(name, text, icon_name, [key], tip, show)
        action.setCheckable(True)
        dock.toggleViewAction().toggled.connect(action.setChecked)
        self.menu.addAction(action)
        return action

    def _give_height(self, dock: QDockWidget) -> None:
        """A text panel needs the height of its column more than the panel under it (the configuration)."""
        window = self.window
        if window.dockWidgetArea(dock) != Qt.DockWidgetArea.LeftDockWidgetArea or dock.isFloating():
            return
        config = window.findChild(QDockWidget, "configDock")
        if config.isVisible() and not window.tabifiedDockWidgets(config):
            height = window.height()
            window.resizeDocks([dock, config], [height * 3 // 4, height // 4], Qt.Orientation.Vertical)

    # ------------------------------------------------------------ the guided lesson
    def _build_lesson(self) -> None:
        window = self.window
        Key, Mod = Qt.Key, Qt.KeyboardModifier
        try:
            lessons = load_lessons(lesson_files.LESSONS)
        except LessonError as error:
            # A teacher may edit the lesson files: a broken one says which and what, and the rest of the
            # window works as ever.
            self.lesson = None
            problem = f"The guided lesson is off: {error}"
            action = window._action("guidedLesson", "Guided lesson", "lesson",
                                    [QKeySequence(Mod.ControlModifier | Key.Key_L)], problem,
                                    lambda: window.show_error(problem))
            self.menu.addAction(action)
            window.show_error(problem)
            return
        self.lesson = LessonPanel(lessons=lessons)
        self.lesson_dock = self._dock("Lesson", "lessonPanel", self.lesson, "inputDock")
        self.lesson_action = self._toggle("guidedLesson", "Guided lesson", "lesson",
                                          QKeySequence(Mod.ControlModifier | Key.Key_L), "The story of the network step by step, computing what each step "
                                          "explains", self.lesson_dock)
        # A request the bridge refuses gets no answer: the lesson must not wait for one.
        self.lesson.stepRequested.connect(lambda kind: window.bridge.step(kind) or self.lesson.stop())
        self.lesson.emphasisRequested.connect(window.diagram.set_emphasis)
        for action in (self.lesson.previous_action, self.lesson.next_action):
            window.addAction(action)
            self.menu.addAction(action)
        self.menu.addSeparator()
        window.views = (*window.views, self.lesson)

    # ------------------------------------------------------------ one hidden unit, and "what if"
    def _build_neuron(self) -> None:
        window = self.window
        self.neuron = NeuronPanel()
        # The panel evaluates its edits on the worker's split: read-only arrays, replaced (never changed) by a
        # new dataset, so reading it from this thread is safe (as the bug lab does).
        self.neuron.source = lambda: window.bridge.worker.stepper.split
        self.neuron_dock = self._dock("Hidden unit", "neuronPanelDock", self.neuron, "valuesDock")
        self.neuron_action = self._toggle("hiddenUnit", "Hidden unit: what if…", "neuron",
                                          QKeySequence(Qt.KeyboardModifier.ControlModifier | Qt.Key.Key_U),
                                          "What one hidden unit looks for, and what happens without it (click a "
                                          "hidden unit in the diagram)", self.neuron_dock, floating=True)
        window.diagram.neuronClicked.connect(self.show_unit)
        window.views = (*window.views, self.neuron)

    def show_unit(self, unit: int) -> None:
        self.neuron.select(unit)
        self.window._show_lab_dock(self.neuron_dock, True)

    # ------------------------------------------------------------ draw a digit
    def _build_draw_pad(self) -> None:
        window = self.window
        self.draw_pad = DrawPad()
        self.draw_dock = self._dock("Draw a digit", "drawPadDock", self.draw_pad, "curvesDock")
        self.draw_action = self._toggle("drawDigit", "Draw a digit", "draw-digit",
                                        QKeySequence(Qt.KeyboardModifier.ControlModifier | Qt.Key.Key_D),
                                        "Draw a digit with the mouse and watch the current network read it",
                                        self.draw_dock, floating=True)
        clear = self.draw_pad.clear_action          # Ctrl+Backspace, from anywhere in the window
        clear.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        keys = clear.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        if keys not in clear.toolTip():
            clear.setToolTip(f"{clear.toolTip()} ({keys})")
        window.addAction(clear)
        self.menu.addAction(clear)
        self.menu.addSeparator()
        window.views = (*window.views, self.draw_pad)

    # ------------------------------------------------------------ the optimizer race
    def _build_race(self) -> None:
        window = self.window
        self.race = RacePanel()
        self.race.source = lambda: window.bridge.worker.stepper.split     # read-only, as for the bug lab
        self.race.failed.connect(window.show_error)
        self.race_dock = self._dock("Optimizer race", "racePanelDock", self.race, "curvesDock")
        self.race_action = self._toggle("raceMode", "Optimizer race", "race",
                                        QKeySequence(Qt.KeyboardModifier.ControlModifier | Qt.Key.Key_G),
                                        "Gradient descent from scratch against Adam, from the same weights, "
                                        "side by side", self.race_dock, floating=True)
        window.views = (*window.views, self.race)

    # ------------------------------------------------------------ closing
    def shutdown(self) -> None:
        """Stop every thread a classroom panel started (the window calls this when it closes)."""
        for panel in self.threaded:
            panel.shutdown()

    @property
    def threaded(self) -> tuple:
        return (self.race,)
