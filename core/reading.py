"""Reading the files a user names: only regular files are opened, and never more is read than a bound.

A FIFO or a terminal given as a file would block the first read forever, a folder or a device is never a dataset,
and a header or a zip entry can claim any size. Every reader of the core therefore opens through `open_regular` and
reads through the bounded helpers here, so that a hostile file is refused, with a message naming it, before memory
is set aside for what it claims. Each helper takes the reader's own exception type (DataError, CheckpointError)
and raises it with the whole message.
"""
from __future__ import annotations

import errno
import math
import os
import stat
import struct
import zipfile
import zlib
from dataclasses import dataclass
from typing import BinaryIO, Callable

import numpy as np

CHUNK = 1 << 20                 # bytes per read: memory follows what a file holds, not what it claims
LONGEST_NAME = 255              # bytes in one file name on the usual file systems

ErrorType = Callable[[str], Exception]
# Errors the standard library raises on damaged bytes; a reader turns each into its own error naming the file.
DAMAGE = (OSError, EOFError, ValueError, struct.error, zlib.error, zipfile.BadZipFile, zipfile.LargeZipFile,
          NotImplementedError, RuntimeError, OverflowError)


def reason(error: BaseException) -> str:
    """An exception as a short clause for a one-line message."""
    if isinstance(error, OSError) and error.strerror:
        text = error.strerror.lower()
    else:
        text = " ".join(str(error).split()) or type(error).__name__
    return text if len(text) <= 120 else text[:117] + "..."


def shown(value: object) -> str:
    """A value read from a file, for a message: kept short, whether a 4,000-digit number or a long text."""
    if isinstance(value, int) and abs(value).bit_length() > 128:
        return f"a number of about {int(abs(value).bit_length() * 0.30103) + 1:,} digits"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def os_problem(error: OSError | ValueError, path: str | os.PathLike, missing: str = "no such file") -> str:
    """What stat or open said about path, as a clause: a symlink loop is a loop, not a missing file."""
    if isinstance(error, ValueError):           # a NUL byte in the path
        return "is not a usable file name (it holds a NUL character)"
    if error.errno == errno.ENOENT:
        return missing
    if error.errno == errno.ELOOP:
        return "is a symbolic link loop (a link that leads back to itself, directly or through other links)"
    if error.errno == errno.ENAMETOOLONG:
        longest = max((len(os.fsencode(part)) for part in os.fspath(path).split(os.sep)), default=0)
        if longest > LONGEST_NAME:
            return f"the name is too long for the file system ({longest:,} bytes in one name; at most {LONGEST_NAME})"
        return "the path is too long for the file system"
    if error.errno == errno.ENOTDIR:
        return "a part of the path is a file, not a folder"
    return f"cannot be read ({reason(error)})"


def kind_of(mode: int) -> str:
    """What a stat mode says a path is, for "is a named pipe (FIFO), not a file"."""
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode):
        return "a device"
    if stat.S_ISBLK(mode):
        return "a block device (a disk)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _require_regular(status: os.stat_result, name: str, error: ErrorType, folder_hint: str = "") -> None:
    if not stat.S_ISREG(status.st_mode):
        hint = folder_hint if stat.S_ISDIR(status.st_mode) else ""
        raise error(f"{name}: is {kind_of(status.st_mode)}, not a file{hint}")


def open_regular(path: str | os.PathLike, name: str, error: ErrorType, missing: str = "no such file",
                 folder_hint: str = "") -> BinaryIO:
    """path opened for reading in binary, if it is a regular file; else error naming what it is.

    The path is checked before opening (opening a FIFO waits for a writer, opening some devices does something),
    then opened without blocking and without becoming a controlling terminal, and the open descriptor is checked
    again: another process may have put a FIFO in the file's place in between. O_NONBLOCK changes nothing for the
    reads of a regular file.
    """
    try:
        status = os.stat(path)
    except (OSError, ValueError) as problem:
        raise error(f"{name}: {os_problem(problem, path, missing)}") from None
    _require_regular(status, name, error, folder_hint)
    flags = os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        descriptor = os.open(path, flags)
    except (OSError, ValueError) as problem:
        raise error(f"{name}: {os_problem(problem, path, missing)}") from None
    try:
        _require_regular(os.fstat(descriptor), name, error, folder_hint)
        return os.fdopen(descriptor, "rb")
    except BaseException:
        os.close(descriptor)
        raise


