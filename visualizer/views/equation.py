"""The equation of the phase just computed, with its live shapes, what it means, and where it sits in the iteration."""
from __future__ import annotations

from PyQt6.QtCore import QRect, QRectF, QSize, Qt, pyqtSignal
from PyQt6.QtGui import QColor, QFontMetrics, QPainter, QPen
from PyQt6.QtWidgets import QWIDGETSIZE_MAX, QBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from core import network, optimizers
from visualizer import phases, theme
from visualizer.snapshot import Snapshot

from .confirm_bar import described

# Relative type sizes: the equation is the headline, the rest supports it.
EQUATION_SCALE = 1.8
SHAPES_SCALE = 1.2
TEXT_SCALE = 1.0
CHIP_SCALE = 0.9


def phase_direction(phase: str, optimizer: str = "gd") -> str:
    """"forward", "backward", or the update with the optimizer's name."""
    direction = phases.direction(phase)
    return f"update · {optimizers.UPDATE_NAMES[optimizer]}" if direction == "update" else direction


def equation_of(phase: str, optimizer: str) -> str:
    return optimizers.UPDATE_EQUATIONS[optimizer] if phase == "update" else network.EQUATIONS[phase]


class PhaseChips(QWidget):
    """A row of eleven small chips, one per phase: done ones filled, the current one highlighted."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        described(self, "phaseChips", "Phases of one iteration",
                  "The eleven phases of one iteration: green forward, red backward, purple the update; "
                  "filled = done, yellow = the phase just computed")
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.current = -1
        self._point_size = float(theme.BASE_POINT_SIZE)

    def set_current(self, index: int) -> None:
        if index != self.current:
            self.current = index
            self.update()

    def set_point_size(self, point_size: float) -> None:
        self._point_size = point_size
        self.updateGeometry()
        self.update()

    def sizeHint(self) -> QSize:
        # A little lower on a projector: the height goes to the diagram, the type is large already.
        tall = 1.4 if self._point_size > theme.BASE_POINT_SIZE else 1.7
        return QSize(11 * 40, int(QFontMetrics(theme.font(self._point_size * CHIP_SCALE)).height() * tall))

    def minimumSizeHint(self) -> QSize:
        return QSize(11 * 24, self.sizeHint().height())

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        gap = 3.0
        border = 3.0 if self._point_size > theme.BASE_POINT_SIZE else 1.5
        weights = [phases.look(phase).chip_width for phase in network.PHASES]
        unit = (self.width() - gap * (len(weights) - 1) - border) / sum(weights)
        height = self.height() - border
        # Shrink the type rather than truncate: "dW1" and "dW2" must stay distinguishable.
        font = theme.font(self._point_size * CHIP_SCALE, bold=True)
        metrics = QFontMetrics(font)
        fit = min((unit * weight - 6) / metrics.horizontalAdvance(phase)
                  for phase, weight in zip(network.PHASES, weights))
        if fit < 1:
            font.setPointSizeF(max(5.0, font.pointSizeF() * fit))
        left = border / 2
        for index, (phase, weight) in enumerate(zip(network.PHASES, weights)):
            colour = phases.colour(phase)
            rect = QRectF(left, border / 2, unit * weight, height)
            left += unit * weight + gap
            if index == self.current:
                fill = QColor(theme.HIGHLIGHT)
                ink = theme.ink_on(fill)     # the highlight is light in every theme: dark ink on it
            elif index < self.current:
                fill, ink = colour, QColor("white")
            else:
                fill, ink = QColor(theme.PAPER), colour
            painter.setPen(QPen(colour, border * (2 if index == self.current else 1)))
            painter.setBrush(fill)
            painter.drawRoundedRect(rect, 4, 4)
            painter.setFont(font)
            painter.setPen(ink)
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, phase)
        painter.end()


class EquationView(QWidget):
    """Large-type equation of the current phase, its shapes with the real m, its meaning and the phase chips."""

    heightChanged = pyqtSignal()        # the height its lines need changed (the window's splitter follows)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        described(self, "equationView", "Equation of the current phase",
                  "The equation the last step computed, with the real shapes of its arrays")
        self._point_size = float(theme.BASE_POINT_SIZE)
        self._optimizer = "gd"
        self._needed_height = 0
        self._heights: dict[tuple[str, int, tuple[str, ...]], int] = {}     # measured text heights (minimumSizeHint)

        self.position_label = self._label("positionLabel", "Which phase of the iteration this is", theme.MUTED)
        self.chips = PhaseChips(self)
        self.equation_label = self._label("equationLabel", "The equation of the phase just computed", theme.INK)
        self.equation_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.shapes_label = self._label("shapesLabel", "The shapes of the arrays it multiplies, with the real m",
                                        theme.INK)
        self.meaning_label = self._label("meaningLabel", "What the equation means, in one sentence", theme.INK)
        self.next_label = self._label("nextLabel", "The equation the next step will compute", theme.MUTED)
        for label in (self.position_label, self.equation_label, self.shapes_label, self.meaning_label):
            label.setWordWrap(True)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 4, 12, 4)
        layout.setSpacing(2)
        layout.addWidget(self.position_label)
        layout.addWidget(self.chips)
        layout.addSpacing(2)
        # The equation and its shapes: one under the other, or on one line in presenter mode (the height goes to
        # the diagram on a projector, and the width is there).
        self.equation_row = QBoxLayout(QBoxLayout.Direction.TopToBottom)
        self.equation_row.setSpacing(2)
        self.equation_row.addWidget(self.equation_label)
        self.equation_row.addWidget(self.shapes_label)
        layout.addLayout(self.equation_row)
        layout.addWidget(self.meaning_label)
        layout.addWidget(self.next_label)
        layout.addStretch(1)
        theme.fill_with_paper(self)
        self._apply_fonts()
        self._show_nothing_yet("gd")

    def _label(self, name: str, tip: str, colour: str) -> QLabel:
        label = QLabel(self)
        label.setObjectName(name)
        label.setAccessibleName(tip)
        label.setToolTip(tip)
        label.setStyleSheet(f"color: {colour};")
        return label

    # ------------------------------------------------------------ rendering
    def show_snapshot(self, snapshot: Snapshot) -> None:
        optimizer = snapshot.config.optimizer
        record = snapshot.record
        shapes_before = self.shapes_label.text()
        if optimizer != self._optimizer:
            self._optimizer = optimizer
            self.updateGeometry()
        if record is None:
            self._show_nothing_yet(optimizer)
            return
        if self.equation_label.text() != record.equation:
            self.equation_label.setText(record.equation)
            self.updateGeometry()       # on one line with the shapes (presenter mode) its width follows it
        # Non-breaking spaces inside each shape, so a line only breaks between operands.
        self.shapes_label.setText(record.shapes.replace(", ", ",\u00a0"))
        if self.shapes_label.isHidden():
            self.shapes_label.show()
            self.updateGeometry()       # the equation makes room for the shapes beside it (presenter mode)
        self.meaning_label.setText(record.meaning)
        # The one iteration number of the window (docs/TESTING.md): the updates applied so far, as the status bar,
        # the curves and the timeline say. While playing this panel follows once a second, so a number here would
        # trail theirs: it says playing instead.
        where = "Playing" if snapshot.playing else f"Iteration {snapshot.iteration}"
        self.position_label.setText(f"{where} · phase {record.index + 1} of {len(network.PHASES)} · "
                                    f"{phase_direction(record.phase, optimizer)} · m = {record.m}")
        self.next_label.setText(f"next: {equation_of(snapshot.next_phase, optimizer)}")
        self.chips.set_current(record.index)
        if self.shapes_label.text() != shapes_before:
            self.updateGeometry()

    def _show_nothing_yet(self, optimizer: str) -> None:
        self.position_label.setText(f"Nothing computed yet · {len(network.PHASES)} phases per iteration")
        self.equation_label.setText("Press → to compute the first phase")
        self.shapes_label.setText("")
        self.shapes_label.hide()
        self.meaning_label.setText("Each step computes one equation of the forward pass, the backward pass "
                                   "or the update, for all m examples of the batch at once.")
        self.next_label.setText(f"next: {equation_of(network.PHASES[0], optimizer)}")
        self.chips.set_current(-1)
        self.updateGeometry()           # the invitation may need another line than an equation

    def minimumSizeHint(self) -> QSize:
        """Room for every line at the panel's width, so a splitter never squeezes the labels over each other or
        cuts one: the wrapped ones get the height the longest text of any phase needs there (so the diagram does
        not jump from phase to phase), the others their line."""
        margins = self.layout().contentsMargins()
        width = max(200, (self.width() if self.width() > 100 else 640) - margins.left() - margins.right())
        optimizer = self._optimizer
        candidates = {
            self.position_label: [self.position_label.text(),
                                  f"Iteration 00,000 · phase 11 of 11 · {phase_direction('update', optimizer)} · "
                                  f"m = 00,000"],
            # every phase's, and the one shown (before the first step it is an invitation, not an equation)
            self.equation_label: [optimizers.phase_equation(phase, optimizer) for phase in network.PHASES]
            + [self.equation_label.text()],
            self.shapes_label: [self.shapes_label.text()],
            self.meaning_label: [optimizers.phase_meaning(phase, optimizer) for phase in network.PHASES]
            + [self.meaning_label.text()],
            self.next_label: [self.next_label.text()],
        }
        def needed(label: QLabel, at: int) -> int:
            """The height label's longest candidate text needs at width at."""
            if label.isHidden():
                return 0
            if not label.wordWrap():
                return QFontMetrics(label.font()).lineSpacing()
            # Asked many times as the window lays itself out (and at every phase): measured once per font, width
            # and texts.
            key = (label.font().key(), at, tuple(candidates[label]))
            if key not in self._heights:
                metrics = QFontMetrics(label.font())
                if len(self._heights) > 256:
                    self._heights.clear()
                self._heights[key] = max(metrics.boundingRect(QRect(0, 0, at, 100_000), Qt.TextFlag.TextWordWrap,
                                                              text).height() for text in candidates[label])
            return self._heights[key]

        if self.equation_row.direction() == QBoxLayout.Direction.LeftToRight:
            # one line: the equation as wide as the longest (updateGeometry gives it that width), the shapes
            # beside it in the rest
            equation = self._equation_width(width)
            candidates[self.equation_label] = [self.equation_label.text()]     # its width is its own
            row = max(needed(self.equation_label, equation),
                      needed(self.shapes_label, max(100, width - equation - self.equation_row.spacing())))
        else:
            row = needed(self.equation_label, width) + needed(self.shapes_label, width)
        height = row + sum(needed(label, width) for label in (self.position_label, self.meaning_label,
                                                              self.next_label))
        gaps = sum(1 for label in (self.position_label, self.chips, self.meaning_label, self.next_label)
                   if not label.isHidden()) + 1
        height += self.chips.sizeHint().height() + gaps * self.layout().spacing() + 2 + margins.top() \
            + margins.bottom()
        return QSize(self.chips.minimumSizeHint().width() + margins.left() + margins.right(), height)

    def _equation_width(self, width: int) -> int:
        """On one line with the shapes: as wide as the equation, at most 3/5 of width (the shapes get the rest:
        the update's long list of shapes stays on one line beside its short equation)."""
        if self.shapes_label.isHidden():
            return width                # before the first step no shapes stand beside it: the line is all its
        metrics = QFontMetrics(self.equation_label.font())
        return min(width * 3 // 5, metrics.horizontalAdvance(self.equation_label.text()) + 8)

    def sizeHint(self) -> QSize:
        return self.minimumSizeHint()

    def updateGeometry(self) -> None:
        """Say so when the height its lines need changes (the window's splitter gives it that height and the
        diagram the rest: main_window.fit_centre)."""
        if self.equation_row.direction() == QBoxLayout.Direction.LeftToRight:
            margins = self.layout().contentsMargins()
            width = self._equation_width(max(200, self.width() - margins.left() - margins.right()))
            if self.equation_label.width() != width or self.equation_label.minimumWidth() != width:
                self.equation_label.setFixedWidth(width)
        elif self.equation_label.minimumWidth() or self.equation_label.maximumWidth() < QWIDGETSIZE_MAX:
            self.equation_label.setMinimumWidth(0)
            self.equation_label.setMaximumWidth(QWIDGETSIZE_MAX)
        super().updateGeometry()
        height = self.minimumSizeHint().height()
        if height != self._needed_height:
            self._needed_height = height
            self.heightChanged.emit()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():
            self.updateGeometry()       # the wrapped lines need another height at another width

    # ------------------------------------------------------------ presenter mode
    def set_presenter_mode(self, on: bool) -> None:
        self._point_size = float(theme.PRESENTER_POINT_SIZE if on else theme.BASE_POINT_SIZE)
        # On a projector the height goes to the diagram: the chips already show which phase comes next.
        self.next_label.setVisible(not on)
        self.equation_row.setDirection(QBoxLayout.Direction.LeftToRight if on else QBoxLayout.Direction.TopToBottom)
        self.equation_row.setSpacing(24 if on else 2)
        self.shapes_label.setAlignment(Qt.AlignmentFlag.AlignLeft | (Qt.AlignmentFlag.AlignVCenter if on
                                                                     else Qt.AlignmentFlag.AlignTop))
        self._apply_fonts()

    def _apply_fonts(self) -> None:
        size = self._point_size
        self.equation_label.setFont(theme.font(size * EQUATION_SCALE, bold=True))
        # (on a projector as large as the rest: beside the equation, on one line more often)
        self.shapes_label.setFont(theme.font(size * (1.0 if size > theme.BASE_POINT_SIZE else SHAPES_SCALE)))
        # On a projector a little smaller than the rest, so that every phase's sentence fits one line at 1366 px.
        self.meaning_label.setFont(theme.font(size * (0.9 if size > theme.BASE_POINT_SIZE else TEXT_SCALE)))
        # On a projector the position line is a quiet caption over the chips: its height goes to the diagram.
        self.position_label.setFont(theme.font(size * (0.75 if size > theme.BASE_POINT_SIZE else TEXT_SCALE),
                                               bold=True))
        self.next_label.setFont(theme.font(size * TEXT_SCALE))
        self.chips.set_point_size(size)
        self.updateGeometry()

    # ------------------------------------------------------------ themes
    def set_theme(self) -> None:
        """The labels and the background follow a switch by themselves (appearance.restyle); the chips are painted."""
        self.chips.update()
