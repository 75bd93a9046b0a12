"""Slide-ready exports (issue 14): PNG at 2× by default (1×, 2×, 3× in the export menu), no on-screen hint in any
picture, a GIF from iteration 0 as well as from now, and the dialog in the last export folder."""
from __future__ import annotations

import xml.etree.ElementTree as ElementTree

import numpy as np
from PyQt6.QtGui import QAction, QImage
from PyQt6.QtWidgets import QFileDialog

from core.config import TrainingConfig
from core.stepper import Stepper
from visualizer import export
from visualizer.snapshot import ExampleSelection, make_snapshot
from visualizer.views.diagram.footer import HOVER_HINT

from .test_export import GIF_TIMEOUT_MS, SVG, gif_frames
from .test_one_truth import TIMEOUT


def answer_save(monkeypatch, path, asked: list | None = None) -> None:
    def save(parent, title, suggested, patterns):
        if asked is not None:
            asked.append(suggested)
        return str(path), ""
    monkeypatch.setattr(QFileDialog, "getSaveFileName", save)


def test_png_exports_are_twice_the_screen_size_by_default_and_the_menu_offers_1_2_3(qtbot, make_window, tmp_path,
                                                                                    monkeypatch):
    window = make_window()
    diagram = window.diagram
    answer_save(monkeypatch, tmp_path / "diagram.png")
    window.findChild(QAction, "exportDiagram").trigger()
    image = QImage(str(tmp_path / "diagram.png"))
    assert (image.width(), image.height()) == (2 * diagram.width(), 2 * diagram.height())
    for scale in (1, 3):
        answer_save(monkeypatch, tmp_path / f"diagram-{scale}.png")
        window.findChild(QAction, f"exportScale{scale}").trigger()
        assert window.findChild(QAction, f"exportScale{scale}").isChecked()
        assert not window.findChild(QAction, "exportScale2").isChecked()
        window.findChild(QAction, "exportDiagram").trigger()
        image = QImage(str(tmp_path / f"diagram-{scale}.png"))
        assert (image.width(), image.height()) == (scale * diagram.width(), scale * diagram.height())


def test_no_export_shows_the_on_screen_hint(qtbot, make_window, tmp_path, monkeypatch):
    window = make_window()
    assert window.diagram.hover_text == HOVER_HINT and window.diagram.footer.hover.isVisible()
    answer_save(monkeypatch, tmp_path / "diagram.svg")
    window.findChild(QAction, "exportDiagramSvg").trigger()
    text = " ".join(element.text or "" for element in ElementTree.parse(tmp_path / "diagram.svg").iter(f"{SVG}text"))
    assert "hover" not in text and "label" in text
    assert window.diagram.footer.hover.isVisible()          # back on screen after the export
    # a PNG, and each GIF frame, is the picture with the hint hidden
    with_hint = export.image_array(window.diagram.grab().toImage())
    window.diagram.footer.hover.setVisible(False)
    without_hint = export.image_array(window.diagram.grab().toImage())
    window.diagram.footer.hover.setVisible(True)
    exported = export.image_array(export.render_image(window.diagram))
    assert np.array_equal(exported, without_hint) and not np.array_equal(exported, with_hint)


def test_a_gif_frame_has_no_hint(qtbot, tiny_split):
    frames = export.DiagramFrames((700, 450))
    try:
        snapshot = make_snapshot(Stepper(tiny_split, TrainingConfig()), ExampleSelection())
        drawn = frames.frame(snapshot)
        hover = frames.diagram.footer.hover
        assert hover.isVisible() and hover.text() == HOVER_HINT
        hover.setVisible(False)
        assert np.array_equal(frames.frame(snapshot), drawn)
    finally:
        frames.close()


def test_a_gif_from_iteration_0_as_well_as_from_now(qtbot, make_window, tmp_path, monkeypatch):
    window = make_window()
    window.bridge.step("iteration")
    qtbot.waitUntil(lambda: window.snapshot.iteration == 1, timeout=TIMEOUT)
    for _ in range(4):
        window.bridge.step("iteration")
    qtbot.waitUntil(lambda: window.snapshot.iteration == 5, timeout=TIMEOUT)
    asked = []
    answer_save(monkeypatch, tmp_path / "start.gif", asked)
    window.findChild(QAction, "exportGifFromStart").trigger()
    export_job = window.gif_export
    with qtbot.waitSignal(export_job.saved, timeout=GIF_TIMEOUT_MS) as saved:
        pass
    assert asked[-1].endswith("diagram-0.gif")
    assert "iterations 0–50" in saved.args[1]
    frames, _, _ = gif_frames(tmp_path / "start.gif")
    assert len(frames) == 51
    # and from now, as before
    answer_save(monkeypatch, tmp_path / "now.gif", asked)
    window.findChild(QAction, "exportGif").trigger()
    with qtbot.waitSignal(window.gif_export.saved, timeout=GIF_TIMEOUT_MS) as saved:
        pass
    assert asked[-1].endswith("diagram-5.gif") and "iterations 5–55" in saved.args[1]


def test_the_save_dialog_opens_in_the_last_export_folder(qtbot, make_window, tmp_path, monkeypatch):
    window = make_window()
    folder = tmp_path / "slides"
    folder.mkdir()
    asked = []
    answer_save(monkeypatch, folder / "window.png", asked)
    window.findChild(QAction, "exportWindow").trigger()
    window.findChild(QAction, "exportCurves").trigger()
    assert asked[-1] == str(folder / "curves.png")
