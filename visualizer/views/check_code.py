"""Check my code: a learner's notebook functions compared with ours, phase by phase (core.check).

Each check is a Job (visualizer/jobs.py) running core.check's CheckRun (their code runs in a process group of its
own, in a box, with a time limit); the panel shows one row per phase and helper (verdict, shapes, largest
difference, the mistake it looks like), what to look at (their line beside the reference's), both arrays of the
chosen differing phase as signed heat maps, the whole report as `python -m core check` prints it, and what their
code printed. "Check again when the file changes" (off by default) re-runs the check when the file is saved.
"""
from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from html import escape

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import QFileSystemWatcher, Qt, QTimer, pyqtSignal
from PyQt6.QtGui import QColor, QFontDatabase
from PyQt6.QtWidgets import (QAbstractButton, QAbstractItemView, QHeaderView, QLabel, QPlainTextEdit,
                             QTableWidget, QTableWidgetItem, QToolButton, QVBoxLayout, QWidget)

from core import check
from core.check import CheckCancelled, CheckError, CheckReport, CheckRun, Finding
from core.numbers import short_number

from visualizer import theme
from visualizer.jobs import Job
from visualizer.snapshot import Snapshot
from visualizer.views.confirm_bar import described, scrolling
from visualizer.views.curves import style_plot

