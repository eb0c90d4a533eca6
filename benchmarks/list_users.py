#!/usr/bin/env python
"""ListUsers at scale: load a pool with N users on PostgreSQL, then time pages.

1. Creation. Users are built as the user services build them (``username_key`` per
   the pool's case folding, filterable attributes mirrored by ``sync_columns``, a
   ``sub``, ``date_joined`` and ``updated_at``) with realistic attributes: e-mail,
   phone, given and family name, mostly CONFIRMED, some UNCONFIRMED and
   FORCE_CHANGE_PASSWORD, 1 % disabled. The first ``--bulk-create`` users go in
   through ``bulk_create(batch_size=5000)``, the rest through PostgreSQL ``COPY``;
   users/s is reported for each, with every index of the model in place. Every user
   gets the SAME Argon2 hash, computed once: hashing a million passwords would take
   hours and says nothing about ListUsers. The table is then VACUUM ANALYZEd.
2. ListUsers, through the service (``userpools.services.directory.users_list``):
   first and deep pages, unfiltered and for each filter shape: exact e-mail, e-mail
   prefix, a common given_name (exact and prefix), cognito:user_status (rare and
   dense), status = "Disabled" / "Enabled". Deep pages are reached by walking the
   service's own tokens once (each walked page's time is reported too, up to
   ``--deep-page`` pages or ``--walk-seconds``); the last page, when deeper, with a
   token made by the service's own encoder (checked against walked ones). Each page
   is p50/p95/max over ``--samples`` calls. The verdict compares the worst p95 with
   the 50 ms goal (exit status 1 when missed); ``--explain`` prints the slowest
   page's plans, ``--wire`` also times one page through the signed HTTP path.

The pool is tagged ``cognate-benchmark=list_users``; ``--reuse`` keeps it when it
already holds N users (and tops it up when it holds fewer), otherwise it is
dropped and loaded again.

    psql -h 127.0.0.1 -U postgres -c 'CREATE DATABASE cognate_bench_users'
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/cognate_bench_users SECRET_KEY=bench
    python manage.py migrate
    python benchmarks/list_users.py --users 100000
    python benchmarks/list_users.py --users 1000000 --explain
    python benchmarks/list_users.py --users 1000000 --reuse --samples 50   # timings only
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TAG = ("cognate-benchmark", "list_users")
GOAL_MS = 50.0
GIVEN = [
    "Olivia",
    "Liam",
    "Emma",
    "Noah",
    "Amelia",
    "Oliver",
    "Sophia",
    "Elijah",
    "Charlotte",
    "James",
    "Ava",
    "Lucas",
    "Mia",
    "Mateo",
    "Isabella",
    "Levi",
    "Evelyn",
    "Asher",
    "Harper",
    "Leo",
]
FAMILY = [
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
]
DIRECTORY = ROOT / "userpools" / "services" / "directory.py"


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def load() -> str:
    return f"load {os.getloadavg()[0]:.2f}"


# --- Creation ---------------------------------------------------------------------------------


class UserFactory:
    """User ``i`` of the benchmark pool, exactly as the user services would store it."""

    def __init__(self, pool, total: int):
        from django.contrib.auth.hashers import make_password
        from django.utils import timezone

        from userpools.models import User
        from userpools.services import users as user_services

        self.pool = pool
        self.User = User
        self.services = user_services
        started = time.perf_counter()
        self.password = make_password("Correct-horse-battery-1")
        self.hash_seconds = time.perf_counter() - started
        # Sign-ups spread over the last `total` minutes, user i joining before user i+1.
        self.now = timezone.now()
        self.total = total
        self.columns = [f for f in User._meta.concrete_fields if not f.primary_key]

    def build(self, i: int):
        User, now = self.User, self.now
        if i % 10 == 3:
            status = User.Status.UNCONFIRMED
        elif i % 50 == 11:
            status = User.Status.FORCE_CHANGE_PASSWORD
        else:
            status = User.Status.CONFIRMED
        given, family = GIVEN[i % len(GIVEN)], FAMILY[(i // len(GIVEN)) % len(FAMILY)]
        attrs = {
            "email": f"user{i}@example{i % 50}.com",
            "email_verified": "true" if status == User.Status.CONFIRMED else "false",
            "given_name": given,
            "family_name": family,
            "name": f"{given} {family}",
        }
        if i % 3:  # two users in three gave a phone number
            attrs["phone_number"] = f"+1555{i % 10_000_000:07d}"
            attrs["phone_number_verified"] = "false"
        if i % 20 == 0:
            attrs["preferred_username"] = f"{given.lower()}{i}"
        if i % 7 == 0:
            attrs["custom:team"] = f"team-{i % 13}"
        joined = now - timedelta(minutes=self.total - i)
        user = User(
            pool=self.pool,
            username=f"user{i}",
            username_key=self.services.username_key(self.pool, f"user{i}"),
            status=status,
            attributes=attrs,
            password=self.password,
            is_active=i % 100 != 42,
            date_joined=joined,
        )
        if status == User.Status.FORCE_CHANGE_PASSWORD:
            user.temporary_password_expires_at = joined + timedelta(days=7)
        self.services.sync_columns(user)
        return user

    def row(self, user) -> tuple:
        """The COPY row: concrete columns in model order, as an INSERT would send them
        (``pre_save`` fills ``updated_at`` as auto_now does; JSON as JSON text)."""
        return tuple(
            json.dumps(user.attributes) if f.attname == "attributes" else f.pre_save(user, True) for f in self.columns
        )


def pool_find():
    from userpools.models import UserPool

    # JSON containment differs between backends; the pools table is small.
    return [p for p in UserPool.objects.all() if (p.tags or {}).get(TAG[0]) == TAG[1]]


def pool_drop(pools) -> None:
    from django.db import connection, transaction

    for pool in pools:
        with transaction.atomic(), connection.cursor() as cursor:
            # A raw delete: Django's cascade would load every user to collect relations.
            cursor.execute("DELETE FROM userpools_user WHERE pool_id = %s", [pool.id])
            pool.delete()


def pool_create():
    from userpools.context import ServiceContext
    from userpools.services.pools import user_pool_create

    return user_pool_create(
        ServiceContext(actor="benchmark"),
        {
            "PoolName": "list-users-benchmark",
            "UserPoolTags": dict([TAG]),
            "UsernameConfiguration": {"CaseSensitive": False},
            "AutoVerifiedAttributes": ["email"],
        },
    )


def create_bulk(factory: UserFactory, start: int, stop: int, batch: int = 5000) -> None:
    from django.db import transaction

    for lo in range(start, stop, batch * 10):
        users = [factory.build(i) for i in range(lo, min(stop, lo + batch * 10))]
        with transaction.atomic():
            factory.User.objects.bulk_create(users, batch_size=batch)


def create_copy(factory: UserFactory, start: int, stop: int, chunk: int = 50_000) -> None:
    from django.db import connection, transaction

    columns = ", ".join(connection.ops.quote_name(f.column) for f in factory.columns)
    sql = f"COPY {factory.User._meta.db_table} ({columns}) FROM STDIN"
    for lo in range(start, stop, chunk):
        with transaction.atomic(), connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
            for i in range(lo, min(stop, lo + chunk)):
                copy.write_row(factory.row(factory.build(i)))


def populate(args) -> dict:
    """Make the benchmark pool hold at least ``args.users`` users; returns what was done."""
    from django.db import connection

    from userpools.models import User

    pools = pool_find()
    pool, have = None, 0
    if args.reuse and pools:
        pool = max(pools, key=lambda p: User.objects.filter(pool=p).count())
        have = User.objects.filter(pool=pool).count()
        pool_drop([p for p in pools if p.pk != pool.pk])
    else:
        pool_drop(pools)
    if pool is None:
        pool = pool_create()
    done = {"pool": pool, "existing": have, "phases": []}
    if have >= args.users:
        return done
    factory = UserFactory(pool, args.users)
    done["hash_seconds"] = factory.hash_seconds
    print(
        f"creating users {have:,}..{args.users - 1:,} in {pool.id} "
        f"(one Argon2 hash, {factory.hash_seconds * 1000:.0f} ms, reused by every user; {load()})",
        flush=True,
    )
    bulk_stop = min(args.users, have + args.bulk_create) if connection.vendor == "postgresql" else args.users
    for name, fn, lo, hi in (
        ("bulk_create(batch_size=5000)", create_bulk, have, bulk_stop),
        ("COPY FROM STDIN", create_copy, bulk_stop, args.users),
    ):
        if hi <= lo:
            continue
        la = os.getloadavg()[0]
        started = time.perf_counter()
        fn(factory, lo, hi)
        seconds = time.perf_counter() - started
        done["phases"].append((name, hi - lo, seconds, max(la, os.getloadavg()[0])))
        print(
            f"  {name:<30}{hi - lo:>10,} users {seconds:>8.1f} s {(hi - lo) / seconds:>9,.0f} users/s ({load()})",
            flush=True,
        )
    started = time.perf_counter()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"VACUUM (ANALYZE) {User._meta.db_table}")
        else:
            cursor.execute(f"ANALYZE {User._meta.db_table}")
    done["analyze_seconds"] = time.perf_counter() - started
    print(f"  VACUUM (ANALYZE) / ANALYZE {done['analyze_seconds']:.1f} s", flush=True)
    return done


# --- Measurement ------------------------------------------------------------------------------


def wait_for_service(minutes: float):
    """``users_list``, waiting for userpools/services/directory.py while it is being written."""
    import importlib

    deadline = time.monotonic() + minutes * 60
    while True:
        if DIRECTORY.exists():
            try:
                module = importlib.import_module("userpools.services.directory")
                return module.users_list
            except (ImportError, AttributeError) as exc:
                problem = f"{exc.__class__.__name__}: {exc}"
                sys.modules.pop("userpools.services.directory", None)
        else:
            problem = f"{DIRECTORY.relative_to(ROOT)} does not exist yet"
        if time.monotonic() >= deadline:
            raise SystemExit(f"users_list is not available ({problem}); gave up after {minutes:.0f} min")
        print(f"waiting for users_list: {problem}; next look in 60 s", flush=True)
        time.sleep(60)


class Bench:
    def __init__(self, users_list, pool_id: str, page_size: int, samples: int):
        self.users_list = users_list
        self.pool_id = pool_id
        self.page_size = page_size
        self.samples = samples

    def call(self, filter_: str | None, token: str | None):
        return self.users_list(
            pool_id=self.pool_id, filter=filter_, limit=self.page_size, token=token, attributes_to_get=None
        )

    def time(self, filter_: str | None, token: str | None) -> dict:
        page = self.call(filter_, token)  # warm: plan cache, the pool row, the index pages
        times = []
        la = os.getloadavg()[0]
        for _ in range(self.samples):
            started = time.perf_counter()
            self.call(filter_, token)
            times.append((time.perf_counter() - started) * 1000)
        times.sort()
        return {
            "rows": len(page.items),
            "more": page.next_token is not None,
            "p50": statistics.median(times),
            "p95": pct(times, 0.95),
            "max": times[-1],
            "load": max(la, os.getloadavg()[0]),
        }

    def walk(self, filter_: str | None, max_page: int, budget: float) -> dict:
        """Follow next tokens from the first page; the token that fetches page p, for
        p in a few checkpoints and the deepest page reached, and each page's time."""
        checkpoints = {10, 100, 1000, max_page}
        tokens: dict[int, str] = {}
        times = []
        token, page_no, rows = None, 0, 0
        deadline = time.perf_counter() + budget
        while True:
            started = time.perf_counter()
            page = self.call(filter_, token)
            times.append((time.perf_counter() - started) * 1000)
            page_no += 1
            rows += len(page.items)
            if page.next_token is None or page_no >= max_page or time.perf_counter() > deadline:
                break
            token = page.next_token
            if page_no + 1 in checkpoints:
                tokens[page_no + 1] = token
        deepest = page_no
        if deepest > 1:
            tokens[deepest] = token
        return {
            "tokens": tokens,
            "pages": deepest,
            "rows": rows,
            "complete": page.next_token is None,
            "budget_hit": page.next_token is not None and deepest < max_page,
            "times": times,
        }


