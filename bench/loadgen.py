"""A small load generator for check-in round trips on loopback: threads (optionally in
several processes, so the client is not held to one core by the GIL) that each take the next
unused link, GET it, read the CSRF token and the item names from the page, and POST answers.

Bounded twice: by the number of links given and by `seconds`. Only 127.0.0.1 is allowed.
A round trip is accepted when the POST answers 200 (the thank-you page); anything else, or
a connection error, is an error.
"""

import http.client
import math
import multiprocessing
import random
import re
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
ITEM_NAME = re.compile(r'name="(item_\d+)"')
CSRF_COOKIE = re.compile(r"csrftoken=([^;]+)")


def percentile(values: list[float], p: float) -> float:
    """The nearest-rank percentile: the smallest value with at least p% of the values at or
    below it (of 20 timings, p95 is the 19th, not the slowest)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


@dataclass
class LoadResult:
    accepted: int = 0
    errors: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)  # per round trip, seconds
    error_samples: list[str] = field(default_factory=list)

    @property
    def per_second(self) -> float:
        return self.accepted / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        return percentile(self.latencies, p) if self.latencies else 0.0

    def merge(self, other: "LoadResult") -> None:
        self.accepted += other.accepted
        self.errors += other.errors
        self.latencies += other.latencies
        self.error_samples = (self.error_samples + other.error_samples)[:10]


def _request(host, port, method, path, body=None, headers=None):
    connection = http.client.HTTPConnection(host, port, timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.getheader("Set-Cookie") or "", response.read()
    finally:
        connection.close()


def round_trip(base_url: str, path: str, rng: random.Random) -> str | None:
    """One GET + POST of `path`. None when accepted, else what went wrong."""
    parts = urlsplit(base_url)
    assert parts.hostname == "127.0.0.1", "the load generator only talks to loopback"
    status, cookie, body = _request(parts.hostname, parts.port, "GET", path)
    if status != 200:
        return f"GET {status}"
    page = body.decode()
    fields = {
        name: str(rng.choice([3, 4, 5, 5])) for name in dict.fromkeys(ITEM_NAME.findall(page))
    }
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    token = CSRF_INPUT.search(page)
    if token:
        fields["csrfmiddlewaretoken"] = token.group(1)
        found = CSRF_COOKIE.search(cookie)
        if found:
            headers["Cookie"] = f"csrftoken={found.group(1)}"
    status, _cookie, body = _request(
        parts.hostname, parts.port, "POST", path, urlencode(fields), headers
    )
    return None if status == 200 else f"POST {status}"


def _run_threads(base_url: str, paths: list[str], threads: int, seconds: float) -> LoadResult:
    result = LoadResult()
    lock = threading.Lock()
    pending = iter(paths)
    deadline = time.monotonic() + seconds

    def worker(n: int):
        rng = random.Random(n)
        mine = LoadResult()
        while time.monotonic() < deadline:
            with lock:
                path = next(pending, None)
            if path is None:
                break
            started = time.monotonic()
            try:
                problem = round_trip(base_url, path, rng)
            except OSError as error:
                problem = f"{type(error).__name__}: {error}"
            if problem is None:
                mine.accepted += 1
                mine.latencies.append(time.monotonic() - started)
            else:
                mine.errors += 1
                mine.error_samples.append(problem)
        with lock:
            result.merge(mine)

    started = time.monotonic()
    pool = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    [t.start() for t in pool]
    [t.join() for t in pool]
    result.seconds = time.monotonic() - started
    return result


def _process_entry(args) -> LoadResult:
    return _run_threads(*args)


def run(
    base_url: str,
    paths: list[str],
    *,
    threads: int = 20,
    seconds: float = 10,
    processes: int = 1,
) -> LoadResult:
    """Round trips over `paths` (each used once) by `threads` threads in each of `processes`
    processes, for at most `seconds`."""
    if processes == 1:
        return _run_threads(base_url, paths, threads, seconds)
    shares = [paths[n::processes] for n in range(processes)]
    with multiprocessing.get_context("spawn").Pool(processes) as pool:
        parts = pool.map(_process_entry, [(base_url, s, threads, seconds) for s in shares])
    total = LoadResult()
    for part in parts:
        total.merge(part)
    total.seconds = max(part.seconds for part in parts)
    return total
