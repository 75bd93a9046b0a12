"""Every action of the window in one table: its name (the objectName tests and docs/TESTING.md use), text, icon,
keys, tooltip, and what it calls on the window; then the menus and toolbars, as lists of those names.

Actions are window shortcuts (they work whichever child has focus; a focused spin box keeps its arrows) and are
added to the window itself, so their keys work while the toolbars or menus are hidden (presenter mode).
"""
from __future__ import annotations

from dataclasses import dataclass
from operator import attrgetter
from typing import Callable, Mapping

from PyQt6.QtCore import QSize, Qt
from PyQt6.QtGui import QAction, QActionGroup, QKeySequence
from PyQt6.QtWidgets import QMainWindow, QMenu, QToolBar, QWidget, QWidgetAction

from visualizer import appearance
from visualizer.window.status import caption

Key, Mod = Qt.Key, Qt.KeyboardModifier
CTRL, SHIFT, ALT = Mod.ControlModifier, Mod.ShiftModifier, Mod.AltModifier


def full_screen_keys() -> tuple[QKeySequence, ...]:
    """F11, and the platform's own full-screen keys (F11 is "Show Desktop" on macOS)."""
    return with_platform_keys(Key.Key_F11, QKeySequence.StandardKey.FullScreen)


def with_platform_keys(key: Key, standard: QKeySequence.StandardKey) -> tuple[QKeySequence, ...]:
    """key, and the platform's own keys for standard that differ from it (the same key twice is ambiguous)."""
    keys = [QKeySequence(key)]
    for binding in QKeySequence.keyBindings(standard):
        if binding not in keys:
            keys.append(binding)
    return tuple(keys)


@dataclass(frozen=True)
class ActionSpec:
    name: str                                   # objectName
    text: str
    icon: str                                   # visualizer/assets/icons/<icon>.svg, drawn in the theme's ink
    keys: tuple                                 # key combinations (QKeySequence, Qt.Key or key | modifiers)
    tip: str
    slot: str = ""          # what it calls, from the window: "close", "files.open_dataset" (with the checked state
    #                         when it is checkable)
    checkable: bool = False
    enabled: bool = True

    def sequences(self) -> list[QKeySequence]:
        return [key if isinstance(key, QKeySequence) else QKeySequence(key) for key in self.keys]


