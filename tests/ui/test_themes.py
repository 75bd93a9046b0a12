"""Themes: every theme file loads, its text is readable (WCAG contrast), its data maps stay colour-blind safe, and
switching the real window's theme recolours it and switching back restores it exactly; a broken file changes nothing.
"""
from __future__ import annotations

import json
import shutil

import numpy as np
import pyqtgraph as pg
import pytest
from PyQt6.QtGui import QAction, QPalette
from PyQt6.QtWidgets import QApplication, QGraphicsView, QWidget

from visualizer import appearance, theme

from .test_accessibility import DISTINCT, VISIONS, delta_e, hex_rgb, seen

LIGHT_AT_IMPORT = (theme.current_colours(), theme.SIGNED_LUT.copy())    # collected before any test switches
TEXT_CONTRAST = {"light": 4.5, "dark": 4.5, "presenter": 7.0}
# Coloured words (the phase names, ✓ and ✗) are bold captions: WCAG's 3:1 for large text, 4.5:1 on a projector.
CAPTION_CONTRAST = {"light": 3.0, "dark": 3.0, "presenter": 4.5}
TEXT_ON = [("INK", "PAPER"), ("INK", "PANEL"), ("MUTED", "PAPER"), ("MUTED", "PANEL"), ("INK", "RAISED"),
           ("INK", "SELECTION"), ("INK", "NOTICE"), ("INK", "ALARM"), ("INK", "TOOLTIP")]
PALETTE_TEXT_ON = [("WindowText", "Window"), ("Text", "Base"), ("ButtonText", "Button"),
                   ("HighlightedText", "Highlight"), ("ToolTipText", "ToolTipBase"), ("Text", "AlternateBase")]
CAPTIONS = ("FORWARD", "BACKWARD", "CORRECT", "WRONG", "BLUE", "PURPLE")
GROUPS = (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive, QPalette.ColorGroup.Disabled)
ROLES = [role for role in QPalette.ColorRole if role != QPalette.ColorRole.NColorRoles]


@pytest.fixture(autouse=True)
def restore_the_theme(qapp):
    """Leave the colours, pyqtgraph's defaults, the palette and the stylesheet as this test found them."""
    saved = (theme.NAME, theme.current_colours(), theme.SIGNED_LEGEND)
    defaults = (pg.getConfigOption("background"), pg.getConfigOption("foreground"))
    palette, stylesheet = QPalette(qapp.palette()), qapp.styleSheet()
    yield
    theme.set_colours(*saved)
    pg.setConfigOptions(background=defaults[0], foreground=defaults[1])
    qapp.setPalette(palette)
    qapp.setStyleSheet(stylesheet)


@pytest.fixture(params=list(appearance.THEMES))
def loaded(request) -> appearance.Theme:
    return appearance.load_theme(request.param)


# ------------------------------------------------------------------ the files

def test_each_theme_file_loads_with_every_colour_and_a_complete_stylesheet(loaded):
    assert set(loaded.colours) == set(theme.COLOUR_NAMES)
    assert "$" not in loaded.stylesheet and "QToolTip" in loaded.stylesheet
    assert {"Window", "WindowText", "Base", "Text", "Button", "ButtonText", "Highlight"} <= set(loaded.palette)
    assert appearance.THEMES[loaded.name]


def test_the_light_theme_file_holds_the_colours_the_app_starts_with():
    colours, lut = LIGHT_AT_IMPORT
    assert appearance.load_theme("light").colours == {name: value.lower() for name, value in colours.items()}
    theme.set_colours("dark", appearance.load_theme("dark").colours, "x")
    assert not np.array_equal(theme.SIGNED_LUT, lut)
    light = appearance.load_theme("light")
    theme.set_colours("light", light.colours, light.signed_legend)
    assert np.array_equal(theme.SIGNED_LUT, lut)


def test_text_is_readable_on_every_background(loaded):
    need, c = TEXT_CONTRAST[loaded.name], loaded.colours
    low = {f"{text} on {ground}": round(theme.contrast_ratio(c[text], c[ground]), 2) for text, ground in TEXT_ON}
    low.update({f"palette {text} on {ground}": round(theme.contrast_ratio(loaded.palette[text],
                                                                          loaded.palette[ground]), 2)
                for text, ground in PALETTE_TEXT_ON})
    assert {pair: ratio for pair, ratio in low.items() if ratio < need} == {}
    captions = {name: round(theme.contrast_ratio(c[name], c["PAPER"]), 2) for name in CAPTIONS}
    assert {name: ratio for name, ratio in captions.items() if ratio < CAPTION_CONTRAST[loaded.name]} == {}


def test_the_presenter_theme_is_black_on_white():
    c = appearance.load_theme("presenter").colours
    assert theme.contrast_ratio(c["INK"], c["PAPER"]) >= 19      # black on white is 21:1
    assert c["PAPER"] == c["PANEL"] == "#ffffff"


