"""Check my code: small stand-ins for pandas and matplotlib, for a learner's top level when they are not installed.

The app does not depend on pandas or matplotlib, but the notebooks learners check import both at the top
(`import pandas as pd`, `from matplotlib import pyplot as plt`) to read train.csv and draw a digit. Without them
the whole top level would stop at its first line, the global m and the learner's data preparation would never be
set, and the check would say little. So, in the learner's process only, an import finder placed after Python's
own serves these modules when the real ones are missing (the real ones always win when installed):

- pandas: read_csv of a numeric CSV with a header row (Kaggle's train.csv), and a DataFrame with what such
  notebooks use — shape, columns, head(), values / to_numpy() / np.array(data), data['label'], drop(columns),
  iloc, sample(frac=1). Anything else raises an AttributeError that says it is the stand-in.
- matplotlib and matplotlib.pyplot: every function accepts anything and draws nothing (there is no window to
  draw in: the check's verdict is about the learner's functions).
"""
from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
import types
from typing import Any, Callable

import numpy as np

STAND_INS = ("pandas", "matplotlib", "matplotlib.pyplot")


class StandInError(AttributeError):
    """What the stand-in does not do (it names itself, so the learner knows their code is not at fault)."""


def _missing(owner: str, name: str) -> StandInError:
    return StandInError(f"{owner}.{name} is not in the check's small stand-in for pandas (pandas is not "
                        f"installed here); the check goes on without this line")


class Series:
    """One column: enough for data['label'].values, np.array(...), len() and .shape."""

    def __init__(self, values: np.ndarray, name: str | None = None) -> None:
        self.values, self.name = values, name

    shape = property(lambda self: self.values.shape)
    size = property(lambda self: self.values.size)

    def to_numpy(self, dtype: Any = None, copy: bool = False) -> np.ndarray:
        return np.array(self.values, dtype=dtype, copy=True) if copy or dtype else self.values

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        return np.asarray(self.values, dtype=dtype)

    def __len__(self) -> int:
        return len(self.values)

    def __iter__(self):
        return iter(self.values)

    def __getattr__(self, name: str) -> Any:
        raise _missing("Series", name)

    def __repr__(self) -> str:
        return f"Series {self.name!r} {self.values.shape} (the check's stand-in)"


class DataFrame:
    """A table of numbers with named columns, backed by one 2-D array."""

    def __init__(self, values: Any = None, columns: Any = None) -> None:
        self.values = np.atleast_2d(np.asarray(values if values is not None else np.empty((0, 0))))
        self.columns = list(columns) if columns is not None else list(range(self.values.shape[1]))

    shape = property(lambda self: self.values.shape)
    size = property(lambda self: self.values.size)
    iloc = property(lambda self: _Positions(self))
    T = property(lambda self: DataFrame(self.values.T))

    def to_numpy(self, dtype: Any = None, copy: bool = False) -> np.ndarray:
        return np.array(self.values, dtype=dtype, copy=True) if copy or dtype else self.values

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        return np.asarray(self.values, dtype=dtype)

    def __len__(self) -> int:
        return self.values.shape[0]

    def head(self, n: int = 5) -> "DataFrame":
        return DataFrame(self.values[:n], self.columns)

    def tail(self, n: int = 5) -> "DataFrame":
        return DataFrame(self.values[-n:], self.columns)

    def sample(self, frac: float = 1.0, random_state: Any = None, **_: Any) -> "DataFrame":
        rows = np.random.default_rng(random_state).permutation(len(self))[:int(round(frac * len(self)))]
        return DataFrame(self.values[rows], self.columns)

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, list):
            return DataFrame(self.values[:, [self._column(name) for name in key]], key)
        return Series(self.values[:, self._column(key)], key)

    def drop(self, labels: Any = None, axis: int | str = 0, columns: Any = None, **_: Any) -> "DataFrame":
        if columns is None and axis in (1, "columns"):
            columns = labels
        if columns is None:
            raise _missing("DataFrame", "drop of rows")
        names = [columns] if isinstance(columns, (str, int)) else list(columns)
        keep = [index for index, name in enumerate(self.columns) if name not in names]
        return DataFrame(self.values[:, keep], [self.columns[index] for index in keep])

    def _column(self, name: Any) -> int:
        try:
            return self.columns.index(name)
        except ValueError:
            raise KeyError(name) from None

    def __getattr__(self, name: str) -> Any:
        if name != "columns" and name in self.__dict__.get("columns", ()):
            return self[name]
        raise _missing("DataFrame", name)

    def __repr__(self) -> str:
        return f"DataFrame {self.values.shape[0]} rows × {self.values.shape[1]} columns (the check's stand-in)"


