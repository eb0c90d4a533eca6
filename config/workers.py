"""gunicorn's threaded worker, taking new connections least-connections first.

``gunicorn config.wsgi -k config.workers.BalancedThreadWorker -w 2 --threads 8``

gunicorn's workers share one listening socket and race to accept each new connection;
a kept-alive connection then stays with the worker that won it. With many short
connections that evens out. With few long-lived ones -- a proxy's pool of upstream
connections, an SDK's connection pool, a load generator -- it often does not: one worker
(one interpreter, one GIL) can end up serving all of them while the others idle, and
throughput halves. Measured with gunicorn's own ``gthread`` worker and eight keep-alive
clients on two workers (benchmarks/auth_compare.py, sampling ``ss``): 8/0 splits in three
rounds out of eight.

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

import mmap
import multiprocessing
import os
import struct
import time

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
        if other != slot and owner and held != NOT_TAKING and held < connections and now - beat < STALE \
                and _alive(owner):  # fmt: skip
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
            entry_write(self.board, self.slot, self.pid, self.nr_conns if self._taking() else NOT_TAKING,
                        time.monotonic())  # fmt: skip

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
