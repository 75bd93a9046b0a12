"""Check my code on learners' .py files: each function checked on its own, phase by phase, each mistake named.

The files are tests/fixtures/student_correct.py with one mistake's lines replaced (tests/fixtures/students.py).
"""
from __future__ import annotations

import numpy as np
import pytest

from core import check
from core.check import CheckError, CheckFileError, check_file
from core.check_compare import compare, locate_dz1
from core.cli import main
from fixtures import students

BACKWARD = ("dW2", "db2", "dW1", "db1")
UPDATE = ("new W1", "new b1", "new W2", "new b2")


@pytest.fixture(scope="module")
def reference() -> check.Reference:
    return check.make_reference()


@pytest.fixture(scope="module")
def reports(reference, tmp_path_factory):
    """One check per mistake, made on first use and shared by the tests (each costs a process start)."""
    made: dict[str, check.CheckReport] = {}
    folder = tmp_path_factory.mktemp("students")

    def report(name: str, timeout: float = 10.0) -> check.CheckReport:
        if name not in made:
            made[name] = check_file(students.write(name, folder), timeout=timeout, reference=reference)
        return made[name]
    return report


def verdicts(report: check.CheckReport) -> dict[str, str]:
    return {finding.phase: finding.verdict for finding in report.findings}


def line_of(name: str, fragment: str) -> int:
    return students.line_of(students.text(name), fragment)


def test_correct_functions_match_every_phase_and_helper(reports):
    report = reports("correct")
    assert report.all_match and report.first_difference is None
    assert set(verdicts(report).values()) == {"match"}
    assert [finding.phase for finding in report.findings] == [*check.REPORT_ORDER, "ReLU", "ReLU_deriv",
                                                              "softmax", "one_hot"]
    assert report.finding("Z1").expected_shape == (10, 500)
    assert report.summary() == "every check matches the reference (17 checks)"
    text = report.text()
    assert "backward_prop(Z1, A1, Z2, A2, W1, W2, X, Y) -> dW1, db1, dW2, db2" in text
    assert "pixels already divided by 255" in text and "alpha (α) = 0.1" in text
    assert "your backward_prop takes labels (it calls one_hot itself)" in text and report.convention == "labels"


def test_missing_one_over_m(reports):
    report = reports("missing_m")
    for phase in BACKWARD:
        finding = report.finding(phase)
        assert finding.verdict == "differs" and "without the 1/m" in finding.looks_like
    np.testing.assert_allclose(report.finding("dW2").theirs, 500 * report.finding("dW2").expected)
    # The learner's line beside the reference line, with where it is.
    db2 = report.finding("db2")
    assert db2.their_code == "db2 = np.sum(dZ2, axis=1, keepdims=True)"
    assert db2.reference_code == "db2 = 1 / m * np.sum(dZ2, axis=1, keepdims=True)"
    assert db2.place == f"line {line_of('missing_m', 'db2 = np.sum(dZ2')}"
    assert f"db2, your file's {db2.place}:\n      yours:     db2 = np.sum(dZ2" in report.text()


def test_a_missing_g_prime_is_located_in_dz1(reports):
    report = reports("no_gprime")
    assert report.finding("dW2").matches and report.finding("db2").matches
    for phase in ("dW1", "db1"):
        assert "without ⊙ g′(Z1)" in report.finding(phase).looks_like
    located = next(item for item in report.advice if item.startswith("dW2 and db2 match"))
    assert "the error is in dZ1" in located and "dZ1 = W2.T.dot(dZ2))" not in located
    assert f"your file's line {line_of('no_gprime', 'dZ1 = W2.T.dot(dZ2)')}: dZ1 = W2.T.dot(dZ2);" in located


def test_a_missing_transpose_on_the_square_w2_is_named(reports):
    """W2 is 10 × 10, so W2.dot(dZ2) raises nothing: only the numbers say it, and the check names it."""
    report = reports("missing_transpose")
    assert all(report.finding(phase).matches for phase in ("dW2", "db2", "ReLU_deriv"))
    assert report.finding("dW1").verdict == "differs" and report.finding("db1").verdict == "differs"
    located = next(item for item in report.advice if item.startswith("dW2 and db2 match"))
    line = line_of("missing_transpose", "dZ1 = W2.dot(dZ2)")
    assert f"the error is in dZ1 (your file's line {line}: dZ1 = W2.dot(dZ2) * ReLU_deriv(Z1); " \
           f"reference: dZ1 = W2.T.dot(dZ2) * ReLU_deriv(Z1))" in located
    assert "without the transpose: W2 is 10 × 10" in located
    assert "without the transpose" in report.finding("dW1").looks_like


