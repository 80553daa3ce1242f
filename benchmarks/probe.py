"""Low-rate probes that run beside the load, in their own process so its CPU queue is not ours.

``/healthz`` as a load balancer polls it: a fresh connection per probe, fixed rate (open loop:
a slow answer does not delay the next probe). And the sandbox's own latency, with a direct
``POST /api/v2/sale/`` through the project's ``PaytrekClient`` at a low rate: with the 150 ms
fault it must stay near 150 ms, or the sandbox itself is the bottleneck.

Bounded: ``rate * duration`` probes at most, each with a 5 s timeout. Prints one JSON object.

    python benchmarks/probe.py --health-url http://127.0.0.1:8000/healthz \
        --sandbox-url http://127.0.0.1:5001 --start-at <unix time> --duration 20
"""

from __future__ import annotations

import argparse
import http.client
import json
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from loadgen import summarize

PROBE_TIMEOUT = 5.0


def health_probe(url: str) -> tuple[bool, float, str]:
    parts = urlsplit(url)
    if parts.hostname not in ("127.0.0.1", "localhost"):
        raise ValueError("probes go to loopback only")
    started = time.perf_counter()
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=PROBE_TIMEOUT)
    try:
        conn.request("GET", parts.path or "/", headers={"Connection": "close"})
        response = conn.getresponse()
        body = response.read()
        ok = response.status == 200 and b"ok" in body
        return ok, time.perf_counter() - started, "" if ok else f"http_{response.status}"
    except (OSError, http.client.HTTPException) as error:
        return False, time.perf_counter() - started, type(error).__name__
    finally:
        conn.close()


def sandbox_prober(sandbox_url: str):
    """A function making one sale straight at the sandbox, as the site's client does."""
    from webapp.config import SANDBOX_CREDENTIALS
    from webapp.money import Money
    from webapp.providers.errors import ProviderError
    from webapp.providers.paytrek import PaytrekClient, SaleItem, SaleRequest

    client = PaytrekClient(
        sandbox_url.rstrip("/") + "/paytrek",
        SANDBOX_CREDENTIALS["PAYTREK_API_KEY"],
        SANDBOX_CREDENTIALS["PAYTREK_SECRET"],
    )
    amount = Money.parse("150.00", "TRY")

    def probe() -> tuple[bool, float, str]:
        started = time.perf_counter()
        try:
            client.create_sale(
                SaleRequest(
                    order_id=f"probe-{uuid.uuid4().hex}",
                    amount=amount,
                    customer_first_name="Probe",
                    customer_last_name="Probe",
                    customer_email="probe@example.com",
                    customer_ip_address="127.0.0.1",
                    billing_address="Probe 1",
                    billing_city="İstanbul",
                    billing_country="TR",
                    items=(SaleItem(name="probe", quantity=1, unit_price=amount),),
                    hosted_payment=True,
                )
            )
        except ProviderError as error:
            return False, time.perf_counter() - started, type(error).__name__
        return True, time.perf_counter() - started, ""

    return probe


def run(probe, rate: float, start_at: float, duration: float) -> dict:
    """Fire ``probe`` every 1/rate s from ``start_at`` for ``duration`` s (open loop)."""
    from collections import Counter

    latencies: list[float] = []
    errors: Counter = Counter()
    lock = threading.Lock()
    late = 0

    def one() -> None:
        ok, seconds, kind = probe()
        with lock:
            if ok:
                latencies.append(seconds)
            else:
                errors[kind] += 1

    total = int(rate * duration)
    with ThreadPoolExecutor(max_workers=32) as pool:
        for k in range(total):
            due = start_at + k / rate
            delay = due - time.time()
            if delay > 0:
                time.sleep(delay)  # the schedule itself
            elif delay < -0.05:
                late += 1
            pool.submit(one)
    result = summarize(latencies, errors, duration)
    result["late_starts"] = late
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--health-url", required=True)
    parser.add_argument("--sandbox-url")
    parser.add_argument("--health-rate", type=float, default=10.0)
    parser.add_argument("--sandbox-rate", type=float, default=5.0)
    parser.add_argument("--start-at", type=float, default=0.0, help="unix time; default now")
    parser.add_argument("--duration", type=float, required=True)
    args = parser.parse_args()
    start_at = args.start_at or time.time()
    if start_at > time.time():
        time.sleep(start_at - time.time())  # the window starts after the load's warm-up
    cpu_before = time.process_time()
    jobs = {"health": (lambda: health_probe(args.health_url), args.health_rate)}
    if args.sandbox_url:
        jobs["sandbox"] = (sandbox_prober(args.sandbox_url), args.sandbox_rate)
    results: dict = {}
    threads = [
        threading.Thread(
            target=lambda name=name, job=job: results.__setitem__(
                name, run(job[0], job[1], start_at, args.duration)
            )
        )
        for name, job in jobs.items()
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    results["cpu_seconds"] = round(time.process_time() - cpu_before, 3)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
