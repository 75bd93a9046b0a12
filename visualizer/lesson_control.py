"""The lesson in the window: the guided lesson's dock and keys, a teacher's own lesson (File ▸ Open lesson…, its
setup applied), a lesson saved with its run as one session file, the clicker (PageDown / PageUp move the lesson
while it is open), and presenter mode's caption of the step (`presenterCaption`) beside the diagram.

"Open" is the teacher's intention: the lesson dock shown, or presenter mode started while it was shown (which
hides every dock). Built by visualizer/classroom.py, through the window's public methods.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

from PyQt6.QtCore import Qt
from PyQt6.QtGui import QKeySequence
from PyQt6.QtWidgets import QFileDialog

from core import checkpoints
from core.config import ConfigError
from core.data import DataError
from core.predict import Question
from core.session import read_extra

from .jobs import Job
from .lesson_drive import find_example, teaches
from .lesson_format import CONTROLS, LessonError, LessonSet, Setup, lesson_from_files, load_folder
from .snapshot import Snapshot
from .views.lesson import PLACEHOLDER, LessonPanel, built_in_lesson, fill, placeholder_values
from .views.lesson_caption import LessonCaption
from .window.actions import ActionSpec, make_action
from .window.files import start_folder

if TYPE_CHECKING:
    from .prediction import Predictions

Key, Mod = Qt.Key, Qt.KeyboardModifier
ANSWER_KEYS = QKeySequence(Mod.ControlModifier | Key.Key_Return)
LESSON_FILES = "Lessons with their run (*.npz);;All files (*)"
EXTRA = "lesson"            # the key of a lesson in a session file's extra settings


def lesson_extra(lessons: LessonSet, step: int) -> dict[str, Any]:
    """A lesson as a session file carries it: JSON text, never a pickle."""
    return {EXTRA: {"name": lessons.name, "files": dict(lessons.files), "step": int(step)}}


def lesson_in(path: str, extra: Mapping[str, Any]) -> tuple[LessonSet, int]:
    """The lesson a session file's extra settings carry; LessonError naming the file and what is wrong."""
    saved = extra.get(EXTRA)
    if saved is None:
        raise LessonError(f"{path}: holds a run but no lesson (open it with Open session)")
    files, name, step = saved.get("files") if isinstance(saved, dict) else None, None, 0
    if isinstance(saved, dict):
        name, step = saved.get("name"), saved.get("step", 0)
    if not (isinstance(files, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in files.items())
            and isinstance(name, str) and type(step) is int):
        raise LessonError(f"{path}: the lesson in it is not usable (its files must be text, by name)")
    try:
        lessons = lesson_from_files(files, name)
    except LessonError as error:
        raise LessonError(f"{path}: the lesson in it: {error}") from None
    return lessons, max(0, min(step, len(lessons.lessons) - 1))


