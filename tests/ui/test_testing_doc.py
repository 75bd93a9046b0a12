"""docs/TESTING.md is the contract the UI tests rely on: every objectName it lists is one in the real window."""
from __future__ import annotations

import re
from pathlib import Path

from PyQt6.QtCore import QObject

DOC = Path(__file__).resolve().parents[2] / "docs" / "TESTING.md"
NAME = re.compile(r"`([a-z][a-z0-9]*[A-Z][A-Za-z0-9]*)`")
NOT_OBJECT_NAMES = {"closeEvent", "getSaveFileName", "getOpenFileName", "getExistingDirectory", "dW1",
                    "snapshotReady"}


def test_every_object_name_in_the_testing_doc_is_in_the_window(qtbot, window):
    names = set(NAME.findall(DOC.read_text(encoding="utf-8"))) - NOT_OBJECT_NAMES
    assert len(names) > 100
    classroom = window.classroom
    for panel in (classroom.neuron, classroom.draw_pad, classroom.race, window.bug_lab, window.check_code):
        assert panel is not None                                            # (built when first shown)
    missing = sorted(name for name in names if window.findChild(QObject, name) is None)
    assert missing == []
