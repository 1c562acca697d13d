from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from interfaces.bootstrap import bootstrap
from interfaces.settings import Settings
from tests.servers import fresh_database, redis_namespace, server_urls

# Every composition root a test builds holds connections for four event-store applications and
# the read engine; with production pool sizes a session would need more than PostgreSQL's default
# 100 connections. Tests run few requests at once.
SMALL_POOLS = {"db_pool_size": 2, "db_max_overflow": 4, "read_pool_size": 2}

settings.register_profile(
    "aries", deadline=None, suppress_health_check=[HealthCheck.too_slow], print_blob=True
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "aries"))

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


@pytest.fixture(scope="session")
def aries(database_url, redis_url):
    """The composition root on the session's migrated database and the real Redis."""
    with redis_namespace(redis_url) as prefix:
        built = bootstrap(
            Settings(
                database_url=database_url,
                redis_url=redis_url,
                environment="test",
                redis_key_prefix=prefix,
                **SMALL_POOLS,
            )
        )
        yield built
        built.close()


@pytest.fixture(scope="module")
def isolated_aries(server_database_url, redis_url):
    """A composition root on a database of the module's own. For tests that run projections:
    the session database holds what other tests recorded, including state-machine histories
    with made-up ids that no API would produce."""
    with fresh_database(server_database_url) as url, redis_namespace(redis_url) as prefix:
        built = bootstrap(
            Settings(
                database_url=url,
                redis_url=redis_url,
                environment="test",
                redis_key_prefix=prefix,
                **SMALL_POOLS,
            )
        )
        yield built
        built.close()
