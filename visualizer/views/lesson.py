"""The guided lesson: the story of the network in short steps, each one highlighting its part of the diagram
and driving the real computation to the phase it talks about.

The texts are Markdown files in visualizer/assets/lessons/, one per step, sorted by name. Each begins with one line

    <!-- phase: Z1; parts: input W1 b1 hidden -->

(phase: "none", one of core.network.PHASES, "loop" or "predict"; parts: the diagram parts it talks about),
then "# Title", the body, and a "## Check yourself" question followed by "### Answer". Placeholders such as
{m} and {H} are filled in from the snapshot shown, so the shapes in the text are the real ones.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Mapping

from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtGui import QAction, QColor, QKeySequence
from PyQt6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QTextBrowser, QVBoxLayout, QWidget

from core import network
from visualizer import assets, phases, theme
from visualizer.snapshot import Snapshot

if TYPE_CHECKING:
    from importlib.abc import Traversable

LESSONS = assets.asset(assets.LESSONS)    # the built-in lesson: a folder, read through importlib.resources
PARTS: frozenset[str] = phases.DIAGRAM_PARTS
PHASES: tuple[str | None, ...] = (None, *network.PHASES, "loop", "predict")
LOOP_ITERATIONS = 10        # the gradient-descent step runs this many iterations, enough for the curves to move
PREDICT_PHASE = "A2"        # prediction is the forward pass: the lesson shows it by computing up to A2

# Type sizes relative to the view's point size: a projector needs body text larger than the window's labels.
TITLE_SCALE = 1.35
TEXT_SCALE = 1.2
SMALL_SCALE = 1.0

ACTIVATION_NAMES = {"relu": "ReLU", "leaky_relu": "leaky ReLU", "sigmoid": "sigmoid", "tanh": "tanh"}
# What a placeholder reads before the first snapshot: the symbol itself, as on a blackboard.
SYMBOLS = {"m": "m", "H": "H", "train_size": "all the", "alpha": "α", "g": "g",
           "parameters": "784·H + H + 10·H + 10", "label": "?", "prediction": "?", "confidence": "?", "loop_iterations": str(LOOP_ITERATIONS)}
PLACEHOLDER = re.compile(r"\{(\w+)\}")
FRONT_MATTER = re.compile(r"<!--\s*phase:\s*(?P<phase>[\w-]+)\s*;\s*parts:\s*(?P<parts>[^>]*?)\s*-->")
CHECK_HEADING = "## Check yourself"
ANSWER_HEADING = "### Answer"


class LessonError(ValueError):
    """A lesson file that does not follow the format; the message names the file and what is wrong."""


@dataclass(frozen=True)
class Lesson:
    name: str                   # the file's stem, e.g. "03-z1"
    title: str
    phase: str | None           # None, one of network.PHASES, "loop" or "predict"
    parts: frozenset[str]       # the diagram parts it talks about
    body: str                   # Markdown, with placeholders
    question: str
    answer: str

    @property
    def placeholders(self) -> frozenset[str]:
        return frozenset(PLACEHOLDER.findall(self.title + self.body + self.question + self.answer))


def parse_lesson(text: str, name: str) -> Lesson:
    """One lesson from the text of its Markdown file; raises LessonError with what is wrong."""
    lines = text.strip().splitlines()
    header = FRONT_MATTER.fullmatch(lines[0].strip()) if lines else None
    if header is None:
        raise LessonError(f"{name}: the first line must be <!-- phase: …; parts: … -->")
    phase = None if header["phase"] == "none" else header["phase"]
    if phase not in PHASES:
        raise LessonError(f"{name}: unknown phase {header['phase']!r}: use none, "
                          f"{', '.join(network.PHASES)}, loop or predict")
    parts = frozenset(header["parts"].split())
    if not parts or not parts <= PARTS:
        raise LessonError(f"{name}: parts {sorted(parts - PARTS) or '(none)'} are not parts of the diagram "
                          f"({', '.join(sorted(PARTS))})")
    rest = "\n".join(lines[1:]).strip()
    if not rest.startswith("# "):
        raise LessonError(f"{name}: the second line must be the title, '# …'")
    title, _, rest = rest.partition("\n")
    body, check, rest = rest.partition(CHECK_HEADING)
    question, answered, answer = rest.partition(ANSWER_HEADING)
    if not check or not answered or not question.strip() or not answer.strip():
        raise LessonError(f"{name}: needs a '{CHECK_HEADING}' question followed by an '{ANSWER_HEADING}'")
    return Lesson(name, title[2:].strip(), phase, parts, body.strip(), question.strip(), answer.strip())


def load_lessons(folder: Path | Traversable = LESSONS) -> tuple[Lesson, ...]:
    """Every lesson in folder, in the order of their file names."""
    paths = sorted((path for path in folder.iterdir() if path.name.endswith(".md")), key=lambda path: path.name)
    if not paths:
        raise LessonError(f"{folder}: no lesson files (*.md)")
    lessons = []
    for path in paths:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise LessonError(f"{path}: cannot be read as UTF-8 text ({error})") from None
        try:
            lessons.append(parse_lesson(text, stem(path)))
        except LessonError as error:
            # parse_lesson names the lesson; a teacher editing the files needs the whole path.
            raise LessonError(str(error).replace(stem(path), str(path), 1)) from None
    return tuple(lessons)


def stem(path: Path | Traversable) -> str:
    """The file's name without its ending (a Traversable inside a zip has no .stem)."""
    return path.name.rsplit(".", 1)[0]


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
    }
    return {name: readers[name]() if name in readers else SYMBOLS.get(name, name) for name in names}


