"""The leader/follower queue (application/group_queue.py) without a database."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from application.group_queue import GroupQueue, Waiter
from tests.conftest import eventually


@dataclass(eq=False)
class _Call(Waiter):
    done_by: int | None = None

    def settled(self) -> bool:
        return self.done_by is not None or self.error is not None


class _Log:
    """Records each group's size; the first group waits until `release` is set."""

    def __init__(self) -> None:
        self.sizes: list[int] = []
        self.first_started = threading.Event()
        self.release = threading.Event()

    def commit(self, group: list[_Call]) -> None:
        if not self.sizes and not self.first_started.is_set():
            self.first_started.set()
            self.release.wait(30)
        self.sizes.append(len(group))
        for call in group:
            call.done_by = len(self.sizes)


def _join_all(queue: GroupQueue[_Call], count: int) -> list[_Call]:
    calls = [_Call() for _ in range(count)]
    threads = [threading.Thread(target=queue.join, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return calls


def _a_group_then_its_callers_again(linger: float) -> list[int]:
    """One caller commits alone while three queue behind it (a group of three); then the
    three come back one after the other, as a busy process's threads do."""
    log = _Log()
    queue: GroupQueue[_Call] = GroupQueue(log.commit, max_group=16, linger=linger)
    first = threading.Thread(target=queue.join, args=(_Call(),))
    first.start()
    log.first_started.wait(30)
    queued = [_Call() for _ in range(3)]
    threads = [threading.Thread(target=queue.join, args=(call,)) for call in queued]
    for thread in threads:
        thread.start()
    eventually(lambda: queue.queued == 3, what="three callers queued behind the first")
    log.release.set()
    for thread in (first, *threads):
        thread.join(30)
    assert log.sizes == [1, 3]
    # Back one by one: the first finds no group in progress and leads.
    again = [_Call() for _ in range(3)]
    leader = threading.Thread(target=queue.join, args=(again[0],))
    leader.start()
    eventually(lambda: queue.queued or not leader.is_alive(), what="the first one back leading")
    rest = [threading.Thread(target=queue.join, args=(call,)) for call in again[1:]]
    for thread in rest:
        thread.start()
    for thread in (leader, *rest):
        thread.join(30)
    assert all(call.settled() for call in again)
    return log.sizes[2:]


def test_a_caller_alone_right_after_a_group_waits_for_that_groups_callers():
    # A linger far longer than the test: the wait ends when the three are queued, not on time.
    assert _a_group_then_its_callers_again(linger=60.0) == [3]


def test_without_linger_a_caller_alone_commits_at_once():
    sizes = _a_group_then_its_callers_again(linger=0.0)
    assert sizes[0] == 1
    assert sum(sizes) == 3


def test_every_caller_gets_its_own_groups_outcome():
    log = _Log()
    log.first_started.set()  # no holding back
    queue: GroupQueue[_Call] = GroupQueue(log.commit, max_group=4, linger=0.002)
    calls = _join_all(queue, 12)
    assert all(call.settled() for call in calls)
    assert sum(log.sizes) == 12
    assert max(log.sizes) <= 4
