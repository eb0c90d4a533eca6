"""userpools.services.memo.ProcessCache: freshness, reload after expiry, one loader at a time."""

from __future__ import annotations

import itertools
import threading
import time

import pytest

from userpools.services import memo
from userpools.services.memo import ProcessCache

_names = itertools.count()


def _name() -> str:
    """A name no other live cache has (names are unique while a cache lives)."""
    return f"test-memo-{next(_names)}"


def test_fresh_entries_are_not_reloaded_and_stale_ones_are():
    loads: list[str] = []
    cache: ProcessCache[str, str] = ProcessCache(_name(), 0.2)

    def load(key: str) -> str:
        loads.append(key)
        return key.upper() + str(len(loads))

    assert cache.get("a", load) == "A1"
    assert cache.get("a", load) == "A1"
    time.sleep(0.25)
    assert cache.get("a", load) == "A2"
    cache.clear()
    assert cache.get("a", load) == "A3"
    assert loads == ["a", "a", "a"]


def test_a_failed_load_is_not_kept():
    cache: ProcessCache[str, int] = ProcessCache(_name(), 60)

    def fail(key: str) -> int:
        raise LookupError(key)

    with pytest.raises(LookupError):
        cache.get("k", fail)
    assert cache.get("k", lambda key: 7) == 7


def test_one_thread_reloads_while_the_others_wait():
    cache: ProcessCache[str, int] = ProcessCache(_name(), 60)
    calls = 0
    started = threading.Barrier(8)

    def slow(key: str) -> int:
        nonlocal calls
        calls += 1
        time.sleep(0.05)
        return 1

    def reader() -> None:
        started.wait()
        assert cache.get("k", slow) == 1

    threads = [threading.Thread(target=reader) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert calls == 1


def test_unknown_keys_cannot_grow_it_forever():
    cache: ProcessCache[int, int] = ProcessCache(_name(), 60, max_entries=3)
    for i in range(10):
        cache.get(i, lambda key: key)
    assert len(cache._entries) <= 3


def test_a_slow_load_does_not_hold_up_other_keys():
    cache: ProcessCache[str, str] = ProcessCache(_name(), 60)
    release = threading.Event()
    slow_key = "slow"
    other = next(k for k in (f"k{i}" for i in range(1000)) if hash(k) % 32 != hash(slow_key) % 32)

    def slow(key: str) -> str:
        release.wait(5)
        return key

    blocker = threading.Thread(target=cache.get, args=(slow_key, slow))
    blocker.start()
    time.sleep(0.05)
    started = time.monotonic()
    assert cache.get(other, lambda key: key) == other
    assert time.monotonic() - started < 1
    release.set()
    blocker.join()


def test_an_updated_entry_keeps_the_age_of_its_load():
    cache: ProcessCache[str, str] = ProcessCache(_name(), 0.3)
    cache.get("k", lambda key: "loaded")
    time.sleep(0.2)
    cache.update("k", "derived")
    assert cache.get("k", lambda key: "reloaded") == "derived"
    time.sleep(0.15)  # 0.35 s after the load, 0.15 s after the update
    assert cache.get("k", lambda key: "reloaded") == "reloaded"
    cache.clear()
    cache.update("k", "derived")  # no entry: nothing to update, nothing added
    assert cache.get("k", lambda key: "loaded again") == "loaded again"


def test_a_load_under_way_when_the_cache_is_cleared_is_not_kept():
    cache: ProcessCache[str, str] = ProcessCache(_name(), 60)

    def load_then_clear(key: str) -> str:
        cache.clear()  # a change committed while the row was being read
        return "read before the change"

    assert cache.get("k", load_then_clear) == "read before the change"
    assert cache.get("k", lambda key: "read after") == "read after"
    assert cache.get("k", lambda key: "not reloaded") == "read after"


def test_forget_drops_only_the_keys_named():
    cache: ProcessCache[str, str] = ProcessCache(_name(), 60)
    for key in ("a", "b", "c"):
        cache.get(key, str.upper)
    cache.forget("a", "missing")
    cache.forget_if(lambda key, value: value == "B")
    assert cache.get("a", lambda key: "again") == "again"
    assert cache.get("b", lambda key: "again") == "again"
    assert cache.get("c", lambda key: "again") == "C"


def test_every_cache_is_listed_by_name_and_names_are_unique():
    name = _name()
    cache: ProcessCache[str, str] = ProcessCache(
        name, 7, invalidated_by=("userpools.UserPool", memo.On("userpools.AppClient", keys=lambda c: [c.client_id]))
    )
    cache.get("k", str.upper)
    info = {i.name: i for i in memo.registered()}[name]
    assert (info.seconds, info.entries) == (7, 1)
    assert info.invalidated_by == ("userpools.UserPool", "userpools.AppClient (by key)")
    assert {"pools", "clients", "hosts", "access-keys", "access-key-secrets"} <= set(
        info.name for info in memo.registered()
    )
    with pytest.raises(ValueError):
        ProcessCache(name, 1)
    del cache, info
    assert name not in {i.name for i in memo.registered()}  # a dropped cache leaves the list
    ProcessCache(name, 1)


def test_clear_all_empties_every_cache():
    first: ProcessCache[str, str] = ProcessCache(_name(), 60)
    second: ProcessCache[str, str] = ProcessCache(_name(), 60)
    first.get("k", str.upper)
    second.get("k", str.upper)
    memo.clear_all()
    assert len(first) == len(second) == 0
