"""Check my code: a student's notebook functions compared with ours, phase by phase (core.check).

check_file runs their code in a process of its own with a time limit; the panel calls it from a CheckRun
thread and shows one row per phase (verdict, shapes, largest difference, the classic bug it looks like),
both arrays of the chosen differing phase as signed heat maps, and what their code printed.
"""
from __future__ import annotations

import multiprocessing
import threading
from html import escape

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import Qt, QThread, pyqtSignal
from PyQt6.QtGui import QColor
from PyQt6.QtWidgets import (QAbstractItemView, QHeaderView, QLabel, QPlainTextEdit,
                             QTableWidget, QTableWidgetItem, QToolButton, QVBoxLayout, QWidget)

from core import check
from core.check import CheckFileError, CheckReport, Finding, check_file

from visualizer import theme
from visualizer.snapshot import Snapshot
from visualizer.views.confirm_bar import scrolling
from visualizer.views.curves import style_plot

TIME_LIMIT = 20.0           # seconds their functions may run, together
COLUMNS = ("phase", "verdict", "shapes", "max |diff|", "looks like / why")
# verdict -> (mark, text, the name of its colour in visualizer.theme: looked up when drawn, so it follows a theme)
VERDICTS = {
    "match": ("✓", "ok", "CORRECT"),
    "differs": ("✗", "differs", "WRONG"),
    "shape": ("✗", "shape", "WRONG"),
    "raised": ("!", "raised", "WRONG"),
    "timeout": ("⏱", "too slow", "WRONG"),
    "missing": ("?", "missing", "WRONG"),
    "skipped": ("—", "not run", "MUTED"),
}

_reference: check.Reference | None = None
_reference_lock = threading.Lock()


def shared_reference() -> check.Reference:
    """The reference arrays, made once per process (they do not depend on the file checked)."""
    global _reference
    with _reference_lock:
        if _reference is None:
            _reference = check.make_reference()
        return _reference


def shape_text(shape: tuple[int, ...] | None) -> str:
    return "?" if shape is None else "(" + ", ".join(str(n) for n in shape) + ")"


def as_image(array: np.ndarray) -> np.ndarray:
    """A 2-D float array pyqtgraph can draw: a scalar is 1×1, a vector a column, NaN and ±inf become 0."""
    values = np.asarray(array, dtype=np.float64)
    if values.ndim == 0:
        values = values.reshape(1, 1)
    elif values.ndim == 1:
        values = values.reshape(-1, 1)
    elif values.ndim > 2:
        values = values.reshape(values.shape[0], -1)
    return np.where(np.isfinite(values), values, 0.0)


