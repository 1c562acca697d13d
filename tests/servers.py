"""Where tests find PostgreSQL and Redis, and their fresh databases: see interfaces/databases.py
(shared with bench/)."""

from interfaces.databases import database_url_for, fresh_database, server_urls, url_as_uri

__all__ = ["database_url_for", "fresh_database", "server_urls", "url_as_uri"]
