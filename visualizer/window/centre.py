"""The centre of the window: the banners and strips over the equation, the equation, and the diagram with the column
beside it (presenter mode's question and caption). The equation keeps the height it needs; the diagram takes the
rest (fit). place_strip puts a strip over the diagram or in the column beside it."""
from __future__ import annotations

from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QHBoxLayout, QSplitter, QVBoxLayout, QWidget

from visualizer.window.helpers import DropGuard
from visualizer.window.side_column import SideColumn
from visualizer.window.status import Banner, BusyBanner, DivergenceBanner

SIDE_COLUMN = 0.36          # of the window's width, for the strips beside the diagram (presenter mode)
QWIDGETSIZE_MAX = 16777215


class Centre(QWidget):
    def __init__(self, equation: QWidget, diagram: QWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.equation = equation
        self.divergence_banner = DivergenceBanner()
        self.message_banner = Banner("messageBanner", "notice")
        self.gif_banner = Banner("gifBanner", "notice")
        self.busy_banner = BusyBanner()
        self.drop_guard = DropGuard()
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.setObjectName("centreSplitter")
        splitter.addWidget(equation)
        diagram_row = QWidget()
        row = QHBoxLayout(diagram_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(diagram, 1)
        self.side = SideColumn()
        row.addWidget(self.side)
        splitter.addWidget(diagram_row)
        splitter.setStretchFactor(0, 0)
        splitter.setStretchFactor(1, 1)
        splitter.setChildrenCollapsible(False)
        self.splitter = splitter
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        for banner in (self.divergence_banner, self.message_banner, self.gif_banner, self.busy_banner,
                       self.drop_guard.bar):
            layout.addWidget(banner)
        self.strips = QVBoxLayout()
        layout.addLayout(self.strips)
        layout.addWidget(splitter, 1)

    def place_strip(self, widget: QWidget, beside: bool, top: bool = False) -> None:
        """A strip over the diagram, or (beside) in the column at its right, SIDE_COLUMN of the window's width (the
        diagram and the equation keep the rest), at the column's top or bottom."""
        self.strips.removeWidget(widget)
        self.side.remove(widget)
        if beside:
            self.side.add(widget, int(self.window().width() * SIDE_COLUMN), top)
        else:
            self.strips.addWidget(widget)
            widget.setMinimumWidth(0)
            widget.setMaximumWidth(QWIDGETSIZE_MAX)

    def fit(self) -> None:
        """The equation gets the height it needs, the diagram the rest."""
        height = self.splitter.height() or self.window().height() // 2
        equation = self.equation.minimumSizeHint().height()
        self.splitter.setSizes([equation, max(100, height - equation)])