ACTIONS: tuple[ActionSpec, ...] = (
    ActionSpec("stepPhase", "Step phase", "step-phase", (Key.Key_Right,), "Compute the next phase", "step_phase"),
    ActionSpec("stepIteration", "Step iteration", "step-iteration", (SHIFT | Key.Key_Right,),
               "Finish this iteration, up to and including the update", "step_iteration"),
    ActionSpec("stepBack", "Step back", "step-back", (Key.Key_Left,), "Undo the last phase", "step_back"),
    # A presentation clicker sends PageDown / PageUp: the lesson's steps when it is open, else the phases.
    ActionSpec("clickerNext", "Next (clicker)", "step-phase", (Key.Key_PageDown,),
               "The lesson's next step when it is open (or show a phase held for its question), else the next phase",
               "clicker_next"),
    ActionSpec("clickerPrevious", "Previous (clicker)", "step-back", (Key.Key_PageUp,),
               "The lesson's previous step when it is open, else the previous phase", "clicker_previous"),
    ActionSpec("playPause", "Play", "play", (Key.Key_Space,), "Play or pause training", "bridge.toggle_play"),
    ActionSpec("reset", "Reset", "reset", (CTRL | Key.Key_R,),
               "Restart from iteration 0 with the settings in the configuration panel", "request_reset"),
    ActionSpec("openDataset", "Open dataset…", "open-dataset", (CTRL | Key.Key_O,),
               "Train on a CSV, IDX or .npz file", "files.open_dataset"),
    ActionSpec("openWeights", "Open weights…", "open-weights", (CTRL | SHIFT | Key.Key_O,),
               "Start from the weights in an .npz file", "files.open_weights"),
    ActionSpec("saveWeights", "Save weights…", "save-weights", (CTRL | Key.Key_S,),
               "Save W1, b1, W2, b2 and the settings to an .npz file", "files.save_weights"),
    ActionSpec("openSession", "Open session…", "open-session", (CTRL | ALT | Key.Key_O,),
               "Continue a saved session: its data, weights, optimizer state, curves and history",
               "files.open_session"),
    ActionSpec("saveSession", "Save session…", "save-session", (CTRL | SHIFT | Key.Key_S,),
               "Save the whole run (weights, optimizer state, curves, history) to reopen later",
               "files.save_session"),
    ActionSpec("exportImage", "Export image…", "export-image", (CTRL | Key.Key_E,),
               "Save the window as a PNG image", "export_window"),
    ActionSpec("presenterMode", "Presenter mode", "presenter", full_screen_keys(),
               "Full screen, large type, only the diagram and the equation", "set_presenter_mode", checkable=True),
    ActionSpec("leavePresenterMode", "Leave presenter mode", "presenter", (Key.Key_Escape,),
               "Back to the normal layout", "leave_presenter_mode", enabled=False),
    ActionSpec("quit", "Quit", "quit", (CTRL | Key.Key_Q,), "Close the window", "request_quit"),
    # The two toolbar controls take focus only on a click (so the arrow keys keep stepping); these keys reach
    # them from the keyboard.
    ActionSpec("speedUp", "Play faster", "play", (Key.Key_Plus, Key.Key_Equal), "Play faster", "controls.faster"),
    ActionSpec("speedDown", "Play slower", "play", (Key.Key_Minus,), "Play slower", "controls.slower"),
    ActionSpec("toggleAnimation", "Animation on/off", "step-phase", (Key.Key_A,),
               "Switch the diagram's animation off, or back on", "controls.toggle_animation"),
    ActionSpec("bugLab", "Bug lab", "bug-lab", (CTRL | Key.Key_B,),
               "Switch on a classic mistake and train it side by side with the correct code", "labs.show_bug_lab",
               checkable=True),
    ActionSpec("checkCode", "Check my code…", "check-code", (CTRL | Key.Key_K,),
               "Compare your notebook's functions with ours, phase by phase", "labs.check_my_code"),
    ActionSpec("resetLayout", "Reset layout", "presenter", (CTRL | ALT | Key.Key_R,),
               "Every panel back where it starts, sized for this screen", "reset_layout"),
    ActionSpec("keyboardHelp", "Keyboard help", "presenter",
               with_platform_keys(Key.Key_F1, QKeySequence.StandardKey.HelpContents),
               "Every key of the window, over it", "show_keyboard_help", checkable=True),
    ActionSpec("hideNumbers", "Hide the numbers", "step-phase", (Key.Key_N,),
               "Hide the numbers in the diagram and the panels, so that the class predicts before they show",
               "set_numbers_hidden", checkable=True),
    ActionSpec("autoPhases", "Play phase by phase", "step-phase", (SHIFT | Key.Key_Space,),
               "Step one phase at a time, at the pace set in Run ▸ Pace, until pressed again", "set_auto_phases",
               checkable=True),
)

# Menus and toolbars, by the actions' names: None is a separator; "@name" a part the window builds (the export
# menu, the theme menu, the docks' toggles).
MENUS: tuple[tuple[str, tuple[str | None, ...]], ...] = (
    ("&File", ("openDataset", "@datasets", "openWeights", "saveWeights", None, "openSession", "saveSession", None,
               "@export", None, "quit")),
    ("&Run", ("stepPhase", "stepIteration", "stepBack", "playPause", "speedUp", "speedDown", "toggleAnimation",
              "reset", None, "autoPhases", "@phasePace")),
    ("&View", ("presenterMode", "@theme", None, "@docks", "resetLayout", None, "hideNumbers", "keyboardHelp")),
    ("&Lab", ("bugLab", "checkCode", "@checkResults")),
)
# The step controls carry their names beside their icons; the rest are icons with tooltips. Both toolbars fit
# 1024 px (a projector's width) with no overflow: the rarer actions (weights, the labs) are in the menus only.
STEP_TOOLBAR = ("stepBack", "stepPhase", "stepIteration", "playPause", "@speed")
TEXT_BESIDE_ICON = ("stepBack", "stepPhase", "stepIteration", "playPause")
TOOLS_TOOLBAR = ("reset", "@animation", None, "openDataset", "exportImage", "presenterMode")
TEXT_ONLY = ("bugLab", "checkCode")     # no icons for these two: their names say what they do


def make_action(parent: QWidget, spec: ActionSpec, slot: Callable) -> QAction:
    """The QAction of spec, added to parent (a window shortcut), calling slot when triggered."""
    action = QAction(spec.text, parent)
    appearance.set_action_icon(action, spec.icon)      # drawn in the theme's ink
    action.setObjectName(spec.name)
    keys = spec.sequences()
    action.setShortcuts(keys)
    action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
    shown = keys[0].toString(QKeySequence.SequenceFormat.NativeText) if keys else ""
    action.setToolTip(f"{spec.tip} ({shown})" if shown else spec.tip)
    action.setStatusTip(spec.tip)
    action.setCheckable(spec.checkable)
    action.setEnabled(spec.enabled)
    action.triggered.connect(slot)
    parent.addAction(action)        # so the shortcut works when the toolbar or the menus are hidden
    return action


