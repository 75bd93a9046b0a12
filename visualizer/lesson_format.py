"""The lesson format (docs/LESSONS.md): a folder of Markdown step files, sorted by name, and an optional setup
file. The built-in lesson (visualizer/assets/lessons/) is one such folder; a teacher's is another.

A step file:

    <!-- phase: Z1; parts: input W1 b1 hidden -->
    # Title
    The body, Markdown, with placeholders such as {m} and {H}.
    ## Check yourself
    A question?
    ### Answer
    Its answer.
    ## Predict                      (optional: predict mode asks this instead of a question of its own)
    The question?
    A) one option
    B) another
    C) …
    D) …
    Answer: B
    Why: one sentence.             (optional)

The setup file, setup.txt, has one "name: value" a line (# starts a comment); see SETUP_NAMES.

Nothing here imports Qt: a lesson is parsed, checked and carried (inside a session file, as JSON text) as plain
data. Every error names the file and the line.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Mapping

from core import network
from core.config import ConfigError, TrainingConfig

from .phases import DIAGRAM_PARTS

if TYPE_CHECKING:
    from importlib.abc import Traversable

PARTS: frozenset[str] = DIAGRAM_PARTS
PHASES: tuple[str | None, ...] = (None, *network.PHASES, "loop", "predict", "mistake")
SHORT = re.compile(r"<!--\s*short:\s*(.*?)\s*-->", re.DOTALL)
FRONT_MATTER = re.compile(r"<!--\s*phase:\s*(?P<phase>[\w-]+)\s*;\s*parts:\s*(?P<parts>[^>]*?)\s*-->")
CHECK_HEADING = "## Check yourself"
ANSWER_HEADING = "### Answer"
PREDICT_HEADING = "## Predict"
SETUP_FILE = "setup.txt"
OPTION = re.compile(r"([A-D])\)\s+(.+)")
LETTERS = "ABCD"
SHORT_WORDS = 6             # the caption's short form: the paragraphs of at least this many words …
SHORT_SENTENCES = 2         # … cut after this many sentences …
SHORT_MOST = 40             # … and (past the first) this many words

# The setup file's names: what each fixes. Panels and controls by the names a teacher sees.
PANELS: Mapping[str, str] = {"input": "inputDock", "configuration": "configDock", "values": "valuesDock",
                             "curves": "curvesDock", "matrices": "matricesDock", "evaluation": "evaluationDock"}
CONTROLS: Mapping[str, tuple[str, ...]] = {
    "configuration": ("@config",), "files": ("openDataset", "openWeights", "openSession"),
    "reset": ("reset",), "timeline": ("@timeline",), "labs": ("bugLab", "checkCode"),
}
CONFIG_NAMES: Mapping[str, tuple[str, type]] = {
    "hidden": ("hidden", int), "activation": ("activation", str), "init": ("init", str),
    "optimizer": ("optimizer", str), "alpha": ("alpha", float), "batch size": ("batch_size", int),
    "seed": ("seed", int),
}
SETUP_NAMES = ("dataset", *CONFIG_NAMES, "iterations before", "predict mode", "hide", "lock")


class LessonError(ValueError):
    """A lesson file that does not follow the format; the message names the file, the line and what is wrong."""


@dataclass(frozen=True)
class OwnQuestion:
    """A step's own prediction question, asked in predict mode instead of one made from the arrays."""
    text: str
    options: tuple[str, ...]        # four, A–D
    answer: int                     # 0–3
    why: str


