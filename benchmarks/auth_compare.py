#!/usr/bin/env python
"""Sign-in throughput: Cognate against moto's server and cognito-local, side by side (issue F3).

One run starts every target, loads each with the same pool, app client and users, and
then drives the same wire requests at each for a fixed time, rounds interleaved (target A
operation X, target B operation X, target C operation X, then the next operation), so
the targets compare as ratios on a noisy machine:

- Cognate as it runs in production: gunicorn (``config.wsgi:application``; worker class,
  workers and threads from ``--cognate``, several configurations may run side by side),
  PostgreSQL (a dedicated database, migrated here), Redis, DEBUG off;
- moto's server (``moto_server``, the ``bench`` extra);
- cognito-local (npm, pinned in ``benchmarks/node/package-lock.json``; ``npm ci`` there).

Operations, each at every concurrency: password sign-ins (InitiateAuth USER_PASSWORD_AUTH,
random users), SRP sign-ins (InitiateAuth USER_SRP_AUTH + RespondToAuthChallenge
PASSWORD_VERIFIER, counted as one), refreshes (REFRESH_TOKEN_AUTH with refresh tokens made
before the rounds), GetUser (access tokens made likewise), AdminGetUser (SigV4-signed,
random users) and the JWKS document (GET /{pool}/.well-known/jwks.json, the path all
three serve). Each gives operations/s, p50 and p99 latency and the error count; an
operation a target cannot do is "n/a" with the target's own answer as the reason.

In the same run, the floors, each on one core in this process while the servers idle:
hashes/s of the configured hasher (``check_password`` against a ``make_password`` hash of
``settings.PASSWORD_HASHERS[0]``), RS256 signatures/s (PyJWT, the pool's 2048-bit key
size, claims shaped like an access token) and SRP server steps/s (``srp.server_public``
+ ``srp.session_key``). They are measured before and after the rounds; the goals use
the higher of the two.

The load generator is a separate process (asyncio over raw keep-alive HTTP/1.1
connections, no third-party client), so its CPU shows apart from the servers': each
round reports the generator's, the server's (its process tree), PostgreSQL's and
Redis's CPU as shares of one core, and how busy the whole machine was. To keep the
generator light, AdminGetUser requests are signed before the timed part (botocore's
SigV4Auth; SigV4 allows replay within the clock-skew window), and the SRP client
(``userpools.srp.Client``, gmpy2) reuses a pool of ephemeral keys of ``--srp-a-bits``
bits: the server's work does not depend on either choice.

``--py-spy PATH`` samples Cognate's workers in every round (Python CPU: samples holding
the GIL) and writes raw stacks and a summary of where the time went to ``--profile-dir``.
``--cognate ...@CHECKOUT`` serves another copy of the code on the same database beside
this one, so a change can be measured against the code it changes in one interleaved run.

Users: Cognate's are inserted through the ORM as the user services build them, all
sharing one Argon2 hash of the benchmark password (hashing 100,000 passwords would take
an hour and says nothing about sign-in), each with its own SRP verifier made by
``userpools.services.users.password_store`` (the verifier mixes in the username). The
pools are tagged ``cognate-benchmark=auth_compare-<N>``; ``--reuse`` keeps one that
already holds N users. moto and cognito-local get theirs over the wire
(AdminCreateUser + AdminSetUserPassword), up to ``--others-max-users`` (default 1,000;
cognito-local keeps a pool in one JSON file that it rewrites on every write, so loading
grows with the square of the users): above that, Cognate runs alone.

    psql -h 127.0.0.1 -U postgres -c 'CREATE DATABASE cognate_bench_auth'   # made here if missing
    (cd benchmarks/node && npm ci)                                            # cognito-local
    make bench-auth
    python benchmarks/auth_compare.py --users 1000,100000 --concurrency 8,32 --reuse
    python benchmarks/auth_compare.py --targets cognate --users 1000 --ops password,refresh \\
        --cognate gthread:2x8 --cognate gthread:4x4 --cognate sync:5     # compare gunicorn set-ups
    python benchmarks/auth_compare.py --targets cognate --cognate inline:2x2@/tmp/before \\
        --cognate inline:2x2@/tmp/after                                # A/B two checkouts
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from unittest import mock
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
NODE_DIR = ROOT / "benchmarks" / "node"
COGNITO_LOCAL = NODE_DIR / "node_modules" / ".bin" / "cognito-local"

PASSWORD = "Bench-Passw0rd!"  # meets every target's default password policy
USER_PREFIX = "user"
TAG = "cognate-benchmark"
TARGET_PREFIX = "AWSCognitoIdentityProviderService."
CONTENT_TYPE = "application/x-amz-json-1.1"
REGION = "us-east-1"
CLIENT_FLOWS = [
    "ALLOW_USER_PASSWORD_AUTH",
    "ALLOW_USER_SRP_AUTH",
    "ALLOW_REFRESH_TOKEN_AUTH",
    "ALLOW_ADMIN_USER_PASSWORD_AUTH",
]
OPS = ("password", "srp", "refresh", "get_user", "admin_get_user", "jwks")
OP_LABELS = {
    "password": "password sign-ins",
    "srp": "SRP sign-ins",
    "refresh": "refreshes",
    "get_user": "GetUser",
    "admin_get_user": "AdminGetUser",
    "jwks": "JWKS",
}
KINDS = ("cognate", "moto", "cognito-local")
# What a number means differently on a target (shown beside it, and in the JSON).
NOTES = {
    ("moto", "srp"): "moto sends a random SRP_B and checks no proof: protocol round trips only, no SRP math",
}
DEFAULT_COGNATE = "inline:2x2"  # as README.md advises for production
# --cognate's worker classes: gunicorn's own, and config/workers.py's (gthread taking connections least
# connections first; the same answering requests on the worker's own thread).
WORKER_CLASSES = {
    "sync": "sync",
    "gthread": "gthread",
    "balanced": "config.workers.BalancedThreadWorker",
    "inline": "config.workers.InlineWorker",
}
PER_REQUEST_TIMEOUT = 30.0


# --- The load generator (its own process) -------------------------------------------------------


class HttpConnection:
    """One keep-alive HTTP/1.1 connection that parses no more of an answer than it needs.

    A connection the server closed while it idled is reopened and the request sent again,
    as HTTP clients do; a failure on a fresh connection is an error."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.used = False

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None

    async def request(self, raw: bytes) -> tuple[int, bytes]:
        for attempt in (0, 1):
            if self.writer is None:
                self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
                self.used = False
            reused = self.used
            try:
                self.writer.write(raw)
                head = await self.reader.readuntil(b"\r\n\r\n")
                break
            except (OSError, asyncio.IncompleteReadError):
                self.close()
                if not (reused and attempt == 0):
                    raise
        lower = head.lower()
        status = int(head[9:12])
        at = lower.find(b"\r\ncontent-length:")
        if at >= 0:
            body = await self.reader.readexactly(int(lower[at + 17 : lower.index(b"\r\n", at + 2)]))
        elif b"\r\ntransfer-encoding: chunked" in lower:
            body = await self._chunked()
        else:
            body = await self.reader.read()
            lower += b"\r\nconnection: close"
        self.used = True
        if b"\r\nconnection: close" in lower or (head.startswith(b"HTTP/1.0") and b"keep-alive" not in lower):
            self.close()
        return status, body

    async def _chunked(self) -> bytes:
        assert self.reader is not None
        parts = []
        while True:
            size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await self.reader.readuntil(b"\r\n")
                return b"".join(parts)
            parts.append(await self.reader.readexactly(size + 2))
            parts[-1] = parts[-1][:-2]


