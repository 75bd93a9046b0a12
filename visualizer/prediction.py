"""Predict mode in the window: the action (P), the question's panel, the snapshot held back until it is answered,
and the predictions kept along the timeline.

With predict mode on, → asks the worker for a "predict" step: it computes the next phase and makes a question from
its arrays (visualizer/questions.py), and the snapshot comes back carrying it. The window hands every snapshot to
`hold` first: a snapshot with a question is kept here, not shown, until an option is chosen (a button, keys 1–4)
or the phase is revealed without a choice (PageDown, →); then it goes to the views like any other. A newer
snapshot (← pressed meanwhile, a reset) withdraws the question. Each prediction is kept with its place on the
timeline, so stepping back there shows what was predicted beside what happened.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Callable, Protocol

from PyQt6.QtCore import Qt
from PyQt6.QtGui import QAction
from PyQt6.QtWidgets import QMenuBar, QToolBar, QWidget

from core import network
from core.predict import LETTERS, Question

from .questions import position_of
from .snapshot import Snapshot
from .views.prediction import OPTION_KEYS, Prediction, PredictionPanel
from .window.actions import ActionSpec

Key = Qt.Key


class Host(Protocol):
    """What predict mode uses of the window."""
    toolbar: QToolBar
    numbers_hidden: bool

    def add_action(self, spec: ActionSpec, slot: Callable) -> QAction: ...
    def add_view(self, view: object) -> None: ...
    def place_strip(self, widget: QWidget, beside: bool) -> None: ...
    def show_snapshot(self, snapshot: Snapshot) -> None: ...
    def set_numbers_hidden(self, hidden: bool) -> None: ...
    def menuBar(self) -> QMenuBar: ...


def run_key(snapshot: Snapshot) -> tuple:
    """Which run a position belongs to: the same data and settings give the same arrays (α aside, which changes
    only from the iteration where it is changed: the history after it is dropped, and its predictions with it)."""
    return snapshot.dataset_name, snapshot.train_size, snapshot.dev_size, replace(snapshot.config, alpha=1.0)


def menu(window: Host, title: str):
    """The window's menu of this title ("&Run")."""
    return next(item.menu() for item in window.menuBar().actions() if item.menu() and item.text() == title)


