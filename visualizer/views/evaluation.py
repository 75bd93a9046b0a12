"""Evaluation on the dev set: the confusion matrix and the network's most confident mistakes.

The numbers arrive in snapshot.evaluation, computed by the worker only while this panel is visible; the panel
redraws only when a new evaluation arrives, so playing costs it nothing between two.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import QSize, Qt, pyqtSignal
from PyQt6.QtGui import QColor, QFontMetrics, QIcon, QImage, QPixmap
from PyQt6.QtWidgets import (QAbstractItemView, QListView, QListWidget, QListWidgetItem, QSplitter, QStackedWidget,
                             QLabel, QVBoxLayout, QWidget)

from visualizer import appearance, theme
from visualizer.hints import set_text_with_hint
from visualizer.snapshot import MISTAKES_SHOWN, Evaluation, Snapshot

from .confirm_bar import described
from .curves import style_plot

SIDE = 28
TILE_SCALE = 2              # a tile shows the digit at 56×56 pixels: big enough to read, 24 fit in the dock
LONG_NAME = 2               # class names longer than this are numbered on the predicted axis (Fashion-MNIST)


def _rgb(colour: str) -> np.ndarray:
    return np.array(QColor(colour).getRgb()[:3], dtype=np.float64)


def _shade(colour: str, amount: np.ndarray) -> np.ndarray:
    """RGB from the theme's paper (amount 0) to colour (amount 1), per cell: an empty cell is the background."""
    paper, target = _rgb(theme.PAPER), _rgb(colour)
    amount = np.clip(amount, 0.0, 1.0)[..., None]
    return paper + amount * (target - paper)


def confusion_image(confusion: np.ndarray) -> np.ndarray:
    """RGBA cells: the diagonal (right) in the theme's correct colour, the rest (mistakes) in its wrong colour,
    each as dark as the share of its row (true class) it holds."""
    rows = confusion.sum(axis=1, keepdims=True)
    share = np.divide(confusion, rows, out=np.zeros(confusion.shape), where=rows > 0)
    correct = np.eye(confusion.shape[0], dtype=bool)
    # Mistakes are rarer than hits: a 25 % share is already a dark cell, so the confusions stand out.
    rgb = np.where(correct[..., None], _shade(theme.CORRECT, share), _shade(theme.WRONG, np.sqrt(share * 4) / 2))
    rgb = np.where((confusion == 0)[..., None], _rgb(theme.PAPER), rgb)
    alpha = np.full(confusion.shape + (1,), 255.0)
    return np.concatenate([rgb, alpha], axis=-1).astype(np.uint8)


def tile_icon(pixels: np.ndarray) -> QIcon:
    """A 28×28 digit, white on black as drawn, scaled up without smoothing so the pixels stay visible."""
    grey = np.ascontiguousarray((np.clip(np.nan_to_num(pixels), 0.0, 1.0) * 255).astype(np.uint8).reshape(SIDE, SIDE))
    image = QImage(grey.data, SIDE, SIDE, SIDE, QImage.Format.Format_Grayscale8).copy()
    size = SIDE * TILE_SCALE
    pixmap = QPixmap.fromImage(image).scaled(size, size, Qt.AspectRatioMode.KeepAspectRatio,
                                             Qt.TransformationMode.FastTransformation)
    icon = QIcon(pixmap)
    icon.addPixmap(pixmap, QIcon.Mode.Selected)     # the digit itself is never tinted: selection is the frame
    return icon


