"""Rows the hot paths read on every request, kept in process memory for a few seconds.

A :class:`ProcessCache` holds what its ``load`` function returned for a key, for
``seconds``. Saving or deleting the rows behind it clears this process's entries at once
(a signal receiver calls :meth:`ProcessCache.clear`); other server processes see the
change within ``seconds``. When an entry expires, one thread reloads it and the others
that found it stale wait for its answer rather than all querying at once (threads
loading other keys go on). What a cache
hands out is shared between threads: read it, never save or change it.

Only what may lag ``seconds`` behind in other processes belongs here. What every process
must see at once (revocations, lockouts, send limits, failure counts) is read from the
database on each use (userpools.services.limits; DESIGN.md decision 12).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
_LOAD_LOCKS = 32


class ProcessCache(Generic[K, V]):
    def __init__(self, seconds: float, *, max_entries: int = 10_000) -> None:
        self.seconds = seconds
        self.max_entries = max_entries  # past it the cache starts afresh: unknown keys cannot grow it forever
        self._entries: dict[K, tuple[float, V]] = {}
        self._lock = threading.Lock()
        # Loads of one key wait for each other; loads of different keys (mostly) do not, so a
        # flood of unknown keys cannot queue up the reload of a busy one.
        self._load_locks = tuple(threading.Lock() for _ in range(_LOAD_LOCKS))

    def get(self, key: K, load: Callable[[K], V]) -> V:
        """The fresh entry for ``key``, else ``load(key)`` (kept unless it raises)."""
        hit = self._entries.get(key)
        if hit is not None and time.monotonic() - hit[0] < self.seconds:
            return hit[1]
        with self._load_locks[hash(key) % _LOAD_LOCKS]:
            now = time.monotonic()
            hit = self._entries.get(key)
            if hit is not None and now - hit[0] < self.seconds:
                return hit[1]
            value = load(key)
            with self._lock:
                if len(self._entries) >= self.max_entries:
                    self._entries.clear()
                self._entries[key] = (now, value)
        return value

    def update(self, key: K, value: V) -> None:
        """Replace the value of ``key``'s entry, if it has one, keeping the entry's age: a
        value derived from a loaded one is no fresher than the load, so it must not outlive
        it (another process's change shows within ``seconds`` of the load, as promised)."""
        with self._lock:
            hit = self._entries.get(key)
            if hit is not None:
                self._entries[key] = (hit[0], value)

    def clear(self, **_: object) -> None:
        """Forget every entry (also a signal receiver: takes and ignores the signal's arguments)."""
        with self._lock:
            self._entries.clear()
