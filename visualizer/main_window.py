"""The main window: wiring only. Actions and controls send requests to the bridge; snapshots go to the views.

The window shows each snapshot as it arrives. While playing, the worker sends one per frame, and the next only once
the window has shown this one (Bridge.paced), so painting never slows training down and never falls behind it.
"""
from __future__ import annotations

from html import escape
from pathlib import Path

from PyQt6.QtCore import QByteArray, QRect, QSize, Qt, QTimer
from PyQt6.QtGui import QAction, QActionGroup, QKeySequence, QResizeEvent
from PyQt6.QtWidgets import (QComboBox, QDockWidget, QFileDialog, QFrame, QGraphicsView, QHBoxLayout, QLabel,
                             QMainWindow, QMenu, QPushButton, QScrollArea, QSpinBox, QSplitter, QToolBar, QVBoxLayout,
                             QWidget)

from core import data

from . import appearance, assets, theme
from .export import GifExport, render_png, render_svg
from .frames import Frame, FramePolicy
from .bridge import SPEEDS, Bridge
from .classroom import Classroom
from .settings import Settings
from .snapshot import Snapshot
from .views.buglab import BugLabView
from .views.check_code import CheckCodeView
from .views.config_panel import ConfigPanel
from .views.confirm_bar import steady_text
from .views.curves import CurvesView
from .views.diagram import NetworkDiagram
from .views.equation import EquationView
from .views.evaluation import EvaluationPanel
from .views.input_view import InputView
from .views.matrices import MatricesView
from .views.timeline import Timeline
from .views.values import ValuesView

DEFAULT_ANIMATION_MS = 250


COMPACT_HEIGHT = 900  # below this window height the matrices move into a tab beside the curves


class Banner(QFrame):
    """A non-modal message strip at the top of the window, with an optional action button and a close button."""

    def __init__(self, name: str, tone: str, parent: QWidget | None = None):
        """tone: "alarm" or "notice" (assets/styles/common.qss colours it in every theme)."""
        super().__init__(parent)
        self.setObjectName(name)
        self.setAccessibleName(name)
        appearance.set_tone(self, tone)
        self.text = QLabel()
        self.text.setObjectName(f"{name}Text")
        self.text.setWordWrap(True)
        self.text.setTextFormat(Qt.TextFormat.RichText)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.button = QPushButton()
        self.button.setObjectName(f"{name}Action")
        self.button.hide()
        close = QPushButton("✕")
        close.setObjectName(f"{name}Close")
        close.setToolTip("Hide this message")
        close.setAccessibleName("Hide this message")
        close.setFlat(True)
        close.clicked.connect(self.hide)
        layout = QHBoxLayout(self)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.button)
        layout.addWidget(close)
        self.hide()

    def show_message(self, text: str, button_text: str | None = None) -> None:
        """text is rich text (escape what the user or a file supplied)."""
        self.text.setText(text)
        self.button.setVisible(button_text is not None)
        if button_text:
            self.button.setText(button_text)
            self.button.setToolTip(button_text)
            self.button.setAccessibleName(button_text)
        self.show()


