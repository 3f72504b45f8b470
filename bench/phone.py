"""Benchmark 6 (issue 17, goal 4): the participant's phone. Chromium (Debian's, through
Playwright) on a phone viewport with the network throttled through the DevTools protocol to a
poor mobile connection (400 kbit/s each way, 400 ms latency), against gunicorn serving
Rapport as in production (bench/settings.py, the application role), with a cold cache:

- usable: from navigation start until the form can be used (the page and its stylesheet
  loaded: `loadEventEnd`; there is no script to wait for), goal <= 2.5 s;
- submit: from the click on "Send my answers" to the thank-you page loaded, and the number
  of requests it took (goal: one round trip, no redirect);
- transferred: bytes on the wire (headers included, compressed as served) and requests for
  the first view of the check-in and of the portal (goal: <= 14 KB, <= 2 requests, no
  script)."""

import time

LATENCY_MS = 400
KBIT_PER_S = 400
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
USABLE_GOAL_S = 2.5
BYTES_GOAL = 14 * 1024


class _Wire:
    """Requests and bytes on the wire, from the DevTools protocol's network events."""

    def __init__(self, cdp):
        self.requests, self.bytes, self.types, self.urls = 0, 0, [], []
        cdp.on("Network.requestWillBeSent", self._sent)
        cdp.on("Network.responseReceived", self._received)
        cdp.on("Network.requestServedFromCache", self._cached)
        cdp.on("Network.loadingFinished", self._finished)

    def _sent(self, event):
        self.requests += 1
        self.urls.append(event["request"]["url"].split("/", 3)[-1][:20])

    def _cached(self, event):
        self.requests -= 1  # from the browser's cache: not on the wire
        self.urls.append("(cached)")

    def _received(self, event):
        self.types.append(event.get("type", ""))

    def _finished(self, event):
        self.bytes += int(event.get("encodedDataLength", 0))

    def reset(self):
        self.requests, self.bytes, self.types, self.urls = 0, 0, [], []


def _throttled_page(browser):
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": False})
    cdp.send(
        "Network.emulateNetworkConditions",
        {
            "offline": False,
            "latency": LATENCY_MS,
            "downloadThroughput": KBIT_PER_S * 1000 / 8,
            "uploadThroughput": KBIT_PER_S * 1000 / 8,
        },
    )
    return context, page, _Wire(cdp)


def _navigation_ms(page) -> dict:
    timing = page.evaluate(
        "() => { const n = performance.getEntriesByType('navigation')[0];"
        " const p = performance.getEntriesByName('first-contentful-paint')[0];"
        " return {load: n.loadEventEnd, dom: n.domContentLoadedEventEnd,"
        " fcp: p ? p.startTime : null, scripts: document.scripts.length}; }"
    )
    return timing


def bench_phone(*, base_url: str, checkin_tokens: list[str], portal_token: str, runs=3) -> dict:
    from playwright.sync_api import sync_playwright

    results = {"runs": [], "first_view": {}}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            # Unthrottled, once: every gunicorn worker's first request loads templates and
            # caches (a cold server is not what a phone on a slow network measures).
            warm = browser.new_page()
            for _ in range(4):
                warm.goto(f"{base_url}/p/{portal_token}/")
                warm.goto(f"{base_url}/c/{checkin_tokens[-1]}/")
            warm.close()
            for name, path in (("portal", f"/p/{portal_token}/"),):
                context, page, wire = _throttled_page(browser)
                page.goto(base_url + path, wait_until="load")
                timing = _navigation_ms(page)
                results["first_view"][name] = {
                    "bytes": wire.bytes,
                    "requests": wire.requests,
                    "scripts": timing["scripts"],
                    "usable_s": round(timing["load"] / 1000, 2),
                }
                context.close()
            for token in checkin_tokens[:runs]:
                context, page, wire = _throttled_page(browser)
                page.goto(f"{base_url}/c/{token}/", wait_until="load")
                timing = _navigation_ms(page)
                first = {"bytes": wire.bytes, "requests": wire.requests}
                for radio in page.locator("input[type=radio][value='4']").all():
                    radio.check()
                wire.reset()
                started = time.perf_counter()
                with page.expect_navigation(wait_until="load"):
                    page.get_by_role("button", name="Send my answers").click()
                submit_s = time.perf_counter() - started
                thanked = "Thank you" in page.content()
                results["runs"].append(
                    {
                        "usable_s": round(timing["load"] / 1000, 2),
                        "bytes": first["bytes"],
                        "requests": first["requests"],
                        "scripts": timing["scripts"],
                        "submit_s": round(submit_s, 2),
                        "submit_requests": wire.requests,
                        "submit_bytes": wire.bytes,
                        "submit_fetched": [u.split("/")[0] for u in wire.urls],
                        "thanked": thanked,
                    }
                )
                context.close()
        finally:
            browser.close()
    runs_ = results["runs"]
    worst = {key: max(run[key] for run in runs_) for key in runs_[0] if key != "thanked"}
    results["checkin"] = {**worst, "all_thanked": all(run["thanked"] for run in runs_)}
    results["latency_ms"], results["kbit_per_s"] = LATENCY_MS, KBIT_PER_S
    return results