def test_a_wrong_relu_deriv_is_checked_on_its_own_and_named_as_the_cause(reports):
    report = reports("wrong_relu_deriv")
    deriv = report.finding("ReLU_deriv")
    assert deriv.verdict == "differs" and deriv.their_code == "return Z"
    assert deriv.place == f"line {line_of('wrong_relu_deriv', 'def ReLU_deriv') + 1}"
    assert report.finding("dW2").matches and report.finding("dW1").verdict == "differs"
    located = next(item for item in report.advice if item.startswith("dW2 and db2 match"))
    assert "your ReLU_deriv differs from g′(Z1) = (Z1 > 0)" in located
    assert "fix ReLU_deriv and dZ1 follows" in report.finding("db1").looks_like


def test_an_exception_names_its_type_message_and_line(reports):
    report = reports("raises")
    raised = report.finding("dW2")
    assert raised.verdict == "raised"
    assert raised.line == line_of("raises", "one_hot_Y = np.zeros")
    assert "AttributeError" in raised.message and "'list' object has no attribute 'size'" in raised.message
    assert [report.finding(phase).verdict for phase in ("db2", "dW1", "db1")] == ["skipped"] * 3
    assert all(report.finding(phase).matches for phase in ("Z1", "A2") + UPDATE)
    # "Not run" is neither a match nor a difference.
    assert report.summary() == "1 check differs (dW2), 13 match, 3 not run"


def test_a_transposed_result_is_a_shape_finding_on_its_own_line(reports):
    report = reports("shape")
    finding = report.finding("dW1")
    assert finding.verdict == "shape" and finding.their_shape == (784, 10)
    assert "transposed" in finding.looks_like
    assert report.finding("db1").matches
    assert not any("the error is in dZ1" in item for item in report.advice)     # db1 is right: dZ1 is


def test_softmax_over_the_wrong_axis_and_no_cascade(reports):
    report = reports("wrong_axis")
    A2 = report.finding("A2")
    assert A2.verdict == "differs" and "axis 1" in A2.looks_like
    assert A2.largest_difference > 0.1 and len(A2.where) == 2
    assert A2.theirs.shape == A2.expected.shape == (10, 500)
    assert "axis 1" in report.finding("softmax").looks_like
    # backward_prop is given our forward arrays, so its phases are judged on their own.
    assert all(report.finding(phase).matches for phase in BACKWARD + UPDATE)


def test_a_hanging_function_among_working_ones_leaves_the_others_checked(reports):
    report = reports("slow", timeout=2.0)
    finding = report.finding("Z1")
    assert finding.verdict == "timeout" and "longer than 2 s" in finding.message
    assert [report.finding(phase).verdict for phase in ("A1", "Z2", "A2")] == ["skipped"] * 3
    assert all(report.finding(phase).matches for phase in ("init_params", *BACKWARD, *UPDATE, "ReLU", "softmax"))


def test_a_hanging_init_params_leaves_every_other_phase_checked(reports):
    report = reports("slow_init", timeout=2.0)
    assert report.finding("init_params").verdict == "timeout"
    assert all(finding.matches for finding in report.findings if finding.phase != "init_params")


def test_a_hang_that_swallows_the_interruption_is_killed_and_the_check_goes_on(reports):
    report = reports("stubborn", timeout=1.0)
    assert report.finding("Z1").verdict == "timeout"
    assert all(report.finding(phase).matches for phase in (*BACKWARD, *UPDATE))


def test_backward_prop_taking_one_hot_y_is_checked_in_its_convention(reports):
    report = reports("one_hot_y")
    assert report.all_match and report.convention == "one-hot"
    assert "(10, 500) one-hot, one column per example — your backward_prop takes Y one-hot" in report.text()


def test_the_videos_seven_argument_back_prop_and_deriv_relu_are_found(reports):
    report = reports("seven_arguments")
    assert report.all_match
    assert report.finding("dW1").function == "back_prop" and report.finding("ReLU_deriv").function == "deriv_ReLU"
    assert "(yours: back_prop)" in report.text()


def test_a_signature_that_fits_no_form_shows_the_expected_ones(reports):
    report = reports("cache")
    finding = report.finding("dW2")
    assert finding.verdict == "signature"
    assert "takes (cache, params, Y)" in finding.message
    assert "backward_prop(Z1, A1, Z2, A2, W1, W2, X, Y) -> dW1, db1, dW2, db2" in finding.message
    assert "backward_prop(Z1, A1, Z2, A2, W2, X, Y)" in finding.message


def test_a_global_m_is_named_with_its_line_and_value_and_the_rest_checked_with_m_fixed(reports):
    report = reports("global_m")
    line = line_of("global_m", "m = 41000")
    said = report.advice[0]
    assert said.startswith(f"your backward_prop uses the global m (your file's line {line}: m = 41000), here 41,000")
    assert "instead of the number of columns of the X it is given (500)" in said
    assert report.advice[1] == "with m = 500 (the columns of X), your backward_prop gives: dW2, db2, dW1, db1 ok"
    for phase in BACKWARD:
        assert "the global m = 41,000 is not the 500 columns of X; with m = 500 it matches" in \
            report.finding(phase).looks_like


