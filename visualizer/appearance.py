"""Themes: named colours in assets/styles/<name>.json, a stylesheet in <name>.qss, applied to a running window.

apply_theme reads and checks the theme's files first, so a bad file changes nothing. Then, in order: theme.py's
current colours (read by everything built or painted afterwards), pyqtgraph's default colours, the application's
palette and stylesheet, the window's existing plots and canvases (backgrounds, axes, titles, legends), and last
every child widget's own `set_theme()`, for the items only it knows the meaning of.

Why the dark theme's signed map has a dark zero: most weights and gradients are near zero, so a white zero turns
every heat map into a glaring white block on the dark window, and the eye goes to the zeros. With zero just lighter
than the plots, the large values are the bright ones, as in the light theme they are the saturated ones. Sky blue
(not the light theme's deep blue, which nearly vanishes on black) balances orange in lightness, so neither sign
looks larger than the other; both ends stay distinct under protan, deutan and tritan vision (tests/ui/test_themes.py).
"""
from __future__ import annotations

import contextlib
import gc
import json
import re
from dataclasses import dataclass
from pathlib import Path
from string import Template
from typing import Iterator

import pyqtgraph as pg
from PyQt6.QtCore import QByteArray, QSize, Qt
from PyQt6.QtGui import QAction, QColor, QIcon, QPainter, QPalette, QPixmap
from PyQt6.QtSvg import QSvgRenderer
from PyQt6.QtWidgets import QApplication, QGraphicsView, QWidget

from . import assets, theme

STYLES = assets.asset(assets.STYLES)     # a folder: a Path in a checkout, any Traversable in a bundle
THEMES = {"light": "Light", "dark": "Dark", "presenter": "High contrast (presenter mode)"}
COMMON_STYLESHEET = "common.qss"      # rules every theme shares, before the theme's own .qss
HEX = re.compile(r"#[0-9a-fA-F]{6}")
KEYS = {"about", "signed_legend", "colours", "palette", "disabled"}
# Theme colours an existing plot item may carry: an item drawn in the old theme's INK is drawn in the new one's.
TEXT_NAMES = ("INK", "MUTED")
LABEL_NAMES = ("INK", "MUTED", "WRONG", "CORRECT", "BLUE")    # a label's one-rule stylesheet "color: …;"
LABEL_STYLESHEET = re.compile(r"\s*color:\s*(#[0-9a-fA-F]{6})\s*;?\s*")
LINE_NAMES = ("MUTED", "INK", "GRID")
BACKGROUND_NAMES = ("PAPER", "PANEL")
# The icons in visualizer/assets/icons are drawn in the light theme's colours; these follow the theme, the hues stay.
ICON_NAMES = ("INK", "MUTED", "PANEL")
ICON_SIZES = (16, 22, 24, 32, 40, 44, 48, 64, 80)    # menus 16, toolbar 22, presenter 40, HiDPI twice those
APP_ICON_SIZES = (*ICON_SIZES, 128, 256)              # the application's, for taskbars and docks too
ICON_NAME = "iconName"          # the QAction property naming an action's icon, so a theme switch redraws it


@dataclass(frozen=True)
class Theme:
    name: str
    colours: dict[str, str]        # every name in theme.COLOUR_NAMES → "#rrggbb"
    palette: dict[str, str]        # QPalette.ColorRole name → "#rrggbb", enabled widgets
    disabled: dict[str, str]       # the same, for disabled widgets (the roles not named follow `palette`)
    signed_legend: str             # the signed map in words, e.g. "blue negative, white zero, orange positive"
    stylesheet: str                # common.qss and <name>.qss with the colours filled in


