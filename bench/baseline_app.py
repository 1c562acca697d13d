"""The HTTP baseline: a bare FastAPI app doing one INSERT or one SELECT by primary key through a
psycopg pool, served by the same uvicorn settings as `aries serve` (1 worker, uvloop and
httptools from uvicorn[standard], no access log).

Its endpoints are sync (run in the threadpool) with a sync pool, as Aries' command and query
endpoints are: the baseline differs from Aries only by what Aries does per request.

    BENCH_DATABASE_URL=... uvicorn bench.baseline_app:create_app --factory
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, HTTPException
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool
from pydantic import BaseModel

TABLE_DDL = (
    "CREATE TABLE IF NOT EXISTS bench_rows ("
    "id bigserial PRIMARY KEY, created_at timestamptz NOT NULL DEFAULT now(), body jsonb)"
)


class Body(BaseModel):
    name: str
    city: str


class Created(BaseModel):
    id: int


class Row(BaseModel):
    id: int
    body: dict


def create_app() -> FastAPI:
    url = os.environ["BENCH_DATABASE_URL"]
    size = int(os.environ.get("BENCH_POOL_SIZE", "8"))
    pool = ConnectionPool(url, min_size=size, max_size=2 * size, open=False)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        pool.open(wait=True)
        with pool.connection() as conn:
            conn.execute(TABLE_DDL)
        yield
        pool.close()

    app = FastAPI(lifespan=lifespan)

    @app.get("/health")
    def health() -> dict:
        return {"status": "ok"}

    @app.post("/rows", status_code=201)
    def insert(body: Body) -> Created:
        with pool.connection() as conn:
            row = conn.execute(
                "INSERT INTO bench_rows (body) VALUES (%s) RETURNING id",
                (Jsonb(body.model_dump()),),
            ).fetchone()
        assert row is not None
        return Created(id=row[0])

    @app.get("/rows/{row_id}")
    def select(row_id: int) -> Row:
        with pool.connection() as conn:
            row = conn.execute(
                "SELECT id, body FROM bench_rows WHERE id = %s", (row_id,)
            ).fetchone()
        if row is None:
            raise HTTPException(404)
        return Row(id=row[0], body=row[1])

    return app