def capture_sql(fn) -> list[tuple[str, list]]:
    from django.db import connection

    seen: list[tuple[str, list]] = []

    def recorder(execute, sql, params, many, context):
        seen.append((sql, list(params or [])))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(recorder):
        fn()
    return seen


def explain(fn) -> str:
    from django.db import connection

    out = []
    for sql, params in capture_sql(fn):
        if "userpools_user" not in sql or not sql.lstrip().upper().startswith("SELECT"):
            continue
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
                plan = "\n".join(r[0] for r in cursor.fetchall())
            else:
                cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
                plan = "\n".join(str(r[-1]) for r in cursor.fetchall())
        shown = connection.ops.compose_sql(sql, params) if connection.vendor == "postgresql" else f"{sql} {params}"
        out.append(f"{shown}\n{plan}")
    return "\n\n".join(out)


def constructed_tokens(pool_id: str, filter_: str | None, pages: list[int], page_size: int) -> dict[int, str]:
    """Tokens for pages too deep to walk to, made by the service's own parser and token
    encoder from the row that ends the page before (found once with OFFSET, untimed).
    Empty if the service's internals are not what this expects."""
    from userpools.models import User, UserPool

    try:
        from userpools.services.directory import _token_encode, users_filter_parse
    except ImportError:
        return {}
    parsed = users_filter_parse(UserPool.objects.get(pk=pool_id), filter_)
    qs = User.objects.filter(pool_id=pool_id)
    column = "id"
    if parsed is not None:
        qs, column = qs.filter(parsed.condition), parsed.column
    order = ("id",) if column == "id" else (column, "id")
    out = {}
    for page_no in pages:
        offset = (page_no - 1) * page_size - 1
        row = qs.order_by(*order).values_list(*order)[offset : offset + 1].first()
        if row is not None:
            out[page_no] = _token_encode(column, list(row))
    return out