def _raw(host: str, method: str, path: str, headers: dict[str, str], body: bytes = b"") -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}"]
    lines += [f"{k}: {v}" for k, v in headers.items() if k.lower() != "host"]
    if method == "POST":
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


class Workload:
    """The requests of one operation against one target, built in the generator process."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        parts = urlsplit(spec["url"])
        self.host, self.port, self.netloc = parts.hostname, parts.port or 80, parts.netloc
        self.client_id = spec["client_id"]
        self.users = spec["users"]
        self.tokens = spec["tokens"]
        self.rng = random.Random()
        self.signed: list[bytes] = []
        self.srp_clients: list[Any] = []
        self.collected: list[dict[str, str]] = []
        self.turn = 0
        op = spec["op"]
        if op == "admin_get_user":
            self.signed = [
                self._admin_get_user(self._username()) for _ in range(min(self.users, spec["signed_requests"]))
            ]
        if op == "srp":
            from userpools import srp

            bits = spec["srp_a_bits"]

            class BenchClient(srp.Client):
                """Cognito's client math with an ephemeral ``a`` of ``bits`` bits (the SDKs use
                1024): the server's work is the same, the generator's a third of it."""

                def __init__(self, pool_id: str) -> None:
                    self.pool_id = pool_id
                    self.a = random.SystemRandom().getrandbits(bits) % srp.N or 1
                    self.big_a = srp._powmod(srp.G, self.a, srp.N)

            self.srp_clients = [BenchClient(spec["pool_id"]) for _ in range(64)]
        self.run = getattr(self, f"op_{op}")

    def _username(self) -> str:
        return f"{USER_PREFIX}{self.rng.randrange(self.users)}"

    def _post(self, operation: str, payload: dict[str, Any]) -> bytes:
        return _raw(
            self.netloc,
            "POST",
            "/",
            {"Content-Type": CONTENT_TYPE, "X-Amz-Target": TARGET_PREFIX + operation},
            json.dumps(payload).encode(),
        )

    def _admin_get_user(self, username: str) -> bytes:
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials

        body = json.dumps({"UserPoolId": self.spec["pool_id"], "Username": username}).encode()
        request = AWSRequest(
            method="POST",
            url=self.spec["url"] + "/",
            data=body,
            headers={"X-Amz-Target": TARGET_PREFIX + "AdminGetUser", "Content-Type": CONTENT_TYPE},
        )
        key_id, secret = self.spec["credentials"]
        SigV4Auth(Credentials(key_id, secret), "cognito-idp", REGION).add_auth(request)
        return _raw(self.netloc, "POST", "/", dict(request.headers.items()), body)

    @staticmethod
    def _problem(status: int, body: bytes) -> str:
        return f"HTTP {status}: {body[:300].decode('utf-8', 'replace')}"

    async def _signed_in(self, conn: HttpConnection, raw: bytes) -> str | None:
        status, body = await conn.request(raw)
        if status != 200 or b'"AuthenticationResult"' not in body:
            return self._problem(status, body)
        return None

    async def op_password(self, conn: HttpConnection) -> str | None:
        return await self._signed_in(
            conn,
            self._post(
                "InitiateAuth",
                {
                    "AuthFlow": "USER_PASSWORD_AUTH",
                    "ClientId": self.client_id,
                    "AuthParameters": {"USERNAME": self._username(), "PASSWORD": PASSWORD},
                },
            ),
        )

    async def op_srp(self, conn: HttpConnection) -> str | None:
        self.turn += 1
        client = self.srp_clients[self.turn % len(self.srp_clients)]
        status, body = await conn.request(
            self._post(
                "InitiateAuth",
                {
                    "AuthFlow": "USER_SRP_AUTH",
                    "ClientId": self.client_id,
                    "AuthParameters": {"USERNAME": self._username(), "SRP_A": client.srp_a},
                },
            )
        )
        if status != 200:
            return self._problem(status, body)
        challenge = json.loads(body)
        if challenge.get("ChallengeName") != "PASSWORD_VERIFIER":
            return "no PASSWORD_VERIFIER challenge: " + body[:300].decode("utf-8", "replace")
        answer = {
            "ChallengeName": "PASSWORD_VERIFIER",
            "ClientId": self.client_id,
            "ChallengeResponses": client.respond(challenge["ChallengeParameters"], PASSWORD),
        }
        if challenge.get("Session"):
            answer["Session"] = challenge["Session"]
        return await self._signed_in(conn, self._post("RespondToAuthChallenge", answer))

    async def op_refresh(self, conn: HttpConnection) -> str | None:
        token = self.tokens[self.rng.randrange(len(self.tokens))]["refresh"]
        return await self._signed_in(
            conn,
            self._post(
                "InitiateAuth",
                {
                    "AuthFlow": "REFRESH_TOKEN_AUTH",
                    "ClientId": self.client_id,
                    "AuthParameters": {"REFRESH_TOKEN": token},
                },
            ),
        )

    async def op_get_user(self, conn: HttpConnection) -> str | None:
        token = self.tokens[self.rng.randrange(len(self.tokens))]["access"]
        status, body = await conn.request(self._post("GetUser", {"AccessToken": token}))
        return None if status == 200 and b'"Username"' in body else self._problem(status, body)

    async def op_admin_get_user(self, conn: HttpConnection) -> str | None:
        self.turn += 1
        status, body = await conn.request(self.signed[self.turn % len(self.signed)])
        return None if status == 200 and b'"Username"' in body else self._problem(status, body)

    async def op_jwks(self, conn: HttpConnection) -> str | None:
        path = f"/{self.spec['pool_id']}/.well-known/jwks.json"
        status, body = await conn.request(_raw(self.netloc, "GET", path, {"Accept": "application/json"}))
        return None if status == 200 and b'"keys"' in body else self._problem(status, body)

    async def op_sign_in_collect(self, conn: HttpConnection) -> str | None:
        """A password sign-in of the next user in order, keeping the tokens (set-up, not timed)."""
        index = self.turn
        self.turn += 1
        status, body = await conn.request(
            self._post(
                "InitiateAuth",
                {
                    "AuthFlow": "USER_PASSWORD_AUTH",
                    "ClientId": self.client_id,
                    "AuthParameters": {"USERNAME": f"{USER_PREFIX}{index}", "PASSWORD": PASSWORD},
                },
            )
        )
        if status != 200 or b'"AuthenticationResult"' not in body:
            return self._problem(status, body)
        result = json.loads(body)["AuthenticationResult"]
        self.collected.append({"access": result["AccessToken"], "refresh": result["RefreshToken"]})
        return None


def _ticks(path: str) -> tuple[int, int, str] | None:
    """(ppid, utime + stime ticks, comm) of one process."""
    try:
        with open(path, "rb") as fh:
            stat = fh.read().decode("ascii", "replace")
    except OSError:
        return None
    comm = stat[stat.index("(") + 1 : stat.rindex(")")]
    fields = stat[stat.rindex(")") + 2 :].split()
    return int(fields[1]), int(fields[11]) + int(fields[12]), comm


def _postgres_ours(pid: int, database: str | None) -> bool:
    """A PostgreSQL process that serves the benchmark: a backend connected to its database,
    or one of the server's own (WAL writer, checkpointer ...); not another database's backend."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            title = fh.read().decode("utf-8", "replace")
    except OSError:
        return False
    backend = "(" in title or "[local]" in title  # "postgres: 15/main: user db 127.0.0.1(port) state"
    return not backend or (database is not None and f" {database} " in title)