class CheckRun(QThread):
    """One check_file call in its own thread; `done` carries the CheckReport, `failed` a one-line message."""

    done = pyqtSignal(object)
    failed = pyqtSignal(str)

    def __init__(self, path: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("checkCodeRun")
        self.path = path
        self.children_before: set[multiprocessing.process.BaseProcess] = set(_children())

    def run(self) -> None:
        try:
            report = check_file(self.path, timeout=TIME_LIMIT, reference=shared_reference())
        except CheckFileError as error:
            self.failed.emit(" ".join(str(error).split()))
            return
        except Exception as error:          # a defect, but the window must survive it
            self.failed.emit(f"checking {self.path} failed: {' '.join(str(error).split()) or type(error).__name__}")
            return
        if not self.isInterruptionRequested():
            self.done.emit(report)

    def stop(self) -> None:
        """End the check early: kill the process running their code (check_file then returns at once), wait."""
        self.requestInterruption()
        # check_file cannot be cancelled; the process it started is the child that appeared after the check
        # began (the window starts no other processes), and killing it makes check_file return at once.
        for process in set(_children()) - self.children_before:
            process.kill()
        self.wait()


def _children() -> list[multiprocessing.process.BaseProcess]:
    for _ in range(5):
        try:
            return multiprocessing.active_children()
        except RuntimeError:    # the check's thread started a process while the set was being read: again
            continue
    return []


class CheckCodeView(QWidget):
    """The verdict on each phase of a student's file, and the first differing arrays side by side."""

    failed = pyqtSignal(str)        # a one-line message for the window's banner

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("checkCodeView")
        self.setAccessibleName("Check my code")
        self.setToolTip("Your notebook functions run on our data and weights, compared with ours phase by phase")
        self.run_thread: CheckRun | None = None
        self.report: CheckReport | None = None
        self.shown_finding: Finding | None = None
        self._point_size = float(theme.BASE_POINT_SIZE)

        self.headline = QLabel("Open a .py file with init_params, forward_prop, backward_prop and update_params "
                               "(Ctrl+K).")
        self.headline.setObjectName("checkHeadline")
        self.headline.setAccessibleName("The verdict on the whole file")
        self.headline.setToolTip("The file checked and the verdict on it")
        self.headline.setWordWrap(True)
        self.headline.setTextFormat(Qt.TextFormat.RichText)
        self.headline.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("checkFindingsTable")
        self.table.setAccessibleName("Verdict per phase")
        self.table.setToolTip("One row per phase; click a differing row to see both arrays")
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setWordWrap(False)       # one line per phase; the whole text is in the tooltip and below
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        header = self.table.horizontalHeader()
        for column in range(len(COLUMNS) - 1):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(len(COLUMNS) - 1, QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._selected)
        self.table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

        self.detail = QLabel()
        self.detail.setObjectName("checkDetail")
        self.detail.setAccessibleName("The chosen phase's difference")
        self.detail.setToolTip("The phase shown in the heat maps and how it differs")
        self.detail.setWordWrap(True)
        self.detail.setTextFormat(Qt.TextFormat.RichText)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setObjectName("checkHeatMaps")
        self.graphics.setBackground(theme.PAPER)
        self.graphics.setAccessibleName("Expected and your array as heat maps")
        self.graphics.setMinimumHeight(220)
        self.plots: list[pg.PlotItem] = []
        self.images: list[pg.ImageItem] = []
        for column in range(2):
            plot = self.graphics.addPlot(row=0, col=column, enableMenu=False)
            plot.invertY(True)          # row 0 at the top, as the matrix is written
            image = pg.ImageItem(axisOrder="row-major")
            plot.addItem(image)
            self.plots.append(plot)
            self.images.append(image)
        self.scales = [self.graphics.addLabel("", row=1, col=column) for column in range(2)]

        self.output_toggle = QToolButton()
        self.output_toggle.setObjectName("checkOutputToggle")
        self.output_toggle.setCheckable(True)
        self.output_toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.output_toggle.setArrowType(Qt.ArrowType.RightArrow)
        self.output_toggle.setAutoRaise(True)
        self.output_toggle.setToolTip("Show or hide what your code printed")
        self.output_toggle.setAccessibleName("What your code printed")
        self.output_toggle.toggled.connect(self._toggle_output)
        self.output = QPlainTextEdit()
        self.output.setObjectName("checkOutput")
        self.output.setReadOnly(True)
        self.output.setAccessibleName("What your code printed")
        self.output.setToolTip("The last lines your code printed (stdout and stderr)")
        self.output.setMaximumHeight(140)
        self.output.hide()

        content = QWidget()
        layout = QVBoxLayout(content)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.headline)
        layout.addWidget(self.table)
        layout.addWidget(self.detail)
        layout.addWidget(self.graphics, 1)
        layout.addWidget(self.output_toggle)
        layout.addWidget(self.output)
        layout.addStretch(0)            # without heat maps, the space is left below, not between the parts
        # On a short screen the panel scrolls as a whole; the table never scrolls inside it.
        scrolling(self, content)
        self.table.hide()               # until there is a report
        self._style()
        self._show_output("")
        self._show_arrays(None)

    # ------------------------------------------------------------ the view contract
    def show_snapshot(self, snapshot: Snapshot) -> None:
        """The check does not depend on the run on screen."""

    def set_presenter_mode(self, on: bool) -> None:
        self._point_size = float(theme.PRESENTER_POINT_SIZE if on else theme.BASE_POINT_SIZE)
        self._style()
        if self.report is not None:
            self._show_report(self.report)

    def set_theme(self) -> None:
        """Restyle, and draw the last report again in the new colours, on the same row."""
        shown = self.shown_finding
        self._style()
        if self.report is not None and not self.running:     # while checking, the headline says so: keep it
            self._show_report(self.report)
            if shown is not None and shown in self.report.findings:
                self.table.selectRow(self.report.findings.index(shown))

    def _style(self) -> None:
        size = self._point_size
        for widget in (self.headline, self.table, self.detail, self.output_toggle):
            widget.setFont(theme.font(size))
        self.output.setFont(theme.font(size * 0.9))
        self.output.setStyleSheet("font-family: monospace;")
        self.headline.setStyleSheet(f"color: {theme.INK};")
        self.detail.setStyleSheet(f"color: {theme.INK};")
        self.graphics.setToolTip(f"{theme.SIGNED_LEGEND[:1].upper()}{theme.SIGNED_LEGEND[1:]}; "
                                 f"each map scaled to its own ±max")
        for plot in self.plots:
            style_plot(plot, size)
        if self.shown_finding is not None:
            self._show_arrays(self.shown_finding)

    # ------------------------------------------------------------ running
    @property
    def running(self) -> bool:
        return self.run_thread is not None and self.run_thread.isRunning()

    def check(self, path: str) -> None:
        """Check the file in the background; the previous report stays until the new one arrives."""
        if self.running:
            self.failed.emit("a check is still running: wait for its verdict")
            return
        if self.run_thread is not None:
            self.run_thread.deleteLater()       # finished: each check has a thread of its own
        self.run_thread = CheckRun(path, self)
        self.run_thread.done.connect(self._finished)
        self.run_thread.failed.connect(self._failed)
        self._previous_headline = self.headline.text()
        self.headline.setText(f"Checking <b>{escape(path)}</b>… (your functions run in a process of their own, "
                              f"at most {TIME_LIMIT:g} s)")
        self.run_thread.start()

    def shutdown(self) -> None:
        if self.run_thread is not None:
            self.run_thread.stop()

    def _failed(self, message: str) -> None:
        self.headline.setText(self._previous_headline)
        self.failed.emit(message)

    def _finished(self, report: CheckReport) -> None:
        self.report = report
        self._show_report(report)

    # ------------------------------------------------------------ showing
    def _show_report(self, report: CheckReport) -> None:
        name = escape(report.path)
        if report.all_match:
            verdict = f"<b style='color:{theme.CORRECT}'>✓ Every phase matches the reference.</b>"
        else:
            differing = [f.phase for f in report.findings if f.verdict not in ("match", "skipped")]
            verdict = (f"<b style='color:{theme.WRONG}'>✗ {len(differing)} of {len(report.findings)} checks "
                       f"differ:</b> {escape(', '.join(differing))}")
        self.headline.setText(f"{verdict}<br><span style='color:{theme.MUTED}'>{name}</span>")
        self.table.setRowCount(len(report.findings))
        self.table.show()
        for row, finding in enumerate(report.findings):
            self._show_row(row, finding)
        self.table.resizeRowsToContents()
        self._fit_table()
        self._show_output(report.their_output)
        first = report.first_difference
        if first is not None:
            self.table.selectRow(report.findings.index(first))
        else:
            self.table.clearSelection()
            self._show_arrays(None)

    def _fit_table(self) -> None:
        rows = sum(self.table.rowHeight(row) for row in range(self.table.rowCount()))
        height = self.table.horizontalHeader().height() + rows + 2 * self.table.frameWidth()
        if self.table.horizontalScrollBar().isVisible():
            height += self.table.horizontalScrollBar().height()
        self.table.setFixedHeight(height)

    def _show_row(self, row: int, finding: Finding) -> None:
        mark, text, colour_name = VERDICTS.get(finding.verdict, ("?", finding.verdict, "WRONG"))
        colour = getattr(theme, colour_name)
        if finding.expected_shape is None:
            shapes = ""
        elif finding.their_shape is None or finding.their_shape == finding.expected_shape:
            shapes = shape_text(finding.expected_shape)
        else:
            shapes = f"{shape_text(finding.expected_shape)} · {shape_text(finding.their_shape)}"
        if finding.largest_difference is not None:
            largest = f"{finding.largest_difference:.3g}"
        else:
            largest = "—" if finding.verdict == "shape" else ""
        why = finding.looks_like or (finding.message if finding.verdict != "match" else "")
        cells = (finding.phase, f"{mark} {text}", shapes, largest, why)
        for column, value in enumerate(cells):
            item = QTableWidgetItem(value)
            item.setToolTip(finding.line_text())
            if column == 1:
                item.setForeground(QColor(colour))
                item.setFont(theme.font(self._point_size, bold=finding.verdict not in ("match", "skipped")))
                if finding.verdict not in ("match", "skipped"):
                    background = QColor(colour)
                    background.setAlpha(40)
                    item.setBackground(background)
            elif finding.verdict == "skipped":
                item.setForeground(QColor(theme.MUTED))
            self.table.setItem(row, column, item)

    def _show_output(self, output: str) -> None:
        lines = output.rstrip().splitlines()
        self.output.setPlainText(output.rstrip())
        self.output_toggle.setText(f"What your code printed ({len(lines)} line{'s' if len(lines) != 1 else ''})"
                                   if lines else "Your code printed nothing")
        self.output_toggle.setEnabled(bool(lines))
        if not lines:
            self.output_toggle.setChecked(False)

    def _toggle_output(self, on: bool) -> None:
        self.output_toggle.setArrowType(Qt.ArrowType.DownArrow if on else Qt.ArrowType.RightArrow)
        self.output.setVisible(on)

    def _selected(self) -> None:
        rows = self.table.selectionModel().selectedRows() if self.report is not None else []
        if rows:
            self._show_arrays(self.report.findings[rows[0].row()])

    def _show_arrays(self, finding: Finding | None) -> None:
        self.shown_finding = finding
        if finding is None or finding.verdict == "match":
            self.detail.setText("" if finding is None else f"<b>{escape(finding.phase)}</b>: yours matches ours.")
            self.graphics.hide()
            return
        text = f"<b>{escape(finding.phase)}</b>: {escape(finding.message)}"
        if finding.looks_like:
            text += f"<br><b>Looks like</b> {escape(finding.looks_like)}"
        self.detail.setText(text)
        arrays = (("expected", finding.expected, finding.expected_shape), ("yours", finding.theirs,
                                                                          finding.their_shape))
        if finding.expected is None or finding.theirs is None:
            self.graphics.hide()
            return
        size = self._point_size
        images = [as_image(array) for _, array, _ in arrays]
        tops = [float(np.abs(values).max()) if values.size else 0.0 for values in images]    # as_image: finite
        for index, (plot, image, scale, (who, _, shape), values) in enumerate(
                zip(self.plots, self.images, self.scales, arrays, images)):
            # Each map has its own ±max (a result m times too large would wash the other out), but never one
            # below a thousandth of the other's: a rounding-error 1e-17 must look like zero, not saturated.
            high = max(tops[index], 1e-3 * tops[1 - index], 1e-12)
            low = -high
            image.setLookupTable(theme.SIGNED_LUT)     # the current theme's
            image.setImage(values, autoLevels=False, levels=(low, high))
            image.setRect(0, 0, values.shape[1], values.shape[0])
            plot.setTitle(f"{who} {finding.phase} {shape_text(shape)}", size=f"{size * 1.1:g}pt", color=theme.INK)
            plot.setRange(xRange=(0, values.shape[1]), yRange=(0, values.shape[0]), padding=0.02)
            scale_text = f"largest |value| {tops[index]:.3g}" if tops[index] > 0 else "all zero"
            if high != tops[index]:
                scale_text += f" · colours ±{high:.3g}"
            scale.setText(scale_text, size=f"{size * 0.9:g}pt", color=theme.MUTED)
        self.graphics.show()
