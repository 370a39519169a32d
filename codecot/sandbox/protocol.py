"""Length-prefixed framing used between the pool, its workers and their children.

A frame is a 4-byte big-endian length followed by that many bytes. A message is one or more
frames; the sandbox sends a *reply* as two frames: a small JSON `meta` object and a `body`
(the task's JSON result, or empty when the sandbox itself reports the failure).
"""

from __future__ import annotations

import json
import json.encoder
import json.scanner
import os
import struct
from collections.abc import Callable
from typing import Any

HEADER = struct.Struct(">I")
MAX_FRAME = 2**31


def frame(data: bytes) -> bytes:
    """`data` with its length prefix."""
    return HEADER.pack(len(data)) + data


def dumps(obj: Any) -> bytes:
    """Compact JSON bytes for a protocol object."""
    return json.dumps(obj, separators=(",", ":")).encode()


def _no_default(obj: Any) -> Any:
    raise TypeError(f"Object of type {type(obj).__name__} is not JSON serializable")


def compact_encoder() -> Callable[[Any], str]:
    """A function giving the same text as `json.dumps(obj, separators=(",", ":"))`, for data
    without reference cycles, through the C encoder built once (`json.dumps` builds it again on
    every call, which costs a sandbox child page copies)."""
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:
        return json.JSONEncoder(separators=(",", ":"), check_circular=False).encode
    iterencode = make(
        None, _no_default, json.encoder.encode_basestring_ascii, None, ":", ",", False, False, True
    )
    join = "".join

    def encode(obj: Any) -> str:
        return join(iterencode(obj, 0))

    encode({"warm": [1, 2.5, None, True, "x", float("nan")]})
    return encode


def compact_decoder() -> Callable[[bytes | str], Any]:
    """A function giving the same value as `json.loads` for one compact JSON document (no
    surrounding whitespace), through the C scanner built once: `json.loads` runs several
    layers of Python on every call, which costs a forked worker page copies.  Raises
    ValueError for anything else."""
    make = getattr(json.scanner, "c_make_scanner", None)
    if make is None:
        return json.loads
    scan = make(json.JSONDecoder())

    def decode(data: bytes | str) -> Any:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
        try:
            value, end = scan(text, 0)
        except StopIteration as exc:
            raise ValueError(f"invalid JSON at character {exc.value}") from None
        if end != len(text):
            raise ValueError(f"extra data after JSON at character {end}")
        return value

    decode(b'{"warm":[1,2.5,null,true,"x",NaN]}')
    return decode


def write_all(fd: int, data: bytes) -> None:
    """Write every byte of `data` to `fd` (a blocking descriptor)."""
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


class FrameReader:
    """Collects bytes read from a descriptor and splits them into frames."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.buffer = bytearray()

    def feed(self, chunk: bytes) -> None:
        """Add bytes that were read elsewhere."""
        self.buffer += chunk

    def read_some(self, size: int = 1 << 16) -> bool:
        """Read once from the descriptor; False at end of file."""
        chunk = os.read(self.fd, size)
        if not chunk:
            return False
        self.buffer += chunk
        return True

    def next_frame(self) -> bytes | None:
        """Pop the next complete frame, or None if it has not fully arrived."""
        if len(self.buffer) < HEADER.size:
            return None
        (size,) = HEADER.unpack_from(self.buffer)
        end = HEADER.size + size
        if len(self.buffer) < end:
            return None
        data = bytes(self.buffer[HEADER.size : end])
        del self.buffer[:end]
        return data

    def pending_size(self) -> int | None:
        """The announced length of the frame being received, if its header has arrived."""
        if len(self.buffer) < HEADER.size:
            return None
        return int(HEADER.unpack_from(self.buffer)[0])

    def read_frame(self) -> bytes | None:
        """Block until a whole frame is available; None at end of file."""
        while True:
            data = self.next_frame()
            if data is not None:
                return data
            if not self.read_some():
                return None
