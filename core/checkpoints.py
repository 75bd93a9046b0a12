"""Weights files: W1, b1, W2, b2 in an `.npz`, as a notebook's `np.savez("w.npz", W1=W1, b1=b1, W2=W2, b2=b2)`.

Besides the four arrays, a file this module saves holds `meta`: the run's settings as JSON text in a
0-d unicode array (so it loads without pickle). A file without `meta` loads with meta = {}.
Biases saved as vectors, b1 (H,) and b2 (10,), are accepted and read as the columns (H, 1) and (10, 1).

Reading is bounded: the shapes are read from the headers and checked (hidden width at most the caller's largest)
before any array is. Saving is atomic and respects what stands at the destination: a symlink is written through to
its target, a folder, FIFO or device is refused, and so is a file with other hard links (the rename that makes a
save atomic would leave them holding the old weights); the folder's permission and free space are checked first.
"""
from __future__ import annotations

import dataclasses
import json
import math
import os
import shutil
import stat
import tempfile
import time
from pathlib import Path
from typing import Any, BinaryIO, Callable, Mapping

import numpy as np

from .config import LARGEST_HIDDEN
from .network import INPUTS, OUTPUTS, PARAMETERS, ShapeError, check_params, parameter_shapes
from .reading import ArrayHeader, NpzArchive, kind_of, open_regular, os_problem, reason

try:
    import fcntl
except ImportError:         # Windows: a file open in another process cannot be deleted, which is lock enough
    fcntl = None

META_KEY = "meta"
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")   # a zip's first entry, or an empty zip
NPY_MAGIC = b"\x93NUMPY"
LARGEST_META = 1 << 20          # characters of settings in a weights file (ours write about 250)
WEIGHTS_MEMBERS = 1_000         # arrays in a weights file: the four, meta, and whatever a notebook added
TEMPORARY_SUFFIX = ".tmp.npz"   # a save writes .NAME.XXXXXXXX.tmp.npz beside NAME, then renames it
STALE_SECONDS = 10              # an unlocked temporary this old was left by a save that was killed
SPARE_BYTES = 1 << 20           # free space wanted beyond the arrays: zip headers, meta, the file system's blocks


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


def weights_nbytes(hidden: int, dtype: str | np.dtype) -> int:
    """About how large a weights file of this width and precision is: for check_destination before training."""
    count = sum(math.prod(shape) for shape in parameter_shapes(hidden).values())
    return count * np.dtype(dtype).itemsize + 4 * 1024


def write_npz(path: Path, arrays: Mapping[str, np.ndarray], suggested: str = "weights.npz") -> None:
    """np.savez to path atomically: the old file stays whole until the new one is complete. suggested: a file
    name to offer if path is a folder."""
    path = Path(path)
    # The temporary file's name ends in .npz so np.savez, given a name, would not add a second suffix;
    # it is written through an open file anyway.
    write_atomically(path, sum(np.asarray(array).nbytes for array in arrays.values()), suggested, TEMPORARY_SUFFIX,
                     lambda file: np.savez(file, **arrays), failed="could not be saved", durable=True)


def write_atomically(path: str | os.PathLike, nbytes: int, suggested: str, suffix: str,
                     write: Callable[[BinaryIO], object], failed: str = "could not be written",
                     durable: bool = False) -> None:
    """write(file) into a temporary beside path (named .NAME.XXXXXXXX<suffix>, in the same folder so os.replace is
    atomic), then move it into place: the old file stays whole until the new one is complete, and no temporary is
    left behind (nor any that a save killed half-way left: they are removed first). durable: on disk (fsync) before
    this returns. CheckpointError names the file and what is wrong; suggested: the name offered if path is a folder."""
    target = check_destination(path, nbytes, suggested)
    remove_stale_temporaries(target, suffix)
    file, temporary = open_temporary(path, target, suffix)
    try:
        with file:
            write(file)
            if durable:
                file.flush()
                os.fsync(file.fileno())
        publish(temporary, target)
    except BaseException as error:
        # Includes Ctrl+C half-way: the half-written temporary goes, the old file was never touched.
        try:
            os.unlink(temporary)
        except OSError:
            pass
        if isinstance(error, OSError):
            raise CheckpointError(f"{path}: {failed} ({reason(error)}); any earlier file there is unchanged") from None
        raise
    if durable:
        _sync_folder(target.parent)


