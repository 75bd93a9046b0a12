"""A teacher's own lesson in the real window (File ▸ Open lesson…, its setup, a broken file), the lesson saved
with its run as one file, and the lesson in presenter mode: the caption, the clicker, and the lesson following
the network when it is stepped by hand."""
from __future__ import annotations

from pathlib import Path

from PyQt6.QtCore import Qt
from PyQt6.QtGui import QAction, QFontMetrics
from PyQt6.QtWidgets import QDockWidget, QFileDialog, QLabel, QSpinBox, QWidget

from visualizer.lesson_format import SETUP_FILE

TIMEOUT = 15_000

STEP_Z1 = """<!-- phase: Z1; parts: input W1 b1 hidden -->
# Our first sum

Each hidden unit adds up its {H} weighted pixels.

## Check yourself
How many numbers does Z1 hold?

### Answer
{H} times {m}.
"""
STEP_A1 = """<!-- phase: A1; parts: hidden -->
# Switching units off

ReLU keeps the positive sums and sets the others to zero.

## Check yourself
What is ReLU(−2)?

### Answer
0.

## Predict
How many of the hidden units will be exactly 0 for the first example?
A) none of them
B) some of them
C) all of them
D) it depends on the learning rate
Answer: B
Why: a negative sum becomes 0, and some sums are negative.
"""


def write_lesson(folder: Path, steps: dict[str, str], setup: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in steps.items():
        (folder / name).write_text(text, encoding="utf-8")
    if setup is not None:
        (folder / SETUP_FILE).write_text(setup, encoding="utf-8")
    return folder


def open_folder(monkeypatch, window, folder: Path) -> None:
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *args, **kwargs: str(folder))
    window.findChild(QAction, "openLesson").trigger()


def phase(window) -> str:
    return window.findChild(QLabel, "phaseLabel").text()


def lesson_of(window):
    return window.classroom.lesson


def test_a_lesson_folder_of_two_steps_opens_sets_up_its_run_and_drives_the_network(qtbot, window, monkeypatch,
                                                                                    tmp_path):
    folder = write_lesson(tmp_path / "my-lesson", {"01-z1.md": STEP_Z1, "02-a1.md": STEP_A1},
                          "hidden: 8   # a narrower layer\nseed: 3\nhide: matrices\nlock: configuration\n")
    open_folder(monkeypatch, window, folder)
    lesson = lesson_of(window)
    qtbot.waitUntil(lambda: phase(window) == "Z1" and not lesson.driving, timeout=TIMEOUT)
    assert window.snapshot.config.hidden == 8 and window.snapshot.config.seed == 3
    assert window.findChild(QDockWidget, "lessonPanel").isVisible()
    assert [step.name for step in lesson.lessons] == ["01-z1", "02-a1"] and lesson.lesson_set.name == "my-lesson"
    assert window.findChild(QLabel, "lessonTitle").text() == "Our first sum"
    assert "8 weighted pixels" in lesson.text.toPlainText()
    assert not window.findChild(QDockWidget, "matricesDock").isVisible()
    assert not window.config_panel.isEnabled()
    qtbot.keyClick(window, Qt.Key.Key_PageDown)          # the clicker moves the open lesson
    qtbot.waitUntil(lambda: phase(window) == "A1" and not lesson.driving, timeout=TIMEOUT)
    assert lesson.index == 1


def test_a_broken_lesson_file_is_named_with_its_line_and_the_lesson_in_use_stays(qtbot, window, monkeypatch,
                                                                                 tmp_path):
    broken = STEP_A1.replace("C) all of them\n", "")
    folder = write_lesson(tmp_path / "broken", {"01-z1.md": STEP_Z1, "02-a1.md": broken})
    before = lesson_of(window).lesson_set
    open_folder(monkeypatch, window, folder)
    text = window.findChild(QLabel, "messageBannerText").text()
    assert window.message_banner.isVisible()
    assert str(folder / "02-a1.md") in text and "line 16" in text and "options must be A" in text
    assert "lesson in use stays" in text
    assert lesson_of(window).lesson_set is before and len(lesson_of(window).lessons) > 2


def test_a_setup_file_with_a_mistake_is_named_with_its_line(qtbot, window, monkeypatch, tmp_path):
    folder = write_lesson(tmp_path / "setup", {"01-z1.md": STEP_Z1}, "hidden: 8\nspeed: fast\n")
    open_folder(monkeypatch, window, folder)
    text = window.findChild(QLabel, "messageBannerText").text()
    assert f"{folder / SETUP_FILE}, line 2" in text and "unknown setting" in text and "speed" in text


