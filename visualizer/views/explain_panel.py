"""Explain any number: the arithmetic that produced one element, as core/explain.py writes it out. The panel shows
an Explanation it is given: the value, the phase's equation and the formula at this index, the arithmetic line by
line, the largest contributions of each sum (all of them when there are ten or fewer: softmax's ten terms), a sum
over the 784 pixels as three 28 × 28 images (the weight row × the input image = each pixel's contribution), and
what the number means."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtWidgets import QLabel, QVBoxLayout, QWidget

from core.explanation import Contribution, Explanation, Products
from core.numbers import short_number
from visualizer import theme
from visualizer.views.confirm_bar import described, scrolling

ALL_TERMS = 10              # a sum of at most this many summands is listed whole (softmax's ten outputs)
MAP_TITLES = ("weights", "× input", "= contributions")


def contribution_line(contribution: Contribution) -> str:
    """"pixel 341 (row 12, column 5): W1[3, 341] · X[341, 17] = 0.21 · 0.99 = 0.21"."""
    factors = contribution.factors
    symbols = " · ".join(term.symbol for term in factors)
    if len(factors) == 1:
        return f"{contribution.label}: {symbols} = {short_number(contribution.value)}"
    numbers = " · ".join(short_number(term.value) for term in factors)
    return f"{contribution.label}: {symbols} = {numbers} = {short_number(contribution.value)}"


def summand_line(products: Products, position: int) -> str:
    """One summand of a short sum by its index: "o = 3: 0.021" or "h = 3: 0.12 · 0.50 = 0.060"."""
    letter = products.over.split()[-1]
    value = short_number(products.values[position])
    if products.right is None:
        return f"{letter} = {position}: {value}"
    factors = f"{short_number(products.left[position])} · {short_number(products.right[position])}"
    return f"{letter} = {position}: {factors} = {value}"


def sum_lines(products: Products) -> list[str]:
    """Every summand of a short sum (with its name where the core names it); the largest positive and most
    negative ones of a long one."""
    named = {c.position: c for c in (*products.largest, *products.most_negative)}
    if products.values.size <= ALL_TERMS:
        return [f"{products.formula}, term by term:"] + [
            f"  {contribution_line(named[p]) if p in named else summand_line(products, p)}"
            for p in range(products.values.size)]
    lines = [f"largest of {products.over}:"] + [f"  {contribution_line(c)}" for c in products.largest]
    if products.most_negative:
        lines += ["most negative:"] + [f"  {contribution_line(c)}" for c in products.most_negative]
    return lines


class ExplainPanel(QWidget, theme.PresenterFonts):
    """explainPanel: explainTitle, explainEquation, explainFormula, explainSteps, explainTerms, explainMaps (the
    contribution map, for a sum over pixels), explainNote, explainStatus."""

    snapshotShown = pyqtSignal(object)      # the view contract, handed on to visualizer/explaining.py

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        described(self, "explainPanel", "The arithmetic behind a number",
                  "The arithmetic that produced the number clicked, in the phase's own terms")
        self.explanation: Explanation | None = None
        self.status = self._label("explainStatus", "What the panel is doing")
        self.title = self._label("explainTitle", "The number and its value")
        self.equation = self._label("explainEquation", "The phase and its equation")
        self.formula = self._label("explainFormula", "The equation at this index")
        self.steps = self._label("explainSteps", "The arithmetic, line by line")
        self.terms = self._label("explainTerms", "The terms of the sum")
        self.note = self._label("explainNote", "What the number means")
        self.maps = pg.GraphicsLayoutWidget(self)
        self.maps.setObjectName("explainMaps")
        self.maps.setAccessibleName("The weight row, the input image and each pixel's contribution, 28 × 28")
        self.maps.setMinimumHeight(200)
        self.images: list[pg.ImageItem] = []
        self.map_boxes: list[pg.ViewBox] = []
        for column, title in enumerate(MAP_TITLES):
            self.maps.addLabel(title, row=0, col=column)
            box = self.maps.addViewBox(row=1, col=column, lockAspect=True, enableMouse=False, enableMenu=False,
                                       invertY=True)
            image = pg.ImageItem(axisOrder="row-major")
            box.addItem(image)
            self.images.append(image)
            self.map_boxes.append(box)
        self.maps.hide()

        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(10, 6, 10, 8)
        layout.setSpacing(6)
        for widget in (self.status, self.title, self.equation, self.formula, self.steps, self.maps, self.terms,
                       self.note):
            layout.addWidget(widget)
        layout.addStretch(1)
        scrolling(self, body)
        self._apply_fonts()
        self.show_waiting("Click a number: a cell of a heat map, a bar, a node of the diagram.")

    def _label(self, name: str, tip: str) -> QLabel:
        label = QLabel(self)
        label.setObjectName(name)
        label.setAccessibleName(tip)
        label.setWordWrap(True)
        label.setTextFormat(Qt.TextFormat.PlainText)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        return label

    # ------------------------------------------------------------ what it shows
    def show_waiting(self, text: str) -> None:
        self.status.setText(text)
        self.status.show()

    def show_explanation(self, explanation: Explanation, where: str = "") -> None:
        """explanation, of the iteration on screen (where: for a number of the example alone, which one)."""
        self.explanation = explanation
        self.status.setText(where)
        self.status.setVisible(bool(where))
        self.title.setText(f"{explanation.symbol} = {explanation.result_text}")
        phase = f"phase {explanation.phase}: " if explanation.phase else ""
        self.equation.setText(f"{phase}{explanation.equation}")
        self.formula.setText(explanation.formula)
        lines = [step.text for step in explanation.steps]
        lines += [term.text for term in explanation.terms if not any(term.symbol in line for line in lines)]
        self.steps.setText("\n".join(lines))
        terms = [line for products in explanation.products for line in sum_lines(products)]
        self.terms.setText("\n".join(terms))
        self.terms.setVisible(bool(terms))
        self.note.setText(explanation.note)
        self._show_maps(explanation)

    def _show_maps(self, explanation: Explanation) -> None:
        grid = next((p for p in explanation.products if p.grid is not None), None)
        if grid is None:
            self.maps.hide()
            return
        weights, inputs = grid.left.reshape(grid.grid), grid.right.reshape(grid.grid)
        contributions = grid.contribution_map()
        for image, values, signed in zip(self.images, (weights, inputs, contributions), (True, False, True)):
            if signed:
                image.setLookupTable(theme.SIGNED_LUT)
                image.setImage(np.asarray(values), autoLevels=False, levels=theme.symmetric_levels(values))
            else:
                image.setLookupTable(theme.GRAY_LUT)
                image.setImage(np.asarray(values), autoLevels=False, levels=(0.0, max(1.0, float(values.max()))))
        self.maps.setToolTip(f"{grid.formula}: {theme.SIGNED_LEGEND}; the input in grey")
        self.maps.show()

    # ------------------------------------------------------------ the view contract
    def show_snapshot(self, snapshot) -> None:
        """Whether a new snapshot is explained again is the explainer's to decide (visualizer/explaining.py)."""
        self.snapshotShown.emit(snapshot)

    def set_theme(self) -> None:
        self.maps.setBackground(theme.PAPER)
        if self.explanation is not None:
            self._show_maps(self.explanation)

    def _apply_fonts(self) -> None:
        size = self._point_size
        self.title.setFont(theme.font(size * 1.5, bold=True))
        self.equation.setFont(theme.font(size * 1.05, bold=True))
        for label in (self.formula, self.steps, self.terms, self.note, self.status):
            label.setFont(theme.font(size))
