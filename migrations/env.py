"""Alembic environment: online migrations only, against the configured URL."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool

config = context.config


def target_metadata():
    try:
        from projections.tables import metadata
    except ImportError:  # before the read models exist
        return None
    return metadata


def run_migrations_online() -> None:
    engine = create_engine(config.get_main_option("sqlalchemy.url"), poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata(),
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations_online()
