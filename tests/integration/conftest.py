"""Integration fixtures: one live sandbox per test session, reset before every test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from tests import factories
from tests.support.live_server import CallbackRecorder, LiveServer
from tests.support.sandbox import TEST_CONFIG, NexKasaCaller, PientegraCaller, SandboxControl
from webapp.extensions import db
from webapp.sandbox import create_sandbox_app


@pytest.fixture(scope="session")
def sandbox_server() -> Iterator[LiveServer]:
    with LiveServer(create_sandbox_app(TEST_CONFIG), host="127.0.0.1") as server:
        yield server


@pytest.fixture
def sandbox(sandbox_server: LiveServer) -> Iterator[SandboxControl]:
    """The session's sandbox, back to a fresh start (records, clock, faults, settings)."""
    control = SandboxControl(sandbox_server.url)
    control.reset()
    yield control
    control.reset()  # also releases requests a timeout fault still holds
    control.http.close()


@pytest.fixture
def callback_recorder() -> Iterator[CallbackRecorder]:
    with CallbackRecorder() as recorder:
        yield recorder


@pytest.fixture
def nexkasa(sandbox: SandboxControl) -> NexKasaCaller:
    return NexKasaCaller(sandbox)


@pytest.fixture
def pientegra(sandbox: SandboxControl) -> PientegraCaller:
    return PientegraCaller(sandbox)


@pytest.fixture
def make_sandboxed_app(make_app, sandbox: SandboxControl):
    """Apps whose every provider is the live sandbox, with its credentials; ``extra`` settings
    (a wrong key, an address allowlist) override them."""

    def build(**extra) -> Flask:
        return make_app(SANDBOX_URL=sandbox.url, **{**TEST_CONFIG, **extra})

    return build


@pytest.fixture
def app(make_sandboxed_app) -> Flask:
    """Integration tests talk to the providers over HTTP: the app points at the live sandbox."""
    return make_sandboxed_app()


@pytest.fixture
def merchant(app: Flask) -> dict[str, str]:
    """A merchant and its API key, as ``flask merchant create`` would make them."""
    with app.app_context():
        row, api_key = factories.merchant("API Mağaza")
        db.session.commit()
        return {"id": row.public_id, "key": api_key}


@pytest.fixture
def site(app: Flask, sandbox: SandboxControl) -> Iterator[LiveServer]:
    """The app as a live server that the sandbox's Pientegra sends its webhooks to."""
    with LiveServer(app) as server:
        app.config["PUBLIC_BASE_URL"] = server.url
        sandbox.settings("pientegra", webhook_url=f"{server.url}/hooks/pientegra")
        yield server
