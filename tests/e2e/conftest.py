"""Real-browser tests: Debian's Chromium driven by Playwright against pytest-django's live
server, with axe-core checking WCAG 2.1 A/AA. `scripts/install-browser` (run by `make test`)
installs the browser and axe-core.

Screenshots are written to var/screenshots/ on every run; they are copied into
docs/screenshots/ (which README.md shows) when that file is missing or when
UPDATE_SCREENSHOTS=1, so an ordinary test run leaves the committed images alone."""

import json
import os
import re
import shutil
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("RAPPORT_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",  # CI runs as root, where Chromium's sandbox cannot start
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
SCREENSHOTS = ROOT / "docs" / "screenshots"
SCREENSHOTS_SCRATCH = ROOT / "var" / "screenshots"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
TIMEOUT_MS = 15_000


@pytest.fixture(scope="package")
def browser():
    """One Chromium for all browser tests.

    Package-scoped rather than session-scoped on purpose: Playwright's sync API keeps an event
    loop running in the main thread, and Django refuses ORM calls while one runs
    (SynchronousOnlyOperation). The tests here need the ORM (fixtures, mail outbox checks), so
    DJANGO_ALLOW_ASYNC_UNSAFE is set for exactly as long as the browser lives, and both end
    when the last test in tests/e2e has run, before the rest of the suite continues."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/install-browser (make test does).")
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    try:
        yield chromium
    finally:
        chromium.close()
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def new_page(browser, live_server):
    """Factory: a page in a fresh browser context (own cookies), pointed at the live server.
    Keyword arguments go to `browser.new_context` (viewport, java_script_enabled, ...).

    The test fails afterwards if the browser reported an error on any page: a Content Security
    Policy violation (an inline style or script the policy blocked) or a resource that failed."""
    with browser_pages(browser, base_url=live_server.url) as make:
        yield make


@contextmanager
def browser_pages(browser, *, base_url: str | None, expected_statuses=(404,)):
    """The factory behind `new_page`: pages in fresh contexts on base_url (a page may name
    another), closed at the end; then it fails if the browser reported an error, other than
    a resource answering one of expected_statuses (error pages answer 4xx on purpose)."""
    contexts, errors = [], []

    def make(**context_options):
        options = {"viewport": DESKTOP, "base_url": base_url, **context_options}
        context = browser.new_context(**options)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        page.on(
            "console",
            lambda message: (
                message.type == "error" and errors.append(f"{page.url}: {message.text}")
            ),
        )
        return page

    yield make
    for context in contexts:
        context.close()
    expected = "|".join(str(status) for status in expected_statuses)
    errors = [e for e in errors if not re.search(rf"status of ({expected})\b", e)]
    assert not errors, "The browser reported errors:\n" + "\n".join(errors)


@pytest.fixture
def page(new_page):
    return new_page()


@pytest.fixture
def phone_page(new_page):
    return new_page(viewport=PHONE, is_mobile=True, has_touch=True)


def link_path(body: str, prefix: str = "/invitations/") -> str:
    """The path of the first link in an email body that starts with prefix (the site URL in
    emails is the settings' SITE_URL, not the live server's address). The live server runs in
    the test's process, so the mail it sends lands in pytest-django's `mailoutbox`."""
    found = re.search(r"https?://[^/\s]+(" + re.escape(prefix) + r"[^\s]*)", body)
    assert found, f"no {prefix} link in:\n{body}"
    return found.group(1)


def assert_no_axe_violations(page) -> None:
    """Run axe-core's WCAG 2.1 A/AA rules on the page as it is now; fail with a readable list."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        # Evaluated through the DevTools protocol, which the page's CSP does not govern, so the
        # page under test keeps its real policy (a <script> tag would be blocked by it).
        page.evaluate(AXE_JS.read_text(encoding="utf-8") + "\n;undefined")
    results = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})",
        AXE_TAGS,
    )
    violations = results["violations"]
    if violations:
        lines = [f"{len(violations)} axe violation(s) on {page.url}:"]
        for v in violations:
            node = v["nodes"][0]
            lines.append(
                f"- {v['id']} [{v['impact']}] {v['help']} "
                f"({len(v['nodes'])} node(s); first: {json.dumps(node['target'])})"
            )
        pytest.fail("\n".join(lines), pytrace=False)


def assert_no_sideways_scrolling(page) -> None:
    """The page fits the viewport's width (wide tables scroll inside their own box)."""
    width = page.viewport_size["width"]
    scroll_width = page.evaluate("() => document.documentElement.scrollWidth")
    assert scroll_width <= width, f"{page.url} is {scroll_width}px wide on a {width}px screen"


def screenshot(page, name: str, *, full_page: bool = False) -> Path:
    """Save a screenshot as var/screenshots/<name>.png, and as docs/screenshots/<name>.png when
    that is missing or UPDATE_SCREENSHOTS=1 (see the module docstring)."""
    SCREENSHOTS_SCRATCH.mkdir(parents=True, exist_ok=True)
    scratch = SCREENSHOTS_SCRATCH / f"{name}.png"
    page.screenshot(path=str(scratch), full_page=full_page, animations="disabled")
    target = SCREENSHOTS / f"{name}.png"
    if not target.exists() or os.environ.get("UPDATE_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(scratch, target)
    return target


def totp_code(secret: str) -> str:
    """The code an authenticator app shows for secret now. Waits for a fresh 30-second window
    when the current one is about to end, because allauth accepts only the current window."""
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    if 30 - time.time() % 30 < 3:
        time.sleep(30 - time.time() % 30 + 0.2)
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def sign_in(page, email: str, password: str, *, totp_secret: str | None = None) -> None:
    """Sign in through the login form, and the two-factor step when totp_secret is given."""
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    if totp_secret is not None:
        page.wait_for_url("**/accounts/2fa/authenticate/")
        page.locator("input[name=code]").fill(totp_code(totp_secret))
        page.locator("main button[type=submit]", has_text="Sign In").click()
    page.wait_for_url(lambda url: "/accounts/" not in url)


def assert_no_axe_violations_scripted(new_page, page, **context_options) -> None:
    """axe-core for a page opened with JavaScript disabled. axe waits on timers, and timers never
    fire in a context without JavaScript (`axe.run` would hang), so the same address is opened
    in a fresh context with JavaScript and checked there. Only for pages whose GET changes
    nothing (check-in and portal links are such pages)."""
    options = {"viewport": page.viewport_size, **context_options}
    scripted = new_page(**options)
    scripted.goto(page.url)
    assert_no_axe_violations(scripted)
    scripted.context.close()
