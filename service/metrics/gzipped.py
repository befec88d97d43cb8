"""A gzip body whose large, unchanging parts are compressed once, not at every scrape.

A raw deflate segment that starts from an empty window and ends with a sync flush (an
empty stored block, byte aligned, not final) can be followed by any other such segment:
the result is one valid deflate stream. So the text of the snapshot's families is
compressed once per read (`Deflated`), and a scrape compresses only the few small parts
that change (`gzip_body`); the CRC-32 over the whole text is the only pass over it.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

#: Deflate level: 1 compresses the 2 MB of a 1,000-series snapshot about 20-fold in a
#: few milliseconds; higher levels gain a few percent for ten times the CPU.
LEVEL = 1
_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"  # deflate, no name, no mtime


def _segment(text: bytes, *, final: bool) -> bytes:
    compressor = zlib.compressobj(LEVEL, zlib.DEFLATED, -zlib.MAX_WBITS)
    return compressor.compress(text) + compressor.flush(
        zlib.Z_FINISH if final else zlib.Z_SYNC_FLUSH
    )


@dataclass(frozen=True)
class Deflated:
    """`text` and its raw deflate segment (sync-flushed, self-contained)."""

    text: bytes
    segment: bytes

    @classmethod
    def of(cls, text: bytes) -> Deflated:
        return cls(text, _segment(text, final=False))


def plain_body(pieces: Sequence[bytes | Deflated]) -> bytes:
    """The pieces' text, joined."""
    return b"".join(piece.text if isinstance(piece, Deflated) else piece for piece in pieces)


def gzip_body(pieces: Sequence[bytes | Deflated]) -> bytes:
    """One gzip member of plain_body(pieces): `Deflated` pieces as compressed before, the
    others compressed now."""
    segments = [_GZIP_HEADER]
    crc = size = 0
    pending: list[bytes] = []  # plain pieces compressed together
    for piece in pieces:
        text = piece.text if isinstance(piece, Deflated) else piece
        crc = zlib.crc32(text, crc)
        size += len(text)
        if isinstance(piece, Deflated):
            if pending:
                segments.append(_segment(b"".join(pending), final=False))
                pending = []
            segments.append(piece.segment)
        else:
            pending.append(piece)
    segments.append(_segment(b"".join(pending), final=True))  # ends the stream
    segments.append(struct.pack("<II", crc, size & 0xFFFFFFFF))
    return b"".join(segments)


def accepts_gzip(accept_encoding: str) -> bool:
    """Whether an Accept-Encoding header value accepts gzip (not with q=0)."""
    for coding in accept_encoding.split(","):
        name, *parameters = (part.strip().lower() for part in coding.split(";"))
        if name in ("gzip", "x-gzip"):
            for parameter in parameters:
                key, _, value = parameter.partition("=")
                if key.strip() == "q":
                    try:
                        return float(value) > 0
                    except ValueError:
                        return False
            return True
    return False
