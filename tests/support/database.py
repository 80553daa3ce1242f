"""Looking at the database from outside the app under test, as another process would."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.engine import URL
from sqlalchemy.exc import OperationalError

from webapp.extensions import db


def assert_not_locked(url: URL, table: str, row_id: int) -> None:
    """Nobody holds ``table``'s row ``row_id`` locked (PostgreSQL) or the database's write lock
    (SQLite, where every transaction of ours begins IMMEDIATE). Asked without waiting, so a held
    lock fails the test at once instead of slowing it down."""
    if url.get_backend_name() == "sqlite":
        connection = sqlite3.connect(url.database, timeout=0, isolation_level=None)
        try:
            connection.execute("BEGIN IMMEDIATE")  # 'database is locked' while a writer is in
            connection.execute("ROLLBACK")
        except sqlite3.OperationalError as error:
            pytest.fail(f"the database is locked: {error}")
        finally:
            connection.close()
        return
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            rows = db.metadata.tables[table]
            connection.execute(
                select(rows.c.id).where(rows.c.id == row_id).with_for_update(nowait=True)
            )
    except OperationalError as error:
        pytest.fail(f"{table} {row_id} is locked: {error}")
    finally:
        engine.dispose()
