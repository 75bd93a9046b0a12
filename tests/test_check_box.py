"""Check my code's box: the learner's code cannot leave processes behind, hold our pipe, flood us, hand us a pickle
or take the window down with it; and what it prints is counted exactly and shown without terminal codes."""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import numpy as np
import pytest

from core import check, check_box
from core.check import CheckCancelled, CheckRun, check_file
from fixtures import students
from fixtures.processes import gone, wait_until

pytestmark = pytest.mark.skipif(os.name != "posix", reason="process groups and rlimits are POSIX here")


@pytest.fixture(scope="module")
def reference() -> check.Reference:
    return check.make_reference()


def with_top_level(tmp_path: Path, code: str, name: str = "correct", file: str = "learner.py") -> Path:
    path = tmp_path / file
    path.write_text(students.text(name) + "\n" + code, encoding="utf-8")
    return path


def test_a_grandchild_is_killed_with_the_check(tmp_path, reference):
    pids = tmp_path / "pids.txt"
    path = with_top_level(tmp_path, f"import subprocess\n"
                                    f"sleeper = subprocess.Popen(['sleep', '600'])\n"
                                    f"open({str(pids)!r}, 'w').write(str(sleeper.pid))\n")
    report = check_file(path, reference=reference)
    assert report.all_match
    pid = int(pids.read_text())
    assert wait_until(lambda: gone(pid)), f"sleep 600 (pid {pid}) survived the check"


def test_fifty_forks_do_not_hold_the_commands_pipe(tmp_path):
    pids = tmp_path / "pids.txt"
    path = with_top_level(tmp_path, f"import subprocess\n"
                                    f"sleepers = [subprocess.Popen(['sleep', '600']) for _ in range(50)]\n"
                                    f"open({str(pids)!r}, 'w').write(' '.join(str(p.pid) for p in sleepers))\n")
    command = f"{sys.executable} -m core check {path} | cat"
    # The pipeline ends when `check` and everything holding its stdout end; the timeout only guards the test.
    finished = subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=120,
                              cwd=Path(__file__).resolve().parents[1])
    assert finished.returncode == 0 and "every check matches the reference" in finished.stdout
    pids = [int(pid) for pid in pids.read_text().split()]
    assert len(pids) == 50 and wait_until(lambda: all(gone(pid) for pid in pids))


def test_a_segfault_is_said_in_words(tmp_path, reference):
    report = check_file(students.write("segfault", tmp_path), reference=reference)
    finding = report.finding("new W1")
    assert finding.verdict == "raised"
    assert finding.message == "your code crashed the Python process (segmentation fault) in update_params"
    assert "-11" not in report.text()
    # Started again without update_params: everything else was still checked.
    assert all(report.finding(phase).matches for phase in ("Z1", "dW1", "db2", "softmax"))


def test_killing_its_parent_kills_the_keeper_not_us(tmp_path, reference):
    report = check_file(students.write("kills_parent", tmp_path), reference=reference)
    finding = report.finding("new W1")
    assert finding.verdict == "raised" and "killed its parent process" in finding.message
    assert all(report.finding(phase).matches for phase in ("Z1", "dW1", "db2", "softmax")), report.text()


def test_memory_is_capped_in_the_learners_process(tmp_path, reference):
    path = tmp_path / "greedy.py"
    path.write_text(students.text("correct").replace("    W1 = W1 - alpha * dW1\n",
                                                     "    waste = np.ones((40000, 40000))\n    W1 = W1 - alpha * dW1\n"))
    report = check_file(path, reference=reference)
    finding = report.finding("new W1")
    assert finding.verdict == "raised" and "MemoryError" in finding.message


def test_a_huge_return_stays_in_the_learners_process(tmp_path, reference):
    report = check_file(students.write("huge_return", tmp_path), reference=reference)
    finding = report.finding("ReLU_deriv")
    assert finding.verdict == "differs" and finding.theirs is None
    assert "an array of shape (20000, 20000) (3,200,000,000 bytes: too large to bring back)" in finding.message


def test_printed_lines_are_counted_exactly_and_the_flood_is_capped(tmp_path, reference):
    exact = check_file(with_top_level(tmp_path, "for i in range(1156):\n    print('line', i, 'x' * 30)\n",
                                      file="talker.py"), reference=reference)
    # 1 line from the file's own __main__ block, 1,156 from the loop; far more than the report keeps.
    assert exact.printed_lines == 1157 and not exact.output_capped
    assert "your code printed 1,157 lines; the last 5:" in exact.text()
    assert len(exact.their_output) <= check.OUTPUT_KEPT
    flood = check_file(with_top_level(tmp_path, "while True:\n    print('y' * 10000)\n", file="flood.py"),
                       reference=reference)
    assert flood.output_capped and flood.all_match
    # What was kept is the cap, not what the file system would have taken (64 MiB): 10,001 bytes a line.
    assert flood.printed_lines <= check_box.OUTPUT_LIMIT // 10_001 + 2
    assert "(cut at the cap: it printed more)" in flood.printed_text()


def test_their_code_runs_in_a_temporary_folder_that_is_removed(tmp_path, reference):
    path = with_top_level(tmp_path, "import os\nprint('cwd', os.getcwd())\nopen('written.txt', 'w').write('x')\n")
    report = check_file(path, reference=reference)
    folder = Path(next(line for line in report.their_output.splitlines() if line.startswith("cwd "))[4:])
    assert folder != tmp_path and not folder.exists()
    assert not (tmp_path / "written.txt").exists()


