from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

from interfaces.bootstrap import bootstrap
from interfaces.settings import Settings
from tests.servers import fresh_database, server_urls

settings.register_profile(
    "aries", deadline=None, suppress_health_check=[HealthCheck.too_slow], print_blob=True
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "aries"))


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


@pytest.fixture(scope="session")
def aries(database_url, redis_url):
    """The composition root on the session's migrated database and the real Redis."""
    built = bootstrap(
        Settings(database_url=database_url, redis_url=redis_url, environment="test")
    )
    yield built
    built.close()
