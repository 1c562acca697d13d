from __future__ import annotations

import uuid

import psycopg
import pytest

import migrations
from tests.servers import fresh_database

pytestmark = pytest.mark.integration

EVENT_TABLES = (
    "patients_events", "orders_events", "claims_events", "identity_events", "setup_events",
    "catalogue_events",
)


def _schema_snapshot(url: str) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(
            """
            SELECT table_schema, table_name, column_name, data_type
            FROM information_schema.columns
            WHERE table_schema NOT IN ('pg_catalog', 'information_schema')
            ORDER BY 1, 2, 3
            """
        ).fetchall()


def test_upgrade_takes_an_empty_database_to_head_and_a_second_upgrade_is_a_no_op(
    empty_database_url,
):
    migrations.upgrade(empty_database_url)
    first = _schema_snapshot(empty_database_url)
    with psycopg.connect(empty_database_url) as conn:
        head = conn.execute("SELECT version_num FROM alembic_version").fetchone()

    migrations.upgrade(empty_database_url)

    assert _schema_snapshot(empty_database_url) == first
    with psycopg.connect(empty_database_url) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone() == head
        tables = {
            row[0]
            for row in conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
            )
        }
    assert set(EVENT_TABLES) <= tables


@pytest.fixture(scope="module")
def database_url(server_database_url):
    """Its own database: these tests store rows no application can decode, which would stop
    the projections of a shared one."""
    with fresh_database(server_database_url) as url:
        yield url


@pytest.mark.parametrize("table", EVENT_TABLES)
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE {table} SET state = 'x'::bytea WHERE originator_id = '{id}'",
        "DELETE FROM {table} WHERE originator_id = '{id}'",
        "TRUNCATE {table}",
    ],
)
def test_the_app_role_cannot_modify_a_stored_event(database_url, table, statement):
    event_id = uuid.uuid4()
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(
            f"INSERT INTO {table} (originator_id, originator_version, topic, state) "
            "VALUES (%s, 1, 'aries.test', 'original'::bytea)",
            (event_id,),
        )
    with psycopg.connect(database_url) as conn:
        conn.execute("SET ROLE aries_app")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(statement.format(table=table, id=event_id))
        conn.rollback()
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            f"SELECT originator_version, state FROM {table} WHERE originator_id = %s", (event_id,)
        ).fetchall()
    assert rows == [(1, b"original")]