def measure(args, pool_id: str, users_list) -> list[dict]:
    from userpools.models import User

    bench = Bench(users_list, pool_id, args.page_size, args.samples)
    n = User.objects.filter(pool_id=pool_id).count()
    target = n // 2
    exact = f"user{target}@example{target % 50}.com"
    in_pool = User.objects.filter(pool_id=pool_id)
    cases = [
        (None, lambda: n),
        (f'email = "{exact}"', lambda: in_pool.filter(email=exact).count()),
        ('email ^= "user12"', lambda: in_pool.filter(email__startswith="user12").count()),
        ('given_name = "Emma"', lambda: in_pool.filter(given_name="Emma").count()),
        ('given_name ^= "Em"', lambda: in_pool.filter(given_name__startswith="Em").count()),  # one value, many rows
        ('cognito:user_status = "UNCONFIRMED"', lambda: in_pool.filter(status="UNCONFIRMED").count()),
        ('status = "Disabled"', lambda: in_pool.filter(is_active=False).count()),
        # The densest equality filters: nearly every user matches, so deep pages are deep.
        ('cognito:user_status = "CONFIRMED"', lambda: in_pool.filter(status="CONFIRMED").count()),
        ('status = "Enabled"', lambda: in_pool.filter(is_active=True).count()),
    ]
    results = []
    for filter_, count in cases:
        label = filter_ or "no filter"
        matches = count()
        walk = bench.walk(filter_, args.deep_page, args.walk_seconds)
        w = sorted(walk["times"])
        note = "all" if walk["complete"] else ("time budget" if walk["budget_hit"] else "--deep-page")
        print(
            f"{label}: {matches:,} matches; walked {walk['pages']:,} pages (stopped by: {note}), per page "
            f"mean {statistics.fmean(w):.1f} ms, p95 {pct(w, 0.95):.1f} ms, max {w[-1]:.1f} ms ({load()})",
            flush=True,
        )
        results.append(
            {
                "case": label,
                "page": "walk",
                "matches": matches,
                "walk": walk,
                "p50": statistics.median(w),
                "p95": pct(w, 0.95),
                "max": w[-1],
                "rows": walk["rows"],
                "load": os.getloadavg()[0],
                "filter": filter_,
                "token": None,
            }
        )
        pages = {1: (None, ""), **{p: (t, "") for p, t in walk["tokens"].items()}}
        last = -(-matches // args.page_size)
        if not walk["complete"] and last > walk["pages"]:
            made = constructed_tokens(pool_id, filter_, [2, walk["pages"], last], args.page_size)
            # The construction must agree with the service's own tokens where both exist.
            if made.get(2) != bench.call(filter_, None).next_token or (
                walk["pages"] in made and made[walk["pages"]] != walk["tokens"].get(walk["pages"])
            ):
                print("  constructed tokens differ from the service's; deep pages not constructed", flush=True)
            elif last in made:
                pages[last] = (made[last], "*")
        for page_no, (token, mark) in sorted(pages.items()):
            r = bench.time(filter_, token)
            r.update(case=label, page=page_no, mark=mark, matches=matches, filter=filter_, token=token)
            results.append(r)
            print(
                f"  page {page_no:>6,}{mark or ' '}: p50 {r['p50']:7.2f}  p95 {r['p95']:7.2f}  max {r['max']:7.2f} ms "
                f"({r['rows']} rows, load {r['load']:.2f})",
                flush=True,
            )
    return results


def pct(sorted_values: list[float], p: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, round(p * (len(sorted_values) - 1)))]