TIME_LIMIT = check.DEFAULT_TIMEOUT      # seconds each of their functions may run
FILE_FILTER = "Notebooks and Python files (*.ipynb *.py);;All files (*)"
RECHECK_DELAY_MS = 300      # an editor saves in several writes: check once they are done
COLUMNS = ("phase", "verdict", "shapes", "max |diff|", "looks like / why")
# verdict -> (mark, text, the name of its colour in visualizer.theme: looked up when drawn, so it follows a theme)
VERDICTS = {
    "match": ("✓", "ok", "CORRECT"),
    "differs": ("✗", "differs", "WRONG"),
    "shape": ("✗", "shape", "WRONG"),
    "raised": ("!", "raised", "WRONG"),
    "timeout": ("◷", "too slow", "WRONG"),
    "missing": ("?", "missing", "WRONG"),
    "signature": ("✗", "signature", "WRONG"),
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


SMALL_ARRAY = 16        # an array of at most this many values has its numbers written on its heat map


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


def one_line(text: str) -> str:
    return " ".join(str(text).split())


class CheckWork:
    """The work of one check's Job: a CheckRun of the file. cancel(), from the UI thread, ends the check's processes
    at once; the work then returns None. A file that cannot be checked is a CheckFailure, not an exception, so its
    message reaches the banner as the checker wrote it."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._run: CheckRun | None = None
        self._cancelled = False

    def __call__(self, context: object) -> CheckReport | CheckFailure | None:
        try:
            with self._lock:
                if self._cancelled:
                    return None
                self._run = CheckRun(self.path, TIME_LIMIT, shared_reference())
            return self._run.run()
        except CheckCancelled:
            return None
        except CheckError as error:
            return CheckFailure(one_line(error))

    def cancel(self) -> None:
        with self._lock:
            self._cancelled = True
            if self._run is not None:
                self._run.cancel()


@dataclass(frozen=True)
class CheckFailure:
    message: str        # one line for the banner


class CheckCodeView(QWidget):
    """The verdict on each phase of a learner's file, what to look at, and the first differing arrays."""

    failed = pyqtSignal(str)        # a one-line message for the window's banner

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        described(self, "checkCodeView", "Check my code",
                  "Your notebook's functions run on our data and weights, compared with ours phase by phase")
        self.report: CheckReport | None = None
        self.shown_finding: Finding | None = None
        self.path: str | None = None            # the file checked last (or being checked)
        self.job: Job | None = None             # the check running, if any
        self._work: CheckWork | None = None
        self._next_path: str | None = None
        self._previous_headline = ""
        self._point_size = float(theme.BASE_POINT_SIZE)

        self.watcher = QFileSystemWatcher(self)
        self.watcher.fileChanged.connect(self._file_changed)
        self.recheck_timer = QTimer(self)
        self.recheck_timer.setSingleShot(True)
        self.recheck_timer.setInterval(RECHECK_DELAY_MS)
        self.recheck_timer.timeout.connect(self._recheck)

        self.headline = self._label("checkHeadline", "The verdict on the whole file",
                                    "Open a notebook (.ipynb) or .py file with init_params, forward_prop, "
                                    "backward_prop and update_params (Ctrl+K).")
        self.watch_toggle = QToolButton()
        self.watch_toggle.setObjectName("checkWatchToggle")
        self.watch_toggle.setCheckable(True)
        self.watch_toggle.setText("Check again when the file changes")
        self.watch_toggle.setToolTip("Each time you save the file, check it again (off until you switch it on)")
        self.watch_toggle.setAccessibleName("Check again when the file changes")
        self.watch_toggle.toggled.connect(self._watch)

        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("checkFindingsTable")
        self.table.setAccessibleName("Verdict per phase")
        self.table.setToolTip("One row per phase and helper; click a differing row to see both arrays")
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setCornerButtonEnabled(False)         # one row at a time: there is no "select all"
        corner = self.table.findChild(QAbstractButton)    # named by Qt only from 6.11
        corner.setAccessibleName("Table corner")
        corner.setToolTip("One row at a time: click a row to see its arrays")
        self.table.setWordWrap(False)       # one line per phase; the whole text is in the tooltip and below
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        header = self.table.horizontalHeader()
        for column in range(len(COLUMNS) - 1):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(len(COLUMNS) - 1, QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._selected)
        self.table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

        self.advice = self._label("checkAdvice", "What to look at: your line beside the reference's")
        self.detail = self._label("checkDetail", "The chosen phase's difference")

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
            plot.setMouseEnabled(x=False, y=False)      # the wheel scrolls the panel, not the map
            image = pg.ImageItem(axisOrder="row-major")
            plot.addItem(image)
            self.plots.append(plot)
            self.images.append(image)
        self.scales = [self.graphics.addLabel("", row=1, col=column) for column in range(2)]
        # A tiny array (a scalar db2, a bias) also has its numbers written in its cells: a sum of round-off is a
        # white cell on white paper, which read as an empty chart.
        self.cell_texts: list[list[pg.TextItem]] = [[], []]

        self.report_toggle, self.report_text = self._fold(
            "checkReportToggle", "checkReport", "The whole report, as python -m core check prints it")
        self.output_toggle, self.output = self._fold("checkOutputToggle", "checkOutput",
                                                     "What your code printed (stdout and stderr)")
        self.output.setMaximumHeight(140)
        self.report_text.setMinimumHeight(320)      # the report reads as a page, not through a slit

        content = QWidget()
        layout = QVBoxLayout(content)
        layout.setContentsMargins(6, 6, 6, 6)
        for widget in (self.headline, self.watch_toggle, self.table, self.advice, self.detail):
            layout.addWidget(widget)
        layout.addWidget(self.graphics, 1)
        for widget in (self.report_toggle, self.report_text, self.output_toggle, self.output):
            layout.addWidget(widget)
        layout.addStretch(0)            # without heat maps, the space is left below, not between the parts
        # On a short screen the panel scrolls as a whole; the table never scrolls inside it.
        scrolling(self, content)
        self.table.hide()               # until there is a report
        self.advice.hide()
        self._style()
        self._show_text(self.report_toggle, self.report_text, "", "The whole report", "No report yet")
        self._show_output("")
        self._show_arrays(None)

    def _label(self, name: str, accessible: str, text: str = "") -> QLabel:
        label = QLabel(text)
        described(label, name, accessible, accessible)
        label.setWordWrap(True)
        label.setTextFormat(Qt.TextFormat.RichText)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        return label

    def _fold(self, toggle_name: str, text_name: str, what: str) -> tuple[QToolButton, QPlainTextEdit]:
        """A text that shows and hides under a small arrow button (hidden at first)."""
        toggle = QToolButton()
        toggle.setObjectName(toggle_name)
        toggle.setCheckable(True)
        toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        toggle.setArrowType(Qt.ArrowType.RightArrow)
        toggle.setAutoRaise(True)
        toggle.setToolTip(f"Show or hide {what[:1].lower()}{what[1:]}")
        toggle.setAccessibleName(what)
        text = QPlainTextEdit()
        text.setObjectName(text_name)
        text.setReadOnly(True)
        text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        text.setAccessibleName(what)
        text.setToolTip(what)
        text.hide()

        def show(on: bool) -> None:
            toggle.setArrowType(Qt.ArrowType.DownArrow if on else Qt.ArrowType.RightArrow)
            text.setVisible(on)
        toggle.toggled.connect(show)
        return toggle, text

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
        for widget in (self.headline, self.table, self.advice, self.detail, self.output_toggle, self.report_toggle,
                       self.watch_toggle):
            widget.setFont(theme.font(size))
        fixed = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        fixed.setPointSizeF(size * 0.9)
        for widget in (self.output, self.report_text):
            widget.setFont(fixed)
        for label in (self.headline, self.advice, self.detail):
            label.setStyleSheet(f"color: {theme.INK};")
        self.graphics.setToolTip(f"{theme.SIGNED_LEGEND[:1].upper()}{theme.SIGNED_LEGEND[1:]}; "
                                 f"each map scaled to its own ±max")
        for plot in self.plots:
            style_plot(plot, size)
        if self.shown_finding is not None:
            self._show_arrays(self.shown_finding)

    # ------------------------------------------------------------ running
    @property
    def running(self) -> bool:
        return self.job is not None

    def check(self, path: str) -> None:
        """Check the file in the background; the previous report stays until the new one arrives. A check that
        is still running is cancelled: the newest file (or the newest save of it) is the one that counts."""
        self.path = path
        if self.watch_toggle.isChecked():
            self._watch(True)
        self._previous_headline = self.headline.text() if not self.running else self._previous_headline
        self.headline.setText(f"Checking <b>{escape(path)}</b>… (your functions run in a process of their own, "
                              f"at most {TIME_LIMIT:g} s each)")
        if self.running:
            self._next_path = path
            self._work.cancel()
            return
        self._start(path)

    def _start(self, path: str) -> None:
        self._work = CheckWork(path)
        self.job = Job(self._work, f"checking {path}", self)
        self.job.done.connect(self._finished)
        self.job.failed.connect(self._failed)
        self.job.finished.connect(self._ended)
        self.job.start()

    def shutdown(self) -> None:
        """End a running check (its processes are killed at once) and its thread."""
        self._next_path = None
        self.recheck_timer.stop()
        job, work, self.job, self._work = self.job, self._work, None, None
        if job is not None:
            job.finished.disconnect(self._ended)
            work.cancel()
            job.shutdown()

    def _ended(self) -> None:
        """The check's thread has ended (after its report, if any): start the check waiting, if there is one."""
        self.job.deleteLater()
        self.job = self._work = None
        if self._next_path is not None:
            path, self._next_path = self._next_path, None
            self._start(path)
        elif self.headline.text().startswith("Checking"):
            self.headline.setText(self._previous_headline)      # cancelled, or failed: the old headline

    def _failed(self, message: str) -> None:
        if self._next_path is None:
            self.failed.emit(message)

    def _finished(self, result: CheckReport | CheckFailure | None) -> None:
        if self._next_path is not None or result is None:
            return          # a newer check is on its way: this report is of an older file or save
        if isinstance(result, CheckFailure):
            self.failed.emit(result.message)
            return
        self.report = result
        self._show_report(result)

    # ------------------------------------------------------------ watching the file
    def _watch(self, on: bool) -> None:
        if self.watcher.files():
            self.watcher.removePaths(self.watcher.files())
        if on and self.path and os.path.isfile(self.path):
            self.watcher.addPath(self.path)

    def _file_changed(self, path: str) -> None:
        if self.watch_toggle.isChecked() and path == self.path:
            self.recheck_timer.start()

    def _recheck(self) -> None:
        # Editors often save by replacing the file, which drops it from the watcher: watch the new one.
        if self.path and os.path.isfile(self.path) and self.watch_toggle.isChecked():
            self.check(self.path)

    # ------------------------------------------------------------ showing
    def _show_report(self, report: CheckReport) -> None:
        name = escape(report.path)
        if report.all_match:
            verdict = f"<b style='color:{theme.CORRECT}'>✓ Every phase matches the reference.</b>"
        else:
            verdict = f"<b style='color:{theme.WRONG}'>✗ {escape(report.summary())}</b>"
        self.headline.setText(f"{verdict}<br><span style='color:{theme.MUTED}'>{name}</span>")
        self.table.setRowCount(len(report.findings))
        self.table.show()
        for row, finding in enumerate(report.findings):
            self._show_row(row, finding)
        self.table.resizeRowsToContents()
        self._fit_table()
        items = "".join(f"<li>{self._code_html(item)}</li>" for item in report.advice)
        self.advice.setText(f"<b>What to look at</b><ul style='margin-left: 12px'>{items}</ul>" if items else "")
        self.advice.setVisible(bool(items))
        self._show_text(self.report_toggle, self.report_text, report.text(), "The whole report", "No report yet")
        self._show_output(report.their_output, report.printed_text())
        first = report.first_difference
        if first is not None:
            self.table.selectRow(report.findings.index(first))
        else:
            self.table.clearSelection()
            self._show_arrays(None)

    @staticmethod
    def _code_html(item: str) -> str:
        """An advice item: its first line as text, the lines under it (yours / reference) in fixed width."""
        first, *rest = item.split("\n")
        lines = "".join(f"<br><code>{escape(line.strip())}</code>" if line.strip().startswith(("yours:", "reference:"))
                        else f"<br>{escape(line.strip())}" for line in rest)
        return escape(first) + lines

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

    @staticmethod
    def _show_text(toggle: QToolButton, box: QPlainTextEdit, text: str, title: str, empty: str) -> None:
        box.setPlainText(text.rstrip())
        toggle.setText(title if text.strip() else empty)
        toggle.setEnabled(bool(text.strip()))
        if not text.strip():
            toggle.setChecked(False)

    def _show_output(self, output: str, printed: str = "") -> None:
        lines = output.rstrip().splitlines()
        title = f"What your code printed ({printed.removeprefix('your code printed ')})" if printed else \
            f"What your code printed ({len(lines)} line{'s' if len(lines) != 1 else ''})"
        self._show_text(self.output_toggle, self.output, output, title, "Your code printed nothing")

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
        if finding.line_differs:
            text += (f"<br>yours ({escape(finding.place or '')}): <code>{escape(finding.their_code)}</code>"
                     f"<br>reference: <code>{escape(finding.reference_code or '')}</code>")
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
            image.setBorder(pg.mkPen(theme.MUTED, width=1))
            self._write_cells(index, values)
        self.graphics.show()

    def _write_cells(self, index: int, values: np.ndarray) -> None:
        """The numbers of an array of at most SMALL_ARRAY values, in their cells; none for a larger one."""
        plot, texts = self.plots[index], self.cell_texts[index]
        for text in texts:
            plot.removeItem(text)
        texts.clear()
        if values.size > SMALL_ARRAY:
            return
        for (row, column), value in np.ndenumerate(values):
            text = pg.TextItem(short_number(value), color=theme.INK, anchor=(0.5, 0.5))
            text.setFont(theme.font(self._point_size * (1.4 if values.size == 1 else 1.0), bold=True))
            text.setPos(column + 0.5, row + 0.5)
            plot.addItem(text)
            texts.append(text)
