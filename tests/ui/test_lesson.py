"""The guided lesson panel: its steps drive a real Stepper to the phase they explain, one request at a time, and
stop when the network cannot move; the check-yourself answer hides until asked for."""
from __future__ import annotations

from dataclasses import replace

import pytest
from PyQt6.QtCore import QObject, Qt, QTimer
from PyQt6.QtGui import QKeySequence
from PyQt6.QtWidgets import QAbstractButton, QLabel, QWidget

from core import network
from core.config import TrainingConfig
from core.stepper import Stepper
from visualizer import theme
from visualizer.lesson_drive import LOOP_ACCURACY, LOOP_LIMIT, find_example
from visualizer.snapshot import ExampleSelection, make_snapshot
from visualizer.views.lesson import LOOP_ITERATIONS, PREDICT_PHASE, LessonPanel

WAIT_MS = 5000


class FakeBridge(QObject):
    """Answers the panel's step requests as the bridge's worker does, a moment later (queued), with a snapshot
    of a real Stepper; counts the requests in flight. frozen: answer without moving, as at the history's start;
    held: keep the requests until release() answers one."""

    def __init__(self, panel: LessonPanel, stepper: Stepper, frozen: bool = False, held: bool = False) -> None:
        super().__init__()
        self.panel, self.stepper, self.frozen, self.held = panel, stepper, frozen, held
        self.requests: list[str] = []
        self.waiting: list[str] = []
        self.in_flight = 0
        self.most_in_flight = 0
        self.selection = ExampleSelection("train", 2)
        self.playing_until: int | None = None
        panel.stepRequested.connect(self.step)
        panel.playRequested.connect(self.play)
        panel.pauseRequested.connect(self.pause)
        panel.exampleWanted.connect(self.find)
        panel.exampleRequested.connect(self.select)

    def play(self, until: int) -> None:
        """As the worker plays: an iteration and a snapshot (playing) at a time, until the target or a pause."""
        self.requests.append("play")
        self.in_flight += 1
        self.playing_until = until
        QTimer.singleShot(0, self._play_one)

    def _play_one(self) -> None:
        if self.playing_until is None or self.stepper.iteration >= self.playing_until:
            self.playing_until = None
            self.in_flight -= 1
            self.send()
            return
        self.stepper.step_iteration()
        self.send(playing=True)
        QTimer.singleShot(0, self._play_one)

    def pause(self) -> None:
        self.requests.append("pause")
        if self.playing_until is not None:
            self.playing_until = self.stepper.iteration        # the next chunk stops and says so

    def find(self, kind: str) -> None:
        """As the window's job does, a moment later."""
        self.requests.append(f"find {kind}")
        found = find_example(self.stepper.split, self.stepper.params, self.stepper.config.activation, kind)
        QTimer.singleShot(0, lambda: self.panel.example_found(*(found or (None,))))

    def select(self, subset: str, index: int) -> None:
        self.requests.append("select")
        self.selection = ExampleSelection(subset, index)
        QTimer.singleShot(0, self.send)

    def step(self, kind: str) -> None:
        self.requests.append(kind)
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        if self.held:
            self.waiting.append(kind)
        else:
            QTimer.singleShot(0, lambda: self._answer(kind))

    def release(self, **changes) -> None:
        self._answer(self.waiting.pop(0), **changes)

    def _answer(self, kind: str, **changes) -> None:
        if not self.frozen:
            {"phase": self.stepper.step_phase, "back": self.stepper.step_back_phase,
             "iteration": self.stepper.step_iteration}[kind]()
        self.in_flight -= 1
        self.send(**changes)

    def send(self, **changes) -> None:
        self.panel.show_snapshot(replace(make_snapshot(self.stepper, self.selection), **changes))


@pytest.fixture
def panel(show_widget) -> LessonPanel:
    return show_widget(LessonPanel(), 420, 640)


@pytest.fixture
def bridge(panel, tiny_split) -> FakeBridge:
    fake = FakeBridge(panel, Stepper(tiny_split, TrainingConfig(hidden=6, alpha=0.5)))
    fake.send()
    return fake


def index_of(panel: LessonPanel, phase: str | None) -> int:
    return next(i for i, lesson in enumerate(panel.lessons) if lesson.phase == phase)


def go_to(qtbot, panel: LessonPanel, bridge: FakeBridge, index: int) -> None:
    """Press Next or Previous until the lesson shows step index, letting each step's computation finish."""
    while panel.index != index:
        (panel.next if panel.index < index else panel.previous)()
        qtbot.waitUntil(lambda: bridge.in_flight == 0 and not panel.driving, timeout=WAIT_MS)


