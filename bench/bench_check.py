"""How long Check my code takes to give each verdict, against the 60 s it may take on a 2-core machine.

    python bench/bench_check.py            # one run of each learner file, with the default time limit (10 s)

The files are the tests' own (tests/fixtures): the published Kaggle notebook as .ipynb (with the pandas and
matplotlib installed here, if they are), its nbconvert export with the stand-ins (as without them), and
student files with a hanging function, a hang that swallows the interruption, and a crash. Each line: the
seconds of one verdict and its share of the 60 s budget; all are measured in this one run.
"""
from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from core import check  # noqa: E402
from fixtures import notebook, students  # noqa: E402

BUDGET = 60.0


def main() -> None:
    reference = check.make_reference()
    folder = Path(tempfile.mkdtemp(prefix="bench-check-"))
    cases = [
        ("published notebook (.ipynb)", ROOT / "tests" / "fixtures" / "simple_mnist_nn.ipynb", False),
        ("nbconvert export, stand-ins", notebook.write_export(folder / "export.py", before=["%matplotlib inline"]),
         True),
        ("correct .py", students.write("correct", folder), False),
        ("forward_prop hangs", students.write("slow", folder), False),
        ("a hang that swallows the stop", students.write("stubborn", folder), False),
        ("init_params hangs", students.write("slow_init", folder), False),
        ("update_params segfaults", students.write("segfault", folder), False),
    ]
    print(f"{'learner file':<32} {'seconds':>8} {'of 60 s':>8}  verdict")
    for name, path, stand_ins in cases:
        start = time.perf_counter()
        report = check.check_file(path, reference=reference, stand_ins=stand_ins)
        seconds = time.perf_counter() - start
        print(f"{name:<32} {seconds:8.1f} {seconds / BUDGET:8.0%}  {report.summary()}")


if __name__ == "__main__":
    main()
