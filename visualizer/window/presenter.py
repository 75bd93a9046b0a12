"""Presenter mode: full screen, large type, the high-contrast theme, and only the diagram, the equation and the
step controls; leaving it brings back the window, its docks and its theme as they were."""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from PyQt6.QtCore import QByteArray, QEvent, QObject, QRect, QSize, QTimer
from PyQt6.QtGui import QResizeEvent
from PyQt6.QtWidgets import QGraphicsView, QLabel, QMainWindow, QToolBar, QWidget

from visualizer import appearance, theme

if TYPE_CHECKING:
    from .docks import DockManager


class PresenterMode(QObject):
    """on: whether it is on. The window gives it the parts it changes; views() lists every view at the time."""

    def __init__(self, window: QMainWindow, docks: "DockManager", steps: QToolBar, hidden: tuple[QWidget, ...],
                 large: tuple[QWidget, ...], views: Callable[[], tuple[QWidget, ...]],
                 switch_theme: Callable[[str], None], fitted: Callable[[], None]) -> None:
        """steps: the toolbar that stays (larger); hidden: the bars it hides besides the docks; large: widgets
        whose type grows with the toolbar's; fitted: lays the centre out again once the sizes have settled."""
        super().__init__(window)
        self.window, self.docks, self.steps, self.hidden, self.large = window, docks, steps, hidden, large
        self.views, self.switch_theme, self.fitted = views, switch_theme, fitted
        self._saved: tuple[QByteArray, QRect, bool, str] | None = None     # state, geometry, maximized, theme
        window.installEventFilter(self)         # a new width (full screen arriving) fits the toolbar again

    @property
    def on(self) -> bool:
        return self._saved is not None

    def set(self, on: bool) -> None:
        if bool(on) == self.on:
            return
        window = self.window
        if on:
            self._saved = (window.saveState(), window.geometry(), window.isMaximized(), appearance.current_theme())
            self.docks.hide_all()
            for bar in self.hidden:
                bar.hide()          # the diagram needs the height more on a projector
            self.steps.setIconSize(QSize(32, 32))
            self._set_toolbar_type(theme.PRESENTER_POINT_SIZE)
            self.switch_theme("presenter")
            if window.screen() is not None:
                # Without a window manager (a bare X server) showFullScreen alone does not resize.
                window.setGeometry(window.screen().geometry())
            window.showFullScreen()
            self._set_views(True)
            QTimer.singleShot(0, self._fit_steps)
        else:
            state, geometry, maximized, theme_before = self._saved
            self._saved = None
            self.switch_theme(theme_before)
            # Small type first: with the presenter's, the docks' minimum sizes would keep the window wider than it
            # was (than the screen, on a small one) and the docks at other sizes.
            self._set_views(False)
            self.steps.setIconSize(QSize(22, 22))
            self._set_toolbar_type(theme.BASE_POINT_SIZE, bold=False)
            for bar in self.hidden:
                bar.show()
            if maximized:
                window.showMaximized()
            else:
                window.showNormal()
                window.setGeometry(geometry)
            window.restoreState(state)
            # Once the window has its old size again, the docks get their old sizes back.
            QTimer.singleShot(0, lambda: window.restoreState(state))
            QTimer.singleShot(0, self._refit_plots)
        QTimer.singleShot(0, self.fitted)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize and self.on:
            QTimer.singleShot(0, self._fit_steps)
        return False

    def _fit_steps(self) -> None:
        """The step toolbar's type as large as the screen's width allows (on a 1024-pixel projector the
        presenter's size would push Speed into the toolbar's overflow menu), not smaller than the window's."""
        if not self.on:
            return
        size = theme.PRESENTER_POINT_SIZE
        self._set_toolbar_type(size)
        self.steps.adjustSize()
        while size > theme.BASE_POINT_SIZE and self.steps.sizeHint().width() > self.window.width():
            size -= 1
            self._set_toolbar_type(size)
            self.steps.adjustSize()

    def _set_toolbar_type(self, size: float, bold: bool = True) -> None:
        """The step toolbar's type: its buttons (bold in presenter mode), its captions and the large widgets."""
        self.steps.setFont(theme.font(size, bold=bold))
        for widget in (*self.large, *self.steps.findChildren(QLabel)):
            widget.setFont(theme.font(size))

    def _set_views(self, on: bool) -> None:
        for view in self.views():
            view.set_presenter_mode(on)

    def _refit_plots(self) -> None:
        """Lay the graphics views' contents out to their sizes again. A plot grid that grew wider than its view
        with the presenter's type stays that wide when the type shrinks back, its view's size unchanged (cut off
        on the right), until the view is resized: this is that resize, to the same size."""
        for view in self.window.findChildren(QGraphicsView):
            view.resizeEvent(QResizeEvent(view.size(), view.size()))     # not sendEvent: Qt drops a no-op resize
