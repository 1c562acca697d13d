"""Reads borrow pooled connections without a ping first (interfaces/http/reads.query): a
connection the server dropped is found when a read uses it, and the read is tried again on a
new connection instead of failing the request."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import text

from interfaces.http.reads import query
from tests.conftest import aries_on
from tests.servers import fresh_database

pytestmark = pytest.mark.integration


@pytest.fixture
def own_aries(server_database_url, redis_url):
    # A database of its own: the test ends a server connection.
    with fresh_database(server_database_url) as url, aries_on(url, redis_url) as aries:
        yield aries, url


def _backend_pid(conn) -> int:
    return int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())


def test_a_read_on_a_connection_the_server_dropped_is_answered_on_a_new_one(own_aries):
    aries, url = own_aries
    dropped = query(aries, _backend_pid)  # the pool now holds this idle connection
    with psycopg.connect(url, autocommit=True) as admin:
        assert admin.execute("SELECT pg_terminate_backend(%s)", (dropped,)).fetchone()[0]

    answered = query(aries, _backend_pid)

    assert answered != dropped


def test_a_read_runs_without_a_transaction(own_aries):
    aries, _ = own_aries
    status = query(aries, lambda conn: conn.connection.dbapi_connection.info.transaction_status)
    assert status == psycopg.pq.TransactionStatus.IDLE
