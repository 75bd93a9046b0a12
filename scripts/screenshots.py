"""Remake the README's screenshots of the classroom panels: the real window, driven as a test drives it, each
picture written by the app's own export (visualizer.export.render_png), as Ctrl+E would write it.

    QT_QPA_PLATFORM=offscreen python scripts/screenshots.py [docs/screenshots]

The whole-window pictures of the README come from `python -m visualizer --screenshot PATH --steps N`.
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("BACKPROP_VISUALIZER_SETTINGS", os.devnull)   # the user's settings stay out of it


def main(folder: Path) -> None:
    from PyQt6.QtWidgets import QApplication

    from visualizer import create_main_window
    from visualizer.export import render_png

    window = create_main_window(["--size", "1280x720", "--screenshot", "unused"])
    app = QApplication.instance()
    window.show()

    def wait(condition, seconds: float = 120.0) -> None:
        deadline = time.monotonic() + seconds
        while not condition():
            if time.monotonic() > deadline:
                raise TimeoutError("the window did not get there in time")
            app.processEvents()
            time.sleep(0.01)

    def settle() -> None:           # the window shows each snapshot as it arrives; this lets painting catch up
        for _ in range(20):
            app.processEvents()
            time.sleep(0.02)

    def save(widget, name: str) -> None:
        settle()
        path = folder / name
        if not render_png(widget, path):
            raise OSError(f"{path}: could not be written")
        print(path)

    wait(lambda: window.snapshot is not None)
    classroom = window.classroom

    # Train 200 iterations, then ask the network about a drawing and about one of its hidden units.
    window.bridge.play(200)
    wait(lambda: window.snapshot.iteration >= 200 and not window.snapshot.playing)
    # The window after 200 iterations in the dark theme.
    window.switch_theme("dark")
    window.resize(1920, 1080)
    save(window, "window-dark-1920x1080.png")
    window.switch_theme("light")
    window.resize(1280, 720)

    classroom.draw_action.trigger()
    classroom.draw_dock.resize(720, 640)
    pad = classroom.draw_pad
    pad.draw_stroke([(70, 70), (120, 45), (190, 55), (205, 100), (150, 140), (205, 175), (195, 225), (130, 240),
                     (70, 215)])
    save(pad, "draw-a-digit.png")
    classroom.draw_action.trigger()

    classroom.show_unit(0)
    classroom.neuron_dock.resize(720, 900)
    classroom.neuron.switch_off_most_important()
    save(classroom.neuron, "hidden-unit-what-if.png")
    classroom.neuron.undo()

    # The race from the main run's starting weights, 300 iterations.
    classroom.race_action.trigger()
    classroom.race_dock.resize(760, 1000)
    race = classroom.race
    race.iterations.setValue(300)
    race.start()
    wait(lambda: not race.running, 600)
    save(race, "optimizer-race.png")
    classroom.race_action.trigger()

    # The guided lesson at Z1 of the next iteration, in the 1280×720 window a projector shows.
    classroom.lesson_action.trigger()
    wait(lambda: classroom.lesson_dock.isVisible())
    classroom.lesson.set_step(2)
    wait(lambda: window.snapshot.phase == "Z1")
    save(window, "lesson-1280x720.png")
    classroom.lesson_action.trigger()

    window.close()


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots"))
