"""CPU and database round trips of one request, measured in one thread with nothing else running.

    .venv/bin/python benchmarks/cpu_per_request.py [--requests 200] [--cprofile]

The load benchmark (``run.py``) shares two CPUs between the site, PostgreSQL, the sandbox and the
load generator, and on a shared machine with other people's test runs too; this script measures
what one request costs on its own, so the numbers do not move with the load: thread CPU time
(``time.thread_time``) per ``POST /api/v1/checkouts``, ``GET /pay/<id>``, ``POST /pay/<id>``
(hosted sale) and the floor's ``POST /sale``, and the SQL statements and pool checkouts (each with
``pool_pre_ping``'s ``SELECT 1``) each one makes. The app runs as under gunicorn (production
settings, PostgreSQL in a fresh database) but is called through Flask's test client, so gunicorn's
own parsing and access log are not included. The sandbox runs in a thread of this process, without
the latency fault: only this thread's CPU is counted. ``--cprofile`` adds a cumulative CPU profile
of the hosted-sale POST (cProfile with a thread-CPU clock; it inflates call-heavy code such as the
ORM, so read its shares, not its milliseconds).
"""

from __future__ import annotations

import argparse
import cProfile
import json
import logging
import os
import pstats
import secrets
import sys
import threading
import time
from collections import Counter
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))

