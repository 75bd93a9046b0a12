"""The optimizer race panel on its own: two lanes from the main run's weights, raced in a thread of the panel's."""
from __future__ import annotations

import numpy as np
import pytest

from core.config import TrainingConfig
from core.data import Split
from core.network import PARAMETERS
from core.stepper import Stepper
from visualizer.snapshot import ExampleSelection, make_snapshot
from visualizer.views.race import RacePanel

TIMEOUT = 60_000        # a busy two-core machine races 2 × 30 iterations of 200 examples well within this
MAIN = TrainingConfig(hidden=12, seed=5)


@pytest.fixture
def panel(qtbot, tiny_split):
    view = RacePanel()
    qtbot.addWidget(view)
    main = Stepper(tiny_split, MAIN)
    view.show_snapshot(make_snapshot(main, ExampleSelection("dev", 3)))      # its split and starting weights
    view.resize(560, 620)
    view.show()
    yield view
    view.shutdown()
    assert not view.running


def legend_names(view: RacePanel) -> list[str]:
    return [label.text for _, label in view.legend.items]


def points(item) -> int:
    x, y = item.getData()
    if x is None:
        return 0
    assert np.isfinite(y).all()
    return len(x)


def race_to(qtbot, view: RacePanel, target: int) -> None:
    view.iterations.setValue(target)
    view.start_button.click()
    qtbot.waitUntil(lambda: not view.running and view.frame is not None
                    and max(s.iteration for s in view.frame.snapshots) == target, timeout=TIMEOUT)


def test_the_panel_offers_the_two_classic_notebooks_by_default(panel):
    assert panel.objectName() == "racePanel"
    assert [choice.currentText() for choice in panel.optimizers] == ["Gradient descent", "Adam"]
    assert [rate.value() for rate in panel.learning_rates] == [0.1, 0.001]
    assert panel.iterations.value() == 500
    assert legend_names(panel) == ["Gradient descent α 0.1", "Adam α 0.001"]
    assert [button.objectName() for button in (panel.start_button, panel.pause_button, panel.reset_button)] == \
        ["raceStart", "racePause", "raceReset"]
    assert panel.start_button.isEnabled() and not panel.pause_button.isEnabled()
    assert "H = 12" in panel.setup.text() and "seed 5" in panel.setup.text()
    for child in (panel, *panel.optimizers, *panel.learning_rates, panel.iterations, panel.start_button):
        assert child.accessibleName() and child.toolTip()


def test_the_race_shows_each_lane_as_a_lone_run_of_its_optimizer_would_be(qtbot, panel, tiny_split):
    race_to(qtbot, panel, 25)
    for k, config in enumerate((MAIN, MAIN.with_changes(optimizer="adam", alpha=0.001))):
        lone = Stepper(tiny_split, config)
        lone.run(25)
        shown = panel.frame.snapshots[k]        # what the lane's diagram was given
        assert panel.diagrams[k].isVisible() and panel.diagrams[k].caption_texts() and shown.iteration == 25
        for name in PARAMETERS:
            assert np.array_equal(shown.params[name], lone.params[name]), (k, name)
        # The diagrams follow the example the main window selected.
        assert (shown.example.subset, shown.example.index) == ("dev", 3)
        assert points(panel.loss_curves[k]) == points(panel.dev_curves[k]) == 25
        assert "iteration\u00a025" in panel.captions[k].text()
    assert panel.captions[0].text().startswith("A\u00a0·\u00a0Gradient\u00a0descent\u00a0α\u00a00.1")
    assert panel.captions[1].text().startswith("B\u00a0·\u00a0Adam\u00a0α\u00a00.001")
    assert "80 % dev accuracy" in panel.verdict.text()
    assert panel.status.text().startswith("Iteration 25 of 25")
    assert not panel.start_button.isEnabled()       # finished: raise the target to go on
    panel.iterations.setValue(30)
    assert panel.start_button.isEnabled() and panel.start_button.text() == "Resume"


def test_a_main_run_opened_from_weights_races_from_those_weights_and_says_so(qtbot, panel, tiny_split):
    assert "uniform init, seed 5" in panel.setup.text()
    opened = {name: np.asarray(value) * -0.5 for name, value in Stepper(tiny_split, MAIN.with_changes(seed=9))
              .params.items()}                    # not what MAIN's init and seed draw
    main = Stepper(tiny_split, MAIN, opened)
    panel.show_snapshot(make_snapshot(main, ExampleSelection("dev", 3)))    # the same configuration as before
    assert "opened from a file" in panel.setup.text() and "H = 12" in panel.setup.text()
    race_to(qtbot, panel, 3)
    for k, config in enumerate(panel.lane_configs()):
        lone = Stepper(tiny_split, config, opened)
        lone.run(3)
        for name in PARAMETERS:
            assert np.array_equal(panel.frame.snapshots[k].params[name], lone.params[name]), (k, name)
    assert "opened from a file" in panel.setup.text()


def test_pause_holds_the_race_and_resume_goes_on_from_there(qtbot, panel):
    panel.iterations.setValue(5000)
    panel.start_button.click()
    assert panel.running and panel.pause_button.isEnabled()
    assert not panel.optimizers[0].isEnabled()      # a race keeps its lanes' settings until Reset
    qtbot.waitUntil(lambda: panel.frame is not None and panel.frame.snapshots[0].iteration >= 3, timeout=TIMEOUT)
    panel.pause_button.click()
    qtbot.waitUntil(lambda: not panel.running and panel.start_button.text() == "Resume", timeout=TIMEOUT)
    # the race has stopped (its job has ended): the panel may read it
    qtbot.waitUntil(lambda: panel.frame.snapshots[0].iteration == panel.session.race.lanes[0].iteration,
                    timeout=TIMEOUT)
    paused_at = panel.frame.snapshots[0].iteration
    assert not panel.pause_button.isEnabled()
    assert [lane.iteration for lane in panel.session.race.lanes] == [paused_at, paused_at]
    panel.iterations.setValue(paused_at + 4)
    panel.start_button.click()
    qtbot.waitUntil(lambda: not panel.running and panel.frame.snapshots[1].iteration == paused_at + 4,
                    timeout=TIMEOUT)
    assert points(panel.loss_curves[1]) == paused_at + 4


