"""gunicorn's threaded worker, taking new connections least-connections first
(:class:`BalancedThreadWorker`), and the same answering requests on its own thread
(:class:`InlineWorker`, further down; README.md's production advice).

``gunicorn config.wsgi -k config.workers.BalancedThreadWorker -w 2 --threads 8``

gunicorn's workers share one listening socket and race to accept each new connection;
a kept-alive connection then stays with the worker that won it. With many short
connections that evens out. With few long-lived ones -- a proxy's pool of upstream
connections, an SDK's connection pool, a load generator -- it often does not: one worker
(one interpreter, one GIL) can end up serving all of them while the others idle, and
throughput halves. gunicorn's own ``gthread`` worker did that with eight keep-alive
clients on two workers (seen: benchmarks/README.md, Performance mechanisms).

This worker accepts only while no other worker of the same server holds fewer
connections. The workers publish their connection counts on a small board in shared
memory (anonymous ``mmap``, created when gunicorn's arbiter imports this module, so every
worker it forks shares it): the worker with the fewest always accepts, ties all accept,
and a worker that stepped back looks again every :data:`RECHECK` seconds (and on its own
events), so no connection waits on stale counts for longer than that. A worker that is
stopping, or is at ``--worker-connections``, takes no part; so does one that was killed,
or whose entry has not been refreshed for :data:`STALE` seconds (it hangs: the others do
not wait for it). Everything else is gunicorn's ``gthread`` worker, unchanged.
"""

from __future__ import annotations

import errno
import mmap
import multiprocessing
import os
import re
import selectors
import struct
import time
from concurrent.futures import Future
from functools import partial

from gunicorn import http
from gunicorn.workers.gthread import ThreadWorker

SLOTS = 32  # workers one arbiter can balance; more than that share the last slots' fate: see _slot_claim
RECHECK = 0.005
STALE = 3.0
# One entry a worker: pid (0: free), connections held (-1: not taking any), heartbeat
# (time.monotonic(), one clock for all processes on Linux).
ENTRY = struct.Struct("qqd")
NOT_TAKING = -1

_board = mmap.mmap(-1, SLOTS * ENTRY.size)  # MAP_SHARED and anonymous: shared with forked workers
_claiming = multiprocessing.Lock()


def entry_write(board: mmap.mmap | bytearray, slot: int, pid: int, connections: int, beat: float) -> None:
    ENTRY.pack_into(board, slot * ENTRY.size, pid, connections, beat)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's: the pid was reused, so the worker is gone
        return False
    return True


def slot_claim(board: mmap.mmap | bytearray, pid: int, now: float) -> int | None:
    """A free slot (or a stale or dead worker's) for ``pid``, marked taken; None if all are live."""
    # Bounded: a worker killed while holding the lock must not stop its replacement booting.
    locked = _claiming.acquire(timeout=1.0)
    try:
        for slot, (owner, _, beat) in enumerate(ENTRY.iter_unpack(board)):
            if owner == 0 or now - beat >= STALE or not _alive(owner):
                entry_write(board, slot, pid, NOT_TAKING, now)
                return slot
    finally:
        if locked:
            _claiming.release()
    return None


def least_loaded(board: mmap.mmap | bytearray, slot: int | None, connections: int, now: float) -> bool:
    """Whether no other live, taking worker on ``board`` holds fewer than ``connections``.
    (Killed workers leave their entry behind: a fresh one counts only if its pid lives.)"""
    for other, (owner, held, beat) in enumerate(ENTRY.iter_unpack(board)):
        if (
            other != slot
            and owner
            and held != NOT_TAKING
            and held < connections
            and now - beat < STALE
            and _alive(owner)
        ):
            return False
    return True


