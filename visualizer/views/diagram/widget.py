"""The diagram's widget: it builds its parts once per hidden width, class names and mode, hands each snapshot to
them, and keeps the scene in the panel's shape."""
from __future__ import annotations

import dataclasses

import numpy as np
from PyQt6.QtCore import QRectF, Qt, pyqtSignal
from PyQt6.QtGui import QColor, QPainter
from PyQt6.QtWidgets import QGraphicsEllipseItem, QGraphicsItem, QGraphicsScene, QGraphicsSimpleTextItem, \
    QGraphicsView, QVBoxLayout, QWidget

from core import drawing, network
from visualizer import formatting, phases, theme
from visualizer.frames import EVERYTHING, Frame
from visualizer.snapshot import ExampleView, Snapshot

from . import layout as layouts
from .animation import PhaseAnimation
from .canvas import Canvas
from .captions import Captions, InputTile
from .footer import HOVER_HINT, Footer
from .hidden import HiddenLayer, HiddenNode
from .highlight import Emphasis, Regions
from .outputs import OutputLayer
from .weights import Edges, Thumbnails


def drawn_example(snapshot: Snapshot, column: np.ndarray) -> ExampleView:
    """A digit drawn on the pad as the example: its forward pass through the snapshot's parameters; it has no
    label and is in no batch."""
    z1, a1, z2, a2 = drawing.predict(snapshot.params, column, snapshot.config.activation)
    return ExampleView("drawn", 0, 1, -1, np.asarray(column, dtype=np.float64), z1, a1, z2, a2, int(np.argmax(a2)),
                       None)


class FittingView(QGraphicsView):
    """Keeps the whole scene in view, aspect kept, whatever the widget's size."""

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self.fit()

    def fit(self) -> None:
        if self.scene() is not None:
            self.fitInView(self.scene().sceneRect(), Qt.AspectRatioMode.KeepAspectRatio)