@pytest.mark.parametrize("vision", VISIONS)
def test_each_theme_keeps_its_data_colours_apart_under_colour_blindness(loaded, vision):
    theme.set_colours(loaded.name, loaded.colours, loaded.signed_legend)
    c, lut = loaded.colours, theme.SIGNED_LUT
    for first, second in (("NEGATIVE", "POSITIVE"), ("FORWARD", "BACKWARD"), ("CORRECT", "WRONG")):
        assert delta_e(hex_rgb(c[first]), hex_rgb(c[second]), vision) >= DISTINCT, (first, second)
    assert delta_e(lut[0], lut[255], vision) >= DISTINCT
    assert delta_e(lut[64], lut[191], vision) >= DISTINCT / 2
    # Magnitude is read from lightness: steadily further from zero's lightness (and from the background's).
    lightness = seen(lut, vision)[:, 0]
    middle = len(lightness) // 2
    away = -1 if lightness[middle] > seen(lut[[0, 255]], vision)[:, 0].mean() else 1
    for side in (lightness[middle:], lightness[:middle][::-1]):
        assert np.all(away * np.diff(side) >= -0.05)
        assert away * (side[-1] - side[0]) >= 20
    paper = seen(np.array([hex_rgb(c["PAPER"])]), vision)[0, 0]
    assert abs(lightness[middle] - paper) < 12        # zero looks like the background it sits on


# ------------------------------------------------------------------ broken files

def broken_styles(tmp_path, monkeypatch, file: str, change) -> None:
    """A copy of visualizer/assets/styles with `file` changed by change(text) → text, in use for this test."""
    styles = tmp_path / "styles"
    shutil.copytree(appearance.STYLES, styles)
    (styles / file).write_text(change((styles / file).read_text(encoding="utf-8")), encoding="utf-8")
    monkeypatch.setattr(appearance, "STYLES", styles)


def without_colour(name: str):
    def change(text: str) -> str:
        data = json.loads(text)
        del data["colours"][name]
        return json.dumps(data)
    return change


def with_colour(name: str, value: str):
    def change(text: str) -> str:
        data = json.loads(text)
        data["colours"][name] = value
        return json.dumps(data)
    return change


@pytest.mark.parametrize("file, change, problem", [
    ("dark.json", lambda text: text.replace("}", "", 1), "line"),
    ("dark.json", without_colour("INK"), "colours missing: INK"),
    ("dark.json", with_colour("PAPER", "#12345"), "PAPER"),
    ("dark.json", with_colour("PAPER", "CHARTREUSE"), "PAPER"),
    ("dark.json", lambda text: text.replace('"Window":', '"Windows":'), "'Windows'"),
    ("dark.qss", lambda text: text + "\nQLabel { color: $INKY; }\n", "$INKY"),
    ("common.qss", lambda text: text + "\nQLabel { color: $; }\n", "Invalid placeholder"),
])
def test_a_broken_theme_file_is_named_with_its_problem(tmp_path, monkeypatch, file, change, problem):
    broken_styles(tmp_path, monkeypatch, file, change)
    with pytest.raises(ValueError) as raised:
        appearance.load_theme("dark")
    assert file in str(raised.value) and problem in str(raised.value)


def test_a_missing_theme_file_and_an_unknown_name_are_named(tmp_path, monkeypatch):
    with pytest.raises(ValueError, match="unknown theme 'sepia'.*light"):
        appearance.load_theme("sepia")
    broken_styles(tmp_path, monkeypatch, "dark.json", str)
    (appearance.STYLES / "dark.qss").unlink()
    with pytest.raises(ValueError, match="dark.qss: cannot be read"):
        appearance.load_theme("dark")


# ------------------------------------------------------------------ the real window

def test_before_the_window_exists_a_theme_sets_the_application_alone(qapp):
    appearance.apply_theme(None, "dark")
    dark = appearance.load_theme("dark")
    assert qapp.palette().color(QPalette.ColorRole.WindowText).name() == dark.colours["INK"]
    assert qapp.styleSheet() == dark.stylesheet and pg.getConfigOption("background") == dark.colours["PAPER"]
    assert theme.SIGNED_LEGEND == "blue negative, dark zero, orange positive"


def window_look(window) -> dict:
    """What a theme switch changes, as plain values: the palette, the stylesheet, every canvas and axis."""
    app = QApplication.instance()
    look = {"palette": [app.palette().color(group, role).name() for group in GROUPS for role in ROLES],
            "stylesheet": app.styleSheet(), "colours": theme.current_colours()}
    for index, view in enumerate(window.findChildren(QGraphicsView)):
        look[f"canvas {index}"] = view.backgroundBrush().color().name()
        for item in view.scene().items():
            if isinstance(item, pg.AxisItem):
                look[f"axis {id(item)}"] = (item.pen().color().name(), item.textPen().color().name())
            elif isinstance(item, pg.LegendItem):
                look[f"legend {id(item)}"] = (pg.mkColor(item.labelTextColor()).name(), item.brush().color().name())
    for widget in window.findChildren(QWidget):
        if widget.styleSheet().startswith("color:"):
            look[f"label {widget.objectName()} {id(widget)}"] = widget.styleSheet()
    return look


