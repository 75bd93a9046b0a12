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


def open_window(size: str):
    """The real window at size ("1280x720"), built from arguments alone (no remembered settings), not yet shown."""
    from visualizer import create_main_window

    return create_main_window(["--size", size, "--screenshot", "unused"])


def process_until(condition, seconds: float = 120.0) -> None:
    """Let the window work (the worker answers by signals) until condition holds."""
    from PyQt6.QtWidgets import QApplication

    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the window did not get there in time")
        QApplication.processEvents()
        time.sleep(0.01)


def settle(rounds: int) -> None:
    """The window shows each snapshot as it arrives; this lets painting catch up."""
    from PyQt6.QtWidgets import QApplication

    for _ in range(rounds):
        QApplication.processEvents()
        time.sleep(0.02)


def written(path: Path, done: bool) -> None:
    """Say where a picture went, or raise if it could not be written."""
    if not done:
        raise OSError(f"{path}: could not be written")
    print(path)


def main(folder: Path) -> None:
    from visualizer.export import render_png

    window = open_window("1280x720")
    window.show()

    def save(widget, name: str) -> None:
        settle(20)
        path = folder / name
        written(path, render_png(widget, path))

    process_until(lambda: window.snapshot is not None)
    classroom = window.classroom

    # Train 200 iterations, then ask the network about a drawing and about one of its hidden units.
    window.bridge.play(200)
    process_until(lambda: window.snapshot.iteration >= 200 and not window.snapshot.playing)
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
    process_until(lambda: not race.running, 600)
    save(race, "optimizer-race.png")
    classroom.race_action.trigger()

    # The guided lesson at Z1 of the next iteration, in the 1280×720 window a projector shows.
    classroom.lesson_action.trigger()
    process_until(lambda: classroom.lesson_dock.isVisible())
    classroom.lesson.set_step(2)
    process_until(lambda: window.snapshot.phase == "Z1")
    save(window, "lesson-1280x720.png")
    classroom.lesson_action.trigger()

    window.close()


if __name__ == "__main__":
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("BACKPROP_VISUALIZER_SETTINGS", os.devnull)   # the user's settings stay out of it
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots"))