import loadgen  # noqa: E402
import psycopg  # noqa: E402
from sqlalchemy import event  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"
SITE = "http://127.0.0.1:8000"
PROFILED = (
    "show (webapp/checkout/views.py",
    "start_hosted (webapp/payments/card.py",
    "request (webapp/providers/_http.py",
    "new_attempt (webapp/payments/attempts.py",
    "execute (sqlalchemy/orm/session.py",
    "flush (sqlalchemy/orm/session.py",
    "commit (sqlalchemy/orm/session.py",
    "customer (webapp/checkout/customer_details.py",
    "reusable_attempt (webapp/payments/attempts.py",
    "lock_payable (webapp/payments/attempts.py",
    "_checkout (webapp/checkout/views.py",
    "form_for (webapp/checkout/customer_details.py",
    "_checkout (sqlalchemy/pool/base.py",
    "protect (flask_wtf/csrf.py",
    "open_session (flask/sessions.py",
    "_security_headers (webapp/security.py",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--cprofile", action="store_true")
    args = parser.parse_args()
    count = max(20, min(args.requests, 5000))

    from webapp.config import SANDBOX_CREDENTIALS
    from webapp.sandbox import create_sandbox_app

    sandbox = make_server("127.0.0.1", 0, create_sandbox_app(dict(SANDBOX_CREDENTIALS)), True)
    threading.Thread(target=sandbox.serve_forever, daemon=True).start()
    sandbox_url = f"http://127.0.0.1:{sandbox.server_port}"
    dbname = f"bench_cpu_{secrets.token_hex(4)}"
    with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{dbname}"')
    for name in [k for k in os.environ if k.startswith(("PAYTREK_", "PIENTEGRA_", "NEXKASA_"))]:
        del os.environ[name]  # never a real provider
    os.environ.update(
        {
            "APP_ENV": "production",
            "ALLOW_SANDBOX": "true",
            "SANDBOX_URL": sandbox_url,
            "PUBLIC_BASE_URL": SITE,
            "SECRET_KEY": secrets.token_urlsafe(48),
            "DATABASE_URL": f"postgresql+psycopg://postgres@127.0.0.1:5432/{dbname}",
            "REDIS_URL": "redis://127.0.0.1:6379/13",
            "RATELIMIT_ENABLED": "false",
        }
    )
    try:
        measure(count, sandbox_url, args.cprofile)
    finally:
        sandbox.shutdown()
        with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')


def measure(count: int, sandbox_url: str, with_profile: bool) -> None:
    from flask_migrate import upgrade

    from webapp import create_app
    from webapp.extensions import db

    app = create_app()
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        engine = db.engine
    created = app.test_cli_runner().invoke(
        args=["merchant", "create", "Bench", "--origin", SITE, "--json"]
    )
    api_key = json.loads(created.output.strip().splitlines()[-1])["api_key"]
    for handler in logging.getLogger().handlers:  # keep formatting the lines, drop the output
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(open(os.devnull, "w"))  # noqa: SIM115 (for the process's life)

    counts: Counter = Counter()
    event.listen(engine, "before_cursor_execute", lambda *_: counts.update(["statements"]))
    event.listen(engine, "checkout", lambda *_: counts.update(["pool_checkouts"]))

    target = loadgen.Target(SITE, "", sandbox_url, api_key, secrets.token_hex(3))
    client = app.test_client()
    headers = {"Authorization": f"Bearer {api_key}", "Content-Type": "application/json"}
    orders = iter(range(10**9))

    def api():
        body = loadgen.checkout_body(target, f"cpu-{target.run_id}-{next(orders)}")
        response = client.post("/api/v1/checkouts", data=body, headers=headers, base_url=SITE)
        assert response.status_code == 201, response.data
        return response.get_json()["id"]

    def page(checkout_id: str) -> tuple[str, str]:
        response = client.get(f"/pay/{checkout_id}", base_url=SITE)
        token = loadgen.CSRF_INPUT.search(response.data)
        assert response.status_code == 200 and token, response.status_code
        return checkout_id, (token.group(1) or token.group(2)).decode()

    def post(checkout_id: str, token: str) -> None:
        response = client.post(
            f"/pay/{checkout_id}",
            data={"csrf_token": token, "method": "card_hosted"},
            base_url=SITE,
        )
        assert response.status_code == 303, response.status_code
        assert response.headers["Location"].startswith(sandbox_url), response.headers

    def timed(label: str, calls) -> None:
        counts.clear()
        started = time.thread_time()
        for call in calls:
            call()
        cpu = 1000 * (time.thread_time() - started) / count
        print(
            f"{label:<28} {cpu:6.2f} ms CPU   {counts['statements'] / count:4.1f} SQL statements"
            f"   {counts['pool_checkouts'] / count:3.1f} pool checkouts (+1 SELECT 1 each)"
        )

    for _ in range(30):  # warm caches: SQLAlchemy's compiled statements, Jinja, the pools
        post(*page(api()))
    ids: list[str] = []
    timed("POST /api/v1/checkouts", [lambda: ids.append(api())] * count)
    pages: list[tuple[str, str]] = []
    timed("GET /pay/<id>", [lambda i=i: pages.append(page(i)) for i in ids])
    timed("POST /pay/<id> card_hosted", [lambda p=p: post(*p) for p in pages])

    os.environ["PUBLIC_BASE_URL"] = SITE
    import floor_app

    floor = floor_app.app.test_client()

    def floor_sale() -> None:
        assert floor.post("/sale").status_code == 200

    timed("floor POST /sale", [floor_sale] * count)

    if with_profile:
        pages = [page(api()) for _ in range(count)]
        profile = cProfile.Profile(time.thread_time)
        profile.enable()
        for p in pages:
            post(*p)
        profile.disable()
        stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]
        total = sum(tt for (_, _, tt, _, _) in stats.values())
        print(f"\ncProfile of POST /pay/<id> ({count} requests), cumulative share of its CPU:")
        rows = []
        for (filename, line, name), (_, calls, _, cumulative, _) in stats.items():
            where = f"{name} ({filename.split('site-packages/')[-1].replace(str(ROOT) + '/', '')}"
            if any(where.startswith(marker) for marker in PROFILED):
                rows.append((cumulative, calls, f"{where}:{line})"))
        for cumulative, calls, where in sorted(rows, reverse=True):
            print(f"  {100 * cumulative / total:5.1f}%  {calls / count:4.1f} calls  {where}")


if __name__ == "__main__":
    main()
