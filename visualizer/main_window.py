"""The main window: wiring only. Actions and controls send requests to the bridge; snapshots go to the views.

The window shows each snapshot as it arrives. While playing, the worker sends one per frame, and the next only once
the window has shown this one (Bridge.paced), so painting never slows training down and never falls behind it; the
frame policy (visualizer/frames.py) says which panels each frame redraws. Its parts live in visualizer/window/:
the actions' table, the docks' manager, presenter mode, the status bar and banners, the files and exports.
"""
from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING, Callable

from PyQt6.QtCore import Qt, QTimer
from PyQt6.QtGui import QAction
from PyQt6.QtWidgets import QApplication, QDockWidget, QMainWindow, QWidget

from core import data

from . import appearance
from .bridge import Bridge
from .export import GifExport
from .classroom import Classroom
from .explaining import Explainer
from .prediction import Predictions
from .frames import Frame, FramePolicy
from .settings import Settings
from .snapshot import Snapshot
from .views.config_panel import ConfigPanel
from .views.curves import CurvesView
from .views.diagram import NetworkDiagram
from .views.equation import EquationView
from .views.evaluation import EvaluationPanel
from .views.input_view import InputView
from .views.matrices import MatricesView
from .views.timeline import Timeline
from .views.values import ValuesView
from .window.actions import ActionSpec, build_menus, make_action, make_actions
from .window.controls import PlayControls
from .window.docks import DockManager, add_panels
from .window.files import Files
from .window.centre import Centre
from .window.helpers import KeyboardHelp, PhasePlayer, WheelRouter
from .window.labs import Labs
from .window.presenter import PresenterMode
from .window.status import StatusView

if TYPE_CHECKING:
    from .views.buglab import BugLabView
    from .views.check_code import CheckCodeView

Area = Qt.DockWidgetArea


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
        self.setWindowTitle("Backprop Visualizer")       # the application's icon is every window's (app.py)

        self.diagram, self.equation, self.input_view = NetworkDiagram(), EquationView(), InputView()
        self.values, self.matrices, self.curves = ValuesView(), MatricesView(), CurvesView()
        self.config_panel, self.timeline, self.evaluation = ConfigPanel(), Timeline(), EvaluationPanel()
        self._views: list[QWidget] = [self.diagram, self.equation, self.input_view, self.values, self.matrices,
                                      self.curves, self.timeline, self.evaluation]
        # While playing, these follow every frame; the others when the frame policy says (frames.py).
        self.live_views = (self.curves, self.timeline)

        self.centre = Centre(self.equation, self.diagram)
        self.setCentralWidget(self.centre)
        # The banners and the strip that asks before a run is thrown away, for the parts that show messages.
        self.divergence_banner, self.message_banner = self.centre.divergence_banner, self.centre.message_banner
        self.gif_banner, self.drop_guard = self.centre.gif_banner, self.centre.drop_guard
        self.dock_manager = DockManager(self)
        docks = add_panels(self, self.dock_manager)
        self.evaluation_dock, self.bug_lab_dock, self.check_code_dock = docks.evaluation, docks.bug_lab, docks.check
        self.timeline_toolbar = docks.timeline
        self.labs = Labs(self.dock_manager, docks.bug_lab, docks.check, self.add_view, self.show_error,
                         ask_code=lambda: self.files.ask_code(), before_check=self.message_banner.hide)
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
    def bug_lab(self) -> BugLabView:
        return self.labs.bug_lab             # (built the first time it is asked for: window/labs.py)

    @property
    def check_code(self) -> CheckCodeView:
        return self.labs.check_code

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
    def place_strip(self, widget: QWidget, beside: bool, top: bool = False) -> None:
        """Predict mode's question, the lesson's caption: over the diagram, or (presenter mode) beside it."""
        self.centre.place_strip(widget, beside, top)

    def _build_actions(self) -> None:
        self.files = Files(self, self.bridge, self.settings, lambda: self.snapshot, self.show_error,
                           self.status_notice, self._clear_banners, self.gif_banner)
        self._actions = make_actions(self)
        self.presenter_action, self.leave_presenter_action = self.action("presenterMode"), \
            self.action("leavePresenterMode")
        self.play_action = self.action("playPause")
        build_menus(self)
        self.bug_lab_dock.toggleViewAction().toggled.connect(self.action("bugLab").setChecked)

    def _connect(self) -> None:
        bridge = self.bridge
        bridge.snapshotReady.connect(self._received)
        bridge.failed.connect(self.show_error)
        bridge.diverged.connect(self.divergence_banner.show_divergence)
        bridge.unitsDied.connect(self.divergence_banner.show_divergence)     # the same strip: what, why, go back
        bridge.notice.connect(self.status_notice)
        bridge.busy.connect(self.status.busy)
        bridge.busy.connect(self.centre.busy_banner.busy)      # seen in presenter mode too, if it lasts
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
        self.centre.fit()

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
        self.hide()     # at once: the worker may take a while to end (the kernels' first compile cannot be stopped)
        QApplication.instance().removeEventFilter(self.wheel_router)
        self.dock_manager.hide_floating()   # a floating panel is a window of its own: it goes with this one
        self.labs.shutdown()
        self.classroom.shutdown()
        self.explainer.shutdown()
        self.files.shutdown()
        self.bridge.shutdown()
        super().closeEvent(event)