class BalancedThreadWorker(ThreadWorker):
    """gunicorn's ``gthread`` worker that defers new connections to less loaded siblings."""

    board = _board
    slot: int | None = None
    _deferring = False

    def run(self) -> None:
        # Without a slot (more than SLOTS workers) the worker takes connections as gthread does.
        self.slot = slot_claim(self.board, self.pid, time.monotonic())
        try:
            super().run()
        finally:
            if self.slot is not None:
                entry_write(self.board, self.slot, 0, NOT_TAKING, 0.0)

    def _taking(self) -> bool:
        return self.alive and self.nr_conns < self.worker_connections

    def _publish(self) -> None:
        if self.slot is not None:
            entry_write(
                self.board, self.slot, self.pid, self.nr_conns if self._taking() else NOT_TAKING, time.monotonic()
            )

    def set_accept_enabled(self, enabled: bool) -> None:
        self._deferring = enabled and not least_loaded(self.board, self.slot, self.nr_conns, time.monotonic())
        super().set_accept_enabled(enabled and not self._deferring)

    def accept(self, listener) -> None:
        super().accept(listener)
        self._publish()  # at once: a sibling may be deciding whether to take the next one

    def wait_for_and_dispatch_events(self, timeout: float) -> None:
        self._publish()
        if self._taking():
            self.set_accept_enabled(True)  # looks at the board again
        super().wait_for_and_dispatch_events(min(timeout, RECHECK) if self._deferring else timeout)


# --- Requests answered on the worker's own thread ----------------------------------------------

HEAD_MAX = 64 * 1024  # a request head longer than this goes to a pool thread (gunicorn refuses it there)
BODY_MAX = 1024 * 1024  # bodies larger than this are read by a pool thread, as gthread reads them
# How long one socket operation of an inline request may wait: for bytes the head announced
# that never came (a lying client), or for a client to take its answer (one that reads
# nothing). Past it the connection is closed; the worker was held at most that long.
READ_TIMEOUT = 1.0
JOIN_MAX = 256 * 1024  # HeadHeld copies a body up to this size to send it with the response's head
_HEAD_END = b"\r\n\r\n"
_CONTENT_LENGTH = re.compile(rb"\ncontent-length:[ \t]*([0-9]{1,18})[ \t]*\r", re.IGNORECASE)
WHOLE, PARTIAL, POOL = "whole", "partial", "pool"


def request_extent(buffer: bytes | bytearray) -> tuple[str, int]:
    """Whether ``buffer`` begins with a whole HTTP/1.x request: (WHOLE, its length in
    bytes), (PARTIAL, 0) while more bytes are needed, or (POOL, 0) for a request this
    check does not measure (a chunked or very large body, ``Expect: 100-continue``, an
    over-long head, a Content-Length that is not one plain number): a pool thread reads
    that one as gthread does."""
    end = buffer.find(_HEAD_END)
    if end < 0:
        return (PARTIAL, 0) if len(buffer) <= HEAD_MAX else (POOL, 0)
    head = bytes(buffer[: end + 2])
    lowered = head.lower()
    if b"\ntransfer-encoding:" in lowered or b"\nexpect:" in lowered:
        return POOL, 0  # chunked; or a client waiting for "100 Continue" before it sends the body
    lengths = _CONTENT_LENGTH.findall(head)
    if len(lengths) != lowered.count(b"\ncontent-length:") or len(lengths) > 1:
        return POOL, 0  # malformed or repeated: the parser's to judge, with all the time it needs
    body = int(lengths[0]) if lengths else 0
    if body > BODY_MAX:
        return POOL, 0
    total = end + len(_HEAD_END) + body
    return (WHOLE, total) if len(buffer) >= total else (PARTIAL, 0)


class HeadHeld:
    """A connection's socket while one answer is written: the first ``sendall`` (gunicorn
    sends a response's head with one call, then each piece of its body with another) is held
    and sent with the next in one system call and one TCP segment, instead of two of each.
    Asking anything else of the socket (``fileno`` for ``sendfile``, ``shutdown``, ...) and
    :meth:`flush` send what is held first, so the bytes leave in the order they were given.

    gunicorn writes the head only when the first piece of the body is ready (or the answer
    is complete), so holding it until then delays nothing."""

    __slots__ = ("sock", "held", "first")

    def __init__(self, sock) -> None:
        self.sock = sock
        self.held: bytes | None = None
        self.first = True

    def sendall(self, data) -> None:
        if self.first:
            self.first, self.held = False, bytes(data)
        elif self.held is not None:
            held, self.held = self.held, None
            if len(data) <= JOIN_MAX:
                self.sock.sendall(held + bytes(data))
            else:  # no copy of a large body: two calls after all
                self.sock.sendall(held)
                self.sock.sendall(data)
        else:
            self.sock.sendall(data)

    def flush(self) -> None:
        if self.held is not None:
            held, self.held = self.held, None
            self.sock.sendall(held)

    def __getattr__(self, name: str):
        self.flush()
        return getattr(self.sock, name)


