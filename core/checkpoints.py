"""Weights files: W1, b1, W2, b2 in an `.npz`, as a notebook's `np.savez("w.npz", W1=W1, b1=b1, W2=W2, b2=b2)`.

Besides the four arrays, a file this module saves holds `meta`: the run's settings as JSON text in a
0-d unicode array (so it loads without pickle). A file without `meta` loads with meta = {}.
Biases saved as vectors, b1 (H,) and b2 (10,), are accepted and read as the columns (H, 1) and (10, 1).
"""
from __future__ import annotations

import json
import os
import stat
import tempfile
import zipfile
import zlib
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from .network import OUTPUTS, PARAMETERS, ShapeError, check_params

META_KEY = "meta"
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")   # a zip's first entry, or an empty zip
NPY_MAGIC = b"\x93NUMPY"


class CheckpointError(ValueError):
    """A weights file that cannot be read or written; the message names the file and the problem."""


# ---------------------------------------------------------------- saving

def save_weights(path: str | os.PathLike, params: Mapping[str, np.ndarray], meta: Mapping[str, Any]) -> None:
    """Write W1, b1, W2, b2 and meta to path atomically: the old file stays whole until the new one is complete."""
    path = Path(path)
    arrays = _checked_for_saving(path, params)
    try:
        meta_text = json.dumps(dict(meta), sort_keys=True, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise CheckpointError(f"{path}: the settings cannot be stored as JSON ({error})") from None
    write_npz(path, {**arrays, META_KEY: np.array(meta_text)})


def write_npz(path: Path, arrays: Mapping[str, np.ndarray]) -> None:
    """np.savez to path atomically: the old file stays whole until the new one is complete."""
    check_destination(path)
    # The temporary file's name ends in .npz so np.savez, given a name, would not add a second suffix;
    # it is written through an open file anyway, and lives in the same folder so os.replace is atomic.
    try:
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp.npz")
    except OSError as error:
        raise CheckpointError(f"{path}: cannot write in the folder {path.parent} ({_reason(error)})") from None
    try:
        with os.fdopen(descriptor, "wb") as file:
            np.savez(file, **arrays)
            file.flush()
            os.fsync(file.fileno())
        publish(temporary, path)
    except BaseException as error:
        # Includes Ctrl+C half-way: the half-written temporary goes, the old file was never touched.
        try:
            os.unlink(temporary)
        except OSError:
            pass
        if isinstance(error, OSError):
            raise CheckpointError(f"{path}: could not be saved ({_reason(error)}); "
                                  f"any earlier file there is unchanged") from None
        raise
    _sync_folder(path.parent)


def _checked_for_saving(path: Path, params: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    try:
        check_params(params)
    except ShapeError as error:
        raise CheckpointError(f"{path}: not saved: {error}") from None
    arrays = {name: np.asarray(params[name]) for name in PARAMETERS}
    for name, value in arrays.items():
        if problem := _not_finite(name, value):
            raise CheckpointError(f"{path}: not saved: {problem}")
    return arrays


def _not_finite(name: str, value: np.ndarray) -> str | None:
    """"W1 has 3 NaN or infinite entries of 7840", or None when every entry is a finite number."""
    bad = int(value.size - np.count_nonzero(np.isfinite(value)))
    return f"{name} has {bad} NaN or infinite {'entry' if bad == 1 else 'entries'} of {value.size}" if bad else None


def check_destination(path: str | os.PathLike) -> None:
    """Raise CheckpointError now if save_weights could not write path (say, before a long training run)."""
    path = Path(path)
    if path.is_dir():
        raise CheckpointError(f"{path}: is a folder; give a file name such as {path / 'weights.npz'}")
    if not path.parent.is_dir():
        raise CheckpointError(f"{path}: the folder {path.parent} does not exist")
    if path.exists():
        # The mode bits, not os.access: a file marked read-only stays protected even for root.
        if not os.stat(path).st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH) or not os.access(path, os.W_OK):
            raise CheckpointError(f"{path}: the file is read-only; not overwritten")


def publish(temporary: str | os.PathLike, path: str | os.PathLike) -> None:
    """Move a complete temporary file (made by mkstemp, so readable by its owner only) into place atomically,
    with the permissions any new file of the user gets."""
    os.chmod(temporary, 0o666 & ~_umask())
    os.replace(temporary, path)


def _umask() -> int:
    """The process's umask: from /proc where there is one, since setting it to read it is not thread-safe."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable; not every system can open a folder, and the file is complete regardless."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def _reason(error: OSError) -> str:
    return error.strerror.lower() if error.strerror else str(error)


# ---------------------------------------------------------------- loading

def load_weights(path: str | os.PathLike) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Read (params, meta) from an .npz; raise CheckpointError with the file and the problem if it is unusable."""
    path = Path(path)
    loaded = open_npz(path, "weights file", "holds a single array, not an .npz with W1, b1, W2, b2 "
                                            "(save with np.savez(path, W1=W1, b1=b1, W2=W2, b2=b2))")
    with loaded:
        missing = [name for name in PARAMETERS if name not in loaded.files]
        if missing:
            found = ", ".join(loaded.files) or "nothing"
            raise CheckpointError(f"{path}: missing {', '.join(missing)} (the file holds {found}); "
                                  f"a weights file needs W1, b1, W2 and b2")
        params = {name: _read_parameter(path, loaded, name) for name in PARAMETERS}
        meta = _read_meta(path, loaded) if META_KEY in loaded.files else {}
    try:
        check_params(params)
    except ShapeError as error:
        raise CheckpointError(f"{path}: {error}") from None
    for name, value in params.items():
        if problem := _not_finite(name, value):
            raise CheckpointError(f"{path}: {problem}; these weights are broken")
    return params, meta


def open_npz(path: Path, kind: str, single_array: str | None = None) -> np.lib.npyio.NpzFile:
    """The .npz at path, opened without pickle; CheckpointError naming the file and why it is not a `kind`
    (e.g. "weights file"); single_array is the message for a lone .npy array."""
    if not path.exists():
        raise CheckpointError(f"{path}: no such file")
    if path.is_dir():
        raise CheckpointError(f"{path}: is a folder, not a {kind}")
    try:
        with open(path, "rb") as file:
            start = file.read(6)
        if not start:
            raise CheckpointError(f"{path}: the file is empty, not a {kind}")
        if start.startswith(NPY_MAGIC):
            raise CheckpointError(f"{path}: {single_array or f'holds a single array, not a {kind}'}")
        if not start.startswith(ZIP_MAGIC):
            # np.load would try to unpickle anything else; name the real problem instead.
            raise CheckpointError(f"{path}: not an .npz {kind} (an .npz is a zip archive of arrays)")
        return np.load(path, allow_pickle=False)
    except CheckpointError:
        raise
    except (OSError, EOFError, ValueError, zipfile.BadZipFile) as error:
        raise CheckpointError(f"{path}: cannot be read as an .npz file ({error})") from None

def _read_array(path: Path, loaded: np.lib.npyio.NpzFile, name: str) -> np.ndarray:
    try:
        return loaded[name]
    except ValueError as error:
        if "pickle" in str(error):
            raise CheckpointError(f"{path}: {name} holds pickled Python objects, which are not loaded") from None
        raise CheckpointError(f"{path}: {name} cannot be read ({error})") from None
    except (OSError, EOFError, zipfile.BadZipFile, zlib.error) as error:
        raise CheckpointError(f"{path}: {name} is damaged ({error})") from None


def _read_parameter(path: Path, loaded: np.lib.npyio.NpzFile, name: str) -> np.ndarray:
    value = _read_array(path, loaded, name)
    if value.dtype.kind not in "fiu":
        raise CheckpointError(f"{path}: {name} holds {value.dtype} values; it needs real numbers")
    if value.dtype.kind in "iu":
        value = value.astype(np.float64)
    if name == "b1" and value.ndim == 1:
        value = value.reshape(-1, 1)
    if name == "b2" and value.shape == (OUTPUTS,):
        value = value.reshape(OUTPUTS, 1)
    return value


def _read_meta(path: Path, loaded: np.lib.npyio.NpzFile) -> dict[str, Any]:
    value = _read_array(path, loaded, META_KEY)
    if value.ndim != 0 or value.dtype.kind != "U":
        raise CheckpointError(f"{path}: meta should be JSON text, not a {value.dtype} array of shape {value.shape}")
    try:
        meta = json.loads(str(value))
    except json.JSONDecodeError as error:
        raise CheckpointError(f"{path}: meta is not valid JSON ({error})") from None
    if not isinstance(meta, dict):
        raise CheckpointError(f"{path}: meta should be a JSON object of settings, not {type(meta).__name__}")
    return meta