def cpu_snapshot(server_pid: int | None, database: str | None = None) -> dict[str, Any]:
    """Per-process CPU ticks (with each process's group: the server's process tree,
    PostgreSQL, Redis, other), and the machine's busy and total ticks (/proc/stat)."""
    procs: dict[int, tuple[int, int, str]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            info = _ticks(f"/proc/{entry}/stat")
            if info is not None:
                procs[int(entry)] = info
    tree: set[int] = set()
    if server_pid is not None and server_pid in procs:
        tree.add(server_pid)
        grew = True
        while grew:
            grew = False
            for pid, (ppid, _, _) in procs.items():
                if ppid in tree and pid not in tree:
                    tree.add(pid)
                    grew = True
    me = os.getpid()

    def group(pid: int, comm: str) -> str:
        if pid in tree:
            return "server"
        if pid == me:
            return "generator"
        if comm.startswith("postgres"):
            return "postgres" if _postgres_ours(pid, database) else "other"
        if comm.startswith("redis"):
            return "redis"
        return "other"

    with open("/proc/stat") as fh:
        numbers = [int(x) for x in fh.readline().split()[1:]]
    return {
        "procs": {pid: (group(pid, comm), ticks) for pid, (_, ticks, comm) in procs.items()},
        "machine_busy": sum(numbers[:8]) - numbers[3] - numbers[4],
        "machine_total": sum(numbers[:8]),
    }


def cpu_used(before: dict[str, Any], after: dict[str, Any], seconds: float) -> dict[str, float]:
    """CPU of each group between two snapshots, as shares of one core. A process that
    started in between counts whole; one that ended in between is lost (never negative)."""
    tick = os.sysconf("SC_CLK_TCK")
    used = {"generator": 0.0, "server": 0.0, "postgres": 0.0, "redis": 0.0, "other": 0.0}
    for pid, (name, ticks) in after["procs"].items():
        earlier = before["procs"].get(pid)
        used[name] += max(0, ticks - (earlier[1] if earlier and earlier[0] == name else 0))
    out = {k: v / tick / seconds for k, v in used.items()}
    total = after["machine_total"] - before["machine_total"]
    out["machine_busy"] = (after["machine_busy"] - before["machine_busy"]) / total if total else 0.0
    return out


async def drive(spec: dict[str, Any]) -> dict[str, Any]:
    """Run one round: ``concurrency`` connections, each sending the operation back to back,
    first for ``warmup`` seconds (not counted), then for ``seconds`` (or ``count`` operations)."""
    workload = Workload(spec)
    conns = [HttpConnection(workload.host, workload.port) for _ in range(spec["concurrency"])]
    latencies: list[float] = []
    errors: list[str] = []
    budget = {"left": spec.get("count")}

    async def worker(conn: HttpConnection, until: float, record: bool) -> None:
        clock = time.perf_counter
        while clock() < until:
            if budget["left"] is not None:
                if budget["left"] <= 0:
                    return
                budget["left"] -= 1
            started = clock()
            try:
                async with asyncio.timeout(PER_REQUEST_TIMEOUT):
                    problem = await workload.run(conn)
            except TimeoutError:
                problem = f"no answer in {PER_REQUEST_TIMEOUT:.0f} s"
                conn.close()
            except (OSError, asyncio.IncompleteReadError, ValueError, KeyError) as exc:
                problem = f"{exc.__class__.__name__}: {exc}"
                conn.close()
            if not record:
                continue
            if problem is None:
                latencies.append(clock() - started)
            else:
                errors.append(problem)

    if spec.get("warmup"):
        until = time.perf_counter() + spec["warmup"]
        await asyncio.gather(*(worker(c, until, False) for c in conns))
    before = cpu_snapshot(spec.get("server_pid"), spec.get("database"))
    began = time.perf_counter()
    until = began + (spec["seconds"] if spec.get("count") is None else 3600)
    await asyncio.gather(*(worker(c, until, True) for c in conns))
    elapsed = time.perf_counter() - began
    after = cpu_snapshot(spec.get("server_pid"), spec.get("database"))
    for conn in conns:
        conn.close()
    latencies.sort()

    def pct(p: float) -> float | None:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000 if latencies else None

    return {
        "ops": len(latencies),
        "errors": len(errors),
        "error_samples": sorted(set(errors))[:3],
        "seconds": elapsed,
        "rps": len(latencies) / elapsed,
        "p50_ms": pct(0.50),
        "p99_ms": pct(0.99),
        # Shares of one core (1.0 = a whole core); machine_busy is of all cores together.
        "cpu": cpu_used(before, after, elapsed),
        "collected": workload.collected,
    }


def generator_serve(pipe) -> None:
    """The generator process: run each round the parent sends, answer with its result."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when to stop
    while True:
        spec = pipe.recv()
        if spec is None:
            return
        try:
            pipe.send(asyncio.run(drive(spec)))
        except Exception as exc:  # noqa: BLE001 - reported by the parent, which carries on
            pipe.send({"failed": f"{exc.__class__.__name__}: {exc}"})


class Generator:
    def __init__(self) -> None:
        ctx = multiprocessing.get_context("spawn")  # no inherited database connections
        self.pipe, child = ctx.Pipe()
        self.process = ctx.Process(target=generator_serve, args=(child,), daemon=True)
        self.process.start()

    def run(self, spec: dict[str, Any]) -> dict[str, Any]:
        self.pipe.send(spec)
        return self.pipe.recv()

    def stop(self) -> None:
        self.pipe.send(None)
        self.process.join(timeout=10)


# --- Set-up over the wire -----------------------------------------------------------------------


class WireError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}" if code else f"HTTP {status}: {message}")
        self.code = code


class Wire:
    """A small synchronous wire client for set-up (one keep-alive connection per thread)."""

    def __init__(self, url: str, credentials: tuple[str, str] | None) -> None:
        self.url = url
        self.credentials = credentials or ("AKIABENCHMARK", "benchmark-secret")
        self.local = threading.local()

    def call(self, operation: str, payload: dict[str, Any], *, signed: bool = True) -> dict[str, Any]:
        import http.client

        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials

        body = json.dumps(payload).encode()
        headers = {"X-Amz-Target": TARGET_PREFIX + operation, "Content-Type": CONTENT_TYPE}
        if signed:
            request = AWSRequest(method="POST", url=self.url + "/", data=body, headers=headers)
            SigV4Auth(Credentials(*self.credentials), "cognito-idp", REGION).add_auth(request)
            headers = dict(request.headers.items())
        parts = urlsplit(self.url)
        for attempt in (0, 1):
            conn = getattr(self.local, "conn", None)
            if conn is None:
                conn = self.local.conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
            try:
                conn.request("POST", "/", body=body, headers=headers)
                response = conn.getresponse()
                data = response.read()
                break
            except (OSError, http.client.HTTPException):
                conn.close()
                self.local.conn = None
                if attempt:
                    raise
        doc = json.loads(data) if data.strip() else {}
        if response.status != 200:
            code = str(doc.get("__type", "")).rsplit("#", 1)[-1]
            raise WireError(response.status, code, doc.get("message") or doc.get("Message") or data[:300].decode())
        return doc


def wait_http(url: str, process: subprocess.Popen, what: str, log: Path, seconds: float = 60) -> None:
    import http.client

    parts = urlsplit(url)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{what} exited with {process.returncode}; see {log}:\n{log.read_text()[-3000:]}")
        try:
            conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=2)
            conn.request("GET", "/")
            conn.getresponse().read()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"{what} did not answer on {url} within {seconds:.0f} s; see {log}")


@dataclass
class Pool:
    pool_id: str
    client_id: str
    users: int
    tokens: list[dict[str, str]] = field(default_factory=list)
    setup_seconds: float = 0.0
    note: str = ""


@dataclass
class Target:
    """A server under test: how to start it and how to give it a pool with N users."""

    kind: str
    name: str
    port: int
    workdir: Path
    process: subprocess.Popen | None = None
    credentials: tuple[str, str] | None = None
    pools: dict[int, Pool] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        return self.workdir / f"{self.name.replace(' ', '_').replace(':', '-')}.log"

    def start(self) -> None:
        raise NotImplementedError("each target kind starts its own server")

    def _spawn(self, argv: list[str], env: dict[str, str], cwd: Path) -> None:
        with open(self.log, "ab") as out:
            self.process = subprocess.Popen(
                argv, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        wait_http(self.url, self.process, self.name, self.log)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()

    def wire(self) -> Wire:
        return Wire(self.url, self.credentials)

    def pool_for(self, users: int, args) -> Pool:
        """A new pool, its client and ``users`` users, all over the wire."""
        started = time.perf_counter()
        pool_id = self.wire().call("CreateUserPool", {"PoolName": f"bench-{users}"})["UserPool"]["Id"]
        client_id = self._client_create(pool_id)
        self._users_over_wire(pool_id, 0, users)
        return Pool(pool_id, client_id, users, setup_seconds=time.perf_counter() - started, note="users over the wire")

    def _client_create(self, pool_id: str) -> str:
        response = self.wire().call(
            "CreateUserPoolClient",
            {
                "UserPoolId": pool_id,
                "ClientName": "bench",
                "ExplicitAuthFlows": CLIENT_FLOWS,
                "GenerateSecret": False,
            },
        )
        return response["UserPoolClient"]["ClientId"]

    def _users_over_wire(self, pool_id: str, start: int, stop: int) -> None:
        """AdminCreateUser + AdminSetUserPassword (permanent), eight at a time."""
        wire = self.wire()

        def one(i: int) -> None:
            name = f"{USER_PREFIX}{i}"
            wire.call(
                "AdminCreateUser",
                {
                    "UserPoolId": pool_id,
                    "Username": name,
                    "MessageAction": "SUPPRESS",
                    "TemporaryPassword": PASSWORD,
                    "UserAttributes": user_attributes(i, wire_form=True),
                },
            )
            wire.call(
                "AdminSetUserPassword",
                {"UserPoolId": pool_id, "Username": name, "Password": PASSWORD, "Permanent": True},
            )

        with ThreadPoolExecutor(8) as pool:
            for _ in pool.map(one, range(start, stop)):
                pass


def user_attributes(i: int, *, wire_form: bool = False) -> Any:
    attrs = {
        "email": f"{USER_PREFIX}{i}@example{i % 50}.com",
        "email_verified": "true",
        "given_name": f"Given{i % 97}",
        "family_name": f"Family{i % 89}",
    }
    return [{"Name": k, "Value": v} for k, v in attrs.items()] if wire_form else attrs


class CognateTarget(Target):
    """gunicorn running config.wsgi on PostgreSQL and Redis, DEBUG off."""

    def __init__(self, config: str, port: int, workdir: Path, env: dict[str, str], public_url: str) -> None:
        config, _, root = config.partition("@")
        # Another checkout (``...@PATH``, same database) runs beside this one: A/B a change.
        self.root = Path(root).resolve() if root else ROOT
        worker_class, _, shape = config.partition(":")
        workers, _, threads = shape.partition("x")
        if worker_class not in WORKER_CLASSES or not workers.isdigit() or (threads and not threads.isdigit()):
            raise SystemExit(
                f"--cognate {config!r}: expected sync:WORKERS, gthread:WORKERSxTHREADS, "
                "balanced:WORKERSxTHREADS or inline:WORKERSxTHREADS"
            )
        super().__init__("cognate", f"cognate {config}" + (f"@{self.root.name}" if root else ""), port, workdir)
        self.worker_class, self.workers, self.threads = worker_class, int(workers), int(threads or 1)
        # One issuer for every set-up: they share the pools, and tokens made through one
        # must verify on all.
        self.env = {**env, "COGNATE_PUBLIC_URL": public_url}

    def start(self) -> None:
        gunicorn = str(Path(sys.executable).parent / "gunicorn")
        argv = [
            gunicorn,
            "config.wsgi:application",
            "-b",
            f"127.0.0.1:{self.port}",
            "-k",
            WORKER_CLASSES[self.worker_class],
            "-w",
            str(self.workers),
            "--log-level",
            "warning",
            # Keep-alive as behind a proxy that reuses its upstream connections.
            "--keep-alive",
            "30",
            "--backlog",
            "2048",
        ]
        if self.worker_class != "sync":
            argv += ["--threads", str(self.threads)]
        self._spawn(argv, self.env, self.root)

    def pool_for(self, users: int, args) -> Pool:
        shared = SHARED_COGNATE_POOLS.get(users)
        if shared is None:
            shared = SHARED_COGNATE_POOLS[users] = cognate_pool(self, users, args)
        return shared


SHARED_COGNATE_POOLS: dict[int, Pool] = {}  # several gunicorn set-ups serve the same pools


class MotoTarget(Target):
    def start(self) -> None:
        env = {**os.environ, "AWS_DEFAULT_REGION": REGION}
        self._spawn([str(Path(sys.executable).parent / "moto_server"), "-p", str(self.port)], env, self.workdir)


class CognitoLocalTarget(Target):
    def start(self) -> None:
        if not COGNITO_LOCAL.exists():
            raise SystemExit(f"cognito-local is not installed: run `npm ci` in {NODE_DIR}")
        home = self.workdir / "cognito-local"
        (home / ".cognito").mkdir(parents=True, exist_ok=True)
        (home / ".cognito" / "config.json").write_text(
            json.dumps(
                {
                    "ServerConfig": {"hostname": "127.0.0.1", "port": self.port},
                    "TokenConfig": {"IssuerDomain": self.url},
                    # Its default makes e-mail the username; Cognito's (and ours) is a plain username.
                    "UserPoolDefaults": {"UsernameAttributes": []},
                }
            )
        )
        env = {**os.environ, "PORT": str(self.port), "NODE_ENV": "production"}
        env.pop("DEBUG", None)  # DEBUG makes it log every request
        self._spawn([str(COGNITO_LOCAL)], env, home)


# --- Cognate's pools, through the ORM -----------------------------------------------------------


def setup_django(env: dict[str, str]) -> None:
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def cognate_credentials() -> tuple[str, str]:
    from identity.services.callers import access_key_create
    from userpools.context import ServiceContext
    from userpools.models import User

    operator = User.objects.filter(pool__isnull=True, username_key="bench-auth").first() or User.objects.create_user(
        username="bench-auth", password=None, is_staff=True
    )
    key = access_key_create(ServiceContext(actor="benchmark"), operator=operator, description="auth_compare benchmark")
    return key.key.access_key_id, key.secret_access_key


def cognate_pool(target: CognateTarget, users: int, args) -> Pool:
    """The tagged pool with ``users`` users: reused (``--reuse``), topped up, or made anew."""
    from django.db import connection

    from userpools.models import AppClient, AuditEvent, AuthSession, RefreshToken, User, UserPool

    label = f"auth_compare-{users}"
    started = time.perf_counter()
    pools = [p for p in UserPool.objects.all() if (p.tags or {}).get(TAG) == label]
    pool = None
    if args.reuse and pools:
        pool = max(pools, key=lambda p: User.objects.filter(pool=p).count())
    for stale in pools:
        if stale is not pool:
            print(f"  dropping {stale.id} ({label})", flush=True)
            stale.delete()
    wire = target.wire()
    if pool is None:
        created = wire.call("CreateUserPool", {"PoolName": f"bench-{users}", "UserPoolTags": {TAG: label}})
        pool = UserPool.objects.get(pk=created["UserPool"]["Id"])
    client = AppClient.objects.filter(pool=pool, name="bench").first()
    client_id = client.client_id if client is not None else target._client_create(pool.id)
    have = User.objects.filter(pool=pool).count()
    note = f"reused ({have:,} users)" if have >= users else ""
    if have < users:
        made = time.perf_counter()
        cognate_users_create(pool, have, users)
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM (ANALYZE) {User._meta.db_table}")
        note = f"{users - have:,} users inserted in {time.perf_counter() - made:.0f} s"
    # Earlier runs' sign-ins left rows behind; plans should see them as production's autovacuum
    # would have (this machine's PostgreSQL may run without it).
    with connection.cursor() as cursor:
        for model in (RefreshToken, AuthSession, AuditEvent):
            cursor.execute(f"VACUUM (ANALYZE) {model._meta.db_table}")
    # Every sign-in leaves a refresh-token row; what a refresh costs may depend on how many.
    note += f"; {RefreshToken.objects.count():,} refresh tokens in the database"
    return Pool(pool.id, client_id, users, setup_seconds=time.perf_counter() - started, note=note)


def cognate_users_create(pool, start: int, stop: int, batch: int = 5000) -> None:
    """Users ``start``..``stop - 1``, CONFIRMED, as the user services store them: one shared
    Argon2 hash, a per-user SRP verifier from ``password_store``."""
    from django.contrib.auth.hashers import make_password
    from django.db import transaction

    from userpools.models import User
    from userpools.services import users as user_services

    shared = make_password(PASSWORD)
    print(f"  inserting users {start:,}..{stop - 1:,} into {pool.id} (shared hash, SRP verifier each)", flush=True)
    with mock.patch.object(user_services, "make_password", lambda *a, **k: shared):
        for lo in range(start, stop, batch):
            rows = []
            for i in range(lo, min(stop, lo + batch)):
                name = f"{USER_PREFIX}{i}"
                user = User(
                    pool=pool,
                    username=name,
                    username_key=user_services.username_key(pool, name),
                    status=User.Status.CONFIRMED,
                    attributes=user_attributes(i),
                )
                user_services.sync_columns(user)
                user_services.password_store(user, PASSWORD)
                rows.append(user)
            with transaction.atomic():
                User.objects.bulk_create(rows, batch_size=1000)
            if (lo - start) % (batch * 10) == 0 and lo > start:
                print(f"    {lo - start:,} users", flush=True)


# --- Floors ---------------------------------------------------------------------------------------


def _hash_rate(seconds: float, encoded: str) -> float:
    """check_password/s in a fresh process (one of several hashing at once)."""
    import django

    django.setup()
    from django.contrib.auth.hashers import check_password

    check_password(PASSWORD, encoded)
    n, began = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - began) < seconds:
        check_password(PASSWORD, encoded)
        n += 1
    return n / elapsed


def hashes_on_all_cores(seconds: float, encoded: str) -> float:
    """Hashes/s with one process per core hashing at once: "the floor times the cores"
    assumes they add up, which a memory-hard hasher sharing one memory bus may not."""
    cores = os.cpu_count() or 1
    with multiprocessing.get_context("spawn").Pool(cores) as pool:
        return sum(pool.starmap(_hash_rate, [(seconds, encoded)] * cores))


def floors(seconds: float) -> dict[str, float]:
    """Operations/s on one core (this process): the hasher, RS256 signing, an SRP server step."""
    import jwt
    from cryptography.hazmat.primitives.asymmetric import rsa
    from django.conf import settings
    from django.contrib.auth.hashers import check_password, make_password

    from userpools import srp

    def rate(fn) -> float:
        fn()
        n, began = 0, time.perf_counter()
        while (elapsed := time.perf_counter() - began) < seconds:
            fn()
            n += 1
        return n / elapsed

    encoded = make_password(PASSWORD)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    claims = {
        "sub": "6f1c3e2a-1b2c-4d5e-8f90-123456789abc",
        "iss": "http://127.0.0.1:8000/us-east-1_Bench",
        "client_id": "4k2jf9a8b7c6d5e4f3g2h1i0j",
        "origin_jti": "a5b6c7d8-e9f0-1a2b-3c4d-5e6f7a8b9c0d",
        "event_id": "0d9c8b7a-6f5e-4d3c-2b1a-0f9e8d7c6b5a",
        "token_use": "access",
        "scope": "aws.cognito.signin.user.admin",
        "auth_time": 1_800_000_000,
        "exp": 1_800_003_600,
        "iat": 1_800_000_000,
        "jti": "1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d",
        "username": "user1",
        "version": 2,
    }
    _, verifier = srp.verifier_make("us-east-1_Bench", "user1", PASSWORD)
    big_a = srp.Client("us-east-1_Bench").big_a

    def srp_step() -> None:
        b = srp.ephemeral_new()
        big_b = srp.server_public(verifier, b)
        srp.session_key(big_a=big_a, big_b=big_b, verifier=verifier, b=b)

    return {
        "hasher": settings.PASSWORD_HASHERS[0],
        "hashes_per_s": rate(lambda: check_password(PASSWORD, encoded)),
        "rs256_per_s": rate(lambda: jwt.encode(claims, key, algorithm="RS256", headers={"kid": "bench"})),
        "srp_server_steps_per_s": rate(srp_step),
        "hashes_per_s_all_cores": hashes_on_all_cores(seconds, encoded),
        "load": os.getloadavg()[0],
    }


# --- Profiles (py-spy) ---------------------------------------------------------------------------


def profile_start(args, target: Target, label: str) -> tuple[subprocess.Popen, Path] | None:
    """Sample Cognate's gunicorn workers with py-spy through the coming round (``--py-spy``).

    Only samples of a thread holding the GIL count (``--gil``): that is Python's CPU time,
    without the threads that wait for PostgreSQL or for the GIL. Argon2 hashes with the GIL
    released, so its time does not show (the hash floor says what it costs); gmpy2 keeps the
    GIL, so SRP's modular powers do."""
    if not args.py_spy or target.kind != "cognate" or target.process is None:
        return None
    out = Path(args.profile_dir) / f"{label}.txt"
    argv = [
        args.py_spy,
        "record",
        "--subprocesses",
        "--gil",
        "--function",
        "--format",
        "raw",
        "--rate",
        "250",
        "-d",
        str(int(args.warmup + args.seconds + 1)),
        "-o",
        str(out),
        "-p",
        str(target.process.pid),
    ]
    return subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL), out


