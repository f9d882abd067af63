"""PostgreSQL test databases (issue 16), shared by tests/conftest.py and tests/browser/conftest.py.

PERFBOARD_TEST_PG: a PostgreSQL URL whose role may create databases (.ci/run sets it).
PERFBOARD_TEST_STORE=postgres: the PostgreSQL pass (the plain store fixtures become PostgreSQL databases).
"""
from __future__ import annotations

import os
import uuid

import pytest

PG_ADMIN = os.environ.get("PERFBOARD_TEST_PG")
ON_PG = os.environ.get("PERFBOARD_TEST_STORE") == "postgres"


def _pg_admin(sql: str) -> None:
    import psycopg
    with psycopg.connect(PG_ADMIN, autocommit=True) as con:
        con.execute(sql)


def _pg_url(name: str) -> str:
    from urllib.parse import urlparse, urlunparse
    return urlunparse(urlparse(PG_ADMIN)._replace(path="/" + name))


def pg_database(template: str | None = None):
    """A fresh PostgreSQL database (a copy of `template`); yields its URL, drops it afterwards."""
    if not PG_ADMIN:
        pytest.skip("PERFBOARD_TEST_PG is not set: no PostgreSQL to test against")
    name = f"perfboard_t_{uuid.uuid4().hex[:12]}"
    _pg_admin(f"CREATE DATABASE {name}" + (f" TEMPLATE {template}" if template else ""))
    try:
        yield _pg_url(name)
    finally:
        _pg_drop(name)


def _pg_drop(name: str) -> None:
    """Drop a test database; a background worker still in it (autovacuum) is waited for, briefly."""
    import time

    import psycopg
    for attempt in range(10):
        try:
            _pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            return
        except psycopg.errors.InsufficientPrivilege:
            time.sleep(0.5)
    import warnings
    warnings.warn(f"test database {name} left behind: something still uses it")


