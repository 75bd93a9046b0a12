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
(the schedule), and one array per state and name, e.g. `state_500_W1`, `state_500_v_W1`, `state_500_t`.
"""
from __future__ import annotations

import json
import os
import zlib
from collections import OrderedDict
from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np

from . import network, optimizers
from .checkpoints import META_KEY, CheckpointError, _not_finite, _read_array, open_npz, write_npz
from .config import ConfigError, TrainingConfig
from .data import DataError, Split
from .history import History, TrainingState
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
            if problem := _not_finite(name, value):
                raise CheckpointError(f"{path}: not saved: at iteration {state.iteration} {problem}")
            arrays[_key(state.iteration, name)] = np.asarray(value)
    arrays[CURVES_KEY] = np.stack([history.curves.loss, history.curves.train_accuracy, history.curves.dev_accuracy])
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
        },
        "extra": dict(extra or {}),
    }
    try:
        arrays[META_KEY] = np.array(json.dumps(meta, sort_keys=True, allow_nan=False))
    except (TypeError, ValueError) as error:
        raise CheckpointError(f"{path}: the settings cannot be stored as JSON ({error})") from None
    write_npz(path, arrays)
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

def load_session(path: str | os.PathLike, split_loader: SplitLoader) -> tuple[Stepper, dict[str, Any]]:
    """A new Stepper at the saved position, continuing bit for bit; and the session's meta.

    Raises CheckpointError (the file and what is wrong with it) or DataError (the dataset cannot be loaded,
    or is not the one the session was trained on); nothing outside the new Stepper is touched.
    """
    path = Path(path)
    arrays, meta = _read_file(path)
    config = _config(path, meta)
    states, curves, alphas = _checked_contents(path, meta, arrays, config)
    split = _load_data(path, meta, config, split_loader)
    stepper = _rebuild(path, meta, config, split, states, curves, alphas)
    return stepper, meta


def _read_file(path: Path) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Every array of the .npz and its meta, read without pickle."""
    loaded = open_npz(path, "session file")
    with loaded:
        if META_KEY not in loaded.files:
            hint = " (it looks like a weights file: use Open weights)" if "W1" in loaded.files else ""
            raise CheckpointError(f"{path}: has no meta, so it is not a session file{hint}")
        arrays = {name: _read_array(path, loaded, name) for name in loaded.files}
    meta_array = arrays.pop(META_KEY)
    if meta_array.ndim != 0 or meta_array.dtype.kind != "U":
        raise CheckpointError(f"{path}: meta should be JSON text, not a {meta_array.dtype} array "
                              f"of shape {meta_array.shape}")
    try:
        meta = json.loads(str(meta_array))
    except json.JSONDecodeError as error:
        raise CheckpointError(f"{path}: meta is not valid JSON ({error})") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise CheckpointError(f"{path}: not a session file (its meta does not say {FORMAT!r}); "
                              f"a weights file opens with Open weights")
    if meta.get("version") != VERSION:
        raise CheckpointError(f"{path}: session format version {meta.get('version')!r}; this program reads "
                              f"version {VERSION} (the file was saved by another version of the program)")
    return arrays, meta


def _field(path: Path, meta: Mapping[str, Any], name: str, kind: type) -> Any:
    value = meta.get(name)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise CheckpointError(f"{path}: meta has no valid {name!r} (found {value!r})")
    return value


def _config(path: Path, meta: Mapping[str, Any]) -> TrainingConfig:
    settings = _field(path, meta, "config", dict)
    try:
        return TrainingConfig(**settings)
    except (TypeError, ConfigError) as error:
        raise CheckpointError(f"{path}: the saved configuration is not usable ({error})") from None


def _int_list(path: Path, values: Any, name: str) -> list[int]:
    if not isinstance(values, list) or not values or not all(isinstance(v, int) and not isinstance(v, bool)
                                                            for v in values):
        raise CheckpointError(f"{path}: meta's history has no valid list of {name} iterations")
    return values


