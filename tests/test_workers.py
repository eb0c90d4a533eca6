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
            [str(GUNICORN), "config.wsgi:application", "-c", str(hooks), "-b", f"127.0.0.1:{self.port}",
             "-k", worker_class, "-w", str(workers), "--threads", "2", "--keep-alive", "60", "--log-level", "warning"],
            cwd=ROOT, env=env,
        )  # fmt: skip
        self.wait_ready(workers)

    def workers(self) -> list[int]:
        return _children(self.process.pid)

    def wait_ready(self, workers: int) -> None:
        deadline = time.monotonic() + 60
        while {int(p.name) for p in self.ready.iterdir()} & set(self.workers()) != set(self.workers()) \
                or len(self.workers()) != workers:  # fmt: skip
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


@pytest.fixture
def balanced(tmp_path):
    server = Server(tmp_path, "config.workers.BalancedThreadWorker")
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
