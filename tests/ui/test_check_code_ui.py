"""Check my code in the real window: a learner's file checked phase by phase, shown as a table, advice, heat maps
and the same report as the command line; checked again when saved if asked; their processes end with the window."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PyQt6.QtCore import QThread
from PyQt6.QtGui import QAction, QFontDatabase
from PyQt6.QtWidgets import QDockWidget, QFileDialog, QLabel, QTableWidget

from core.check import REPORT_ORDER
from fixtures import students
from fixtures.processes import gone, wait_until

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
TIMEOUT = 90_000        # their code runs in a process group of its own (a notebook takes a few seconds)
HELPERS = ["ReLU", "ReLU_deriv", "softmax", "one_hot"]


def check(qtbot, monkeypatch, window, path: Path | str):
    asked = []

    def answer(*args, **kwargs):
        asked.append(args)
        return str(path), ""
    monkeypatch.setattr(QFileDialog, "getOpenFileName", answer)
    view = window.check_code
    before = view.report
    window.findChild(QAction, "checkCode").trigger()
    assert window.findChild(QDockWidget, "checkCodePanel").isVisible()
    assert "*.ipynb" in asked[0][-1] and "*.py" in asked[0][-1]
    qtbot.waitUntil(lambda: not view.running and view.report is not before, timeout=TIMEOUT)
    return view


def rows(window) -> dict[str, list[str]]:
    table = window.findChild(QTableWidget, "checkFindingsTable")
    return {table.item(row, 0).text(): [table.item(row, column).text() for column in range(table.columnCount())]
            for row in range(table.rowCount())}


def test_the_action_has_its_shortcut(window):
    action = window.findChild(QAction, "checkCode")
    assert action.shortcut().toString() == "Ctrl+K" and action.toolTip()
    assert not window.findChild(QDockWidget, "checkCodePanel").isVisible()
    assert not window.check_code.watch_toggle.isChecked()


def test_correct_code_is_ok_in_every_phase(qtbot, monkeypatch, window, tmp_path):
    view = check(qtbot, monkeypatch, window, students.write("correct", tmp_path))
    table = rows(window)
    assert list(table) == [*REPORT_ORDER, *HELPERS]
    assert {cells[1] for cells in table.values()} == {"✓ ok"}
    assert table["Z1"][2] == "(10, 500)"
    assert "Every phase matches" in window.findChild(QLabel, "checkHeadline").text()
    assert view.graphics.isHidden() and view.advice.isHidden()
    # The same report as the command line prints, in the system's fixed-width font.
    assert view.report_text.toPlainText() == view.report.text()
    fixed = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
    assert view.report_text.font().family() == fixed.family() == view.output.font().family()


def test_the_published_notebook_is_checked_and_its_bugs_shown(qtbot, monkeypatch, window):
    view = check(qtbot, monkeypatch, window, FIXTURES / "simple_mnist_nn.ipynb")
    table = rows(window)
    assert table["db2"][1] == "✗ shape" and table["db1"][1] == "✗ shape"
    assert table["db2"][2] == "(10, 1) · ()"
    assert "np.sum(dZ2) without axis=1" in table["db2"][4]
    assert table["dW2"][1] == "✗ differs" and "global m" in table["dW2"][4]
    assert table["get_accuracy"][1] == "✓ ok"
    advice = window.findChild(QLabel, "checkAdvice").text()
    assert "uses the global m (your notebook&#x27;s code cell 2, line 2: m, n = data.shape)" in advice
    # The first difference is chosen and drawn: ours (10, 1) beside theirs, a single number.
    detail = window.findChild(QLabel, "checkDetail").text()
    assert "dW2" in detail and "dZ2.dot(A1.T)" not in detail     # dW2's line is the reference's: no side by side
    view.table.selectRow(list(table).index("db2"))
    detail = window.findChild(QLabel, "checkDetail").text()
    assert "yours (code cell 4, line 35): <code>db2 = 1 / m * np.sum(dZ2)</code>" in detail
    assert not view.graphics.isHidden()
    assert [plot.titleLabel.text for plot in view.plots] == ["expected db2 (10, 1)", "yours db2 ()"]
    expected, yours = (image.image for image in view.images)
    assert expected.shape == (10, 1) and yours.shape == (1, 1)
    assert np.isfinite(expected).all() and np.isfinite(yours).all()
    low, high = view.images[0].getLevels()
    assert low == -high > -np.inf and high == pytest.approx(np.abs(expected).max())
    # Their scalar is a sum of round-off: a white cell on white paper read as an empty chart. It is drawn
    # framed, with its number (short_number writes round-off as 0).
    assert [text.textItem.toPlainText() for text in view.cell_texts[1]] == ["0"]
    assert view.images[1].border is not None and view.cell_texts[1][0].isVisible()
    assert view.cell_texts[0] == [] or len(view.cell_texts[0]) == 10


def test_a_transposed_gradient_is_shown_in_both_shapes(qtbot, monkeypatch, window, tmp_path):
    view = check(qtbot, monkeypatch, window, students.write("shape", tmp_path))
    assert rows(window)["dW1"][1] == "✗ shape"
    assert [plot.titleLabel.text for plot in view.plots] == ["expected dW1 (10, 784)", "yours dW1 (784, 10)"]
    assert [image.image.shape for image in view.images] == [(10, 784), (784, 10)]


def test_an_exception_in_their_code_is_a_finding_not_a_crash(qtbot, monkeypatch, window, tmp_path):
    check(qtbot, monkeypatch, window, students.write("raises", tmp_path))
    table = rows(window)
    line = students.line_of(students.text("raises"), "one_hot_Y = np.zeros")
    assert table["dW2"][1] == "! raised"
    assert "AttributeError" in table["dW2"][4] and f"line {line}" in table["dW2"][4]
    assert table["db2"][1] == "— not run"
    assert "AttributeError" in window.findChild(QLabel, "checkDetail").text()
    assert not window.findChild(QLabel, "messageBannerText").isVisible()


def test_their_code_killing_its_parent_leaves_the_window_alone(qtbot, monkeypatch, window, tmp_path):
    check(qtbot, monkeypatch, window, students.write("kills_parent", tmp_path))
    assert rows(window)["new W1"][1] == "! raised", window.check_code.report.text()
    assert window.isVisible() and window.bridge.thread.isRunning()


def test_a_missing_file_is_one_line_in_the_banner_and_the_previous_report_stays(qtbot, monkeypatch, window,
                                                                                   tmp_path):
    check(qtbot, monkeypatch, window, students.write("correct", tmp_path))
    before = rows(window)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *args, **kwargs: (str(tmp_path / "gone.py"), ""))
    window.findChild(QAction, "checkCode").trigger()
    banner = window.findChild(QLabel, "messageBannerText")
    qtbot.waitUntil(banner.isVisible, timeout=TIMEOUT)
    assert "gone.py" in banner.text() and "\n" not in banner.text()
    assert rows(window) == before
    assert "Every phase matches" in window.findChild(QLabel, "checkHeadline").text()


def test_the_file_is_checked_again_when_saved_only_when_asked(qtbot, monkeypatch, window, tmp_path):
    path = students.write("correct", tmp_path)
    view = check(qtbot, monkeypatch, window, path)
    assert view.watcher.files() == []               # off by default: nothing is watched
    view.watch_toggle.setChecked(True)
    assert view.watcher.files() == [str(path)]
    first = view.report
    path.write_text(students.text("missing_m"))
    qtbot.waitUntil(lambda: view.report is not first and not view.running, timeout=TIMEOUT)
    assert rows(window)["dW2"][1] == "✗ differs"
    view.watch_toggle.setChecked(False)
    assert view.watcher.files() == []


def test_closing_the_window_during_a_check_ends_their_processes_and_the_thread(qtbot, monkeypatch, make_window,
                                                                               tmp_path):
    window = make_window()
    started = tmp_path / "started.txt"
    path = tmp_path / "slow.py"
    path.write_text(students.text("slow") + f"\nimport os\nopen({str(started)!r}, 'w').write(str(os.getpid()))\n")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *args, **kwargs: (str(path), ""))
    window.findChild(QAction, "checkCode").trigger()
    view = window.check_code
    assert view.running
    qtbot.waitUntil(lambda: started.exists() and started.read_text() != "", timeout=TIMEOUT)
    pid = int(started.read_text())
    window.close()
    assert not view.running and view.report is None
    assert not any(thread.isRunning() for thread in view.findChildren(QThread))    # its job's thread has ended
    assert wait_until(lambda: gone(pid))