def fill(text: str, values: Mapping[str, str]) -> str:
    """text with each {name} in values replaced; other braces are left as written."""
    return PLACEHOLDER.sub(lambda match: values.get(match[1], match[0]), text)


def position(snapshot: Snapshot) -> int:
    """Phases computed since the start: the update of iteration i ends at (i + 1)·11, with phases_done back at 0."""
    return snapshot.iteration * len(network.PHASES) + snapshot.phases_done


def phase_position(phase: str, here: int, forward: bool) -> int:
    """The position right after phase is computed that lies nearest to here (ties go the way the lesson moves)."""
    count = len(network.PHASES)
    offset = network.PHASES.index(phase) + 1         # a position just after phase is i·11 + offset, i ≥ 0
    below = here - (here - offset) % count
    candidates = [p for p in (below, below + count) if p >= offset]
    return min(candidates, key=lambda p: (abs(p - here), p < here if forward else p > here))


class LessonPanel(QWidget):
    """The guided lesson: one step's text, its question, Previous / Next; each step drives the network to its phase."""

    emphasisRequested = pyqtSignal(object)   # frozenset of diagram parts the step talks about (empty: none)
    stepRequested = pyqtSignal(str)          # "phase", "back" or "iteration", one per snapshot received

    def __init__(self, parent: QWidget | None = None, lessons: tuple[Lesson, ...] | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("lessonView")
        self.setAccessibleName("Guided lesson")
        self.setToolTip("The story of the network, one step at a time; each step computes what it explains")
        self.lessons = lessons if lessons is not None else load_lessons()
        self.index = 0
        self.snapshot: Snapshot | None = None
        self._point_size = float(theme.BASE_POINT_SIZE)
        self._filled_with: tuple | None = None    # the placeholder values the text on screen was filled with
        # Driving the computation: where the step wants the network, and the position when the one request in
        # flight was sent (None: no request in flight).
        self._goal: tuple[str, int] | None = None  # ("position", p) or ("iteration", i)
        self._goal_pending = False                 # a step was chosen before any snapshot arrived
        self._forward = True
        self._asked_at: int | None = None

        self.progress_label = self._label("lessonProgress", "Which step of the lesson this is", theme.MUTED)
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
        check_layout = QVBoxLayout(self.check_box)
        check_layout.setContentsMargins(10, 6, 10, 8)
        check_layout.addWidget(self.check_heading)
        check_layout.addWidget(self.question_label)
        check_layout.addWidget(self.answer_button, 0, Qt.AlignmentFlag.AlignLeft)
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
        buttons.addStretch(1)
        buttons.addWidget(self.next_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 6, 10, 6)
        layout.setSpacing(4)
        layout.addWidget(self.progress_label)
        layout.addWidget(self.title_label)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.check_box)
        layout.addWidget(self.status_label)
        layout.addLayout(buttons)
        self.setAutoFillBackground(True)
        self.set_theme()
        self._apply_fonts()
        self._show_step()

    # ------------------------------------------------------------ building
    def _label(self, name: str, tip: str, colour: str, parent: QWidget | None = None) -> QLabel:
        label = QLabel(parent or self)
        label.setObjectName(name)
        label.setAccessibleName(tip)
        label.setToolTip(tip)
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
        if fresh:
            self._drive(snapshot)

    def set_theme(self) -> None:
        """Colour the panel with theme.py's current colours (the window calls this after a theme switch)."""
        palette = self.palette()
        palette.setColor(self.backgroundRole(), QColor(theme.PAPER))
        self.setPalette(palette)
        self.text.setStyleSheet(f"QTextBrowser {{ background: {theme.PAPER}; color: {theme.INK}; }}")
        self.check_box.setStyleSheet(f"QFrame#checkYourself {{ background: {theme.PANEL}; border-radius: 6px; }}")
        for label, colour in ((self.progress_label, theme.MUTED), (self.status_label, theme.MUTED),
                              (self.title_label, theme.INK), (self.check_heading, theme.INK),
                              (self.question_label, theme.INK), (self.answer_label, theme.INK)):
            label.setStyleSheet(f"color: {colour};")

    def set_presenter_mode(self, on: bool) -> None:
        self._point_size = float(theme.PRESENTER_POINT_SIZE if on else theme.BASE_POINT_SIZE)
        self._apply_fonts()

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
        self._forward = index > self.index
        self.index = index
        self._show_step()
        self._goal, self._goal_pending = None, self.lesson.phase is not None
        # With a request in flight, its answer starts the new drive: never two requests at once.
        if self.snapshot is not None and self._asked_at is None:
            self._drive(self.snapshot)

    @property
    def driving(self) -> bool:
        """True while the step on screen is still moving the network to its phase."""
        return self._goal is not None or self._goal_pending or self._asked_at is not None

    def stop(self) -> None:
        """Stop driving the computation (the window calls this if it could not send a request)."""
        self._goal, self._goal_pending, self._asked_at = None, False, None

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
        if self.isVisible():
            self.emphasisRequested.emit(lesson.parts)

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

    def _show_answer(self, on: bool) -> None:
        self.answer_label.setVisible(on)
        self.answer_button.setText("Hide answer" if on else "Show answer")
        self.answer_button.setToolTip("Hide the answer again" if on else "Reveal the answer to the question")

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.emphasisRequested.emit(self.lesson.parts)

    def hideEvent(self, event) -> None:
        super().hideEvent(event)
        self.emphasisRequested.emit(frozenset())     # a lesson out of sight highlights nothing

    # ------------------------------------------------------------ driving the computation
    def _set_goal(self, snapshot: Snapshot) -> None:
        phase, here = self.lesson.phase, position(snapshot)
        if phase == "loop" and self._forward:
            self._goal = ("iteration", snapshot.iteration + LOOP_ITERATIONS)
        elif phase is not None:
            # Going back into the loop step means going back to where the loop ended: after an update.
            target = {"loop": "update", "predict": PREDICT_PHASE}.get(phase, phase)
            self._goal = ("position", phase_position(target, here, self._forward))

    def _request(self, snapshot: Snapshot) -> str | None:
        """The next request towards the goal, None once there."""
        kind, target = self._goal
        if kind == "iteration":
            done = snapshot.iteration >= target and snapshot.phases_done == 0
            return None if done else "iteration"
        here = position(snapshot)
        return None if here == target else "phase" if here < target else "back"

    def _drive(self, snapshot: Snapshot) -> None:
        if self._asked_at is not None:
            # This snapshot answers the request in flight: if nothing moved, going on would ask forever.
            stuck = position(snapshot) == self._asked_at
            self._asked_at = None
            if stuck and self._goal is not None:
                self._goal = None
                self.status_label.setText("The network cannot go further this way (the start of the history).")
                return
        if self._goal_pending:
            self._goal_pending = False
            self._set_goal(snapshot)
        if self._goal is None:
            return
        if snapshot.playing or snapshot.diverged:
            self._goal = None          # the user took over, or the run broke: the lesson stops stepping
            self.status_label.setText("Stopped: the network is playing or the run diverged.")
            return
        request = self._request(snapshot)
        if request is None:
            self._goal = None
            self.status_label.setText(self._arrived_text(snapshot))
            return
        self.status_label.setText("Computing…")
        self._asked_at = position(snapshot)
        self.stepRequested.emit(request)

    def _arrived_text(self, snapshot: Snapshot) -> str:
        phase = snapshot.phase
        if phase is None:
            return "Nothing computed yet."
        iteration = snapshot.iteration - 1 if phase == "update" else snapshot.iteration
        return f"Computed: {phase} of iteration {iteration + 1}."
