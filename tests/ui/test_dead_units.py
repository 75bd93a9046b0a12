"""Explain what goes wrong (issue 14): α = 20 on the MNIST sample silences every ReLU unit without a NaN; a banner
says so, why, and offers to go back to the last iteration where a unit was alive."""
from __future__ import annotations

import numpy as np
from PyQt6.QtWidgets import QLabel, QPushButton

from core.dead_units import DEAD_ITERATIONS, DeadUnits

from .test_one_truth import TIMEOUT


def test_dead_units_are_told_once_after_a_few_silent_iterations():
    watch = DeadUnits()
    alive, dead = np.array([[0.0, 0.3]]), np.zeros((1, 2))      # (one output in 2,000 would count as none)
    assert not watch.observe(0, alive) and not watch.observe(1, alive)
    told = [watch.observe(iteration, dead) for iteration in range(2, 2 + DEAD_ITERATIONS + 2)]
    assert told == [False] * (DEAD_ITERATIONS - 1) + [True, False, False]
    assert (watch.last_alive, watch.dead_since) == (1, 2)
    assert not watch.observe(9, alive) and watch.last_alive == 9 and watch.dead_since is None
    nearly = np.zeros((10, 2000))
    nearly[3, 7] = 0.2                  # one unit alive for one example of 2,000: the class sees a dead network
    assert [watch.observe(iteration, nearly) for iteration in range(10, 10 + DEAD_ITERATIONS)][-1]


def test_a_learning_rate_of_20_kills_the_relu_units_and_the_banner_says_why(qtbot, make_window):
    window = make_window("--alpha", "20", data="mnist-sample")
    for _ in range(8):
        window.bridge.step("iteration")
        qtbot.waitUntil(lambda: window.bridge.pending_steps == 0, timeout=TIMEOUT)
    banner = window.divergence_banner
    qtbot.waitUntil(banner.isVisible, timeout=TIMEOUT)
    text = window.findChild(QLabel, "divergenceBannerText").text()
    assert "ReLU units died" in text and "learning rate too large" in text and "negative" in text
    assert not window.snapshot.diverged and np.isfinite(window.snapshot.loss)
    button = window.findChild(QPushButton, "divergenceBannerAction")
    good = banner.good_iteration
    assert button.text() == f"Go back to iteration {good}" and 0 < good < 5
    button.click()
    qtbot.waitUntil(lambda: window.snapshot.iteration == good, timeout=TIMEOUT)
    assert not banner.isVisible()
    # from there the units were alive: this iteration's forward pass lets something through
    for _ in range(2):
        window.bridge.step("phase")
    qtbot.waitUntil(lambda: window.snapshot.phase == "A1", timeout=TIMEOUT)
    assert np.any(window.snapshot.arrays["A1"] > 0)
