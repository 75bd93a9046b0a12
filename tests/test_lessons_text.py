"""The guided lesson's texts (visualizer/assets/lessons/*.md): each parses, tells the story in order, fits a projector and
says exactly what core/network.py computes, with the real shapes once filled in."""
from __future__ import annotations

import re

import pytest

from core import network
from core.config import TrainingConfig
from core.stepper import Stepper
from visualizer.snapshot import ExampleSelection, make_snapshot
from visualizer.views.lesson import (LESSONS, PARTS, PHASES, SYMBOLS, LessonError, fill, load_lessons, parse_lesson,
                                     placeholder_values)

MAX_WORDS = 120         # body and question together: what a projector shows at once
LESSONS_LOADED = load_lessons()


def words(text: str) -> int:
    return len(text.split())


def squeezed(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("**", ""))


def test_twelve_to_sixteen_steps_named_so_they_sort():
    names = [path.stem for path in sorted(LESSONS.glob("*.md"))]
    assert 12 <= len(LESSONS_LOADED) <= 16
    assert [lesson.name for lesson in LESSONS_LOADED] == names
    assert all(re.fullmatch(r"\d\d-[a-z0-9-]+", name) for name in names)


@pytest.mark.parametrize("lesson", LESSONS_LOADED, ids=lambda lesson: lesson.name)
def test_each_step_is_valid_short_and_has_a_question_with_an_answer(lesson):
    assert lesson.phase in PHASES
    assert lesson.parts and lesson.parts <= PARTS
    assert lesson.title and lesson.question.strip() and lesson.answer.strip()
    assert "?" in lesson.question
    assert words(lesson.body) + words(lesson.question) <= MAX_WORDS
    assert lesson.placeholders <= set(SYMBOLS), "a placeholder the panel cannot fill"


def test_the_story_runs_in_the_order_of_the_computation():
    phases = [lesson.phase for lesson in LESSONS_LOADED if lesson.phase is not None]
    assert phases == [*network.PHASES, "loop", "predict", "mistake"]
    assert LESSONS_LOADED[0].phase is None and "255" in LESSONS_LOADED[0].body


@pytest.mark.parametrize("phase", network.PHASES)
def test_each_phase_step_states_the_equation_core_computes(phase):
    lesson = next(lesson for lesson in LESSONS_LOADED if lesson.phase == phase)
    assert squeezed(network.EQUATIONS[phase]) in squeezed(lesson.body)


def test_filled_in_shapes_are_the_shapes_of_the_real_arrays(tiny_split):
    stepper = Stepper(tiny_split, TrainingConfig(hidden=7, batch_size=32))
    for phase in network.PHASES[:-1]:
        stepper.step_phase()
        snapshot = make_snapshot(stepper, ExampleSelection())
        lesson = next(lesson for lesson in LESSONS_LOADED if lesson.phase == phase)
        text = fill(lesson.body, placeholder_values(snapshot, lesson.placeholders))
        rows, columns = stepper.record.arrays[phase].shape
        assert f"({rows}, {columns})" in text, phase
        assert "{" not in text


def test_placeholders_read_the_snapshot(tiny_split):
    stepper = Stepper(tiny_split, TrainingConfig(hidden=7, alpha=0.25, activation="tanh"))
    snapshot = make_snapshot(stepper, ExampleSelection("train", 5))
    values = placeholder_values(snapshot, SYMBOLS)
    assert values["m"] == values["train_size"] == str(tiny_split.train_size)     # full batch before any phase
    assert values["H"] == "7" and values["alpha"] == "0.25" and values["g"] == "tanh"
    assert values["parameters"] == f"{784 * 7 + 7 + 10 * 7 + 10:,}"
    assert values["label"] == tiny_split.class_names[snapshot.example.label]
    assert placeholder_values(None, ["m", "H"]) == {"m": "m", "H": "H"}


@pytest.mark.parametrize("text, problem", [
    ("# Title\nbody\n## Check yourself\nq?\n### Answer\na", "first line"),
    ("<!-- phase: Z9; parts: input -->\n# T\nb\n## Check yourself\nq?\n### Answer\na", "unknown phase"),
    ("<!-- phase: Z1; parts: input bias -->\n# T\nb\n## Check yourself\nq?\n### Answer\na", "not parts"),
    ("<!-- phase: Z1; parts: input -->\n# T\nbody only", "Check yourself"),
    ("<!-- phase: Z1; parts: input -->\n# T\nb\n## Check yourself\nq?\n### Answer\n", "line 6: the answer .* empty"),
    ("<!-- phase: Z1; parts: input -->\n# T\nb\n## Check yourself\n\n### Answer\na", "line 4: the question"),
    ("<!-- phase: Z1; parts: input -->\n# T\nb\n## Check yourself\nq?\n### Answer\na\n## Predict\nWhich?\nA) 1\n"
     "B) 2\nC) 3\nD) 4", "line 8: .* 'Answer: A'"),
    ("<!-- phase: Z1; parts: input -->\n# T\nb\n## Check yourself\nq?\n### Answer\na\n## Predict\nWhich?\nA) 1\n"
     "C) 2\n", "line 11: options must be A"),
])
def test_a_malformed_lesson_is_refused_with_what_is_wrong(text, problem):
    with pytest.raises(LessonError, match=problem):
        parse_lesson(text, "99-broken")


def test_the_examples_in_docs_lessons_md_are_valid_lesson_files():
    """docs/LESSONS.md's step file and setup files parse as written, with what the page says they hold."""
    from pathlib import Path

    from visualizer.lesson_format import parse_setup

    doc = (Path(__file__).resolve().parents[1] / "docs" / "LESSONS.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```(markdown|text)\n(.*?)```", doc, flags=re.DOTALL)
    steps = [text for kind, text in blocks if kind == "markdown"]
    setups = [text for kind, text in blocks if kind == "text"]
    assert len(steps) == 2 and len(setups) == 2
    switching, first = (parse_lesson(text, name) for text, name in zip(steps, ("02-a1", "01-z1")))
    assert switching.phase == "A1" and switching.prediction.answer == 1 and switching.prediction.why
    assert first.phase == "Z1" and first.prediction is None
    full, small = (parse_setup(text) for text in setups)
    assert full.dataset == "mnist-sample" and full.config["seed"] == 7 and full.iterations == 50
    assert full.predict is True and full.hidden == ("matricesDock", "evaluationDock")
    assert full.locked == ("configuration", "files")
    assert small.config == {"seed": 3} and small.predict is True and small.hidden == ("matricesDock",)
