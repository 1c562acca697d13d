from __future__ import annotations

import pytest

from interfaces.bootstrap import bootstrap
from interfaces.settings import Settings


@pytest.fixture(scope="session")
def aries(database_url, redis_url):
    """The composition root on the session's migrated database and the real Redis."""
    built = bootstrap(
        Settings(database_url=database_url, redis_url=redis_url, environment="test")
    )
    yield built
    built.close()