def _checked_for_saving(path: Path, params: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    try:
        check_params(params)
    except ShapeError as error:
        raise CheckpointError(f"{path}: not saved: {error}") from None
    arrays = {name: np.asarray(params[name]) for name in PARAMETERS}
    for name, value in arrays.items():
        if problem := not_finite(name, value):
            raise CheckpointError(f"{path}: not saved: {problem}")
    return arrays


def not_finite(name: str, value: np.ndarray) -> str | None:
    """"W1 has 3 NaN or infinite entries of 7840", or None when every entry is a finite number."""
    bad = int(value.size - np.count_nonzero(np.isfinite(value)))
    return f"{name} has {bad} NaN or infinite {'entry' if bad == 1 else 'entries'} of {value.size}" if bad else None


def check_destination(path: str | os.PathLike, expected_bytes: int = 0, suggested: str = "weights.npz") -> Path:
    """Raise CheckpointError now if a file of about expected_bytes could not be saved at path (say, before a long
    training run); return the file that will be written: path, or the target of the symlink at path. suggested:
    the file name the message offers when path is a folder."""
    path = Path(path)
    target, problem = _destination(path, suggested)
    if problem:
        raise CheckpointError(f"{path}: {problem}")
    folder = target.parent
    if not folder.is_dir():
        raise CheckpointError(f"{path}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise CheckpointError(f"{path}: cannot write in the folder {folder} (permission denied)")
    try:
        free = shutil.disk_usage(folder).free
    except OSError:
        return target      # the file system does not say; the save itself will tell
    if free < expected_bytes + SPARE_BYTES:
        raise CheckpointError(f"{path}: the disk holding {folder} has {_size(free)} free; about "
                              f"{_size(expected_bytes + SPARE_BYTES)} are needed")
    return target


def _destination(path: Path, suggested: str = "weights.npz") -> tuple[Path, str | None]:
    """(the file a save to path writes, what forbids it or None): a symlink leads to its target."""
    try:
        status = os.stat(path)
    except FileNotFoundError:
        status = None       # a new file, or a symlink to one
    except (OSError, ValueError) as error:
        return path, os_problem(error, path, "no such file")
    target = Path(os.path.realpath(path)) if os.path.islink(path) else path
    if status is None:
        return target, None
    if stat.S_ISDIR(status.st_mode):
        return target, f"is a folder; give a file name such as {path / suggested}"
    if not stat.S_ISREG(status.st_mode):
        return target, f"is {kind_of(status.st_mode)}, not a file; saving would replace it, so nothing is saved"
    if status.st_nlink > 1:
        return target, (f"has {status.st_nlink} hard links; a save replaces the file, which would leave the other "
                        "names with the old content: save under another name")
    # The mode bits, not os.access: a file marked read-only stays protected even for root.
    if not status.st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH) or not os.access(target, os.W_OK):
        return target, "the file is read-only; not overwritten"
    return target, None


def _size(count: int) -> str:
    if count < 2**20:
        return f"{count / 2**10:,.0f} KiB"
    return f"{count / 2**20:,.1f} MiB" if count < 2**30 else f"{count / 2**30:,.2f} GiB"


def open_temporary(path: str | os.PathLike, target: Path, suffix: str) -> tuple[BinaryIO, str]:
    """A new file beside target (the file a save to path writes), named .NAME.XXXXXXXX<suffix> and locked while it
    is open, so that remove_stale_temporaries leaves it alone; CheckpointError if the folder refuses it."""
    try:
        descriptor, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=suffix)
    except OSError as error:
        raise CheckpointError(f"{path}: cannot write in the folder {target.parent} ({reason(error)})") from None
    file = os.fdopen(descriptor, "wb")
    try:
        if fcntl is not None:
            fcntl.flock(file.fileno(), fcntl.LOCK_EX)
    except OSError as error:
        file.close()
        os.unlink(temporary)
        raise CheckpointError(f"{path}: cannot write in the folder {target.parent} ({reason(error)})") from None
    return file, temporary