def load_theme(name: str) -> Theme:
    """Read and check assets/styles/<name>.json and its stylesheets; ValueError naming the file and the problem."""
    if name not in THEMES:
        raise ValueError(f"unknown theme {name!r}: choose one of {', '.join(THEMES)}")
    path = STYLES / f"{name}.json"
    data = _read_json(path)
    unknown = set(data) - KEYS
    if unknown:
        raise ValueError(f"{path}: unknown key {sorted(unknown)[0]!r} (expected {', '.join(sorted(KEYS))})")
    colours = _colours(path, data.get("colours"))
    palette = _roles(path, "palette", data.get("palette"), colours)
    disabled = _roles(path, "disabled", data.get("disabled", {}), colours)
    legend = data.get("signed_legend")
    if not isinstance(legend, str) or not legend.strip():
        raise ValueError(f"{path}: \"signed_legend\" must say the signed map's colours in words")
    stylesheet = "\n".join(_stylesheet(STYLES / file, colours) for file in (COMMON_STYLESHEET, f"{name}.qss"))
    return Theme(name, colours, palette, disabled, legend, stylesheet)


def apply_theme(window: QWidget | None, name: str) -> None:
    """Switch the application and `window` to the theme `name`; on ValueError the current theme stays.

    With window None only the application changes: call it so before building the window (no widget to repolish).
    """
    loaded = load_theme(name)
    with no_collection_inside():
        _apply(window, loaded)


def _apply(window: QWidget | None, loaded: Theme) -> None:
    old = theme.current_colours()
    theme.set_colours(loaded.name, loaded.colours, loaded.signed_legend)
    pg.setConfigOptions(background=theme.PAPER, foreground=theme.INK)
    app = QApplication.instance()
    # Without this, any application stylesheet stops fonts and palettes set on a widget (presenter mode's large
    # toolbar type) from reaching its children.
    app.setAttribute(Qt.ApplicationAttribute.AA_UseStyleSheetPropagationInWidgetStyles, True)
    app.setPalette(make_palette(loaded))
    app.setStyleSheet(loaded.stylesheet)      # Qt repolishes every widget: ≈0.4 s for the whole window
    if window is None:
        return
    restyle(window, old)
    for action in window.findChildren(QAction):
        if action.property(ICON_NAME):
            action.setIcon(themed_icon(action.property(ICON_NAME)))
    for child in window.findChildren(QWidget):
        set_theme = getattr(child, "set_theme", None)
        if callable(set_theme):
            set_theme()


@contextlib.contextmanager
def no_collection_inside() -> Iterator[None]:
    """No automatic garbage collection until the block ends.

    A new palette or stylesheet makes Qt walk a list of the widgets it styles, taken before it starts, and call
    the Python code of some (pyqtgraph's, ours) on the way. A collection set off there deleted widgets that only
    a cycle kept (the context menus of a plot that is gone) and that were still on the list: Qt then used them
    after they were freed, and the window crashed (tests/ui/test_themes.py). The window's own collector already
    runs only between two events (visualizer/collector.py); this covers a theme applied before it starts.
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def current_theme() -> str:
    return theme.NAME


def set_tone(widget: QWidget, tone: str | None) -> None:
    """Colour a label or frame by its purpose ("muted", "warning", "notice", "alarm", "gallery"; common.qss),
    so that it follows a theme switch without a set_theme of its own."""
    widget.setProperty("tone", tone)
    widget.style().unpolish(widget)
    widget.style().polish(widget)


def themed_icon(name: str) -> QIcon:
    """The icon `name` (visualizer/assets/icons/NAME.svg) with the light theme's ink, muted and panel colours
    replaced by the current theme's."""
    text = assets.asset(assets.ICONS, f"{name}.svg").read_text(encoding="utf-8")
    light = _light_colours()
    for colour in ICON_NAMES:
        text = re.sub(re.escape(light[colour]), getattr(theme, colour), text, flags=re.IGNORECASE)
    return svg_icon(text.encode("utf-8"))


def svg_icon(svg: bytes, sizes: tuple[int, ...] = ICON_SIZES) -> QIcon:
    """An icon drawn from SVG text at every size a menu, a toolbar or (APP_ICON_SIZES) a taskbar asks for. From
    bytes, not a file name, so that it works when the package is inside a zip. (Each size is drawn now: the large
    ones only for the application's icon, as the forty actions' would add a tenth of a second to every start.)"""
    renderer = QSvgRenderer(QByteArray(svg))
    icon = QIcon()
    for size in sizes:
        pixmap = QPixmap(QSize(size, size))
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        renderer.render(painter)
        painter.end()
        icon.addPixmap(pixmap)
    return icon


