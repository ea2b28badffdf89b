"""The IDX file format MNIST comes in (gzip or plain): reading one file
into an array, checked before any large allocation, and its checksum."""

from __future__ import annotations

import gzip
import hashlib
import math
import zlib
from pathlib import Path

import numpy as np

from pyrnn.errors import PyrnnError

_IDX_DTYPES = {0x08: np.uint8}
_IDX_DIMS = {"images": 3, "labels": 1}


def _open_idx(path: Path):
    with open(path, "rb") as fh:
        gzipped = fh.read(2) == b"\x1f\x8b"
    return gzip.open(path, "rb") if gzipped else open(path, "rb")


def _read_at_most(fh, limit: int, chunk: int = 1 << 22) -> bytes:
    """Read up to `limit` bytes in chunks: memory grows with what the file
    really holds, never with a size declared in a (possibly corrupt) header."""
    parts, total = [], 0
    while total < limit:
        part = fh.read(min(chunk, limit - total))
        if not part:
            break
        parts.append(part)
        total += len(part)
    return b"".join(parts)


def read_idx(path, kind="images"):
    """Read one IDX file (gzip or plain) into a uint8 array.

    kind: "images" (N x rows x cols) or "labels" (N,). Raises ValueError naming
    the file for a wrong magic number, wrong dimensions or truncated data; the
    declared size is checked against what the file holds before any large
    allocation, so a corrupt header cannot exhaust memory.
    """
    path = Path(path)
    ndim = _IDX_DIMS[kind]
    expected = f"an IDX {kind} file (magic 0x0000080{ndim}, {ndim}-d uint8)"
    try:
        with _open_idx(path) as fh:
            header = fh.read(4)
            if len(header) < 4:
                raise PyrnnError(f"{path}: file is empty or shorter than an IDX header; expected {expected}")
            if header[:2] != b"\x00\x00" or header[2] not in _IDX_DTYPES or header[3] != ndim:
                raise PyrnnError(
                    f"{path}: wrong magic number 0x{header.hex()}; expected {expected}. "
                    "Is it an MNIST file of the other kind, or not MNIST at all?")
            dims_raw = fh.read(4 * ndim)
            if len(dims_raw) < 4 * ndim:
                raise PyrnnError(f"{path}: truncated header (dimensions missing); expected {expected}")
            dims = tuple(int(d) for d in np.frombuffer(dims_raw, dtype=">u4"))
            if kind == "images" and (dims[1] == 0 or dims[2] == 0):
                raise PyrnnError(f"{path}: images of size {dims[1]}x{dims[2]}; expected non-empty images")
            size = math.prod(dims)  # Python ints: three 32-bit dimensions overflow int64
            payload = _read_at_most(fh, size + 1)
    except (OSError, EOFError, zlib.error) as err:  # zlib.error: a damaged deflate stream
        raise PyrnnError(f"{path}: cannot be read as {expected} ({err}); "
                         "the gzip stream may be cut short: download the file again") from err
    if len(payload) < size:
        raise PyrnnError(f"{path}: truncated: header declares {dims} ({size} bytes) "
                         f"but the file holds {len(payload)} bytes; download the file again")
    if len(payload) > size:
        raise PyrnnError(f"{path}: {len(payload) - size}+ bytes of trailing data after the "
                         f"{dims} declared in the header; expected {expected}")
    return np.frombuffer(payload, dtype=np.uint8).reshape(dims)


def file_md5(path) -> str:
    """MD5 (32 hex digits) of the decompressed content of an IDX file (gzip or
    plain). Raises ValueError naming the file when its gzip stream is cut
    short or damaged."""
    path = Path(path)
    digest = hashlib.md5()
    try:
        with _open_idx(path) as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
    except (EOFError, zlib.error, gzip.BadGzipFile) as err:
        raise PyrnnError(f"{path}: the gzip stream is cut short or damaged ({err}); "
                         "download the file again") from err
    return digest.hexdigest()
