"""Can everyone use the window? Names for screen readers, tooltips, the keyboard, and colours under colour blindness.

The colour tests simulate the three dichromacies with the matrices of Machado, Oliveira & Fernandes (2009),
severity 1.0, applied in linear RGB, and compare colours in CIELAB (D65): a ΔE76 of 30 or more is two colours
no one mistakes for each other; a red–green pair that protan and deutan viewers do confuse scores about 23.
"""
from __future__ import annotations

import numpy as np
import pytest
from PyQt6.QtCore import Qt
from PyQt6.QtGui import QAction
from PyQt6.QtWidgets import (QAbstractButton, QAbstractSpinBox, QApplication, QComboBox, QGraphicsView, QLineEdit,
                             QSlider, QWidget)

from visualizer import theme

TIMEOUT = 10_000
INTERACTIVE = (QAbstractButton, QComboBox, QAbstractSpinBox, QSlider, QLineEdit, QGraphicsView)
CONFIG_CONTROLS = ("hiddenSpin", "activationCombo", "initCombo", "optimizerCombo", "learningRateSpin",
                   "batchSizeSpin", "seedSpin", "dtypeCombo", "applyButton", "resetButton")

# Machado et al. 2009, severity 1.0: linear RGB in, linear RGB as the dichromat sees it out.
MACHADO = {
    "protanopia": np.array([[0.152286, 1.052583, -0.204868],
                            [0.114503, 0.786281, 0.099216],
                            [-0.003882, -0.048116, 1.051998]]),
    "deuteranopia": np.array([[0.367322, 0.860646, -0.227968],
                              [0.280085, 0.672501, 0.047413],
                              [-0.011820, 0.042940, 0.968881]]),
    "tritanopia": np.array([[1.255528, -0.076749, -0.178779],
                            [-0.078411, 0.930809, 0.147602],
                            [0.004733, 0.691367, 0.303900]]),
}
VISIONS = (None, *MACHADO)      # None: typical colour vision
DISTINCT = 30.0                 # ΔE76


def own_widget(widget: QWidget) -> bool:
    """Not one of Qt's own parts (a spin box's line edit, a dock's float button), which Qt names itself."""
    return not widget.objectName().startswith("qt_")


def spoken_name(widget: QWidget) -> str:
    """What a screen reader announces: the accessible name, else a button's own text (as Qt does)."""
    if widget.accessibleName():
        return widget.accessibleName()
    return widget.text().replace("&", "") if isinstance(widget, QAbstractButton) else ""


@pytest.fixture
def big_window(qtbot, make_window):
    """At 1920×1080 every panel is on screen (at 1280×720 the matrices share a tab); one phase fills them."""
    window = make_window("--size", "1920x1080")
    window.findChild(QAction, "stepPhase").trigger()
    qtbot.waitUntil(lambda: window.snapshot.phases_done == 1, timeout=TIMEOUT)    # shown as it arrived
    return window


# ------------------------------------------------------------------ names and tooltips

def test_every_action_has_a_tooltip_and_the_window_actions_name_their_key(big_window):
    for found in big_window.findChildren(QAction):
        if found.isSeparator() or not found.text():
            continue        # separators and the menus' own entries carry no command
        assert found.toolTip().strip(), found.text()
    for found in big_window.actions():      # the window's commands: each has a key, and the tooltip says which
        keys = found.shortcut().toString(found.shortcut().SequenceFormat.NativeText)
        assert keys, found.objectName()
        assert keys in found.toolTip() and len(found.toolTip()) > len(keys) + 3, found.objectName()


def test_every_visible_control_and_view_has_a_spoken_name_and_a_tooltip(big_window):
    controls = [widget for widget in big_window.findChildren(QWidget)
                if isinstance(widget, INTERACTIVE) and own_widget(widget) and widget.isVisibleTo(big_window)]
    assert len(controls) >= 25      # the toolbars, the input view, the configuration panel, the plots
    unnamed = [f"{type(widget).__name__} {widget.objectName()!r} in {type(widget.parent()).__name__}"
               for widget in controls if not spoken_name(widget).strip() or not widget.toolTip().strip()]
    assert not unnamed, unnamed
    for view in (*big_window.views, big_window.config_panel):
        assert view.accessibleName().strip() and view.toolTip().strip(), type(view).__name__


def test_the_matrix_heat_maps_name_the_array_they_show(big_window):
    maps = [view for view in big_window.matrices.findChildren(QGraphicsView) if view.isVisibleTo(big_window)]
    assert maps
    for heat_map in maps:
        assert heat_map.accessibleName().startswith("Heat map of ")
        assert "colour scale" in heat_map.toolTip()


# ------------------------------------------------------------------ the keyboard

def test_tab_reaches_every_configuration_control(qtbot, big_window):
    start = big_window.findChild(QWidget, "nextButton")             # from the input view, above the panel
    start.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(start.hasFocus, timeout=TIMEOUT)
    reached = []
    for _ in range(60):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        focused = QApplication.focusWidget()
        reached.append(focused.objectName() if focused else "")
    missing = [name for name in CONFIG_CONTROLS if name not in reached]
    assert not missing, (missing, reached)


