"""``make run``: migrate the SQLite database, seed demo data and serve the site and the sandbox.

The site answers on 127.0.0.1 and the sandbox on localhost, two different sites to the browser,
so coming back from a provider page is cross-site as it is in production. Every provider whose
base URL is unset points at the sandbox; no credentials are needed.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import sys
import threading
from pathlib import Path

from flask_migrate import upgrade
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from webapp import create_app  # noqa: E402
from webapp.cli import seed_demo  # noqa: E402
from webapp.config import SANDBOX_CREDENTIALS  # noqa: E402
from webapp.sandbox import create_sandbox_app  # noqa: E402


def _secret_key() -> str:
    """A per-checkout random key kept under instance/, so sessions survive a restart."""
    path = ROOT / "instance" / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def main() -> None:
    port = int(os.environ.get("PORT", "5000"))
    sandbox_port = int(os.environ.get("SANDBOX_PORT", str(port + 1)))
    site_url = f"http://127.0.0.1:{port}"
    sandbox_url = f"http://localhost:{sandbox_port}"
    app = create_app(
        {
            "APP_ENV": os.environ.get("APP_ENV", "development"),
            "SECRET_KEY": os.environ.get("SECRET_KEY") or _secret_key(),
            "PUBLIC_BASE_URL": os.environ.get("PUBLIC_BASE_URL", site_url),
            "SANDBOX_URL": os.environ.get("SANDBOX_URL", sandbox_url),
        }
    )
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
    result = app.test_cli_runner().invoke(seed_demo)
    print(result.output, end="")
    if result.exit_code:
        raise SystemExit(f"seed-demo failed: {result.exception!r}")

    sandbox = create_sandbox_app(
        {
            **sandbox_settings(app.config),
            # Pientegra's webhooks are configured on its side; the demo points them at us.
            "PIENTEGRA_WEBHOOK_URL": app.config["PUBLIC_BASE_URL"] + "/hooks/pientegra",
        }
    )
    servers = [
        make_server("localhost", sandbox_port, sandbox, threaded=True),
        make_server("127.0.0.1", port, app, threaded=True),
    ]
    for server in servers[:-1]:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    print(f"\nSite:     {site_url}/")
    print(f"Console:  {site_url}/console/login")
    print(f"Sandbox:  {sandbox_url}/_sandbox/  (operator page: {sandbox_url}/_sandbox/operator)\n")
    with contextlib.suppress(KeyboardInterrupt):
        servers[-1].serve_forever()


def sandbox_settings(config) -> dict:
    """The sandbox accepts exactly the credentials the site was configured with."""
    return {name: config[name] for name in SANDBOX_CREDENTIALS}


if __name__ == "__main__":
    main()
