"""The sandbox clearinghouse's pyx12 syntax check in processes of its own.

The sandbox stands in for an external clearinghouse, and checking an 837P against the
implementation guide is that clearinghouse's work, on its machines: about 3 ms of CPU a
claim, as much as the rest of what Aries' worker does for it. Run in the worker's process it
held the worker's GIL for that long (issue 18, figure 7). Here it runs in `processes` spawned
processes (spawned, not forked: the worker has threads, and a fork copies their locks), shared
by every sandbox of this process; the sandbox's own checks (readable, addressed to it, not a
duplicate, the front-end edits) stay where they were: they are cheap, and its memory of
control numbers lives there. Why: docs/decisions/024-sandbox-check-out-of-the-worker.md.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from application.ports import ClearinghouseUnavailable
from application.x12.syntax_verdict import SyntaxVerdict, preload, syntax_verdict

ORPHAN_CHECK_SECONDS = 1.0


class SyntaxChecks:
    """`checks(text)`: `syntax_verdict(text)`, worked out in one of the pool's processes.
    A pool whose process died is replaced, and that check is a transient failure (the
    submission's retry asks the sandbox what became of the interchange, decision 007)."""

    def __init__(self, processes: int) -> None:
        if processes < 1:
            raise ValueError("the sandbox's syntax check needs at least one process")
        self.processes = processes
        self._lock = threading.Lock()
        self._executor: ProcessPoolExecutor | None = None

    def __call__(self, text: str) -> SyntaxVerdict:
        executor = self._pool()
        try:
            return executor.submit(syntax_verdict, text).result()
        except BrokenProcessPool:
            with self._lock:
                if self._executor is executor:
                    self._executor = None
            raise ClearinghouseUnavailable("the sandbox's syntax check process died") from None

    def pids(self) -> list[int]:
        """The processes' ids (for tests and the bench's CPU accounting)."""
        with self._lock:
            executor = self._executor
        return [] if executor is None else [p.pid for p in executor._processes.values()]

    def close(self) -> None:
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)

    def _pool(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._executor is None:
                self._executor = ProcessPoolExecutor(
                    self.processes,
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=_start,
                    initargs=(os.getpid(),),
                )
                # A spawned pool starts a process per waiting task: start them all now, so
                # that none parses its maps while an interchange waits for it.
                for _ in range(self.processes):
                    self._executor.submit(_started)
            return self._executor


def _start(parent: int) -> None:
    # Ctrl-C reaches the whole process group: the worker stops its pool itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_when_orphaned, args=(parent,), daemon=True).start()
    preload()


def _exit_when_orphaned(parent: int) -> None:
    # A worker killed outright (SIGKILL, OOM) never stops its pool, and each process holds
    # the pool's queue open itself, so it would wait forever: it goes when its parent has.
    while os.getppid() == parent:
        time.sleep(ORPHAN_CHECK_SECONDS)
    os._exit(0)


def _started() -> None:
    pass


_shared: dict[int, SyntaxChecks] = {}
_shared_lock = threading.Lock()


def shared_checks(processes: int) -> SyntaxChecks:
    """The process's pool of `processes` checkers, made on first use: every sandbox built
    from settings (the worker's, the CLI's, a test's) shares it, so none pays a start-up."""
    with _shared_lock:
        if processes not in _shared:
            _shared[processes] = SyntaxChecks(processes)
        return _shared[processes]
