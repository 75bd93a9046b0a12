"""A presenter diagram that fills a 1366×768 projector (issue 14): nodes 40 px across, their numbers 18 pt and never
wider than the node, thumbnails 40 px, bias markers large enough to see from the back."""
from __future__ import annotations

from PyQt6.QtCore import QRectF
from PyQt6.QtWidgets import QApplication, QGraphicsEllipseItem, QGraphicsView

from .test_one_truth import TIMEOUT


def on_screen(view: QGraphicsView, rect: QRectF) -> QRectF:
    """A scene rectangle in the view's pixels."""
    return view.mapFromScene(rect).boundingRect().toRectF()


def presenting(qtbot, make_window, width: int = 1366, height: int = 768):
    """The window in presenter mode on a width × height screen (offscreen's screen is another size: the window is
    given the projector's), after a few phases."""
    window = make_window(data="mnist-sample")
    for _ in range(8):                       # dZ1: the pills are out, the hidden numbers written
        before = window.frames_shown
        window.bridge.step("phase")
        qtbot.waitUntil(lambda: window.frames_shown > before, timeout=TIMEOUT)
    window.set_presenter_mode(True)
    # full screen on offscreen's own screen first (set late by the platform), then the projector's size
    qtbot.waitUntil(lambda: window.isFullScreen() and window.geometry() == window.screen().geometry(),
                    timeout=TIMEOUT)
    for _ in range(5):
        QApplication.processEvents()
    window.setGeometry(0, 0, width, height)
    # the panels laid out at that size, the diagram rebuilt for it
    qtbot.waitUntil(lambda: window.diagram.view.width() >= width - 20 and window.diagram.scene_layout.presenter,
                    timeout=TIMEOUT)
    window.fit_centre()
    for _ in range(5):
        QApplication.processEvents()
    return window


def test_the_presenter_diagram_fills_a_1366_by_768_projector(qtbot, make_window):
    window = presenting(qtbot, make_window)
    diagram = window.diagram
    view = diagram.findChild(QGraphicsView, "networkDiagramView")
    assert view is diagram.view
    scale = view.transform().m11()
    nodes = [item for item in diagram.scene.items() if isinstance(item, QGraphicsEllipseItem)
             and (item in diagram.hidden_nodes or item in diagram.output_nodes)]
    assert len(nodes) == 20
    for node in nodes:
        box = on_screen(view, node.sceneBoundingRect())
        assert box.width() >= 40 and box.height() >= 40, box
    written = [text for text in diagram.hidden.values if text.isVisible()]
    assert len(written) >= 8
    for node, text in zip(diagram.hidden_nodes, diagram.hidden.values):
        if text.isVisible():
            assert text.font().pointSizeF() * scale >= 18, text.font().pointSizeF() * scale
            assert text.sceneBoundingRect().width() <= node.rect().width(), text.text()
    for picture in diagram.thumbnails.pictures:
        assert on_screen(view, picture.sceneBoundingRect()).width() >= 40
    for square in (*diagram.hidden.biases.squares, *diagram.outputs.biases.squares):
        assert square.isVisible() and on_screen(view, square.sceneBoundingRect()).width() >= 12
    # the scene fills the panel: no more than a node's width left empty on either side or above and below
    shown = on_screen(view, diagram.scene.sceneRect())
    assert shown.width() >= view.viewport().width() - 45 or shown.height() >= view.viewport().height() - 45


def test_leaving_presenter_mode_lays_the_diagram_out_as_before(qtbot, make_window):
    window = make_window()
    normal = (window.diagram.scene_layout.width, window.diagram.scene_layout.w2_span)
    window.set_presenter_mode(True)
    qtbot.waitUntil(lambda: window.diagram.scene_layout.presenter, timeout=TIMEOUT)
    window.set_presenter_mode(False)
    qtbot.waitUntil(lambda: not window.diagram.scene_layout.presenter, timeout=TIMEOUT)
    assert window.diagram.scene_layout.w2_span == normal[1]
    assert window.diagram.footer.direction.isVisible()