class LessonControl:
    """The lesson's panel (`panel`, None when the built-in lesson's files are broken), its dock and actions."""

    def __init__(self, classroom) -> None:
        """classroom: visualizer.classroom.Classroom (its window, menu, docks and dock helpers)."""
        self.classroom = classroom
        self.window = window = classroom.window
        self.panel: LessonPanel | None = None
        self.predictions: "Predictions | None" = None
        self._open = False                  # the teacher's intention, kept while presenter mode hides the dock
        self._projecting = False
        self._preparing: dict | None = None     # a lesson's run being set up: what the fresh run must look like
        self._locked: list = []
        self._find: Job | None = None
        spec = ActionSpec("guidedLesson", "Guided lesson", "lesson", (Mod.ControlModifier | Key.Key_L,),
                          "The story of the network step by step, computing what each step explains",
                          "", checkable=True)
        self.caption = LessonCaption()
        window.place_strip(self.caption, True)
        try:
            lessons = built_in_lesson()
        except LessonError as error:
            # A teacher may edit the lesson files: a broken one says which and what, and the rest of the
            # window works as ever.
            problem = f"The guided lesson is off: {error}"
            broken = ActionSpec(spec.name, spec.text, spec.icon, spec.keys, problem, "")
            classroom.menu.addAction(window.add_action(broken, lambda: window.show_error(problem)))
            window.show_error(problem)
        else:
            self._build_panel(lessons, spec)
        self._build_file_actions()
        window.bridge.failed.connect(self._failed)
        self.caption.snapshotShown.connect(self.show_snapshot)
        self.caption.presenterModeChanged.connect(self.set_presenter_mode)
        window.add_view(self.caption)

    # ------------------------------------------------------------ building
    def _build_panel(self, lessons: LessonSet, spec: ActionSpec) -> None:
        window, classroom = self.window, self.classroom
        self.panel = panel = LessonPanel(lessons=lessons)
        self.dock = classroom._dock("Lesson", "lessonPanel", panel, "inputDock")
        self.action = classroom._toggle(spec, self.dock)
        self.dock.visibilityChanged.connect(self._dock_visible)
        bridge = window.bridge
        # A request the bridge refuses gets no answer: the lesson must not wait for one.
        panel.stepRequested.connect(lambda kind: bridge.step(kind) or panel.stop())
        panel.playRequested.connect(lambda until: bridge.play(until))
        panel.pauseRequested.connect(bridge.pause)
        panel.exampleRequested.connect(bridge.select_example)
        panel.exampleWanted.connect(self._find_example)
        panel.emphasisRequested.connect(window.diagram.set_emphasis)
        panel.changed.connect(self._show_caption)
        for item in (panel.previous_action, panel.next_action):
            window.addAction(item)
            classroom.menu.addAction(item)
        self.answer_action = window.add_action(ActionSpec(
            "lessonAnswer", "Show the lesson's answer", "lesson", (ANSWER_KEYS,),
            "Show (or hide) the answer to the step's Check-yourself question", ""),
            lambda: panel.answer_button.toggle())
        classroom.menu.addAction(self.answer_action)
        classroom.menu.addSeparator()
        window.add_view(panel)

    def _build_file_actions(self) -> None:
        """File ▸ Open lesson… (Ctrl+Shift+L, a window shortcut), and the two lesson-with-its-run entries, rare
        enough to live in the menu alone."""
        window = self.window
        file_menu = next(item.menu() for item in window.menuBar().actions() if item.text() == "&File")
        before = next(item for item in file_menu.actions() if item.objectName() == "openSession")
        opened = window.add_action(ActionSpec(
            "openLesson", "Open lesson…", "lesson", (Mod.ControlModifier | Mod.ShiftModifier | Key.Key_L,),
            "Open a folder of lesson steps (Markdown) and its setup", ""), self.open_lesson)
        file_menu.insertAction(before, opened)
        for name, text, tip, slot in (
                ("openLessonRun", "Open lesson with its run…", "Open a lesson saved with its run as one file",
                 self.open_lesson_run),
                ("saveLessonRun", "Save lesson with its run…",
                 "Save the lesson in use and the whole run in one file a student can open", self.save_lesson_run)):
            item = make_action(file_menu, ActionSpec(name, text, "lesson", (), tip, ""), slot)
            file_menu.removeAction(item)
            file_menu.insertAction(before, item)
        file_menu.insertSeparator(before)

    def connect_predictions(self, predictions: "Predictions") -> None:
        """Predict mode asks the lesson's steps' own questions, and the lesson asks before the phases it teaches."""
        self.predictions = predictions
        predictions.own_question = self.own_question
        predictions.panel.stateChanged.connect(self._prediction_shown)
        if self.panel is not None:
            predictions.action.toggled.connect(self.panel.set_asks)

    # ------------------------------------------------------------ open or not
    @property
    def is_open(self) -> bool:
        """The lesson is on screen: its dock, or presenter mode's caption."""
        return self.panel is not None and self._open

    def _dock_visible(self, visible: bool) -> None:
        # Presenter mode hides every dock: the lesson stays open (projected as a caption) while it is on.
        if not self.window.presenter.on:
            self._open = visible
            self._show_caption()

    def next(self) -> bool:
        """The clicker's next: the lesson's next step when it is open (True), else False."""
        if not self.is_open:
            return False
        self.panel.next()
        return True

    def previous(self) -> bool:
        if not self.is_open:
            return False
        self.panel.previous()
        return True

    def own_question(self, snapshot: Snapshot) -> Question | None:
        """The open step's own prediction question, when the phase held back is the one the step teaches."""
        if not self.is_open:
            return None
        lesson = self.panel.lesson
        own = lesson.prediction
        if own is None or not teaches(lesson.phase, snapshot.phase):
            return None
        phase = snapshot.phase or "Z1"
        values = placeholder_values(snapshot, PLACEHOLDER.findall(" ".join((own.text, *own.options, own.why))))
        options = tuple(fill(option, values) for option in own.options)
        return Question(phase, "lesson", fill(own.text, values), options, own.answer, options[own.answer],
                        fill(own.why, values) or f"The lesson's step {lesson.name} asks this.", phase, None)

    # ------------------------------------------------------------ presenter mode and the caption
    def show_snapshot(self, snapshot: Snapshot) -> None:
        """A lesson's run being prepared: once the fresh run is there, the lesson starts on it."""
        preparing = self._preparing
        if preparing is None or self.panel is None:
            return
        fresh = snapshot.split is not preparing["split"] or (
            snapshot.initial_params is not None and snapshot.initial_params is not preparing["initial"])
        ready = fresh and not snapshot.playing and snapshot.iteration >= preparing["iterations"] and (
            preparing["config"] is None or snapshot.config == preparing["config"])
        if ready:
            self._preparing = None
            self.panel.set_waiting(None)
            self.panel.set_lessons(preparing["lessons"], preparing["step"], drive=preparing["drive"])
        elif fresh and snapshot.playing:
            self.panel.set_waiting(f"Preparing the lesson's run: iteration {snapshot.iteration} of "
                                   f"{preparing['iterations']}…")

    def set_presenter_mode(self, on: bool) -> None:
        self._projecting = bool(on)
        if on:
            self.window.place_strip(self.caption, True)       # at the full screen's width
        if self.panel is not None:
            self.panel.set_projected(on and self._open)
        self._show_caption()

    def _prediction_shown(self, state: str) -> None:
        if state == "asking" and self.panel is not None and self.panel.driving:
            self.panel.set_status("Predict first: the phase is computed and shows once the question is answered.")
        self._show_caption()

    def _show_caption(self) -> None:
        """The caption beside the diagram in presenter mode: hidden while a prediction question is open (the
        question needs the room), without the step's text while a prediction's verdict shows."""
        state = self.predictions.panel.state if self.predictions is not None else "none"
        shown = self._projecting and self.is_open and state != "asking"
        if shown:
            self.caption.show_caption(self.panel.caption(), ANSWER_KEYS.toString(QKeySequence.SequenceFormat.NativeText),
                                      brief=state == "kept")
        self.caption.setVisible(shown)

    # ------------------------------------------------------------ a teacher's lesson
    def open_lesson(self) -> None:
        """File ▸ Open lesson…: a folder of step files. A broken file is named with its line; the lesson in use
        stays."""
        window = self.window
        folder = QFileDialog.getExistingDirectory(window, "Open lesson (a folder of step files)",
                                                  start_folder(window.settings, "lesson"))
        if not folder:
            return
        if window.settings is not None:
            window.settings.remember_folder("lesson", str(Path(folder).parent))
        try:
            lessons = load_folder(Path(folder))
            config = window.snapshot.config.with_changes(**lessons.setup.config) if window.snapshot else None
        except (LessonError, ConfigError) as error:
            window.show_error(f"The lesson was not opened: {error}. The lesson in use stays.")
            return
        self.use(lessons, config=config)

    def open_lesson_run(self) -> None:
        """A lesson saved with its run: the run opens as a session, the lesson at the step it was saved at."""
        window = self.window
        path = window.files.ask_open("session", "Open lesson with its run", LESSON_FILES)
        if not path:
            return
        try:
            lessons, step = lesson_in(path, read_extra(path))
        except (LessonError, checkpoints.CheckpointError, DataError, OSError) as error:
            window.show_error(f"The lesson was not opened: {error}. The lesson in use stays.")
            return
        window.bridge.load_session(path)
        self.use(lessons, step=step, run_given=True)

    def save_lesson_run(self) -> None:
        window = self.window
        if self.panel is None:
            window.show_error("There is no lesson to save (the guided lesson's files are broken).")
            return
        name = self.panel.lesson_set.name.replace(" ", "-").lower()
        path = window.files.ask_save("session", "Save lesson with its run", f"{name}-{window.snapshot.iteration}.npz"
                                     if window.snapshot else f"{name}.npz", LESSON_FILES)
        if path:
            window.bridge.save_session(path, lesson_extra(self.panel.lesson_set, self.panel.index))

    def use(self, lessons: LessonSet, step: int = 0, config=None, run_given: bool = False) -> None:
        """Make lessons the lesson in use and open it; its setup fixes panels, controls, predict mode and (unless
        the run comes with it) the run, which the lesson then waits for."""
        window = self.window
        if self.panel is None:
            self._build_panel(lessons, ActionSpec("guidedLesson", "Guided lesson", "lesson",
                                                  (Mod.ControlModifier | Key.Key_L,), "The lesson in use", "",
                                                  checkable=True))
        setup = lessons.setup
        self._apply_setup(setup)
        snapshot = window.snapshot
        if run_given or (setup.changes_run and snapshot is not None):
            self._preparing = {"lessons": lessons, "step": step, "drive": not run_given,
                               "split": snapshot.split if snapshot else None,
                               "initial": snapshot.initial_params if snapshot else None,
                               "iterations": 0 if run_given else setup.iterations,
                               "config": None if run_given else config}
            self.panel.set_waiting("Preparing the lesson's run…")
            if not run_given:
                self._start_run(setup, config, lessons)
        else:
            self.panel.set_lessons(lessons, step)
        self._open_dock()
        window.status_notice(f"Opened the lesson {lessons.name} ({len(lessons.lessons)} steps)", 8000)

    def _open_dock(self) -> None:
        """The lesson on screen: its dock, or in presenter mode its caption."""
        if self.window.presenter.on:
            self._open = True
            self.set_presenter_mode(True)
        else:
            self.classroom.docks.show_in_column(self.dock, True)

    def _start_run(self, setup: Setup, config, lessons: LessonSet) -> None:
        bridge = self.window.bridge
        if setup.dataset is not None:
            spec = setup.dataset
            if lessons.folder and (Path(lessons.folder) / spec).exists():
                spec = str(Path(lessons.folder) / spec)         # a data file beside the lesson's steps
            bridge.load_data(spec)
        if config is not None:
            bridge.reset(config)
        if setup.iterations:
            bridge.play(setup.iterations)

    def _apply_setup(self, setup: Setup) -> None:
        window = self.window
        for widget in self._locked:
            widget.setEnabled(True)
        self._locked = []
        for name in setup.hidden:
            window.dock_manager.find(name).hide()
        for control in setup.locked:
            for name in CONTROLS[control]:
                widget = {"@config": window.config_panel, "@timeline": window.timeline}.get(name) or \
                    window.action(name)
                widget.setEnabled(False)
                self._locked.append(widget)
        if setup.predict is not None and self.predictions is not None:
            self.predictions.set_on(setup.predict)

    def _failed(self, text: str) -> None:
        """The lesson's run could not be set up (its dataset, say): the lesson starts on the run there is."""
        preparing, self._preparing = self._preparing, None
        if preparing is not None and self.panel is not None:
            self.panel.set_waiting(None)
            self.panel.set_lessons(preparing["lessons"], preparing["step"], drive=preparing["drive"])

    # ------------------------------------------------------------ the predict steps' examples
    def _find_example(self, kind: str) -> None:
        """A predict step wants an example the network gets right (or wrong): a forward pass over the dev set,
        in a job."""
        snapshot = self.window.snapshot
        if self._find is not None:
            self._find.shutdown()
        if snapshot is None or snapshot.split is None:
            self.panel.example_found(None, why="There is no data to find an example in.")
            return
        split, params, activation = snapshot.split, snapshot.params, snapshot.config.activation
        self._find = job = Job(lambda context: find_example(split, params, activation, kind), "finding an example")
        job.done.connect(lambda found: self._found(found, kind))
        job.failed.connect(self.window.show_error)
        job.start()

    def _found(self, found: tuple[str, int] | None, kind: str) -> None:
        if found is None:
            self.panel.example_found(None, why=f"The network gets no example {kind}: here is the one shown.")
        else:
            self.panel.example_found(*found)

    def shutdown(self) -> None:
        if self._find is not None:
            self._find.shutdown()