class EvaluationPanel(QWidget, theme.PresenterFonts):
    """Confusion matrix (rows: true class, columns: predicted) and a gallery of misclassified dev examples."""

    exampleRequested = pyqtSignal(str, int)     # "dev", index: a gallery tile was clicked

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        described(self, "evaluationPanel", "Evaluation on the dev set",
                  "How the current parameters do on the dev set: which classes are confused, and the "
                  "examples the network gets wrong with the most confidence")
        self._shown: Evaluation | None = None
        self._dev_size = 0
        self._class_names: tuple[str, ...] = ()
        self._classes = 0
        self._marked: tuple[Evaluation | None, int | None] = (None, None)   # (evaluation, dev index) marked
        self._waiting: Snapshot | None = None       # came while hidden (a tab behind another): drawn when shown

        self.title = QLabel(self)
        self.title.setObjectName("evaluationTitle")
        self.title.setAccessibleName("Dev accuracy")
        self.title.setToolTip("Accuracy on the dev set = the diagonal of the matrix / the dev set's size")
        self.title.setTextFormat(Qt.TextFormat.RichText)
        self.title.setWordWrap(True)

        self.graphics = pg.GraphicsLayoutWidget(self)
        self.graphics.setObjectName("confusionMatrix")
        self.graphics.setBackground(theme.PAPER)
        self.graphics.setAccessibleName("Confusion matrix")
        self.graphics.setToolTip("Row: the true class; column: the class predicted. The diagonal (green) is "
                                 "right; every other cell counts one kind of mistake (darker = more of that row)")
        self.graphics.ci.setContentsMargins(2, 2, 8, 2)
        self.plot = self.graphics.addPlot(row=0, col=0, enableMenu=False)
        self.plot.hideButtons()
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.getViewBox().invertY(True)
        self.plot.setLabel("left", "true class")
        self.plot.setLabel("bottom", "predicted class")
        # Square cells, each count written as large as its cell allows (_fit_counts): in a wide, low panel the
        # numbers of one row overlapped the next.
        self.plot.getViewBox().setAspectLocked(True)
        self.plot.getViewBox().sigResized.connect(self._fit_counts)
        self.matrix = pg.ImageItem(axisOrder="row-major")
        self.plot.addItem(self.matrix)
        self.diagonal = pg.PlotDataItem()
        self.plot.addItem(self.diagonal)
        self._counts: list[pg.TextItem] = []

        self.gallery_caption = QLabel(self)
        self.gallery_caption.setObjectName("mistakesCaption")
        self.gallery_caption.setAccessibleName("About the mistakes")
        self.gallery_caption.setToolTip(f"Misclassified dev examples, the {MISTAKES_SHOWN} most confident "
                                        f"mistakes first; each tile: true class → predicted class (its probability)")
        self.gallery_caption.setTextFormat(Qt.TextFormat.RichText)
        self.gallery_caption.setWordWrap(True)      # unwrapped it held the right column 408 px wide
        self.gallery = QListWidget(self)
        self.gallery.setObjectName("mistakeGallery")
        self.gallery.setAccessibleName("Misclassified dev examples")
        self.gallery.setToolTip("Click a mistake to push it through the network as the input example")
        self.gallery.setViewMode(QListView.ViewMode.IconMode)
        self.gallery.setMovement(QListView.Movement.Static)
        self.gallery.setResizeMode(QListView.ResizeMode.Adjust)
        self.gallery.setWrapping(True)
        self.gallery.setWordWrap(True)
        self.gallery.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.gallery.setIconSize(QSize(SIDE * TILE_SCALE, SIDE * TILE_SCALE))
        self.gallery.setSpacing(2)
        appearance.set_tone(self.gallery, "gallery")     # paper, with selection and hover in the theme's colours
        self.tiles: list[QListWidgetItem] = []
        for _ in range(MISTAKES_SHOWN):
            item = QListWidgetItem()
            item.setTextAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
            self.gallery.addItem(item)
            self.tiles.append(item)
        self.gallery.itemClicked.connect(self._tile_clicked)
        self.gallery.itemActivated.connect(self._tile_clicked)

        gallery_box = QWidget(self)
        gallery_layout = QVBoxLayout(gallery_box)
        gallery_layout.setContentsMargins(0, 0, 0, 0)
        gallery_layout.setSpacing(2)
        gallery_layout.addWidget(self.gallery_caption)
        gallery_layout.addWidget(self.gallery, 1)
        self.splitter = QSplitter(Qt.Orientation.Vertical, self)
        self.splitter.setObjectName("evaluationSplitter")
        self.splitter.addWidget(self.graphics)
        self.splitter.addWidget(gallery_box)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setChildrenCollapsible(False)
        self.graphics.setMinimumHeight(110)
        self.gallery.setMinimumHeight(SIDE * TILE_SCALE + 16)
        self.splitter.setSizes([620, 380])     # proportions: the matrix more than half

        self.message = QLabel(self)
        self.message.setObjectName("evaluationMessage")
        self.message.setAccessibleName("Evaluation message")
        self.message.setToolTip("Why there is nothing to evaluate")
        self.message.setWordWrap(True)
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setStyleSheet(f"color: {theme.MUTED};")
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.splitter)
        self.stack.addWidget(self.message)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 6, 10, 6)
        layout.setSpacing(4)
        layout.addWidget(self.title)
        layout.addWidget(self.stack, 1)
        theme.fill_with_paper(self)
        self._apply_fonts()
        self._say("Dev-set evaluation", "Waiting for the first evaluation …")

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._waiting is not None:
            self.show_snapshot(self._waiting)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        # A wide, low panel (a tab under the values at 1366×768) puts the gallery beside the matrix: stacked, the
        # matrix's cells were too low for their numbers.
        wide = event.size().width() > 1.25 * event.size().height()
        orientation = Qt.Orientation.Horizontal if wide else Qt.Orientation.Vertical
        if orientation != self.splitter.orientation():
            self.splitter.setOrientation(orientation)
            self.splitter.setSizes([620, 380])

    # ------------------------------------------------------------ rendering
    def show_snapshot(self, snapshot: Snapshot) -> None:
        if not self.isVisible():
            self._waiting = snapshot        # its hundred labels are laid out when the tab comes to the front
            return
        self._waiting = None
        if snapshot.dev_size == 0:
            self._shown = None
            self._say("No dev set", "There is no dev set to evaluate: start with --dev-size N (for example 1000) "
                      "to hold out N examples that training never sees.")
            return
        evaluation = snapshot.evaluation
        if evaluation is None:
            if self._shown is None:
                self._say("Dev-set evaluation", "Evaluating the dev set …")
            return
        if evaluation is not self._shown:       # else the same numbers are on screen: nothing to redraw
            self._shown, self._dev_size = evaluation, snapshot.dev_size
            if snapshot.class_names != self._class_names or evaluation.confusion.shape[0] != self._classes:
                self._set_classes(snapshot.class_names, evaluation.confusion.shape[0])
            self._show_matrix(evaluation, snapshot.dev_size)
            self._show_mistakes(evaluation)
            self.stack.setCurrentWidget(self.splitter)
        example = snapshot.example
        self._mark(evaluation, example.index if example.subset == "dev" else None)

    def _mark(self, evaluation: Evaluation, index: int | None) -> None:
        """Select the tile of the example the window shows, if it is one of the mistakes; else none."""
        if self._marked[0] is evaluation and self._marked[1] == index:   # `is`: an Evaluation holds arrays
            return
        self._marked = (evaluation, index)
        hits = np.flatnonzero(evaluation.mistakes == index) if index is not None else ()
        self.gallery.blockSignals(True)
        if len(hits):
            self.gallery.setCurrentRow(int(hits[0]))
        else:
            self.gallery.clearSelection()
        self.gallery.blockSignals(False)

    def _say(self, title: str, message: str) -> None:
        self.title.setText(f"<b>{title}</b>")
        self.message.setText(message)
        self.stack.setCurrentWidget(self.message)

    def _set_classes(self, names: tuple[str, ...], classes: int) -> None:
        """Axis ticks and one count label per cell, made once per set of classes."""
        self._class_names, self._classes = names, classes
        labels = [names[k] if k < len(names) else str(k) for k in range(classes)]
        numbered = any(len(label) > LONG_NAME for label in labels)
        self.plot.getAxis("left").setTicks([[(k + 0.5, f"{k} {label}" if numbered else label)
                                             for k, label in enumerate(labels)]])
        self.plot.getAxis("bottom").setTicks([[(k + 0.5, str(k) if numbered else label)
                                               for k, label in enumerate(labels)]])
        self.plot.setLabel("bottom", "predicted class (number)" if numbered else "predicted class")
        for text in self._counts:
            self.plot.removeItem(text)
        self._counts = []
        for row in range(classes):
            for column in range(classes):
                text = pg.TextItem(anchor=(0.5, 0.5))
                text.setPos(column + 0.5, row + 0.5)
                self.plot.addItem(text)
                self._counts.append(text)
        # Each diagonal cell framed, so "right" reads as a line even where a row is all wrong.
        corners = np.arange(classes, dtype=float)[:, None]
        x = (corners + [0, 1, 1, 0, 0]).ravel()
        y = (corners + [0, 0, 1, 1, 0]).ravel()
        connect = np.tile([1, 1, 1, 1, 0], classes)      # no line from one square to the next
        self.diagonal.setData(x, y, connect=connect, pen=pg.mkPen(theme.CORRECT, width=2))
        self.plot.setRange(xRange=(0, classes), yRange=(0, classes), padding=0.01)
        self._apply_fonts()

    def _show_matrix(self, evaluation: Evaluation, dev_size: int) -> None:
        confusion = evaluation.confusion
        classes = confusion.shape[0]
        cells = confusion_image(confusion)
        self.matrix.setImage(cells, autoLevels=False, levels=(0, 255))
        self.matrix.setRect(0, 0, classes, classes)
        for index, text in enumerate(self._counts):
            row, column = divmod(index, classes)
            count = int(confusion[row, column])
            text.setText("" if count == 0 and row != column else str(count))
            text.setColor(theme.ink_on(QColor(*(int(value) for value in cells[row, column, :3]))))
        self.title.setText(f"<b>Dev accuracy {evaluation.accuracy:.1%}</b> "
                           f"<span style='color:{theme.MUTED}'>· {int(np.trace(confusion)):,} of {dev_size:,} right · "
                           f"parameters after iteration {evaluation.iteration:,}</span>")

    def _show_mistakes(self, evaluation: Evaluation) -> None:
        names = self._class_names
        shown = evaluation.mistakes.size
        if evaluation.mistake_count == 0:
            set_text_with_hint(self.gallery_caption, "No mistakes on the dev set.", "")
        else:
            muted = f"<span style='color:{theme.MUTED}'>"
            set_text_with_hint(self.gallery_caption,
                               f"<b>{evaluation.mistake_count:,} mistakes</b> {muted}· most confident first</span>",
                               f"{muted} · click one to inspect it</span>")
        for position, item in enumerate(self.tiles):
            if position >= shown:
                item.setHidden(True)
                continue
            index = int(evaluation.mistakes[position])
            true, predicted = int(evaluation.mistake_labels[position]), int(evaluation.mistake_predictions[position])
            confidence = float(evaluation.mistake_confidences[position])
            true_name = names[true] if true < len(names) else str(true)
            predicted_name = names[predicted] if predicted < len(names) else str(predicted)
            item.setIcon(tile_icon(evaluation.mistake_pixels[position]))
            if len(true_name) + len(predicted_name) <= 2 * LONG_NAME:
                item.setText(f"{true_name} → {predicted_name}\n({confidence:.0%})")
            else:           # Fashion-MNIST: one name a line keeps the tiles narrow
                item.setText(f"{true_name} →\n{predicted_name} ({confidence:.0%})")
            item.setToolTip(f"dev example {index}: true {true_name}, predicted {predicted_name} "
                            f"with probability {confidence:.1%}")
            item.setData(Qt.ItemDataRole.UserRole, index)
            item.setData(Qt.ItemDataRole.AccessibleTextRole, f"dev example {index}, true {true_name}, "
                                                             f"predicted {predicted_name}")
            item.setHidden(False)
        self._fit_tiles()

    def _tile_clicked(self, item: QListWidgetItem) -> None:
        index = item.data(Qt.ItemDataRole.UserRole)
        if index is not None:
            self.exampleRequested.emit("dev", int(index))

    # ------------------------------------------------------------ themes and presenter mode
    def set_theme(self) -> None:
        """Shade the cells from the new paper and colour the captions: show the last evaluation again."""
        if self._classes:
            self.diagonal.setPen(pg.mkPen(theme.CORRECT, width=2))
        if self._shown is not None:
            self._show_matrix(self._shown, self._dev_size)
            self._show_mistakes(self._shown)

    def _apply_fonts(self) -> None:
        size = self._point_size
        self.title.setFont(theme.font(size * 1.1))
        for label in (self.gallery_caption, self.message):
            label.setFont(theme.font(size * 0.95))
        self.gallery.setFont(theme.font(size * 0.9))
        style_plot(self.plot, size)
        self._fit_counts()
        self._fit_tiles()

    def _fit_counts(self) -> None:
        """The counts in a font that fits a cell (at most the panel's small type), or none where a cell is too
        small to hold a readable number: the colours still say it."""
        if not self._classes:
            return
        box = self.plot.getViewBox()
        cell = min(box.width(), box.height()) / self._classes
        font = theme.font(self._point_size * 0.85)
        pixels = min(QFontMetrics(font).height() / 1.2, 0.42 * cell)
        readable = pixels >= 7
        if readable:
            font.setPixelSize(max(7, int(pixels)))
        for text in self._counts:
            text.setFont(font)
            text.setVisible(readable)

    def _fit_tiles(self) -> None:
        """Every tile as wide as the longest caption (two lines under the image)."""
        metrics = self.gallery.fontMetrics()
        longest = max((metrics.horizontalAdvance(line) for item in self.tiles if not item.isHidden()
                       for line in item.text().split("\n")), default=0)
        width = max(SIDE * TILE_SCALE + 8, longest + 16)
        self.gallery.setGridSize(QSize(width, SIDE * TILE_SCALE + 2 * metrics.height() + 14))
