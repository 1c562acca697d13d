from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, settings

from interfaces.bootstrap import Aries, bootstrap
from interfaces.settings import Settings
from interfaces.workers.actors import QUEUES
from interfaces.workers.broker import queue_prefix
from tests.servers import (
    RABBITMQ_URL,
    delete_rabbitmq_queues,
    fresh_database,
    redis_namespace,
    server_urls,
)

# Every composition root a test builds holds an event-store pool (one for its six applications,
# application/shared_pool.py) and the read engine's; with production pool sizes a session would
# need more than PostgreSQL's default 100 connections. Tests run few requests at once.
SMALL_POOLS = {"db_pool_size": 1, "db_max_overflow": 8, "read_pool_size": 2}

settings.register_profile(
    "aries", deadline=None, suppress_health_check=[HealthCheck.too_slow], print_blob=True
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "aries"))

T = TypeVar("T")

TESTS = Path(__file__).parent
MARKED_LEVELS = ("integration", "e2e")  # `-m` selects by them: a module without its mark hides


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every module in tests/integration and tests/e2e carries its level's marker."""
    for item in items:
        level = item.path.relative_to(TESTS).parts[0] if item.path.is_relative_to(TESTS) else ""
        if level in MARKED_LEVELS and item.get_closest_marker(level) is None:
            raise pytest.UsageError(
                f"{item.nodeid}: add `pytestmark = pytest.mark.{level}` to its module"
            )


# The product's own Redis key prefix. A test that runs the CLI or a server against the machine's
# Redis gives it a namespace of its own (`redis_prefix`); a key left under this prefix means one
# did not, and the machine's Redis keeps it after the run.
PRODUCT_PREFIX = Settings.model_fields["redis_key_prefix"].default


def _product_keys() -> set[bytes]:
    import redis

    client = redis.Redis.from_url(os.environ["ARIES_REDIS_URL"])
    try:
        return set(client.scan_iter(match=f"{PRODUCT_PREFIX}*", count=1000))
    finally:
        client.close()


def pytest_sessionstart(session: pytest.Session) -> None:
    if os.environ.get("ARIES_REDIS_URL"):
        session.config.stash[_PRODUCT_KEYS] = _product_keys()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    before = session.config.stash.get(_PRODUCT_KEYS, None)
    if before is None:
        return
    left = sorted(key.decode() for key in _product_keys() - before)
    if left:
        writer = session.config.get_terminal_writer()
        writer.line()
        writer.line(
            f"tests left keys under the product's Redis prefix {PRODUCT_PREFIX!r}: {left}",
            red=True,
        )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


_PRODUCT_KEYS = pytest.StashKey[set[bytes]]()


def eventually(
    fetch: Callable[[], T],
    condition: Callable[[T], Any] = bool,
    *,
    what: str = "the condition",
    timeout: float = 60.0,
) -> T:
    """Call `fetch` until `condition` holds for its answer (by default, until the answer is
    true) and return that answer: projectors and workers act asynchronously. Fails after
    `timeout` seconds, naming `what` and the last answer."""
    deadline = time.monotonic() + timeout
    while True:
        answer = fetch()
        if condition(answer):
            return answer
        if time.monotonic() > deadline:
            last = getattr(answer, "text", answer)
            raise AssertionError(f"{what} not reached in {timeout}s; last answer: {last!r:.500}")
        time.sleep(0.1)


class FixedClock:
    """An application Clock (application/ports.py) that stays at `at`."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at

    def today(self) -> date:
        return self.at.date()


def in_threads(work: Callable[[], object], count: int) -> list[BaseException]:
    """Run `work` in `count` threads at once; what they raised (the test asserts it is none)."""
    errors: list[BaseException] = []

    def run() -> None:
        try:
            work()
        except BaseException as error:  # noqa: BLE001 (handed to the test)
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def free_port() -> int:
    """A local TCP port nothing listens on right now (for a server a test starts)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def aries_environment(**variables: str) -> dict[str, str]:
    """This process's environment without its ARIES_ variables, plus `variables`: an `aries`
    process started with it is configured by what the test gives it alone."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARIES_")}
    env.update(variables)
    return env


def run_aries(*args: str, timeout: float = 120, **variables: str) -> subprocess.CompletedProcess:
    """`aries ARGS...` as an operator runs it, in a process of its own configured by
    `variables` (see aries_environment)."""
    return subprocess.run(
        [sys.executable, "-m", "interfaces.cli", *args],
        cwd=TESTS.parent,
        env=aries_environment(**variables),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture(scope="session")
def servers():
    with server_urls() as urls:
        yield urls


@pytest.fixture(scope="session")
def server_database_url(servers) -> str:
    return servers[0]


@pytest.fixture(scope="session")
def redis_url(servers) -> str:
    return servers[1]


@pytest.fixture(scope="session")
def database_url(server_database_url):
    """One migrated database shared by the session's integration tests."""
    with fresh_database(server_database_url) as url:
        yield url


@pytest.fixture
def empty_database_url(server_database_url):
    """A brand-new database with no tables at all."""
    with fresh_database(server_database_url, migrate=False) as url:
        yield url


@pytest.fixture
def redis_prefix(redis_url) -> Iterator[str]:
    """A Redis namespace of this test alone, emptied afterwards."""
    with redis_namespace(redis_url) as prefix:
        yield prefix


# The Dramatiq brokers worker tests run on: Redis always, RabbitMQ when ARIES_RABBITMQ_URL is set
# (.ci/run sets it; there is no embedded RabbitMQ, and a test is left out rather than skipped).
BROKERS = ["redis", *(["rabbitmq"] if RABBITMQ_URL else [])]


@pytest.fixture(params=BROKERS)
def broker_url(request, redis_prefix) -> Iterator[str | None]:
    """The Dramatiq broker a worker test runs on: None (Redis at ARIES_REDIS_URL) or RabbitMQ,
    whose queues for this test's namespace (`redis_prefix`) are deleted afterwards."""
    if request.param == "redis":
        yield None
        return
    assert RABBITMQ_URL is not None
    try:
        yield RABBITMQ_URL
    finally:
        namespace = queue_prefix(Settings(environment="test", redis_key_prefix=redis_prefix))
        delete_rabbitmq_queues(RABBITMQ_URL, namespace, QUEUES)


@contextmanager
def aries_on(database_url: str, redis_url: str, **changes: Any) -> Iterator[Aries]:
    """The composition root on `database_url` with test settings: small pools and a Redis
    namespace of its own, emptied afterwards."""
    with redis_namespace(redis_url) as prefix:
        built = bootstrap(
            Settings(
                database_url=database_url,
                redis_url=redis_url,
                environment="test",
                redis_key_prefix=prefix,
                **{**SMALL_POOLS, **changes},
            )
        )
        try:
            yield built
        finally:
            built.close()


@pytest.fixture(scope="session")
def aries(database_url, redis_url):
    """The composition root on the session's migrated database and the real Redis."""
    with aries_on(database_url, redis_url) as built:
        yield built


@pytest.fixture(scope="module")
def isolated_aries(server_database_url, redis_url):
    """A composition root on a database of the module's own. For tests that run projections:
    the session database holds what other tests recorded, including state-machine histories
    with made-up ids that no API would produce."""
    with fresh_database(server_database_url) as url, aries_on(url, redis_url) as built:
        yield built
