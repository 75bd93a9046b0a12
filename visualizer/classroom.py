"""The classroom panels of the main window: the guided lesson, draw a digit, one hidden unit's "what if", and the
optimizer race. Each is a dock, hidden until asked for, with an action in the Classroom menu; this module wires
them to the window's bridge and views so that main_window.py stays the wiring of the basic window only.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from PyQt6.QtCore import Qt
from PyQt6.QtGui import QAction, QKeySequence
from PyQt6.QtWidgets import QDockWidget, QWidget

from .views import lesson as lesson_files
from .views.draw_pad import DrawPad
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
        self._build_others()
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
                                          QKeySequence(Mod.ControlModifier | Key.Key_L),
                                          "The story of the network step by step, computing what each step "
                                          "explains", self.lesson_dock)
        # A request the bridge refuses gets no answer: the lesson must not wait for one.
        self.lesson.stepRequested.connect(lambda kind: window.bridge.step(kind) or self.lesson.stop())
        self.lesson.emphasisRequested.connect(window.diagram.set_emphasis)
        for action in (self.lesson.previous_action, self.lesson.next_action):
            window.addAction(action)
            self.menu.addAction(action)
        self.menu.addSeparator()
        window.views = (*window.views, self.lesson)

    # ------------------------------------------------------------ the other panels, built when first shown
    # A window that is never asked for them does not pay for them (a quarter of a second at start together).
    def _panel(self, attribute: str) -> QWidget:
        panel = self._built.get(attribute)
        if panel is None:
            panel = self._built[attribute] = self._builders[attribute]()
            window = self.window
            window.views = (*window.views, panel)
            panel.set_presenter_mode(window._presenter_state is not None)
            if window.snapshot is not None:
                panel.show_snapshot(window.snapshot)
        return panel

    def _lazy_dock(self, title: str, name: str, beside: str, attribute: str) -> QDockWidget:
        dock = self._dock(title, name, QWidget(), beside)
        # Built the moment the dock is first shown (by its action, the View menu or a restored layout).
        dock.visibilityChanged.connect(lambda visible: visible and self._panel(attribute))
        return dock

    @property
    def neuron(self) -> NeuronPanel:
        return self._panel("neuron")

    @property
    def draw_pad(self) -> DrawPad:
        return self._panel("draw_pad")

    @property
    def race(self) -> RacePanel:
        return self._panel("race")

    def _build_others(self) -> None:
        window = self.window
        Key, Mod = Qt.Key, Qt.KeyboardModifier
        self._built: dict[str, QWidget] = {}
        self._builders = {"neuron": self._make_neuron, "draw_pad": self._make_draw_pad, "race": self._make_race}
        self.neuron_dock = self._lazy_dock("Hidden unit", "neuronPanelDock", "valuesDock", "neuron")
        self.neuron_action = self._toggle("hiddenUnit", "Hidden unit: what if…", "neuron",
                                          QKeySequence(Mod.ControlModifier | Key.Key_U),
                                          "What one hidden unit looks for, and what happens without it (click a "
                                          "hidden unit in the diagram)", self.neuron_dock, floating=True)
        window.diagram.neuronClicked.connect(self.show_unit)
        self.draw_dock = self._lazy_dock("Draw a digit", "drawPadDock", "curvesDock", "draw_pad")
        self.draw_action = self._toggle("drawDigit", "Draw a digit", "draw-digit",
                                        QKeySequence(Mod.ControlModifier | Key.Key_D),
                                        "Draw a digit with the mouse and watch the current network read it",
                                        self.draw_dock, floating=True)
        self.race_dock = self._lazy_dock("Optimizer race", "racePanelDock", "curvesDock", "race")
        self.race_action = self._toggle("raceMode", "Optimizer race", "race",
                                        QKeySequence(Mod.ControlModifier | Key.Key_G),
                                        "Gradient descent from scratch against Adam, from the same weights, "
                                        "side by side", self.race_dock, floating=True)
        self.menu.addSeparator()

    def show_unit(self, unit: int) -> None:
        """What a click on hidden unit `unit` of the diagram does."""
        self.neuron.select(unit)
        self.window._show_lab_dock(self.neuron_dock, True)

    def _make_neuron(self) -> NeuronPanel:
        window = self.window
        panel = NeuronPanel()
        panel.failed.connect(window.show_error)
        self.neuron_dock.setWidget(panel)
        return panel

    def _make_draw_pad(self) -> DrawPad:
        window = self.window
        pad = DrawPad()
        self.draw_dock.setWidget(pad)
        clear = pad.clear_action          # Ctrl+Backspace, from anywhere in the window once there is a pad
        clear.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        window.addAction(clear)
        self.menu.insertAction(self.race_action, clear)
        return pad

    def _make_race(self) -> RacePanel:
        window = self.window
        race = RacePanel()
        race.failed.connect(window.show_error)
        self.race_dock.setWidget(race)
        return race

    # ------------------------------------------------------------ closing
    def shutdown(self) -> None:
        """Stop every thread a classroom panel started (the window calls this when it closes)."""
        for panel in self.threaded:
            panel.shutdown()

    @property
    def threaded(self) -> tuple:
        return tuple(panel for name, panel in self._built.items() if name in ("race", "neuron"))
