"""The selected example: its 28×28 image, the same pixels as the column of X it is, and a picker."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import QRectF, Qt, pyqtSignal
from PyQt6.QtGui import QKeySequence
from PyQt6.QtWidgets import (QComboBox, QGridLayout, QHBoxLayout, QLabel, QPushButton, QSizePolicy, QSpinBox,
                             QVBoxLayout, QWidget)

from visualizer import theme
from visualizer.snapshot import Snapshot

from .confirm_bar import described

SIDE = 28
SUBSETS = ("train", "dev")
STRIP_CAPTION = "x: its 784 pixels"

# Keys of the picker; the window's global keys (arrows, Space, PageUp/PageDown, Ctrl+R/O/S/E/Q, F11) stay free.
PREVIOUS_KEY = "["
NEXT_KEY = "]"
RANDOM_KEY = "\\"             # the key beside "]" on a US keyboard


class InputView(QWidget, theme.PresenterFonts):
    """Shows snapshot.example and asks for another one with exampleRequested(subset, index)."""

    exampleRequested = pyqtSignal(str, int)

    def __init__(self, parent: QWidget | None = None, seed: int = 0) -> None:
        super().__init__(parent)
        described(self, "inputView", "Input example",
                  "The example pushed through the network: its image and the column of X it is")
        self._rng = np.random.default_rng(seed)
        self._subset = "train"
        self._index = 0
        self._sizes = {"train": 1, "dev": 0}
        self.column_values = np.zeros((SIDE * SIDE, 1))

        self.title = QLabel("Input example", self)
        self.title.setObjectName("inputTitle")
        self.title.setStyleSheet(f"color: {theme.INK};")
        self.verdict = QLabel(self)
        self.verdict.setObjectName("inputVerdict")
        self.verdict.setAccessibleName("Label and prediction of the example")
        self.verdict.setToolTip("The example's true class and the class the network predicts for it")
        self.verdict.setWordWrap(True)

        # The image and the strip share one scene, so they scale together and never overlap.
        self.graphics = pg.GraphicsLayoutWidget(self)
        self.graphics.setBackground(theme.PAPER)
        self.graphics.setAccessibleName("Example image and its column of X")
        self.graphics.setToolTip("Left: the 28×28 image. Right: the same 784 values as one column of X, "
                                 "row 0 at the top")
        self.graphics.ci.setContentsMargins(0, 0, 0, 0)
        self.graphics.ci.setSpacing(12)
        self.image_box = self.graphics.addViewBox(row=0, col=0, lockAspect=True, enableMouse=False,
                                                  invertY=True, enableMenu=False)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setLookupTable(theme.GRAY_LUT)
        self.image.setBorder(pg.mkPen(theme.MUTED, width=1))
        self.image_box.addItem(self.image)
        self.image_box.setRange(xRange=(0, SIDE), yRange=(0, SIDE), padding=0.02)
        self.column_box = self.graphics.addViewBox(row=0, col=1, lockAspect=False, enableMouse=False,
                                                   invertY=True, enableMenu=False)
        self.column = pg.ImageItem(axisOrder="row-major")
        self.column.setLookupTable(theme.GRAY_LUT)
        self.column_box.addItem(self.column)
        self.column_box.setRange(xRange=(0, 1), yRange=(0, SIDE * SIDE), padding=0)
        self.column_box.setMaximumWidth(28)
        self.column_box.setMinimumWidth(18)
        # The strip's caption, written up its side: a striped bar without one read as a barcode.
        self.strip_caption = self.graphics.addLabel(STRIP_CAPTION, row=0, col=2, angle=-90)
        self.graphics.ci.layout.setColumnStretchFactor(0, 10)
        self.graphics.ci.layout.setColumnStretchFactor(1, 1)
        self.caption = QLabel(self)
        self.caption.setObjectName("inputCaption")
        self.caption.setAccessibleName("Which column of X this is")
        self.caption.setToolTip("The image is the column x = X[:, j] of X, with the pixels divided by 255")
        self.caption.setStyleSheet(f"color: {theme.MUTED};")
        self.caption.setWordWrap(True)

        self.subset_box = QComboBox(self)
        self.subset_box.addItems(SUBSETS)
        self.subset_box.setObjectName("subsetBox")
        self.subset_box.setAccessibleName("Subset")
        self.subset_box.setToolTip("Pick the example from the training set or the dev set (Alt+B)")
        subset_label = QLabel("Su&bset", self)
        subset_label.setBuddy(self.subset_box)
        self.index_box = QSpinBox(self)
        self.index_box.setObjectName("indexBox")
        self.index_box.setAccessibleName("Example index")
        self.index_box.setToolTip("The example's column j in its subset (Alt+X)")
        self.index_box.setKeyboardTracking(False)
        self.index_box.setRange(0, 0)
        index_label = QLabel("E&xample", self)
        index_label.setBuddy(self.index_box)
        self.previous_button = self._button("‹ Previous", PREVIOUS_KEY, "previousButton", "Previous example")
        self.next_button = self._button("Next ›", NEXT_KEY, "nextButton", "Next example")
        self.random_button = self._button("Random", RANDOM_KEY, "randomButton", "A random example")
        self.subset_box.currentIndexChanged.connect(self._subset_changed)
        self.index_box.valueChanged.connect(lambda index: self._request(self._subset, index))
        self.previous_button.clicked.connect(lambda: self.step(-1))
        self.next_button.clicked.connect(lambda: self.step(1))
        self.random_button.clicked.connect(self.pick_random)
        self._labels = (subset_label, index_label)

        picker = QGridLayout()
        picker.setHorizontalSpacing(4)
        picker.setVerticalSpacing(4)
        picker.addWidget(subset_label, 0, 0)
        picker.addWidget(self.subset_box, 0, 1)
        picker.addWidget(index_label, 0, 2)
        picker.addWidget(self.index_box, 0, 3)
        buttons = QHBoxLayout()
        buttons.setSpacing(6)
        for button in (self.previous_button, self.next_button, self.random_button):
            buttons.addWidget(button)
        picker.addLayout(buttons, 1, 0, 1, 4)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.setSpacing(6)
        layout.addWidget(self.title)
        layout.addWidget(self.verdict)
        layout.addWidget(self.graphics, 1)
        layout.addWidget(self.caption)
        layout.addLayout(picker)
        theme.fill_with_paper(self)
        self._apply_fonts()
        self.verdict.setText("No example yet")
        self.numbers_hidden = False
        self._snapshot: Snapshot | None = None

    def _button(self, text: str, key: str, name: str, tip: str) -> QPushButton:
        button = QPushButton(text, self)
        button.setObjectName(name)
        button.setAccessibleName(tip)
        button.setToolTip(f"{tip} ({QKeySequence(key).toString(QKeySequence.SequenceFormat.NativeText)})")
        button.setShortcut(QKeySequence(key))
        button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        button.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        return button

    # ------------------------------------------------------------ requests
    def step(self, offset: int) -> None:
        """Ask for the example offset places away, wrapping around at both ends."""
        size = max(self._sizes[self._subset], 1)
        self._request(self._subset, (self._index + offset) % size)

    def pick_random(self) -> None:
        size = self._sizes[self._subset]
        if size <= 1:
            self._request(self._subset, 0)
            return
        # A different example every time: draw from the others.
        index = int(self._rng.integers(0, size - 1))
        self._request(self._subset, index + (index >= self._index))

    def _subset_changed(self, position: int) -> None:
        subset = SUBSETS[position]
        if self._sizes[subset] == 0:
            return
        self._request(subset, min(self._index, self._sizes[subset] - 1))

    def _request(self, subset: str, index: int) -> None:
        self._subset, self._index = subset, index
        self._set_quietly(subset, index)
        self.exampleRequested.emit(subset, index)

    def _set_quietly(self, subset: str, index: int) -> None:
        """Show subset and index in the picker without emitting a request."""
        for widget in (self.subset_box, self.index_box):
            widget.blockSignals(True)
        self.subset_box.setCurrentIndex(SUBSETS.index(subset))
        self.index_box.setRange(0, max(self._sizes[subset] - 1, 0))
        self.index_box.setValue(index)
        for widget in (self.subset_box, self.index_box):
            widget.blockSignals(False)

    # ------------------------------------------------------------ rendering
    def show_snapshot(self, snapshot: Snapshot) -> None:
        example = snapshot.example
        self._sizes = {"train": snapshot.train_size, "dev": snapshot.dev_size}
        self._subset, self._index = example.subset, example.index
        dev_item = self.subset_box.model().item(SUBSETS.index("dev"))
        dev_item.setEnabled(snapshot.dev_size > 0)
        self._set_quietly(example.subset, example.index)

        pixels = np.nan_to_num(example.pixels, nan=0.0)
        self.image.setImage(pixels.reshape(SIDE, SIDE), autoLevels=False, levels=(0.0, 1.0))
        # Drawn four texels wide into a one-unit-wide rectangle: Qt reads one-byte-wide 8-bit images out of bounds.
        self.column_values = pixels.reshape(-1, 1)
        self.column.setImage(np.repeat(self.column_values, 4, axis=1), autoLevels=False, levels=(0.0, 1.0),
                             rect=QRectF(0, 0, 1, SIDE * SIDE))

        self._snapshot = snapshot
        self.verdict.setText(self._verdict(snapshot, self.numbers_hidden))
        where = "column of the batch" if example.column is not None else "not in this batch"
        self.caption.setText(f"x = X[:, j]  (784, 1) · j = {example.index} of {example.count} "
                             f"{example.subset} · pixels / 255 · {where}")

    def set_numbers_hidden(self, hidden: bool) -> None:
        """hideNumbers: the prediction and its probability wait (the class predicts them first)."""
        self.numbers_hidden = hidden
        if self._snapshot is not None:
            self.verdict.setText(self._verdict(self._snapshot, hidden))

    @staticmethod
    def _verdict(snapshot: Snapshot, hidden: bool = False) -> str:
        """The label, and the prediction once the network has computed something (before the first phase of a run
        there is no prediction to show: the forward pass makes it) unless the numbers are hidden."""
        example, names = snapshot.example, snapshot.class_names
        label = f"<span style='color:{theme.INK}'>label <b>{names[example.label]}</b></span>"
        if snapshot.phase is None:
            return f"{label} · <span style='color:{theme.MUTED}'>no prediction before the forward pass</span>"
        if hidden:
            return f"{label} · <span style='color:{theme.MUTED}'>prediction hidden (N shows it)</span>"
        correct = example.label == example.prediction
        colour = theme.CORRECT if correct else theme.WRONG
        mark = "✓" if correct else "✗"
        confidence = 100 * float(example.a2[example.prediction])
        return (f"{label} · <span style='color:{colour}'>predicted <b>{names[example.prediction]}</b> {mark}</span> "
                f"<span style='color:{theme.MUTED}'>({confidence:.0f} %)</span>")

    # ------------------------------------------------------------ presenter mode
    def _apply_fonts(self) -> None:
        size = self._point_size
        self.title.setFont(theme.font(size * 1.2, bold=True))
        self.verdict.setFont(theme.font(size * 1.2))
        self.caption.setFont(theme.font(size * 0.95))
        for widget in (self.subset_box, self.index_box, self.previous_button, self.next_button,
                       self.random_button, *self._labels):
            widget.setFont(theme.font(size))
        # The style gives a button at least 80 px: three of them held the left column 280 px wide on a 1024 px
        # screen. Each needs its text and a little room; the index box five digits.
        for button in (self.previous_button, self.next_button, self.random_button):
            button.setMinimumWidth(button.fontMetrics().horizontalAdvance(button.text()) + int(size * 1.6))
        self.index_box.setMinimumWidth(self.index_box.fontMetrics().horizontalAdvance("00000") + int(size * 3))
        self.column_box.setMaximumWidth(int(size * 2.8))
        self.strip_caption.setText(STRIP_CAPTION, size=f"{size * 0.8:g}pt", color=theme.MUTED)
