"""Remake the README's pictures of predict mode and of the lesson on a projector and of an explained number: the
real window at 1366×768, full screen, so it needs a screen of that size (presenter mode takes the whole screen):

    Xvfb :99 -screen 0 1366x768x24 &
    DISPLAY=:99 QT_QPA_PLATFORM=xcb python scripts/screenshots_teaching.py [docs/screenshots]

Each picture is written by the app's own export (visualizer.export.render_png), as Ctrl+E would write it.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

from screenshots import open_window, process_until, settle, written

os.environ.setdefault("BACKPROP_VISUALIZER_SETTINGS", os.devnull)   # the user's settings stay out of it
SIZE = (1366, 768)


def main(folder: Path) -> None:
    from PyQt6.QtWidgets import QApplication

    from visualizer.export import render_png

    window = open_window("x".join(map(str, SIZE)))
    app = QApplication.instance()
    screen = app.primaryScreen().size()
    if (screen.width(), screen.height()) != SIZE:
        raise SystemExit(f"the screen is {screen.width()}×{screen.height()}: run this on a 1366×768 one (Xvfb)")
    window.show()

    def until(condition, seconds: float = 120.0) -> None:
        """Let the window work until condition holds, then let it paint."""
        process_until(condition, seconds)
        settle(30)

    def picture(name: str, screen: bool = False) -> None:
        """The window as Ctrl+E exports it, or (screen) the whole screen, with the floating panels over it."""
        path = folder / name
        written(path, app.primaryScreen().grabWindow(0).save(str(path)) if screen else render_png(window, path))

    until(lambda: window.snapshot is not None)
    lesson = window.classroom.lesson
    window.bridge.play(200)             # a network that has learnt something: its questions are about real values
    until(lambda: window.snapshot.iteration >= 200 and not window.snapshot.playing)

    # Predict mode in presenter mode, the lesson open at Z1: the question about A1, asked before it is computed.
    window.classroom.lesson_action.trigger()
    lesson.set_step(2)
    until(lambda: not lesson.driving)
    window.set_presenter_mode(True)
    window.predictions.set_on(True)
    lesson.next()
    until(lambda: window.predictions.asking)
    picture("predict-presenter-1366x768.png")
    window.predictions.reveal()
    until(lambda: not lesson.driving)
    window.predictions.set_on(False)
    # The lesson on the projector: the step's caption beside the diagram, driven by the clicker (PageDown).
    caption = window.classroom.lesson_control.caption
    window.clicker_next()
    until(lambda: not lesson.driving and caption.isVisible())
    picture("presenter-lesson-1366x768.png")
    window.set_presenter_mode(False)
    until(lambda: window.classroom.lesson_dock.isVisible())
    window.classroom.lesson_dock.hide()
    window.reset_layout()               # the default panels for the screen, as a fresh start lays them out

    # An explained number: Z1 of one hidden unit for the example shown, with its contribution map (the panel
    # floats over the window's left column: the picture is of the screen).
    until(lambda: window.snapshot.phase == "Z2")     # the lesson's step after the predicted one
    window.explain("Z1", (3, window.snapshot.example.column or 0))
    until(lambda: window.explainer.explanation is not None and not window.explainer.working)
    picture("explain-z1-1366x768.png", screen=True)
    window.close()


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots"))
