"""Check my code: a student's notebook functions run in their own process and are compared phase by phase."""
from __future__ import annotations

import multiprocessing
import os
from pathlib import Path

import numpy as np
import pytest

from core import check
from core.check import CheckFileError, check_file
from core.cli import main

FIXTURES = Path(__file__).parent / "fixtures"
BACKWARD = ("dW2", "db2", "dW1", "db1")
UPDATE = ("new W1", "new b1", "new W2", "new b2")


def line_of(fixture: str, text: str) -> int:
    lines = (FIXTURES / fixture).read_text().splitlines()
    return next(number for number, line in enumerate(lines, 1) if text in line)


@pytest.fixture(scope="module")
def reference() -> check.Reference:
    return check.make_reference()


@pytest.fixture(scope="module")
def reports(reference):
    """One check per fixture, made on first use and shared by the tests (each costs a process start)."""
    made: dict[str, check.CheckReport] = {}

    def report(name: str, timeout: float = 20.0) -> check.CheckReport:
        if name not in made:
            made[name] = check_file(FIXTURES / f"student_{name}.py", timeout=timeout, reference=reference)
        return made[name]
    return report


def verdicts(report: check.CheckReport) -> dict[str, str]:
    return {finding.phase: finding.verdict for finding in report.findings}


def test_correct_functions_match_every_phase(reports):
    report = reports("correct")
    assert report.all_match and report.first_difference is None
    assert set(verdicts(report).values()) == {"match"}
    assert report.finding("Z1").expected_shape == (10, 500)
    assert report.text().splitlines()[-1] == "every phase matches the reference"


def test_the_notebook_is_flagged_for_its_sum_without_axis(reports):
    report = reports("notebook")
    assert not report.all_match
    differing = {phase for phase, verdict in verdicts(report).items() if verdict != "match"}
    assert differing == {"db2", "db1"}
    db2 = report.finding("db2")
    assert db2.verdict == "shape" and db2.their_shape == () and db2.expected_shape == (10, 1)
    assert "np.sum(dZ2) without axis=1" in db2.looks_like
    assert "np.sum(dZ1) without axis=1" in report.finding("db1").looks_like
    # The window shows both arrays of the first difference side by side.
    assert report.first_difference is db2
    assert db2.expected.shape == (10, 1) and db2.theirs.shape == ()
    assert "db2" in report.text() and "expected (10, 1), yours ()" in report.text()


def test_softmax_over_the_wrong_axis_and_no_cascade(reports):
    report = reports("wrong_axis")
    A2 = report.finding("A2")
    assert A2.verdict == "differs" and "axis 1" in A2.looks_like
    assert A2.largest_difference > 0.1 and len(A2.where) == 2
    assert A2.theirs.shape == A2.expected.shape == (10, 500)
    # backward_prop is given our forward arrays, so its phases are judged on their own.
    assert all(report.finding(phase).matches for phase in BACKWARD + UPDATE)


def test_missing_one_over_m(reports):
    report = reports("missing_m")
    for phase in BACKWARD:
        finding = report.finding(phase)
        assert finding.verdict == "differs" and "without the 1/m" in finding.looks_like
    np.testing.assert_allclose(report.finding("dW2").theirs, 500 * report.finding("dW2").expected)


def test_missing_g_prime_shows_in_the_hidden_layer_only(reports):
    report = reports("no_gprime")
    assert report.finding("dW2").matches and report.finding("db2").matches
    for phase in ("dW1", "db1"):
        assert "without ⊙ g′(Z1)" in report.finding(phase).looks_like


def test_an_exception_names_its_type_message_and_line(reports):
    report = reports("raises")
    raised = report.finding("dW2")
    assert raised.verdict == "raised"
    assert raised.line == line_of("student_raises.py", "one_hot_Y = np.zeros")
    assert "AttributeError" in raised.message and "'list' object has no attribute 'size'" in raised.message
    assert [report.finding(phase).verdict for phase in ("db2", "dW1", "db1")] == ["skipped"] * 3
    assert all(report.finding(phase).matches for phase in ("Z1", "A2") + UPDATE)


def test_a_transposed_result_is_a_shape_finding(reports):
    finding = reports("shape").finding("dW1")
    assert finding.verdict == "shape" and finding.their_shape == (784, 10)
    assert "transposed" in finding.looks_like


def test_an_endless_loop_is_stopped_and_its_process_is_gone(reports):
    report = reports("slow", timeout=3.0)
    finding = report.finding("Z1")
    assert finding.verdict == "timeout" and "longer than 3 s" in finding.message
    assert report.finding("init_params").matches
    assert report.finding("new W1").verdict == "skipped"
    assert report.runner_pid not in [child.pid for child in multiprocessing.active_children()]
    with pytest.raises(ProcessLookupError):
        os.kill(report.runner_pid, 0)


def test_top_level_code_failing_on_import_is_explained(reports):
    report = reports("toplevel")
    finding = report.finding("import")
    assert finding.verdict == "raised"
    assert finding.line == line_of("student_toplevel.py", "read_csv")
    assert f"at line {finding.line} (data = pd.read_csv(\"train.csv\")): FileNotFoundError" in finding.message
    assert "if __name__ == '__main__':" in finding.message
    assert {report.finding(phase).verdict for phase in check.REPORT_ORDER[1:]} == {"skipped"}
    # What their code printed is kept apart and labelled as theirs.
    assert report.their_output.strip() == "loading the data"
    assert "  | loading the data" in report.text()


def test_a_missing_file_is_a_check_file_error(tmp_path):
    with pytest.raises(CheckFileError, match="cannot read"):
        check_file(tmp_path / "nope.py")


def test_right_numbers_without_keepdims_is_a_shape_finding(reference):
    # (10,) would broadcast with b2 (10, 1) into a 10 x 10 matrix in the update: reported, never broadcast.
    finding = check._compare("db2", reference.arrays["db2"].ravel(), reference, {})
    assert finding.verdict == "shape" and "keepdims=True" in finding.looks_like


def test_an_update_up_the_gradient_is_recognised(reference):
    wrong = reference.params["W2"] + reference.alpha * reference.arrays["dW2"]
    finding = check._compare("new W2", wrong, reference, {})
    assert finding.verdict == "differs" and "up the gradient" in finding.looks_like


def test_a_wrong_m_is_recognised_as_a_scale(reference):
    finding = check._compare("dW1", reference.arrays["dW1"] * 500 / 42000, reference, {})
    assert "42000" in finding.looks_like


@pytest.mark.parametrize("fixture, code", [("correct", 0), ("missing_m", 1)])
def test_cli_exit_code_says_whether_every_phase_matches(capsys, fixture, code):
    assert main(["check", str(FIXTURES / f"student_{fixture}.py"), "--timeout", "20"]) == code
    out = capsys.readouterr().out
    assert out.splitlines()[0].split() == ["import", "ok"]
    assert ("DIFFERS" in out) == (code == 1)


def test_cli_missing_file_is_one_line_and_exit_2(capsys, tmp_path):
    assert main(["check", str(tmp_path / "missing.py")]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and captured.err.startswith("error: cannot read")
