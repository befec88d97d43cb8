"""Answers already written, kept by what they were computed from.

A route that can name everything its answer depends on (a series' number of rows,
which grows with every write of it, and the query) keeps the encoded body under that
name, and answers the same question again without reading or encoding: the name is
looked up in the store on every request, so a kept body is never staler than the
store. Bounded by the bytes held, least recently used first out; one per app.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable

#: Bytes of bodies held at most per app.
MAX_BYTES = 64 * 1024 * 1024


class BodyCache:
    def __init__(self, max_bytes: int = MAX_BYTES) -> None:
        self._max_bytes = max_bytes
        self._bodies: OrderedDict[Hashable, bytes] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, name: Hashable) -> bytes | None:
        with self._lock:
            body = self._bodies.get(name)
            if body is None:
                self.misses += 1
                return None
            self._bodies.move_to_end(name)
            self.hits += 1
            return body

    def put(self, name: Hashable, body: bytes) -> None:
        if len(body) > self._max_bytes // 8:
            return  # one huge answer would push out everything else
        with self._lock:
            old = self._bodies.pop(name, None)
            self._bytes += len(body) - (0 if old is None else len(old))
            self._bodies[name] = body
            while self._bytes > self._max_bytes:
                _, dropped = self._bodies.popitem(last=False)
                self._bytes -= len(dropped)

    @property
    def held_bytes(self) -> int:
        return self._bytes