def wire_case(pool_id: str, filter_: str | None, page_size: int, samples: int) -> dict | None:
    """One ListUsers through the whole request path (Django test client, SigV4-signed)."""
    from django.test import Client

    from identity.services.callers import access_key_create
    from userpools.context import ServiceContext
    from userpools.models import User
    from userpools.wire import HANDLERS

    if "ListUsers" not in HANDLERS:
        return None
    operator = User.objects.filter(pool__isnull=True, username_key="bench").first() or User.objects.create_user(
        username="bench", password=None, is_staff=True
    )
    key = access_key_create(ServiceContext(actor="benchmark"), operator=operator, description="list_users benchmark")
    req = {"UserPoolId": pool_id, "Limit": page_size}
    if filter_:
        req["Filter"] = filter_
    body = json.dumps(req).encode()
    client = Client()
    times = []
    for n in range(samples + 1):
        # A fresh signature each time: replaying one would be fine too, but this is what a client does.
        headers = _signed(key.key.access_key_id, key.secret_access_key, body)
        started = time.perf_counter()
        response = client.post("/", data=body, content_type="application/x-amz-json-1.1", **headers)
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            return {"error": f"{response.status_code} {response.content[:200]!r}"}
        if n:
            times.append(elapsed)
    times.sort()
    return {"p50": statistics.median(times), "p95": pct(times, 0.95), "max": times[-1]}


