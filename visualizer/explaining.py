"""Explain any number in the window: a click on a cell of a heat map (the matrices, the A1 map), a bar (Z1, A1,
A2, A2 − Y = dZ2), the input image or a node of the diagram opens `explainPanel` with the arithmetic that produced
it (core/explain.py), worked out in a Job: a dW1 entry is a sum over the m examples, never the UI thread's work.

A click names an array and an index. The batch's arrays are explained at their own index (Z1[3, 17]); the bars,
nodes and input image show the selected example through the parameters on screen, which after an update are no
longer the batch's (and the example may not be in the batch): those are explained for the example alone, one
column, unless the batch holds exactly the value shown. The panel follows the snapshots: stepping on explains the
same number again where it still exists.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping

import numpy as np
from PyQt6.QtCore import QEvent, QObject, QPointF, QRect
from PyQt6.QtWidgets import QDockWidget

from core.explain import Explanation, explain

from .jobs import Job
from .questions import arrays_for_example, arrays_of, context_of
from .snapshot import Snapshot
from .views.explain_panel import ExplainPanel
from .views.matrices import COLUMNS, SIDE, TILED, TILES, TRANSPOSED, MatrixPanel, tiles_across

LEFT_COLUMN = (420, 560)        # the floating panel's width, in pixels, at least and at most


@dataclass(frozen=True)
class Target:
    """A number to explain: an array's name and index; of the example alone (one column) or of the batch."""
    name: str
    index: tuple[int, ...]
    alone: bool = False


def matrix_target(token: str, row: int, col: int, arrays: Mapping[str, np.ndarray]) -> Target | None:
    """The array entry under pixel (row, col) of a matrices panel drawing token (views/matrices.display_of)."""
    if "|" in token:                                    # "W1_before|W1": old and new side by side
        before, after = token.split("|")
        width = np.shape(arrays[before])[1]
        return Target(before, (row, col)) if col < width else Target(after, (row, col - width))
    key = token.rstrip(TRANSPOSED)
    if token.endswith(TRANSPOSED):
        row, col = col, row
    elif key in TILED:
        count = min(np.shape(arrays[key])[0], TILES)
        tile_row, r = divmod(row, SIDE + 1)
        tile_col, c = divmod(col, SIDE + 1)
        unit = tile_row * tiles_across(count) + tile_col
        if r == SIDE or c == SIDE or unit >= count:     # the gap between tiles
            return None
        return Target(key, (unit, r * SIDE + c))
    return Target(key, (row, col))


def resolve(target: Target, snapshot: Snapshot) -> tuple[Target, Mapping[str, np.ndarray], str]:
    """The arrays to explain target in, and a note for the panel when it is the example alone."""
    if not target.alone:
        return target, arrays_of(snapshot), ""
    example = snapshot.example
    alone = arrays_for_example(snapshot)
    value = alone[target.name][target.index]
    batch = arrays_of(snapshot)
    column = example.column
    if column is not None and target.name in batch and column < np.shape(batch[target.name])[1]:
        index = (target.index[0], column)
        if batch[target.name][index] == value:
            return Target(target.name, index), batch, ""
    where = (f"{example.subset} example {example.index} alone (column 0), through the parameters on screen "
             f"(it is {'not in this batch' if column is None else f'column {column} of the batch'})")
    return target, alone, where


