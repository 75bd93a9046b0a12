"""The main window: wiring only. Actions and controls send requests to the bridge; snapshots go to the views.

The window shows each snapshot as it arrives. While playing, the worker sends one per frame, and the next only once
the window has shown this one (Bridge.paced), so painting never slows training down and never falls behind it; the
frame policy (visualizer/frames.py) says which panels each frame redraws. Its parts live in visualizer/window/:
the actions' table, the docks' manager, presenter mode, the status bar and banners, the files and exports.
"""
from __future__ import annotations

from html import escape
from typing import Callable

from PyQt6.QtCore import Qt, QTimer
from PyQt6.QtGui import QAction, QActionGroup
from PyQt6.QtWidgets import QApplication, QDockWidget, QFrame, QHBoxLayout, QMainWindow, QMenu, QScrollArea, \
    QSplitter, QToolBar, \
    QVBoxLayout, QWidget

from core import data

from . import appearance, assets
from .bridge import Bridge
from .export import GifExport
from .classroom import Classroom
from .explaining import Explainer
from .prediction import Predictions
from .frames import Frame, FramePolicy
from .settings import Settings
from .snapshot import Snapshot
from .views.buglab import BugLabView
from .views.check_code import CheckCodeView
from .views.config_panel import ConfigPanel
from .views.curves import CurvesView
from .views.diagram import NetworkDiagram
from .views.equation import EquationView
from .views.evaluation import EvaluationPanel
from .views.input_view import InputView
from .views.matrices import MatricesView
from .views.timeline import Timeline
from .views.values import ValuesView
from .window.actions import STEP_TOOLBAR, TOOLS_TOOLBAR, ActionSpec, fill_menus, make_action, make_actions, \
    theme_menu, toolbar
from .window.controls import PlayControls
from .window.docks import DockManager
from .window.files import Files
from .window.helpers import DropGuard, KeyboardHelp, PhasePlayer, WheelRouter
from .window.presenter import PresenterMode
from .window.side_column import SideColumn
from .window.status import Banner, DivergenceBanner, StatusView, caption

Area = Qt.DockWidgetArea
SIDE_COLUMN = 0.36          # of the window's width, for the strips beside the diagram (presenter mode)
QWIDGETSIZE_MAX = 16777215


