"""Rows the hot paths read on every request, kept in process memory for a few seconds.

Every per-process cache of database rows is a :class:`ProcessCache`, made once at module
level with a name, a freshness and the models whose changes invalidate it::

    from userpools.services.memo import On, ProcessCache

    _pools: ProcessCache[str, UserPool] = ProcessCache("pools", 5.0, invalidated_by=("userpools.UserPool",))
    _verifiers: ProcessCache[str, Verifier] = ProcessCache(
        "verifiers", 60.0, invalidated_by=(On("userpools.SigningKey", keys=lambda key: [key.kid]),))

    pool = _pools.get(pool_id, load)   # load(pool_id) on a miss or a stale entry

``invalidated_by`` names models (classes or ``"app_label.Model"``, resolved when the apps
are ready: this module imports no app). A model alone clears the whole cache when one of
its rows is saved or deleted; ``On(model, keys=f)`` forgets only the keys ``f(instance)``
returns (computed when the signal fires, forgotten later), an empty answer forgetting
nothing. Saving or deleting such a row (``post_save``/``post_delete``; ``QuerySet.update``
sends no signal, so code that updates in bulk calls :meth:`ProcessCache.clear_on_commit`)
clears this process's entries **when the transaction commits** (``transaction.on_commit``;
at once outside a transaction). Not before: a reader in this process could otherwise load
the old row between the clear and the commit and keep it for ``seconds``. A rolled-back
change clears nothing, as nothing changed. Other server processes see a change within
``seconds``. :func:`connect` (called from the apps' ``ready()``) connects the signals;
a cache made later is connected as it is made. :func:`registered` lists the caches,
:func:`clear_all` empties every one (tests).

When an entry expires, one thread reloads it and the others that found it stale wait for
its answer rather than all querying at once (threads loading other keys go on). A load
that was under way when the cache was cleared returns its value but does not keep it: it
may have read the row before the change. What a cache hands out is shared between
threads: read it, never save or change it.

Only what may lag ``seconds`` behind in other processes belongs here. What every process
must see at once (revocations, lockouts, send limits, failure counts) is read from the
database on each use (userpools.services.limits).
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
_LOAD_LOCKS = 32


@dataclass(frozen=True)
class On:
    """A model whose saved or deleted rows invalidate a cache: all of it (``keys`` None),
    or the keys ``keys(instance)`` returns."""

    model: type | str
    keys: Callable[[Any], Iterable[Hashable]] | None = None

    @property
    def label(self) -> str:
        if isinstance(self.model, str):
            return self.model
        return self.model._meta.label  # type: ignore[attr-defined]


@dataclass(frozen=True)
class CacheInfo:
    """What :func:`registered` says about one cache."""

    name: str
    seconds: float
    max_entries: int
    invalidated_by: tuple[str, ...]  # "app_label.Model", with " (by key)" when keyed
    entries: int


_registry: weakref.WeakValueDictionary[str, ProcessCache[Any, Any]] = weakref.WeakValueDictionary()
_registry_lock = threading.Lock()
# model class -> (cache, keys) pairs; caches held weakly so a test's throwaway cache goes away.
_by_model: dict[type, list[tuple[weakref.ref[ProcessCache[Any, Any]], Callable[[Any], Iterable[Hashable]] | None]]] = {}
_connected: set[type] = set()


class ProcessCache(Generic[K, V]):
    def __init__(
        self, name: str, seconds: float, *, invalidated_by: Iterable[On | type | str] = (), max_entries: int = 10_000
    ) -> None:
        self.name = name
        self.seconds = seconds
        self.max_entries = max_entries  # past it the cache starts afresh: unknown keys cannot grow it forever
        self.invalidated_by = tuple(i if isinstance(i, On) else On(i) for i in invalidated_by)
        self._entries: dict[K, tuple[float, V]] = {}
        self._lock = threading.Lock()
        self._generation = 0  # bumped by every clear: a load that spans one is not kept
        # Loads of one key wait for each other; loads of different keys (mostly) do not, so a
        # flood of unknown keys cannot queue up the reload of a busy one.
        self._load_locks = tuple(threading.Lock() for _ in range(_LOAD_LOCKS))
        _register(self)

    def __repr__(self) -> str:
        return f"<ProcessCache {self.name!r} {self.seconds}s>"

    def get(self, key: K, load: Callable[[K], V]) -> V:
        """The fresh entry for ``key``, else ``load(key)`` (kept unless it raises, or the
        cache was cleared while it ran)."""
        hit = self._entries.get(key)
        if hit is not None and time.monotonic() - hit[0] < self.seconds:
            return hit[1]
        with self._load_locks[hash(key) % _LOAD_LOCKS]:
            now = time.monotonic()
            hit = self._entries.get(key)
            if hit is not None and now - hit[0] < self.seconds:
                return hit[1]
            generation = self._generation
            value = load(key)
            with self._lock:
                if generation != self._generation:
                    return value
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
        """Forget every entry now (also usable as a signal receiver: ignores its arguments)."""
        with self._lock:
            self._generation += 1
            self._entries.clear()

    def forget(self, *keys: K) -> None:
        """Forget these keys' entries now (loads under way for any key are not kept)."""
        with self._lock:
            self._generation += 1
            for key in keys:
                self._entries.pop(key, None)

    def forget_if(self, drop: Callable[[K, V], bool]) -> None:
        """Forget the entries for which ``drop(key, value)`` is true."""
        with self._lock:
            self._generation += 1
            for key in [k for k, (_, v) in self._entries.items() if drop(k, v)]:
                del self._entries[key]

    def clear_on_commit(self, *keys: K, using: str | None = None) -> None:
        """Clear the cache (or forget ``keys``) once the current transaction commits; at once
        outside one. For changes that send no signal (``QuerySet.update``)."""
        from django.db import transaction

        if keys:
            transaction.on_commit(lambda: self.forget(*keys), using=using)
        else:
            transaction.on_commit(self.clear, using=using)

    def __len__(self) -> int:
        return len(self._entries)