def _checked_contents(path: Path, meta: Mapping[str, Any], arrays: Mapping[str, np.ndarray],
                      config: TrainingConfig
                      ) -> tuple[dict[int, TrainingState], np.ndarray, list[tuple[int, float]]]:
    """The states, curves and learning-rate schedule, each checked against the meta and the configuration."""
    history = _field(path, meta, "history", dict)
    for name in ("start", "latest", "budget_bytes", "keyframe_every", "recent_size"):
        _field(path, history, name, int)
    start, latest = history["start"], history["latest"]
    iteration, phases_done = _field(path, meta, "iteration", int), _field(path, meta, "phases_done", int)
    keyframes = _int_list(path, history.get("keyframes"), "keyframe")
    recent = _int_list(path, history.get("recent"), "recent")
    stored = sorted({*keyframes, *recent, iteration})
    if not 0 <= start <= stored[0] or stored[-1] > latest or keyframes != sorted(keyframes):
        raise CheckpointError(f"{path}: the history's iterations ({stored[0]}–{stored[-1]}) do not fit "
                              f"its range {start}–{latest}")
    if not keyframes[0] <= iteration <= latest or not 0 <= phases_done < len(PHASES):
        raise CheckpointError(f"{path}: the position (iteration {iteration}, {phases_done} phases done) is "
                              f"outside the saved history {keyframes[0]}–{latest}")
    if history["keyframe_every"] < 1 or history["recent_size"] < 1 or history["budget_bytes"] < 1:
        raise CheckpointError(f"{path}: the history's settings are not positive numbers")

    template = _template(config)
    expected = {_key(i, name) for i in stored for name in template}
    expected |= {CURVES_KEY, ALPHA_ITERATIONS_KEY, ALPHA_VALUES_KEY}
    missing, unexpected = sorted(expected - arrays.keys()), sorted(arrays.keys() - expected)
    if missing or unexpected:
        parts = ([f"missing {_listed(missing)}"] if missing else []) + \
                ([f"unexpected {_listed(unexpected)}"] if unexpected else [])
        raise CheckpointError(f"{path}: the arrays do not match its meta: {'; '.join(parts)}")

    states = {i: _state(path, arrays, i, template) for i in stored}
    curves = _curves(path, arrays[CURVES_KEY], latest - start)
    alphas = _alphas(path, arrays[ALPHA_ITERATIONS_KEY], arrays[ALPHA_VALUES_KEY], start)
    return states, curves, alphas


def _listed(names: list[str]) -> str:
    return ", ".join(names[:4]) + (f" and {len(names) - 4} more" if len(names) > 4 else "")


def _template(config: TrainingConfig) -> dict[str, np.ndarray]:
    """Arrays of the shapes and dtypes one state of this configuration has (zeros; only their form is used)."""
    dtype = np.dtype(config.dtype)
    params = {name: np.zeros(shape, dtype) for name, shape in
              (("W1", (config.hidden, network.INPUTS)), ("b1", (config.hidden, 1)),
               ("W2", (network.OUTPUTS, config.hidden)), ("b2", (network.OUTPUTS, 1)))}
    return {**params, **optimizers.initial_state(config.optimizer, params)}


def _state(path: Path, arrays: Mapping[str, np.ndarray], iteration: int,
           template: Mapping[str, np.ndarray]) -> TrainingState:
    values = {}
    for name, form in template.items():
        value = arrays[_key(iteration, name)]
        if value.shape != form.shape or value.dtype != form.dtype:
            raise CheckpointError(f"{path}: {name} of iteration {iteration} is a {value.dtype} array of shape "
                                  f"{value.shape}; the configuration needs {form.dtype} of shape {form.shape}")
        if problem := _not_finite(name, value):
            raise CheckpointError(f"{path}: at iteration {iteration} {problem}; the session is broken")
        value.flags.writeable = False
        values[name] = value
    params = {name: values.pop(name) for name in network.PARAMETERS}
    return TrainingState(iteration, params, values)