class MainWindow(QMainWindow):
    def __init__(self, bridge: Bridge, settings: Settings | None = None, parent: QWidget | None = None):
        """settings None: remember nothing (a --screenshot run)."""
        super().__init__(parent)
        self.bridge = bridge
        bridge.paced = True                          # one snapshot per frame while playing (show_snapshot)
        self.settings = settings
        self.snapshot: Snapshot | None = None       # the one on screen
        self.frames_shown = 0                        # snapshots handed to the views (read by the benchmark)
        self.numbers_hidden = False                  # hideNumbers: the class predicts before the numbers show
        self.frame_policy = FramePolicy()
        self.setWindowTitle("Backprop Visualizer")
        self.setWindowIcon(appearance.svg_icon(assets.asset(assets.ICONS, "app.svg").read_bytes()))

        self.diagram, self.equation, self.input_view = NetworkDiagram(), EquationView(), InputView()
        self.values, self.matrices, self.curves = ValuesView(), MatricesView(), CurvesView()
        self.config_panel, self.timeline, self.evaluation = ConfigPanel(), Timeline(), EvaluationPanel()
        self.bug_lab, self.check_code = BugLabView(), CheckCodeView()
        self._views: list[QWidget] = [self.diagram, self.equation, self.input_view, self.values, self.matrices,
                                      self.curves, self.timeline, self.evaluation, self.bug_lab]
        # While playing, these follow every frame; the others when the frame policy says (frames.py).
        self.live_views = (self.curves, self.timeline)

        self._build_centre()
        self.dock_manager = DockManager(self)
        self._build_docks()
        self.controls = PlayControls()
        self.speed_control, self.animation_control = self.controls.speed, self.controls.animation
        self.phase_player = PhasePlayer(self.step_phase, self)
        self._build_actions()
        self.status = StatusView(self.statusBar())
        self.presenter = PresenterMode(
            self, self.dock_manager, self.toolbar,
            hidden=(self.menuBar(), self.statusBar(), self.tools_toolbar, self.timeline_toolbar),
            large=(self.speed_control,), views=lambda: (*self.views, self.config_panel),
            switch_theme=self.switch_theme, fitted=self.fit_centre)
        self.classroom = Classroom(self)
        self.predictions = Predictions(self)
        self.explainer = Explainer(self)
        self.classroom.lesson_control.connect_predictions(self.predictions)
        self.keyboard_help = KeyboardHelp(self)
        self.wheel_router = WheelRouter(self)
        QApplication.instance().installEventFilter(self.wheel_router)
        self._connect()
        self.dock_manager.panels_menu(self.panels_menu)
        self.dock_manager.remember_default()

    # ------------------------------------------------------------ public parts
    @property
    def views(self) -> tuple[QWidget, ...]:
        """Every view a snapshot goes to (add_view adds one)."""
        return tuple(self._views)

    @property
    def docks(self) -> tuple[QDockWidget, ...]:
        return self.dock_manager.docks

    @property
    def gif_export(self) -> GifExport | None:
        """The GIF export running or last run, or None."""
        return self.files.gif_export

    def add_view(self, view: QWidget) -> None:
        """A view built later (a classroom panel): it takes the mode and the snapshot on screen at once."""
        self._views.append(view)
        view.set_presenter_mode(self.presenter.on)
        if hasattr(view, "set_numbers_hidden"):
            view.set_numbers_hidden(self.numbers_hidden)
        if self.snapshot is not None:
            view.show_snapshot(self.snapshot)

    def add_action(self, spec: ActionSpec, slot: Callable) -> QAction:
        """An action of the window (a window shortcut), as the table's are made."""
        return make_action(self, spec, slot)

    def action(self, name: str) -> QAction:
        return self._actions[name]

    # ------------------------------------------------------------ layout
    def _build_centre(self) -> None:
        self.divergence_banner = DivergenceBanner()
        self.message_banner = Banner("messageBanner", "notice")
        self.gif_banner = Banner("gifBanner", "notice")
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.setObjectName("centreSplitter")
        splitter.addWidget(self.equation)
        # Presenter mode's strips (predict mode's question, the lesson's caption) go beside the diagram, under
        # the equation; in the window, over the equation: visualizer/prediction.py and lesson_control.py place
        # them with place_strip.
        diagram_row = QWidget()
        row = QHBoxLayout(diagram_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.diagram, 1)
        self.centre_side = SideColumn()
        row.addWidget(self.centre_side)
        splitter.addWidget(diagram_row)
        # The equation keeps the height it needs (fit_centre); the diagram takes every pixel more or less.
        splitter.setStretchFactor(0, 0)
        splitter.setStretchFactor(1, 1)
        splitter.setChildrenCollapsible(False)
        self.centre_splitter = splitter
        centre = QWidget()
        layout = QVBoxLayout(centre)
        layout.setContentsMargins(4, 4, 4, 4)
        self.drop_guard = DropGuard()
        for banner in (self.divergence_banner, self.message_banner, self.gif_banner, self.drop_guard.bar):
            layout.addWidget(banner)
        self.centre_strips = QVBoxLayout()
        layout.addLayout(self.centre_strips)
        layout.addWidget(splitter, 1)
        self.setCentralWidget(centre)

    def place_strip(self, widget: QWidget, beside: bool, top: bool = False) -> None:
        """A strip of the centre: over the diagram, or (beside) in a column at its right, SIDE_COLUMN of the
        window's width (the diagram and the equation keep the rest), at the column's top or bottom."""
        self.centre_strips.removeWidget(widget)
        self.centre_side.remove(widget)
        if beside:
            self.centre_side.add(widget, int(self.width() * SIDE_COLUMN), top)
        else:
            self.centre_strips.addWidget(widget)
            widget.setMinimumWidth(0)
            widget.setMaximumWidth(QWIDGETSIZE_MAX)

    def _build_docks(self) -> None:
        add = self.dock_manager.add
        config_scroll = QScrollArea()
        config_scroll.setWidgetResizable(True)
        config_scroll.setWidget(self.config_panel)
        config_scroll.setFrameShape(QFrame.Shape.NoFrame)
        add("Input", "inputDock", self.input_view, Area.LeftDockWidgetArea)
        add("Configuration", "configDock", config_scroll, Area.LeftDockWidgetArea)
        add("Values", "valuesDock", self.values)
        curves = add("Curves", "curvesDock", self.curves)
        add("Matrices", "matricesDock", self.matrices, Area.BottomDockWidgetArea)
        # The dev-set evaluation, a tab behind the curves; the worker computes it only while it is visible.
        self.evaluation_dock = add("Evaluation", "evaluationDock", self.evaluation, beside="curvesDock")
        curves.raise_()
        self.bug_lab_dock = add("Bug lab", "bugLabPanel", self.bug_lab, beside="curvesDock", hidden=True)
        self.check_code_dock = add("Check my code", "checkCodePanel", self.check_code, beside="curvesDock",
                                   hidden=True)
        # The timeline: a thin bar above the status bar, the slider over the iterations kept.
        bar = QToolBar("Timeline")
        bar.setObjectName("timelineToolbar")
        bar.setMovable(False)
        bar.addWidget(self.timeline)
        self.addToolBar(Qt.ToolBarArea.BottomToolBarArea, bar)
        self.timeline_toolbar = bar

    def _build_actions(self) -> None:
        self.files = Files(self, self.bridge, self.settings, lambda: self.snapshot, self.show_error,
                           self.status_notice, self._clear_banners, self.gif_banner)
        self._actions = make_actions(self)
        self.presenter_action, self.leave_presenter_action = self.action("presenterMode"), \
            self.action("leavePresenterMode")
        self.play_action = self.action("playPause")
        panels = (("window", self), ("diagram", self.diagram), ("equation", self.equation),
                  ("input", self.input_view), ("values", self.values), ("matrices", self.matrices),
                  ("curves", self.curves))
        self.export_menu = self.files.export_menu(panels, self._show_everywhere, lambda: self.presenter.on)
        self.action("exportImage").setMenu(self.export_menu)
        themes, theme_items = theme_menu(self, appearance.current_theme(), self.switch_theme)
        self.theme_actions = QActionGroup(self)
        for item in theme_items:
            self.theme_actions.addAction(item)
        results = self.check_code_dock.toggleViewAction()
        results.setText("Check results")
        # View ▸ Panels: every dock's toggle, the classroom's too (added later): filled as it opens.
        self.panels_menu = QMenu("Panels", self)
        self.panels_menu.setObjectName("panelsMenu")
        self.panels_menu.aboutToShow.connect(lambda: self.dock_manager.panels_menu(self.panels_menu))
        fill_menus(self, self._actions, {"@export": self.export_menu, "@theme": themes, "@checkResults": results,
                                         "@docks": self.panels_menu, "@datasets": self.files.datasets_menu(),
                                         "@phasePace": self.phase_player.pace})
        self.toolbar = toolbar(self, "Steps", "stepToolbar", STEP_TOOLBAR, self._actions,
                               {"@speed": [caption("Speed"), self.speed_control]})
        self.tools_toolbar = toolbar(self, "Tools", "toolsToolbar", TOOLS_TOOLBAR, self._actions,
                                     {"@animation": [caption("Animation"), self.animation_control]})
        self.bug_lab_dock.toggleViewAction().toggled.connect(self.action("bugLab").setChecked)

    def _connect(self) -> None:
        bridge = self.bridge
        bridge.snapshotReady.connect(self._received)
        bridge.failed.connect(self.show_error)
        bridge.diverged.connect(self.divergence_banner.show_divergence)
        bridge.unitsDied.connect(self.divergence_banner.show_divergence)     # the same strip: what, why, go back
        bridge.notice.connect(self.status_notice)
        bridge.busy.connect(self.status.busy)
        bridge.failed.connect(self.timeline.seek_settled)
        self.timeline.seekRequested.connect(bridge.seek)
        self.timeline.learningRateConfirmed.connect(bridge.set_learning_rate)
        self.timeline.learningRateCancelled.connect(self.config_panel.cancel)
        self.evaluation_dock.visibilityChanged.connect(bridge.set_evaluation)
        self.evaluation.exampleRequested.connect(bridge.select_example)
        self.config_panel.devSizeRequested.connect(bridge.set_dev_size)     # then resetRequested
        self.config_panel.resetRequested.connect(self._reset)
        self.config_panel.learningRateChanged.connect(self.timeline.request_learning_rate)   # asks at a past one
        self.speed_control.currentIndexChanged.connect(
            lambda index: bridge.set_speed(self.speed_control.itemData(index)))
        self.animation_control.valueChanged.connect(self.diagram.set_animation_ms)
        self.equation.heightChanged.connect(self.fit_centre)
        self.diagram.set_animation_ms(self.animation_control.value())
        self.input_view.exampleRequested.connect(bridge.select_example)
        self.divergence_banner.button.clicked.connect(self._go_back)
        for view in (self.bug_lab, self.check_code):
            view.failed.connect(self.show_error)

    # ------------------------------------------------------------ the actions' slots
    def step_phase(self) -> None:
        """The next phase; in predict mode a question about it comes first (→ again shows it unanswered)."""
        if not self.predictions.reveal():
            self.bridge.step("predict" if self.predictions.on else "phase")

    def clicker_next(self) -> None:
        """PageDown, a presentation clicker's "next": show a phase held for its question, else the lesson's next
        step when the lesson is open, else the next phase."""
        if not self.predictions.reveal() and not self.classroom.lesson_control.next():
            self.step_phase()

    def clicker_previous(self) -> None:
        """PageUp: the lesson's previous step when it is open, else the previous phase."""
        if not self.classroom.lesson_control.previous():
            self.step_back()

    def explain(self, name: str, index: tuple[int, ...]) -> None:
        """Open the explanation of one number of the iteration on screen (worked out in the background; it shows
        in explainPanel, and window.explainer.explanation is it)."""
        self.explainer.explain(name, index)

    def step_iteration(self) -> None:
        self.bridge.step("iteration")

    def step_back(self) -> None:
        self.bridge.step("back")

    def export_window(self) -> None:
        self.files.export(self, "window")

    def request_reset(self) -> None:
        """Ctrl+R: back to iteration 0 with the panel's settings; asks first when that drops many iterations."""
        self.drop_guard.ask("reset", self.snapshot.latest if self.snapshot else 0, self.config_panel.request_reset)

    def request_quit(self) -> None:
        """Ctrl+Q: close the window; asks first when that drops many iterations (the close button does not)."""
        self.drop_guard.ask("quit", self.snapshot.latest if self.snapshot else 0, self.close)

    def show_keyboard_help(self, on: bool) -> None:
        """F1: every key of the window, over it (any key or a click closes it)."""
        self.keyboard_help.open(self.presenter.on) if on else self.keyboard_help.hide()

    def set_numbers_hidden(self, hidden: bool) -> None:
        """Hide the numbers in the diagram and the panels (a class predicts first), or show them again."""
        self.numbers_hidden = bool(hidden)
        self.action("hideNumbers").setChecked(self.numbers_hidden)
        for view in self.views:
            if hasattr(view, "set_numbers_hidden"):
                view.set_numbers_hidden(self.numbers_hidden)

    def set_auto_phases(self, on: bool) -> None:
        """Step one phase at a time at the pace of phasePaceSpin, until switched off (or playing starts)."""
        self.phase_player.set_on(on)
        self.action("autoPhases").setChecked(on)

    def show_bug_lab(self, on: bool) -> None:
        self.dock_manager.show_floating(self.bug_lab_dock, on)

    def check_my_code(self) -> None:
        path = self.files.ask_code()
        if path:
            self.message_banner.hide()
            self.dock_manager.show_floating(self.check_code_dock, True)
            self.check_code.check(path)

    # ------------------------------------------------------------ snapshots
    def _received(self, snapshot: Snapshot) -> None:
        """Show a snapshot as it comes. While playing it is a frame, sent by the worker at the display rate and
        at a moment its training does not need the interpreter (worker.RELEASE_PHASE); a step, a pause or a
        reset answers one key press and shows in every panel. In predict mode a phase with a question waits for
        its answer (visualizer/prediction.py)."""
        if self.predictions.hold(snapshot):
            return
        if not snapshot.playing:
            self.show_snapshot(snapshot)
            return
        frame = self.frame_policy.frame(playing=True)
        # A phase other than the one the per-phase panels show (playing has just started, say) is shown in every
        # panel at once: the header must not keep the paused phase while the diagram shows the update.
        if frame.shows("details") or self.snapshot is None or snapshot.phase != self.snapshot.phase:
            self.show_snapshot(snapshot, frame=frame)
        elif frame.shows("diagram"):
            self.show_snapshot(snapshot, (self.diagram, *self.live_views), frame)
        else:
            self.show_snapshot(snapshot, self.live_views, frame)

    def show_snapshot(self, snapshot: Snapshot, views: tuple[QWidget, ...] | None = None,
                      frame: Frame | None = None) -> None:
        """Hand a snapshot to the views (all of them by default); the worker may then make the next one."""
        self.bridge.frame_taken()
        self.snapshot = snapshot
        if frame is None:
            frame = self.frame_policy.frame(playing=False)    # everything, exactly
        for view in views or self.views:
            if getattr(view, "TAKES_FRAME", False):
                view.show_snapshot(snapshot, frame)
            else:
                view.show_snapshot(snapshot)
        if snapshot.config != self.config_panel.current:
            self.config_panel.set_config(snapshot.config)
        self.config_panel.set_dev_size(snapshot.dev_size)
        if self.status.show_snapshot(snapshot, frame.shows("numbers")):
            self.setWindowTitle(f"Backprop Visualizer — {snapshot.dataset_name}")
        if snapshot.playing and self.phase_player.on:
            self.set_auto_phases(False)         # playing takes over from the phases one by one
        playing = "Pause" if snapshot.playing else "Play"
        if self.play_action.text() != playing:     # an icon is read from its file
            self.play_action.setText(playing)
            appearance.set_action_icon(self.play_action, playing.lower())
        self.frames_shown += 1

    def _show_everywhere(self) -> None:
        """Every panel at the iteration on screen (while playing some lag): before an export."""
        if self.snapshot is not None:
            self.show_snapshot(self.snapshot)

    # ------------------------------------------------------------ messages
    def show_error(self, text: str) -> None:
        """A one-line message in a non-modal strip; the state of the run is unchanged."""
        self.message_banner.show_message(escape(text))

    def status_notice(self, text: str, milliseconds: int = 8000) -> None:
        self.status.notice(text, milliseconds)

    def _clear_banners(self) -> None:
        self.message_banner.hide()
        self.divergence_banner.hide()

    def _go_back(self) -> None:
        self.divergence_banner.hide()
        self.bridge.seek(self.divergence_banner.good_iteration)

    def _reset(self, config) -> None:
        self.divergence_banner.hide()
        self.bridge.reset(config)

    # ------------------------------------------------------------ themes and presenter mode
    def switch_theme(self, name: str) -> None:
        """Light, dark, or presenter's high contrast, from assets/styles/; a broken theme file leaves the current
        one and says which file and what is wrong."""
        try:
            appearance.apply_theme(self, name)
        except ValueError as error:
            self.show_error(str(error))
            return
        for item in self.theme_actions.actions():
            item.setChecked(item.data() == name)
        if name != "presenter" and self.settings is not None:
            self.settings.theme = name
        # The views paint some colours per snapshot: show the current one again in the new colours.
        self._show_everywhere()

    def set_presenter_mode(self, on: bool) -> None:
        """Full screen, large type, only the diagram, the equation and the step controls; off restores the layout."""
        self.presenter.set(on)
        self.presenter_action.setChecked(bool(on))
        self.leave_presenter_action.setEnabled(bool(on))

    def leave_presenter_mode(self) -> None:
        self.set_presenter_mode(False)

    def reset_layout(self) -> None:
        """View ▸ Reset layout: the default layout for the window's size now (presenter mode ends first)."""
        self.set_presenter_mode(False)
        self.dock_manager.reset_layout()
        self.fit_centre()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if not getattr(self, "_laid_out", False):
            self._laid_out = True
            self.fit_panels()
            QTimer.singleShot(0, self.fit_panels)     # again once the layouts have settled
            # The curves are the tab on top at the start (raising before the first show does not hold).
            QTimer.singleShot(0, self.dock_manager.find("curvesDock").raise_)

    def fit_panels(self) -> None:
        """Share the window between the panels: the diagram gets what the others leave."""
        self.dock_manager.fit()
        self.fit_centre()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        QTimer.singleShot(0, self.fit_centre)       # once the centre has its new size

    def fit_centre(self) -> None:
        """The equation gets the height it needs, the diagram the rest."""
        centre = self.centre_splitter.height() or self.height() // 2
        equation = self.equation.minimumSizeHint().height()
        self.centre_splitter.setSizes([equation, max(100, centre - equation)])

    # ------------------------------------------------------------ settings and closing
    def restore_settings(self, layout: bool = True) -> None:
        """Speed, animation and (layout True) the window's size and dock layout as the user left them."""
        settings = self.settings
        if settings is None:
            return
        self.speed_control.setCurrentIndex(min(settings.speed_index, self.speed_control.count() - 1))
        self.animation_control.setValue(settings.animation_ms)
        if layout and settings.restore_window(self):
            self._laid_out = True           # the user's dock sizes, not the default split

    def save_settings(self) -> None:
        settings = self.settings
        if settings is None:
            return
        if not self.presenter.on:           # the normal layout, not the full-screen one
            settings.save_window(self)
        settings.speed_index = self.speed_control.currentIndex()
        settings.animation_ms = self.animation_control.value()
        if self.snapshot is not None:
            settings.dataset = data.lasting_spec(self.snapshot.dataset_name)
        settings.sync()

    def closeEvent(self, event) -> None:
        """Stop playing and end the worker thread before the window goes (never leave it running)."""
        self.save_settings()
        QApplication.instance().removeEventFilter(self.wheel_router)
        self.dock_manager.hide_floating()   # a floating panel is a window of its own: it goes with this one
        self.bug_lab.shutdown()
        self.check_code.shutdown()
        self.classroom.shutdown()
        self.explainer.shutdown()
        self.files.shutdown()
        self.bridge.shutdown()
        super().closeEvent(event)
