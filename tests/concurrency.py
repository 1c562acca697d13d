"""Real concurrent writers for tests: threads that load the same version before either saves."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any


def race(monkeypatch, aggregate: type, decision: str) -> None:
    """Hold each thread's first call of `aggregate.decision` until two threads have reached
    it: both decide on the version they loaded before either saves."""
    barrier = threading.Barrier(2, timeout=30)
    original = getattr(aggregate, decision)
    seen = threading.local()

    def held(self, *args: Any, **kwargs: Any) -> Any:
        if not getattr(seen, "waited", False):
            seen.waited = True
            barrier.wait()
        return original(self, *args, **kwargs)

    monkeypatch.setattr(aggregate, decision, held)


def together(*commands: Callable[[], Any]) -> list[Any]:
    """Run the commands in threads at once; each one's result, or the exception it raised."""
    results: list[Any] = [None] * len(commands)

    def run(index: int, command: Callable[[], Any]) -> None:
        try:
            results[index] = command()
        except Exception as failed:  # the test inspects it
            results[index] = failed

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(commands)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results
