"""Check my code on the notebook as learners have it: Kaggle's "Simple MNIST NN from scratch" as .ipynb and as an
nbconvert export, top-level loading, training and plotting left in (tests/fixtures/notebook.py writes them)."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from core import check, network
from core.check import check_file
from core.check_standins import read_csv
from fixtures import notebook, students

FIXTURES = Path(__file__).parent / "fixtures"
PUBLISHED = FIXTURES / "simple_mnist_nn.ipynb"
BACKWARD = ("dW2", "db2", "dW1", "db1")


@pytest.fixture(scope="module")
def reference() -> check.Reference:
    return check.make_reference()


@pytest.fixture(scope="module")
def published(reference) -> check.CheckReport:
    """The published notebook, as downloaded, with the pandas and matplotlib installed here if they are."""
    return check_file(PUBLISHED, reference=reference)


@pytest.fixture(scope="module")
def exported(reference, tmp_path_factory) -> check.CheckReport:
    """Its nbconvert export, with a learner's %matplotlib and !pip cell first, and neither pandas nor matplotlib."""
    path = notebook.write_export(tmp_path_factory.mktemp("export") / "simple_mnist_nn.py",
                                 before=["%matplotlib inline\n!pip install pandas"])
    return check_file(path, reference=reference, stand_ins=True)


def differing(report: check.CheckReport) -> set[str]:
    return {finding.phase for finding in report.differing}


def test_the_committed_notebook_is_the_fixtures_notebook(tmp_path):
    assert PUBLISHED.read_text() == notebook.write_ipynb(tmp_path / "again.ipynb").read_text()
    cells = json.loads(PUBLISHED.read_text())["cells"]
    assert [cell["cell_type"] for cell in cells].count("markdown") == 4
    assert "pd.read_csv('/kaggle/input/digit-recognizer/train.csv')" in "".join(cells[1]["source"])


def test_the_fixtures_functions_are_the_notebooks_with_its_bugs():
    """Importable: backward_prop divides by the global m and sums db over every entry."""
    rng = np.random.default_rng(0)
    params = network.init_params(10, "uniform", rng, np.float64)
    X = rng.random((784, 50))
    labels = np.arange(50) % 10
    notebook.m = 50
    Z1, A1, Z2, A2 = notebook.forward_prop(*(params[name] for name in network.PARAMETERS), X)
    dW1, db1, dW2, db2 = notebook.backward_prop(Z1, A1, Z2, A2, params["W1"], params["W2"], X, labels)
    ours = network.gradients(params, X, network.one_hot(labels, np.float64))
    np.testing.assert_allclose(dW1, ours["dW1"], atol=1e-12)
    assert np.ndim(db2) == 0 and np.ndim(db1) == 0


@pytest.mark.parametrize("which", ["published", "exported"])
def test_the_notebook_gets_a_verdict_on_every_function(request, which):
    report = request.getfixturevalue(which)
    assert differing(report) == set(BACKWARD)
    assert all(finding.matches for finding in report.findings if finding.phase not in BACKWARD)
    assert [finding.phase for finding in report.findings][-6:] == ["ReLU", "ReLU_deriv", "softmax", "one_hot",
                                                                   "get_predictions", "get_accuracy"]
    assert report.convention == "labels" and not report.not_run


def test_the_global_m_is_named_with_its_line_and_what_it_holds(published):
    said = published.advice[0]
    assert said.startswith("your backward_prop uses the global m (your notebook's code cell 2, line 2: m, n = "
                           "data.shape), "
                           "here 5,000: the number of all rows of train.csv (42,000 in Kaggle's file)")
    assert "instead of the number of columns of the X it is given (500)" in said
    assert published.advice[1] == ("with m = 500 (the columns of X), your backward_prop gives: dW2, dW1 ok; "
                                   "db2, db1 still differ")
    assert "with m = 500 it matches" in published.finding("dW2").looks_like


