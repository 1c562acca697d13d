"""The sandbox clearinghouse's front end in processes of its own.

The sandbox stands in for an external clearinghouse, and reading an 837P, checking it against
the implementation guide (pyx12: about 2-3 ms of CPU a claim) and writing the 999 and 277CA
is that clearinghouse's work, on its machines. Run in the worker's process it held the
worker's GIL for longer than everything Aries does for a claim (issue 18, figure 7). Here it
runs in `processes` spawned processes (spawned, not forked: the worker has threads, and a
fork copies their locks), shared by every sandbox of this process. The sandbox's memory (the
control numbers it has seen, the answers it gave) stays in the sandbox object.
Why: docs/decisions/024-sandbox-check-out-of-the-worker.md.
"""

from __future__ import annotations

import importlib
import multiprocessing
import os
import signal
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import UTC, datetime
from typing import Any

from application.ports import ClearinghouseUnavailable
from application.x12.syntax_verdict import preload
from application.x12.warm_up import WARM_UP_837P

ORPHAN_CHECK_SECONDS = 1.0


class SandboxProcesses:
    """`run(function, *args)`: the function's answer, worked out in one of the pool's
    processes (function, arguments and answer pickle). A pool whose process died is replaced,
    and that call is a transient failure (the submission's retry asks the sandbox what became
    of the interchange, decision 007)."""

    def __init__(self, processes: int) -> None:
        if processes < 1:
            raise ValueError("the sandbox's front end needs at least one process")
        self.processes = processes
        self._lock = threading.Lock()
        self._executor: ProcessPoolExecutor | None = None

    def run(self, function: Any, *args: Any) -> Any:
        executor = self._pool()
        try:
            return executor.submit(function, *args).result()
        except BrokenProcessPool:
            with self._lock:
                if self._executor is executor:
                    self._executor = None
            raise ClearinghouseUnavailable("a process of the sandbox's died") from None

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
    # What the first interchange would import, parse and load (the maps, the code lists the
    # edits read: about 3.5 s of CPU), done as the process starts, not while one waits.
    preload()
    sandbox = importlib.import_module("interfaces.clearinghouse.sandbox")
    sandbox.FrontEnd("ARIESSANDBOX", "warm-up").answer(WARM_UP_837P, datetime.now(UTC))


def _exit_when_orphaned(parent: int) -> None:
    # A worker killed outright (SIGKILL, OOM) never stops its pool, and each process holds
    # the pool's queue open itself, so it would wait forever: it goes when its parent has.
    while os.getppid() == parent:
        time.sleep(ORPHAN_CHECK_SECONDS)
    os._exit(0)


def _started() -> None:
    pass


_shared: dict[int, SandboxProcesses] = {}
_shared_lock = threading.Lock()


def shared_processes(processes: int) -> SandboxProcesses:
    """The process's pool of `processes` sandbox processes, made on first use: every sandbox
    built from settings (the worker's, the CLI's, a test's) shares it, so none pays a
    start-up."""
    with _shared_lock:
        if processes not in _shared:
            _shared[processes] = SandboxProcesses(processes)
        return _shared[processes]
