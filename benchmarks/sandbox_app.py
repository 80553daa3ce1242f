"""The provider sandbox as a WSGI app for gunicorn, as ``python -m webapp.sandbox`` configures it.

``benchmarks/run.py`` serves it with one process (its records and fault rules live in process
memory, so a second process would not see the latency fault) and many threads, so the 150 ms
latency fault sleeps in parallel and the sandbox is not what limits the benchmark; the run
measures the sandbox's own latency alongside to show it.
"""

from __future__ import annotations

import os

from webapp.config import SANDBOX_CREDENTIALS
from webapp.sandbox import create_sandbox_app

app = create_sandbox_app(
    {key: os.environ.get(key, demo) for key, demo in SANDBOX_CREDENTIALS.items()}
)