def set_action_icon(action: QAction, name: str) -> None:
    """Give action the themed icon `name`, and redraw it at every theme switch."""
    action.setProperty(ICON_NAME, name)
    action.setIcon(themed_icon(name))


_light: dict[str, str] = {}


def _light_colours() -> dict[str, str]:
    if not _light:
        _light.update(load_theme("light").colours)
    return _light


def make_palette(loaded: Theme) -> QPalette:
    """The theme's palette; Qt derives the bevel shades (Light, Mid, Dark, Shadow) from Button and Window."""
    palette = QPalette(QColor(loaded.palette.get("Button", loaded.colours["RAISED"])),
                       QColor(loaded.palette.get("Window", loaded.colours["PANEL"])))
    groups = QPalette.ColorGroup
    for group in (groups.Active, groups.Inactive, groups.Disabled):
        for role, colour in loaded.palette.items():
            palette.setColor(group, QPalette.ColorRole[role], QColor(colour))
    for role, colour in loaded.disabled.items():
        palette.setColor(groups.Disabled, QPalette.ColorRole[role], QColor(colour))
    return palette


# ------------------------------------------------------------------ the window's existing items
def restyle(window: QWidget, old: dict[str, str]) -> None:
    """Recolour what pyqtgraph and Qt built in the old colours: canvases, axes, titles, legends, zero lines, filled
    panels, and labels whose whole stylesheet is one colour ("color: #1d2330;").

    An item takes the new colour of the name its colour had in the old theme (an axis in the old MUTED gets the
    new MUTED); a colour no theme name had (a curve, a signed fill) is the view's to change in set_theme().
    """
    for view in window.findChildren(QGraphicsView):
        if isinstance(view, pg.GraphicsView):
            view.setBackground(theme.PAPER)
        else:
            view.setBackgroundBrush(QColor(theme.PAPER))
            if view.scene() is not None:
                view.scene().setBackgroundBrush(QColor(theme.PAPER))
        if view.scene() is None:
            continue
        for item in view.scene().items():
            if isinstance(item, pg.AxisItem):
                _restyle_axis(item, old)
            elif isinstance(item, pg.LegendItem):
                _restyle_legend(item, old)
            elif isinstance(item, pg.LabelItem):
                colour = _follow(item.opts.get("color") or old["INK"], old, TEXT_NAMES)
                if colour is not None:
                    item.setText(item.text, color=colour.name())
            elif isinstance(item, pg.TextItem):
                colour = _follow(item.color, old, TEXT_NAMES)
                if colour is not None:
                    item.setColor(colour)
            elif isinstance(item, pg.ImageItem) and item.border is not None:
                item.setBorder(_follow_pen(item.border, old))
            elif isinstance(item, pg.InfiniteLine):
                item.setPen(_follow_pen(item.pen, old))
    for widget in (window, *window.findChildren(QWidget)):
        rule = LABEL_STYLESHEET.fullmatch(widget.styleSheet())
        colour = _follow(rule.group(1), old, LABEL_NAMES) if rule else None
        if colour is not None:
            widget.setStyleSheet(f"color: {colour.name()};")
        if widget.autoFillBackground():
            palette = widget.palette()
            colour = _follow(palette.color(widget.backgroundRole()), old, BACKGROUND_NAMES)
            if colour is not None:
                palette.setColor(widget.backgroundRole(), colour)
                widget.setPalette(palette)


def _restyle_axis(axis: pg.AxisItem, old: dict[str, str]) -> None:
    text_pen = _follow_pen(axis.textPen(), old, TEXT_NAMES)
    axis.setPen(_follow_pen(axis.pen(), old))
    axis.setTextPen(text_pen)       # last: pyqtgraph colours the axis label with the pen set last
    if axis.labelText:
        axis.setLabel(axis.labelText, axis.labelUnits, axis.labelUnitPrefix, **axis.labelStyle)


