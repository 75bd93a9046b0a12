"""The guided lesson: the story of the network in short steps, each one highlighting its part of the diagram
and driving the real computation to the phase it talks about; when the network is stepped by hand, the lesson
follows to the step that teaches where it is (or says plainly that it has left the lesson).

A lesson is a folder of Markdown step files (visualizer/lesson_format.py, docs/LESSONS.md): the built-in one is
visualizer/assets/lessons/, a teacher's own is opened with File ▸ Open lesson…. Placeholders such as {m} and {H}
are filled in from the snapshot shown, so the shapes in the text are the real ones. How a step drives the network
is visualizer/lesson_drive.py.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping

from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtGui import QAction, QKeySequence
from PyQt6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QTextBrowser, QVBoxLayout, QWidget

from core import network
from visualizer import assets, theme
from visualizer.lesson_drive import (LOOP_ITERATIONS, PREDICT_PHASE, Driver, Request, arrived_text,  # noqa: F401
                                     phase_position, position, teaches)
from visualizer.lesson_format import (PARTS, PHASES, PLACEHOLDER, Lesson, LessonError, LessonSet,  # noqa: F401
                                      Setup,
                                      load_folder, load_lessons as load_lessons_from, parse_lesson, stem)
from visualizer.snapshot import Snapshot

from .confirm_bar import described

LESSONS = assets.asset(assets.LESSONS)    # the built-in lesson: a folder, read through importlib.resources
BUILT_IN = "Guided lesson"

# Type sizes relative to the view's point size: a projector needs body text larger than the window's labels.
TITLE_SCALE = 1.35
TEXT_SCALE = 1.2
SMALL_SCALE = 1.0

ACTIVATION_NAMES = {"relu": "ReLU", "leaky_relu": "leaky ReLU", "sigmoid": "sigmoid", "tanh": "tanh"}
# What a placeholder reads before the first snapshot: the symbol itself, as on a blackboard.
SYMBOLS = {"m": "m", "H": "H", "train_size": "all the", "alpha": "α", "g": "g",
           "parameters": "784·H + H + 10·H + 10", "label": "?", "prediction": "?", "confidence": "?",
           "loop_iterations": str(LOOP_ITERATIONS), "subset": "dev", "index": "?"}


def load_lessons(folder=None) -> tuple[Lesson, ...]:
    """Every step of the lesson in folder (the built-in one by default), in the order of their file names."""
    return load_lessons_from(LESSONS if folder is None else folder)


def built_in_lesson() -> LessonSet:
    """The lesson that ships with the window; LessonError if one of its files was edited into a broken one."""
    found = load_folder(LESSONS)
    return LessonSet(BUILT_IN, found.lessons, found.setup, found.files, found.folder)


@dataclass(frozen=True)
class Caption:
    """The step on screen as presenter mode projects it."""
    progress: str
    title: str
    short: str
    question: str
    answer: str
    answer_shown: bool
    status: str


def batch_size(snapshot: Snapshot) -> int:
    """m: the examples of the iteration shown (its X), else the batch the configuration asks for."""
    X = snapshot.arrays.get("X")
    if X is not None:
        return int(X.shape[1])
    asked = snapshot.config.batch_size
    return min(asked, snapshot.train_size) if asked else snapshot.train_size


def placeholder_values(snapshot: Snapshot | None, names: Iterable[str]) -> dict[str, str]:
    """The text each placeholder in names stands for, read from snapshot (the symbols before any snapshot)."""
    if snapshot is None:
        return {name: SYMBOLS.get(name, name) for name in names}
    hidden = int(snapshot.params["W1"].shape[0])
    example, classes = snapshot.example, snapshot.class_names

    def class_name(index: int) -> str:
        return classes[index] if 0 <= index < len(classes) else str(index)

    readers = {
        "m": lambda: str(batch_size(snapshot)),   # as in the shapes: (784, 4000)
        "H": lambda: str(hidden),
        "train_size": lambda: str(snapshot.train_size),
        "alpha": lambda: f"{snapshot.alpha:g}",
        "g": lambda: ACTIVATION_NAMES.get(snapshot.config.activation, snapshot.config.activation),
        "parameters": lambda: f"{network.INPUTS * hidden + hidden + network.OUTPUTS * hidden + network.OUTPUTS:,}",
        "label": lambda: class_name(example.label),
        "prediction": lambda: class_name(example.prediction),
        "confidence": lambda: f"{float(example.a2[example.prediction]):.2f}",
        "loop_iterations": lambda: str(LOOP_ITERATIONS),
        "subset": lambda: example.subset,
        "index": lambda: str(example.index),
    }
    return {name: readers[name]() if name in readers else SYMBOLS.get(name, name) for name in names}


def fill(text: str, values: Mapping[str, str]) -> str:
    """text with each {name} in values replaced; other braces are left as written."""
    return PLACEHOLDER.sub(lambda match: values.get(match[1], match[0]), text)


class LessonPanel(QWidget, theme.PresenterFonts):
    """The guided lesson: one step's text, its question, Previous / Next; each step drives the network to its phase."""

    emphasisRequested = pyqtSignal(object)   # frozenset of diagram parts the step talks about (empty: none)
    stepRequested = pyqtSignal(str)          # "phase", "predict", "back" or "iteration", one per snapshot received
    playRequested = pyqtSignal(int)          # play until this iteration (the loop step)
    pauseRequested = pyqtSignal()
    exampleWanted = pyqtSignal(str)          # "right" or "wrong": find a dev example the network gets so
    exampleRequested = pyqtSignal(str, int)  # select this example (subset, index)
    changed = pyqtSignal()                   # the step, its text, its answer or its status changed (the caption)

    def __init__(self, parent: QWidget | None = None, lessons: LessonSet | tuple[Lesson, ...] | None = None) -> None:
        super().__init__(parent)
        described(self, "lessonView", "Guided lesson",
                  "The story of the network, one step at a time; each step computes what it explains")
        if lessons is None:
            lessons = built_in_lesson()
        elif not isinstance(lessons, LessonSet):
            lessons = LessonSet(BUILT_IN, tuple(lessons), Setup(), {})
        self.lesson_set: LessonSet = lessons
        self.lessons = lessons.lessons
        self.index = 0
        self.snapshot: Snapshot | None = None
        self.projected = False          # presenter mode projects the lesson (its dock hidden): it still points
        self._filled_with: tuple | None = None    # the placeholder values the text on screen was filled with
        self.driver = Driver()
        self._waiting: str | None = None    # the lesson's run is being set up (visualizer/lesson_control.py)

        self.progress_label = self._label("lessonProgress", "Which step of the lesson this is", theme.MUTED)
        self.progress_label.setWordWrap(False)      # "Step 14 of 16" between the buttons, on one line
        self.title_label = self._label("lessonTitle", "The title of this step", theme.INK)
        self.text = QTextBrowser(self)
        self.text.setObjectName("lessonText")
        self.text.setAccessibleName("The text of this step")
        self.text.setToolTip("What this step of the lesson explains, with the real shapes of the arrays")
        self.text.setOpenExternalLinks(False)
        self.text.setFrameShape(QFrame.Shape.NoFrame)

        self.check_box = QFrame(self)
        self.check_box.setObjectName("checkYourself")
        self.check_box.setAccessibleName("Check yourself")
        self.check_box.setToolTip("A question to test yourself on this step; the answer shows on request")
        self.check_heading = self._label("checkHeading", "Check yourself", theme.INK, self.check_box)
        self.check_heading.setText("Check yourself")
        self.question_label = self._label("checkQuestion", "The question", theme.INK, self.check_box)
        self.answer_button = self._button("showAnswer", "Show answer", "Reveal the answer to the question",
                                          self.check_box)
        self.answer_button.setCheckable(True)
        self.answer_button.toggled.connect(self._show_answer)
        self.answer_label = self._label("checkAnswer", "The answer", theme.INK, self.check_box)
        self.answer_label.hide()
        # The heading shares its line with the button, and the step's number with Previous / Next: every line
        # they do not take is a line of the body (at 1366×768 the body shows twelve).
        check_layout = QVBoxLayout(self.check_box)
        check_layout.setContentsMargins(10, 4, 10, 6)
        check_layout.setSpacing(2)
        heading = QHBoxLayout()
        heading.addWidget(self.check_heading, 1)
        heading.addWidget(self.answer_button)
        check_layout.addLayout(heading)
        check_layout.addWidget(self.question_label)
        check_layout.addWidget(self.answer_label)

        self.status_label = self._label("lessonStatus", "What the lesson is computing", theme.MUTED)
        self.previous_button = self._button("lessonPreviousButton", "◀ Previous",
                                            "Go back one step of the lesson (Ctrl+,)")
        self.next_button = self._button("lessonNextButton", "Next ▶", "Go on to the next step of the lesson (Ctrl+.)")
        self.previous_button.clicked.connect(self.previous)
        self.next_button.clicked.connect(self.next)
        # The window's ← and → step the network, so the lesson moves with Ctrl+, and Ctrl+. (< and > keys).
        self.previous_action = self._action("lessonPrevious", "Previous lesson step", Qt.Key.Key_Comma,
                                            "Go back one step of the lesson", self.previous)
        self.next_action = self._action("lessonNext", "Next lesson step", Qt.Key.Key_Period,
                                        "Go on to the next step of the lesson", self.next)

        buttons = QHBoxLayout()
        buttons.addWidget(self.previous_button)
        buttons.addWidget(self.progress_label, 1, Qt.AlignmentFlag.AlignCenter)
        buttons.addWidget(self.next_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 6, 10, 6)
        layout.setSpacing(4)
        layout.addWidget(self.title_label)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.check_box)
        layout.addWidget(self.status_label)
        layout.addLayout(buttons)
        self.set_theme()
        self._apply_fonts()
        self._show_step()

    # ------------------------------------------------------------ building
    def _label(self, name: str, tip: str, colour: str, parent: QWidget | None = None) -> QLabel:
        label = QLabel(parent or self)
        described(label, name, tip, tip)
        label.setWordWrap(True)
        label.setTextFormat(Qt.TextFormat.PlainText)
        label.setStyleSheet(f"color: {colour};")
        return label

    def _button(self, name: str, text: str, tip: str, parent: QWidget | None = None) -> QPushButton:
        button = QPushButton(text, parent or self)
        button.setObjectName(name)
        button.setAccessibleName(text.strip("◀▶ "))
        button.setToolTip(tip)
        button.setFocusPolicy(Qt.FocusPolicy.StrongFocus)   # reachable with Tab, pressed with Space
        return button

    def _action(self, name: str, text: str, key: Qt.Key, tip: str, slot) -> QAction:
        action = QAction(text, self)
        action.setObjectName(name)
        action.setShortcut(QKeySequence(Qt.KeyboardModifier.ControlModifier | key))
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        shown = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        action.setToolTip(f"{tip} ({shown})")
        action.setStatusTip(tip)
        action.triggered.connect(slot)
        self.addAction(action)      # works on its own; the window may add the same actions to its menus
        return action

    # ------------------------------------------------------------ the view contract
    def show_snapshot(self, snapshot: Snapshot) -> None:
        fresh = snapshot is not self.snapshot
        self.snapshot = snapshot
        self._fill_text()
        if not fresh or self._waiting:
            return
        if self.driver.driving:
            self._drive(snapshot)
        else:
            self._follow(snapshot)

    def set_theme(self) -> None:
        """Colour the panel with theme.py's current colours (the window calls this after a theme switch)."""
        theme.fill_with_paper(self)
        self.text.setStyleSheet(f"QTextBrowser {{ background: {theme.PAPER}; color: {theme.INK}; }}")
        self.check_box.setStyleSheet(f"QFrame#checkYourself {{ background: {theme.PANEL}; border-radius: 6px; }}")
        for label, colour in ((self.progress_label, theme.MUTED), (self.status_label, theme.MUTED),
                              (self.title_label, theme.INK), (self.check_heading, theme.INK),
                              (self.question_label, theme.INK), (self.answer_label, theme.INK)):
            label.setStyleSheet(f"color: {colour};")

    def _apply_fonts(self) -> None:
        size = self._point_size
        self.title_label.setFont(theme.font(size * TITLE_SCALE, bold=True))
        self.text.setFont(theme.font(size * TEXT_SCALE))
        self.text.document().setDefaultFont(theme.font(size * TEXT_SCALE))
        self.question_label.setFont(theme.font(size * TEXT_SCALE))
        self.answer_label.setFont(theme.font(size * TEXT_SCALE))
        self.check_heading.setFont(theme.font(size * SMALL_SCALE, bold=True))
        for widget in (self.progress_label, self.status_label, self.answer_button, self.previous_button,
                       self.next_button):
            widget.setFont(theme.font(size * SMALL_SCALE, bold=widget is self.progress_label))
        self._filled_with = None        # the document's font changed: lay the text out again
        self._fill_text()
        self.updateGeometry()

    # ------------------------------------------------------------ moving through the lesson
    @property
    def lesson(self) -> Lesson:
        return self.lessons[self.index]

    @property
    def parts(self) -> frozenset[str]:
        """The diagram parts the step on screen talks about."""
        return self.lesson.parts

    def next(self) -> None:
        self.set_step(self.index + 1)

    def previous(self) -> None:
        self.set_step(self.index - 1)

    def set_step(self, index: int) -> None:
        """Show step index (clamped), highlight its parts and drive the computation to its phase."""
        index = max(0, min(index, len(self.lessons) - 1))
        if index == self.index:
            return
        forward = index > self.index
        self.index = index
        self._show_step()
        self.driver.choose(self.lesson.phase, forward)
        # With a request in flight, its answer starts the new drive: never two requests at once.
        if self.snapshot is not None and not self.driver.waiting:
            self._drive(self.snapshot)

    def set_lessons(self, lessons: LessonSet, step: int = 0, drive: bool = True) -> None:
        """Another lesson (a teacher's own, or the built-in one again), at step (its first by default); drive:
        the step drives the network to its phase, else (a lesson opened with its own run) it only follows it."""
        self.driver.stop()
        self.lesson_set, self.lessons = lessons, lessons.lessons
        self.index = max(0, min(step, len(self.lessons) - 1))
        self._show_step()
        if drive:
            self.driver.choose(self.lesson.phase, True)
        if self.snapshot is not None:
            (self._drive if drive else self._follow)(self.snapshot)

    def set_waiting(self, text: str | None) -> None:
        """While the lesson's run is being set up (text says so), the lesson neither drives nor follows."""
        self._waiting = text
        self.driver.stop()
        if text:
            self.set_status(text)

    @property
    def driving(self) -> bool:
        """True while the step on screen is still moving the network to its phase."""
        return self.driver.driving

    def stop(self) -> None:
        """Stop driving the computation (the window calls this if it could not send a request)."""
        self.driver.stop()

    def set_asks(self, on: bool) -> None:
        """Predict mode: the phase a step teaches is asked about before it is shown."""
        self.driver.asks = bool(on)

    def set_projected(self, on: bool) -> None:
        """Presenter mode projects the lesson as a caption: its parts stay emphasised while its dock is hidden."""
        self.projected = bool(on)
        self.emphasisRequested.emit(self.parts if self.projected or self.isVisible() else frozenset())

    def example_found(self, subset: str | None, index: int = 0, why: str = "") -> None:
        """The example a predict step asked for (subset None: none; why says so)."""
        requests = self.driver.found(subset, index)
        if why:
            self.set_status(why)
        if requests:
            self._send(requests)
        elif self.snapshot is not None and self.driver.driving and not self.driver.waiting:
            self._drive(self.snapshot)

    def _show_step(self) -> None:
        lesson = self.lesson
        self.progress_label.setText(f"Step {self.index + 1} of {len(self.lessons)}")
        self.answer_button.setChecked(False)      # a new question starts with its answer hidden
        self.previous_button.setEnabled(self.index > 0)
        self.previous_action.setEnabled(self.index > 0)
        self.next_button.setEnabled(self.index < len(self.lessons) - 1)
        self.next_action.setEnabled(self.index < len(self.lessons) - 1)
        self.status_label.setText("")
        self._filled_with = None
        self._fill_text()
        if self.isVisible() or self.projected:
            self.emphasisRequested.emit(lesson.parts)
        self.changed.emit()

    def _fill_text(self) -> None:
        lesson = self.lesson
        names = sorted(lesson.placeholders)
        values = placeholder_values(self.snapshot, names)
        key = (self.index, tuple(values.values()))
        if key == self._filled_with:
            return          # unchanged: setMarkdown would only reset the scroll position
        self._filled_with = key
        self.title_label.setText(fill(lesson.title, values))
        self.text.setMarkdown(fill(lesson.body, values))
        self.question_label.setText(fill(lesson.question, values))
        self.answer_label.setText(fill(lesson.answer, values))
        self.changed.emit()

    def caption(self) -> Caption:
        """The step on screen as presenter mode projects it: title, the body in short, the question."""
        lesson = self.lesson
        values = placeholder_values(self.snapshot, sorted(lesson.placeholders))
        return Caption(self.progress_label.text(), self.title_label.text(), fill(lesson.short, values),
                       self.question_label.text(), self.answer_label.text(), self.answer_button.isChecked(),
                       self.status_label.text())

    def _show_answer(self, on: bool) -> None:
        self.answer_label.setVisible(on)
        self.answer_button.setText("Hide answer" if on else "Show answer")
        self.answer_button.setToolTip("Hide the answer again" if on else "Reveal the answer to the question")
        self.changed.emit()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.emphasisRequested.emit(self.lesson.parts)

    def hideEvent(self, event) -> None:
        super().hideEvent(event)
        if not self.projected:
            self.emphasisRequested.emit(frozenset())     # a lesson out of sight highlights nothing

    # ------------------------------------------------------------ driving the computation
    def set_status(self, text: str) -> None:
        if text != self.status_label.text():
            self.status_label.setText(text)
            self.changed.emit()

    def _drive(self, snapshot: Snapshot) -> None:
        requests, status = self.driver.on_snapshot(snapshot)
        if status is not None:
            self.set_status(status)
        self._send(requests)

    def _send(self, requests: list[Request]) -> None:
        for request in requests:
            if request.kind == "play":
                self.playRequested.emit(int(request.value))
            elif request.kind == "pause":
                self.pauseRequested.emit()
            elif request.kind == "find":
                self.exampleWanted.emit(str(request.value))
            elif request.kind == "select":
                self.exampleRequested.emit(*request.value)
            else:
                self.stepRequested.emit(request.kind)

    def _follow(self, snapshot: Snapshot) -> None:
        """The network was moved by hand (→, ←, the timeline, a reset): go to the step that teaches where it is,
        the nearest one, or say plainly that it has left the lesson. While it plays, the lesson waits."""
        if snapshot.playing:
            self.set_status("The network is playing: the lesson follows it when it stops.")
            return
        if teaches(self.lesson.phase, snapshot.phase):
            return
        steps = [i for i, lesson in enumerate(self.lessons) if teaches(lesson.phase, snapshot.phase)]
        if steps:
            self.index = min(steps, key=lambda i: (abs(i - self.index), i))
            self._show_step()
            self.set_status(f"Following the network: {arrived_text(snapshot)[len('Computed: '):]}"
                             if snapshot.phase else "Following the network: nothing computed yet.")
        elif snapshot.phase is not None:
            iteration = snapshot.iteration - (snapshot.phase == "update") + 1
            self.set_status(f"The network has left the lesson: it is at {snapshot.phase} of iteration {iteration}, "
                             f"which no step of this lesson teaches. Next or Previous brings it back.")
