"""Starting the app as users do: with and without a console, from a folder with a student's core.py, --version on
every command, Ctrl+C, and a screenshot run that diverges. Each runs the real `main()` in a fresh process
(offscreen), because main() leaves with os._exit."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from core import __version__

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 120
SCRIPTS = Path(sys.executable).parent


def run(arguments: list[str], cwd: Path = ROOT, **keywords) -> subprocess.CompletedProcess:
    return subprocess.run(arguments, capture_output=True, text=True, cwd=cwd, timeout=TIMEOUT,
                          env={**os.environ, "QT_QPA_PLATFORM": "offscreen", **keywords.pop("env", {})}, **keywords)


def python(code: str, *arguments: str, cwd: Path = ROOT, **keywords) -> subprocess.CompletedProcess:
    # The app's folder first on the path, as an installed app has it, whatever folder the process runs in.
    return run([sys.executable, "-c", f"import sys; sys.path.insert(0, {str(ROOT)!r})\n{code}", *arguments],
               cwd=cwd, **keywords)


# A launcher without a console (pythonw, Windows' gui-script): sys.stdout and sys.stderr are None.
WINDOWLESS = """
import sys
from PyQt6.QtWidgets import QMessageBox
report = sys.argv[1]
def critical(parent, title, text):
    open(report, "w").write(title + "|" + text)
QMessageBox.critical = staticmethod(critical)
sys.stdout = sys.stderr = None
from visualizer.__main__ import main
sys.exit(main(sys.argv[2:]))
"""


def test_without_a_console_the_app_starts_runs_and_exits_0(tmp_path, small_csv):
    shot = tmp_path / "shot.png"
    result = python(WINDOWLESS, str(tmp_path / "box.txt"), "--data", str(small_csv), "--dev-size", "50",
                    "--screenshot", str(shot), "--steps", "3")
    assert result.returncode == 0, result.stderr
    assert shot.stat().st_size > 10_000
    assert not (tmp_path / "box.txt").exists()


def test_without_a_console_an_error_at_start_shows_in_a_message_box(tmp_path):
    box = tmp_path / "box.txt"
    result = python(WINDOWLESS, str(box), "--data", str(tmp_path / "gone.csv"))
    assert result.returncode == 2
    title, text = box.read_text().split("|", 1)
    assert title == "Backprop Visualizer"
    assert text.startswith(f"backprop-visualizer: error: {tmp_path / 'gone.csv'}: no such file")


def test_with_a_console_an_error_at_start_is_one_line_on_stderr(tmp_path):
    result = python("from visualizer.__main__ import main; sys.exit(main(sys.argv[1:]))", "--hidden", "500")
    assert result.returncode == 2
    assert result.stderr.splitlines() == ["backprop-visualizer: error: --hidden must be from 1 to 128, not 500"]


@pytest.mark.parametrize("command", [
    ["-m", "visualizer"], ["-m", "core"], ["-m", "core", "train"], ["-m", "core", "check"]])
def test_every_command_answers_version(command):
    result = run([sys.executable, *command, "--version"])
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith(__version__)


def test_a_students_core_py_does_not_stand_in_for_the_app(tmp_path, small_csv):
    """`python -m visualizer` from a folder holding core.py: the app's own core is used (a console script is not
    exposed at all: it does not put the current folder on the path)."""
    (tmp_path / "core.py").write_text("raise SystemExit('the student core.py was imported')\n")
    shot = tmp_path / "shot.png"
    # PYTHONPATH stands for an installed app when the tests run in a checkout that is not installed.
    result = run([sys.executable, "-m", "visualizer", "--data", str(small_csv), "--dev-size", "50",
                  "--screenshot", str(shot), "--steps", "1"], cwd=tmp_path,
                 env={"PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))})
    assert result.returncode == 0, result.stderr
    assert shot.is_file()


@pytest.mark.parametrize("script", ["backprop-visualizer", "backprop-visualizer-cli"])
def test_the_installed_commands_run_beside_a_students_core_py(tmp_path, script):
    if not (SCRIPTS / script).exists():
        pytest.skip(f"{script} is not installed in this environment (pip install -e . makes it)")
    (tmp_path / "core.py").write_text("raise SystemExit('the student core.py was imported')\n")
    result = run([str(SCRIPTS / script), "--version"], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"{script} {__version__}"


# The window is up when tune_runtime() has run (main calls it after show()); the test then presses Ctrl+C.
CTRL_C = """
import sys
from pathlib import Path
import visualizer.__main__ as entry
ready, tune = Path(sys.argv[1]), entry.tune_runtime
def tune_and_say_so():
    import gc
    tune()
    ready.write_text("up, automatic collection " + ("on" if gc.isenabled() else "off"))
entry.tune_runtime = tune_and_say_so
entry.main(sys.argv[2:])
"""


def test_ctrl_c_closes_the_window_cleanly(tmp_path, small_csv):
    ready = tmp_path / "ready"
    process = subprocess.Popen(
        [sys.executable, "-c", f"import sys; sys.path.insert(0, {str(ROOT)!r})\n{CTRL_C}", str(ready),
         "--data", str(small_csv), "--dev-size", "50"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    try:
        for _ in range(TIMEOUT * 20):
            if ready.exists() or process.poll() is not None:
                break
            try:
                process.wait(timeout=0.05)
            except subprocess.TimeoutExpired:
                pass
        assert ready.exists(), process.communicate()[1]
        assert ready.read_text() == "up, automatic collection off"     # the UI thread collects (collector.py)
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=TIMEOUT)
    finally:
        process.kill()
    assert process.returncode == 130, err
    assert "Traceback" not in err and "QThread" not in err, err


def test_a_screenshot_run_that_diverges_writes_what_it_shows_and_exits_1(tmp_path, small_csv):
    shot = tmp_path / "diverged.png"
    result = run([sys.executable, "-m", "visualizer", "--data", str(small_csv), "--dev-size", "50", "--alpha", "1e5",
                  "--screenshot", str(shot), "--steps", "20"])
    assert result.returncode == 1, result.stderr
    assert "diverged" in result.stderr and "the screenshot shows where it stopped" in result.stderr
    assert shot.stat().st_size > 10_000