class NetworkDiagram(QWidget):
    """784 → H → 10 for the selected example, with the phase being computed highlighted.

    Its parts (public once the first snapshot is shown): `input`, `thumbnails`, `edges`, `hidden`, `outputs`,
    `captions`, `footer`, `regions`, `emphasis`, `pulse` (the animation), and `scene_layout`, the positions they
    were built with.
    """

    neuronClicked = pyqtSignal(int)
    TAKES_FRAME = True          # show_snapshot takes the frame policy's Frame (visualizer/frames.py)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("networkDiagram")
        self.setAccessibleName("Network diagram")
        self.setToolTip("The selected example flowing through the network; the part the last phase computed "
                        "is highlighted. Click a hidden unit to select it.")
        self.scene = QGraphicsScene(self)
        self.scene.setBackgroundBrush(QColor(theme.PAPER))
        self.view = FittingView(self.scene, self)
        self.view.setObjectName("networkDiagramView")
        self.view.setAccessibleName("Network diagram canvas")
        self.view.setToolTip("Hover a hidden unit to read its Z1 and A1; click it to select it.")
        self.view.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
        self.view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.view.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.view.setFrameShape(QGraphicsView.Shape.NoFrame)
        self.view.setBackgroundBrush(QColor(theme.PAPER))
        self.view.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.BoundingRectViewportUpdate)
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.view)

        self.pulse = PhaseAnimation(self)
        self._presenter = False
        self._built_for: tuple[int, tuple[str, ...], bool] | None = None
        self._snapshot: Snapshot | None = None
        self._frame: Frame = EVERYTHING
        self._hover_index: int | None = None
        self._body_height: float | None = None   # chosen from the panel's shape, see _fit_body_to_panel
        self._w2_span: float | None = None       # … in presenter mode with the edges' run
        self._fitting = False                    # inside _fit_body_to_panel's rebuild
        self._captions_for: tuple | None = None  # what the captions were last written for
        self.numbers_hidden = False              # hideNumbers: the nodes', probabilities' and pills' numbers
        self._numbers_withheld = False           # hidden because nothing is computed yet (iteration 0, no phase)
        self.drawing: np.ndarray | None = None   # a digit drawn on the pad, shown instead of the example
        self._original: Snapshot | None = None   # the last snapshot the window gave
        self.units_off: frozenset[int] = frozenset()         # the what-if's units: switched off …
        self.units_changed: frozenset[int] = frozenset()     # … or with their weights or bias changed
        self._drawn_phase: str | None = None
        # Readable state, the same the items show (tooltips cannot be read in a headless test); the nodes, names
        # and rings are the parts' own, named here too once built.
        self.highlighted_parts: frozenset[str] = frozenset()
        self._emphasis: frozenset[str] = frozenset()
        self.hidden_nodes: list[HiddenNode] = []
        self.output_nodes: list[QGraphicsEllipseItem] = []
        self.output_name_items: list[QGraphicsSimpleTextItem] = []

    # ------------------------------------------------------------ public
    def show_snapshot(self, snapshot: Snapshot, frame: Frame = EVERYTHING) -> None:
        """Show snapshot; while playing, frame says which slow layers are due (the numbers, the thumbnails, the
        parameters: visualizer/frames.py). The activations follow every snapshot."""
        if snapshot.example.subset != "drawn":
            self._original = snapshot           # the window's (a redraw of a drawing shown passes that one)
        if self.drawing is not None:
            snapshot = dataclasses.replace(snapshot, example=drawn_example(snapshot, self.drawing))
        hidden = int(snapshot.params["W1"].shape[0])
        key = (hidden, tuple(snapshot.class_names), self._presenter)
        self._snapshot, self._frame = snapshot, frame
        # Before the first phase of a run no value is computed: no number is written until the forward pass.
        nothing_yet = snapshot.phase is None
        if self._numbers_withheld and not nothing_yet:
            self._built_for = None      # rebuilt: each number's visibility is decided afresh by the parts
        self._numbers_withheld = nothing_yet
        if key != self._built_for:
            self._build(hidden, tuple(snapshot.class_names))
            self._built_for = key
            if self._fit_body_to_panel():   # the build guessed the body height; now the panel's shape is known
                return
        self._update(snapshot, frame)
        if self.numbers_hidden or nothing_yet:
            self._hide_numbers()
        self.pulse.start(snapshot)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit_body_to_panel()

    def set_presenter_mode(self, on: bool) -> None:
        if bool(on) != self._presenter:
            self._body_height = self._w2_span = None     # each mode fits the panel its own way
        self._presenter = bool(on)
        if self._snapshot is not None:
            self.pulse.stop()
            self.show_snapshot(self._snapshot)

    def show_drawing(self, column: np.ndarray | None) -> None:
        """Push a (784,) drawing through the network instead of the example (None: the example again)."""
        self.drawing = None if column is None else np.array(column, dtype=np.float64)
        if self._snapshot is not None:
            self.pulse.stop()
            self.show_snapshot(self._original)

    def mark_units(self, off: frozenset[int], changed: frozenset[int] = frozenset()) -> None:
        """Mark the hidden units the what-if switched off (a cross) or changed (a dashed ring) on the diagram."""
        self.units_off, self.units_changed = frozenset(off), frozenset(changed) - frozenset(off)
        if self._built_for:
            self.hidden.mark(self.units_off, self.units_changed)

    def set_numbers_hidden(self, hidden: bool) -> None:
        """Hide the numbers written on the diagram (in the hidden nodes, the probabilities, the gradients' pills)
        so that a class can predict them; shown again as they are now."""
        if hidden == self.numbers_hidden:
            return
        self.numbers_hidden = hidden
        if self._snapshot is not None:
            self.pulse.stop()
            self._built_for = None      # rebuilt: each number's visibility is decided afresh by the parts
            self.show_snapshot(self._snapshot)

    def _hide_numbers(self) -> None:
        if not self._built_for:
            return
        for item in (*self.hidden.values, *self.outputs.probabilities, *self.hidden.pills.texts,
                     *self.outputs.pills.texts):
            item.setVisible(False)
        self.outputs.hide_prediction()      # the class predicts that too (the input panel hides it as well)

    def set_emphasis(self, parts: frozenset[str]) -> None:
        """Mark these parts of the diagram with a highlighter until the next call (an empty set clears it); a
        guided lesson points at what its text is about. Raises ValueError for a name not in EMPHASIS_PARTS."""
        if isinstance(parts, str):
            raise ValueError(f"set_emphasis takes a set of part names, not the string {parts!r}")
        parts = frozenset(parts)
        unknown = parts - phases.DIAGRAM_PARTS
        if unknown:
            raise ValueError(f"unknown diagram part(s) {', '.join(sorted(map(str, unknown)))}; "
                             f"the parts are {', '.join(sorted(phases.DIAGRAM_PARTS))}")
        self._emphasis = parts
        self._show_emphasis()

    @property
    def emphasized_parts(self) -> frozenset[str]:
        """The parts set_emphasis marked (shown as soon as the diagram has a snapshot)."""
        return self._emphasis

    def set_theme(self) -> None:
        """Draw everything again in the current theme's colours (visualizer.appearance calls this on a switch)."""
        self.scene.setBackgroundBrush(QColor(theme.PAPER))
        self.view.setBackgroundBrush(QColor(theme.PAPER))
        if self._snapshot is not None:
            self.pulse.stop()
            self._built_for = None      # the pens, brushes and caches were made from the old colours
            self.show_snapshot(self._snapshot)

    def set_animation_ms(self, ms: int) -> None:
        """Length of the pulse that shows each phase; 0 switches animation off."""
        self.pulse.ms = max(0, int(ms))
        if self.pulse.ms == 0:
            self.pulse.stop()

    @property
    def animating(self) -> bool:
        return self.pulse.running

    def overlays_visible(self) -> bool:
        """True while any pulse, glow or flash is on screen."""
        return bool(self._built_for) and self.pulse.visible()

    @property
    def hidden_width(self) -> int:
        return self.scene_layout.hidden if self._built_for else 0

    @property
    def direction_caption(self) -> str:
        return self.footer.direction.text() if self._built_for else ""

    @property
    def hover_text(self) -> str:
        return self.footer.hover.text() if self._built_for else ""

    def gradient_texts(self) -> tuple[list[str], list[str]]:
        """The dZ1 and dZ2 values written beside the hidden and output nodes (empty lists when not shown)."""
        if not self._built_for:
            return [], []
        return self.hidden.pills.texts_shown(), self.outputs.pills.texts_shown()

    def caption_texts(self) -> list[str]:
        """Every header and footer caption on screen (for tests and screen readers)."""
        return [*self.captions.texts(), *self.footer.texts()] if self._built_for else []

    # ------------------------------------------------------------ building (once per H, class names and mode)
    def _build(self, hidden: int, class_names: tuple[str, ...]) -> None:
        self.pulse.stop()
        self.scene.clear()
        self._hover_index = None
        canvas = Canvas(self.scene, self._presenter)
        sizes = layouts.measure(canvas.font, canvas.bold, canvas.small, class_names)
        plan = self.scene_layout = layouts.compute(hidden, sizes, self._body_height, self._presenter,
                                                   self._w2_span if self._presenter else None)
        # Built in this order, which is the order of the items of equal height (z) on screen.
        self.regions = Regions(canvas, plan)
        self.emphasis = Emphasis(canvas, plan)
        self.input = InputTile(canvas, plan)
        self.thumbnails = Thumbnails(canvas, plan)
        self.edges = Edges(canvas, plan)
        self.hidden = HiddenLayer(canvas, plan, self._hover, self.neuronClicked.emit)
        self.outputs = OutputLayer(canvas, plan, class_names)
        self.captions = Captions(canvas, plan)
        self.thumbnails.note()
        self.footer = Footer(canvas, plan)
        self.pulse.build(canvas, plan, self.thumbnails, self.edges, self.regions)
        self.hidden_nodes, self.output_nodes = self.hidden.nodes, self.outputs.nodes
        self.hidden.mark(self.units_off, self.units_changed)
        self.output_name_items = self.outputs.names
        self.label_ring, self.prediction_ring = self.outputs.label_ring, self.outputs.prediction_ring
        self._captions_for = None
        self._drawn_phase = "none yet"
        self._body_height, self._w2_span = plan.body_height, plan.w2_span
        self.scene.setSceneRect(QRectF(0, 0, plan.width, plan.height))
        # Every snapshot changes a few items, but the view repaints the rectangle around all of them, which is
        # nearly the whole scene: drawn from per-item pixmaps, the items that did not change cost a blit each.
        for item in self.scene.items():
            item.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.view.fit()

    def _fit_body_to_panel(self) -> bool:
        """Rebuild and show again with a body height that gives the scene the panel's shape, when it is off by
        more than layout.REFIT; True if it did."""
        if self._fitting or not self._built_for or self._snapshot is None or self.width() < 50 \
                or self.height() < 50:
            return False
        if self.scene_layout.presenter:
            fitted = self.scene_layout.presenter_fit(self.view.width(), self.view.height())
            if fitted is None:
                return False
            self._body_height, self._w2_span = fitted
        else:
            wanted = self.scene_layout.fitted_body_height(self.width(), self.height())
            if wanted is None:
                return False
            self._body_height = wanted
        self._built_for = None
        # Once: the scene's width follows the body height (the input tile grows with it), so on some panel shapes
        # the wanted height would flip between two values for ever.
        self._fitting = True
        try:
            self.show_snapshot(self._snapshot, self._frame)
        finally:
            self._fitting = False
        return True

    # ------------------------------------------------------------ updating (per snapshot)
    def _update(self, snapshot: Snapshot, frame: Frame) -> None:
        """Bring every part to this snapshot. While playing, a frame comes every 28 ms and each call holds the
        interpreter the training thread needs, so the parts touch only the items whose look changed, and the
        slow layers wait for the frames that say they are due."""
        phase, record, example = snapshot.phase, snapshot.record, snapshot.example
        look = phases.look(phase) if phase is not None else None
        lights, colour = phases.lights(phase), phases.colour(phase)
        drawn = look.drawn if look is not None else (lambda parameter: parameter)
        arrays = record.arrays if record is not None else {}
        names = snapshot.class_names
        # a new phase (playing starts after a step, say) shows at once what it lights
        phase_changed = phase != self._drawn_phase
        self._drawn_phase = phase
        numbers = frame.shows("diagram.numbers")         # the numbers on the nodes, and the tooltips
        parameters = phase_changed or frame.shows("diagram.parameters")
        thumbnails = phase_changed or frame.shows("diagram.thumbnails")

        finite = formatting.finite
        z1, a1, z2, a2 = (finite(values) for values in (example.z1, example.a1, example.z2, example.a2))
        column = example.column
        dZ1 = finite(arrays["dZ1"][:, column]) if "dZ1" in arrays and column is not None else None
        dZ2 = finite(arrays["dZ2"][:, column]) if "dZ2" in arrays and column is not None else None

        def shown(parameter: str) -> np.ndarray:
            """The parameter, or its gradient while the phase computes it."""
            name = drawn(parameter)
            return arrays[name] if name != parameter else snapshot.params[parameter]

        label = names[example.label] if 0 <= example.label < len(names) else "none"     # a drawing
        self.input.show(example.pixels, label, example.subset, example.index, example.count)

        b1 = finite(shown("b1"))[:, 0]
        self.hidden.show(a1, numbers)
        if parameters:
            self.hidden.biases.show(b1, "b1" in lights, colour)
        self.hidden.numbers = {"Z1": z1, "A1": a1, drawn("b1"): b1}
        if dZ1 is not None:
            self.hidden.numbers["dZ1"] = dZ1
        self.hidden.pills.show(dZ1)
        if self._hover_index is not None:
            self._hover(self._hover_index)

        self.thumbnails.show_lit("W1" in lights, colour)
        self.thumbnails.show_rows(drawn("W1"), shown("W1"), thumbnails)
        if parameters:
            self.edges.show(finite(shown("W2")))

        b2 = finite(shown("b2"))[:, 0]
        prediction = int(np.argmax(a2)) if a2.size else example.prediction
        self.outputs.show(a2, example.label, prediction, numbers)
        if numbers:
            self.outputs.show_tooltips(names, z2, a2, b2, drawn("b2"))
        if parameters:
            self.outputs.biases.show(b2, "b2" in lights, colour)
        self.outputs.pills.show(dZ2)
        self._update_captions(snapshot, look, colour)

    def _update_captions(self, snapshot: Snapshot, look: phases.PhaseLook | None, colour: QColor) -> None:
        phase, record = snapshot.phase, snapshot.record
        m = record.m if record is not None and record.m else snapshot.train_size
        # Everything the captions say; while playing it stays the same from one snapshot to the next.
        key = (phase, m, len(snapshot.class_names), snapshot.next_phase, record.equation if record else None,
               snapshot.example.column is None, colour.rgba())
        if key == self._captions_for:
            return
        self._captions_for = key
        self.highlighted_parts = phases.lights(phase)
        self.captions.show(look, m, len(snapshot.class_names), colour)
        direction = look.direction if look is not None else None
        self.regions.show(self.highlighted_parts, colour, 48 if direction == "update" else 26)
        self._show_emphasis()
        if look is None:
            equation, note = f"next: {network.EQUATIONS[snapshot.next_phase]}", ""
        else:
            equation = record.equation if record is not None else network.EQUATIONS[phase]
            note = look.gradient_note
            if direction == "backward" and snapshot.example.column is None:
                note = (note + " · " if note else "") + "this example is not in the mini-batch"
        self.footer.show(direction, equation, note, colour)

    def _hover(self, index: int | None) -> None:
        """The hover line under the diagram: a hidden unit's numbers, or how to get them."""
        if not self._built_for:
            return
        self._hover_index = index
        text = self.hidden.hover_text(index) if index is not None else None
        self.footer.show_hover(text or HOVER_HINT)

    def _show_emphasis(self) -> None:
        """Draw the set_emphasis marks for the parts chosen, around where those parts are now."""
        if not self._built_for or self._captions_for is None:
            return      # before the first snapshot the captions (part of the b1 / b2 marks) have no place yet
        self.emphasis.show(self._emphasis, {"b1": self.hidden.biases.squares, "b2": self.outputs.biases.squares},
                           {"b1": self.captions.items["W11"], "b2": self.captions.items["W21"]})
        self.view.setAccessibleDescription(
            "emphasized: " + ", ".join(sorted(self._emphasis)) if self._emphasis else "")
