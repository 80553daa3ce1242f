"""Fixtures shared by every layer: settings, a migrated database, the app and its test client.

The suite runs on SQLite by default and on PostgreSQL when TEST_DATABASE_URL is set. Each test
gets empty tables; the schema is built once per session by the real Alembic migrations.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import create_engine, text

from webapp import create_app
from webapp.extensions import db

TEST_SECRET_KEY = "test-secret-key-" + "x" * 32


def base_settings(database_url: str, **extra) -> dict:
    """Settings for a development-mode app on the embedded sandbox; tests add what they need."""
    return {
        "APP_ENV": "development",
        "SECRET_KEY": TEST_SECRET_KEY,
        "DATABASE_URL": database_url,
        "PUBLIC_BASE_URL": "http://127.0.0.1:5000",
        "SANDBOX_URL": "http://localhost:5001",
        **extra,
    }


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> Iterator[str]:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        engine = create_engine(url)
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    app = create_app(base_settings(url))
    with app.app_context():
        upgrade(directory=str(Path(__file__).resolve().parent.parent / "migrations"))
        db.engine.dispose()
    yield url


def _empty_tables(database_url: str) -> None:
    engine = create_engine(database_url)
    with engine.begin() as connection:
        for table in reversed(db.metadata.sorted_tables):
            connection.execute(table.delete())
    engine.dispose()


@pytest.fixture
def make_app(database_url) -> Iterator:
    """Build apps with extra settings; each is torn down with its tables emptied."""
    built: list[Flask] = []

    def build(**extra) -> Flask:
        app = create_app(base_settings(database_url, **extra))
        built.append(app)
        return app

    yield build
    for app in built:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    if built:
        _empty_tables(database_url)


@pytest.fixture
def app(make_app) -> Flask:
    return make_app()


@pytest.fixture
def client(app) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


CSRF_FIELD = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(client: FlaskClient, path: str) -> str:
    """The CSRF token of the form on ``path``, read as a browser would: CSRF stays on in tests."""
    page = client.get(path)
    match = CSRF_FIELD.search(page.get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1)


STAFF_EMAIL = "staff@example.com"
STAFF_PASSWORD = "correct-horse-battery-staple"


@pytest.fixture
def staff_user(app) -> str:
    """A staff account with a known password; returns its e-mail."""
    from webapp.auth.passwords import hash_password
    from webapp.models import StaffUser

    with app.app_context():
        db.session.add(
            StaffUser(email=STAFF_EMAIL, role="admin", password_hash=hash_password(STAFF_PASSWORD))
        )
        db.session.commit()
    return STAFF_EMAIL