class _Positions:
    def __init__(self, frame: DataFrame) -> None:
        self.frame = frame

    def __getitem__(self, key: Any) -> Any:
        part = self.frame.values[key]
        return DataFrame(part) if np.ndim(part) == 2 else part


def read_csv(path: Any, *args: Any, **kwargs: Any) -> DataFrame:
    """A numeric CSV with one header row (the learner's path is redirected by the runner's open())."""
    with open(path, "r", encoding="utf-8") as stream:       # the builtin the runner redirects
        header = stream.readline().strip().split(",")
        values = np.loadtxt(stream, delimiter=",", dtype=np.int64, ndmin=2)
    return DataFrame(values, header)


def _make_pandas() -> types.ModuleType:
    module = types.ModuleType("pandas", "The check's stand-in for pandas: read_csv and a small DataFrame.")
    module.read_csv, module.DataFrame, module.Series = read_csv, DataFrame, Series
    module.__version__ = "0 (the check's stand-in)"

    def anything_else(name: str) -> Any:
        raise _missing("pandas", name)
    module.__getattr__ = anything_else
    return module


class Nothing:
    """Whatever pyplot returns: any attribute, call or index is another Nothing; iterating gives nothing."""

    def __getattr__(self, name: str) -> "Nothing":
        return self

    def __call__(self, *args: Any, **kwargs: Any) -> "Nothing":
        return self

    def __getitem__(self, key: Any) -> "Nothing":
        return self

    def __iter__(self):
        return iter(())


def _make_pyplot() -> types.ModuleType:
    module = types.ModuleType("matplotlib.pyplot", "The check's stand-in for pyplot: draws nothing.")
    nothing = Nothing()
    module.subplots = lambda *args, **kwargs: (nothing, nothing)    # fig, ax = plt.subplots(…)

    def any_function(name: str) -> Any:
        if name.startswith("__"):        # what the import system and inspect ask for is really absent
            raise AttributeError(name)
        return nothing
    module.__getattr__ = any_function
    return module


def _make_matplotlib() -> types.ModuleType:
    module = types.ModuleType("matplotlib", "The check's stand-in for matplotlib: draws nothing.")
    module.use = lambda *args, **kwargs: None
    module.rcParams = {}
    module.__version__ = "0 (the check's stand-in)"
    module.__path__ = []            # a package, so that `matplotlib.pyplot` can be imported from it
    return module


MAKERS: dict[str, Callable[[], types.ModuleType]] = {
    "pandas": _make_pandas, "matplotlib": _make_matplotlib, "matplotlib.pyplot": _make_pyplot}


class StandInFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Serves the stand-ins; `served` lists those the learner's code imported."""

    def __init__(self) -> None:
        self.served: list[str] = []

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> importlib.machinery.ModuleSpec | None:
        if name not in MAKERS:
            return None
        return importlib.machinery.ModuleSpec(name, self, is_package=name == "matplotlib")

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        self.served.append(spec.name)
        return MAKERS[spec.name]()

    def exec_module(self, module: types.ModuleType) -> None:
        if module.__name__ == "matplotlib.pyplot":
            sys.modules["matplotlib"].pyplot = module


def install(always: bool) -> StandInFinder:
    """Put the finder after Python's own (or before them when `always`, to check as if nothing were installed)."""
    finder = StandInFinder()
    if always:
        sys.meta_path.insert(0, finder)
    else:
        sys.meta_path.append(finder)
    return finder
