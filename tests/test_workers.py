"""config/workers.py: gunicorn's threaded worker taking connections least-connections first.

The integration tests run gunicorn itself (two workers) and find which worker holds each
client connection from /proc: the socket inode of the server's end of the connection
(/proc/net/tcp) among the worker's open files (/proc/PID/fd)."""

from __future__ import annotations

import http.client
import os
import re
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from config.workers import ENTRY, NOT_TAKING, SLOTS, STALE, entry_write, least_loaded, slot_claim

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).parent / "gunicorn"
linux_only = pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads /proc (Linux)")


def _board() -> bytearray:
    return bytearray(SLOTS * ENTRY.size)


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


# --- The board ------------------------------------------------------------------------------


def test_the_worker_with_fewest_connections_takes_the_next():
    board, now = _board(), time.monotonic()
    me = os.getpid()
    entry_write(board, 0, me, 3, now)
    entry_write(board, 1, me, 2, now)
    assert not least_loaded(board, 0, 3, now)
    assert least_loaded(board, 1, 2, now)
    entry_write(board, 1, me, 3, now)
    assert least_loaded(board, 0, 3, now) and least_loaded(board, 1, 3, now)  # ties both take


def test_workers_that_take_nothing_stale_or_dead_do_not_count():
    board, now = _board(), time.monotonic()
    me = os.getpid()
    entry_write(board, 0, me, 5, now)
    entry_write(board, 1, me, NOT_TAKING, now)  # stopping, or at --worker-connections
    entry_write(board, 2, me, 0, now - STALE - 1)  # hangs
    entry_write(board, 3, _dead_pid(), 0, now)  # killed: its entry is still fresh
    assert least_loaded(board, 0, 5, now)
    entry_write(board, 4, me, 4, now)
    assert not least_loaded(board, 0, 5, now)


def test_slots_are_claimed_free_stale_or_dead_first_and_run_out():
    board, now = _board(), time.monotonic()
    me = os.getpid()
    assert slot_claim(board, me, now) == 0
    assert ENTRY.unpack_from(board, 0) == (me, NOT_TAKING, now)
    assert slot_claim(board, me, now) == 1
    entry_write(board, 0, me, 1, now - STALE)
    assert slot_claim(board, me, now) == 0
    entry_write(board, 1, _dead_pid(), 1, now)
    assert slot_claim(board, me, now) == 1
    for slot in range(2, SLOTS):
        assert slot_claim(board, me, now) == slot
    assert slot_claim(board, me, now) is None


# --- gunicorn -----------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rpartition(")")[2].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _socket_inodes(pid: int) -> set[int]:
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            match = re.fullmatch(r"socket:\[(\d+)\]", os.readlink(fd))
        except OSError:
            continue
        if match:
            inodes.add(int(match.group(1)))
    return inodes


def _holders(server, connections: list[http.client.HTTPConnection]) -> dict[int, int]:
    """How many of ``connections`` each worker (pid) holds."""
    ends = {}  # client port -> inode of the server's end
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[1].rsplit(":", 1)[1], 16) == server.port:
            ends[int(fields[2].rsplit(":", 1)[1], 16)] = int(fields[9])
    held = {pid: _socket_inodes(pid) for pid in server.workers()}
    counts = dict.fromkeys(held, 0)
    for conn in connections:
        inode = ends[conn.sock.getsockname()[1]]
        counts[next(pid for pid, inodes in held.items() if inode in inodes)] += 1
    return counts


def _split(server, connections: list[http.client.HTTPConnection]) -> list[int]:
    """How many of ``connections`` each worker holds, fewest first."""
    return sorted(_holders(server, connections).values())