class MainWindow(QMainWindow):
    def __init__(self, bridge: Bridge, settings: Settings | None = None, parent: QWidget | None = None):
        """settings None: remember nothing (a --screenshot run)."""
        super().__init__(parent)
        self.bridge = bridge
        bridge.paced = True                          # one snapshot per frame while playing (show_snapshot)
        self.settings = settings
        self.snapshot: Snapshot | None = None       # the one on screen
        self.frames_shown = 0                        # snapshots handed to the views (read by the benchmark)
        self._good_iteration = 0
        self._presenter_state: tuple[QByteArray, QRect, bool] | None = None
        self.setWindowTitle("Backprop Visualizer")
        self.setWindowIcon(appearance.svg_icon(assets.asset(assets.ICONS, "app.svg").read_bytes()))

        self.diagram = NetworkDiagram()
        self.equation = EquationView()
        self.input_view = InputView()
        self.values = ValuesView()
        self.matrices = MatricesView()
        self.curves = CurvesView()
        self.config_panel = ConfigPanel()
        self.views = (self.diagram, self.equation, self.input_view, self.values, self.matrices, self.curves)

        self._build_centre()
        self._build_docks()
        self._build_timeline()
        self._build_evaluation()
        self._build_actions()
        self._build_labs()
        self.classroom = Classroom(self)
        self._build_status_bar()
        self._connect()
        # While playing, the curves and the timeline follow every frame, the other panels when the frame policy
        # says (visualizer/frames.py). Each view's update holds the interpreter the training thread needs between
        # its NumPy calls (bench/README.md).
        self.live_views = (self.curves, self.timeline)
        self.frame_policy = FramePolicy()

    # ------------------------------------------------------------ layout
    def _build_centre(self) -> None:
        self.divergence_banner = Banner("divergenceBanner", "alarm")
        self.message_banner = Banner("messageBanner", "notice")
        self.gif_banner = Banner("gifBanner", "notice")
        self.gif_banner.button.clicked.connect(self._cancel_gif)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.setObjectName("centreSplitter")
        splitter.addWidget(self.equation)
        splitter.addWidget(self.diagram)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 4)
        splitter.setChildrenCollapsible(False)
        self.centre_splitter = splitter
        centre = QWidget()
        layout = QVBoxLayout(centre)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.divergence_banner)
        layout.addWidget(self.message_banner)
        layout.addWidget(self.gif_banner)
        layout.addWidget(splitter, 1)
        self.setCentralWidget(centre)

    def _dock(self, title: str, name: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable)
        self.addDockWidget(area, dock)
        return dock

    def _build_docks(self) -> None:
        # Left and right docks run the full height; the matrices sit under the diagram.
        self.setCorner(Qt.Corner.BottomLeftCorner, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.setCorner(Qt.Corner.BottomRightCorner, Qt.DockWidgetArea.RightDockWidgetArea)
        left, right = Qt.DockWidgetArea.LeftDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea
        config_scroll = QScrollArea()
        config_scroll.setWidgetResizable(True)
        config_scroll.setWidget(self.config_panel)
        config_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.docks = (
            self._dock("Input", "inputDock", self.input_view, left),
            self._dock("Configuration", "configDock", config_scroll, left),
            self._dock("Values", "valuesDock", self.values, right),
            self._dock("Curves", "curvesDock", self.curves, right),
            self._dock("Matrices", "matricesDock", self.matrices, Qt.DockWidgetArea.BottomDockWidgetArea),
        )

    def _build_timeline(self) -> None:
        """A thin bar above the status bar: the slider over the iterations kept, and its confirmations."""
        self.timeline = Timeline()
        bar = QToolBar("Timeline")
        bar.setObjectName("timelineToolbar")
        self.timeline_toolbar = bar
        bar.setMovable(False)
        bar.addWidget(self.timeline)
        self.addToolBar(Qt.ToolBarArea.BottomToolBarArea, bar)
        self.views = (*self.views, self.timeline)
        self.timeline.seekRequested.connect(self.bridge.seek)
        self.timeline.learningRateConfirmed.connect(self.bridge.set_learning_rate)
        self.timeline.learningRateCancelled.connect(self.config_panel.cancel)
        self.bridge.failed.connect(self.timeline.seek_settled)

    def _build_evaluation(self) -> None:
        """The dev-set evaluation, a tab behind the curves; the worker computes it only while it is visible."""
        self.evaluation = EvaluationPanel()
        dock = self._dock("Evaluation", "evaluationDock", self.evaluation, Qt.DockWidgetArea.RightDockWidgetArea)
        curves = self.findChild(QDockWidget, "curvesDock")
        self.tabifyDockWidget(curves, dock)
        curves.raise_()
        self.docks = (*self.docks, dock)
        self.evaluation_dock = dock
        self.views = (*self.views, self.evaluation)
        dock.visibilityChanged.connect(self.bridge.set_evaluation)
        self.evaluation.exampleRequested.connect(self.bridge.select_example)

    def _action(self, name: str, text: str, icon_name: str, keys: list[QKeySequence], tip: str, slot) -> QAction:
        action = QAction(text, self)
        appearance.set_action_icon(action, icon_name)      # drawn in the theme's ink
        action.setObjectName(name)
        action.setShortcuts(keys)
        # The window's shortcuts work whichever child has focus; a focused spin box still keeps its arrows.
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        shown = keys[0].toString(QKeySequence.SequenceFormat.NativeText) if keys else ""
        action.setToolTip(f"{tip} ({shown})" if shown else tip)
        action.setStatusTip(tip)
        action.triggered.connect(slot)
        self.addAction(action)          # so the shortcut works when the toolbar or the menus are hidden
        return action

    def _build_actions(self) -> None:
        Key, Mod = Qt.Key, Qt.KeyboardModifier
        keys = QKeySequence
        a = self._action
        self.step_phase_action = a("stepPhase", "Step phase", "step-phase",
                                   [keys(Key.Key_Right), keys(Key.Key_PageDown)],
                                   "Compute the next phase", lambda: self.bridge.step("phase"))
        self.step_iteration_action = a("stepIteration", "Step iteration", "step-iteration",
                                       [keys(Mod.ShiftModifier | Key.Key_Right)],
                                       "Finish this iteration, up to and including the update",
                                       lambda: self.bridge.step("iteration"))
        self.step_back_action = a("stepBack", "Step back", "step-back", [keys(Key.Key_Left), keys(Key.Key_PageUp)],
                                  "Undo the last phase", lambda: self.bridge.step("back"))
        self.play_action = a("playPause", "Play", "play", [keys(Key.Key_Space)], "Play or pause training",
                             self.bridge.toggle_play)
        self.reset_action = a("reset", "Reset", "reset", [keys(Mod.ControlModifier | Key.Key_R)],
                              "Restart from iteration 0 with the settings in the configuration panel",
                              self.config_panel.request_reset)
        self.open_dataset_action = a("openDataset", "Open dataset…", "open-dataset",
                                     [keys(Mod.ControlModifier | Key.Key_O)],
                                     "Train on a CSV, IDX or .npz file", self.open_dataset)
        self.open_weights_action = a("openWeights", "Open weights…", "open-weights",
                                     [keys(Mod.ControlModifier | Mod.ShiftModifier | Key.Key_O)],
                                     "Start from the weights in an .npz file", self.open_weights)
        self.save_weights_action = a("saveWeights", "Save weights…", "save-weights",
                                     [keys(Mod.ControlModifier | Key.Key_S)],
                                     "Save W1, b1, W2, b2 and the settings to an .npz file", self.save_weights)
        self.open_session_action = a("openSession", "Open session…", "open-session",
                                     [keys(Mod.ControlModifier | Mod.AltModifier | Key.Key_O)],
                                     "Continue a saved session: its data, weights, optimizer state, curves and "
                                     "history", self.open_session)
        self.save_session_action = a("saveSession", "Save session…", "save-session",
                                     [keys(Mod.ControlModifier | Mod.ShiftModifier | Key.Key_S)],
                                     "Save the whole run (weights, optimizer state, curves, history) to reopen "
                                     "later", self.save_session)
        self.export_action = a("exportImage", "Export image…", "export-image", [keys(Mod.ControlModifier | Key.Key_E)],
                               "Save the window as a PNG image", lambda: self.export(self, "window"))
        self.presenter_action = a("presenterMode", "Presenter mode", "presenter", [keys(Key.Key_F11)],
                                  "Full screen, large type, only the diagram and the equation",
                                  self.set_presenter_mode)
        self.presenter_action.setCheckable(True)
        self.leave_presenter_action = a("leavePresenterMode", "Leave presenter mode", "presenter",
                                        [keys(Key.Key_Escape)], "Back to the normal layout",
                                        lambda: self.set_presenter_mode(False))
        self.leave_presenter_action.setEnabled(False)
        self.quit_action = a("quit", "Quit", "quit", [keys(Mod.ControlModifier | Key.Key_Q)], "Close the window",
                             self.close)

        self.export_menu = QMenu("Export image", self)
        self.export_menu.setObjectName("exportMenu")
        panels = (("window", self), ("diagram", self.diagram), ("equation", self.equation),
                  ("input", self.input_view), ("values", self.values), ("matrices", self.matrices),
                  ("curves", self.curves))
        for kind in ("png", "svg"):
            for name, widget in panels:
                item = self.export_menu.addAction(f"Export {name} as {kind.upper()}…")
                item.setObjectName(f"export{name.capitalize()}{'Svg' if kind == 'svg' else ''}")
                item.setToolTip(f"Save the {name} as a{'n SVG (vector) drawing' if kind == 'svg' else ' PNG image'}")
                item.triggered.connect(lambda checked=False, w=widget, n=name, k=kind: self.export(w, n, k))
            self.export_menu.addSeparator()
        self.gif_export: GifExport | None = None
        for label, name, iterations, every in (("the next 50 iterations", "exportGif", 50, 1),
                                               ("the next 500 iterations, every 10th", "exportGifLong", 500, 10)):
            item = self.export_menu.addAction(f"Export diagram animation (GIF) of {label}…")
            item.setObjectName(name)
            item.setToolTip(f"An animated GIF of the diagram over {label}, trained on a copy (the run is untouched)")
            item.triggered.connect(lambda checked=False, n=iterations, e=every: self.export_gif(n, e))
        self.export_action.setMenu(self.export_menu)

        self.speed_control = QComboBox()
        self.speed_control.setObjectName("speedControl")
        for speed in SPEEDS:
            self.speed_control.addItem("max" if speed == 0 else f"{speed}/s", speed)
        self.speed_control.setCurrentIndex(len(SPEEDS) - 1)
        self.speed_control.setToolTip("Speed while playing: iterations per second")
        self.speed_control.setAccessibleName("Speed")
        self.speed_control.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.animation_control = QSpinBox()
        self.animation_control.setObjectName("animationControl")
        self.animation_control.setRange(0, 2000)
        self.animation_control.setSingleStep(50)
        self.animation_control.setSuffix(" ms")
        self.animation_control.setSpecialValueText("off")
        self.animation_control.setValue(DEFAULT_ANIMATION_MS)
        self.animation_control.setToolTip("Length of the diagram's animation of each phase (0 = off)")
        self.animation_control.setAccessibleName("Animation length")
        self.animation_control.setFocusPolicy(Qt.FocusPolicy.ClickFocus)

        # The two toolbar controls take focus only on a click (so the arrow keys keep stepping); these keys
        # reach them from the keyboard.
        self.faster_action = self._action("speedUp", "Play faster", "play", [QKeySequence(Key.Key_Plus),
                                          QKeySequence(Key.Key_Equal)], "Play faster", lambda: self._nudge_speed(1))
        self.slower_action = self._action("speedDown", "Play slower", "play", [QKeySequence(Key.Key_Minus)],
                                          "Play slower", lambda: self._nudge_speed(-1))
        self.animation_toggle_action = self._action("toggleAnimation", "Animation on/off", "step-phase",
                                                    [QKeySequence(Key.Key_A)], "Switch the diagram's animation "
                                                    "off, or back on", self._toggle_animation)
        self._animation_on_ms = DEFAULT_ANIMATION_MS

        toolbar = QToolBar("Steps")
        toolbar.setObjectName("stepToolbar")
        toolbar.setIconSize(QSize(22, 22))
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
        for action in (self.step_back_action, self.step_phase_action, self.step_iteration_action, self.play_action):
            toolbar.addAction(action)
            # The step controls carry their names; the rest are icons with tooltips, so 1280 px is enough.
            toolbar.widgetForAction(action).setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        toolbar.addWidget(self._caption("Speed"))
        toolbar.addWidget(self.speed_control)
        self.toolbar = toolbar
        self.addToolBar(toolbar)
        # Everything that is not a step control sits in a second toolbar, hidden in presenter mode.
        tools = QToolBar("Tools")
        tools.setObjectName("toolsToolbar")
        tools.setIconSize(QSize(22, 22))
        tools.addAction(self.reset_action)
        tools.addWidget(self._caption("Animation"))
        tools.addWidget(self.animation_control)
        tools.addSeparator()
        for action in (self.open_dataset_action, self.open_weights_action, self.save_weights_action,
                       self.export_action, self.presenter_action):
            tools.addAction(action)
        self.tools_toolbar = tools
        self.addToolBar(tools)

        menus = self.menuBar()
        file_menu = menus.addMenu("&File")
        for action in (self.open_dataset_action, self.open_weights_action, self.save_weights_action):
            file_menu.addAction(action)
        file_menu.addSeparator()
        file_menu.addAction(self.open_session_action)
        file_menu.addAction(self.save_session_action)
        file_menu.addSeparator()
        file_menu.addMenu(self.export_menu)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        run_menu = menus.addMenu("&Run")
        for action in (self.step_phase_action, self.step_iteration_action, self.step_back_action, self.play_action,
                       self.faster_action, self.slower_action, self.animation_toggle_action, self.reset_action):
            run_menu.addAction(action)
        view_menu = menus.addMenu("&View")
        view_menu.addAction(self.presenter_action)
        theme_menu = view_menu.addMenu("Theme")
        theme_menu.setObjectName("themeMenu")
        self.theme_actions = QActionGroup(self)
        self.theme_actions.setExclusive(True)
        for name, label in (("light", "Light"), ("dark", "Dark")):
            item = theme_menu.addAction(label)
            item.setObjectName(f"theme{name.capitalize()}")
            item.setCheckable(True)
            item.setChecked(name == appearance.current_theme())
            item.setToolTip(f"Show the window in the {name} theme")
            item.setData(name)
            item.triggered.connect(lambda checked=False, n=name: self.switch_theme(n))
            self.theme_actions.addAction(item)
        view_menu.addSeparator()
        for dock in self.docks:
            view_menu.addAction(dock.toggleViewAction())

    def _nudge_speed(self, step: int) -> None:
        control = self.speed_control
        control.setCurrentIndex(max(0, min(control.count() - 1, control.currentIndex() + step)))

    def _toggle_animation(self) -> None:
        control = self.animation_control
        if control.value() > 0:
            self._animation_on_ms = control.value()
            control.setValue(0)
        else:
            control.setValue(self._animation_on_ms or DEFAULT_ANIMATION_MS)

    def _caption(self, text: str) -> QLabel:
        label = QLabel(f" {text} ")
        label.setStyleSheet(f"color: {theme.MUTED};")
        return label

    def _status_label(self, name: str, tip: str, text: str = "—") -> QLabel:
        label = QLabel(text)
        label.setObjectName(name)
        label.setToolTip(tip)
        label.setAccessibleName(tip)
        self.statusBar().addPermanentWidget(label)
        return label

    def _build_status_bar(self) -> None:
        self.statusBar().setObjectName("statusBar")
        caption = self._status_label("iterationCaption", "Completed iterations (updates applied)", "Iteration")
        caption.setStyleSheet(f"color: {theme.MUTED};")
        self.iteration_label = self._status_label("iterationLabel", "Completed iterations (updates applied)", "0")
        self.iteration_label.setFont(theme.font(theme.BASE_POINT_SIZE + 1, bold=True))
        phase_caption = self._status_label("phaseCaption", "The last phase computed", "Phase")
        phase_caption.setStyleSheet(f"color: {theme.MUTED};")
        self.phase_label = self._status_label("phaseLabel", "The last phase computed")
        self.phase_label.setFont(theme.font(theme.BASE_POINT_SIZE + 1, bold=True))
        self.loss_label = self._status_label("lossLabel", "Cross-entropy loss of the last iteration")
        self.accuracy_label = self._status_label("accuracyLabel", "Accuracy on the training batch and the dev set")
        self.learning_rate_label = self._status_label("learningRateLabel", "Learning rate α")
        self.timing_label = self._status_label("timingLabel", "Milliseconds per iteration")
        self.dataset_label = self._status_label("datasetLabel", "Dataset and its sizes")
        # A notice ("Loaded weights from …") gets the dataset's room while it shows: the window's title names the
        # dataset too, and without it a notice in a 1200-pixel window was cut after a few words.
        self.statusBar().messageChanged.connect(lambda text: self.dataset_label.setVisible(not text))

    def _connect(self) -> None:
        bridge = self.bridge
        bridge.snapshotReady.connect(self._received)
        bridge.failed.connect(self.show_error)
        bridge.diverged.connect(self._diverged)
        bridge.notice.connect(lambda text: self.statusBar().showMessage(text, 8000))
        bridge.busy.connect(self._busy)
        self.config_panel.resetRequested.connect(self._reset)
        self.config_panel.learningRateChanged.connect(self.timeline.request_learning_rate)   # asks at a past one
        self.speed_control.currentIndexChanged.connect(
            lambda index: bridge.set_speed(self.speed_control.itemData(index)))
        self.animation_control.valueChanged.connect(self.diagram.set_animation_ms)
        self.diagram.set_animation_ms(self.animation_control.value())
        self.input_view.exampleRequested.connect(bridge.select_example)
        self.divergence_banner.button.clicked.connect(self._go_back)

    # ------------------------------------------------------------ snapshots
    def _received(self, snapshot: Snapshot) -> None:
        """Show a snapshot as it comes. While playing it is a frame, sent by the worker at the display rate and
        at a moment its training does not need the interpreter (bridge.RELEASE_PHASE); a step, a pause or a
        reset answers one key press and shows in every panel."""
        if snapshot.playing:
            self._show_frame(snapshot)
        else:
            self.show_snapshot(snapshot)

    def _show_frame(self, snapshot: Snapshot) -> None:
        """A frame while playing: the live views every frame and the rest when the frame policy says."""
        frame = self.frame_policy.frame(playing=True)
        if frame.shows("details"):
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
        self._show_status(snapshot)
        self.frames_shown += 1

    def _show_status(self, s: Snapshot) -> None:
        steady_text(self.iteration_label, str(s.iteration))
        steady_text(self.phase_label, s.phase or "—")
        steady_text(self.loss_label, "loss —" if s.loss is None else f"loss {s.loss:.4f}")
        accuracy = "train —" if s.train_accuracy is None else f"train {s.train_accuracy:.1%}"
        if s.dev_size:
            accuracy += " · dev —" if s.dev_accuracy is None else f" · dev {s.dev_accuracy:.1%}"
        steady_text(self.accuracy_label, accuracy)
        steady_text(self.learning_rate_label, f"α = {s.alpha:g}")
        steady_text(self.timing_label, "— ms/iteration" if s.ms_per_iteration is None
                    else f"{s.ms_per_iteration:.1f} ms/iteration")
        dataset = f"{s.dataset_name} · {s.train_size:,} train · {s.dev_size:,} dev"
        if self.dataset_label.text() != dataset:       # the same at every frame while playing
            self.dataset_label.setText(dataset)
            self.setWindowTitle(f"Backprop Visualizer — {s.dataset_name}")
        playing = s.playing
        if self.play_action.text() != ("Pause" if playing else "Play"):     # an icon is read from its file
            self.play_action.setText("Pause" if playing else "Play")
            appearance.set_action_icon(self.play_action, "pause" if playing else "play")

    def _diverged(self, message: str, iteration: int) -> None:
        self._good_iteration = iteration
        headline, _, rest = message.partition(":")
        self.divergence_banner.show_message(f"<b>{escape(headline)}.</b> {escape(rest.strip())}",
                                            f"Go back to iteration {iteration}")

    def _go_back(self) -> None:
        self.divergence_banner.hide()
        self.bridge.seek(self._good_iteration)

    def _reset(self, config) -> None:
        self.divergence_banner.hide()
        self.bridge.reset(config)

    def _busy(self, text: str) -> None:
        if text:
            self.statusBar().showMessage(text)
        else:
            self.statusBar().clearMessage()

    def show_error(self, text: str) -> None:
        """A one-line message in a non-modal strip; the state of the run is unchanged."""
        self.message_banner.show_message(escape(text))

    # ------------------------------------------------------------ file actions
    def open_dataset(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open dataset", "",
                                              "Datasets (*.csv *.csv.gz *.npz *-ubyte *-ubyte.gz);;All files (*)")
        if path:
            self.message_banner.hide()
            self.divergence_banner.hide()
            self.bridge.load_data(path)

    def open_weights(self) -> None:
        folder = self.settings.weights_folder if self.settings else ""
        path, _ = QFileDialog.getOpenFileName(self, "Open weights", folder, "Weights (*.npz);;All files (*)")
        if path:
            self._remember_folder(path, "weights_folder")
            self.message_banner.hide()
            self.divergence_banner.hide()
            self.bridge.load_weights(path)

    def save_weights(self) -> None:
        iteration = self.snapshot.iteration if self.snapshot else 0
        name = str(Path(self.settings.weights_folder if self.settings else "") / f"weights-{iteration}.npz")
        path, _ = QFileDialog.getSaveFileName(self, "Save weights", name, "Weights (*.npz)")
        if path:
            self._remember_folder(path, "weights_folder")
            self.bridge.save_weights(path)

    def open_session(self) -> None:
        folder = self.settings.session_folder if self.settings else ""
        path, _ = QFileDialog.getOpenFileName(self, "Open session", folder, "Sessions (*.npz);;All files (*)")
        if path:
            self.message_banner.hide()
            self.divergence_banner.hide()
            self._remember_folder(path)
            self.bridge.load_session(path)

    def save_session(self) -> None:
        iteration = self.snapshot.iteration if self.snapshot else 0
        name = str(Path(self.settings.session_folder if self.settings else "") / f"session-{iteration}.npz")
        path, _ = QFileDialog.getSaveFileName(self, "Save session", name, "Sessions (*.npz)")
        if path:
            self._remember_folder(path)
            self.bridge.save_session(path)

    def _remember_folder(self, path: str, setting: str = "session_folder") -> None:
        """The next dialog of the same kind opens in the folder of this file."""
        if self.settings is not None:
            setattr(self.settings, setting, str(Path(path).parent))

    # ------------------------------------------------------------ settings
    def restore_settings(self, layout: bool = True) -> None:
        """Speed, animation and (layout True) the window's size and dock layout as the user left them."""
        settings = self.settings
        if settings is None:
            return
        self.speed_control.setCurrentIndex(min(settings.speed_index, self.speed_control.count() - 1))
        self.animation_control.setValue(settings.animation_ms)
        if layout and settings.restore_window(self):
            self._laid_out = True           # the user's dock sizes, not the default split
            self._layout_restored = True

    def save_settings(self) -> None:
        settings = self.settings
        if settings is None:
            return
        if self._presenter_state is None:        # the normal layout, not the full-screen one
            settings.save_window(self)
        settings.speed_index = self.speed_control.currentIndex()
        settings.animation_ms = self.animation_control.value()
        if self.snapshot is not None:
            settings.dataset = data.lasting_spec(self.snapshot.dataset_name)
        settings.sync()

    def export(self, widget: QWidget, name: str, kind: str = "png") -> None:
        """A PNG or SVG of one panel or the whole window."""
        label, pattern = ("SVG", "SVG images (*.svg)") if kind == "svg" else ("PNG", "PNG images (*.png)")
        path, _ = QFileDialog.getSaveFileName(self, f"Export {name} as {label}", f"{name}.{kind}", pattern)
        if not path:
            return
        if self.snapshot is not None:       # every panel at the iteration on screen (while playing some lag)
            self.show_snapshot(self.snapshot)
        if (render_svg if kind == "svg" else render_png)(widget, path):
            self.statusBar().showMessage(f"Saved {path}", 8000)
        else:
            self.show_error(f"{path}: could not be written as {'an SVG' if kind == 'svg' else 'a PNG'} image")

    def export_gif(self, iterations: int, every: int) -> None:
        """The diagram over the next iterations, trained on a copy in a thread; a strip shows progress and Cancel."""
        if self.gif_export is not None and self.gif_export.running:
            self.statusBar().showMessage("An animation is being written already; cancel it first", 8000)
            return
        iteration = self.snapshot.iteration if self.snapshot else 0
        path, _ = QFileDialog.getSaveFileName(self, "Export diagram animation", f"diagram-{iteration}.gif",
                                              "GIF animations (*.gif)")
        if not path:
            return
        export = GifExport(self.snapshot, path, iterations=iterations, every=every,
                           presenter=self._presenter_state is not None, parent=self)
        self.gif_export = export
        strip = self.gif_banner
        strip.show_message(escape(f"Writing {path} …"), "Cancel")
        export.progress.connect(lambda done, total: strip.text.setText(
            escape(f"Writing {path}: frame {done} of {total}")))
        export.saved.connect(lambda saved, summary: (strip.hide(), self.statusBar().showMessage(summary, 10000)))
        export.failed.connect(lambda message: (strip.hide(), self.show_error(message)))
        export.start()

    def _cancel_gif(self) -> None:
        if self.gif_export is not None:
            self.gif_export.cancel()
        self.gif_banner.hide()

    # ------------------------------------------------------------ themes
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
        if self.snapshot is not None:
            self.show_snapshot(self.snapshot)

    # ------------------------------------------------------------ presenter mode
    def set_presenter_mode(self, on: bool) -> None:
        """Full screen, large type, only the diagram, the equation and the step controls; off restores the layout."""
        if bool(on) == (self._presenter_state is not None):
            self.presenter_action.setChecked(bool(on))
            return
        if on:
            self._presenter_state = (self.saveState(), self.geometry(), self.isMaximized())
            for dock in self.docks:
                dock.hide()
            self.menuBar().hide()
            self.statusBar().hide()
            self.tools_toolbar.hide()
            self.timeline_toolbar.hide()        # the diagram needs the height more on a projector
            self.toolbar.setIconSize(QSize(40, 40))
            self.toolbar.setFont(theme.font(theme.PRESENTER_POINT_SIZE, bold=True))
            self.speed_control.setFont(theme.font(theme.PRESENTER_POINT_SIZE))
            self._theme_before_presenter = appearance.current_theme()
            self.switch_theme("presenter")
            if self.screen() is not None:
                # Without a window manager (a bare X server) showFullScreen alone does not resize.
                self.setGeometry(self.screen().geometry())
            self.showFullScreen()
        else:
            state, geometry, maximized = self._presenter_state
            self._presenter_state = None
            self.switch_theme(self._theme_before_presenter)
            # Small type first: with the presenter's, the docks' minimum sizes would keep the window wider than it
            # was (than the screen, on a small one) and the docks at other sizes.
            self._set_views_presenter_mode(False)
            self.toolbar.setIconSize(QSize(22, 22))
            self.toolbar.setFont(theme.font())
            self.speed_control.setFont(theme.font())
            self.tools_toolbar.show()
            self.timeline_toolbar.show()
            self.menuBar().show()
            self.statusBar().show()
            if maximized:
                self.showMaximized()
            else:
                self.showNormal()
                self.setGeometry(geometry)
            self.restoreState(state)
            # Once the window has its old size again, the docks get their old sizes back.
            QTimer.singleShot(0, lambda: self.restoreState(state))
            QTimer.singleShot(0, self._refit_plots)
        if on:
            self._set_views_presenter_mode(True)
        QTimer.singleShot(0, self.fit_centre)
        self.presenter_action.setChecked(bool(on))
        self.leave_presenter_action.setEnabled(bool(on))

    def _refit_plots(self) -> None:
        """Lay the graphics views' contents out to their sizes again. A plot grid that grew wider than its view
        with the presenter's type stays that wide when the type shrinks back, its view's size unchanged (cut off
        on the right), until the view is resized: this is that resize, to the same size."""
        for view in self.findChildren(QGraphicsView):
            view.resizeEvent(QResizeEvent(view.size(), view.size()))     # not sendEvent: Qt drops a no-op resize

    def _set_views_presenter_mode(self, on: bool) -> None:
        for view in (*self.views, self.config_panel):
            view.set_presenter_mode(on)
        for caption in self.toolbar.findChildren(QLabel):
            caption.setFont(theme.font(theme.PRESENTER_POINT_SIZE if on else theme.BASE_POINT_SIZE))

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if not getattr(self, "_laid_out", False):
            self._laid_out = True
            self.fit_panels()
            QTimer.singleShot(0, self.fit_panels)     # again once the layouts have settled
            # The curves are the tab on top at the start (raising before the first show does not hold).
            QTimer.singleShot(0, self.docks[3].raise_)

    def fit_panels(self) -> None:
        """Share the window between the panels: the diagram gets what the others leave."""
        width, height = self.width(), self.height()
        side = max(240, min(400, width // 5))
        input_dock, config_dock, values_dock, curves_dock, matrices_dock = self.docks[:5]
        # The values view sets two plots side by side, so the right column is the wider one.
        self.resizeDocks([input_dock, values_dock], [side, int(side * 1.35)], Qt.Orientation.Horizontal)
        if height < COMPACT_HEIGHT and not self.tabifiedDockWidgets(matrices_dock):
            # A short screen (a 720p projector): the diagram needs the height more than the matrices do,
            # so they share the right column's lower half with the curves, one tab each.
            self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, matrices_dock)
            self.tabifyDockWidget(curves_dock, matrices_dock)
            curves_dock.raise_()
        elif height >= COMPACT_HEIGHT:
            self.resizeDocks([matrices_dock], [max(140, height // 5)], Qt.Orientation.Vertical)
        self.resizeDocks([input_dock, config_dock], [height // 2, height // 2], Qt.Orientation.Vertical)
        self.resizeDocks([values_dock, curves_dock], [height // 2, height // 2], Qt.Orientation.Vertical)
        self.fit_centre()

    def fit_centre(self) -> None:
        """The equation gets the height it needs, the diagram the rest."""
        centre = self.centre_splitter.height() or self.height() // 2
        equation = self.equation.minimumSizeHint().height()
        self.centre_splitter.setSizes([equation, max(100, centre - equation)])

    # ------------------------------------------------------------ bug lab and check my code
    def _build_labs(self) -> None:
        """Two docks, hidden until asked for: the bug lab (Ctrl+B) and Check my code (Ctrl+K)."""
        Key, Mod, keys = Qt.Key, Qt.KeyboardModifier, QKeySequence
        self.bug_lab = BugLabView()
        self.check_code = CheckCodeView()
        docks = []
        for view, title, name in ((self.bug_lab, "Bug lab", "bugLabPanel"),
                                  (self.check_code, "Check my code", "checkCodePanel")):
            view.failed.connect(self.show_error)
            dock = self._dock(title, name, view, Qt.DockWidgetArea.RightDockWidgetArea)
            self.tabifyDockWidget(self.docks[3], dock)      # where it goes when docked back from floating
            dock.hide()
            docks.append(dock)
        self.bug_lab_dock, self.check_code_dock = docks
        self.docks = (*self.docks, *docks)
        self.views = (*self.views, self.bug_lab)
        self.bug_lab_action = self._action("bugLab", "Bug lab", "bug-lab", [keys(Mod.ControlModifier | Key.Key_B)],
                                           "Switch on a classic mistake and train it side by side with the "
                                           "correct code", self._show_bug_lab)
        self.bug_lab_action.setCheckable(True)
        self.bug_lab_dock.toggleViewAction().toggled.connect(self.bug_lab_action.setChecked)
        self.check_code_action = self._action("checkCode", "Check my code…", "check-code",
                                              [keys(Mod.ControlModifier | Key.Key_K)],
                                              "Compare your notebook's functions with ours, phase by phase",
                                              self.check_my_code)
        lab_menu = self.menuBar().addMenu("&Lab")
        lab_menu.addAction(self.bug_lab_action)
        lab_menu.addAction(self.check_code_action)
        results = self.check_code_dock.toggleViewAction()
        results.setText("Check results")
        lab_menu.addAction(results)
        self.tools_toolbar.addSeparator()
        for action in (self.bug_lab_action, self.check_code_action):
            self.tools_toolbar.addAction(action)
            # There are no icons for these two: their names say what they do.
            self.tools_toolbar.widgetForAction(action).setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)

    def _show_bug_lab(self, on: bool) -> None:
        self._show_lab_dock(self.bug_lab_dock, on)

    def _show_lab_dock(self, dock: QDockWidget, on: bool) -> None:
        """Show a lab's dock, the first time floating over the right column at its full height; or hide it.

        A lab needs its plots, its text and its table at once, more than a tab of the right column holds; the
        user can dock it back (double-click its title) and it then stays where they put it.
        """
        if on and not dock.property("placed"):
            dock.setProperty("placed", True)
            dock.setFloating(True)
            frame = self.geometry()
            top = self.centralWidget().mapToGlobal(self.centralWidget().rect().topLeft()).y()
            width = max(560, min(720, frame.width() * 2 // 5))
            place = QRect(frame.right() - width, top, width, max(400, frame.bottom() - top))
            if self.screen() is not None:
                # A window partly off the screen (or just back from full screen) must not put the panel there.
                screen = self.screen().availableGeometry()
                place.setSize(place.size().boundedTo(screen.size()))
                place.moveRight(min(place.right(), screen.right()))
                place.moveBottom(min(place.bottom(), screen.bottom()))
                place.moveLeft(max(place.left(), screen.left()))
                place.moveTop(max(place.top(), screen.top()))
            dock.setGeometry(place)
        dock.setVisible(on)
        if on:
            dock.raise_()

    def check_my_code(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Check my code", "", "Python files (*.py);;All files (*)")
        if path:
            self.message_banner.hide()
            self._show_lab_dock(self.check_code_dock, True)
            self.check_code.check(path)

    # ------------------------------------------------------------ closing
    def closeEvent(self, event) -> None:
        """Stop playing and end the worker thread before the window goes (never leave it running)."""
        self.save_settings()
        for dock in self.docks:         # a floating panel is a window of its own: it goes with this one
            if dock.isFloating():
                dock.hide()
        self.bug_lab.shutdown()
        self.check_code.shutdown()
        self.classroom.shutdown()
        if self.gif_export is not None:
            self.gif_export.shutdown()
        self.bridge.shutdown()
        super().closeEvent(event)
