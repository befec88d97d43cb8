"""Answers already written, kept by what they were computed from.

A route that can name everything its answer depends on (a series' number of rows,
which grows with every write of it, and the query) keeps the encoded body under that
name, and answers the same question again without reading or encoding: the version is
looked up in the store on every request, so a kept body is never staler than the
store. Bodies are grouped (one group per series): once a group is seen at a newer
version, its older bodies can never be asked for again and are dropped at once, so the
memory held follows the distinct questions asked of the current data, not the number of
writes. Bounded by the bytes held, least recently used first out; one per app.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable

#: Bytes of bodies held at most per app.
MAX_BYTES = 64 * 1024 * 1024

Name = tuple[Hashable, int, Hashable]  # (group, version, question)


class BodyCache:
    def __init__(self, max_bytes: int = MAX_BYTES) -> None:
        self._max_bytes = max_bytes
        self._bodies: OrderedDict[Name, bytes] = OrderedDict()
        self._versions: dict[Hashable, int] = {}  # the newest version seen per group
        self._names: dict[Hashable, set[Name]] = {}  # the names held per group
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, group: Hashable, version: int, question: Hashable) -> bytes | None:
        name = (group, version, question)
        with self._lock:
            body = self._bodies.get(name)
            if body is None:
                self.misses += 1
                return None
            self._bodies.move_to_end(name)
            self.hits += 1
            return body

    def put(self, group: Hashable, version: int, question: Hashable, body: bytes) -> None:
        if len(body) > self._max_bytes // 8:
            return  # one huge answer would push out everything else
        with self._lock:
            newest = self._versions.get(group)
            if newest is not None and version < newest:
                return  # already superseded
            if newest is not None and version > newest:
                for stale in self._names.pop(group, set()):
                    self._bytes -= len(self._bodies.pop(stale))
            self._versions[group] = version
            name = (group, version, question)
            old = self._bodies.pop(name, None)
            self._bytes += len(body) - (0 if old is None else len(old))
            self._bodies[name] = body
            self._names.setdefault(group, set()).add(name)
            while self._bytes > self._max_bytes:
                dropped, dropped_body = self._bodies.popitem(last=False)
                self._bytes -= len(dropped_body)
                self._names[dropped[0]].discard(dropped)

    @property
    def held_bytes(self) -> int:
        return self._bytes
