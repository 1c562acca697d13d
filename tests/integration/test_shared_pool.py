"""One event-store pool per process (application/shared_pool.py): the composition root's
applications share it, and it outlives any one of them."""

from __future__ import annotations

import pytest

from application import shared_pool
from application.eventstore import postgres_env
from application.setup import SetupApplication
from tests.conftest import aries_on
from tests.servers import fresh_database

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def own_database_url(server_database_url):
    """A database no other composition root of the session uses: its pool is this test's."""
    with fresh_database(server_database_url) as url:
        yield url


def test_the_families_share_one_pool_that_closes_with_the_last_of_them(
    own_database_url, redis_url
):
    with aries_on(own_database_url, redis_url) as aries:
        families = (aries.patients, aries.orders, aries.claims, aries.identity, aries.setup,
                    aries.catalogue)
        datastores = {id(app.factory.datastore) for app in families}
        pool = aries.patients.factory.datastore.pool
        assert len(datastores) == 1

        # A short-lived application on the same settings (a CLI command's) joins and leaves.
        env = aries.patients.env
        visitor = SetupApplication(env=dict(env))
        assert visitor.factory.datastore is aries.setup.factory.datastore
        visitor.close()

        assert not pool.closed
        assert aries.setup.location_ids("t-shared-pool") == []
    assert pool.closed
    assert all(entry[0].pool is not pool for entry in shared_pool._pools.values())


def test_other_settings_get_a_pool_of_their_own(own_database_url):
    small = SetupApplication(env=postgres_env(own_database_url, pool_size=1, max_overflow=0,
                                              connect_timeout=5))
    large = SetupApplication(env=postgres_env(own_database_url, pool_size=2, max_overflow=0,
                                              connect_timeout=5))
    try:
        assert small.factory.datastore is not large.factory.datastore
    finally:
        small.close()
        large.close()