def read_at_most(stream: BinaryIO, limit: int, too_large: Callable[[], Exception],
                 look: Callable[[bytes], None] | None = None) -> bytes:
    """All the bytes left in stream, if they are at most limit; else too_large() is raised as soon as the limit is
    passed, holding no more than limit bytes and one chunk. look(chunk), when given, sees each chunk as it comes
    and may refuse the file earlier."""
    chunks, total = [], 0
    while True:
        chunk = stream.read(min(CHUNK, limit + 1 - total))
        if not chunk:
            break
        total += len(chunk)
        if total > limit:
            chunks.clear()
            raise too_large()
        if look is not None:
            look(chunk)
        chunks.append(chunk)
    return b"".join(chunks)


def read_into(stream: BinaryIO, array: np.ndarray) -> int:
    """Fill a C-contiguous array from stream chunk by chunk (no copy of the whole); return the bytes read."""
    view = memoryview(array.reshape(-1).view(np.uint8))
    done = 0
    while done < len(view):
        got = stream.readinto(view[done:done + CHUNK])
        if not got:
            break
        done += got
    return done


# ---------------------------------------------------------------- .npz archives

@dataclass(frozen=True)
class ArrayHeader:
    """What an .npy header declares, read before any memory is set aside for the data."""
    shape: tuple[int, ...]
    fortran_order: bool
    dtype: np.dtype

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def nbytes(self) -> int:
        return math.prod(self.shape) * self.dtype.itemsize


# np.savez writes stored members, np.savez_compressed deflated ones. Other methods are refused: zipfile's bzip2
# and lzma readers decompress a whole input chunk at once, so their output per read has no bound.
READABLE_METHODS = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflated"}
METHOD_NAMES = {1: "shrink", 2: "reduce", 3: "reduce", 4: "reduce", 5: "reduce", 6: "implode", 9: "deflate64",
                12: "bzip2", 14: "lzma", 93: "zstandard", 95: "xz", 99: "AES encryption"}
LARGEST_HEADER = 10_000         # numpy's own limit for a safe .npy header
BYTES_PER_ENTRY = 256           # of the zip's directory: 46 fixed, the name, zip64 fields; a generous allowance