def _curves(path: Path, curves: np.ndarray, length: int) -> np.ndarray:
    if curves.shape != (3, length) or curves.dtype.kind != "f":
        raise CheckpointError(f"{path}: the curves are a {curves.dtype} array of shape {curves.shape}; "
                              f"expected 3 rows (loss, train and dev accuracy) of {length} iterations")
    # The dev row is NaN without a dev set; loss and train accuracy were finite when recorded.
    if problem := _not_finite("the loss or train accuracy curve", curves[:2]):
        raise CheckpointError(f"{path}: {problem}; the session is broken")
    return curves


def _alphas(path: Path, iterations: np.ndarray, values: np.ndarray, start: int) -> list[tuple[int, float]]:
    if (iterations.ndim != 1 or iterations.dtype.kind not in "iu" or values.shape != iterations.shape
            or values.dtype.kind != "f" or iterations.size == 0 or int(iterations[0]) != start
            or np.any(np.diff(iterations) <= 0) or not np.all(np.isfinite(values) & (values > 0))):
        raise CheckpointError(f"{path}: the learning-rate schedule is broken (it needs increasing iterations "
                              f"from {start} with positive finite rates)")
    return [(int(i), float(a)) for i, a in zip(iterations, values)]


def _load_data(path: Path, meta: Mapping[str, Any], config: TrainingConfig, split_loader: SplitLoader) -> Split:
    spec = _field(path, meta, "dataset", str)
    extra = _field(path, meta, "extra", dict)
    saved = _field(path, meta, "data", dict)
    try:
        split = split_loader(spec, extra, config)
    except DataError as error:
        raise DataError(f"{path}: the session's dataset {spec} cannot be loaded: {error}") from None
    found = _fingerprint(split)
    if found != saved:
        raise DataError(f"{path}: the dataset {spec} is not the one this session was trained on "
                        f"({found['train_size']:,} training and {found['dev_size']:,} dev examples now, "
                        f"{saved.get('train_size')} and {saved.get('dev_size')} then"
                        f"{', and other images or labels' if found['train_size'] == saved.get('train_size') else ''})")
    return split


def _rebuild(path: Path, meta: Mapping[str, Any], config: TrainingConfig, split: Split,
             states: Mapping[int, TrainingState], curves: np.ndarray, alphas: list[tuple[int, float]]) -> Stepper:
    saved = meta["history"]
    iteration = meta["iteration"]
    stepper = Stepper(split, config, states[iteration].params, history_budget_bytes=saved["budget_bytes"],
                      keyframe_every=saved["keyframe_every"])
    history = History(states[saved["keyframes"][0]], alphas[0][1], budget_bytes=saved["budget_bytes"],
                      keyframe_every=saved["keyframe_every"], recent=saved["recent_size"])
    history.start = saved["start"]
    history.keyframes = OrderedDict((i, states[i]) for i in saved["keyframes"])
    # The current state is used last: append it so it is the last to be forgotten, as it was when saved.
    order = [i for i in saved["recent"] if i != iteration] + [iteration]
    history.recent = OrderedDict((i, states[i]) for i in order)
    history.alphas = alphas
    for loss, train_accuracy, dev_accuracy in curves.T:
        history.curves.append(float(loss), float(train_accuracy), None if np.isnan(dev_accuracy) else dev_accuracy)
    history.latest = saved["latest"]
    stepper.history = history
    stepper.state = states[iteration]
    try:
        # As the timeline's seek: the update that led here is shown, then the phases done are recomputed.
        stepper.seek(iteration)
        for _ in range(meta["phases_done"]):
            stepper.step_phase()
    except (IndexError, ArithmeticError) as error:
        raise CheckpointError(f"{path}: the saved position cannot be recomputed ({error})") from None
    return stepper