def test_the_configuration_can_be_changed_and_applied_from_the_keyboard(qtbot, big_window):
    spin = big_window.findChild(QWidget, "learningRateSpin")
    spin.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(spin.hasFocus, timeout=TIMEOUT)
    qtbot.keyClick(spin, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(spin, "0.05")
    qtbot.keyClick(spin, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: big_window.snapshot.alpha == pytest.approx(0.05), timeout=TIMEOUT)
    # Space plays (the window's key, wherever the focus is), so a focused button is pressed with Return.
    reset = big_window.findChild(QWidget, "resetButton")
    reset.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(reset.hasFocus, timeout=TIMEOUT)
    qtbot.keyClick(reset, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: big_window.snapshot.phases_done == 0 and big_window.snapshot.phase is None,
                    timeout=TIMEOUT)
    assert big_window.snapshot.alpha == pytest.approx(0.05)
    big_window.findChild(QWidget, "hiddenSpin").setValue(12)
    apply = big_window.findChild(QWidget, "applyButton")
    apply.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.keyClick(apply, Qt.Key.Key_Enter)
    confirm = big_window.findChild(QWidget, "confirmApply")
    qtbot.waitUntil(confirm.isVisible, timeout=TIMEOUT)
    confirm.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.keyClick(confirm, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: big_window.snapshot.config.hidden == 12, timeout=TIMEOUT)


# ------------------------------------------------------------------ colours under colour blindness

def linear(rgb) -> np.ndarray:
    """sRGB 0–255 → linear RGB 0–1."""
    c = np.asarray(rgb, dtype=float)[..., :3] / 255
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def lab(linear_rgb: np.ndarray) -> np.ndarray:
    """Linear sRGB → CIELAB under D65 (rows are colours)."""
    to_xyz = np.array([[0.4124564, 0.3575761, 0.1804375],
                       [0.2126729, 0.7151522, 0.0721750],
                       [0.0193339, 0.1191920, 0.9503041]])
    xyz = linear_rgb @ to_xyz.T / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.stack([116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]), 200 * (f[..., 1] - f[..., 2])], axis=-1)


def seen(rgb, vision: str | None) -> np.ndarray:
    """CIELAB of an sRGB colour (or rows of them) as seen with `vision`."""
    values = linear(rgb)
    if vision is not None:
        values = np.clip(values @ MACHADO[vision].T, 0, 1)
    return lab(values)


def hex_rgb(colour: str) -> tuple[int, int, int]:
    return tuple(int(colour[index:index + 2], 16) for index in (1, 3, 5))


def delta_e(first, second, vision: str | None) -> float:
    return float(np.linalg.norm(seen(first, vision) - seen(second, vision)))


@pytest.mark.parametrize("vision", ["protanopia", "deuteranopia"])
def test_the_simulation_confuses_red_and_green_as_protan_and_deutan_viewers_do(vision):
    red, green = hex_rgb("#d7191c"), hex_rgb("#1a9641")      # ColorBrewer RdYlGn's ends
    assert delta_e(red, green, None) > 100
    assert delta_e(red, green, vision) < DISTINCT


@pytest.mark.parametrize("vision", VISIONS)
def test_negative_and_positive_weights_stay_distinct(vision):
    assert delta_e(hex_rgb(theme.NEGATIVE), hex_rgb(theme.POSITIVE), vision) >= DISTINCT
    lut = theme.SIGNED_LUT
    assert delta_e(lut[0], lut[255], vision) >= DISTINCT
    # Half the largest magnitude, either sign: the sign can still be read.
    assert delta_e(lut[64], lut[191], vision) >= DISTINCT / 2


@pytest.mark.parametrize("vision", VISIONS)
def test_the_signed_map_darkens_steadily_from_white_zero_outwards(vision):
    lightness = seen(theme.SIGNED_LUT, vision)[:, 0]
    middle = len(lightness) // 2
    positive, negative = lightness[middle:], lightness[:middle][::-1]
    for side in (positive, negative):
        assert np.all(np.diff(side) <= 0.05)        # never lighter further from zero
        assert side[0] - side[-1] >= 20             # and clearly darker at the end
    assert lightness[middle] > 90                   # zero is (near) white for everyone


@pytest.mark.parametrize("vision", VISIONS)
def test_forward_and_backward_colours_stay_distinct(vision):
    assert delta_e(hex_rgb(theme.FORWARD), hex_rgb(theme.BACKWARD), vision) >= DISTINCT


def test_speed_and_animation_are_reachable_from_the_keyboard(qtbot, big_window):
    speed = big_window.findChild(QWidget, "speedControl")
    animation = big_window.findChild(QWidget, "animationControl")
    last = speed.count() - 1
    assert speed.currentIndex() == last                     # "max" at the start
    qtbot.keyClick(big_window, Qt.Key.Key_Minus)
    qtbot.keyClick(big_window, Qt.Key.Key_Minus)
    assert speed.currentIndex() == last - 2
    qtbot.keyClick(big_window, Qt.Key.Key_Plus)
    assert speed.currentIndex() == last - 1
    for _ in range(speed.count() + 2):                      # stops at the fastest, does not wrap
        qtbot.keyClick(big_window, Qt.Key.Key_Plus)
    assert speed.currentIndex() == last
    before = animation.value()
    assert before > 0
    qtbot.keyClick(big_window, Qt.Key.Key_A)
    assert animation.value() == 0
    qtbot.keyClick(big_window, Qt.Key.Key_A)
    assert animation.value() == before