def test_the_notebooks_real_bug_is_named_in_the_first_run(published):
    db2 = published.finding("db2")
    assert db2.verdict == "shape" and db2.their_shape == () and db2.expected_shape == (10, 1)
    assert "np.sum(dZ2) without axis=1" in db2.looks_like
    assert db2.place == "code cell 4, line 35" and db2.their_code == "db2 = 1 / m * np.sum(dZ2)"
    assert "db2, your notebook's code cell 4, line 35:\n      yours:     db2 = 1 / m * np.sum(dZ2)\n" \
           "      reference: db2 = 1 / m * np.sum(dZ2, axis=1, keepdims=True)" in published.text()


def test_its_top_level_reads_the_apps_digits_and_its_training_is_cut_short(published):
    lines = published.top_level
    assert lines[0] == ("code cell 1, line 5: data = pd.read_csv('/kaggle/input/digit-recognizer/train.csv') — read "
                        "/kaggle/input/digit-recognizer/train.csv: the app's 5,000 digits laid out as Kaggle's "
                        "train.csv")
    assert lines[1].startswith("code cell 6, line 1: W1, b1, W2, b2 = gradient_descent(X_train, Y_train, 0.10, 500) "
                               "— stopped after 1.5 s of processor time")
    assert lines[2] == ("code cell 8, line 1 … code cell 9, line 2: 6 statements need W1, dev_predictions, which "
                        "code cell 6, line 1 would have set: they were skipped")
    assert published.printed_lines > 0         # its training printed until it was stopped


def test_the_export_runs_without_pandas_matplotlib_or_ipython(exported):
    lines = exported.top_level
    assert lines[0] == "line 8: %matplotlib inline — IPython is not running here: it did nothing"
    assert lines[1] == "line 9: !pip install pandas — IPython is not running here: it did nothing"
    assert any("read /kaggle/input/digit-recognizer/train.csv" in line for line in lines)
    assert lines[-1] == ("matplotlib and pandas are not installed here: the check gave your code a small stand-in "
                         "(read_csv, DataFrame; plots draw nothing)")
    assert exported.kind == "export" and exported.finding("db2").place.startswith("line ")


def test_magic_lines_and_a_shell_cell_in_a_notebook_are_left_out(tmp_path, reference):
    path = notebook.write_ipynb(tmp_path / "magics.ipynb",
                                before=["%matplotlib inline\n!pip install numpy\nfiles = !ls", "%%bash\necho hi",
                                        "def broken(:\n    pass"])
    report = check_file(path, reference=reference, stand_ins=True)
    assert report.top_level[:5] == (
        "code cell 1, line 1: %matplotlib inline — an IPython magic is not run by the check",
        "code cell 1, line 2: !pip install numpy — a shell command is not run by the check",
        "code cell 1, line 3: files = !ls — a shell command is not run: its names are set to []",
        "code cell 2, line 1: %%bash — a %%bash cell is not Python: the cell was skipped",
        "code cell 3, line 1: SyntaxError: invalid syntax — this cell did not run")
    assert differing(report) == set(BACKWARD)


def test_plots_never_open_a_window_even_with_a_display(tmp_path, reference, monkeypatch):
    pytest.importorskip("matplotlib")
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.setenv("MPLBACKEND", "TkAgg")
    path = tmp_path / "plots.py"
    path.write_text(students.text("correct") + (
        "import os\nimport matplotlib\nfrom matplotlib import pyplot as plt\n"
        "print('backend', matplotlib.get_backend(), 'display', os.environ.get('DISPLAY'))\n"
        "plt.plot([1, 2, 3])\nplt.show()\nprint('after show')\n"))
    report = check_file(path, reference=reference)
    assert "backend agg display none" in report.their_output.lower() and "after show" in report.their_output
    assert report.all_match and not report.top_level