PROJECT_CODE = ("userpools/", "identity/", "config/", "hostedui/")


def profile_summary(path: Path, top: int = 20) -> str:
    """Where the sampled time went, as shares of all samples: Cognate's own functions by the
    samples they were anywhere on the stack in (inclusive), then every function by the
    samples it was at the top of the stack in (self)."""
    inclusive: dict[str, int] = {}
    own: dict[str, int] = {}
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        frames = [f for f in stack.split(";") if not f.startswith("process ")]
        if not frames:
            continue
        total += n
        for frame in set(frames):
            inclusive[frame] = inclusive.get(frame, 0) + n
        own[frames[-1]] = own.get(frames[-1], 0) + n
    if not total:
        return f"{path.name}: no samples"

    def where(frame: str) -> str:
        return frame.partition(" (")[2].rstrip(")").split("site-packages/")[-1]

    ours = {f: n for f, n in inclusive.items() if where(f).startswith(PROJECT_CODE)}
    lines = [f"{path.name}: {total} samples holding the GIL", "  Cognate's functions (inclusive):"]
    for frame, n in sorted(ours.items(), key=lambda kv: -kv[1])[:top]:
        lines.append(f"    {n / total * 100:5.1f}%  {frame.partition(' (')[0]} ({where(frame)})")
    lines.append("  every function (self):")
    for frame, n in sorted(own.items(), key=lambda kv: -kv[1])[:top]:
        lines.append(f"    {n / total * 100:5.1f}%  {frame.partition(' (')[0]} ({where(frame)})")
    return "\n".join(lines)