class Explainer:
    """The explain panel of a window, its dock (`dock`), the job working one out and the last `explanation`."""

    def __init__(self, window) -> None:
        self.window = window
        self.panel = ExplainPanel()
        self.dock = window.dock_manager.add("Explain a number", "explainDock", self.panel, hidden=True)
        self.dock.setFeatures(self.dock.features() | QDockWidget.DockWidgetFeature.DockWidgetClosable)
        self.target: Target | None = None
        self.explanation: Explanation | None = None
        self.error: str | None = None
        self.job: Job | None = None
        self._explained: tuple | None = None        # (snapshot, target) of the explanation on screen
        self._connect_clicks()
        self.panel.snapshotShown.connect(self.show_snapshot)
        window.add_view(self.panel)

    # ------------------------------------------------------------ asking
    def explain(self, name: str, index: tuple[int, ...], alone: bool = False) -> None:
        """Open the panel and work out name[index] of the snapshot on screen (alone: of the example alone)."""
        self.target = Target(name, tuple(int(i) for i in index), alone)
        self._show_dock()
        if self.window.snapshot is not None:
            self._start(self.window.snapshot)

    def _start(self, snapshot: Snapshot) -> None:
        target, arrays, where = resolve(self.target, snapshot)
        context = context_of(snapshot, snapshot.example.column)
        if self.job is not None:
            self.job.cancel()           # its answer would be for a number no longer asked about
        self.error = None
        self.panel.show_waiting(f"Working out {target.name}{list(target.index)}…")
        job = Job(lambda job_context: explain(target.name, target.index, arrays, context),
                  "explaining a number", self.panel)
        job.done.connect(lambda explanation: self._done(explanation, snapshot, where))
        job.failed.connect(self._failed)
        job.finished.connect(lambda: self._finished(job))
        self.job = job
        job.start()

    def _done(self, explanation: Explanation, snapshot: Snapshot, where: str) -> None:
        self.explanation = explanation
        self._explained = (snapshot, self.target)
        self.panel.show_explanation(explanation, where)

    def _failed(self, text: str) -> None:
        # An index outside the array, a name the phase does not have: said in the panel, nothing else changes.
        self.error = text.split(": ", 1)[-1]
        self.explanation = None
        self.panel.show_waiting(self.error)

    def _finished(self, job: Job) -> None:
        if self.job is job:
            self.job = None
        job.deleteLater()

    @property
    def working(self) -> bool:
        return self.job is not None

    def _show_dock(self) -> None:
        """The first time floating over the left column (the input and the configuration), below the header, so
        that the equation, the diagram, the values and a hidden unit's what-if panel (over the right column) stay
        in sight; then where the user put it."""
        dock = self.dock
        if not dock.property("placed"):
            dock.setProperty("placed", True)
            dock.setFloating(True)
            window = self.window
            # Below the equation's header (wider than the left column, the panel would cover its start).
            frame, diagram = window.geometry(), window.diagram
            top = diagram.mapToGlobal(diagram.rect().topLeft()).y()
            width = max(LEFT_COLUMN[0], min(LEFT_COLUMN[1], frame.width() // 3))
            dock.setGeometry(QRect(frame.left(), top, width, max(400, frame.bottom() - top)))
        dock.show()
        dock.raise_()

    # ------------------------------------------------------------ the view contract
    def show_snapshot(self, snapshot: Snapshot) -> None:
        """Stepping on explains the same number again where the new snapshot still has it."""
        if self.target is None or not self.dock.isVisible() or snapshot.playing:
            return
        if self._explained is not None and self._explained[0] is snapshot:
            return
        arrays = arrays_for_example(snapshot) if self.target.alone else arrays_of(snapshot)
        if self.target.name in arrays:
            self._start(snapshot)

    def shutdown(self) -> None:
        if self.job is not None:
            self.job.shutdown()

    # ------------------------------------------------------------ clicks
    def _connect_clicks(self) -> None:
        window = self.window
        for row in window.matrices.panels:
            for panel in row:
                panel.view.scene().sigMouseClicked.connect(
                    lambda event, panel=panel: self._matrix_clicked(panel, event.scenePos()))
        values = window.values
        values.graphics.scene().sigMouseClicked.connect(lambda event: self._values_clicked(event.scenePos()))
        window.input_view.graphics.scene().sigMouseClicked.connect(lambda event: self._input_clicked(event.scenePos()))
        window.diagram.scene.installEventFilter(DiagramClicks(window.diagram, self._node_clicked))

    def _matrix_clicked(self, panel: MatrixPanel, position: QPointF) -> None:
        snapshot = self.window.snapshot
        if snapshot is None or snapshot.record is None or not panel.token:
            return
        point = panel.image.mapFromScene(position)
        row, col = int(np.floor(point.y())), int(np.floor(point.x()))
        image = panel.image.image
        if image is None or not (0 <= row < image.shape[0] and 0 <= col < image.shape[1]):
            return
        target = matrix_target(panel.token, row, col, snapshot.record.arrays)
        if target is not None:
            self.explain(target.name, target.index)

    def _values_clicked(self, position: QPointF) -> None:
        values = self.window.values
        snapshot = self.window.snapshot
        if snapshot is None:
            return
        hidden = snapshot.example.z1.size
        for plot, name in ((values.z1_plot, "Z1"), (values.a1_plot, "A1"), (values.a2_plot, "A2"),
                           (values.dz2_plot, "dZ2"), (values.heat_plot, "heat")):
            box = plot.getViewBox()
            if not plot.isVisible() or not box.sceneBoundingRect().contains(position):
                continue
            point = box.mapSceneToView(position)
            if name in ("Z1", "A1"):
                unit = int(round(point.x()))
                if 0 <= unit < hidden:
                    self.explain(name, (unit, 0), alone=True)
            elif name == "heat":
                A1 = snapshot.arrays.get("A1")
                row, col = int(np.floor(point.y())), int(np.floor(point.x()))
                if A1 is not None and 0 <= row < A1.shape[0] and 0 <= col < min(COLUMNS, A1.shape[1]):
                    self.explain("A1", (row, col))
            else:
                output = int(round(point.y()))
                if not 0 <= output < snapshot.example.a2.size:
                    return
                # A2 − Y = dZ2: three thin bars per class, A2 above, Y in the middle, dZ2 below.
                offset = point.y() - output
                bar = "A2" if name == "A2" or offset < -0.125 else "dZ2" if offset > 0.125 else "Y"
                if name == "A2" or values.comparison_shown:
                    self.explain(bar, (output, 0), alone=True)
            return

    def _input_clicked(self, position: QPointF) -> None:
        image = self.window.input_view.image
        point = image.mapFromScene(position)
        row, col = int(np.floor(point.y())), int(np.floor(point.x()))
        if 0 <= row < SIDE and 0 <= col < SIDE and self.window.snapshot is not None:
            self.explain("X", (row * SIDE + col, 0), alone=True)

    def _node_clicked(self, kind: str, index: int) -> None:
        self.explain("A1" if kind == "hidden" else "A2", (index, 0), alone=True)


class DiagramClicks(QObject):
    """Watches the diagram's scene for a click on a hidden or output node, and lets it go on (a hidden node's own
    click still opens the what-if panel)."""

    def __init__(self, diagram, clicked: Callable[[str, int], None]) -> None:
        super().__init__(diagram)
        self.diagram, self.clicked = diagram, clicked

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.GraphicsSceneMousePress:
            diagram = self.diagram
            for item in diagram.scene.items(event.scenePos()):
                for kind, nodes in (("hidden", diagram.hidden_nodes), ("output", diagram.output_nodes)):
                    if item in nodes:
                        self.clicked(kind, nodes.index(item))
                        return False
        return False