def test_a_train_csv_beside_the_notebook_is_the_apps(tmp_path, reference):
    (tmp_path / "train.csv").write_text("label,pixel0\n1,0\n")      # the learner's own, which the check ignores
    beside = notebook.TOP_LEVEL["load"].replace("'/kaggle/input/digit-recognizer/train.csv'",
                                                "os.path.join(os.path.dirname(__file__), 'train.csv')")
    path = notebook.write_export(tmp_path / "local.py", replacements=[(notebook.TOP_LEVEL["load"], beside)],
                                 before=["import os"])
    report = check_file(path, reference=reference, stand_ins=True)
    assert "here 5,000: the number of all rows of train.csv" in report.advice[0]
    assert any(line.endswith(f"read {tmp_path / 'train.csv'}: the app's 5,000 digits laid out as Kaggle's "
                             f"train.csv") for line in report.top_level)


def test_a_training_loop_at_the_top_is_cut_and_later_definitions_still_count(tmp_path, reference):
    loop = ("import pandas as pd\n"
            "data = np.array(pd.read_csv('train.csv')).T\n"
            "X, Y = data[1:] / 255., data[0]\n"
            "W1, b1, W2, b2 = init_params()\n"
            "for i in range(500):\n"
            "    Z1, A1, Z2, A2 = forward_prop(W1, b1, W2, b2, X)\n"
            "    dW1, db1, dW2, db2 = backward_prop(Z1, A1, Z2, A2, W1, W2, X, Y)\n"
            "    W1, b1, W2, b2 = W1 - 0.1 * dW1, b1 - 0.1 * db1, W2 - 0.1 * dW2, b2 - 0.1 * db2\n\n\n")
    source = students.text("correct")
    path = tmp_path / "loop.py"
    path.write_text(source.replace("def update_params(", loop + "def update_params("))
    report = check_file(path, reference=reference, stand_ins=True)
    assert report.all_match
    line = students.line_of(path.read_text(), "for i in range(500)")
    assert any(text.startswith(f"line {line}: for i in range(500): — stopped after 1.5 s of processor time")
               for text in report.top_level)


def test_input_at_the_top_is_a_clear_finding_and_the_check_goes_on(tmp_path, reference):
    report = check_file(students.write("input", tmp_path), reference=reference)
    assert report.all_match
    assert report.top_level == (f"line {students.line_of(students.text('input'), 'input(')}: iterations = "
                                f"int(input(\"How many iterations? \")) — input() waits for someone to type, and "
                                f"nobody can in the check: it raised there; put the value in the code",)


def test_input_in_a_function_is_its_finding(tmp_path, reference):
    path = tmp_path / "asks.py"
    path.write_text(students.text("correct").replace("def ReLU(Z):\n", "def ReLU(Z):\n    input('go on?')\n"))
    report = check_file(path, reference=reference)
    assert report.finding("Z1").verdict == "raised" and "calls input()" in report.finding("Z1").message
    assert report.finding("ReLU").verdict == "raised"
    assert report.finding("dW1").matches


def test_a_top_level_that_cannot_be_stopped_falls_back_to_the_definitions(tmp_path, reference):
    path = tmp_path / "stuck.py"
    path.write_text(students.text("correct").replace(
        "def ReLU(Z):", "import time\nwhile True:\n    try:\n        time.sleep(0.05)\n    except BaseException:\n"
                        "        pass\n\n\ndef ReLU(Z):"))
    report = check_file(path, reference=reference, timeout=1.0)
    assert report.all_match
    assert report.top_level[0].startswith("your top level did not finish in 1 s at your file's line ")
    assert "the check started again and ran only your definitions, imports and constants" in report.top_level[0]


def test_the_stand_in_pandas_reads_kaggles_csv(tmp_path):
    (tmp_path / "t.csv").write_text("label,pixel0,pixel1\n3,0,255\n7,12,0\n")
    frame = read_csv(tmp_path / "t.csv")
    assert frame.shape == (2, 3) and frame.columns == ["label", "pixel0", "pixel1"]
    assert np.array(frame).tolist() == [[3, 0, 255], [7, 12, 0]]
    assert frame["label"].values.tolist() == [3, 7] and frame.drop("label", axis=1).shape == (2, 2)
    with pytest.raises(AttributeError, match="stand-in for pandas"):
        frame.pivot_table
