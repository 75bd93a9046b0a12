"""Predict mode's panel: the question about the phase about to be shown, its four options as buttons (keys 1–4,
lettered A–D for a show of hands), then whether the prediction was right, the true value and why, and the tally.

It shows what it is given: a question (ask), a kept prediction (show_kept) or nothing. Which question, when, and
the keeping of predictions along the timeline are visualizer/prediction.py's.
"""
from __future__ import annotations

from dataclasses import dataclass

from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtWidgets import QFrame, QGridLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from core.predict import LETTERS, Question
from visualizer import appearance, theme

OPTION_KEYS = "1234"


@dataclass(frozen=True)
class Prediction:
    """A question and what became of it: the option chosen (None: revealed without a choice) and the room's votes."""
    question: Question
    choice: int | None
    votes: tuple[int, ...] | None = None

    @property
    def right(self) -> bool | None:
        return None if self.choice is None else self.choice == self.question.answer


def parse_votes(text: str) -> tuple[int, ...] | None:
    """"3 12 5 0" (or with commas) as four counts; None for anything else."""
    parts = text.replace(",", " ").split()
    if len(parts) != len(LETTERS) or not all(part.isdigit() for part in parts):
        return None
    return tuple(int(part) for part in parts)


class PredictionPanel(QFrame):
    """predictionPanel: predictionQuestion, predictionOptions (buttons predictionOptionA … D), predictionResult,
    predictionScore, predictionVotes (the room's counts, typed by the teacher)."""

    chosen = pyqtSignal(int)            # an option, 0–3
    snapshotShown = pyqtSignal(object)  # the view contract, handed on to visualizer/prediction.py
    presenterModeChanged = pyqtSignal(bool)
    revealRequested = pyqtSignal()      # show the phase without choosing
    votesEntered = pyqtSignal(object)   # a tuple of four counts

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("predictionPanel")
        self.setAccessibleName("Predict the next phase")
        self.setToolTip("Predict mode: a question about the phase about to be computed, then the phase itself")
        appearance.set_tone(self, "question")
        self._presenter = False
        self.question: Question | None = None
        self.heading = self._label("predictionHeading", "Predict mode")
        self.question_label = self._label("predictionQuestion", "The question about the next phase")
        self.options = QWidget(self)
        self.options.setObjectName("predictionOptions")
        self.options.setAccessibleName("The four options")
        self.buttons: list[QPushButton] = []
        grid = QGridLayout(self.options)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(6)
        for i, letter in enumerate(LETTERS):
            button = QPushButton(self.options)
            button.setObjectName(f"predictionOption{letter}")
            button.setToolTip(f"Choose {letter} (key {OPTION_KEYS[i]})")
            button.setFocusPolicy(Qt.FocusPolicy.TabFocus)      # the arrow keys keep stepping the network
            button.clicked.connect(lambda checked=False, choice=i: self.chosen.emit(choice))
            button.setStyleSheet("text-align: left; padding: 4px 8px;")
            self.buttons.append(button)
            grid.addWidget(button, i, 0)        # one a line: an option can be a sentence
        self.result = self._label("predictionResult", "Whether the prediction was right, the true value and why")
        self.score = self._label("predictionScore", "Predictions right so far")
        self.reveal = QPushButton("Show without answering (PageDown)", self)
        self.reveal.setObjectName("predictionReveal")
        self.reveal.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self.reveal.clicked.connect(self.revealRequested)
        self.votes = QLineEdit(self)
        self.votes.setObjectName("predictionVotes")
        self.votes.setPlaceholderText("the room's votes for A B C D, e.g. 3 12 5 0, then Enter")
        self.votes.setAccessibleName("How the room voted")
        self.votes.returnPressed.connect(self._votes_entered)
        self.votes.hide()
        foot = QHBoxLayout()
        foot.addWidget(self.score, 1)
        foot.addWidget(self.reveal)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 6, 10, 8)
        layout.setSpacing(4)
        for widget in (self.heading, self.question_label, self.options, self.result, self.votes):
            layout.addWidget(widget)
        layout.addLayout(foot)
        self._apply_fonts()
        self.clear()

    def _label(self, name: str, tip: str) -> QLabel:
        label = QLabel(self)
        label.setObjectName(name)
        label.setAccessibleName(tip)
        label.setWordWrap(True)
        label.setTextFormat(Qt.TextFormat.PlainText)
        return label

    # ------------------------------------------------------------ what it shows
    def ask(self, question: Question, votes: tuple[int, ...] | None = None) -> None:
        """A question open: its options enabled, the phase held back until one is chosen (or PageDown)."""
        self.question = question
        self.heading.setText(f"Predict: {question.phase} is next")
        self.question_label.setText(question.text)
        self._show_options(question, None, votes)
        self.result.hide()
        self.reveal.show()
        self.show()

    def show_kept(self, prediction: Prediction) -> None:
        """A prediction made earlier at this point of the timeline, beside what happened."""
        question = self.question = prediction.question
        self.heading.setText(f"Predicted before {question.phase} was shown")
        self.question_label.setText(question.text)
        self._show_options(question, prediction, prediction.votes)
        truth = f"{question.letter}) {question.truth}"
        if prediction.choice is None:
            verdict, tone = f"Shown without a prediction. It is {truth}.", "muted"
        elif prediction.right:
            verdict, tone = f"✓ Right: {truth}.", "right"
        else:
            verdict, tone = f"✗ Not quite: you chose {LETTERS[prediction.choice]}, it is {truth}.", "wrong"
        self.result.setText(f"{verdict} {question.why}")
        appearance.set_tone(self.result, tone)
        self.result.show()
        self.reveal.hide()
        self.show()

    def waiting(self) -> None:
        """Predict mode on, nothing asked here: say what the next step does."""
        self.question = None
        self.heading.setText("Predict mode")
        self.question_label.setText("Press → (or PageDown): a question about the next phase comes first.")
        self.options.hide()
        self.result.hide()
        self.reveal.hide()
        self.show()

    def clear(self) -> None:
        self.question = None
        self.hide()

    def set_score(self, right: int, answered: int) -> None:
        self.score.setText(f"{right} of {answered}" if answered else "no predictions yet")
        self.score.setToolTip(f"{right} of {answered} predictions right (PageDown without a choice does not count)")

    def enter_votes(self) -> None:
        """Show the field for the room's votes (the teacher counts the hands)."""
        self.votes.show()
        self.votes.setFocus()

    def _votes_entered(self) -> None:
        votes = parse_votes(self.votes.text())
        if votes is None:
            self.votes.setToolTip("Four whole numbers, one per option, e.g. 3 12 5 0")
            return
        self.votes.clear()
        self.votes.hide()
        self.votesEntered.emit(votes)

    def _show_options(self, question: Question, prediction: Prediction | None, votes: tuple[int, ...] | None) -> None:
        total = sum(votes) if votes else 0
        for i, (button, option) in enumerate(zip(self.buttons, question.options)):
            count = f"   · {votes[i]} ({votes[i] / total:.0%})" if votes and total else ""
            mark = ""
            if prediction is not None:
                mark = " ✓" if i == question.answer else " ✗" if i == prediction.choice else ""
            button.setText(f"{LETTERS[i]})  {option}{count}{mark}")
            button.setAccessibleName(f"Option {LETTERS[i]}: {option}")
            button.setEnabled(prediction is None)
            button.setProperty("answer", prediction is not None and i == question.answer)
        self.options.show()

    # ------------------------------------------------------------ the view contract
    def show_snapshot(self, snapshot) -> None:
        """What this panel shows at a snapshot is the controller's to decide (visualizer/prediction.py)."""
        self.snapshotShown.emit(snapshot)

    def set_theme(self) -> None:
        appearance.set_tone(self, "question")

    def set_presenter_mode(self, on: bool) -> None:
        self._presenter = bool(on)
        self._apply_fonts()
        self.presenterModeChanged.emit(self._presenter)

    def _apply_fonts(self) -> None:
        size = float(theme.PRESENTER_POINT_SIZE if self._presenter else theme.BASE_POINT_SIZE)
        self.heading.setFont(theme.font(size, bold=True))
        self.question_label.setFont(theme.font(size * 1.1, bold=self._presenter))
        for button in self.buttons:
            button.setFont(theme.font(size * 1.1))
        for widget in (self.result, self.score, self.reveal, self.votes):
            widget.setFont(theme.font(size * 0.9))
