"""Databases for tests: a SQLite file, and (when BOT_TEST_DATABASE_URL is set) a fresh PostgreSQL database."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

from conftest import require_or_skip

PG_REASON = "BOT_TEST_DATABASE_URL is not set: the PostgreSQL tests need a server (.ci/run sets it)"


def fresh_postgres() -> Iterator[str]:
    """Create a uniquely named database next to BOT_TEST_DATABASE_URL's, yield its URL, drop it afterwards."""
    base = os.environ.get("BOT_TEST_DATABASE_URL")
    if not base:
        require_or_skip(PG_REASON)
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    url = make_url(base.replace("postgres://", "postgresql://", 1)).set(drivername="postgresql+psycopg")
    name = f"bot_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