def remove_stale_temporaries(target: Path, suffix: str = TEMPORARY_SUFFIX) -> None:
    """Delete the temporaries of saves (or exports) to the same name that were killed half-way (.NAME.*<suffix>):
    regular files of ours, older than STALE_SECONDS and not locked by a save in progress."""
    prefix = f".{target.name}."
    try:
        entries = list(os.scandir(target.parent))
    except OSError:
        return
    for entry in entries:
        if not (entry.name.startswith(prefix) and entry.name.endswith(suffix)):
            continue
        try:
            status = entry.stat(follow_symlinks=False)
            if (not stat.S_ISREG(status.st_mode) or time.time() - status.st_mtime < STALE_SECONDS
                    or (hasattr(os, "getuid") and status.st_uid != os.getuid()) or _in_use(entry.path)):
                continue
            os.unlink(entry.path)
        except OSError:
            continue        # in use (Windows), or gone already


def _in_use(path: str) -> bool:
    if fcntl is None:
        return False        # unlinking it fails if it is
    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(descriptor)
    return False


def publish(temporary: str | os.PathLike, path: str | os.PathLike) -> None:
    """Move a complete temporary file (made by mkstemp, so readable by its owner only) into place atomically,
    with the permissions any new file of the user gets. A symlink at path is written through to its target;
    a folder, FIFO or device there is never replaced (OSError)."""
    target, problem = _destination(Path(path))
    if problem and not problem.startswith("the file is read-only"):    # a read-only file was the caller's choice
        raise OSError(f"{path}: {problem}")
    os.chmod(temporary, 0o666 & ~_umask())
    os.replace(temporary, target)


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


# ---------------------------------------------------------------- loading

