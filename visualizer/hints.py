"""On-screen hints ("hover a hidden unit to read its Z1 and A1", "click one to inspect it"): shown in the window,
left out of every exported picture (PNG, SVG, GIF frames). A view marks its hints here; visualizer/export.py hides
them while it paints."""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from PyQt6.QtWidgets import QGraphicsItem, QGraphicsView, QLabel, QWidget

HINT = 0x48494E54                   # QGraphicsItem data key: the item is an on-screen hint
HINT_FREE_TEXT = "hintFreeText"     # a QLabel property: its text without the hint it ends with


def mark_hint(item: QGraphicsItem) -> None:
    """item is an on-screen hint: no export shows it."""
    QGraphicsItem.setData(item, HINT, True)


def set_text_with_hint(label: QLabel, text: str, hint: str) -> None:
    """label shows text followed by hint; an export shows text alone."""
    label.setText(text + hint)
    label.setProperty(HINT_FREE_TEXT, text)


@contextmanager
def hints_hidden(widget: QWidget) -> Iterator[None]:
    """Leave the on-screen hints out of a picture of widget: the graphics items marked HINT are hidden and the
    labels with a HINT_FREE_TEXT property show that text, until the block ends."""
    items = [item for view in (*widget.findChildren(QGraphicsView), *([widget] if isinstance(widget, QGraphicsView)
                                                                      else []))
             # (QGraphicsItem's own data(): some pyqtgraph items hold an array called data)
             for item in view.items() if QGraphicsItem.data(item, HINT) and item.isVisible()]
    labels = [(label, label.text()) for label in widget.findChildren(QLabel)
              if label.property(HINT_FREE_TEXT) is not None]
    for item in items:
        item.setVisible(False)
    for label, _ in labels:
        label.setText(label.property(HINT_FREE_TEXT))
    try:
        yield
    finally:
        for item in items:
            item.setVisible(True)
        for label, text in labels:
            label.setText(text)