def test_next_through_the_whole_lesson_computes_each_phase_it_explains(qtbot, panel, bridge):
    stepper = bridge.stepper
    for index, lesson in enumerate(panel.lessons[1:], start=1):
        before = stepper.iteration
        go_to(qtbot, panel, bridge, index)
        if lesson.phase in network.PHASES:
            assert stepper.phase == lesson.phase, lesson.name
            assert panel.snapshot.phase == lesson.phase
        elif lesson.phase == "loop":
            # Played (so the curves move) at least LOOP_ITERATIONS, and on until the network reads digits.
            assert before + LOOP_ITERATIONS <= stepper.iteration <= before + LOOP_LIMIT
            assert stepper.phases_done == 0 and "play" in bridge.requests
            assert stepper.history.curves.dev_accuracy[-1] >= LOOP_ACCURACY or stepper.iteration == before + LOOP_LIMIT
        elif lesson.phase in ("predict", "mistake"):
            assert stepper.phase == PREDICT_PHASE
            example = panel.snapshot.example
            assert example.subset == "dev"
            right = example.prediction == example.label
            if lesson.phase == "predict":
                assert right
            else:       # one it gets wrong, unless it gets every dev example right
                assert not right or find_example(stepper.split, stepper.params, "relu", "wrong") is None
        assert panel.progress_label.text() == f"Step {index + 1} of {len(panel.lessons)}"
    assert bridge.most_in_flight == 1
    assert not panel.next_button.isEnabled() and not panel.next_action.isEnabled()


def test_one_request_per_snapshot_and_none_once_there(qtbot, panel, bridge):
    go_to(qtbot, panel, bridge, index_of(panel, "dW1"))
    assert bridge.requests == ["phase"] * (network.PHASES.index("dW1") + 1)
    # A repaint of the same snapshot or a later unrelated one (a new example) asks for nothing more.
    panel.show_snapshot(panel.snapshot)
    bridge.send()
    assert len(bridge.requests) == network.PHASES.index("dW1") + 1 and bridge.in_flight == 0


def test_previous_steps_the_network_back(qtbot, panel, bridge):
    go_to(qtbot, panel, bridge, index_of(panel, "update"))
    iteration = bridge.stepper.iteration
    bridge.requests.clear()
    go_to(qtbot, panel, bridge, index_of(panel, "db1"))
    assert bridge.requests == ["back"]
    assert bridge.stepper.phase == "db1" and bridge.stepper.iteration == iteration - 1
    go_to(qtbot, panel, bridge, index_of(panel, "dZ2"))
    assert bridge.stepper.phase == "dZ2" and set(bridge.requests) == {"back"}


def test_a_request_that_does_not_move_the_network_stops_the_lesson_asking(qtbot, panel, tiny_split):
    bridge = FakeBridge(panel, Stepper(tiny_split, TrainingConfig(hidden=6)), frozen=True)
    bridge.send()
    panel.set_step(index_of(panel, "A2"))
    qtbot.waitUntil(lambda: not panel.driving, timeout=WAIT_MS)
    assert bridge.requests == ["phase"]
    assert "cannot go further" in panel.status_label.text()


def test_playing_takes_over_from_the_lesson(panel, tiny_split):
    bridge = FakeBridge(panel, Stepper(tiny_split, TrainingConfig(hidden=6)), held=True)
    bridge.send()
    panel.set_step(index_of(panel, "db1"))
    bridge.release()
    assert bridge.requests == ["phase", "phase"] and bridge.most_in_flight == 1
    bridge.release(playing=True)        # the user pressed Play while the lesson was stepping
    bridge.send(playing=True)
    assert not panel.driving and bridge.requests == ["phase", "phase"]


def test_a_step_chosen_before_any_snapshot_waits_for_the_first(qtbot, panel, tiny_split):
    panel.set_step(index_of(panel, "Z2"))
    bridge = FakeBridge(panel, Stepper(tiny_split, TrainingConfig(hidden=6)))
    bridge.send()
    qtbot.waitUntil(lambda: not panel.driving, timeout=WAIT_MS)
    assert bridge.stepper.phase == "Z2" and bridge.most_in_flight == 1


def test_the_answer_shows_on_request_and_hides_on_the_next_step(qtbot, panel, bridge):
    go_to(qtbot, panel, bridge, index_of(panel, "dW1"))
    assert "dW1" in panel.question_label.text()
    assert not panel.answer_label.isVisible()
    button = panel.findChild(QAbstractButton, "showAnswer")
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert panel.answer_label.isVisible() and "(6, 784)" in panel.answer_label.text()
    go_to(qtbot, panel, bridge, panel.index + 1)
    assert not panel.answer_label.isVisible() and button.text() == "Show answer"


def test_each_step_asks_the_diagram_to_emphasise_its_parts(qtbot, panel, bridge):
    with qtbot.waitSignal(panel.emphasisRequested, timeout=WAIT_MS) as signal:
        panel.set_step(index_of(panel, "dZ1"))
    assert signal.args[0] == frozenset({"output", "W2", "hidden"}) == panel.parts
    qtbot.waitUntil(lambda: not panel.driving, timeout=WAIT_MS)
    with qtbot.waitSignal(panel.emphasisRequested, timeout=WAIT_MS) as signal:
        panel.hide()
    assert signal.args[0] == frozenset()


