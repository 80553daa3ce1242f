"""``python -m webapp.sandbox --host localhost --port 5001``: run the simulator for development.

Config comes from environment variables of the same names, with public demo values so the
sandbox works out of the box (the product's development defaults use the same values).
"""

from __future__ import annotations

import argparse
import logging
import os

from werkzeug.serving import run_simple

from . import create_sandbox_app

DEMO_CONFIG = {
    "SANDBOX_NEXKASA_API_KEY": "sandbox-nexkasa-key",
    "SANDBOX_NEXKASA_WEBHOOK_SECRET": "sandbox-nexkasa-webhook-secret",
}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m webapp.sandbox", description=__doc__)
    parser.add_argument("--host", default="localhost")
    parser.add_argument("--port", type=int, default=5001)
    arguments = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    config = {key: os.environ.get(key, demo) for key, demo in DEMO_CONFIG.items()}
    run_simple(arguments.host, arguments.port, create_sandbox_app(config), threaded=True)


if __name__ == "__main__":
    main()
