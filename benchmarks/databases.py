"""The backing services of a run: a PostgreSQL database the benchmark creates and drops, Redis if up.

Why its own database: the figures must not depend on what other work left in a shared one, and the
benchmark must leave nothing behind. Both services are optional: when one is not reachable the part
that needs it is skipped (PostgreSQL) or falls back (Redis to the local memory cache), with the reason
printed rather than a failure.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

PG_HOST = os.environ.get("BENCH_PGHOST", "127.0.0.1")
PG_PORT = int(os.environ.get("BENCH_PGPORT", "5432"))
PG_USER = os.environ.get("BENCH_PGUSER", "postgres")
PG_DATABASE = os.environ.get("BENCH_PGDATABASE", "voiceotp_bench")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")


@dataclass(frozen=True)
class Availability:
    ok: bool
    detail: str
    """The server's version when ``ok``, else why it cannot be used."""


def postgres() -> Availability:
    try:
        import psycopg
    except ImportError:
        return Availability(False, "psycopg is not installed (the postgres extra)")
    try:
        with psycopg.connect(
            host=PG_HOST, port=PG_PORT, user=PG_USER, dbname="postgres", autocommit=True, connect_timeout=3
        ) as conn:
            row = conn.execute("SHOW server_version").fetchone()
    except psycopg.Error as exc:
        return Availability(
            False, f"PostgreSQL at {PG_HOST}:{PG_PORT} is not reachable ({type(exc).__name__})"
        )
    return Availability(True, f"PostgreSQL {row[0] if row else '?'}")


def postgres_url() -> str:
    return f"postgres://{PG_USER}@{PG_HOST}:{PG_PORT}/{PG_DATABASE}"


def create_postgres() -> None:
    """A fresh ``PG_DATABASE`` (an earlier run killed mid-way may have left one)."""
    drop_postgres()
    import psycopg
    from psycopg import sql

    with psycopg.connect(
        host=PG_HOST, port=PG_PORT, user=PG_USER, dbname="postgres", autocommit=True, connect_timeout=3
    ) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(PG_DATABASE)))


def drop_postgres() -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(
        host=PG_HOST, port=PG_PORT, user=PG_USER, dbname="postgres", autocommit=True, connect_timeout=3
    ) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(PG_DATABASE)))


def redis() -> Availability:
    try:
        import redis as redis_lib
    except ImportError:
        return Availability(False, "redis-py is not installed (the redis extra)")
    try:
        client = redis_lib.Redis.from_url(REDIS_URL, socket_connect_timeout=3, socket_timeout=3)
        version = client.info("server").get("redis_version", "?")
        client.close()
    except redis_lib.RedisError as exc:
        return Availability(False, f"Redis at {REDIS_URL} is not reachable ({type(exc).__name__})")
    return Availability(True, f"Redis {version}")
