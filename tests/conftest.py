"""Shared fixtures: databases on both backends, built by the real Alembic migrations."""

from __future__ import annotations

import os
import uuid
import warnings
from collections.abc import Iterator

import pytest

PG_ENV = "TOMS_TEST_PG_URL"


def _pg_url() -> str | None:
    return os.environ.get(PG_ENV)


def pytest_report_header(config: pytest.Config) -> list[str]:
    url = _pg_url()
    if url:
        return [f"PostgreSQL tests: ON ({PG_ENV}={url})"]
    return [
        f"PostgreSQL tests: SKIPPED - set {PG_ENV}=postgresql+psycopg://user@host:5432/db "
        "to run them (CI sets it)"
    ]


@pytest.fixture
def sqlite_url(tmp_path) -> str:  # type: ignore[no-untyped-def]
    return f"sqlite:///{tmp_path / 'toms.db'}"


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL schema per test, dropped afterwards."""
    base = _pg_url()
    if not base:
        message = (
            f"PostgreSQL test skipped: set {PG_ENV} (e.g. "
            "postgresql+psycopg://postgres@127.0.0.1:5432/test) to run it"
        )
        if os.environ.get("CI"):
            pytest.fail(f"{PG_ENV} is not set in CI: {message}")
        warnings.warn(message, stacklevel=1)
        pytest.skip(message)
    import sqlalchemy as sa

    schema = f"toms_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(base)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in base else "?"
    try:
        yield f"{base}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest) -> str:
    name = "sqlite_url" if request.param == "sqlite" else "pg_url"
    return str(request.getfixturevalue(name))
