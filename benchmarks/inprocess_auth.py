#!/usr/bin/env python
"""CPU of one wire request in process: USER_PASSWORD_AUTH sign-ins and signed AdminGetUser,
called through ``config.wsgi.application`` (the wire front, the view, the services, the
queries) without an HTTP server, on PostgreSQL.

It uses the 1,000-user pool that ``benchmarks/auth_compare.py --reuse`` made (same
``DATABASE_URL``, default the cognate_bench_auth database): run that once first. Each
figure is CPU time of this process (``time.process_time``) per request, for each of
``--rounds`` rounds of ``--count`` requests; compare the minimum of two checkouts run
one after another, as the machine is noisy.

    python benchmarks/inprocess_auth.py                      # password sign-ins, AdminGetUser
    python benchmarks/inprocess_auth.py --no-hash            # a sign-in's CPU besides the hash
    python benchmarks/inprocess_auth.py --ops password --profile 20   # where it goes (cProfile)

``--no-hash`` replaces the password check by one that accepts (this process only), to see
what a sign-in costs besides the configured hasher; without it, the hash's own cost is
printed beside the sign-in's.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from auth_compare import CONTENT_TYPE, PASSWORD, REGION, TAG, TARGET_PREFIX, USER_PREFIX  # noqa: E402


def environ(target: str, body: bytes, headers: dict[str, str]) -> dict:
    env = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "HTTP_HOST": "127.0.0.1:8000",
        "wsgi.url_scheme": "http",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "CONTENT_TYPE": CONTENT_TYPE,
        "CONTENT_LENGTH": str(len(body)),
        "HTTP_X_AMZ_TARGET": TARGET_PREFIX + target,
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "wsgi.version": (1, 0),
    }
    for name, value in headers.items():
        key = name.upper().replace("-", "_")
        if key not in ("CONTENT_TYPE", "CONTENT_LENGTH", "HOST"):
            env["HTTP_" + key] = value
    return env


def requests_for(op: str, pool_id: str, client_id: str, count: int) -> list[tuple[dict, bytes]]:
    out = []
    if op == "password":
        for i in range(count):
            body = json.dumps(
                {
                    "AuthFlow": "USER_PASSWORD_AUTH",
                    "ClientId": client_id,
                    "AuthParameters": {"USERNAME": f"{USER_PREFIX}{i % 1000}", "PASSWORD": PASSWORD},
                }
            ).encode()
            out.append((environ("InitiateAuth", body, {}), body))
        return out
    from auth_compare import cognate_credentials
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    credentials = Credentials(*cognate_credentials())
    for i in range(count):
        body = json.dumps({"UserPoolId": pool_id, "Username": f"{USER_PREFIX}{i % 1000}"}).encode()
        request = AWSRequest(
            method="POST",
            url="http://127.0.0.1:8000/",
            data=body,
            headers={"X-Amz-Target": TARGET_PREFIX + "AdminGetUser", "Content-Type": CONTENT_TYPE},
        )
        SigV4Auth(credentials, "cognito-idp", REGION).add_auth(request)
        out.append((environ("AdminGetUser", body, dict(request.headers.items())), body))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ops", default="password,admin_get_user", help="comma-separated: password, admin_get_user")
    parser.add_argument("--count", type=int, default=300, help="requests a round (default 300)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--no-hash", action="store_true", help="accept every password without hashing it")
    parser.add_argument("--profile", type=int, metavar="N", help="then profile one round: the N costliest functions")
    args = parser.parse_args()

    os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/cognate_bench_auth")
    os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/3")
    os.environ.setdefault("SECRET_KEY", "cognate-benchmark-auth-compare-not-a-secret")  # as auth_compare.py's
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.pop("DEBUG", None)
    import django

    django.setup()
    from django.contrib.auth.hashers import check_password

    from config.wsgi import application
    from userpools import signin as auth
    from userpools.models import AppClient, User, UserPool

    pool = next((p for p in UserPool.objects.all() if (p.tags or {}).get(TAG) == "auth_compare-1000"), None)
    if pool is None:
        print("no benchmark pool: run benchmarks/auth_compare.py --reuse --users 1000 first", file=sys.stderr)
        return 2
    client = AppClient.objects.get(pool=pool, name="bench")
    encoded = User.objects.get(pool=pool, username=f"{USER_PREFIX}1").password
    if args.no_hash:
        auth.check_password = lambda raw, encoded, setter=None: True

    def call(env: dict, body: bytes) -> None:
        status = []
        answer = application(dict(env, **{"wsgi.input": io.BytesIO(body)}), lambda s, h, e=None: status.append(s))
        data = b"".join(answer)
        getattr(answer, "close", lambda: None)()
        if not status[0].startswith("200"):
            raise SystemExit(f"{status[0]}: {data[:300]!r}")

    for op in args.ops.split(","):
        batch = requests_for(op, pool.id, client.client_id, args.count)
        for env, body in batch[:20]:  # warm: caches, prepared statements
            call(env, body)
        per_request = []
        for _ in range(args.rounds):
            began = time.process_time()
            for env, body in batch:
                call(env, body)
            per_request.append((time.process_time() - began) / len(batch) * 1e6)
        print(
            f"{op:<15} CPU us/request, each round: {', '.join(f'{x:.0f}' for x in per_request)}"
            f"  (min {min(per_request):.0f})"
        )
        if op == "password" and not args.no_hash:
            hashes = []
            for _ in range(args.rounds):
                began = time.process_time()
                for _ in range(max(20, args.count // 5)):
                    check_password(PASSWORD, encoded)
                hashes.append((time.process_time() - began) / max(20, args.count // 5) * 1e6)
            print(
                f"{'  the hash':<15} CPU us/check,   each round: {', '.join(f'{x:.0f}' for x in hashes)}"
                f"  (min {min(hashes):.0f}; a sign-in besides it: {min(per_request) - min(hashes):.0f})"
            )
        if args.profile:
            import cProfile
            import pstats

            profile = cProfile.Profile(time.process_time)
            profile.enable()
            for env, body in batch:
                call(env, body)
            profile.disable()
            pstats.Stats(profile).sort_stats("tottime").print_stats(args.profile)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
