"""Browser fixtures: the site as a live server in production mode, and Playwright's Chromium.

Chromium is Debian's (``/usr/bin/chromium``); Playwright cannot download its own here. A failing
test leaves a screenshot and the page's HTML under ``test-artifacts/``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import redis
from playwright.sync_api import Browser, Page, sync_playwright

from tests.conftest import _empty_tables, base_settings
from tests.support.live_server import LiveServer
from tests.support.sandbox import TEST_CONFIG, SandboxControl
from webapp import create_app
from webapp.extensions import db
from webapp.sandbox import create_sandbox_app

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
REDIS_TEST_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def provider_sandbox() -> Iterator[LiveServer]:
    """The providers, on "localhost": another site than ours (127.0.0.1), as in production."""
    with LiveServer(
        create_sandbox_app(TEST_CONFIG), host="127.0.0.1", url_host="localhost"
    ) as server:
        yield server


@pytest.fixture
def sandbox(provider_sandbox) -> Iterator[SandboxControl]:
    control = SandboxControl(provider_sandbox.url)
    control.reset()
    yield control
    control.reset()
    control.http.close()


@pytest.fixture(scope="session")
def site(database_url, provider_sandbox) -> Iterator[LiveServer]:
    """The site as customers and staff meet it: production settings, Redis-backed rate limits,
    every provider on the sandbox."""
    redis.Redis.from_url(REDIS_TEST_URL).flushdb()
    app = create_app(
        base_settings(
            database_url,
            APP_ENV="production",
            REDIS_URL=REDIS_TEST_URL,
            ALLOW_SANDBOX="true",
            SANDBOX_URL=provider_sandbox.url,
            **TEST_CONFIG,
        )
    )
    with LiveServer(app, host="127.0.0.1") as server:
        app.config["PUBLIC_BASE_URL"] = server.url
        server.app = app
        yield server
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _clean_state(database_url) -> Iterator[None]:
    yield
    _empty_tables(database_url)
    redis.Redis.from_url(REDIS_TEST_URL).flushdb()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: install Debian's chromium package")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def script_inventory() -> set[str]:
    """Script paths in README's "Scripts on payment pages" table (PCI DSS 6.4.3)."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = readme.split("## Scripts on payment pages", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `([^`]+)` \|", section, flags=re.MULTILINE))


def script_path(url: str) -> str:
    """A script's path, with the sandbox's provider prefix removed (Paytrek serves PaytrekJS at
    /static/v2/js/paytrek.js below its own host)."""
    return re.sub(r"^/(paytrek|pientegra|nexkasa|paynet)(?=/)", "", urlsplit(url).path)


@pytest.fixture
def page(browser: Browser, request) -> Iterator[Page]:
    context = browser.new_context(locale="tr-TR")
    scripts_on_our_pages: set[str] = set()

    def note_script(req) -> None:
        if req.resource_type == "script" and urlsplit(req.frame.url).hostname == "127.0.0.1":
            scripts_on_our_pages.add(script_path(req.url))

    context.on("request", note_script)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    # Every page of ours that any browser test visits may load only inventoried scripts.
    unlisted = scripts_on_our_pages - script_inventory()
    assert not unlisted, f"scripts missing from README's inventory: {unlisted}"
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        name = re.sub(r"[^\w.-]+", "_", request.node.nodeid)
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        (ARTIFACTS / f"{name}.html").write_text(page.content())
    context.close()
