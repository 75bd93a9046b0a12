"""Session files: a whole training run saved to one `.npz` and reopened exactly where it was.

A session holds what a Stepper needs to go on bit for bit as if it had never stopped: the configuration,
the position (iteration and phases done), the learning-rate schedule, the curves, and the training states
(parameters plus the optimizer's memory) that the rewind history keeps — its keyframes and its recent states,
the current one among them (keyframes the memory budget dropped are gone: meta["rewindable_from"] says how
far back the reopened run can step). The arrays of the phase in progress are not stored: they are recomputed
from the current state, as stepping back does. The dataset is stored by name (its spec) with the options that
split it, plus a fingerprint, so reopening loads the same examples or says why it cannot.

Layout: `meta` (JSON text: format, version, config, dataset, position, history bookkeeping, the caller's
extra settings), `curves` (3, n) loss / train accuracy / dev accuracy, `alpha_iterations` and `alpha_values`
(the schedule), and one array per state and name, e.g. `state_500_W1`, `state_500_v_W1`, `state_500_t`. The curves
hold every iteration, or, for a run longer than its history, every `curve_stride`-th before `curve_exact_from`
(meta's history; a file without them holds every iteration).
"""
from __future__ import annotations

import json
import math
import os
import zlib
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np

from . import network, optimizers
from .checkpoints import META_KEY, CheckpointError, not_finite, open_archive, read_meta, write_npz
from .config import LARGEST_HIDDEN, ConfigError, TrainingConfig
from .data import DataError, Split
from .history import Curves, History, TrainingState
from .reading import ArrayHeader, NpzArchive, shown
from .stepper import PHASES, Stepper

FORMAT = "backprop-visualizer session"
VERSION = 1
CURVES_KEY = "curves"
ALPHA_ITERATIONS_KEY = "alpha_iterations"
ALPHA_VALUES_KEY = "alpha_values"

# Reads a dataset spec (as saved) and returns the split: (spec, the extra settings saved with the session,
# the configuration, whose dtype the split must use).
SplitLoader = Callable[[str, Mapping[str, Any], TrainingConfig], Split]


# ---------------------------------------------------------------- saving

