"""The column beside the diagram in presenter mode: predict mode's question and the lesson's caption, one under
the other at a fixed share of the window's width. It shows only while one of them does, and scrolls rather than
push the diagram off the screen when they need more height than there is."""
from __future__ import annotations

from PyQt6.QtCore import QEvent, QObject, Qt
from PyQt6.QtWidgets import QFrame, QScrollArea, QVBoxLayout, QWidget


class SideColumn(QScrollArea):
    def __init__(self, parent: QWidget | None = None) -> None:
        self.widgets: list[QWidget] = []
        super().__init__(parent)
        self.setObjectName("presenterSideColumn")
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        body = QWidget()
        self.column = QVBoxLayout(body)
        self.column.setContentsMargins(0, 0, 0, 0)
        self.column.addStretch(1)
        self.setWidget(body)
        self.hide()

    def add(self, widget: QWidget, width: int, top: bool = False) -> None:
        """widget at the bottom of the column (above its stretch) or at its top, width pixels wide."""
        if widget not in self.widgets:
            self.widgets.append(widget)
            widget.installEventFilter(self)
        self.column.insertWidget(0 if top else self.column.count() - 1, widget)
        widget.setFixedWidth(width)
        self.setFixedWidth(width + self.verticalScrollBar().sizeHint().width())
        self._follow()

    def remove(self, widget: QWidget) -> None:
        if widget in self.widgets:
            self.widgets.remove(widget)
            widget.removeEventFilter(self)
            self.column.removeWidget(widget)
        self._follow()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # QScrollArea watches its own widget too: what is not ours goes on to it.
        if watched in self.widgets and event.type() in (QEvent.Type.ShowToParent, QEvent.Type.HideToParent):
            self._follow()
        return super().eventFilter(watched, event)

    def _follow(self) -> None:
        self.setVisible(any(not widget.isHidden() for widget in self.widgets))