class InlineWorker(BalancedThreadWorker):
    """:class:`BalancedThreadWorker` that answers each request on the worker's own thread,
    between its poller's events, once the whole request has arrived.

    ``gunicorn config.wsgi -k config.workers.InlineWorker -w 2 --threads 2``

    gthread hands every request to a pool thread and the finished connection back to the
    main thread: two hand-offs, and the GIL passed between threads, on every request. With
    a CPU-bound application that costs more than it saves (measured against
    BalancedThreadWorker: benchmarks/README.md, Performance mechanisms).

    A worker answers one request at a time, so no client may hold it: a connection's bytes
    are read without blocking as they come, and the request is answered only when its head
    and its Content-Length body are all there (:func:`request_extent`); until then the
    connection waits on the poller like an idle kept-alive one, and is closed after
    ``--keep-alive`` seconds. Requests that check cannot measure (chunked bodies, bodies
    over :data:`BODY_MAX`, heads over :data:`HEAD_MAX`) go to the pool of ``--threads``
    threads, as with gthread. TLS and HTTP/2 connections go to the pool too (terminate TLS
    in front of Cognate). Time spent waiting on the database is not spent answering others:
    run about as many workers as cores, more if the database is far away. A request that
    waits long (a slow trigger webhook) holds the worker meanwhile, as a sync worker's would:
    with slow triggers, prefer :class:`BalancedThreadWorker`.
    """

    def enqueue_req(self, conn) -> None:
        if self.cfg.is_ssl or "h2" in self.cfg.http_protocols or getattr(conn, "is_http2", False):
            super().enqueue_req(conn)
            return
        buffer = getattr(conn, "inline_buffer", None)
        if buffer is None:
            buffer = conn.inline_buffer = bytearray()
        if conn.parser is not None:
            buffer[:0] = conn.parser.unreader.take_buffered()  # read ahead with the last request
        conn.sock.setblocking(False)
        try:
            received = conn.sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            received = None
        except OSError:
            self._drop(conn)
            return
        if received == b"" and not buffer:  # the client closed between requests
            self._drop(conn)
            return
        if received:
            buffer += received
        verdict, _ = request_extent(buffer)
        if verdict == PARTIAL and received != b"":
            self._wait_for_more(conn)
            return
        # Whole, for the pool, or cut short by the client (the parser answers that one).
        conn.init()
        conn.parser.unreader.unread(bytes(buffer))
        buffer.clear()
        if verdict == POOL:
            super().enqueue_req(conn)
            return
        conn.sock.settimeout(READ_TIMEOUT)
        done: Future = Future()
        done.set_result(self._answer(conn))
        self.finish_request(conn, done)

    def _wait_for_more(self, conn) -> None:
        conn.timeout = time.monotonic() + self.cfg.keepalive
        self.pending_conns.append(conn)
        self.poller.register(conn.sock, selectors.EVENT_READ, partial(self.on_pending_socket_readable, conn))

    def _drop(self, conn) -> None:
        self.nr_conns -= 1
        conn.close()

    def _answer(self, conn) -> bool:
        """gthread's ``handle`` for a request already read: whether to keep the connection."""
        req = None
        try:
            req = next(conn.parser)
            if not req:
                return False
            sock = conn.sock
            conn.sock = held = HeadHeld(sock)
            try:
                keep = self.handle_request(req, conn)
            finally:
                conn.sock = sock
                held.flush()
            return self._keepalive_after(conn, keep)
        except (http.errors.NoMoreData, StopIteration):
            return False
        except OSError as exc:
            if not isinstance(exc, TimeoutError) and exc.errno not in (errno.EPIPE, errno.ECONNRESET, errno.ENOTCONN):
                self.log.exception("Socket error processing request.")
            return False
        except Exception as exc:  # noqa: BLE001 - gthread's: answer the client with gunicorn's error page
            self.handle_error(req, conn.sock, conn.client, exc)
            return False
