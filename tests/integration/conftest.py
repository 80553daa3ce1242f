"""Integration fixtures: one live sandbox per test session, reset before every test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.live_server import CallbackRecorder, LiveServer
from tests.support.sandbox import TEST_CONFIG, NexKasaCaller, SandboxControl
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
