"""Record framing, the same in every file of the spool (segments and ack ledgers)::

    MAGIC(4) LEN(u32) CRC32(u32 over the LEN bytes and the payload) payload

Length-prefixed records let a reader walk a file without parsing JSON to find the next record;
the CRC tells a torn tail (a crash mid-``write``) or a flipped byte from a good record; the
magic lets the reader resynchronise on the next record after a bad one, so one corrupt byte
costs one record, not the rest of the file. [Vector ``disk_v2/record.rs``]
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator

MAGIC = b"TSP1"
HEADER = struct.Struct("<4sII")  # magic, payload length, crc32(length bytes + payload)
MAX_RECORD = 64 * 1024 * 1024
_LENGTH = struct.Struct("<I")


def _crc(payload: bytes, n: int) -> int:
    return zlib.crc32(payload, zlib.crc32(_LENGTH.pack(n)))


def frame(payload: bytes) -> bytes:
    """``payload`` as one record."""
    n = len(payload)
    return HEADER.pack(MAGIC, n, _crc(payload, n)) + payload


def read_records(data: bytes) -> Iterator[tuple[int, bytes | None]]:
    """(offset, payload) for each good record of ``data``; (offset, None) once per bad stretch
    skipped (a flipped byte, a torn tail)."""
    pos, end = 0, len(data)
    while pos + HEADER.size <= end:
        magic, n, crc = HEADER.unpack_from(data, pos)
        start = pos + HEADER.size
        if magic == MAGIC and n <= MAX_RECORD and start + n <= end:
            payload = data[start : start + n]
            if _crc(payload, n) == crc:
                yield pos, payload
                pos = start + n
                continue
        yield pos, None
        nxt = data.find(MAGIC, pos + 1)
        if nxt < 0:
            return
        pos = nxt
    if pos < end:
        yield pos, None  # torn tail: a header cut short
