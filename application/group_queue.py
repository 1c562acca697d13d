"""A leader/follower queue: concurrent callers (threads) of one process share one transaction.

A caller that finds no group in progress becomes the leader and commits at once (no added
latency when alone), unless a group of several ended just before with no one queued: then it
waits up to `linger` for that group's callers to join it (see `_lead`). Callers that arrive
while a group is in progress queue up; when the leader is done, the first of them leads the
next group, taking every queued caller with it (at most `max_group`), so no caller waits for
more than the group in progress plus its own. Each caller returns only once its own outcome
(a result or an error) is settled.

Used by group commit (application/group_commit.py) and the PHI access log
(application/audit/access_log.py); what a group does is the user's `commit_group`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar


@dataclass(eq=False, kw_only=True)
class Waiter:
    """One caller's place in the queue; a subclass adds what it brings and what it gets."""

    done: threading.Event = field(default_factory=threading.Event)
    leads: bool = False
    error: BaseException | None = None

    def settled(self) -> bool:
        """Whether the group gave this caller its outcome (a subclass adds its result)."""
        return self.error is not None


W = TypeVar("W", bound=Waiter)


class GroupQueue(Generic[W]):
    def __init__(
        self, commit_group: Callable[[list[W]], None], max_group: int, linger: float = 0.0
    ) -> None:
        """`commit_group` settles every waiter of the group it is given (or raises: then each
        one it left unsettled gets that error). `linger` (seconds): see `_lead`."""
        self._commit_group = commit_group
        self.max_group = max_group
        self.linger = linger
        self._mutex = threading.Lock()
        self._joined = threading.Condition(self._mutex)
        self._queue: list[W] = []
        self._leading = False
        # The last group's size and end, when no one was queued at its end; see `_lead`.
        self._returning = 0
        self._ended = 0.0

    @property
    def queued(self) -> int:
        """Callers waiting for the group in progress to finish (a gauge, and for tests)."""
        with self._mutex:
            return len(self._queue)

    @property
    def leading(self) -> bool:
        """Whether a group is in progress."""
        return self._leading

    def join(self, waiter: W) -> None:
        """Return once `waiter`'s group is done (its outcome is then on `waiter`)."""
        with self._mutex:
            self._queue.append(waiter)
            self._joined.notify()
            if self._leading:
                leader = False
            else:
                self._leading = leader = True
        if not leader:
            waiter.done.wait()
            if not waiter.leads:
                return
        self._lead()

    def _lead(self) -> None:
        with self._mutex:
            returning = self._returning
            if (
                returning > 1
                and len(self._queue) < returning
                and time.monotonic() - self._ended < self.linger
            ):
                # The last group ended just now with no one queued, and its callers may be on
                # their way back (a busy process): alone, this caller would pay a whole commit
                # for itself while they queue behind it. Figure 4's groups went 1, 8, 1, 8. A
                # short wait lets them join this group instead.
                self._joined.wait_for(lambda: len(self._queue) >= returning, self.linger)
            self._returning = 0
            group = self._queue[: self.max_group]
            del self._queue[: self.max_group]
        try:
            self._commit_group(group)
        except BaseException as error:
            for waiter in group:
                if not waiter.settled():
                    waiter.error = error
        finally:
            with self._mutex:
                if self._queue:
                    # The next caller leads the next group, so no caller waits for more than
                    # the group in progress plus its own.
                    successor = self._queue[0]
                    successor.leads = True
                    successor.done.set()
                else:
                    self._leading = False
                    self._returning = len(group)
                    self._ended = time.monotonic()
            for waiter in group:
                waiter.done.set()