def test_reset_forgets_the_race_and_the_next_one_uses_the_edited_lanes(qtbot, panel):
    race_to(qtbot, panel, 6)
    panel.reset_button.click()
    assert panel.session is None and panel.frame is None
    assert all(points(item) == 0 for item in (*panel.loss_curves, *panel.dev_curves, *panel.train_curves))
    assert not any(diagram.isVisible() for diagram in panel.diagrams)
    assert panel.start_button.text() == "Start" and panel.optimizers[1].isEnabled()
    panel.optimizers[1].setCurrentIndex(panel.optimizers[1].findData("momentum"))
    panel.learning_rates[1].setValue(0.05)
    assert legend_names(panel) == ["Gradient descent α 0.1", "Momentum α 0.05"]
    race_to(qtbot, panel, 4)
    assert panel.frame.names == ("gradient descent α 0.1", "momentum α 0.05")
    assert [s.iteration for s in panel.frame.snapshots] == [4, 4]


def test_a_diverging_lane_stops_alone_and_the_loss_turns_to_a_log_scale(qtbot, panel):
    # Gradient descent with α 1000: a loss that explodes over two iterations, then diverges.
    panel.optimizers[1].setCurrentIndex(panel.optimizers[1].findData("gd"))
    panel.learning_rates[1].setValue(1000)
    race_to(qtbot, panel, 15)
    steady, wild = panel.frame.snapshots
    assert steady.iteration == 15 and wild.iteration < 15 and wild.diverged
    assert panel.captions[1].text().endswith("diverged:\u00a0stopped")
    assert "diverged at iteration" in panel.verdict.text()
    assert panel.loss_plot.getAxis("left").labelText == "loss (log scale)"
    assert points(panel.loss_curves[1]) == wild.iteration


def test_shutdown_while_racing_stops_the_thread(qtbot, panel):
    panel.iterations.setValue(20_000)
    panel.start_button.click()
    qtbot.waitUntil(lambda: panel.frame is not None, timeout=TIMEOUT)
    assert panel.running
    panel.shutdown()
    assert not panel.running


def test_closing_the_panel_pauses_the_race(qtbot, panel):
    panel.iterations.setValue(20_000)
    panel.start_button.click()
    qtbot.waitUntil(lambda: panel.frame is not None, timeout=TIMEOUT)
    panel.hide()
    # The buttons follow once the thread's finished signal has arrived.
    qtbot.waitUntil(lambda: not panel.running and panel.start_button.text() == "Resume", timeout=TIMEOUT)


def test_without_data_the_panel_says_so_instead_of_starting(qtbot):
    view = RacePanel()
    qtbot.addWidget(view)
    with qtbot.waitSignal(view.failed, timeout=1000) as signal:
        view.start_button.click()
    assert "no data yet" in signal.args[0]
    assert view.session is None and view.job is None


def test_a_changed_main_run_is_noted_while_a_race_keeps_its_settings(qtbot, panel, tiny_split):
    race_to(qtbot, panel, 2)
    panel.show_snapshot(make_snapshot(Stepper(tiny_split, MAIN.with_changes(hidden=7)), ExampleSelection()))
    assert "H = 12" in panel.setup.text() and "Reset to race with them" in panel.setup.text()
    panel.reset_button.click()
    assert "H = 7" in panel.setup.text() and "Reset" not in panel.setup.text()


def test_without_a_dev_set_the_race_is_judged_on_training_accuracy(qtbot, panel, tiny_split):
    no_dev = Split("tiny", tiny_split.X_train, tiny_split.labels_train, tiny_split.X_dev[:, :0],
                   tiny_split.labels_dev[:0], tiny_split.class_names, tiny_split.dev_source)
    panel.show_snapshot(make_snapshot(Stepper(no_dev, MAIN), ExampleSelection("dev", 3)))
    race_to(qtbot, panel, 3)
    assert not any(curve.isVisible() for curve in panel.dev_curves)
    assert all(points(curve) == 3 for curve in panel.train_curves)
    assert panel.accuracy_plot.getAxis("left").labelText == "train accuracy (%)"
    assert "train accuracy" in panel.verdict.text() and "train\u00a0" in panel.captions[0].text()


def test_presenter_mode_enlarges_the_text(panel):
    before = panel.verdict.font().pointSizeF()
    panel.set_presenter_mode(True)
    assert panel.verdict.font().pointSizeF() > before
    assert legend_names(panel) == ["Gradient descent α 0.1", "Adam α 0.001"]


def test_a_theme_switch_recolours_the_lanes(panel):
    from visualizer import appearance, theme

    try:
        appearance.apply_theme(None, "dark")
        panel.set_theme()                   # as apply_theme does for every widget of the window
        dark_blue = appearance.load_theme("dark").colours["BLUE"]
        assert dark_blue != "#0072b2"       # the light theme's blue nearly vanishes on black
        assert panel.loss_curves[0].opts["pen"].color().name() == dark_blue
        assert dark_blue in panel.captions[0].styleSheet() and theme.ORANGE in panel.lane_marks[1].styleSheet()
    finally:
        appearance.apply_theme(None, "light")
        panel.set_theme()
    assert panel.loss_curves[0].opts["pen"].color().name() == "#0072b2"
