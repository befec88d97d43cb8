"""Recognise a document in UTF-16 or UTF-32 by its first bytes (XML 1.0, appendix F).

A byte-order mark names the encoding; without one, an XML declaration `<?` written in
two or four bytes a character does.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Longest first: the UTF-32LE mark starts with the UTF-16LE one.
_MARKS = (
    (b"\xff\xfe\x00\x00", "UTF-32LE", "byte-order mark FF FE 00 00"),
    (b"\x00\x00\xfe\xff", "UTF-32BE", "byte-order mark 00 00 FE FF"),
    (b"\xff\xfe", "UTF-16LE", "byte-order mark FF FE"),
    (b"\xfe\xff", "UTF-16BE", "byte-order mark FE FF"),
    (b"<\x00\x00\x00", "UTF-32LE", "'<' written as 3C 00 00 00"),
    (b"\x00\x00\x00<", "UTF-32BE", "'<' written as 00 00 00 3C"),
    (b"<\x00?\x00", "UTF-16LE", "'<?' written as 3C 00 3F 00"),
    (b"\x00<\x00?", "UTF-16BE", "'<?' written as 00 3C 00 3F"),
)


@dataclass(frozen=True)
class WideEncoding:
    """A UTF-16/UTF-32 encoding found at the start of a document, and how it was seen."""

    name: str  # "UTF-16LE", "UTF-16BE", "UTF-32LE" or "UTF-32BE"
    evidence: str
    mark_bytes: int  # length of the byte-order mark, 0 when there is none

    def describe(self) -> str:
        return f"{self.name} encoded ({self.evidence})"

    def text_start(self, data: bytes, characters: int = 100) -> str:
        """The first `characters` of the document, decoded (undecodable ones replaced)."""
        width = 2 if self.name.startswith("UTF-16") else 4
        head = data[self.mark_bytes : self.mark_bytes + characters * width]
        return head.decode(self.name.lower().replace("utf", "utf_"), errors="replace")


def wide_encoding(data: bytes) -> WideEncoding | None:
    """The UTF-16/UTF-32 encoding `data` starts in, or None (ASCII-compatible bytes)."""
    for prefix, name, evidence in _MARKS:
        if data.startswith(prefix):
            mark = len(prefix) if evidence.startswith("byte-order") else 0
            return WideEncoding(name, evidence, mark)
    return None


def wide_text_encoding(head: bytes) -> WideEncoding | None:
    """The UTF-16/UTF-32 encoding of a text document (CSV) from its first bytes: a
    byte-order mark, or a first line with a NUL in every other byte (UTF-16 written
    without a mark, which is otherwise valid ASCII with NULs)."""
    found = wide_encoding(head)
    if found is not None or b"\x00" not in head:
        return found
    line = head.split(b"\n", 1)[0][:256]
    if len(line) < 4:
        return None
    if line[1::2].count(0) == len(line[1::2]):
        return WideEncoding("UTF-16LE", "every other byte of its first line is 00", 0)
    if line[0::2].count(0) == len(line[0::2]):
        return WideEncoding("UTF-16BE", "every other byte of its first line is 00", 0)
    return None