# --- The run --------------------------------------------------------------------------------------


def probe(gen: Generator, target: Target, pool: Pool, op: str, args) -> dict[str, Any]:
    """One request of ``op``: an error that every try gives means the target cannot do it."""
    result = gen.run(spec_for(target, pool, op, concurrency=1, seconds=0, args=args, count=3, warmup=0))
    if "failed" in result:
        return {"ok": False, "reason": result["failed"]}
    if result["ops"] == 0:
        return {"ok": False, "reason": (result["error_samples"] or ["no answer"])[0]}
    return {"ok": True}


def spec_for(
    target: Target,
    pool: Pool,
    op: str,
    *,
    concurrency: int,
    seconds: float,
    args,
    count: int | None = None,
    warmup: float | None = None,
) -> dict[str, Any]:
    return {
        "url": target.url,
        "op": op,
        "pool_id": pool.pool_id,
        "client_id": pool.client_id,
        "users": pool.users,
        "tokens": pool.tokens,
        "credentials": target.credentials or ("AKIABENCHMARK", "benchmark-secret"),
        "concurrency": concurrency,
        "seconds": seconds,
        "count": count,
        "warmup": args.warmup if warmup is None else warmup,
        "server_pid": target.process.pid if target.process else None,
        "signed_requests": args.signed_requests,
        "srp_a_bits": args.srp_a_bits,
        "database": urlsplit(args.database_url).path.lstrip("/") if target.kind == "cognate" else None,
    }