def save_session(path: str | os.PathLike, stepper: Stepper, dataset_spec: str,
                 extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Write the whole run to path atomically (an earlier file stays whole until the new one is complete).

    extra is stored as given (JSON): the caller's settings, e.g. how the data were split. Returns the meta.
    """
    path = Path(path)
    history = stepper.history
    states = _states_to_save(stepper)
    arrays: dict[str, np.ndarray] = {}
    for state in states.values():
        for name, value in _state_arrays(state).items():
            if problem := not_finite(name, value):
                raise CheckpointError(f"{path}: not saved: at iteration {state.iteration} {problem}")
            arrays[_key(state.iteration, name)] = np.asarray(value)
    arrays[CURVES_KEY] = history.curves.points()
    arrays[ALPHA_ITERATIONS_KEY] = np.array([start for start, _ in history.alphas], dtype=np.int64)
    arrays[ALPHA_VALUES_KEY] = np.array([alpha for _, alpha in history.alphas], dtype=np.float64)
    meta = {
        "format": FORMAT,
        "version": VERSION,
        "config": stepper.config.as_dict(),
        "dataset": dataset_spec,
        "data": _fingerprint(stepper.split),
        "iteration": stepper.iteration,
        "phases_done": stepper.phases_done,
        "rewindable_from": history.earliest,
        "history": {
            "start": history.start,
            "latest": history.latest,
            "budget_bytes": history.budget_bytes,
            "keyframe_every": history.keyframe_every,
            "recent_size": history.recent_size,
            "keyframes": list(history.keyframes),
            "recent": list(history.recent),          # oldest use first: the order in which they are forgotten
            "curve_stride": history.curves.stride,
            "curve_exact_from": history.curves.exact_from,
        },
        "extra": dict(extra or {}),
    }
    try:
        arrays[META_KEY] = np.array(json.dumps(meta, sort_keys=True, allow_nan=False))
    except (TypeError, ValueError) as error:
        raise CheckpointError(f"{path}: the settings cannot be stored as JSON ({error})") from None
    write_npz(path, arrays, "session.npz")
    return meta


def _states_to_save(stepper: Stepper) -> dict[int, TrainingState]:
    """Every state the history holds, and the current one (which is where the reopened run starts)."""
    history = stepper.history
    states = {**history.keyframes, **history.recent}
    states[stepper.state.iteration] = stepper.state
    return dict(sorted(states.items()))


def _state_arrays(state: TrainingState) -> dict[str, np.ndarray]:
    return {**state.params, **state.optimizer}


def _key(iteration: int, name: str) -> str:
    return f"state_{iteration}_{name}"


def _fingerprint(split: Split) -> dict[str, Any]:
    """Sizes and a checksum of the labels and a sample of pixels: enough to notice other data under the same name."""
    step = max(1, split.train_size // 256)
    checksum = 0
    for part in (split.labels_train.astype(np.int64), split.labels_dev.astype(np.int64),
                 np.ascontiguousarray(split.X_train[:, ::step], dtype=np.float32)):
        checksum = zlib.crc32(part.tobytes(), checksum)
    return {"train_size": split.train_size, "dev_size": split.dev_size, "checksum": checksum}


# ---------------------------------------------------------------- loading

LARGEST_META = 4 << 20              # characters of meta: the history's lists of iterations make up most of it
SESSION_MEMBERS = 200_000           # arrays: a 64 MiB history of 784-1-10 Adam states holds about 90,000
LARGEST_BUDGET = 1 << 30            # bytes of history (the window's is 64 MiB)
LARGEST_RECENT = 1024               # recent states kept (the window keeps 32)
LARGEST_ITERATION = 2**31 - 1       # the window's timeline is a 32-bit slider


def load_session(path: str | os.PathLike, split_loader: SplitLoader, largest_hidden: int = LARGEST_HIDDEN
                 ) -> tuple[Stepper, dict[str, Any]]:
    """A new Stepper at the saved position, continuing bit for bit; and the session's meta.

    Raises CheckpointError (the file and what is wrong with it) or DataError (the dataset cannot be loaded,
    or is not the one the session was trained on); nothing outside the new Stepper is touched. Every value of the
    meta is checked, and the arrays it implies are bounded by its history's budget and by largest_hidden, before
    any array is read.
    """
    path = Path(path)
    with open_archive(path, "session file", SESSION_MEMBERS) as archive:
        meta = _read_meta(path, archive)
        config = _config(path, meta, largest_hidden)
        history = _history(path, meta)
        template = _template(config)
        _check_size(path, history, template)
        states, curves, alphas = _read_contents(path, archive, history, template)
    split = _load_data(path, meta, config, split_loader)
    stepper = _rebuild(path, history, config, split, states, curves, alphas)
    return stepper, meta


def read_extra(path: str | os.PathLike) -> dict[str, Any]:
    """The extra settings saved with a session (the caller's, as save_session was given them), without reading
    its arrays; CheckpointError when path is not a session file."""
    path = Path(path)
    with open_archive(path, "session file", SESSION_MEMBERS) as archive:
        return _read_meta(path, archive)["extra"]


def _read_meta(path: Path, archive: NpzArchive) -> dict[str, Any]:
    if META_KEY not in archive.names:
        hint = " (it looks like a weights file: use Open weights)" if "W1" in archive.names else ""
        raise CheckpointError(f"{path}: has no meta, so it is not a session file{hint}")
    meta = read_meta(path, archive, LARGEST_META)
    if meta.get("format") != FORMAT:
        raise CheckpointError(f"{path}: not a session file (its meta does not say {FORMAT!r}); "
                              f"a weights file opens with Open weights")
    if meta.get("version") != VERSION or isinstance(meta.get("version"), bool):
        raise CheckpointError(f"{path}: session format version {shown(meta.get('version'))}; this program reads "
                              f"version {VERSION} (the file was saved by another version of the program)")
    for name, kind in (("dataset", str), ("extra", dict), ("data", dict)):
        _field(path, meta, name, kind)
    if not 0 < len(meta["dataset"]) <= 4096 or "\0" in meta["dataset"]:
        raise CheckpointError(f"{path}: meta's dataset {shown(meta['dataset'])} is not a dataset's name")
    for name in ("train_size", "dev_size", "checksum"):
        _whole(path, meta["data"], name, 0, 2**63, "meta's data")
    return meta


def _field(path: Path, meta: Mapping[str, Any], name: str, kind: type) -> Any:
    value = meta.get(name)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise CheckpointError(f"{path}: meta has no valid {name!r} (found {shown(value)})")
    return value


def _whole(path: Path, mapping: Mapping[str, Any], name: str, low: int, high: int, where: str = "meta") -> int:
    """mapping[name], if it is a whole number from low to high."""
    value = mapping.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise CheckpointError(f"{path}: {where}'s {name} must be a whole number from {low:,} to {high:,}, "
                              f"not {shown(value)}")
    return value


def _config(path: Path, meta: Mapping[str, Any], largest_hidden: int) -> TrainingConfig:
    settings = _field(path, meta, "config", dict)
    try:
        config = TrainingConfig(**settings)
    except (TypeError, ConfigError) as error:
        raise CheckpointError(f"{path}: the saved configuration is not usable ({error})") from None
    if config.hidden > largest_hidden:
        raise CheckpointError(f"{path}: its network has {config.hidden:,} hidden units; at most "
                              f"{largest_hidden:,} can be used here")
    return config


@dataclass(frozen=True)
class _SavedHistory:
    """The history's bookkeeping from the meta, every value checked."""
    start: int
    latest: int
    budget_bytes: int
    keyframe_every: int
    recent_size: int
    keyframes: list[int]
    recent: list[int]           # oldest use first: the order in which they are forgotten
    iteration: int
    phases_done: int
    curve_stride: int = 1       # the curves' layout (core.history.Curves): every iteration unless the run was long
    curve_exact_from: int = 0

    @property
    def curve_points(self) -> int:
        """The columns of the curves: every stride-th iteration before exact_from, then every one."""
        return -(-self.curve_exact_from // self.curve_stride) + self.latest - self.start - self.curve_exact_from

    @property
    def stored(self) -> list[int]:
        """The iterations whose states the file holds."""
        return sorted({*self.keyframes, *self.recent, self.iteration})


def _history(path: Path, meta: Mapping[str, Any]) -> _SavedHistory:
    saved = _field(path, meta, "history", dict)
    start = _whole(path, saved, "start", 0, LARGEST_ITERATION, "meta's history")
    latest = _whole(path, saved, "latest", start, LARGEST_ITERATION, "meta's history")
    budget = _whole(path, saved, "budget_bytes", 1, LARGEST_BUDGET, "meta's history")
    keyframe_every = _whole(path, saved, "keyframe_every", 1, LARGEST_ITERATION, "meta's history")
    recent_size = _whole(path, saved, "recent_size", 1, LARGEST_RECENT, "meta's history")
    keyframes = _iterations(path, saved.get("keyframes"), "keyframe", start, latest, latest - start + 1)
    recent = _iterations(path, saved.get("recent"), "recent", start, latest, recent_size)
    if keyframes != sorted(set(keyframes)) or len(set(recent)) != len(recent):
        raise CheckpointError(f"{path}: meta's history lists an iteration twice, or its keyframes out of order")
    iteration = _whole(path, meta, "iteration", keyframes[0], latest)
    phases_done = _whole(path, meta, "phases_done", 0, len(PHASES) - 1)
    if meta.get("rewindable_from") != keyframes[0]:
        raise CheckpointError(f"{path}: meta's rewindable_from {shown(meta.get('rewindable_from'))} is not its "
                              f"first keyframe {keyframes[0]}")
    # Written since the curves of long runs are thinned; absent, every iteration is there.
    stride = _whole(path, {"curve_stride": 1, **saved}, "curve_stride", 1, LARGEST_ITERATION + 1, "meta's history")
    if stride & (stride - 1):
        raise CheckpointError(f"{path}: meta's history's curve_stride must be a power of two, not {stride:,}")
    exact_from = _whole(path, {"curve_exact_from": 0, **saved}, "curve_exact_from", 0, latest - start,
                        "meta's history")
    return _SavedHistory(start, latest, budget, keyframe_every, recent_size, keyframes, recent, iteration,
                         phases_done, stride, exact_from)


def _iterations(path: Path, values: Any, name: str, start: int, latest: int, most: int) -> list[int]:
    if not isinstance(values, list) or not 0 < len(values) <= most or not all(
            isinstance(v, int) and not isinstance(v, bool) and start <= v <= latest for v in values):
        raise CheckpointError(f"{path}: meta's history has no valid list of {name} iterations (1 to {most:,} "
                              f"iterations from {start:,} to {latest:,})")
    return values


def _template(config: TrainingConfig) -> dict[str, np.ndarray]:
    """Arrays of the shapes and dtypes one state of this configuration has (zeros; only their form is used)."""
    dtype = np.dtype(config.dtype)
    params = {name: np.zeros(shape, dtype) for name, shape in network.parameter_shapes(config.hidden).items()}
    return {**params, **optimizers.initial_state(config.optimizer, params)}


def _check_size(path: Path, history: _SavedHistory, template: Mapping[str, np.ndarray]) -> None:
    """The states and curves the meta promises must fit what its history could have held: the budget (curves
    included, and twice it for a run so long that its curves alone outgrew it), plus the recent states, the
    current one and a keyframe, which the history keeps whatever the budget."""
    state_bytes = sum(form.nbytes for form in template.values())
    points = history.curve_points
    promised = len(history.stored) * state_bytes + 3 * 8 * points
    most = 2 * history.budget_bytes + (history.recent_size + 2) * state_bytes
    if promised > most:
        raise CheckpointError(f"{path}: its meta promises {len(history.stored):,} states and {points:,} points of "
                              f"curves ({promised:,} bytes); a history of {history.budget_bytes:,} bytes holds at "
                              f"most {most:,}")


def _read_contents(path: Path, archive: NpzArchive, history: _SavedHistory, template: Mapping[str, np.ndarray]
                   ) -> tuple[dict[int, TrainingState], np.ndarray, list[tuple[int, float]]]:
    """The states, curves and learning-rate schedule, each array's header checked against the meta and the
    configuration before it is read."""
    expected = {_key(i, name) for i in history.stored for name in template}
    expected |= {CURVES_KEY, ALPHA_ITERATIONS_KEY, ALPHA_VALUES_KEY, META_KEY}
    present = set(archive.names)
    missing, unexpected = sorted(expected - present), sorted(present - expected)
    if missing or unexpected:
        parts = ([f"missing {_listed(missing)}"] if missing else []) + \
                ([f"unexpected {_listed(unexpected)}"] if unexpected else [])
        raise CheckpointError(f"{path}: the arrays do not match its meta: {'; '.join(parts)}")
    states = {i: _state(path, archive, i, template) for i in history.stored}
    points = history.curve_points
    curves = _read(path, archive, CURVES_KEY, (3, points), "f", "the curves",
                   f"3 rows (loss, train and dev accuracy) of {points} points")
    alphas = _alphas(path, archive, history)
    return states, _checked_curves(path, curves), alphas


def _read(path: Path, archive: NpzArchive, key: str, shape: tuple[int, ...], kinds: str, what: str,
          needed: str) -> np.ndarray:
    """An array whose header must declare this shape and a dtype of these kinds (at most 8 bytes a number)."""
    def check(header: ArrayHeader) -> None:
        if header.shape != shape or header.dtype.kind not in kinds or header.dtype.itemsize > 8:
            raise CheckpointError(f"{path}: {what} are a {header.dtype} array of shape {header.shape}; "
                                  f"expected {needed}")

    return archive.read(key, math.prod(shape) * 8, check)


def _listed(names: list[str]) -> str:
    return ", ".join(names[:4]) + (f" and {len(names) - 4} more" if len(names) > 4 else "")


def _state(path: Path, archive: NpzArchive, iteration: int, template: Mapping[str, np.ndarray]) -> TrainingState:
    values = {}
    for name, form in template.items():
        def check(header: ArrayHeader, name: str = name, form: np.ndarray = form) -> None:
            if header.shape != form.shape or header.dtype != form.dtype:
                raise CheckpointError(f"{path}: {name} of iteration {iteration} is a {header.dtype} array of shape "
                                      f"{header.shape}; the configuration needs {form.dtype} of shape {form.shape}")

        value = archive.read(_key(iteration, name), form.nbytes, check)
        if problem := not_finite(name, value):
            raise CheckpointError(f"{path}: at iteration {iteration} {problem}; the session is broken")
        value.flags.writeable = False
        values[name] = value
    params = {name: values.pop(name) for name in network.PARAMETERS}
    return TrainingState(iteration, params, values)


def _checked_curves(path: Path, curves: np.ndarray) -> np.ndarray:
    # The dev row is NaN without a dev set; loss and train accuracy were finite when recorded.
    if problem := not_finite("the loss or train accuracy curve", curves[:2]):
        raise CheckpointError(f"{path}: {problem}; the session is broken")
    loss, train, dev = curves
    dev = dev[~np.isnan(dev)]
    if np.any(loss < 0) or np.any((train < 0) | (train > 1)) or np.any((dev < 0) | (dev > 1)):
        raise CheckpointError(f"{path}: the curves hold a negative loss or an accuracy outside [0, 1]; "
                              "the session is broken")
    return curves.astype(np.float64)


def _alphas(path: Path, archive: NpzArchive, history: _SavedHistory) -> list[tuple[int, float]]:
    broken = CheckpointError(f"{path}: the learning-rate schedule is broken (it needs increasing iterations "
                             f"from {history.start} to at most {history.latest} with positive finite rates)")
    count = archive.header(ALPHA_ITERATIONS_KEY).shape
    if len(count) != 1 or not 0 < count[0] <= history.latest - history.start + 1:
        raise broken
    iterations = _read(path, archive, ALPHA_ITERATIONS_KEY, count, "iu", "the schedule's iterations",
                       f"{count[0]} whole numbers")
    values = _read(path, archive, ALPHA_VALUES_KEY, count, "f", "the schedule's rates", f"{count[0]} numbers")
    if (int(iterations[0]) != history.start or np.any(np.diff(iterations) <= 0)
            or int(iterations[-1]) > history.latest or not np.all(np.isfinite(values) & (values > 0))):
        raise broken
    return [(int(i), float(a)) for i, a in zip(iterations, values)]


def _load_data(path: Path, meta: Mapping[str, Any], config: TrainingConfig, split_loader: SplitLoader) -> Split:
    spec, saved = meta["dataset"], meta["data"]
    try:
        split = split_loader(spec, meta["extra"], config)
    except DataError as error:
        raise DataError(f"{path}: the session's dataset {spec} cannot be loaded: {error}") from None
    found = _fingerprint(split)
    if found != saved:
        raise DataError(f"{path}: the dataset {spec} is not the one this session was trained on "
                        f"({found['train_size']:,} training and {found['dev_size']:,} dev examples now, "
                        f"{saved['train_size']} and {saved['dev_size']} then"
                        f"{', and other images or labels' if found['train_size'] == saved['train_size'] else ''})")
    return split


def _rebuild(path: Path, saved: _SavedHistory, config: TrainingConfig, split: Split,
             states: Mapping[int, TrainingState], curves: np.ndarray, alphas: list[tuple[int, float]]) -> Stepper:
    iteration = saved.iteration
    stepper = Stepper(split, config, states[iteration].params, history_budget_bytes=saved.budget_bytes,
                      keyframe_every=saved.keyframe_every)
    history = History(states[saved.keyframes[0]], alphas[0][1], budget_bytes=saved.budget_bytes,
                      keyframe_every=saved.keyframe_every, recent=saved.recent_size)
    history.start = saved.start
    history.keyframes = OrderedDict((i, states[i]) for i in saved.keyframes)
    # The current state is used last: append it so it is the last to be forgotten, as it was when saved.
    order = [i for i in saved.recent if i != iteration] + [iteration]
    history.recent = OrderedDict((i, states[i]) for i in order)
    history.alphas = alphas
    history.curves = Curves.restore(curves, saved.curve_stride, saved.curve_exact_from, saved.latest - saved.start)
    history.latest = saved.latest
    history.fit_budget()        # a file of an earlier version may hold more curve points than the budget allows
    stepper.history = history
    stepper.state = states[iteration]
    try:
        # As the timeline's seek: the update that led here is shown, then the phases done are recomputed.
        stepper.seek(iteration)
        for _ in range(saved.phases_done):
            stepper.step_phase()
    except (IndexError, ArithmeticError) as error:
        raise CheckpointError(f"{path}: the saved position cannot be recomputed ({error})") from None
    return stepper