def _signed(key_id: str, secret: str, body: bytes) -> dict[str, str]:
    """Test-client META for a SigV4-signed ListUsers (as benchmarks/wire_overhead.py signs)."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    request = AWSRequest(
        method="POST",
        url="http://testserver/",
        data=body,
        headers={
            "X-Amz-Target": "AWSCognitoIdentityProviderService.ListUsers",
            "Content-Type": "application/x-amz-json-1.1",
        },
    )
    SigV4Auth(Credentials(key_id, secret), "cognito-idp", "us-east-1").add_auth(request)
    headers = {**dict(request.headers.items()), "Host": "testserver"}
    return {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items() if k.lower() != "content-type"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=100_000, help="users in the pool (default 100000)")
    parser.add_argument(
        "--database-url", default=os.environ.get("DATABASE_URL"), help="PostgreSQL URL (default: $DATABASE_URL)"
    )
    parser.add_argument("--allow-sqlite", action="store_true", help="run on SQLite anyway (numbers mean little)")
    parser.add_argument("--reuse", action="store_true", help="keep the benchmark pool if it has enough users")
    parser.add_argument(
        "--bulk-create",
        type=int,
        default=50_000,
        help="users created with bulk_create before switching to COPY (default 50000)",
    )
    parser.add_argument("--page-size", type=int, default=60, help="ListUsers Limit (default 60, Cognito's maximum)")
    parser.add_argument("--samples", type=int, default=20, help="timed calls per case (default 20)")
    parser.add_argument("--deep-page", type=int, default=5000, help="walk at most this many pages (default 5000)")
    parser.add_argument("--walk-seconds", type=float, default=120, help="time budget per walk (default 120)")
    parser.add_argument("--wait-minutes", type=float, default=40, help="how long to wait for users_list")
    parser.add_argument("--create-only", action="store_true", help="load the pool and stop")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN (ANALYZE, BUFFERS) the slowest case")
    parser.add_argument("--wire", action="store_true", help="also time unfiltered first page through the wire path")
    args = parser.parse_args()

    url = args.database_url or ""
    if not url.startswith(("postgres://", "postgresql://", "pgsql://")):
        if not args.allow_sqlite:
            parser.error(
                f"--database-url must be PostgreSQL (got {url or 'nothing: DATABASE_URL is unset'}); "
                "these numbers are about PostgreSQL plans. --allow-sqlite runs anyway."
            )
        url = url or "sqlite:///" + str(ROOT / "var" / "bench-list-users.sqlite3")
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("SECRET_KEY", "bench")
    os.environ.pop("DEBUG", None)  # DEBUG keeps every query in memory
    setup_django()
    from django.db import connection

    from userpools.models import User

    where = f"{connection.vendor} {connection.settings_dict.get('HOST') or ''}/{connection.settings_dict['NAME']}"
    print(f"database {where}; {os.cpu_count()} CPUs; {load()}", flush=True)
    done = populate(args)
    pool = done["pool"]
    n = User.objects.filter(pool=pool).count()
    table = User.objects.filter(pool__isnull=False).count()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_size_pretty(pg_table_size(%s)), pg_size_pretty(pg_indexes_size(%s))",
                [User._meta.db_table] * 2,
            )
            table, indexes = cursor.fetchone()
            size = f"table {table}, indexes {indexes}"
    else:
        size = ""
    print(f"pool {pool.id}: {n:,} users ({table:,} pool users in the table; {size})", flush=True)
    if args.create_only:
        return 0

    users_list = wait_for_service(args.wait_minutes)
    results = measure(args, pool.id, users_list)

    print(
        f"\nListUsers, {n:,} users, Limit {args.page_size}, {args.samples} samples per page, "
        f"{connection.vendor}, {os.cpu_count()} CPUs (load shown is the 1-min average)"
    )
    print(f"{'filter':<46}{'matches':>9}{'page':>8}{'rows':>8}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}{'load':>6}")
    for r in results:
        page = "walk" if r["page"] == "walk" else f"{r['page']:,}{r['mark']}"
        rows = f"{r['walk']['pages']:,}p" if r["page"] == "walk" else r["rows"]
        print(
            f"{r['case'][:45]:<46}{r['matches']:>9,}{page:>8}{rows:>8}{r['p50']:>9.2f}{r['p95']:>9.2f}"
            f"{r['max']:>9.2f}{r['load']:>6.2f}"
        )
    print(
        "walk: one pass over consecutive pages following NextToken, each page timed once (Np = pages walked);\n"
        "*: the last page, reached with a token built by the service's own encoder (checked against walked ones)"
    )
    if done["phases"]:
        print("\nCreation (every index in place; one Argon2 hash reused by all users):")
        for name, count, seconds, la in done["phases"]:
            print(f"  {name:<30}{count:>10,} users {seconds:>8.1f} s {count / seconds:>9,.0f} users/s (load {la:.2f})")
        print(f"  VACUUM (ANALYZE) / ANALYZE afterwards {done['analyze_seconds']:.1f} s")

    if args.wire:
        wire = wire_case(pool.id, None, args.page_size, args.samples)
        if wire is None:
            print("\nwire path: ListUsers is not wired yet")
        elif "error" in wire:
            print(f"\nwire path: ListUsers failed: {wire['error']}")
        else:
            print(
                f"\nwire path (test client, signed), no filter, first page: p50 {wire['p50']:.2f}  "
                f"p95 {wire['p95']:.2f}  max {wire['max']:.2f} ms"
            )

    timed = [r for r in results if r["page"] != "walk"]
    worst = max(timed, key=lambda r: r["p95"])
    walked = max((r for r in results if r["page"] == "walk"), key=lambda r: r["max"])
    if args.explain:
        print(f"\nEXPLAIN (ANALYZE, BUFFERS) on PostgreSQL, slowest case: {worst['case']}, page {worst['page']}")
        print(explain(lambda: bench_call(users_list, pool.id, args.page_size, worst)))
    verdict = "meets" if worst["p95"] <= GOAL_MS else "MISSES"
    print(
        f"\nverdict: worst page p95 {worst['p95']:.2f} ms ({worst['case']}, page {worst['page']}), "
        f"worst single page seen in any walk {walked['max']:.2f} ms ({walked['case']}): {verdict} the "
        f"{GOAL_MS:.0f} ms goal at {n:,} users"
    )
    return 0 if worst["p95"] <= GOAL_MS else 1


def bench_call(users_list, pool_id: str, page_size: int, case: dict):
    return users_list(
        pool_id=pool_id, filter=case["filter"], limit=page_size, token=case["token"], attributes_to_get=None
    )


if __name__ == "__main__":
    sys.exit(main())
