"""The floor for bench/serve.py: the same framework and database, one row by key, nothing else.

FastAPI on uvicorn with the settings `policyctl serve` uses (uvloop, httptools,
no access log), a synchronous handler on the same thread pool, and the same
database layer (engine.serve.database.connect, the same pool), reading one row
of the roster by its primary key and returning it as JSON. Whatever
`GET /v1/people/{code}/status` costs beyond this is the service's own work.

Usage: python bench/serve_floor.py DB_URL PORT
"""

from __future__ import annotations

import sys

import uvicorn
from fastapi import FastAPI
from sqlalchemy import select

from engine.serve import database, schema


def app_for(url: str) -> FastAPI:
    db = database.connect(url)
    app = FastAPI()

    @app.get("/floor/{code}")
    def floor(code: str):
        with db.read() as conn:
            row = (
                conn.execute(select(schema.roster).where(schema.roster.c.person == code))
                .mappings()
                .first()
            )
        return dict(row) if row is not None else {}

    return app


if __name__ == "__main__":
    uvicorn.run(
        app_for(sys.argv[1]),
        host="127.0.0.1",
        port=int(sys.argv[2]),
        access_log=False,
        log_level="warning",
        server_header=False,
    )