def test_the_text_carries_the_real_shapes(qtbot, panel, bridge):
    go_to(qtbot, panel, bridge, index_of(panel, "Z1"))
    text = panel.text.toPlainText()
    assert "Z1 = W1 · X + b1" in text
    assert f"(6, 784) · (784, {bridge.stepper.train_size}) → (6, {bridge.stepper.train_size})" in text
    assert "{" not in text + panel.title_label.text() + panel.question_label.text()


def test_keys_and_buttons_move_the_lesson(qtbot, panel, bridge):
    assert panel.next_action.objectName() == "lessonNext" and panel.previous_action.objectName() == "lessonPrevious"
    assert panel.next_action.shortcut() == QKeySequence("Ctrl+.")
    assert panel.previous_action.shortcut() == QKeySequence("Ctrl+,")
    assert not panel.previous_button.isEnabled()
    panel.next_action.trigger()
    assert panel.index == 1 and panel.previous_button.isEnabled()
    qtbot.mouseClick(panel.previous_button, Qt.MouseButton.LeftButton)
    assert panel.index == 0
    for button in (panel.previous_button, panel.next_button, panel.answer_button):
        assert button.focusPolicy() & Qt.FocusPolicy.TabFocus


def test_presenter_mode_enlarges_the_type(panel):
    body = panel.text.document().defaultFont().pointSizeF()
    panel.set_presenter_mode(True)
    assert panel.text.document().defaultFont().pointSizeF() >= body * theme.PRESENTER_POINT_SIZE / \
        theme.BASE_POINT_SIZE - 0.01
    assert panel.title_label.font().pointSizeF() > panel.text.document().defaultFont().pointSizeF()
    panel.set_presenter_mode(False)
    assert panel.text.document().defaultFont().pointSizeF() == body


def test_every_interactive_child_is_named_and_explained(panel):
    assert panel.objectName() == "lessonView" and panel.accessibleName() and panel.toolTip()
    for child in [*panel.findChildren(QAbstractButton), *panel.findChildren(QLabel), panel.text]:
        assert child.accessibleName() and child.toolTip(), child.objectName()
    for action in (panel.next_action, panel.previous_action):
        assert action.toolTip() and action.text()
    assert isinstance(panel, QWidget)


def test_a_new_step_waits_for_the_answer_in_flight(panel, tiny_split):
    bridge = FakeBridge(panel, Stepper(tiny_split, TrainingConfig(hidden=6)), held=True)
    bridge.send()
    panel.set_step(index_of(panel, "Z1"))
    panel.next()                        # pressed again before the network answered
    assert bridge.requests == ["phase"]
    bridge.release()                    # Z1: the answer to the first step drives towards the second
    assert bridge.requests == ["phase", "phase"] and bridge.most_in_flight == 1
    bridge.release()
    assert bridge.stepper.phase == "A1" and not panel.driving and len(bridge.requests) == 2


def test_with_the_real_bridge_the_lesson_reaches_each_phase_and_comes_back(qtbot, panel, tiny_split):
    from visualizer.bridge import Bridge

    bridge = Bridge(Stepper(tiny_split, TrainingConfig(hidden=6, alpha=0.5)))
    pending = []

    def send(kind: str) -> None:
        pending.append(bridge.pending_steps)
        if not bridge.step(kind):
            panel.stop()

    def find(kind: str) -> None:
        snapshot = bridge.latest
        found = find_example(snapshot.split, snapshot.params, snapshot.config.activation, kind)
        panel.example_found(*(found or (None,)))
    panel.stepRequested.connect(send)
    panel.playRequested.connect(bridge.play)
    panel.pauseRequested.connect(bridge.pause)
    panel.exampleWanted.connect(find)
    panel.exampleRequested.connect(bridge.select_example)
    bridge.snapshotReady.connect(panel.show_snapshot)
    try:
        qtbot.waitUntil(lambda: panel.snapshot is not None, timeout=WAIT_MS)
        for index in (index_of(panel, "update"), index_of(panel, "loop"), index_of(panel, "predict"),
                      index_of(panel, "dZ2")):
            while panel.index != index:
                (panel.next if panel.index < index else panel.previous)()
                qtbot.waitUntil(lambda: not panel.driving, timeout=WAIT_MS)
            expected = {"loop": "update", "predict": PREDICT_PHASE}.get(panel.lesson.phase, panel.lesson.phase)
            assert bridge.latest.phase == expected
        # One iteration up to the update, the loop's LOOP_ITERATIONS or more, then back from prediction into the
        # last of them.
        assert bridge.latest.iteration >= 1 + LOOP_ITERATIONS - 1
        # The worker sends the snapshot just before its "answered": at most that one is still counted.
        assert pending and max(pending) <= 1
    finally:
        bridge.shutdown()
    assert not bridge.thread.isRunning()


def test_a_theme_switch_recolours_the_text(panel, monkeypatch):
    monkeypatch.setattr(theme, "PAPER", "#101418")
    monkeypatch.setattr(theme, "INK", "#e8eaf0")
    panel.set_theme()
    assert "#101418" in panel.text.styleSheet() and "#e8eaf0" in panel.title_label.styleSheet()