@dataclass(frozen=True)
class Lesson:
    name: str                   # the file's stem, e.g. "03-z1"
    title: str
    phase: str | None           # None, one of network.PHASES, "loop", "predict" or "mistake"
    parts: frozenset[str]       # the diagram parts it talks about
    body: str                   # Markdown, with placeholders
    question: str
    answer: str
    prediction: OwnQuestion | None = None
    caption: str = ""           # the short form the file gives (<!-- short: … -->), else made from the body

    @property
    def placeholders(self) -> frozenset[str]:
        return frozenset(PLACEHOLDER.findall(self.title + self.body + self.question + self.answer))

    @property
    def short(self) -> str:
        """The body in a sentence or two, for the presenter's caption: its first sentences in words (a paragraph
        that is only an equation or a shape is on screen in the equation header already), plain text."""
        if self.caption:
            return self.caption
        paragraphs = [plain(p) for p in re.split(r"\n\s*\n", self.body) if p.strip()]
        worded = [p for p in paragraphs if len(re.findall(r"[A-Za-z]{2,}", p)) >= SHORT_WORDS] or paragraphs or [""]
        sentences = re.split(r"(?<=[.!?])\s+", " ".join(worded))
        kept = sentences[:1]            # whole sentences: the first, and the next while they stay short
        for sentence in sentences[1:SHORT_SENTENCES]:
            if len(" ".join([*kept, sentence]).split()) > SHORT_MOST:
                break
            kept.append(sentence)
        return " ".join(kept)


PLACEHOLDER = re.compile(r"\{(\w+)\}")


def plain(markdown: str) -> str:
    """Markdown as one line of text: no emphasis marks, no list bullets, single spaces."""
    text = re.sub(r"^\s*[-*]\s+", "", markdown, flags=re.MULTILINE)
    return " ".join(text.replace("**", "").replace("`", "").split())


@dataclass(frozen=True)
class Setup:
    """What a lesson's setup file fixes; None / empty: as the window is."""
    dataset: str | None = None
    config: Mapping[str, object] = field(default_factory=dict)     # TrainingConfig fields
    iterations: int = 0                                             # run before step 1
    predict: bool | None = None
    hidden: tuple[str, ...] = ()                                    # dock names (PANELS' values)
    locked: tuple[str, ...] = ()                                    # CONTROLS' keys

    @property
    def changes_run(self) -> bool:
        return self.dataset is not None or bool(self.config) or self.iterations > 0


@dataclass(frozen=True)
class LessonSet:
    """A whole lesson: its steps in order, its setup, and its files' text (what a session file carries)."""
    name: str
    lessons: tuple[Lesson, ...]
    setup: Setup
    files: Mapping[str, str]            # file name → text, the step files and the setup file
    folder: str | None = None           # where it was read from (None: from a session file)


# ---------------------------------------------------------------- step files

def _sections(lines: list[str]) -> dict[str, tuple[int, list[str]]]:
    """The text under each heading we know (with the line number, from 1, where it starts)."""
    headings = (CHECK_HEADING, ANSWER_HEADING, PREDICT_HEADING)
    sections: dict[str, tuple[int, list[str]]] = {"body": (3, [])}
    current = "body"
    for number, line in enumerate(lines[2:], start=3):
        heading = line.strip()
        if heading in headings:
            current = heading
            sections[current] = (number, [])
        else:
            sections[current][1].append(line)
    return sections


