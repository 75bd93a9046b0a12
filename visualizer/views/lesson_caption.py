"""The lesson as presenter mode projects it: beside the diagram, the step's title, its text in short, its
"Check yourself" question and, on request, the answer; and what the lesson is doing (computing, following the
network, or that the network has left it). It shows the LessonPanel's Caption it is given."""
from __future__ import annotations

from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtWidgets import QFrame, QLabel, QVBoxLayout, QWidget

from visualizer import appearance, theme
from visualizer.views.confirm_bar import described
from visualizer.views.lesson import Caption


class LessonCaption(QFrame):
    """presenterCaption: presenterCaptionProgress, presenterCaptionTitle, presenterCaptionText,
    presenterCaptionQuestion, presenterCaptionAnswer (hidden until asked for), presenterCaptionStatus."""

    snapshotShown = pyqtSignal(object)          # the view contract, handed on to visualizer/lesson_control.py
    presenterModeChanged = pyqtSignal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        described(self, "presenterCaption", "The lesson's step",
                  "The lesson's step, projected: its title, its text in short and its question")
        appearance.set_tone(self, "question")
        self.progress = self._label("presenterCaptionProgress", "muted")
        self.title = self._label("presenterCaptionTitle")
        self.text = self._label("presenterCaptionText")
        self.question = self._label("presenterCaptionQuestion")
        self.answer = self._label("presenterCaptionAnswer")
        self.status = self._label("presenterCaptionStatus", "muted")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 10)
        layout.setSpacing(6)
        for label in (self.progress, self.title, self.text, self.question, self.answer, self.status):
            layout.addWidget(label)
        self.set_point_size(theme.PRESENTER_POINT_SIZE)
        self.hide()

    def _label(self, name: str, tone: str | None = None) -> QLabel:
        label = QLabel(self)
        label.setObjectName(name)
        label.setWordWrap(True)
        label.setTextFormat(Qt.TextFormat.PlainText)
        if tone:
            appearance.set_tone(label, tone)
        return label

    def show_caption(self, caption: Caption, answer_key: str, brief: bool = False) -> None:
        """brief: without the step's text (a prediction's verdict needs the room beside the diagram)."""
        self.progress.setText(caption.progress)
        self.title.setText(caption.title)
        self.text.setText(caption.short)
        self.question.setText(f"Check yourself: {caption.question}")
        self.answer.setText(f"Answer: {caption.answer}" if caption.answer_shown
                            else f"({answer_key} shows the answer)")
        appearance.set_tone(self.answer, None if caption.answer_shown else "muted")
        self.status.setText(caption.status)
        self.text.setVisible(not brief)
        self.status.setVisible(bool(caption.status) and not brief)

    def set_point_size(self, size: float) -> None:
        """Large enough for the back of the room; the title larger, the notes smaller."""
        self.progress.setFont(theme.font(size * 0.75, bold=True))
        self.title.setFont(theme.font(size * 1.1, bold=True))
        for label in (self.text, self.question, self.answer):
            label.setFont(theme.font(size * 0.9))
        self.question.setFont(theme.font(size * 0.9, bold=True))
        self.status.setFont(theme.font(size * 0.7))

    def set_theme(self) -> None:
        appearance.set_tone(self, "question")

    def show_snapshot(self, snapshot) -> None:
        self.snapshotShown.emit(snapshot)

    def set_presenter_mode(self, on: bool) -> None:
        self.presenterModeChanged.emit(bool(on))
