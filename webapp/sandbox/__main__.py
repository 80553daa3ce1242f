"""``python -m webapp.sandbox --host localhost --port 5001``: run the simulator for development.

Config comes from environment variables of the same names, with the public demo values
the product's settings also default to, so the two meet out of the box.
"""

from __future__ import annotations

import argparse
import logging
import os

from werkzeug.serving import run_simple

from webapp.config import SANDBOX_CREDENTIALS

from . import create_sandbox_app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m webapp.sandbox", description=__doc__)
    parser.add_argument("--host", default="localhost")
    parser.add_argument("--port", type=int, default=5001)
    arguments = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    config = {key: os.environ.get(key, demo) for key, demo in SANDBOX_CREDENTIALS.items()}
    run_simple(arguments.host, arguments.port, create_sandbox_app(config), threaded=True)


if __name__ == "__main__":
    main()
