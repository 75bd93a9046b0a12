"""The window's words about the run: the status bar (iteration, phase, loss, accuracy, α, speed, dataset) and the
message strips above the diagram (divergence, errors, the GIF export's progress). Views like the others: they
show what a snapshot or a signal says."""
from __future__ import annotations

from html import escape

from PyQt6.QtCore import Qt, QTimer
from PyQt6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QStatusBar, QWidget

from visualizer import appearance, theme
from visualizer.snapshot import Snapshot
from visualizer.views.confirm_bar import steady_text


class Banner(QFrame):
    """A non-modal message strip at the top of the window, with an optional action button and a close button."""

    def __init__(self, name: str, tone: str, parent: QWidget | None = None):
        """tone: "alarm" or "notice" (assets/styles/common.qss colours it in every theme)."""
        super().__init__(parent)
        self.setObjectName(name)
        self.setAccessibleName(name)
        appearance.set_tone(self, tone)
        self.text = QLabel()
        self.text.setObjectName(f"{name}Text")
        self.text.setWordWrap(True)
        self.text.setTextFormat(Qt.TextFormat.RichText)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.button = QPushButton()
        self.button.setObjectName(f"{name}Action")
        self.button.hide()
        close = QPushButton("✕")
        close.setObjectName(f"{name}Close")
        close.setToolTip("Hide this message")
        close.setAccessibleName("Hide this message")
        close.setFlat(True)
        close.clicked.connect(self.hide)
        layout = QHBoxLayout(self)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.button)
        layout.addWidget(close)
        self.hide()

    def show_message(self, text: str, button_text: str | None = None) -> None:
        """text is rich text (escape what the user or a file supplied)."""
        self.text.setText(text)
        self.button.setVisible(button_text is not None)
        if button_text:
            self.button.setText(button_text)
            self.button.setToolTip(button_text)
            self.button.setAccessibleName(button_text)
        self.show()


class DivergenceBanner(Banner):
    """What went wrong when training diverged, with a button back to the last good iteration."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__("divergenceBanner", "alarm", parent)
        self.good_iteration = 0

    def show_divergence(self, message: str, good_iteration: int) -> None:
        self.good_iteration = good_iteration
        headline, _, rest = message.partition(":")
        self.show_message(f"<b>{escape(headline)}.</b> {escape(rest.strip())}",
                          f"Go back to iteration {good_iteration}")


class BusyBanner(Banner):
    """What the worker is busy with, over the diagram, once it has taken a second: the status bar says it at
    once, but presenter mode hides the status bar, and the kernels' first compile takes half a minute."""

    DELAY_MS = 1000

    def __init__(self, parent: QWidget | None = None):
        super().__init__("busyBanner", "notice", parent)
        self._busy_with = ""
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(self.DELAY_MS)
        self._timer.timeout.connect(self._show)

    def busy(self, text: str) -> None:
        """"loading …" while a slow request runs, "" when it is done."""
        self._busy_with = text
        if text:
            self._timer.start()
        else:
            self._timer.stop()
            self.hide()

    def _show(self) -> None:
        if self._busy_with:
            self.show_message(escape(self._busy_with))


def caption(text: str) -> QLabel:
    """A muted caption before a control or a value."""
    label = QLabel(f" {text} ")
    label.setStyleSheet(f"color: {theme.MUTED};")
    return label


class StatusView:
    """The status bar's permanent labels; each shows one value of the snapshot on screen."""

    def __init__(self, bar: QStatusBar) -> None:
        self.bar = bar
        bar.setObjectName("statusBar")
        caption = self._label("iterationCaption", "Completed iterations (updates applied)", "Iteration")
        caption.setStyleSheet(f"color: {theme.MUTED};")
        self.iteration = self._label("iterationLabel", "Completed iterations (updates applied)", "0")
        self.iteration.setFont(theme.font(theme.BASE_POINT_SIZE + 1, bold=True))
        phase_caption = self._label("phaseCaption", "The last phase computed", "Phase")
        phase_caption.setStyleSheet(f"color: {theme.MUTED};")
        self.phase = self._label("phaseLabel", "The last phase computed")
        self.phase.setFont(theme.font(theme.BASE_POINT_SIZE + 1, bold=True))
        self.loss = self._label("lossLabel", "Cross-entropy loss of the last iteration")
        self.accuracy = self._label("accuracyLabel", "Accuracy on the training batch and the dev set")
        self.learning_rate = self._label("learningRateLabel", "Learning rate α")
        self.timing = self._label("timingLabel", "Milliseconds per iteration")
        self.dataset = self._label("datasetLabel", "Dataset and its sizes")
        # A notice ("Loaded weights from …") gets the dataset's room while it shows: the window's title names the
        # dataset too, and without it a notice in a 1200-pixel window was cut after a few words.
        bar.messageChanged.connect(lambda text: self.dataset.setVisible(not text))

    def _label(self, name: str, tip: str, text: str = "—") -> QLabel:
        label = QLabel(text)
        label.setObjectName(name)
        label.setToolTip(tip)
        label.setAccessibleName(tip)
        self.bar.addPermanentWidget(label)
        return label

    def show_snapshot(self, s: Snapshot, numbers: bool = True) -> bool:
        """Show the snapshot's numbers (their labels only grow while playing: no layout per frame); True when the
        dataset changed. numbers False (a playing frame the frame policy does not count in) keeps the numbers
        shown, so that they change together with the timeline's and the curves'."""
        if numbers:
            self._show_numbers(s)
        dataset = f"{s.dataset_name} · {s.train_size:,} train · {s.dev_size:,} dev"
        if self.dataset.text() == dataset:      # the same at every frame while playing
            return False
        self.dataset.setText(dataset)
        return True

    def _show_numbers(self, s: Snapshot) -> None:
        steady_text(self.iteration, str(s.iteration))
        steady_text(self.phase, s.phase or "—")
        steady_text(self.loss, "loss —" if s.loss is None else f"loss {s.loss:.4f}")
        accuracy = "train —" if s.train_accuracy is None else f"train {s.train_accuracy:.1%}"
        if s.dev_size:
            accuracy += " · dev —" if s.dev_accuracy is None else f" · dev {s.dev_accuracy:.1%}"
        steady_text(self.accuracy, accuracy)
        steady_text(self.learning_rate, f"α = {s.alpha:g}")
        steady_text(self.timing, "— ms/iteration" if s.ms_per_iteration is None
                    else f"{s.ms_per_iteration:.1f} ms/iteration")

    def busy(self, text: str) -> None:
        """"loading …" while a slow request runs, "" when it is done."""
        if text:
            self.bar.showMessage(text)
        else:
            self.bar.clearMessage()

    def notice(self, text: str, milliseconds: int = 8000) -> None:
        self.bar.showMessage(text, milliseconds)