def test_terminal_control_characters_are_stripped(tmp_path, reference):
    report = check_file(students.write("escape_codes", tmp_path), reference=reference)
    assert "EVERY PHASE MATCHES" in report.their_output
    for text in (report.their_output, report.text()):
        assert not any(ord(character) < 32 and character != "\n" or 0x7F <= ord(character) < 0xA0
                       for character in text)


def test_nothing_from_their_process_is_ever_unpickled(tmp_path, reference):
    """Their code can write the check's event file; an .npz it names holding a pickle is not unpickled."""
    marker = tmp_path / "unpickled.txt"
    evil = tmp_path / "evil.npz"
    payload = np.empty(1, dtype=object)
    payload[0] = Unpickled(str(marker))
    np.savez(evil, v0=payload)
    path = with_top_level(tmp_path, (
        "import json, shutil\n"
        "job = json.load(open('../../control/job.json'))\n"
        f"shutil.copy({str(evil)!r}, '../../control/evil.npz')\n"
        "event = {'event': 'call', 'contract': 'init_params', 'outcome': 'values', 'file': 'evil.npz',\n"
        "         'values': [{'key': 'v0', 'shape': [1]}, {'count': 4}], 'convention': None, 'fixed': []}\n"
        "open(job['status'], 'a').write(json.dumps(event) + '\\n')\n"))
    report = check_file(path, reference=reference)
    assert not marker.exists()
    assert not report.finding("init_params").matches       # what could not be read counts as nothing


class Unpickled:
    """Unpickling it writes a file: proof that a pickle was loaded."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self):
        return (Path.write_text, (Path(self.path), "unpickled"))


def test_cancel_ends_the_learners_processes_at_once(tmp_path, reference):
    started = tmp_path / "started.txt"
    path = with_top_level(tmp_path, f"import os\nopen({str(started)!r}, 'w').write(str(os.getpid()))\n",
                          name="slow")
    run = CheckRun(path, 60, reference)
    outcome: list[BaseException | check.CheckReport] = []

    def work() -> None:
        try:
            outcome.append(run.run())
        except BaseException as error:      # noqa: BLE001 — the test looks at it
            outcome.append(error)
    thread = threading.Thread(target=work)
    thread.start()
    assert wait_until(started.exists, 60)
    pid = int(wait_until(lambda: started.read_text()) and started.read_text())
    run.cancel()
    thread.join(30)
    assert not thread.is_alive() and isinstance(outcome[0], CheckCancelled)
    assert wait_until(lambda: gone(pid))


def test_their_code_does_not_outlive_a_checking_process_that_was_killed(tmp_path):
    started = tmp_path / "started.txt"
    path = tmp_path / "stuck.py"
    path.write_text(students.text("correct") + (
        f"import os, time\nopen({str(started)!r}, 'w').write(str(os.getpid()))\n"
        "while True:\n    try:\n        time.sleep(0.05)\n    except BaseException:\n        pass\n"))
    checker = subprocess.Popen([sys.executable, "-c", f"from core.check import check_file; "
                                                      f"check_file({str(path)!r}, timeout=600)"],
                               cwd=Path(__file__).resolve().parents[1])
    try:
        assert wait_until(lambda: started.exists() and started.read_text() != "", 60)
    finally:
        checker.kill()          # as the window would die: no clean-up of its own runs
        checker.wait()
    pid = int(started.read_text())
    assert wait_until(lambda: gone(pid)), f"their process {pid} outlived the checking process"
    # Its box stayed behind (nothing could remove it); the next check removes it.
    owner = f"{check_box.OWNER_FILE}:{checker.pid}"
    boxes = [folder for folder in Path(tempfile.gettempdir()).glob(f"{check_box.BOX_PREFIX}*")
             if f"{check_box.OWNER_FILE}:{read(folder / check_box.OWNER_FILE)}" == owner]
    assert len(boxes) == 1
    check_box.remove_stale_boxes()
    assert not boxes[0].exists()


def read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


def test_on_windows_the_keeper_puts_itself_and_its_children_in_a_job_that_ends_with_it():
    """Windows has no process groups: the keeper's job object kills every process in it when the keeper ends.
    Run here with a stand-in for kernel32 (no Windows machine): the calls, their arguments, and the structure
    laid out at the size Windows gives it."""
    import ctypes

    from core import check_keeper

    calls = []

    class Function:
        def __init__(self, name: str, result: int):
            self.name, self.result = name, result

        def __call__(self, *args):
            calls.append((self.name, args))
            return self.result

    class Kernel32:
        pass

    kernel32 = Kernel32()
    for name, result in (("CreateJobObjectW", 1234), ("SetInformationJobObject", 1),
                         ("AssignProcessToJobObject", 1), ("GetCurrentProcess", 99)):
        setattr(kernel32, name, Function(name, result))
    assert check_keeper.contain(kernel32)
    assert [name for name, _ in calls] == ["CreateJobObjectW", "SetInformationJobObject", "GetCurrentProcess",
                                           "AssignProcessToJobObject"]
    job, information_class, limits, size = calls[1][1]
    assert (job, information_class) == (1234, 9)             # JobObjectExtendedLimitInformation
    assert limits._obj.BasicLimitInformation.LimitFlags == 0x2000      # JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE
    assert size == (144 if ctypes.sizeof(ctypes.c_void_p) == 8 else 112)
    assert calls[3][1] == (1234, 99)                        # this very process
    calls.clear()
    kernel32.CreateJobObjectW.result = 0                     # refused: said, and nothing more is asked
    assert not check_keeper.contain(kernel32) and len(calls) == 1