def _register(cache: ProcessCache[Any, Any]) -> None:
    with _registry_lock:
        if cache.name in _registry:
            raise ValueError(f"A process cache named {cache.name!r} exists already.")
        _registry[cache.name] = cache
    if cache.invalidated_by and _models_ready():
        connect()


def _models_ready() -> bool:
    from django.apps import apps

    return apps.models_ready


def connect() -> None:
    """Connect ``post_save``/``post_delete`` of every registered cache's models to the one
    receiver that clears on commit. Idempotent; called from the apps' ``ready()``."""
    from django.apps import apps
    from django.db.models.signals import post_delete, post_save

    with _registry_lock:
        caches = list(_registry.values())
        for cache in caches:
            for rule in cache.invalidated_by:
                model = apps.get_model(rule.model) if isinstance(rule.model, str) else rule.model
                pairs = _by_model.setdefault(model, [])
                pairs[:] = [(ref, keys) for ref, keys in pairs if ref() is not None]
                if not any(ref() is cache and keys is rule.keys for ref, keys in pairs):
                    pairs.append((weakref.ref(cache), rule.keys))
                if model not in _connected:
                    for signal in (post_save, post_delete):
                        signal.connect(
                            _changed,
                            sender=model,
                            weak=False,
                            dispatch_uid=f"process-cache-{model._meta.label}-{id(signal)}",
                        )
                    _connected.add(model)


def _changed(sender: type, instance: Any, using: str | None = None, **_: object) -> None:
    """The receiver: every cache ``sender`` invalidates is cleared (or forgets the rows'
    keys) when the transaction that saved or deleted ``instance`` commits."""
    for ref, keys in list(_by_model.get(sender, ())):
        cache = ref()
        if cache is None:
            continue
        if keys is None:
            cache.clear_on_commit(using=using)
        else:
            found = tuple(keys(instance))
            if found:
                cache.clear_on_commit(*found, using=using)


def registered() -> list[CacheInfo]:
    """Every live cache, by name."""
    with _registry_lock:
        caches = sorted(_registry.values(), key=lambda c: c.name)
    return [
        CacheInfo(
            c.name,
            c.seconds,
            c.max_entries,
            tuple(r.label + (" (by key)" if r.keys else "") for r in c.invalidated_by),
            len(c),
        )
        for c in caches
    ]


def clear_all() -> None:
    """Empty every registered cache now (tests; an operator's ``manage.py shell``)."""
    with _registry_lock:
        caches = list(_registry.values())
    for cache in caches:
        cache.clear()
