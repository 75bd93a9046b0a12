"""Each view follows a theme switch at run time: switched to dark it paints the dark theme's colours (what only the
view knows: signed maps, fills, captions), and switched back to light it looks exactly as before the switch."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pyqtgraph as pg
import pytest
from PyQt6.QtCore import QCoreApplication
from PyQt6.QtGui import QColor, QImage
from PyQt6.QtWidgets import QApplication, QVBoxLayout, QWidget

from core import network
from core.buglab import BUGS
from core.check import CheckReport, Finding
from core.config import TrainingConfig
from core.stepper import Stepper
from core.whatif import Edit
from visualizer import appearance, theme
from visualizer.snapshot import ExampleSelection, evaluate, make_snapshot
from visualizer.views.buglab import BugLabView, run_lab
from visualizer.views.check_code import CheckCodeView
from visualizer.views.confirm_bar import ConfirmBar
from visualizer.views.draw_pad import DrawPad
from visualizer.views.equation import EquationView
from visualizer.views.evaluation import EvaluationPanel
from visualizer.views.matrices import MatricesView
from visualizer.views.neuron import NeuronPanel
from visualizer.views.values import SIGN_BRUSHES, SIGNED_BRUSHES, ValuesView

DARK = appearance.load_theme("dark").colours
LIGHT = appearance.load_theme("light").colours
RENDERS = os.environ.get("BACKPROP_THEME_RENDERS")     # a folder: save each view's dark render there to look at


@pytest.fixture(autouse=True)
def light_afterwards(qapp):
    """apply_theme changes process-wide state: every test leaves the light theme in force."""
    yield
    appearance.apply_theme(None, "light")


@pytest.fixture
def host(show_widget):
    """Put a view in a parent (apply_theme calls set_theme on the window's children), size and show it."""
    flash = QApplication.cursorFlashTime()
    QApplication.setCursorFlashTime(0)      # a blinking text cursor would differ between two grabs

    def make(view: QWidget, width: int = 520, height: int = 620) -> QWidget:
        parent = QWidget()
        layout = QVBoxLayout(parent)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(view)
        return show_widget(parent, width, height)

    yield make
    QApplication.setCursorFlashTime(flash)


def stepped(split, phases: int, **config) -> Stepper:
    stepper = Stepper(split, TrainingConfig(hidden=10, alpha=0.5, **config))
    for _ in range(phases):
        stepper.step_phase()
    return stepper


def phases_to(phase: str) -> int:
    return network.PHASES.index(phase) + 1


def grab(widget: QWidget) -> QImage:
    for _ in range(3):      # a restyle relays out the plots over a few rounds of events
        QCoreApplication.processEvents()
    return widget.grab().toImage().convertToFormat(QImage.Format.Format_RGB32)


def rgb(colour) -> tuple[int, int, int]:
    """A colour, a "#rrggbb" or a brush as (r, g, b)."""
    return pg.mkBrush(colour).color().getRgb()[:3]


def switch_round_trip(parent: QWidget, view: QWidget, check_dark) -> QImage:
    """Light → dark (check_dark() asserts what the view paints) → light again, which must look the same as before."""
    appearance.apply_theme(parent, "light")
    light = grab(view)
    appearance.apply_theme(parent, "dark")
    check_dark()
    dark = grab(view)
    if RENDERS:
        Path(RENDERS).mkdir(parents=True, exist_ok=True)
        dark.save(str(Path(RENDERS) / f"{view.objectName()}.png"))
    assert dark != light
    appearance.apply_theme(parent, "light")
    again = grab(view)
    if RENDERS and again != light:
        light.save(str(Path(RENDERS) / f"{view.objectName()}-light.png"))
        again.save(str(Path(RENDERS) / f"{view.objectName()}-light-again.png"))
    assert again == light
    return dark


def corner(image: QImage) -> tuple[int, int, int]:
    return rgb(image.pixelColor(2, image.height() - 2))


# ------------------------------------------------------------------ the views

def test_equation_chips_and_background_follow_the_theme(host, tiny_split):
    view = EquationView()
    parent = host(view, 700, 300)
    view.show_snapshot(make_snapshot(stepped(tiny_split, phases_to("A1")), ExampleSelection()))

    def check_dark():
        chips = grab(view.chips)
        # The highlighted chip (A1, the second) is yellow in every theme: the ink on it must be dark.
        unit = chips.width() / (len(network.PHASES) - 1 + 1.8)
        left, top = int(unit * 1.2), 3
        darkest = min(theme.relative_luminance(chips.pixelColor(x, y))
                      for x in range(left, int(left + unit * 0.6)) for y in range(top, chips.height() - 3))
        assert darkest < 0.05
        # A chip not reached yet is the paper, here dark.
        assert rgb(chips.pixelColor(chips.width() - 6, chips.height() // 2)) == rgb(DARK["PAPER"])

    dark = switch_round_trip(parent, view, check_dark)
    assert corner(dark) == rgb(DARK["PAPER"])


def test_values_signed_bars_and_the_comparison_follow_the_theme(host, tiny_split):
    view = ValuesView()
    parent = host(view)
    view.show_snapshot(make_snapshot(stepped(tiny_split, phases_to("dZ2")), ExampleSelection("train", 0)))
    assert view.comparison_shown

    def check_dark():
        assert [rgb(brush.color()) for brush in SIGN_BRUSHES] == [rgb(DARK["NEGATIVE"]), rgb(DARK["POSITIVE"])]
        assert rgb(SIGNED_BRUSHES[128].color()) == tuple(theme.SIGNED_LUT[128][:3])
        assert rgb(view.comparison_bars["A2"].opts["brush"]) == rgb(DARK["MUTED"])
        z1_colours = {rgb(brush.color()) for brush in view.z1_bars.opts["brushes"]}
        assert z1_colours <= {tuple(int(c) for c in entry[:3]) for entry in theme.SIGNED_LUT}
        assert DARK["MUTED"] in view.dz2_plot.titleLabel.text

    switch_round_trip(parent, view, check_dark)
    assert LIGHT["MUTED"] in view.dz2_plot.titleLabel.text


def test_matrices_take_the_dark_signed_map_and_say_so(host, tiny_split):
    view = MatricesView()
    parent = host(view)
    view.show_snapshot(make_snapshot(stepped(tiny_split, phases_to("Z1")), ExampleSelection()))
    signed = [panel for panel in view.visible_panels() if panel.token == "W1"][0]

    def check_dark():
        assert np.array_equal(signed.image.lut, theme.SIGNED_LUT)
        assert "dark zero" in view.toolTip()

    switch_round_trip(parent, view, check_dark)
    assert "white zero" in view.toolTip()


def test_evaluation_cells_start_from_the_paper_and_counts_stay_readable(host, tiny_split):
    stepper = Stepper(tiny_split, TrainingConfig(hidden=10, alpha=0.5))
    stepper.run(2)
    view = EvaluationPanel()
    parent = host(view)
    view.show_snapshot(make_snapshot(stepper, ExampleSelection(), evaluation=evaluate(stepper)))
    confusion = view._shown.confusion

    def check_dark():
        cells = view.matrix.image
        empty = np.argwhere(confusion == 0)
        assert len(empty) and tuple(cells[tuple(empty[0])][:3]) == rgb(DARK["PAPER"])
        classes = confusion.shape[0]
        for index, text in enumerate(view._counts):
            if text.toPlainText():
                cell = QColor(*(int(value) for value in cells[divmod(index, classes)][:3]))
                assert theme.contrast_ratio(text.color, cell) >= 3.0, (index, text.color.name(), cell.name())
        gallery = grab(view.gallery.viewport())
        assert rgb(gallery.pixelColor(gallery.width() - 3, gallery.height() - 3)) == rgb(DARK["PAPER"])

    switch_round_trip(parent, view, check_dark)


def test_check_code_verdicts_and_heat_maps_follow_the_theme(host):
    expected = np.linspace(-1, 1, 20).reshape(4, 5)
    report = CheckReport("student.py", (
        Finding("Z1", "match", expected_shape=(4, 5), their_shape=(4, 5), largest_difference=0.0),
        Finding("db1", "differs", "db1 holds one number", (4, 1), (4, 1), 0.5, looks_like="np.sum without axis",
                expected=expected[:, :1], theirs=np.full((4, 1), 0.3)),
        Finding("update", "skipped", "not run")))
    view = CheckCodeView()
    parent = host(view, 700, 700)
    view._finished(report)
    skipped = view.table.item(2, 1).foreground().color()

    def check_dark():
        assert view.table.item(2, 1).foreground().color().name() == DARK["MUTED"]
        assert np.array_equal(view.images[0].lut, theme.SIGNED_LUT)
        assert DARK["MUTED"] in view.headline.text()
        assert "dark zero" in view.graphics.toolTip()
        assert view.shown_finding is report.findings[1]

    switch_round_trip(parent, view, check_dark)
    assert view.table.item(2, 1).foreground().color() == skipped


def test_the_confirm_bar_is_a_notice_in_the_theme(host):
    bar = ConfirmBar("test", "A question", ("Apply it", "Apply it"), ("Cancel it", "Cancel it"))
    parent = host(bar, 500, 60)
    bar.ask("Start again with these settings?")

    def check_dark():
        assert DARK["NOTICE"] in bar.styleSheet()
        image = grab(bar)
        assert rgb(image.pixelColor(4, image.height() // 2)) == rgb(DARK["NOTICE"])

    switch_round_trip(parent, bar, check_dark)


def test_bug_lab_heading_table_and_legend_follow_the_theme(host, tiny_split):
    view = BugLabView()
    parent = host(view, 600, 900)
    config = TrainingConfig(hidden=10, alpha=0.5)
    with np.errstate(all="ignore"):
        view._finished(run_lab(tiny_split, config, next(iter(BUGS)), 5))

    def check_dark():
        assert view.check_heading.styleSheet().startswith(f"color: {DARK['INK']};")
        # the legend is the loss plot's title, in the theme's ink with each run's colour
        assert DARK["INK"] in view.legend_text and DARK["WRONG"] in view.legend_text
        assert DARK["INK"] in view.accuracy_plot.getAxis("left").labelStyle.get("color", "")

    switch_round_trip(parent, view, check_dark)


def test_neuron_images_colour_bars_and_badge_follow_the_theme(host, tiny_split):
    view = NeuronPanel()
    parent = host(view, 520, 900)
    view.show_snapshot(make_snapshot(stepped(tiny_split, phases_to("dW1")), ExampleSelection()))
    view.edit(0, Edit(off=True))        # the badge over the weights

    def check_dark():
        assert np.array_equal(view.weights_image.lut, theme.SIGNED_LUT)
        assert np.array_equal(view.gradient_image.lut, theme.SIGNED_LUT)
        bar_lut = view.weights_bar.colorMap().getLookupTable(nPts=3)
        assert tuple(bar_lut[1][:3]) == rgb(DARK["SIGNED_ZERO"])
        assert rgb(view.edit_badge.fill.color()) == rgb(DARK["PAPER"])
        assert rgb(view.before_bars.opts["brush"]) == rgb(DARK["MUTED"])

    switch_round_trip(parent, view, check_dark)


def test_the_draw_pad_keeps_its_black_canvas_and_recolours_its_signed_bars(host, tiny_split):
    view = DrawPad()
    parent = host(view, 700, 420)
    view.show_snapshot(make_snapshot(stepped(tiny_split, 0, activation="tanh"), ExampleSelection()))
    view.draw_stroke([(140, 40), (140, 240)])

    def check_dark():
        assert [rgb(brush.color()) for brush in view._signed_brushes[::85]] == \
               [tuple(int(c) for c in entry[:3]) for entry in theme.SIGNED_LUT[::85]]
        canvas = grab(view.canvas)
        paper = view.canvas.paper()
        assert rgb(canvas.pixelColor(int(paper.left() + 10), int(paper.top() + 10))) == (0, 0, 0)
        assert rgb(canvas.pixelColor(int(paper.center().x()), int(paper.center().y()))) == (255, 255, 255)

    switch_round_trip(parent, view, check_dark)
