"""Readable from the back row in every theme: every number written on a coloured fill reaches 4.5:1, and every
character the window writes has a glyph in the font it is written in (issue 14)."""
from __future__ import annotations

import dataclasses
import pathlib

import numpy as np
import pytest
from PyQt6.QtGui import QFontMetrics

from core.config import TrainingConfig
from core.stepper import Stepper
from visualizer import appearance, theme
from visualizer.snapshot import ExampleSelection, make_snapshot
from visualizer.views.diagram import NetworkDiagram

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture
def restore_light(qapp):
    yield
    light = appearance.load_theme("light")
    theme.set_colours("light", light.colours, light.signed_legend)


@pytest.mark.parametrize("name", list(appearance.THEMES))
def test_the_ink_on_every_colour_of_the_data_maps_reaches_4_5_to_1(restore_light, name):
    """The numbers on nodes and pills are written in theme.ink_on(fill): from the theme tables, every fill of the
    sequential and signed maps gets ink of at least 4.5:1 (the dark theme's light ink on light fills did not)."""
    loaded = appearance.load_theme(name)
    theme.set_colours(name, loaded.colours, loaded.signed_legend)
    low = {}
    for table_name, table in (("sequential", theme.SEQUENTIAL_LUT), ("signed", theme.SIGNED_LUT)):
        fills, inks = theme.lut_colours(table)
        for entry, (fill, ink) in enumerate(zip(fills, inks)):
            ratio = theme.contrast_ratio(ink, fill)
            if ratio < theme.TEXT_CONTRAST:
                low[f"{table_name}[{entry}] {fill.name()} under {ink.name()}"] = round(ratio, 2)
    assert low == {}


def test_the_hidden_units_numbers_read_on_their_fills_in_the_dark_theme(qtbot, restore_light, tiny_split):
    """What the diagram paints: each hidden node's number against its node's fill, light fills included."""
    dark = appearance.load_theme("dark")
    theme.set_colours("dark", dark.colours, dark.signed_legend)
    diagram = NetworkDiagram()
    diagram.set_animation_ms(0)
    qtbot.addWidget(diagram)
    diagram.resize(900, 560)
    diagram.show()
    stepper = Stepper(tiny_split, TrainingConfig(hidden=10, alpha=0.5))
    stepper.step_phase()
    snapshot = make_snapshot(stepper, ExampleSelection())
    values = np.linspace(0.0, 4.0, 10)          # from the darkest fill to the lightest
    diagram.show_snapshot(dataclasses.replace(snapshot, example=dataclasses.replace(snapshot.example, a1=values)))
    checked = 0
    for node, text in zip(diagram.hidden_nodes, diagram.hidden.values):
        if text.isVisible():
            checked += 1
            assert theme.contrast_ratio(text.brush().color(), node.brush().color()) >= theme.TEXT_CONTRAST, \
                (text.text(), node.brush().color().name(), text.brush().color().name())
    assert checked >= 5


def window_characters() -> dict[str, list[str]]:
    """Every character beyond ASCII in the window's code, the core's texts and the lessons, with where."""
    found: dict[str, list[str]] = {}
    files = [*(ROOT / "visualizer").rglob("*.py"), *(ROOT / "core").rglob("*.py"),
             *(ROOT / "visualizer" / "assets" / "lessons").glob("*.md")]
    for path in files:
        for character in set(path.read_text(encoding="utf-8")):
            if ord(character) > 127:
                found.setdefault(character, []).append(path.name)
    return found


def test_every_character_the_window_writes_has_a_glyph_in_its_font(qapp):
    """⏱ was a blank box on Debian's DejaVu Sans (the check's "too slow"): every character must be in the font."""
    metrics = QFontMetrics(theme.font())
    missing = {f"{character} U+{ord(character):04X}": places[:3]
               for character, places in window_characters().items()
               if character.isprintable() and not metrics.inFont(character)}
    assert missing == {}
