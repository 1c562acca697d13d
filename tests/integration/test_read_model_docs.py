"""docs/read-models.md is what the migrations' comments say, and its example queries run as an
analyst."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import psycopg
import pytest

from tests.servers import fresh_database

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("gen_read_models", ROOT / "docs/gen_read_models.py")
gen = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gen)


@pytest.fixture(scope="module")
def migrated_url(server_database_url):
    with fresh_database(server_database_url) as url:
        yield url


def test_the_read_model_docs_are_generated_from_the_migrations(migrated_url):
    assert gen.OUTPUT.read_text() == gen.render(migrated_url), (
        "run: python docs/gen_read_models.py --database-url <migrated db> --write"
    )


@pytest.mark.parametrize("question,sql", gen.EXAMPLES, ids=[q for q, _ in gen.EXAMPLES])
def test_each_example_query_runs_as_an_analyst(migrated_url, question, sql):
    with psycopg.connect(migrated_url) as conn:
        conn.execute("SET ROLE aries_analyst")
        conn.execute(sql)