def test_a_step_asks_its_own_question_in_predict_mode(qtbot, window, monkeypatch, tmp_path):
    folder = write_lesson(tmp_path / "predicting", {"01-z1.md": STEP_Z1, "02-a1.md": STEP_A1},
                          "predict mode: on\n")
    open_folder(monkeypatch, window, folder)
    assert window.findChild(QAction, "predictMode").isChecked()
    # Step 1 (Z1) asks a question made from the arrays, step 2 its own.
    qtbot.waitUntil(lambda: window.predictions.asking, timeout=TIMEOUT)
    assert window.predictions.question.kind != "lesson"
    qtbot.keyClick(window, Qt.Key.Key_PageDown)          # reveal Z1 without choosing
    qtbot.waitUntil(lambda: phase(window) == "Z1", timeout=TIMEOUT)
    qtbot.keyClick(window, Qt.Key.Key_PageDown)          # the lesson's next step: A1, asked first
    qtbot.waitUntil(lambda: window.predictions.asking, timeout=TIMEOUT)
    question = window.predictions.question
    assert question.kind == "lesson" and question.text.startswith("How many of the hidden units")
    assert window.findChild(QLabel, "predictionQuestion").text() == question.text
    qtbot.keyClick(window, Qt.Key.Key_2)
    qtbot.waitUntil(lambda: phase(window) == "A1", timeout=TIMEOUT)
    assert window.findChild(QLabel, "predictionResult").text().startswith("✓ Right")


def test_a_lesson_saved_with_its_run_opens_as_one_file(qtbot, make_window, monkeypatch, tmp_path):
    folder = write_lesson(tmp_path / "shared", {"01-z1.md": STEP_Z1, "02-a1.md": STEP_A1})
    window = make_window()
    open_folder(monkeypatch, window, folder)
    qtbot.waitUntil(lambda: phase(window) == "Z1" and not lesson_of(window).driving, timeout=TIMEOUT)
    window.classroom.lesson.next()
    qtbot.waitUntil(lambda: phase(window) == "A1" and not lesson_of(window).driving, timeout=TIMEOUT)
    path = tmp_path / "for-students.npz"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args, **kwargs: (str(path), ""))
    window.findChild(QAction, "saveLessonRun").trigger()
    qtbot.waitUntil(path.exists, timeout=TIMEOUT)
    window.close()
    # The student's machine: no lesson folder, one file.
    for step in folder.iterdir():
        step.unlink()
    student = make_window()
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *args, **kwargs: (str(path), ""))
    student.findChild(QAction, "openLessonRun").trigger()
    lesson = lesson_of(student)
    qtbot.waitUntil(lambda: lesson.lesson_set.name == "shared" and phase(student) == "A1", timeout=TIMEOUT)
    assert lesson.index == 1 and student.findChild(QLabel, "lessonTitle").text() == "Switching units off"
    assert lesson.lessons[1].prediction is not None