class Server:
    def __init__(self, tmp_path: Path, worker_class: str, workers: int = 2) -> None:
        self.port = _free_port()
        self.ready = tmp_path / "ready"
        self.ready.mkdir()
        hooks = tmp_path / "hooks.py"
        # Called in each worker once the application is loaded, just before its loop.
        hooks.write_text(f"def post_worker_init(worker):\n    open('{self.ready}/%d' % worker.pid, 'w').close()\n")
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}
        env.setdefault("SECRET_KEY", "test-workers-not-a-secret")
        self.process = subprocess.Popen(
            [
                str(GUNICORN),
                "config.wsgi:application",
                "-c",
                str(hooks),
                "-b",
                f"127.0.0.1:{self.port}",
                "-k",
                worker_class,
                "-w",
                str(workers),
                "--threads",
                "2",
                "--keep-alive",
                "60",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
        )
        self.wait_ready(workers)

    def workers(self) -> list[int]:
        return _children(self.process.pid)

    def wait_ready(self, workers: int) -> None:
        deadline = time.monotonic() + 60
        while {int(p.name) for p in self.ready.iterdir()} & set(self.workers()) != set(self.workers()) or len(
            self.workers()
        ) != workers:
            assert self.process.poll() is None, "gunicorn exited"
            assert time.monotonic() < deadline, "gunicorn's workers did not start"
            time.sleep(0.05)
        time.sleep(0.2)  # from post_worker_init to the worker's loop

    def connect(self) -> http.client.HTTPConnection:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        conn.request("GET", "/")
        response = conn.getresponse()
        response.read()
        assert response.status == 200
        return conn

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()


@pytest.fixture(params=["config.workers.BalancedThreadWorker", "config.workers.InlineWorker"])
def balanced(tmp_path, request):
    server = Server(tmp_path, request.param)
    yield server
    server.stop()


@linux_only
def test_kept_alive_connections_spread_evenly_over_the_workers(balanced):
    # gunicorn's gthread worker split these 2/6, 3/5 and 1/7 in three tries.
    connections = [balanced.connect() for _ in range(8)]
    assert _split(balanced, connections) == [4, 4]
    for conn in connections[:3]:  # 1 + 4 left: the next two go to the one with fewer
        conn.close()
    time.sleep(0.1)
    connections = connections[3:] + [balanced.connect() for _ in range(2)]
    assert _split(balanced, connections) == [3, 4]
    for conn in connections:
        conn.close()


@linux_only
def test_connections_opened_at_once_spread_too(balanced):
    barrier = threading.Barrier(8)
    connections: list[http.client.HTTPConnection] = []

    def one() -> None:
        barrier.wait()
        connections.append(balanced.connect())

    threads = [threading.Thread(target=one) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    fewest, most = _split(balanced, connections)
    assert most - fewest <= 2


@linux_only
def test_a_killed_worker_leaves_new_connections_to_the_others(balanced):
    connections = [balanced.connect() for _ in range(3)]
    holders = _holders(balanced, connections)
    assert sorted(holders.values()) == [1, 2]
    victim = min(holders, key=holders.__getitem__)
    os.kill(victim, 9)
    started = time.monotonic()
    conn = balanced.connect()  # the survivor (two connections) takes it, not waiting for the replacement
    assert time.monotonic() - started < 0.4  # a replacement worker takes ~0.8 s to boot here
    conn.close()
    for conn in connections:
        conn.close()


# --- InlineWorker: requests answered on the worker's thread once whole ------------------------

from config.workers import (  # noqa: E402
    BODY_MAX,
    HEAD_MAX,
    JOIN_MAX,
    PARTIAL,
    POOL,
    WHOLE,
    HeadHeld,
    request_extent,
)

GET = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


def _post(body: bytes, *, extra: bytes = b"") -> bytes:
    return (
        b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Amz-Target: AWSCognitoIdentityProviderService.GetUser\r\n"
        b"Content-Type: application/x-amz-json-1.1\r\nContent-Length: %d\r\n%s\r\n" % (len(body), extra) + body
    )


@pytest.mark.parametrize(
    "buffer,expected",
    [
        (GET, (WHOLE, len(GET))),
        (GET + GET, (WHOLE, len(GET))),  # pipelined: the first
        (GET[:-1], (PARTIAL, 0)),
        (b"", (PARTIAL, 0)),
        (_post(b'{"a": 1}'), (WHOLE, len(_post(b'{"a": 1}')))),
        (_post(b'{"a": 1}')[:-1], (PARTIAL, 0)),
        (_post(b"x").replace(b"Content-Length", b"content-LENGTH"), (WHOLE, len(_post(b"x")))),
        (b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n", (POOL, 0)),
        (_post(b"x", extra=b"Expect: 100-continue\r\n")[:-1], (POOL, 0)),
        (b"POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx", (POOL, 0)),
        (b"POST / HTTP/1.1\r\nContent-Length: +1\r\n\r\nx", (POOL, 0)),
        (b"POST / HTTP/1.1\r\nContent-Length: %d\r\n\r\n" % (BODY_MAX + 1), (POOL, 0)),
        (b"GET / HTTP/1.1\r\nX: " + b"y" * HEAD_MAX, (POOL, 0)),
    ],
)
def test_request_extent(buffer, expected):
    assert request_extent(buffer) == expected


class _Recording:
    """A socket that records what is asked of it."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, bytes | None]] = []

    def sendall(self, data) -> None:
        self.calls.append(("sendall", bytes(data)))

    def fileno(self) -> int:
        self.calls.append(("fileno", None))
        return 7


def test_the_head_leaves_with_the_first_piece_of_the_body():
    sock = _Recording()
    held = HeadHeld(sock)
    held.sendall(b"HTTP/1.1 200 OK\r\n\r\n")
    assert sock.calls == []
    held.sendall(memoryview(b"body"))
    held.sendall(b"more")
    held.flush()
    assert sock.calls == [("sendall", b"HTTP/1.1 200 OK\r\n\r\nbody"), ("sendall", b"more")]


def test_a_held_head_leaves_first_whatever_else_is_asked_of_the_socket():
    sock = _Recording()
    held = HeadHeld(sock)
    held.sendall(b"head")
    assert held.fileno() == 7  # gunicorn's sendfile: the head must be on the wire before the file
    assert sock.calls == [("sendall", b"head"), ("fileno", None)]
    alone = _Recording()
    only = HeadHeld(alone)
    only.sendall(b"head of an answer without a body")
    only.flush()
    only.flush()
    assert alone.calls == [("sendall", b"head of an answer without a body")]


def test_a_large_body_is_not_copied_to_join_the_head():
    sock = _Recording()
    held = HeadHeld(sock)
    body = b"x" * (JOIN_MAX + 1)
    held.sendall(b"head")
    held.sendall(body)
    assert sock.calls == [("sendall", b"head"), ("sendall", body)]


@pytest.fixture
def inline(tmp_path):
    server = Server(tmp_path, "config.workers.InlineWorker", workers=1)
    yield server
    server.stop()


def _open(server) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    sock.settimeout(10)
    return sock


def _responses(sock: socket.socket, count: int) -> list[tuple[int, bytes]]:
    """``count`` HTTP responses read off ``sock``: (status, body)."""
    data, found = b"", []
    while len(found) < count:
        end = data.find(b"\r\n\r\n")
        if end >= 0:
            head = data[:end].decode("latin-1")
            length = int(re.search(r"(?im)^content-length:\s*(\d+)", head).group(1))
            if len(data) >= end + 4 + length:
                found.append((int(head.split()[1]), data[end + 4 : end + 4 + length]))
                data = data[end + 4 + length :]
                continue
        chunk = sock.recv(65536)
        assert chunk, f"the server closed the connection after {len(found)} responses"
        data += chunk
    return found


def _code(body: bytes) -> str:
    import json

    return json.loads(body)["__type"]


def test_inline_keeps_connections_alive_and_answers_each_request(inline):
    with _open(inline) as sock:
        for _ in range(5):
            sock.sendall(GET)
            [(status, _)] = _responses(sock, 1)
            assert status == 200
        sock.sendall(_post(b'{"AccessToken": "not-a-token"}'))
        [(status, body)] = _responses(sock, 1)
        assert status == 400 and _code(body) == "NotAuthorizedException"  # the whole body was read


def test_inline_answers_pipelined_requests_in_order(inline):
    with _open(inline) as sock:
        sock.sendall(GET + _post(b'{"AccessToken": "x"}') + GET)
        answers = _responses(sock, 3)
        assert [status for status, _ in answers] == [200, 400, 200]
        assert _code(answers[1][1]) == "NotAuthorizedException"


def test_inline_waits_for_a_request_in_pieces_without_holding_the_worker(inline):
    """One worker: while one client dribbles its request, another is answered at once."""
    request = _post(b'{"AccessToken": "' + b"t" * 3000 + b'"}')
    with _open(inline) as slow, _open(inline) as quick:
        slow.sendall(request[:40])  # part of the head
        time.sleep(0.3)
        started = time.monotonic()
        quick.sendall(GET)
        assert _responses(quick, 1)[0][0] == 200
        assert time.monotonic() - started < 1.0
        slow.sendall(request[40:200])  # the rest of the head, part of the body
        time.sleep(0.3)
        quick.sendall(GET)
        assert _responses(quick, 1)[0][0] == 200
        slow.sendall(request[200:])
        [(status, body)] = _responses(slow, 1)
        assert status == 400 and _code(body) == "NotAuthorizedException"


def test_inline_hands_chunked_bodies_to_a_thread(inline):
    body = b'{"AccessToken": "x"}'
    request = (
        b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Amz-Target: AWSCognitoIdentityProviderService.GetUser\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)
    )
    with _open(inline) as sock:
        sock.sendall(request)
        [(status, answer)] = _responses(sock, 1)
        # Django reads no body without a Content-Length (as under gthread): no AccessToken.
        assert status == 400 and _code(answer) == "InvalidParameterException"
        sock.sendall(GET)  # the connection is still good, and back on the worker's own thread
        assert _responses(sock, 1)[0][0] == 200


def test_inline_answers_expect_100_continue(inline):
    body = b'{"AccessToken": "x"}'
    with _open(inline) as sock:
        sock.sendall(_post(body, extra=b"Expect: 100-continue\r\n")[: -len(body)])
        assert sock.recv(100).startswith(b"HTTP/1.1 100 Continue")
        sock.sendall(body)
        [(status, answer)] = _responses(sock, 1)
        assert status == 400 and _code(answer) == "NotAuthorizedException"


def test_inline_refuses_a_malformed_request_without_stalling(inline):
    with _open(inline) as sock:
        sock.sendall(b"NOT HTTP AT ALL\r\n\r\n")
        assert sock.recv(100).startswith(b"HTTP/1.1 400")
    with _open(inline) as sock:
        sock.sendall(GET)
        assert _responses(sock, 1)[0][0] == 200


def test_inline_survives_clients_that_vanish(inline):
    for cut in (10, len(_post(b'{"AccessToken": "x"}')) - 3):
        sock = _open(inline)
        sock.sendall(_post(b'{"AccessToken": "x"}')[:cut])
        sock.close()
    with _open(inline) as sock:
        sock.sendall(GET)
        assert _responses(sock, 1)[0][0] == 200
    assert len(inline.workers()) == 1