def make_tokens(gen: Generator, target: Target, pool: Pool, args) -> None:
    """Sign in the first ``--tokens`` users once, keeping their refresh and access tokens."""
    wanted = min(args.tokens, pool.users)
    result = gen.run(
        spec_for(target, pool, "sign_in_collect", concurrency=8, seconds=0, args=args, count=wanted, warmup=0)
    )
    if "failed" in result:
        raise SystemExit(f"{target.name}: signing in users for tokens failed: {result['failed']}")
    pool.tokens = result["collected"]
    if not pool.tokens:
        raise SystemExit(f"{target.name}: no user could sign in: {result['error_samples']}")


def fmt(value: float | None, spec: str = ".1f") -> str:
    return "-" if value is None else format(value, spec)


def cost_ms(r: dict[str, Any], *groups: str) -> float | None:
    """CPU milliseconds per operation spent by ``groups`` (robust to other load on the machine)."""
    if not r.get("rps"):
        return None
    return sum(r["cpu"][g] for g in groups) / r["rps"] * 1000


def print_table(results: list[dict[str, Any]]) -> None:
    print(
        f"\n{'users':>7} {'conc':>4}  {'operation':<18}{'target':<26}{'ops/s':>8}{'p50 ms':>9}{'p99 ms':>9}"
        f"{'errors':>7}  {'srv ms':>7}{'db ms':>7}  {'gen':>5}{'server':>7}{'pg':>6}{'redis':>6}{'other':>6}"
        f"{'busy':>6}"
    )
    last = None
    for r in results:
        key = (r["users"], r["concurrency"], r["op"])
        if last is not None and key != last:
            print()
        last = key
        head = f"{r['users']:>7,} {r['concurrency']:>4}  {OP_LABELS[r['op']]:<18}{r['target']:<26}"
        if r.get("na"):
            print(f"{head}{'n/a':>8}  {r['na'][:100]}")
            continue
        c = r["cpu"]
        print(
            f"{head}{r['rps']:>8.1f}{fmt(r['p50_ms']):>9}{fmt(r['p99_ms']):>9}{r['errors']:>7}  "
            f"{fmt(cost_ms(r, 'server'), '.2f'):>7}{fmt(cost_ms(r, 'postgres', 'redis'), '.2f'):>7}  "
            f"{c['generator'] * 100:>4.0f}%{c['server'] * 100:>6.0f}%{c['postgres'] * 100:>5.0f}%"
            f"{c['redis'] * 100:>5.0f}%{c['other'] * 100:>5.0f}%{c['machine_busy'] * 100:>5.0f}%"
            + (f"  [{NOTES[(r['kind'], r['op'])]}]" if (r["kind"], r["op"]) in NOTES else "")
        )
    print(
        "\nsrv ms / db ms: CPU milliseconds per operation of the target's processes / of PostgreSQL + Redis.\n"
        "CPU columns: shares of ONE core during the timed part (gen = load generator process, server = the "
        "target's process tree,\npg = all PostgreSQL processes, redis = redis-server, other = everything else on "
        f"the machine);\nbusy = the whole machine, {os.cpu_count()} cores = 100 %."
    )