class Follower(QWidget):
    """A view that recolours itself in set_theme(), as the views do: it records the ink it saw then."""

    def __init__(self, parent: QWidget):
        super().__init__(parent)
        self.seen: list[str] = []

    def set_theme(self) -> None:
        self.seen.append(theme.INK)


def test_switching_the_window_to_dark_and_back_restores_it_exactly(make_window):
    window = make_window()
    follower = Follower(window.centralWidget())
    action = QAction("Step", window)
    appearance.set_action_icon(action, "step-phase")
    window.addAction(action)
    appearance.apply_theme(window, "light")
    light = window_look(window)
    dark_colours = appearance.load_theme("dark").colours

    appearance.apply_theme(window, "dark")
    dark = window_look(window)
    app = QApplication.instance()
    assert appearance.current_theme() == "dark" and theme.PAPER == dark_colours["PAPER"]
    assert app.palette().color(QPalette.ColorRole.Window).name() == dark_colours["PANEL"]
    canvases = [value for key, value in dark.items() if key.startswith("canvas")]
    assert len(canvases) >= 5 and set(canvases) == {dark_colours["PAPER"]}
    axes = [value for key, value in dark.items() if key.startswith("axis")]
    assert axes and {text for _, text in axes} == {dark_colours["INK"]}
    assert window.findChild(QWidget, "inputCaption").styleSheet() == f"color: {dark_colours['MUTED']};"
    assert follower.seen == [light["colours"]["INK"], dark_colours["INK"]]
    assert ink_of(action) == dark_colours["INK"]

    appearance.apply_theme(window, "light")
    assert window_look(window) == light
    assert ink_of(action) == light["colours"]["INK"]


def ink_of(action: QAction) -> str:
    """The darkest opaque colour of the action's icon, where the step icon draws its arrow."""
    image = action.icon().pixmap(24, 24).toImage()
    colours = {image.pixelColor(x, y).name() for x in range(24) for y in range(24) if image.pixelColor(x, y).alpha()
               == 255}
    assert len(colours) == 1, colours
    return colours.pop()


def test_presenter_mode_still_sets_large_type_under_a_theme(make_window):
    # An application stylesheet stops widget fonts from reaching their children unless apply_theme says otherwise.
    window = make_window()
    appearance.apply_theme(window, "presenter")
    window.set_presenter_mode(True)
    try:
        step = window.toolbar.widgetForAction(window.findChild(QAction, "stepPhase"))
        assert step.font().pointSizeF() == theme.PRESENTER_POINT_SIZE
    finally:
        window.set_presenter_mode(False)


def test_a_broken_theme_file_leaves_the_window_as_it_was(make_window, tmp_path, monkeypatch):
    window = make_window()
    before = window_look(window)
    broken_styles(tmp_path, monkeypatch, "dark.json", with_colour("INK", "not a colour"))
    with pytest.raises(ValueError, match="dark.json: colour INK"):
        appearance.apply_theme(window, "dark")
    assert window_look(window) == before and appearance.current_theme() == "light"


GARBAGE_DURING_A_THEME = '''
import gc
from PyQt6.QtWidgets import QApplication, QComboBox, QLabel, QVBoxLayout, QWidget
from visualizer import appearance

app = QApplication([])
appearance.apply_theme(None, "light")
gc.set_threshold(10**9)     # the garbage below stays until a collection during the restyle


class Noticing(QLabel):
    """Python code Qt calls while it restyles, as it calls pyqtgraph's and ours."""
    def changeEvent(self, event):
        if gc.isenabled():
            gc.collect()        # as any allocation there may set one off while collection is on
        super().changeEvent(event)


window = QWidget()
box = QVBoxLayout(window)
for i in range(50):
    box.addWidget(Noticing(f"label {i}"))
window.show()
for _ in range(200):    # shown, styled widgets that only a cycle keeps (a gone plot's context menus, say)
    combo = QComboBox()
    combo.cycle = combo
    combo.show()
del combo
app.processEvents()
appearance.apply_theme(window, "dark")
print("restyled")
'''


def test_no_garbage_is_collected_while_a_theme_restyles(in_child):
    """Collected while Qt walked its list of styled widgets, they were used after being freed: a segmentation
    fault when leaving presenter mode, in a test session with windows left from earlier tests."""
    child = in_child(GARBAGE_DURING_A_THEME)
    assert child.returncode == 0 and child.stdout.strip() == "restyled", child.stderr[-2000:]
