"""Where tests find PostgreSQL and Redis, their fresh databases and Redis namespaces: see
interfaces/databases.py (shared with bench/)."""

from interfaces.databases import (
    database_url_for,
    fresh_database,
    redis_namespace,
    server_urls,
    url_as_uri,
)

__all__ = ["database_url_for", "fresh_database", "redis_namespace", "server_urls", "url_as_uri"]
