"""Hostile files made by the tests themselves (nothing is shipped): .npy headers that claim anything, zip entries
whose directory says anything, gzip and zip bombs, and special files (FIFOs, device nodes, sockets, link loops)."""
from __future__ import annotations

import gzip
import io
import os
import socket
import stat
import struct
import tempfile
import zipfile
from pathlib import Path

import numpy as np


def npy(shape: tuple, descr: str = "<f4", payload: bytes = b"", fortran: bool = False) -> bytes:
    """An .npy member whose header declares whatever shape and type, followed by payload."""
    stream = io.BytesIO()
    np.lib.format.write_array_header_1_0(stream, {"descr": descr, "fortran_order": fortran, "shape": shape})
    return stream.getvalue() + payload


def npy_of(array: np.ndarray) -> bytes:
    stream = io.BytesIO()
    np.save(stream, array, allow_pickle=False)
    return stream.getvalue()


def write_zip(path: Path, members: dict[str, bytes], compression: int = zipfile.ZIP_STORED) -> Path:
    with zipfile.ZipFile(path, "w", compression) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return path


def patch_entry(path: Path, member: str, flag_bits: int | None = None, compress_type: int | None = None,
                file_size: int | None = None) -> None:
    """Rewrite what the zip's directory (and the member's local header) say about a member: what a hostile zip
    can claim without holding it."""
    data = bytearray(path.read_bytes())
    name = member.encode()
    for signature, flags_at, method_at, size_at, name_length_at, name_at in (
            (b"PK\x01\x02", 8, 10, 24, 28, 46),     # central directory entry
            (b"PK\x03\x04", 6, 8, 22, 26, 30)):     # local file header
        at = data.find(signature)
        while at >= 0:
            (length,) = struct.unpack_from("<H", data, at + name_length_at)
            if data[at + name_at:at + name_at + length] == name:
                if flag_bits is not None:
                    struct.pack_into("<H", data, at + flags_at, flag_bits)
                if compress_type is not None:
                    struct.pack_into("<H", data, at + method_at, compress_type)
                if file_size is not None:
                    struct.pack_into("<I", data, at + size_at, file_size)
            at = data.find(signature, at + 4)
    path.write_bytes(bytes(data))


def deflated_zeros_member(path: Path, name: str, header: bytes, zero_bytes: int, others: dict[str, bytes]) -> Path:
    """A zip bomb: member `name` is header followed by zero_bytes zeros, deflated (about 1,000 to 1)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for other, content in others.items():
            archive.writestr(other, content)
        with archive.open(name, "w", force_zip64=True) as member:
            member.write(header)
            chunk = bytes(1 << 20)
            for _ in range(zero_bytes >> 20):
                member.write(chunk)
    return path


def gzip_bomb(path: Path, piece: bytes, repeats: int) -> Path:
    """piece repeated `repeats` times, as that many gzip members of one compressed piece: a file of a few MB
    that gunzips to gigabytes, quick to make."""
    member = gzip.compress(piece, compresslevel=9)
    with open(path, "wb") as file:
        for _ in range(repeats):
            file.write(member)
    return path


# ---------------------------------------------------------------- things that are not regular files

def fifo(folder: Path, name: str) -> Path:
    path = folder / name
    os.mkfifo(path)
    return path


def device_node(folder: Path, name: str) -> Path | None:
    """A character device like /dev/null (major 1, minor 3) in the test's own folder, so that a regression
    replaces that node, never the machine's /dev/null; None where nodes cannot be made (not root)."""
    path = folder / name
    try:
        os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    except (PermissionError, AttributeError, OSError):
        return None
    return path


def unix_socket(name: str) -> tuple[Path, socket.socket]:
    """A listening Unix socket (in a short folder: socket paths are limited to ~100 bytes)."""
    path = Path(tempfile.mkdtemp(prefix="sock")) / name
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    return path, server


def link_loop(folder: Path, name: str) -> Path:
    path, other = folder / name, folder / f"{name}.other"
    os.symlink(other, path)
    os.symlink(path, other)
    return path
