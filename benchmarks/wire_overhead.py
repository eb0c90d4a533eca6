#!/usr/bin/env python
"""Wire-layer overhead: DescribeUserPool through dispatch, validation and the SigV4 check.

Two measurements in one run, so they compare as ratios on a noisy machine:

1. End to end, against a server (started here with gunicorn unless ``--url`` is given):
   requests/s and p50/p99 latency at a fixed concurrency for
   - ``GET /``: the health answer, no dispatch (the HTTP + Django floor), and
   - ``DescribeUserPool``: SigV4-signed, validated, authorized, one service read.
   The difference is the wire layer plus the service's queries.
2. In process: the cost of each wire step alone (target lookup, JSON parse, model
   validation, signature check with key lookup, policy evaluation, the whole view).

The load generator replays one signed request (SigV4 allows that within the skew
window), so client-side signing does not compete with the server for the CPU.

    make bench                                   # starts gunicorn on an SQLite copy
    make bench BENCH_ARGS="--concurrency 16 --seconds 15"
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cognate_bench make bench
    python benchmarks/wire_overhead.py --url http://127.0.0.1:8000 --pool-id us-east-1_X \
        --access-key-id AKIA... --secret-access-key ...   # an already running server
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import timeit
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TARGET = "AWSCognitoIdentityProviderService.DescribeUserPool"


def setup_django(env: dict[str, str]) -> None:
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def bootstrap(env: dict[str, str]) -> tuple[str, str, str]:
    """Migrate and create an operator key and a pool; returns (key id, secret, pool id)."""
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
    setup_django(env)
    from identity.services.callers import access_key_create
    from userpools.context import ServiceContext
    from userpools.models import User
    from userpools.services.pools import user_pool_create

    ctx = ServiceContext(actor="bench")
    operator = User.objects.filter(pool__isnull=True, username_key="bench").first() or User.objects.create_user(
        username="bench", password=None, is_staff=True
    )
    key = access_key_create(ctx, operator=operator, description="benchmark")
    pool = user_pool_create(ctx, {"PoolName": "bench"})
    return key.key.access_key_id, key.secret_access_key, pool.id


def signed_headers(url: str, key_id: str, secret: str, body: bytes) -> dict[str, str]:
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    request = AWSRequest(
        method="POST",
        url=url + "/",
        data=body,
        headers={"X-Amz-Target": TARGET, "Content-Type": "application/x-amz-json-1.1"},
    )
    SigV4Auth(Credentials(key_id, secret), "cognito-idp", "us-east-1").add_auth(request)
    headers = dict(request.headers.items())
    headers["Host"] = urlsplit(url).netloc
    return headers


def load(url: str, method: str, body: bytes | None, headers: dict[str, str], concurrency: int, seconds: float):
    parts = urlsplit(url)
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def worker() -> None:
        nonlocal errors
        conn = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=30)
        mine: list[float] = []
        bad = 0
        while time.perf_counter() < deadline:
            start = time.perf_counter()
            try:
                conn.request(method, "/", body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                if response.status != 200:
                    bad += 1
            except (OSError, http.client.HTTPException):
                bad += 1
                conn.close()
                conn = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=30)
                continue
            mine.append(time.perf_counter() - start)
        with lock:
            latencies.extend(mine)
            errors += bad

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - began
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000 if latencies else float("nan")

    return {
        "requests": len(latencies),
        "errors": errors,
        "rps": len(latencies) / elapsed,
        "p50_ms": pct(0.50),
        "p99_ms": pct(0.99),
        "mean_ms": statistics.fmean(latencies) * 1000 if latencies else float("nan"),
    }


def in_process(key_id: str, secret: str, pool_id: str, repeat: int) -> dict[str, float]:
    """Microseconds per call of each wire step, measured in this process."""
    from django.test import Client

    from config.wire.registry import service_for_target
    from identity import policy as iam
    from identity import sigv4
    from identity.services.callers import caller_authenticate
    from userpools.awsmodel import validate_input

    body = json.dumps({"UserPoolId": pool_id}).encode()
    headers = signed_headers("http://testserver", key_id, secret, body)
    service, operation = service_for_target(TARGET)
    params = json.loads(body)
    signed = sigv4.SignedRequest("POST", "/", "", {k.lower(): v for k, v in headers.items()}, body)
    policy = [{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "cognito-idp:*", "Resource": "*"}]}]
    client = Client()
    meta = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items() if k.lower() != "content-type"}

    def view() -> None:
        response = client.post("/", data=body, content_type="application/x-amz-json-1.1", **meta)
        assert response.status_code == 200, response.content

    steps = {
        "target lookup": lambda: service_for_target(TARGET),
        "json parse": lambda: json.loads(body),
        "model validation": lambda: validate_input(service.spec, operation, params),
        "sigv4 verify (no DB)": lambda: sigv4.verify(signed, secret),
        "authenticate (key lookup + decrypt + verify)": lambda: caller_authenticate(signed),
        "policy evaluation": lambda: iam.evaluate(
            policy,
            action="cognito-idp:DescribeUserPool",
            resource=f"arn:aws:cognito-idp:us-east-1:0:userpool/{pool_id}",
        ),
        "whole request through Django (test client)": view,
    }
    out = {}
    for name, fn in steps.items():
        n = repeat if "whole" not in name and "authenticate" not in name else max(repeat // 20, 50)
        fn()
        out[name] = min(timeit.repeat(fn, number=n, repeat=3)) / n * 1e6
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="a running server; default: start gunicorn here")
    parser.add_argument("--pool-id")
    parser.add_argument("--access-key-id", default=os.environ.get("AWS_ACCESS_KEY_ID"))
    parser.add_argument("--secret-access-key", default=os.environ.get("AWS_SECRET_ACCESS_KEY"))
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=8, help="threads per gunicorn worker")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--repeat", type=int, default=2000, help="in-process iterations per step")
    args = parser.parse_args()

    env = {**os.environ}
    env.setdefault("SECRET_KEY", "bench-" + os.urandom(16).hex())
    env.pop("DEBUG", None)
    server = None
    tmp = None
    if args.url:
        if not (args.pool_id and args.access_key_id and args.secret_access_key):
            parser.error("--url needs --pool-id, --access-key-id and --secret-access-key")
        url, key_id, secret, pool_id = args.url.rstrip("/"), args.access_key_id, args.secret_access_key, args.pool_id
        setup_django(env)
    else:
        if "DATABASE_URL" not in env:
            tmp = tempfile.TemporaryDirectory(prefix="cognate-bench-")
            env["DATABASE_URL"] = f"sqlite:///{tmp.name}/bench.sqlite3"
        key_id, secret, pool_id = bootstrap(env)
        url = f"http://127.0.0.1:{args.port}"
        server = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "config.wsgi",
                "-b",
                f"127.0.0.1:{args.port}",
                "-w",
                str(args.workers),
                "--threads",
                str(args.threads),
                "-k",
                "gthread",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
        )
        for _ in range(100):
            try:
                http.client.HTTPConnection("127.0.0.1", args.port, timeout=1).request("GET", "/")
                break
            except OSError:
                time.sleep(0.1)
    try:
        body = json.dumps({"UserPoolId": pool_id}).encode()
        headers = signed_headers(url, key_id, secret, body)
        warm = load(url, "POST", body, headers, args.concurrency, 1.0)
        if warm["errors"] and not warm["requests"]:
            print("DescribeUserPool fails against this server; check the key and pool id", file=sys.stderr)
            return 1
        floor = load(url, "GET", None, {"Host": urlsplit(url).netloc}, args.concurrency, args.seconds)
        describe = load(url, "POST", body, headers, args.concurrency, args.seconds)
        db = env.get("DATABASE_URL", "").split(":", 1)[0]
        print(f"\nEnd to end: {url}, concurrency {args.concurrency}, {args.seconds:.0f} s each, database {db}")
        print(f"{'request':<34}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}")
        for name, r in (("GET / (no dispatch)", floor), ("DescribeUserPool (signed)", describe)):
            print(f"{name:<34}{r['rps']:>9.0f}{r['p50_ms']:>9.2f}{r['p99_ms']:>9.2f}{r['errors']:>8}")
        print(f"ratio of throughput, DescribeUserPool / GET /: {describe['rps'] / floor['rps']:.2f}")
        print("\nIn process, microseconds per call (best of 3):")
        for name, us in in_process(key_id, secret, pool_id, args.repeat).items():
            print(f"  {name:<48}{us:>10.1f}")
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=10)
        if tmp is not None:
            tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