class Predictions:
    """Predict mode: on/off (`on`), the snapshot held back (`held`), the predictions kept (`kept`), the tally."""

    def __init__(self, window: Host) -> None:
        self.window = window
        self.on = False
        self.held: Snapshot | None = None
        self._numbers_were_shown = False       # hidden for the open question, shown again when it closes
        self.question: Question | None = None
        self.votes: tuple[int, ...] | None = None
        self.kept: dict[tuple, Prediction] = {}           # (run_key, position) → what was predicted there
        self.shown: Snapshot | None = None
        # A lesson step may bring its own question for the phase it teaches (visualizer/lesson_control.py).
        self.own_question: Callable[[Snapshot], Question | None] = lambda snapshot: None
        self.panel = PredictionPanel()
        self.panel.chosen.connect(self.choose)
        self.panel.revealRequested.connect(self.reveal)
        self.panel.votesEntered.connect(self.set_votes)
        window.place_strip(self.panel, False)
        self.action = window.add_action(ActionSpec(
            "predictMode", "Predict", "predict", (Key.Key_P,),
            "Predict mode: each step first asks a question about the phase, then shows it", "", checkable=True),
            self.set_on)
        run = menu(window, "&Run")
        run.insertAction(run.actions()[3], self.action)         # after the three step actions
        window.toolbar.addAction(self.action)
        window.toolbar.widgetForAction(self.action).setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.choice_actions = [window.add_action(ActionSpec(
            f"predictChoice{LETTERS[i]}", f"Choose {LETTERS[i]}", "predict", (getattr(Key, f"Key_{OPTION_KEYS[i]}"),),
            f"Predict mode: choose option {LETTERS[i]}", "", enabled=False),
            lambda checked=False, choice=i: self.choose(choice)) for i in range(len(LETTERS))]
        self.votes_action = window.add_action(ActionSpec(
            "roomVotes", "Type the room's votes…", "predict", (Key.Key_V,),
            "Predict mode: type how many in the room chose A, B, C and D", "", enabled=False), self.panel.enter_votes)
        run.insertAction(run.actions()[4], self.votes_action)
        self._show_score()
        self.panel.snapshotShown.connect(self.show_snapshot)
        self.panel.presenterModeChanged.connect(self._presenter_mode)
        window.add_view(self.panel)

    # ------------------------------------------------------------ the mode
    def set_on(self, on: bool) -> None:
        self.on = bool(on)
        self.action.setChecked(self.on)
        if not self.on and self.held is not None:
            self.reveal()
        if self.shown is not None:
            self.show_snapshot(self.shown)
        elif self.on:
            self.panel.waiting()

    @property
    def asking(self) -> bool:
        """A question is open: the phase it is about is held back."""
        return self.held is not None

    def hold(self, snapshot: Snapshot) -> bool:
        """Called with every snapshot before it is shown: True when it is held back for its question."""
        if self.held is not None:
            self._withdraw()                # a newer snapshot: the question's phase is not the next one any more
        if not self.on or snapshot.question is None or self._key(snapshot) in self.kept:
            return False
        self.held, self.votes = snapshot, None
        self.question = self.own_question(snapshot) or snapshot.question
        self.panel.ask(self.question)
        self._enable(True)
        # The panels show the example's values of the whole forward pass (A1 at Z1, say): hidden while asked, as
        # hideNumbers hides them, or the answer would be on screen.
        self._numbers_were_shown = not self.window.numbers_hidden
        if self._numbers_were_shown:
            self.window.set_numbers_hidden(True)
        return True

    def choose(self, choice: int) -> None:
        if self.held is not None and 0 <= choice < len(LETTERS):
            self._release(Prediction(self.question, choice, self.votes))

    def reveal(self) -> bool:
        """Show the held phase without a prediction (PageDown, →): not scored. False when nothing is held."""
        if self.held is None:
            return False
        self._release(Prediction(self.question, None, self.votes))
        return True

    def set_votes(self, votes: tuple[int, ...]) -> None:
        """The room's counts for A–D: with the open question, or with the prediction kept here."""
        if self.held is not None:
            self.votes = votes
            self.panel.ask(self.question, votes)
        elif self.shown is not None and self._key(self.shown) in self.kept:
            key = self._key(self.shown)
            self.kept[key] = replace(self.kept[key], votes=votes)
            self.panel.show_kept(self.kept[key])

    # ------------------------------------------------------------ what the panel shows
    def show_snapshot(self, snapshot: Snapshot) -> None:
        """What was predicted at this point of the timeline, if anything; else what predict mode does next."""
        self.shown = snapshot
        self._forget_after(snapshot)
        kept = self.kept.get(self._key(snapshot))
        if kept is not None:
            self.panel.show_kept(kept)
        elif self.on:
            self.panel.waiting()
        else:
            self.panel.clear()
        self.votes_action.setEnabled(kept is not None or self.held is not None)

    def _presenter_mode(self, on: bool) -> None:
        """Beside the diagram, the question (or the verdict) comes first, the lesson's caption under it; the
        toolbar, in large type, keeps the icon only."""
        self.window.place_strip(self.panel, on, top=True)
        style = Qt.ToolButtonStyle.ToolButtonIconOnly if on else Qt.ToolButtonStyle.ToolButtonTextBesideIcon
        self.window.toolbar.widgetForAction(self.action).setToolButtonStyle(style)

    # ------------------------------------------------------------ inside
    @staticmethod
    def _key(snapshot: Snapshot) -> tuple:
        return run_key(snapshot), position_of(snapshot)

    def _release(self, prediction: Prediction) -> None:
        snapshot, self.held = self.held, None
        self.kept[self._key(snapshot)] = prediction
        self._enable(False)
        self._show_score()
        self.window.show_snapshot(snapshot)

    def _withdraw(self) -> None:
        self.held = None
        self._enable(False)

    def _enable(self, asking: bool) -> None:
        for action in self.choice_actions:
            action.setEnabled(asking)
        self.votes_action.setEnabled(asking)
        if not asking and self._numbers_were_shown:
            self._numbers_were_shown = False
            self.window.set_numbers_hidden(False)

    def _show_score(self) -> None:
        answered = [p for p in self.kept.values() if p.choice is not None]
        self.panel.set_score(sum(p.right for p in answered), len(answered))

    def _forget_after(self, snapshot: Snapshot) -> None:
        """Predictions past the end of the run's history (a new α dropped it) were made about another future."""
        run, phases = run_key(snapshot), len(network.PHASES)
        last = snapshot.latest * phases + phases - 1        # the last phase of the iteration after the latest
        for key in [key for key in self.kept if key[0] == run and key[1] > last]:
            del self.kept[key]