def test_presenter_mode_projects_the_lesson_and_the_clicker_moves_it(qtbot, window):
    window.findChild(QAction, "guidedLesson").trigger()
    lesson = lesson_of(window)
    qtbot.waitUntil(lambda: window.findChild(QDockWidget, "lessonPanel").isVisible(), timeout=TIMEOUT)
    window.set_presenter_mode(True)
    try:
        caption = window.findChild(QWidget, "presenterCaption")
        qtbot.waitUntil(caption.isVisible, timeout=TIMEOUT)
        title = window.findChild(QLabel, "presenterCaptionTitle")
        assert title.text() == lesson.title_label.text()
        assert window.findChild(QLabel, "presenterCaptionQuestion").text().endswith(lesson.question_label.text())
        assert window.diagram.emphasized_parts == lesson.parts
        for _ in range(2):                                  # pixels → parameters → Z1
            qtbot.keyClick(window, Qt.Key.Key_PageDown)
        qtbot.waitUntil(lambda: phase(window) == "Z1" and not lesson.driving, timeout=TIMEOUT)
        assert lesson.index == 2 and title.text() == lesson.lessons[2].title
        assert "Z1" in lesson.lessons[2].title and window.diagram.emphasized_parts == lesson.parts
        answer = window.findChild(QLabel, "presenterCaptionAnswer")
        assert lesson.answer_label.text() not in answer.text()
        qtbot.keyClick(window, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
        assert lesson.answer_label.text() in answer.text()
        qtbot.keyClick(window, Qt.Key.Key_PageUp)
        qtbot.waitUntil(lambda: lesson.index == 1, timeout=TIMEOUT)
        # → still steps the network, and the lesson follows to the step that teaches the phase.
        qtbot.keyClick(window, Qt.Key.Key_Right)
        qtbot.waitUntil(lambda: phase(window) == "A1", timeout=TIMEOUT)
        qtbot.waitUntil(lambda: lesson.lesson.phase == "A1", timeout=TIMEOUT)
        assert title.text() == lesson.lesson.title
    finally:
        window.set_presenter_mode(False)
    assert not window.findChild(QWidget, "presenterCaption").isVisible()


def test_the_lesson_says_so_when_the_network_leaves_it(qtbot, window, monkeypatch, tmp_path):
    folder = write_lesson(tmp_path / "short", {"01-z1.md": STEP_Z1, "02-a1.md": STEP_A1})
    open_folder(monkeypatch, window, folder)
    lesson = lesson_of(window)
    qtbot.waitUntil(lambda: phase(window) == "Z1" and not lesson.driving, timeout=TIMEOUT)
    for _ in range(2):
        qtbot.keyClick(window, Qt.Key.Key_Right)
    qtbot.waitUntil(lambda: phase(window) == "Z2", timeout=TIMEOUT)
    status = window.findChild(QLabel, "lessonStatus").text()
    assert "left the lesson" in status and "Z2" in status
    qtbot.keyClick(window, Qt.Key.Key_Left)
    qtbot.waitUntil(lambda: phase(window) == "A1" and lesson.index == 1, timeout=TIMEOUT)


def test_the_lesson_body_shows_twelve_lines_at_1366_by_768(qtbot, make_window):
    window = make_window("--size", "1366x768")
    window.findChild(QAction, "guidedLesson").trigger()
    lesson = lesson_of(window)
    qtbot.waitUntil(lambda: lesson.text.isVisible(), timeout=TIMEOUT)
    qtbot.waitUntil(lambda: lesson.text.viewport().height() >= 12 * QFontMetrics(lesson.text.font()).lineSpacing(),
                    timeout=TIMEOUT)


def test_the_setup_fixes_the_seed_and_the_iterations_before_step_one(qtbot, window, monkeypatch, tmp_path):
    folder = write_lesson(tmp_path / "trained", {"01-z1.md": STEP_Z1}, "iterations before: 5\nalpha: 0.2\n")
    open_folder(monkeypatch, window, folder)
    lesson = lesson_of(window)
    qtbot.waitUntil(lambda: phase(window) == "Z1" and not lesson.driving and window.snapshot.iteration == 5,
                    timeout=TIMEOUT)
    assert window.snapshot.alpha == 0.2 and window.findChild(QSpinBox, "hiddenSpin") is not None


def test_the_guided_lesson_ends_on_a_network_that_reads_digits(qtbot, window):
    """The loop step plays (the curves move) until the network reads digits; the prediction steps show a dev
    example it gets right, then one it gets wrong."""
    from visualizer.lesson_drive import LOOP_ACCURACY, LOOP_ITERATIONS, LOOP_LIMIT, find_example

    window.speed_control.setCurrentIndex(window.speed_control.count() - 1)     # max
    window.findChild(QAction, "guidedLesson").trigger()
    lesson = lesson_of(window)
    loop = next(i for i, step in enumerate(lesson.lessons) if step.phase == "loop")
    lesson.set_step(loop - 1)
    qtbot.waitUntil(lambda: not lesson.driving, timeout=TIMEOUT)
    start = window.snapshot.iteration
    frames = []
    window.bridge.snapshotReady.connect(lambda snapshot: frames.append(snapshot.playing))
    lesson.next()
    qtbot.waitUntil(lambda: not lesson.driving, timeout=60_000)
    snapshot = window.snapshot
    assert start + LOOP_ITERATIONS <= snapshot.iteration <= start + LOOP_LIMIT and not snapshot.playing
    assert snapshot.dev_accuracy >= LOOP_ACCURACY and frames.count(True) >= 2       # it played: curves moved
    assert "Trained to iteration" in window.findChild(QLabel, "lessonStatus").text()
    lesson.next()
    qtbot.waitUntil(lambda: not lesson.driving and phase(window) == "A2", timeout=TIMEOUT)
    example = window.snapshot.example
    assert lesson.lesson.phase == "predict" and example.subset == "dev" and example.prediction == example.label
    assert f"It is a **{example.label}**" not in lesson.text.toPlainText()      # filled in, as plain text
    assert f"It is a {example.label}; the network says {example.prediction}" in lesson.text.toPlainText()
    lesson.next()
    qtbot.waitUntil(lambda: not lesson.driving and lesson.lesson.phase == "mistake", timeout=TIMEOUT)
    example = window.snapshot.example
    snapshot = window.snapshot
    wrong = find_example(snapshot.split, snapshot.params, snapshot.config.activation, "wrong")
    if wrong is not None:
        assert (example.subset, example.index) == wrong and example.prediction != example.label
        assert f"but the network says {example.prediction}" in lesson.text.toPlainText()
