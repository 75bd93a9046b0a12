"""Check my code in the real window: a student's file checked phase by phase, shown as a table and heat maps."""
from __future__ import annotations

import multiprocessing
from pathlib import Path

import numpy as np
import pytest
from PyQt6.QtGui import QAction
from PyQt6.QtWidgets import QDockWidget, QFileDialog, QLabel, QTableWidget

from core.check import REPORT_ORDER

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
TIMEOUT = 60_000        # their code runs in a spawned process (about 2 s on an idle machine)


def check(qtbot, monkeypatch, window, path: Path | str):
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *args, **kwargs: (str(path), ""))
    window.findChild(QAction, "checkCode").trigger()
    assert window.findChild(QDockWidget, "checkCodePanel").isVisible()
    view = window.check_code
    qtbot.waitUntil(lambda: not view.running and view.report is not None, timeout=TIMEOUT)
    return view


def rows(window) -> dict[str, list[str]]:
    table = window.findChild(QTableWidget, "checkFindingsTable")
    return {table.item(row, 0).text(): [table.item(row, column).text() for column in range(table.columnCount())]
            for row in range(table.rowCount())}


def test_the_action_has_its_shortcut(window):
    action = window.findChild(QAction, "checkCode")
    assert action.shortcut().toString() == "Ctrl+K" and action.toolTip()
    assert not window.findChild(QDockWidget, "checkCodePanel").isVisible()


def test_correct_code_is_ok_in_every_phase(qtbot, monkeypatch, window):
    check(qtbot, monkeypatch, window, FIXTURES / "student_correct.py")
    table = rows(window)
    assert list(table) == list(REPORT_ORDER)
    assert {cells[1] for cells in table.values()} == {"✓ ok"}
    assert table["Z1"][2] == "(10, 500)"
    assert "Every phase matches" in window.findChild(QLabel, "checkHeadline").text()
    assert window.check_code.graphics.isHidden()


def test_the_notebook_is_flagged_for_its_sum_without_axis_with_both_arrays_shown(qtbot, monkeypatch, window):
    view = check(qtbot, monkeypatch, window, FIXTURES / "student_notebook.py")
    table = rows(window)
    assert table["db2"][1] == "✗ shape" and table["db1"][1] == "✗ shape"
    assert table["db2"][2] == "(10, 1) · ()"
    assert "np.sum(dZ2) without axis=1" in table["db2"][4]
    assert table["dW2"][1] == "✓ ok"
    # The first difference is chosen and drawn: ours (10, 1) beside theirs, a single number.
    detail = window.findChild(QLabel, "checkDetail").text()
    assert "db2" in detail and "without axis=1" in detail
    assert not view.graphics.isHidden()
    titles = [plot.titleLabel.text for plot in view.plots]
    assert titles == ["expected db2 (10, 1)", "yours db2 ()"]
    expected, yours = (image.image for image in view.images)
    assert expected.shape == (10, 1) and yours.shape == (1, 1)
    assert np.isfinite(expected).all() and np.isfinite(yours).all()
    low, high = view.images[0].getLevels()
    assert low == -high > -np.inf and high == pytest.approx(np.abs(expected).max())


def test_a_transposed_gradient_is_shown_in_both_shapes(qtbot, monkeypatch, window):
    view = check(qtbot, monkeypatch, window, FIXTURES / "student_shape.py")
    assert rows(window)["dW1"][1] == "✗ shape"
    assert [plot.titleLabel.text for plot in view.plots] == ["expected dW1 (10, 784)", "yours dW1 (784, 10)"]
    assert [image.image.shape for image in view.images] == [(10, 784), (784, 10)]


def test_an_exception_in_their_code_is_a_finding_not_a_crash(qtbot, monkeypatch, window):
    check(qtbot, monkeypatch, window, FIXTURES / "student_raises.py")
    table = rows(window)
    assert table["dW2"][1] == "! raised"
    assert "AttributeError" in table["dW2"][4] and "line 35" in table["dW2"][4]
    assert table["db2"][1] == "— not run"
    assert "AttributeError" in window.findChild(QLabel, "checkDetail").text()
    assert not window.findChild(QLabel, "messageBannerText").isVisible()


def test_a_missing_file_is_one_line_in_the_banner_and_the_previous_report_stays(qtbot, monkeypatch, window,
                                                                                   tmp_path):
    check(qtbot, monkeypatch, window, FIXTURES / "student_correct.py")
    before = rows(window)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *args, **kwargs: (str(tmp_path / "gone.py"), ""))
    window.findChild(QAction, "checkCode").trigger()
    banner = window.findChild(QLabel, "messageBannerText")
    qtbot.waitUntil(banner.isVisible, timeout=TIMEOUT)
    assert "gone.py" in banner.text() and "\n" not in banner.text()
    assert rows(window) == before
    assert "Every phase matches" in window.findChild(QLabel, "checkHeadline").text()


def test_closing_the_window_during_a_check_ends_their_process_and_the_thread(qtbot, monkeypatch, make_window):
    window = make_window()
    monkeypatch.setattr(QFileDialog, "getOpenFileName",
                        lambda *args, **kwargs: (str(FIXTURES / "student_slow.py"), ""))
    window.findChild(QAction, "checkCode").trigger()
    view = window.check_code
    assert view.running
    # Wait until their code runs (the reference is made first, then the process starts).
    qtbot.waitUntil(lambda: bool(multiprocessing.active_children()), timeout=TIMEOUT)
    window.close()
    assert not view.running and view.report is None
    assert not multiprocessing.active_children()