def aggregate(rounds: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per (users, concurrency, operation, target): the round with the median ops/s
    (of an even number of rounds, the lower of the middle two)."""
    groups: dict[tuple, list[dict[str, Any]]] = {}
    for r in rounds:
        groups.setdefault((r["users"], r["concurrency"], OPS.index(r["op"]), r["order"]), []).append(r)
    out = []
    for key in sorted(groups):
        rows = groups[key]
        measured = sorted((r for r in rows if not r.get("na")), key=lambda r: r["rps"])
        row = dict(measured[(len(measured) - 1) // 2] if measured else rows[0])
        row["rounds_rps"] = [round(r["rps"], 1) for r in measured]
        out.append(row)
    return out


def goal_checks(rows: list[dict[str, Any]], floor: dict[str, float]) -> list[dict[str, Any]]:
    cores = os.cpu_count() or 1
    by = {(r["users"], r["concurrency"], r["op"], r["kind"], r["target"]): r for r in rows if not r.get("na")}
    checks = []

    def other(users: int, conc: int, op: str, kind: str) -> dict[str, Any] | None:
        return next((r for (u, c, o, k, _), r in by.items() if (u, c, o, k) == (users, conc, op, kind)), None)

    hash_goal = 0.8 * floor["hashes_per_s"] * cores
    for (users, conc, op, kind, name), r in sorted(
        by.items(), key=lambda kv: (kv[0][0], kv[0][1], OPS.index(kv[0][2]))
    ):
        if kind != "cognate":
            continue
        where = f"{users:,} users, c={conc}, {name}"
        if op == "password":
            # What other programs on the machine took is not Cognate's to use: say what the goal
            # would be on the cores left to the benchmark (the generator's share stays counted).
            left = max(cores - r["cpu"]["other"], 0.1)
            parallel = floor.get("hashes_per_s_all_cores")
            adjusted = 0.8 * floor["hashes_per_s"] * left
            checks.append(
                {
                    "goal": f"password sign-ins >= 80% of hash floor x {cores} cores",
                    "where": where,
                    "value": r["rps"],
                    "bound": hash_goal,
                    "pass": r["rps"] >= hash_goal,
                    "detail": f"{r['rps']:.1f}/s vs 0.8 x {floor['hashes_per_s']:.1f} x {cores} = {hash_goal:.1f}/s"
                    f" (on the {left:.2f} cores other programs left: {adjusted:.1f}/s, "
                    f"{'met' if r['rps'] >= adjusted else 'missed'}"
                    + (f"; {cores} processes hashing at once managed {parallel:.1f}/s)" if parallel else ")"),
                }
            )
        if op == "srp":
            checks.append(
                {
                    "goal": "SRP sign-ins >= 100/s",
                    "where": where,
                    "value": r["rps"],
                    "bound": 100.0,
                    "pass": r["rps"] >= 100,
                    "detail": f"{r['rps']:.1f}/s",
                }
            )
        if op == "refresh":
            moto = other(users, conc, op, "moto")
            local = other(users, conc, op, "cognito-local")
            if moto is not None:
                checks.append(
                    {
                        "goal": "refreshes >= 1.5 x moto",
                        "where": where,
                        "value": r["rps"],
                        "bound": 1.5 * moto["rps"],
                        "pass": r["rps"] >= 1.5 * moto["rps"],
                        "detail": f"{r['rps']:.1f}/s vs 1.5 x {moto['rps']:.1f} = {1.5 * moto['rps']:.1f}/s "
                        f"(ratio {r['rps'] / moto['rps']:.2f})",
                    }
                )
            if local is not None:
                checks.append(
                    {
                        "goal": "refreshes > cognito-local",
                        "where": where,
                        "value": r["rps"],
                        "bound": local["rps"],
                        "pass": r["rps"] > local["rps"],
                        "detail": f"{r['rps']:.1f}/s vs {local['rps']:.1f}/s (ratio {r['rps'] / local['rps']:.2f})",
                    }
                )
        if op in {"get_user", "admin_get_user", "jwks"}:
            local = other(users, conc, op, "cognito-local")
            if local is not None:
                checks.append(
                    {
                        "goal": f"{OP_LABELS[op]} > cognito-local",
                        "where": where,
                        "value": r["rps"],
                        "bound": local["rps"],
                        "pass": r["rps"] > local["rps"],
                        "detail": f"{r['rps']:.1f}/s vs {local['rps']:.1f}/s (ratio {r['rps'] / local['rps']:.2f})",
                    }
                )
    return checks


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--targets", default=",".join(KINDS), help=f"comma-separated, of {', '.join(KINDS)}")
    parser.add_argument("--ops", default=",".join(OPS), help=f"comma-separated, of {', '.join(OPS)}")
    parser.add_argument("--users", default="1000,100000", help="user counts, comma-separated (default 1000,100000)")
    parser.add_argument("--concurrency", default="8,32", help="connections, comma-separated (default 8,32)")
    parser.add_argument("--seconds", type=float, default=10.0, help="timed seconds per round (default 10)")
    parser.add_argument("--warmup", type=float, default=1.0, help="untimed seconds before each round (default 1)")
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="interleaved passes; the median is reported, the lower middle one for an even count",
    )
    parser.add_argument(
        "--cognate",
        action="append",
        metavar="CLASS:WORKERS[xTHREADS][@CHECKOUT]",
        help=f"a gunicorn set-up, repeatable (default {DEFAULT_COGNATE}; e.g. sync:5, gthread:4x4); "
        "@CHECKOUT serves another copy of the code on the same database",
    )
    parser.add_argument(
        "--others-max-users", type=int, default=1000, help="largest pool given to moto and cognito-local (default 1000)"
    )
    parser.add_argument("--reuse", action="store_true", help="keep Cognate's tagged pools that hold enough users")
    parser.add_argument("--tokens", type=int, default=500, help="users signed in beforehand for refresh/GetUser")
    parser.add_argument("--signed-requests", type=int, default=2000, help="AdminGetUser requests signed per round")
    parser.add_argument(
        "--srp-a-bits", type=int, default=256, help="bits of the SRP client's ephemeral a (default 256)"
    )
    parser.add_argument("--floor-seconds", type=float, default=3.0, help="seconds per floor measurement")
    parser.add_argument("--floors-only", action="store_true", help="measure the floors, start no server")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/cognate_bench_auth"),
    )
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/3"))
    parser.add_argument("--base-port", type=int, default=8790, help="first port for the servers (default 8790)")
    parser.add_argument("--out", help="JSON results file (default /tmp/auth_compare-<time>.json)")
    parser.add_argument("--py-spy", metavar="PATH", help="py-spy executable: sample Cognate's workers in each round")
    parser.add_argument(
        "--profile-dir",
        default="/tmp/auth_compare-profiles",
        help="where --py-spy writes raw stacks and summary.txt (default /tmp/auth_compare-profiles)",
    )
    args = parser.parse_args()

    kinds = [k.strip() for k in args.targets.split(",") if k.strip()]
    ops = [o.strip() for o in args.ops.split(",") if o.strip()]
    for bad in set(kinds) - set(KINDS):
        parser.error(f"unknown target {bad!r}")
    for bad in set(ops) - set(OPS):
        parser.error(f"unknown operation {bad!r}")
    user_counts = [int(u) for u in args.users.split(",")]
    concurrencies = [int(c) for c in args.concurrency.split(",")]
    if not args.database_url.startswith(("postgres://", "postgresql://")):
        parser.error("--database-url must be PostgreSQL: Cognate is measured as it runs in production")
    out_path = Path(args.out or f"/tmp/auth_compare-{datetime.now():%Y%m%d-%H%M%S}.json")
    if args.py_spy:
        Path(args.profile_dir).mkdir(parents=True, exist_ok=True)
    summaries: list[str] = []

    env = {**os.environ, "DATABASE_URL": args.database_url, "REDIS_URL": args.redis_url}
    # Fixed, so that a reused pool's encrypted SRP verifiers and signing keys still decrypt.
    env.setdefault("SECRET_KEY", "cognate-benchmark-auth-compare-not-a-secret")
    env.pop("DEBUG", None)
    if args.floors_only:
        setup_django(env)
        print_floor("now", floors(args.floor_seconds))
        return 0
    workdir = Path(tempfile.mkdtemp(prefix="cognate-auth-compare-"))
    targets: list[Target] = []
    gen: Generator | None = None
    port = args.base_port
    try:
        if "cognate" in kinds:
            ensure_database(args.database_url)
            subprocess.run(
                [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True
            )
        setup_django(env)
        for config in args.cognate or [DEFAULT_COGNATE]:
            if "cognate" in kinds:
                targets.append(CognateTarget(config, port, workdir, env, f"http://127.0.0.1:{args.base_port}"))
                port += 1
        if "moto" in kinds:
            targets.append(MotoTarget("moto", "moto", port, workdir))
            port += 1
        if "cognito-local" in kinds:
            targets.append(CognitoLocalTarget("cognito-local", "cognito-local", port, workdir))
            port += 1
        for target in targets:
            target.start()
            print(f"{target.name}: {target.url} (pid {target.process.pid}, log {target.log})", flush=True)
        if "cognate" in kinds:
            credentials = cognate_credentials()
            for target in targets:
                if target.kind == "cognate":
                    target.credentials = credentials

        gen = Generator()
        print(
            f"machine: {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}; floors ({args.floor_seconds:.0f} s each) ...",
            flush=True,
        )
        floor_before = floors(args.floor_seconds)
        print_floor("before", floor_before)

        results: list[dict[str, Any]] = []
        setups: list[dict[str, Any]] = []
        for users in user_counts:
            present = [t for t in targets if t.kind == "cognate" or users <= args.others_max_users]
            for target in present:
                print(f"{target.name}: pool with {users:,} users ...", flush=True)
                pool = target.pool_for(users, args)
                target.pools[users] = pool
                if not pool.tokens:
                    make_tokens(gen, target, pool, args)
                print(
                    f"  {pool.pool_id}, client {pool.client_id}, {len(pool.tokens)} signed-in users for tokens; "
                    f"{pool.note} ({pool.setup_seconds:.0f} s)",
                    flush=True,
                )
                setups.append(
                    {
                        "target": target.name,
                        "users": users,
                        "pool_id": pool.pool_id,
                        "setup_seconds": pool.setup_seconds,
                        "note": pool.note,
                    }
                )
            unsupported: dict[tuple[str, str], str] = {}
            for target in present:
                for op in ops:
                    verdict = probe(gen, target, target.pools[users], op, args)
                    if not verdict["ok"]:
                        unsupported[(target.name, op)] = verdict["reason"]
                        print(f"  {target.name}: {op} n/a: {verdict['reason'][:200]}", flush=True)
            for round_no in range(args.rounds):
                for conc in concurrencies:
                    for op in ops:
                        for order, target in enumerate(present):
                            row = {
                                "users": users,
                                "concurrency": conc,
                                "op": op,
                                "target": target.name,
                                "kind": target.kind,
                                "order": order,
                                "round": round_no,
                            }
                            if (target.name, op) in unsupported:
                                results.append({**row, "na": unsupported[(target.name, op)]})
                                continue
                            if target.process is not None and target.process.poll() is not None:
                                results.append({**row, "na": f"server exited ({target.process.returncode})"})
                                continue
                            label = (
                                f"{target.name.replace(' ', '_').replace(':', '-')}-{op}-{users}-c{conc}-r{round_no}"
                            )
                            spy = profile_start(args, target, label)
                            r = gen.run(
                                spec_for(
                                    target, target.pools[users], op, concurrency=conc, seconds=args.seconds, args=args
                                )
                            )
                            if spy is not None:
                                spy[0].wait()
                                if spy[1].exists():
                                    summaries.append(profile_summary(spy[1]))
                            if "failed" in r:
                                results.append({**row, "na": "generator failed: " + r["failed"]})
                                print(
                                    f"{users:>7,} c={conc:<3}{op:<16}{target.name:<22} FAILED {r['failed']}", flush=True
                                )
                                continue
                            r.pop("collected", None)
                            note = NOTES.get((target.kind, op))
                            results.append({**row, **r, "load": os.getloadavg()[0], **({"note": note} if note else {})})
                            print(
                                f"r{round_no} {users:>7,} c={conc:<3}{op:<16}{target.name:<22}{r['rps']:>8.1f}/s "
                                f"p50 {fmt(r['p50_ms'])} p99 {fmt(r['p99_ms'])} ms, {r['errors']} errors, "
                                f"gen {r['cpu']['generator'] * 100:.0f}% srv {r['cpu']['server'] * 100:.0f}% "
                                f"pg {r['cpu']['postgres'] * 100:.0f}% other {r['cpu']['other'] * 100:.0f}%"
                                + (f"  e.g. {r['error_samples'][0][:150]}" if r["error_samples"] else ""),
                                flush=True,
                            )

        floor_after = floors(args.floor_seconds)
        print_floor("after", floor_after)
        floor = max((floor_before, floor_after), key=lambda f: f["hashes_per_s"])
        floor = {
            **floor,
            "rs256_per_s": max(floor_before["rs256_per_s"], floor_after["rs256_per_s"]),
            "hashes_per_s_all_cores": max(
                floor_before["hashes_per_s_all_cores"], floor_after["hashes_per_s_all_cores"]
            ),
            "srp_server_steps_per_s": max(
                floor_before["srp_server_steps_per_s"], floor_after["srp_server_steps_per_s"]
            ),
        }
        rows = aggregate(results)
        print_table(rows)
        print(
            f"\nFloors, one core (higher of before/after): {floor['hasher'].rsplit('.', 1)[-1]} "
            f"{floor['hashes_per_s']:.1f} hashes/s ({floor['hashes_per_s_all_cores']:.1f}/s with one process "
            f"per core), RS256 {floor['rs256_per_s']:.0f} signatures/s, "
            f"SRP {floor['srp_server_steps_per_s']:.0f} server steps/s"
        )
        checks = goal_checks(rows, floor)
        print("\nGoals:")
        for c in checks:
            print(f"  {'PASS' if c['pass'] else 'FAIL'}  {c['goal']:<46} {c['where']:<40} {c['detail']}")
        if not checks:
            print("  (none applicable: Cognate was not measured)")
        out_path.write_text(
            json.dumps(
                {
                    "when": datetime.now().isoformat(timespec="seconds"),
                    "cores": os.cpu_count(),
                    "argv": sys.argv[1:],
                    "seconds": args.seconds,
                    "warmup": args.warmup,
                    "rounds": args.rounds,
                    "srp_a_bits": args.srp_a_bits,
                    "targets": [{"name": t.name, "kind": t.kind, "url": t.url} for t in targets],
                    "setups": setups,
                    "floors": {"before": floor_before, "after": floor_after, "used": floor},
                    "results": rows,
                    "all_rounds": results,
                    "goals": checks,
                },
                indent=1,
                default=str,
            )
        )
        print(f"\nwrote {out_path}")
        if summaries:
            summary = Path(args.profile_dir) / "summary.txt"
            summary.write_text("\n\n".join(summaries) + "\n")
            print(f"py-spy profiles: {args.profile_dir} (summary.txt)")
        shutil.rmtree(workdir, ignore_errors=True)  # server logs stay when the run fails
        return 0 if checks and all(c["pass"] for c in checks) else 1
    finally:
        if gen is not None:
            gen.stop()
        for target in targets:
            target.stop()


def print_floor(when: str, f: dict[str, float]) -> None:
    print(
        f"floors {when}: {f['hasher'].rsplit('.', 1)[-1]} {f['hashes_per_s']:.1f} hashes/s on one core "
        f"({f['hashes_per_s_all_cores']:.1f}/s with {os.cpu_count()} processes at once), "
        f"RS256 {f['rs256_per_s']:.0f}/s, SRP server steps {f['srp_server_steps_per_s']:.0f}/s "
        f"(load {f['load']:.2f})",
        flush=True,
    )


def ensure_database(url: str) -> None:
    """CREATE DATABASE for the benchmark's own database when it does not exist yet."""
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
            conn.execute(f'CREATE DATABASE "{name}"')
            print(f"created database {name}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
