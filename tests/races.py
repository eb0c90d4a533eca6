"""The thread-race harness of the race tests (tests/*/test_races.py, tests/security/test_limits.py).

The service runs in threads released at once, each on its own database connection, which it
closes at the end, in a transactional test. That needs a database where a second writer waits
for the first: PostgreSQL, or a file SQLite database in ``transaction_mode`` IMMEDIATE; the
in-memory SQLite test database fails any conflict at once ("database table is locked"), so
there the threaded tests are skipped (``threaded``)."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.db import connection, connections

from userpools.errors import ServiceError


def writers_wait() -> bool:
    """Whether the test database makes a second writer wait (asked at test time: at import
    time the connection still names the development database)."""
    if connection.vendor != "sqlite":
        return True
    options = connection.settings_dict.get("OPTIONS", {})
    return not connection.is_in_memory_db() and options.get("transaction_mode") == "IMMEDIATE"


# Skips the test where a second writer fails at once (the fixture is tests/conftest.py's).
threaded = pytest.mark.usefixtures("side_by_side")


def concurrently(*calls: Callable[[], object], timeout: float = 120) -> list:
    """Run each call in its own thread, all released at once; for each, what it returned, the
    code of the ServiceError it raised (a str), or any other exception it raised."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(index: int, call: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=30)
            results[index] = call()
        except ServiceError as exc:
            results[index] = exc.code.value
        except BaseException as exc:  # reported by the test
            results[index] = exc
        finally:
            connections.close_all()  # the thread's own connections; the test database must be droppable

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    return results


def race(*calls: Callable[[], object]) -> list[str]:
    """``concurrently`` for calls whose value does not matter: "ok", or the code of a service
    error; any other exception fails the test (on the wire it would be a 500)."""
    results = concurrently(*[_ok(call) for call in calls])
    crashes = [r for r in results if isinstance(r, BaseException)]
    assert not crashes, [f"{type(r).__name__}: {r}" for r in crashes]
    return results


def _ok(call: Callable[[], object]) -> Callable[[], str]:
    def run() -> str:
        call()
        return "ok"

    return run
