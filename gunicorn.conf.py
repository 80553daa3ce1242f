"""Gunicorn settings for an app whose requests mostly wait on slow payment providers.

Threads, not only processes: a request blocked on a provider's 150 ms (or 15 s) answer must not
hold a whole worker. Each worker runs ``GUNICORN_THREADS`` threads; the total in flight is
workers x threads. Provider read timeouts (15 s) stay below ``timeout`` so a hung provider is
reported by our HTTP layer, not by gunicorn killing the worker.
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", f"0.0.0.0:{os.environ.get('PORT', '8000')}")
worker_class = "gthread"
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "16"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "45"))
graceful_timeout = 30
keepalive = 5
max_requests = 5000
max_requests_jitter = 500
# Query strings can carry tokens (provider returns, callback tokens): never log them.
accesslog = "-"
access_log_format = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms'
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
