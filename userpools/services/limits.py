"""Counters that security depends on (send limits, failure counts), shared by every process.

A counter counts events under a key within a fixed window: the first hit opens the window
(``window`` seconds), later hits within it add one, the first hit after it opens a new one.
Each hit is one atomic statement on the database, so that every web process, Celery worker
and thread counts into the same row and concurrent hits are never lost (docs/architecture.md,
decisions 12 and 15: rate limits live in the database or Redis, never in process memory).

Why the database and not the cache: Django's ``incr`` is atomic only on Redis and
Memcached (on the database, local-memory and file caches it is a get and a set, and two
processes both write the same "+1"); a cache may evict a counter under memory pressure
(Redis with an ``allkeys-*`` policy), which would reset a limit; and every hit here
accompanies a database write anyway (a code issued, a password checked), so a counter
row costs one more statement on paths that are not hot.

Inside an enclosing ``transaction.atomic`` a hit commits or rolls back with it: count
before doing what is limited, in the same transaction, or outside any.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import connection, transaction
from django.utils import timezone

from userpools.models import LimitCounter


def _upsert_sql() -> str:
    """One statement: insert the key with a count of 1, or add one to its count if its window
    is still open, else restart it (PostgreSQL and SQLite 3.24+ both have ``ON CONFLICT``)."""
    qn = connection.ops.quote_name
    table, key, count, ends = (qn(LimitCounter._meta.db_table), qn("key"), qn("count"), qn("window_ends"))
    return (
        f"INSERT INTO {table} ({key}, {count}, {ends}) VALUES (%s, 1, %s) "
        f"ON CONFLICT ({key}) DO UPDATE SET "
        f"{count} = CASE WHEN {table}.{ends} > %s THEN {table}.{count} + 1 ELSE 1 END, "
        f"{ends} = CASE WHEN {table}.{ends} > %s THEN {table}.{ends} ELSE %s END"
    )


def counter_hit(key: str, *, window: int) -> int:
    """Count one event under ``key``; returns how many its current window holds, this one included."""
    now = timezone.now()
    adapt = connection.ops.adapt_datetimefield_value
    at, ends = adapt(now), adapt(now + timedelta(seconds=window))
    with transaction.atomic(), connection.cursor() as cursor:
        # Within one transaction the row stays locked (PostgreSQL) or the database does
        # (SQLite, whose transactions take the write lock when they begin: config/settings.py)
        # from the update to the read, so the count read is this hit's.
        cursor.execute(_upsert_sql(), [key, ends, at, at, ends])
        return LimitCounter.objects.filter(key=key).values_list("count", flat=True).get()


def counter_value(key: str) -> int:
    """How many events ``key``'s current window holds (0 when none is open)."""
    count = LimitCounter.objects.filter(key=key, window_ends__gt=timezone.now()).values_list("count", flat=True)
    return next(iter(count), 0)


def counter_reset(key: str) -> None:
    """Forget ``key``'s count (e.g. failures, after a success)."""
    LimitCounter.objects.filter(key=key).delete()


def counters_prune() -> int:
    """Delete the counters whose window has closed (they count as 0 anyway); returns how many."""
    return LimitCounter.objects.filter(window_ends__lte=timezone.now()).delete()[0]