def load_weights(path: str | os.PathLike, largest_hidden: int = LARGEST_HIDDEN
                 ) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Read (params, meta) from an .npz; raise CheckpointError with the file and the problem if it is unusable.

    A file wider than largest_hidden hidden units is refused from its headers, before its arrays are read."""
    path = Path(path)
    with open_archive(path, "weights file", WEIGHTS_MEMBERS,
                      "holds a single array, not an .npz with W1, b1, W2, b2 "
                      "(save with np.savez(path, W1=W1, b1=b1, W2=W2, b2=b2))") as archive:
        missing = [name for name in PARAMETERS if name not in archive.names]
        if missing:
            found = ", ".join(archive.names) or "nothing"
            raise CheckpointError(f"{path}: missing {', '.join(missing)} (the file holds {found}); "
                                  f"a weights file needs W1, b1, W2 and b2")
        declared = {name: _as_column(name, archive.header(name)) for name in PARAMETERS}
        _check_declared(path, declared, largest_hidden)
        params = {name: _read_parameter(path, archive, name, declared[name]) for name in PARAMETERS}
        meta = read_meta(path, archive, LARGEST_META) if META_KEY in archive.names else {}
    for name, value in params.items():
        if problem := not_finite(name, value):
            raise CheckpointError(f"{path}: {problem}; these weights are broken")
    return params, meta


def check_fits(path: str | os.PathLike, params: Mapping[str, np.ndarray], dtype: str) -> None:
    """CheckpointError when the file's values are too large for the precision they will be trained in (float32
    holds up to ±3.4e38): cast, they would be infinite before the first step."""
    largest = float(np.finfo(dtype).max)
    for name, value in params.items():
        top = float(np.max(np.abs(value))) if value.size else 0.0
        if top > largest:
            raise CheckpointError(f"{path}: {name} holds values up to {top:.3g}, too large for {dtype} (at most "
                                  f"±{largest:.3g}); train in float64, or check how the file was made")


def open_archive(path: Path, kind: str, largest_members: int, single_array: str | None = None) -> NpzArchive:
    """The .npz at path, opened for bounded reading without pickle; CheckpointError naming the file and why it is
    not a `kind` (e.g. "weights file"); single_array is the message for a lone .npy array."""
    file = open_regular(path, str(path), CheckpointError, folder_hint=f" (a {kind} is an .npz file)")
    try:
        start = file.read(6)
        if not start:
            raise CheckpointError(f"{path}: the file is empty, not a {kind}")
        if start.startswith(NPY_MAGIC):
            raise CheckpointError(f"{path}: {single_array or f'holds a single array, not a {kind}'}")
        if not start.startswith(ZIP_MAGIC):
            # np.load would try to unpickle anything else; name the real problem instead.
            raise CheckpointError(f"{path}: not an .npz {kind} (an .npz is a zip archive of arrays)")
    except BaseException as error:
        file.close()
        if isinstance(error, OSError):
            raise CheckpointError(f"{path}: cannot be read ({reason(error)})") from None
        raise
    return NpzArchive(file, str(path), CheckpointError, largest_members)


def _as_column(name: str, header: ArrayHeader) -> ArrayHeader:
    """Biases saved as vectors, b1 (H,) and b2 (10,), are read as the columns (H, 1) and (10, 1)."""
    if name == "b1" and header.ndim == 1 or name == "b2" and header.shape == (OUTPUTS,):
        return dataclasses.replace(header, shape=(header.shape[0], 1))
    return header


def _check_declared(path: Path, declared: Mapping[str, ArrayHeader], largest_hidden: int) -> None:
    """The four arrays' headers: real numbers, shapes that fit one network (a transposed one said so), a width of
    at most largest_hidden."""
    for name, header in declared.items():
        if header.dtype.kind not in "fiu" or header.dtype.itemsize > 8:
            raise CheckpointError(f"{path}: {name} holds {header.dtype} values; it needs real numbers of at most "
                                  "64 bits (float32 or float64)")
    w1 = declared["W1"].shape
    if len(w1) == 2 and w1[0] == INPUTS != w1[1]:
        raise CheckpointError(f"{path}: W1 has shape {w1}; it looks transposed: W1 is H×{INPUTS}, one row per "
                              f"hidden unit (save W1.T)")
    if len(w1) == 2 and w1[1] == INPUTS and w1[0] > largest_hidden:
        raise CheckpointError(f"{path}: has {w1[0]:,} hidden units; at most {largest_hidden:,} can be used here")
    try:
        check_params(declared)      # reads only .shape and .ndim: the headers stand for the arrays
    except ShapeError as error:
        hint = ""
        if len(w1) == 2 and w1[0] > 0:
            wrong = [name for name, shape in parameter_shapes(w1[0]).items() if declared[name].shape != shape]
            if wrong and declared[wrong[0]].shape == parameter_shapes(w1[0])[wrong[0]][::-1]:
                hint = f"; {wrong[0]} looks transposed (save {wrong[0]}.T)"
        raise CheckpointError(f"{path}: {error}{hint}") from None


def _read_parameter(path: Path, archive: NpzArchive, name: str, declared: ArrayHeader) -> np.ndarray:
    def check(header: ArrayHeader) -> None:
        if _as_column(name, header) != declared:
            raise CheckpointError(f"{path}: {name} changed while the file was being read")

    value = archive.read(name, declared.nbytes, check)
    if value.dtype.kind in "iu":
        value = value.astype(np.float64)
    return value.reshape(declared.shape)


def read_meta(path: Path, archive: NpzArchive, largest_characters: int) -> dict[str, Any]:
    """The archive's meta: a JSON object of at most largest_characters, in a 0-d unicode array."""
    def check(header: ArrayHeader) -> None:
        if header.ndim != 0 or header.dtype.kind != "U":
            raise CheckpointError(f"{path}: meta should be JSON text, not a {header.dtype} array of shape "
                                  f"{header.shape}")

    text = str(archive.read(META_KEY, 4 * largest_characters, check)[()])
    try:
        meta = json.loads(text)
    except RecursionError:
        raise CheckpointError(f"{path}: meta is nested too deeply to be settings") from None
    except json.JSONDecodeError as error:
        raise CheckpointError(f"{path}: meta is not valid JSON ({reason(error)})") from None
    except ValueError as error:     # a number of more than 4,300 digits
        raise CheckpointError(f"{path}: meta holds a number too long to read ({reason(error)})") from None
    if not isinstance(meta, dict):
        raise CheckpointError(f"{path}: meta should be a JSON object of settings, not {type(meta).__name__}")
    return meta