def parse_lesson(text: str, name: str, where: str | None = None) -> Lesson:
    """One step from the text of its file; LessonError "where, line N: what is wrong" (where: the file's path,
    by default its name)."""
    name, where = stem(name), where or name
    lines = text.rstrip().splitlines()
    header = FRONT_MATTER.fullmatch(lines[0].strip().lstrip("\ufeff")) if lines else None
    if header is None:
        raise LessonError(f"{where}, line 1: the first line must be <!-- phase: …; parts: … -->")
    phase = None if header["phase"] == "none" else header["phase"]
    if phase not in PHASES:
        raise LessonError(f"{where}, line 1: unknown phase {header['phase']!r}: use none, "
                          f"{', '.join(network.PHASES)}, loop, predict or mistake")
    parts = frozenset(header["parts"].split())
    if not parts or not parts <= PARTS:
        raise LessonError(f"{where}, line 1: parts {sorted(parts - PARTS) or '(none)'} are not parts of the "
                          f"diagram ({', '.join(sorted(PARTS))})")
    if len(lines) < 2 or not lines[1].startswith("# "):
        raise LessonError(f"{where}, line 2: the second line must be the title, '# …'")
    sections = _sections(lines)
    for heading, after in ((CHECK_HEADING, "the body"), (ANSWER_HEADING, f"'{CHECK_HEADING}'")):
        if heading not in sections:
            raise LessonError(f"{where}, line {len(lines)}: needs a '{heading}' heading after {after}")
    check_line, question = sections[CHECK_HEADING]
    answer_line, answer = sections[ANSWER_HEADING]
    if answer_line < check_line:
        raise LessonError(f"{where}, line {answer_line}: '{ANSWER_HEADING}' must follow '{CHECK_HEADING}'")
    for line, body, what in ((check_line, question, "question"), (answer_line, answer, "answer")):
        if not "\n".join(body).strip():
            raise LessonError(f"{where}, line {line}: the {what} under this heading is empty")
    prediction = None
    if PREDICT_HEADING in sections:
        prediction = _own_question(where, *sections[PREDICT_HEADING])
    body = "\n".join(sections["body"][1]).strip()
    short = SHORT.search(body)
    if short:
        body = (body[:short.start()] + body[short.end():]).strip()
    return Lesson(name, lines[1][2:].strip(), phase, parts, body, "\n".join(question).strip(),
                  "\n".join(answer).strip(), prediction, plain(short[1]) if short else "")


def _own_question(name: str, start: int, lines: list[str]) -> OwnQuestion:
    """The '## Predict' section: the question, options A) … D), "Answer: X" and an optional "Why: …"."""
    text, options, answer, why = [], {}, None, ""
    for number, raw in enumerate(lines, start=start + 1):
        line = raw.strip()
        option = OPTION.fullmatch(line)
        if option:
            letter = option[1]
            if letter in options or letter != LETTERS[len(options)]:
                raise LessonError(f"{name}, line {number}: options must be A), B), C), D) in this order, once each")
            options[letter] = option[2].strip()
        elif line.lower().startswith("answer:"):
            answer = line.split(":", 1)[1].strip().upper()[:1]
            if not answer or answer not in LETTERS:
                raise LessonError(f"{name}, line {number}: 'Answer:' must be followed by A, B, C or D")
        elif line.lower().startswith("why:"):
            why = line.split(":", 1)[1].strip()
        elif line and not options:
            text.append(line)
        elif line:
            raise LessonError(f"{name}, line {number}: after the options only 'Answer: X' and 'Why: …' may follow")
    if not text:
        raise LessonError(f"{name}, line {start}: the prediction question under '{PREDICT_HEADING}' is empty")
    if len(options) != len(LETTERS):
        raise LessonError(f"{name}, line {start}: '{PREDICT_HEADING}' needs four options, A) to D), one a line")
    if len(set(options.values())) != len(LETTERS):
        raise LessonError(f"{name}, line {start}: the four options must differ")
    if answer is None:
        raise LessonError(f"{name}, line {start}: '{PREDICT_HEADING}' needs a line 'Answer: A' (or B, C, D)")
    return OwnQuestion(" ".join(text), tuple(options[letter] for letter in LETTERS), LETTERS.index(answer), why)


# ---------------------------------------------------------------- the setup file