class NpzArchive:
    """An .npz opened for bounded reading: its directory is refused when it lists more than largest_members
    arrays, and each array when its zip entry or its header claims more than the caller's bound."""

    def __init__(self, file: BinaryIO, name: str, error: ErrorType, largest_members: int):
        self.name, self.error = name, error
        self._file = file
        try:
            entries, directory_bytes = _zip_directory(file)
            if entries > largest_members or directory_bytes > largest_members * BYTES_PER_ENTRY:
                raise error(f"{name}: lists {entries:,} entries in {directory_bytes:,} bytes of zip directory; "
                            f"an .npz of this kind holds at most {largest_members:,} arrays")
            file.seek(0)
            self._zip = zipfile.ZipFile(file)
        except BaseException as problem:
            file.close()
            if isinstance(problem, DAMAGE) and not isinstance(problem, error):
                raise error(f"{name}: is not a readable .npz (zip) file ({reason(problem)})") from None
            raise
        self._members = {info.filename[:-4]: info for info in self._zip.infolist() if info.filename.endswith(".npy")}

    def __enter__(self) -> "NpzArchive":
        return self

    def __exit__(self, *exception: object) -> None:
        self.close()

    def close(self) -> None:
        self._zip.close()
        self._file.close()

    @property
    def names(self) -> list[str]:
        """The arrays it holds, as np.load's .files names them (the member's name without .npy)."""
        return list(self._members)

    def header(self, key: str) -> ArrayHeader:
        """What the array's header declares; nothing of its data is read."""
        with self._open(key) as member:
            return self._header(member, key)

    def read(self, key: str, largest_bytes: int, check: Callable[[ArrayHeader], None] | None = None) -> np.ndarray:
        """The array, if its zip entry and its header claim at most largest_bytes of data (and check(header)
        passes); refused before its memory is set aside otherwise. Decompression stops at the entry's size."""
        info = self._members[key]
        if info.file_size > largest_bytes + LARGEST_HEADER:
            raise self.error(f"{self.name}: {key} would unpack to {info.file_size:,} bytes; at most "
                             f"{largest_bytes:,} are read for it")
        with self._open(key) as member:
            header = self._header(member, key)
            if check is not None:
                check(header)
            data_bytes = info.file_size - member.tell()
            if header.nbytes > data_bytes:
                raise self.error(f"{self.name}: {key} claims {header.nbytes:,} bytes of data but the archive holds "
                                 f"{info.file_size:,}")
            if header.nbytes > largest_bytes:
                raise self.error(f"{self.name}: {key} declares shape {header.shape} ({header.nbytes:,} bytes); at "
                                 f"most {largest_bytes:,} are read for it")
            flat = np.empty(math.prod(header.shape), header.dtype)
            try:
                got = read_into(member, flat)
            except DAMAGE as problem:
                raise self.error(f"{self.name}: {key} is damaged ({reason(problem)})") from None
        if got != header.nbytes:
            raise self.error(f"{self.name}: {key} is cut short: {got:,} of {header.nbytes:,} bytes")
        if not header.dtype.isnative:
            flat = flat.byteswap(inplace=True).view(header.dtype.newbyteorder("="))
        return flat.reshape(header.shape, order="F" if header.fortran_order else "C")

    def _open(self, key: str):
        info = self._members[key]
        if info.flag_bits & 0x1:
            raise self.error(f"{self.name}: {key} is encrypted (password-protected); save it without a password, "
                             "as np.savez does")
        if info.compress_type not in READABLE_METHODS:
            method = METHOD_NAMES.get(info.compress_type, f"method {info.compress_type}")
            raise self.error(f"{self.name}: {key} is compressed with {method}, which is not read; np.savez and "
                             "np.savez_compressed write files that are")
        try:
            return self._zip.open(info)
        except DAMAGE as problem:
            raise self.error(f"{self.name}: {key} is damaged ({reason(problem)})") from None

    def _header(self, member: BinaryIO, key: str) -> ArrayHeader:
        what = f"{self.name}: {key}"
        try:
            version = np.lib.format.read_magic(member)
            if version == (1, 0):
                shape, fortran_order, dtype = np.lib.format.read_array_header_1_0(member, LARGEST_HEADER)
            elif version == (2, 0):
                shape, fortran_order, dtype = np.lib.format.read_array_header_2_0(member, LARGEST_HEADER)
            else:
                raise self.error(f"{what} is in .npy format version {version}, which is not read")
        except (*DAMAGE, SyntaxError, RecursionError, MemoryError, TypeError) as problem:
            if isinstance(problem, self.error):
                raise
            raise self.error(f"{what} has a damaged .npy header ({reason(problem)})") from None
        if dtype.hasobject:
            raise self.error(f"{what} holds Python objects, which are never loaded (they are pickled, and "
                             "unpickling could run code); save plain numeric arrays")
        if dtype.fields is not None or dtype.subdtype is not None:
            raise self.error(f"{what} holds records ({dtype}), not plain numbers")
        if any(size < 0 for size in shape):
            raise self.error(f"{what} has an impossible shape {shape}")
        if dtype.itemsize == 0:
            raise self.error(f"{what} holds {dtype} values of no size, not numbers")
        return ArrayHeader(tuple(shape), bool(fortran_order), dtype)


def _zip_directory(file: BinaryIO) -> tuple[int, int]:
    """(entries, bytes) of a zip's central directory, from its end record, before zipfile reads the directory:
    zipfile keeps ~500 bytes of memory per entry, so a huge directory is refused first. (0, 0) when there is no end
    record to read; zipfile then says what is wrong."""
    size = file.seek(0, os.SEEK_END)
    tail_size = min(size, 22 + 0xFFFF)          # the end record and the longest comment
    file.seek(size - tail_size)
    tail = file.read(tail_size)
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or at + 22 > len(tail):
        return 0, 0
    entries, directory_bytes = struct.unpack_from("<HI", tail, at + 10)
    locator = at - 20                          # zip64: the real counts are in a record the locator points to
    if (entries == 0xFFFF or directory_bytes == 0xFFFFFFFF) and locator >= 0 and \
            tail[locator:locator + 4] == b"PK\x06\x07":
        (record_at,) = struct.unpack_from("<Q", tail, locator + 8)
        if record_at < size:
            file.seek(record_at)
            record = file.read(56)
            if len(record) == 56 and record[:4] == b"PK\x06\x06":
                entries, directory_bytes = struct.unpack_from("<QQ", record, 32)
    return entries, directory_bytes
