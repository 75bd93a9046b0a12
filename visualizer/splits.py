"""The datasets a run trains on, as the window loads them: the split options (the command line's --dev-size,
--no-shuffle, --seed), the split of a dataset spec with a dev set the file can give, and a session's split."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from core import data
from core.config import TrainingConfig


@dataclass(frozen=True)
class DataOptions:
    """How a dataset is split into train and dev: the command line's --dev-size, --no-shuffle and --seed."""
    dev_size: int = 1000
    shuffle: bool = True
    seed: int = 0


def load_split(spec: str, options: DataOptions, dtype: str) -> data.Split:
    """Read a dataset spec and split it as the notebook does; raises DataError with a one-line message. A file
    too small for the dev set asked for gets a smaller one (data.fitting_dev_size; dev_note says so)."""
    dataset = data.load(spec)
    dev_size = options.dev_size if dataset.dev_pixels is not None else \
        data.fitting_dev_size(options.dev_size, dataset.labels.size)
    return data.split(dataset, dev_size=dev_size, shuffle=options.shuffle, seed=options.seed, dtype=dtype)


def dev_note(split: data.Split, options: DataOptions) -> str:
    """"" or what the status bar says when the dev set is smaller than asked because the file is small."""
    if split.dev_size >= options.dev_size or split.dev_source != "held out from the training file":
        return ""
    rows = split.train_size + split.dev_size
    return (f"{split.name} has {rows:,} examples, too few for a dev set of {options.dev_size:,}: "
            f"the dev set is {split.dev_size:,} (a fifth of them)")


def session_split_loader(spec: str, extra: Mapping[str, Any], config: TrainingConfig) -> data.Split:
    """The split a session was trained on: its dataset spec, split with the options saved in its extra settings."""
    return load_split(spec, session_options(extra), config.dtype)


def session_options(extra: Mapping[str, Any]) -> DataOptions:
    """The DataOptions saved with a session; raises DataError when they are not usable."""
    saved = extra.get("data_options", {})
    try:
        options = DataOptions(**saved)
    except TypeError as error:
        raise data.DataError(f"the saved split options {saved!r} are not usable ({error})") from None
    if not (type(options.dev_size) is int and options.dev_size >= 0 and type(options.shuffle) is bool
            and type(options.seed) is int):
        raise data.DataError(f"the saved split options {saved!r} are not usable")
    return options
