"""userpools.services.memo.ProcessCache: freshness, reload after expiry, one loader at a time."""

from __future__ import annotations

import threading
import time

import pytest

from userpools.services.memo import ProcessCache


def test_fresh_entries_are_not_reloaded_and_stale_ones_are():
    loads: list[str] = []
    cache: ProcessCache[str, str] = ProcessCache(0.2)

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
    cache: ProcessCache[str, int] = ProcessCache(60)

    def fail(key: str) -> int:
        raise LookupError(key)

    with pytest.raises(LookupError):
        cache.get("k", fail)
    assert cache.get("k", lambda key: 7) == 7


def test_one_thread_reloads_while_the_others_wait():
    cache: ProcessCache[str, int] = ProcessCache(60)
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
    cache: ProcessCache[int, int] = ProcessCache(60, max_entries=3)
    for i in range(10):
        cache.get(i, lambda key: key)
    assert len(cache._entries) <= 3


def test_a_slow_load_does_not_hold_up_other_keys():
    cache: ProcessCache[str, str] = ProcessCache(60)
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
    cache: ProcessCache[str, str] = ProcessCache(0.3)
    cache.get("k", lambda key: "loaded")
    time.sleep(0.2)
    cache.update("k", "derived")
    assert cache.get("k", lambda key: "reloaded") == "derived"
    time.sleep(0.15)  # 0.35 s after the load, 0.15 s after the update
    assert cache.get("k", lambda key: "reloaded") == "reloaded"
    cache.clear()
    cache.update("k", "derived")  # no entry: nothing to update, nothing added
    assert cache.get("k", lambda key: "loaded again") == "loaded again"
