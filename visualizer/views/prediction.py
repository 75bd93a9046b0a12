"""Predict mode's panel: the question about the phase about to be shown, its four options as buttons (keys 1–4,
lettered A–D for a show of hands), then whether the prediction was right, the true value and why, and the tally.

It shows what it is given: a question (ask), a kept prediction (show_kept) or nothing. Which question, when, and
the keeping of predictions along the timeline are visualizer/prediction.py's.
"""
from __future__ import annotations

from dataclasses import dataclass

from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtWidgets import QBoxLayout, QFrame, QGridLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from core.predict import LETTERS, Question
from visualizer import appearance, theme

from .confirm_bar import described

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
    stateChanged = pyqtSignal(str)      # what it shows now: "asking", "kept", "waiting" or "none"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        described(self, "predictionPanel", "Predict the next phase",
                  "Predict mode: a question about the phase about to be computed, then the phase itself")
        appearance.set_tone(self, "question")
        self._presenter = False
        self.question: Question | None = None
        self.state = "none"
        self.heading = self._label("predictionHeading", "Predict mode")
        self.question_label = self._label("predictionQuestion", "The question about the next phase")
        self.options = QWidget(self)
        self.options.setObjectName("predictionOptions")
        self.options.setAccessibleName("The four options")
        # Each option: a button with its letter (for a show of hands: "who says B?") and its text, which wraps.
        self.buttons: list[QPushButton] = []
        self.option_labels: list[QLabel] = []
        grid = QGridLayout(self.options)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(8)
        grid.setVerticalSpacing(4)
        for i, letter in enumerate(LETTERS):
            button = QPushButton(letter, self.options)
            button.setObjectName(f"predictionOption{letter}")
            button.setToolTip(f"Choose {letter} (key {OPTION_KEYS[i]})")
            button.setFocusPolicy(Qt.FocusPolicy.TabFocus)      # the arrow keys keep stepping the network
            button.clicked.connect(lambda checked=False, choice=i: self.chosen.emit(choice))
            text = self._label(f"predictionOptionText{letter}", f"Option {letter}")
            text.setToolTip(f"Option {letter} (key {OPTION_KEYS[i]})")
            text.mousePressEvent = lambda event, choice=i: self._clicked(choice)
            self.buttons.append(button)
            self.option_labels.append(text)
        self._arrange(presenter=False)
        self.result = self._label("predictionResult", "Whether the prediction was right, the true value and why")
        self.score = self._label("predictionScore", "Predictions right so far")
        self.score.setWordWrap(False)
        self.reveal = QPushButton("Show it (PageDown)", self)
        self.reveal.setToolTip("Show the phase without answering: not counted in the score")
        self.reveal.setObjectName("predictionReveal")
        self.reveal.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self.reveal.clicked.connect(self.revealRequested)
        self.votes = QLineEdit(self)
        self.votes.setObjectName("predictionVotes")
        self.votes.setPlaceholderText("the room's votes for A B C D, e.g. 3 12 5 0, then Enter")
        self.votes.setAccessibleName("How the room voted")
        self.votes.returnPressed.connect(self._votes_entered)
        self.votes.hide()
        # The score beside its caption; under it in presenter mode, where the column is narrow.
        self.foot = foot = QBoxLayout(QBoxLayout.Direction.LeftToRight)
        self.score_caption = self._label("predictionScoreCaption", "Predictions right so far")
        self.score_caption.setText("Right so far:")
        self.score_caption.setWordWrap(False)
        appearance.set_tone(self.score_caption, "muted")
        foot.addWidget(self.score_caption)
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

    def _clicked(self, choice: int) -> None:
        if self.buttons[choice].isEnabled():
            self.chosen.emit(choice)

    def _arrange(self, presenter: bool) -> None:
        """The options two by two in the window (a low strip over the diagram), one a line in presenter mode
        (a column beside it)."""
        grid: QGridLayout = self.options.layout()
        for i, (button, text) in enumerate(zip(self.buttons, self.option_labels)):
            row, pair = (i, 0) if presenter else divmod(i, 2)
            grid.addWidget(button, row, 2 * pair, Qt.AlignmentFlag.AlignTop)
            grid.addWidget(text, row, 2 * pair + 1)
        for column in range(4):
            grid.setColumnStretch(column, column % 2)

    def _label(self, name: str, tip: str) -> QLabel:
        label = QLabel(self)
        described(label, name, tip, tip)
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
        self.reveal.setVisible(not self._presenter)
        self.show()
        self._set_state("asking")

    def show_kept(self, prediction: Prediction) -> None:
        """A prediction made earlier at this point of the timeline, beside what happened."""
        question = self.question = prediction.question
        self.heading.setText(f"Predicted before {question.phase} was shown")
        self.question_label.setText(question.text)
        self._show_options(question, prediction, prediction.votes)
        right_option = question.options[question.answer]
        truth = f"{question.letter}) {right_option}" + (f": {question.truth}" if question.truth != right_option else "")
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
        # Beside the diagram the verdict names the options chosen and right: the lecture needs the height.
        self.options.setVisible(not self._presenter)
        self.show()
        self._set_state("kept")

    def waiting(self) -> None:
        """Predict mode on, nothing asked here: say what the next step does."""
        self.question = None
        self.heading.setText("Predict mode")
        self.question_label.setText("Press → (or PageDown): a question about the next phase comes first.")
        self.options.hide()
        self.result.hide()
        self.reveal.hide()
        self.show()
        self._set_state("waiting")

    def clear(self) -> None:
        self.question = None
        self.hide()
        self._set_state("none")

    def _set_state(self, state: str) -> None:
        if state != self.state:
            self.state = state
            self.stateChanged.emit(state)

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
        for i, (button, text, option) in enumerate(zip(self.buttons, self.option_labels, question.options)):
            # Non-breaking spaces: a count stays on one line with its share.
            count = f"\u00a0\u00a0·\u00a0{votes[i]}\u00a0({votes[i] / total:.0%})" if votes and total else ""
            mark = ""
            if prediction is not None:
                mark = "  ✓" if i == question.answer else "  ✗" if i == prediction.choice else ""
            text.setText(f"{option}{count}{mark}")
            button.setAccessibleName(f"Option {LETTERS[i]}: {option}")
            button.setEnabled(prediction is None)
            appearance.set_tone(text, "right" if prediction is not None and i == question.answer else None)
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
        self._arrange(self._presenter)
        self.foot.setDirection(QBoxLayout.Direction.TopToBottom if self._presenter else
                               QBoxLayout.Direction.LeftToRight)
        # Beside the diagram the clicker's PageDown shows the phase: the button's room goes to the score.
        self.reveal.setVisible(self.state == "asking" and not self._presenter)
        if self.state == "kept":
            self.options.setVisible(not self._presenter)
        self.presenterModeChanged.emit(self._presenter)

    def _apply_fonts(self) -> None:
        size = float(theme.PRESENTER_POINT_SIZE if self._presenter else theme.BASE_POINT_SIZE)
        self.heading.setFont(theme.font(size * (0.8 if self._presenter else 1.0), bold=True))
        self.question_label.setFont(theme.font(size, bold=self._presenter))
        for button, text in zip(self.buttons, self.option_labels):
            button.setFont(theme.font(size, bold=True))
            button.setFixedWidth(int(size * 3))
            text.setFont(theme.font(size * (0.9 if self._presenter else 1.0)))
        for widget in (self.result, self.score, self.score_caption, self.reveal, self.votes):
            widget.setFont(theme.font(size * 0.9))