def parse_setup(text: str, name: str = SETUP_FILE) -> Setup:
    """The setup file: "name: value" lines; LessonError "name, line N: what is wrong"."""
    seen: dict[str, object] = {}
    config: dict[str, object] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        key, colon, value = (part.strip() for part in line.partition(":"))
        key = key.lower()
        where = f"{name}, line {number}"
        if not colon or not value:
            raise LessonError(f"{where}: expected 'name: value', e.g. 'hidden: 10'")
        if key not in SETUP_NAMES:
            raise LessonError(f"{where}: unknown setting {key!r}: use {', '.join(SETUP_NAMES)}")
        if key in seen:
            raise LessonError(f"{where}: {key!r} is set twice")
        seen[key] = _setup_value(key, value, where)
        if key in CONFIG_NAMES:
            config[CONFIG_NAMES[key][0]] = seen[key]
    try:
        TrainingConfig(**config)            # every setting checked at once, with the core's own message
    except ConfigError as error:
        raise LessonError(f"{name}: {error}") from None
    return Setup(dataset=seen.get("dataset"), config=config, iterations=seen.get("iterations before", 0),
                 predict=seen.get("predict mode"), hidden=seen.get("hide", ()), locked=seen.get("lock", ()))


def _setup_value(key: str, value: str, where: str) -> object:
    if key == "dataset":
        return value
    if key == "predict mode":
        if value.lower() not in ("on", "off"):
            raise LessonError(f"{where}: predict mode is 'on' or 'off', not {value!r}")
        return value.lower() == "on"
    if key in ("hide", "lock"):
        known = PANELS if key == "hide" else CONTROLS
        names = tuple(item.strip().lower() for item in value.split(","))
        unknown = [item for item in names if item not in known]
        if unknown:
            verb = "hidden" if key == "hide" else "locked"
            raise LessonError(f"{where}: {', '.join(map(repr, unknown))} cannot be {verb}: use {', '.join(known)}")
        return tuple(PANELS[item] for item in names) if key == "hide" else names
    kind = int if key == "iterations before" else CONFIG_NAMES[key][1]
    try:
        number = kind(value)
    except ValueError:
        raise LessonError(f"{where}: {key} must be {'a whole number' if kind is int else 'a number'}, "
                          f"not {value!r}") from None
    if key == "iterations before" and not 0 <= number <= 100_000:
        raise LessonError(f"{where}: iterations before must be from 0 to 100,000, not {value}")
    return number


# ---------------------------------------------------------------- whole lessons

def lesson_from_files(files: Mapping[str, str], name: str, folder: str | None = None) -> LessonSet:
    """A lesson from its files' text (file name → text): the *.md step files sorted by name, and setup.txt."""
    steps = sorted(file for file in files if file.endswith(".md"))
    if not steps:
        raise LessonError(f"{folder or name}: no step files (*.md)")
    where = (lambda file: str(Path(folder) / file)) if folder else (lambda file: file)
    lessons = tuple(parse_lesson(files[file], file, where(file)) for file in steps)
    setup = parse_setup(files[SETUP_FILE], where(SETUP_FILE)) if SETUP_FILE in files else Setup()
    return LessonSet(name, lessons, setup, dict(files), folder)


def read_folder(folder: Path | Traversable) -> dict[str, str]:
    """The text of a lesson folder's files (the step files and the setup file), by name."""
    files = {}
    for path in folder.iterdir():
        if path.name.endswith(".md") or path.name == SETUP_FILE:
            try:
                files[path.name] = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as error:
                raise LessonError(f"{path}: cannot be read as UTF-8 text ({error})") from None
    return files


def load_folder(folder: Path | Traversable) -> LessonSet:
    """The lesson in folder; LessonError naming the file and line of the first problem."""
    if isinstance(folder, Path) and not folder.is_dir():
        raise LessonError(f"{folder}: is not a folder")
    return lesson_from_files(read_folder(folder), folder.name, str(folder))


def load_lessons(folder: Path | Traversable) -> tuple[Lesson, ...]:
    """Every step in folder, in the order of their file names."""
    return load_folder(folder).lessons


def stem(path: str | Path | Traversable) -> str:
    """A file's name without its folder and ending (a Traversable inside a zip has no .stem)."""
    name = path if isinstance(path, str) else path.name
    return re.split(r"[\\/]", name)[-1].rsplit(".", 1)[0]