def _restyle_legend(legend: pg.LegendItem, old: dict[str, str]) -> None:
    text = _follow(legend.labelTextColor(), old, TEXT_NAMES)
    if text is not None:
        legend.setLabelTextColor(text)
        for _, label in legend.items:
            label.setText(label.text)        # setLabelTextColor only records the colour
    legend.setPen(_follow_pen(legend.pen(), old))
    brush = legend.brush()
    background = _follow(brush.color(), old, BACKGROUND_NAMES)
    if background is not None:
        legend.setBrush(background)


def _follow(colour, old: dict[str, str], names: tuple[str, ...]) -> QColor | None:
    """The current colour of the first of `names` whose old value was `colour` (its alpha kept), else None."""
    if colour is None:
        return None
    colour = pg.mkColor(colour)
    for name in names:
        if QColor(old[name]).rgb() == colour.rgb():
            followed = QColor(getattr(theme, name))
            followed.setAlpha(colour.alpha())
            return followed
    return None


def _follow_pen(pen, old: dict[str, str], names: tuple[str, ...] = LINE_NAMES):
    pen = pg.mkPen(pen)
    colour = _follow(pen.color(), old, names)
    if colour is not None:
        pen.setColor(colour)
    return pen


# ------------------------------------------------------------------ reading theme files
def _read_json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ValueError(f"{path}: cannot be read ({error.strerror or error})") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        where = f"line {error.lineno}, column {error.colno}: {error.msg}" if isinstance(error, json.JSONDecodeError) \
            else "not UTF-8 text"
        raise ValueError(f"{path}: {where}") from None
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected an object with \"colours\" and \"palette\", found {type(data).__name__}")
    return data


def _colours(path: Path, given) -> dict[str, str]:
    """Every name in theme.COLOUR_NAMES → "#rrggbb"; a value may name another colour of the file ("BLUE")."""
    if not isinstance(given, dict):
        raise ValueError(f"{path}: \"colours\" must map colour names to \"#rrggbb\"")
    names = set(theme.COLOUR_NAMES)
    unknown, missing = set(given) - names, names - set(given)
    if unknown:
        raise ValueError(f"{path}: unknown colour {sorted(unknown)[0]!r} (the names are in visualizer/theme.py)")
    if missing:
        raise ValueError(f"{path}: colours missing: {', '.join(sorted(missing))}")
    colours = {}
    for name in theme.COLOUR_NAMES:
        value = given[name]
        if isinstance(value, str) and value in given and HEX.fullmatch(str(given[value])):
            value = given[value]
        if not isinstance(value, str) or not HEX.fullmatch(value):
            raise ValueError(f"{path}: colour {name} = {given[name]!r} is neither \"#rrggbb\" nor the name of one")
        colours[name] = value.lower()
    return colours


def _roles(path: Path, key: str, given, colours: dict[str, str]) -> dict[str, str]:
    if not isinstance(given, dict):
        raise ValueError(f"{path}: \"{key}\" must map palette roles (Window, Text, …) to colours")
    roles = {}
    for role, value in given.items():
        if role not in QPalette.ColorRole.__members__ or role == "NColorRoles":
            raise ValueError(f"{path}: \"{key}\" has {role!r}, which is not a QPalette colour role")
        value = colours.get(value, value) if isinstance(value, str) else value
        if not isinstance(value, str) or not HEX.fullmatch(value):
            raise ValueError(f"{path}: \"{key}\" {role} = {given[role]!r} is neither \"#rrggbb\" nor a colour name")
        roles[role] = value.lower()
    return roles


def _stylesheet(path: Path, colours: dict[str, str]) -> str:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ValueError(f"{path}: cannot be read ({error.strerror or error})") from None
    except UnicodeDecodeError:
        raise ValueError(f"{path}: not UTF-8 text") from None
    try:
        return Template(text).substitute(colours)
    except KeyError as error:
        raise ValueError(f"{path}: ${error.args[0]} is not a colour name (the names are in visualizer/theme.py)") \
            from None
    except ValueError as error:     # a lone $ or "$(" : Template says where
        raise ValueError(f"{path}: {error}") from None