def make_actions(window: QMainWindow) -> dict[str, QAction]:
    """The table's actions, each calling its slot on window."""
    return {spec.name: make_action(window, spec, attrgetter(spec.slot)(window)) for spec in ACTIONS}


def fill_menus(window: QMainWindow, actions: Mapping[str, QAction], parts: Mapping[str, object]) -> None:
    """The menu bar as MENUS says; parts are what "@name" stands for (a QMenu, an action, or a list of them)."""
    for title, names in MENUS:
        menu = window.menuBar().addMenu(title)
        for name in names:
            part = parts.get(name, actions.get(name)) if name else None
            if name is None:
                menu.addSeparator()
            elif isinstance(part, QMenu):
                menu.addMenu(part)
            elif isinstance(part, QWidget):         # a control in the menu (the phase pace)
                holder = QWidgetAction(menu)
                holder.setDefaultWidget(part)
                menu.addAction(holder)
            else:
                for item in part if isinstance(part, list) else [part]:
                    menu.addAction(item)


def toolbar(window: QMainWindow, title: str, name: str, items: tuple[str | None, ...],
            actions: Mapping[str, QAction], parts: Mapping[str, list[QWidget]]) -> QToolBar:
    """A toolbar of the items (None: a separator; "@name": the widgets parts gives), added to window."""
    bar = QToolBar(title)
    bar.setObjectName(name)
    bar.setIconSize(QSize(22, 22))
    bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
    for item in items:
        if item is None:
            bar.addSeparator()
        elif item in parts:
            for widget in parts[item]:
                bar.addWidget(widget)
        else:
            bar.addAction(actions[item])
    for item in items:
        styles = {**dict.fromkeys(TEXT_ONLY, Qt.ToolButtonStyle.ToolButtonTextOnly),
                  **dict.fromkeys(TEXT_BESIDE_ICON, Qt.ToolButtonStyle.ToolButtonTextBesideIcon)}
        if item in styles:
            bar.widgetForAction(actions[item]).setToolButtonStyle(styles[item])
    window.addToolBar(bar)
    return bar


def theme_menu(parent: QWidget, current: str, switch: Callable[[str], None]) -> tuple[QMenu, list[QAction]]:
    """View › Theme: Light and Dark, the current one checked (the presenter's theme comes with presenter mode)."""
    menu = QMenu("Theme", parent)
    menu.setObjectName("themeMenu")
    items = []
    for name, label in (("light", "Light"), ("dark", "Dark")):
        item = menu.addAction(label)
        item.setObjectName(f"theme{name.capitalize()}")
        item.setCheckable(True)
        item.setChecked(name == current)
        item.setToolTip(f"Show the window in the {name} theme")
        item.setData(name)
        item.triggered.connect(lambda checked=False, n=name: switch(n))
        items.append(item)
    return menu, items


def build_menus(window) -> None:
    """The window's menus and its two toolbars, from the actions' table (window._actions made already)."""
    panels = (("window", window), ("diagram", window.diagram), ("equation", window.equation),
              ("input", window.input_view), ("values", window.values), ("matrices", window.matrices),
              ("curves", window.curves))
    window.export_menu = window.files.export_menu(panels, window._show_everywhere, lambda: window.presenter.on)
    window.action("exportImage").setMenu(window.export_menu)
    themes, theme_items = theme_menu(window, appearance.current_theme(), window.switch_theme)
    window.theme_actions = QActionGroup(window)
    for item in theme_items:
        window.theme_actions.addAction(item)
    results = window.check_code_dock.toggleViewAction()
    results.setText("Check results")
    # View ▸ Panels: every dock's toggle, the classroom's too (added later): filled as it opens.
    window.panels_menu = QMenu("Panels", window)
    window.panels_menu.setObjectName("panelsMenu")
    window.panels_menu.aboutToShow.connect(lambda: window.dock_manager.panels_menu(window.panels_menu))
    fill_menus(window, window._actions, {"@export": window.export_menu, "@theme": themes, "@checkResults": results,
                                         "@docks": window.panels_menu, "@datasets": window.files.datasets_menu(),
                                         "@phasePace": window.phase_player.pace})
    window.toolbar = toolbar(window, "Steps", "stepToolbar", STEP_TOOLBAR, window._actions,
                             {"@speed": [caption("Speed"), window.speed_control]})
    window.tools_toolbar = toolbar(window, "Tools", "toolsToolbar", TOOLS_TOOLBAR, window._actions,
                                   {"@animation": [caption("Animation"), window.animation_control]})