def test_a_global_m_is_reported_even_when_it_agrees(tmp_path, reference):
    path = students.write("global_m", tmp_path)
    path.write_text(path.read_text().replace("m = 41000", "m = 500"))
    report = check_file(path, reference=reference)
    assert report.all_match
    assert "uses the global m" in report.advice[0] and "it happens to agree here" in report.advice[0]


def test_class_methods_are_checked_when_the_constructor_needs_nothing(tmp_path, reference):
    path = tmp_path / "network_class.py"
    path.write_text(students.as_methods(students.text("correct")))
    report = check_file(path, reference=reference)
    assert report.all_match
    assert report.finding("dW1").function == "NeuralNetwork.backward_prop"


def test_a_class_whose_constructor_needs_arguments_is_explained(tmp_path, reference):
    path = tmp_path / "network_class.py"
    constructor = "def __init__(self, sizes):\n    self.sizes = sizes\n\n"
    path.write_text(students.as_methods(students.text("correct"), constructor=constructor))
    report = check_file(path, reference=reference)
    finding = report.finding("Z1")
    assert finding.verdict == "missing"
    assert "your class NeuralNetwork has forward_prop, but its constructor needs sizes" in finding.message


def test_a_missing_function_shows_the_expected_signature_and_a_near_name(tmp_path, reference):
    path = tmp_path / "renamed.py"
    path.write_text(students.text("correct").replace("def update_params(", "def update_param("))
    report = check_file(path, reference=reference)
    finding = report.finding("new W1")
    assert finding.verdict == "missing"
    assert "(is update_param it?)" in finding.message
    assert "update_params(W1, b1, W2, b2, dW1, db1, dW2, db2, alpha) -> W1, b1, W2, b2" in finding.message
    assert report.finding("new b1").verdict == "skipped"


def test_a_missing_file_a_device_and_a_fifo_are_refused_before_reading(tmp_path):
    with pytest.raises(CheckFileError, match="cannot read"):
        check_file(tmp_path / "nope.py")
    (tmp_path / "zero.py").symlink_to("/dev/zero")
    with pytest.raises(CheckFileError, match="is a device, not a file"):
        check_file(tmp_path / "zero.py")
    import os
    os.mkfifo(tmp_path / "fifo.ipynb")
    with pytest.raises(CheckFileError, match=r"is a FIFO \(named pipe\), not a file"):
        check_file(tmp_path / "fifo.ipynb")


@pytest.mark.parametrize("text, why", [("{not json", "not JSON"), ('{"worksheets": []}', "nbformat 3"),
                                       ('{"cells": 3}', "without a list of"),
                                       ('[' * 100_000 + ']' * 100_000, "not JSON")])
def test_a_broken_notebook_is_a_check_file_error(tmp_path, text, why):
    path = tmp_path / "broken.ipynb"
    path.write_text(text)
    with pytest.raises(CheckFileError, match=why):
        check_file(path)


@pytest.mark.parametrize("timeout", ["1e300", "nan", "inf", "-1", "0", "abc", "1e-9"])
def test_a_bad_time_limit_is_a_check_error(timeout):
    with pytest.raises(CheckError, match="--timeout must be"):
        check.CheckRun("anything.py", timeout)


@pytest.mark.parametrize("timeout", ["1e300", "nan", "abc", "-5"])
def test_cli_bad_timeout_is_one_line_and_exit_2(capsys, timeout):
    assert main(["check", "whatever.py", "--timeout", timeout]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1 and "--timeout must be" in captured.err


@pytest.mark.parametrize("name, code", [("correct", 0), ("missing_m", 1)])
def test_cli_exit_code_says_whether_every_phase_matches(capsys, tmp_path, name, code):
    assert main(["check", str(students.write(name, tmp_path)), "--timeout", "10"]) == code
    out = capsys.readouterr().out
    assert out.startswith("Check my code: ")
    assert ("DIFFERS" in out) == (code == 1)


def test_cli_missing_file_is_one_line_and_exit_2(capsys, tmp_path):
    assert main(["check", str(tmp_path / "missing.py")]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and captured.err.startswith("error: cannot read")


def test_right_numbers_without_keepdims_is_a_shape_finding(reference):
    # (10,) would broadcast with b2 (10, 1) into a 10 x 10 matrix in the update: reported, never broadcast.
    finding = compare("db2", reference.arrays["db2"].ravel(), reference, {})
    assert finding.verdict == "shape" and "keepdims=True" in finding.looks_like


def test_an_update_up_the_gradient_is_recognised(reference):
    wrong = reference.params["W2"] + reference.alpha * reference.arrays["dW2"]
    finding = compare("new W2", wrong, reference, {})
    assert finding.verdict == "differs" and "up the gradient" in finding.looks_like


def test_a_wrong_m_is_recognised_as_a_scale(reference):
    finding = compare("dW1", reference.arrays["dW1"] * 500 / 42000, reference, {})
    assert "42,000" in finding.looks_like


def test_locate_dz1_names_nothing_when_dz1_is_right(reference):
    assert locate_dz1(reference, reference.arrays["dW1"], reference.arrays["db1"], None) is None
