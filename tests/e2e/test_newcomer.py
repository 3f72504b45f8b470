"""The newcomer's path is a test: `make run`, started exactly as a newcomer starts it (embedded
PostgreSQL, web, Celery worker and beat, file broker), serves a peer who enrols a participant;
beat texts a scheduled check-in link that opens as written, on a phone, once; the low answers
raise an alert the peer sees; a commitment's reminder reaches the peer. Ctrl-C then stops every
process it started."""

import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
import zoneinfo
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from config import local_postgres
from tests.e2e.conftest import PHONE, ROOT, browser_pages, sign_in
from tests.services import free_port

pytestmark = pytest.mark.e2e

PEER_EMAIL = "peer@harbor.example"
DEMO_PASSWORD = "rapport-demo-2026"
AGENCY_SLUG = "harbor"
AGENCY_ZONE = zoneinfo.ZoneInfo("America/New_York")  # agencies/demo.py; participants inherit it
NAME = "Noor"
PHONE_TYPED, PHONE_E164 = "(617) 555-0199", "+16175550199"
PROMISE = "Call Noor about the housing form"

STARTUP_SECONDS = 240  # the first run initialises PostgreSQL, migrates and seeds
BEAT_SECONDS = 180  # the due time (at most 80 s away) plus one beat period and the send
STOP_SECONDS = 60
# What the suite put in the environment (tests/services.py, tests/e2e/conftest.py) and what a
# parent make passes down; a newcomer's shell has none of it.
NOT_A_NEWCOMERS = {
    "DATABASE_URL",
    "MAINTENANCE_DATABASE_URL",
    "REDIS_URL",
    "DJANGO_SETTINGS_MODULE",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
    "PORT",
    "MAKEFLAGS",
    "MFLAGS",
    "MAKELEVEL",
}


# The make-run process set -------------------------------------------------------------------


class MakeRun:
    def __init__(self, folder: Path):
        self.var = folder / "var"
        self.log = folder / "make-run.log"
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        env = {
            key: value
            for key, value in os.environ.items()
            if key not in NOT_A_NEWCOMERS and not key.startswith("RAPPORT_")
        }
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                ["make", "run"],  # noqa: S607 (make from PATH, as a newcomer types it)
                cwd=ROOT,
                env=env | {"PORT": str(self.port), "RAPPORT_VAR_DIR": str(self.var)},
                start_new_session=True,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def tail(self, lines: int = 60) -> str:
        return "--- make run, last lines ---\n" + "\n".join(self.text().splitlines()[-lines:])

    def wait_for(self, what: str, found, seconds: float):
        """Poll until found() returns something truthy; fail (with the log) at the deadline or
        when make run has ended."""
        deadline = time.monotonic() + seconds
        while True:
            result = found()
            if result:
                return result
            if self.process.poll() is not None:
                pytest.fail(
                    f"make run ended ({self.process.returncode}) before {what}\n\n{self.tail()}"
                )
            if time.monotonic() > deadline:
                pytest.fail(f"no {what} within {seconds} s\n\n{self.tail()}")
            time.sleep(0.25)

    def wait_until_serving(self) -> None:
        self.wait_for(
            "'Serving on' line", lambda: f"Serving on {self.base} " in self.text(), STARTUP_SECONDS
        )
        self.wait_for("HTTP answer", self._answers, 60)

    def _answers(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.base}/accounts/login/", timeout=2) as response:  # noqa: S310
                return response.status == 200
        except (urllib.error.URLError, OSError):
            return False

    def sms_link(self, phone: str) -> str | None:
        """The check-in link of the first SMS to phone in the outbox, as written."""
        folder = self.var / "outbox" / "sms"
        for path in sorted(folder.glob("*.txt")) if folder.exists() else []:
            text = path.read_text(errors="replace")
            found = re.search(r"https?://\S+/c/\S+", text)
            if text.startswith(f"To: {phone}\n") and found:
                return found.group(0)
        return None

    def interrupt(self) -> int:
        """Ctrl-C: SIGINT to the process group, as a terminal sends it."""
        os.killpg(self.process.pid, signal.SIGINT)
        return self.process.wait(timeout=STOP_SECONDS)

    def processes_left(self) -> list[str]:
        """Processes that use the var folder (in their command line or environment), which
        everything make run starts does: PostgreSQL by its -D, the others by RAPPORT_VAR_DIR."""
        needle = str(self.var).encode()
        left = []
        for proc in Path("/proc").iterdir():
            if not proc.name.isdigit() or int(proc.name) == os.getpid():
                continue
            try:
                cmdline = (proc / "cmdline").read_bytes()
                environ = (proc / "environ").read_bytes()
            except OSError:
                continue  # gone meanwhile, or not ours to read
            if needle in cmdline or needle in environ:
                left.append(f"{proc.name}: {cmdline.replace(b'\0', b' ').decode(errors='replace')}")
        return left

    def stop_everything(self) -> None:
        """Last resort: whatever a failed run left behind."""
        if self.process is not None and self.process.poll() is None:
            try:
                self.interrupt()
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=30)
        pgdata = self.var / "postgres"
        if (pgdata / "postmaster.pid").exists():
            local_postgres.stop(local_postgres.start(pgdata))  # finds the running server
        for line in self.processes_left():
            try:
                os.kill(int(line.split(":", 1)[0]), signal.SIGKILL)
            except ProcessLookupError:
                pass


@pytest.fixture
def make_run():
    """In a folder of its own rather than tmp_path: PostgreSQL runs as another user when the
    suite runs as root, and any other pytest run on the machine makes /tmp/pytest-of-<user>
    private again (as it starts), which would lock that user out of its data folder."""
    folder = Path(tempfile.mkdtemp(prefix="rapport-newcomer-"))
    run = MakeRun(folder)
    try:
        yield run
    finally:
        run.stop_everything()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def open_page(browser):
    """Factory: a page on the make-run address (as `new_page`, without the live server); a
    used check-in link answers 410 on purpose."""
    with browser_pages(browser, base_url=None, expected_statuses=(404, 410)) as make:
        yield lambda base_url, **options: make(base_url=base_url, **options)


def next_minute_at_least_20_s_away(after: timedelta = timedelta()) -> datetime:
    """A whole local minute, 20 to 80 seconds after now + `after` (the forms take minutes)."""
    moment = datetime.now(AGENCY_ZONE) + after + timedelta(seconds=80)
    return moment.replace(second=0, microsecond=0)


# Steps ---------------------------------------------------------------------------------------


def enrol_with_text_consent(page) -> str:
    """Caseload -> Add a participant -> Consent: okay to text. Returns the participant page."""
    page.get_by_role("link", name="My caseload").click()
    page.wait_for_url(f"**/a/{AGENCY_SLUG}/participants/")
    page.get_by_role("link", name="Add a participant").click()
    page.wait_for_url("**/participants/new/")
    page.get_by_label("Preferred name").fill(NAME)
    page.get_by_label("Mobile phone").fill(PHONE_TYPED)
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(re.compile(r"/participants/\d+/$"))
    assert page.get_by_role("status").inner_text() == "Participant added."
    participant_url = page.url

    page.get_by_role("link", name="Consent", exact=True).click()
    page.wait_for_url("**/consents/")
    page.get_by_label("Okay to text").check()
    page.get_by_role("button", name="Save").click()
    assert page.get_by_role("status").inner_text() == "Contact consent saved."
    return participant_url


def schedule_a_checkin_due_now(page, participant_url: str) -> None:
    """Every week, on today's weekday, at the coming minute (participant's time): the first
    invite is due then (alliance/commitments/services.py, schedule_next_due), and beat sends it."""
    page.goto(participant_url)
    page.get_by_role("link", name="Commitments").click()
    page.wait_for_url("**/commitments/")
    at = next_minute_at_least_20_s_away()
    page.get_by_label("How often").select_option(label="Every week")
    page.get_by_label("On:", exact=True).select_option(str(at.weekday()))
    page.get_by_label("At (participant's time)").fill(at.strftime("%H:%M"))
    page.get_by_role("button", name="Save schedule").click()
    page.wait_for_url("**/commitments/")
    assert page.get_by_role("status").inner_text() == "Check-in schedule saved."
    assert "Every week; next link" in page.locator("main").inner_text()


def checkin_with_the_lowest_answers(phone, link: str) -> None:
    phone.goto(link)
    assert phone.get_by_role("heading", level=1).inner_text() == "Hi, how are things between us?"
    items = phone.locator("fieldset.item")
    assert items.count() > 0
    for n in range(items.count()):
        items.nth(n).get_by_label("1", exact=True).check()
    phone.get_by_role("button", name="Send my answers").click()
    phone.wait_for_load_state()
    assert phone.get_by_role("heading", level=1).inner_text() == "Thank you"
    main = phone.locator("main").inner_text()
    assert "Your answers have been sent to your peer specialist." in main
    assert "some things could be going better" in main  # the dip was noticed

    phone.goto(link)  # single use
    assert phone.get_by_role("heading", level=1).inner_text() == ("This check-in link is not open")
    assert "It may have been used already" in phone.locator("main").inner_text()


def peer_sees_the_alert(page) -> None:
    page.get_by_role("link", name="Alerts", exact=True).click()
    page.wait_for_url(f"**/a/{AGENCY_SLUG}/alerts/")
    row = page.get_by_role("row", name=re.compile(rf"\b{NAME}\b"))
    assert row.count() == 1
    assert "Total below the cutoff" in row.inner_text()
    assert "Open" in row.inner_text()


def promise_with_a_reminder_due_now(page, participant_url: str) -> None:
    """Due just over an hour ahead, so the agency's 1-hour reminder (to whoever promised: the
    peer, in-app and by email) is due at once. A reminder whose time has already passed when
    the commitment is made is not scheduled at all (alliance/commitments/services.py)."""
    page.goto(participant_url)
    page.get_by_role("link", name="Commitments").click()
    page.wait_for_url("**/commitments/")
    due = next_minute_at_least_20_s_away(after=timedelta(hours=1))
    page.get_by_label("What was promised").fill(PROMISE)
    page.get_by_label("By when").fill(due.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Who promised").select_option("staff")
    page.get_by_role("button", name="Save commitment").click()
    page.wait_for_url("**/commitments/")
    assert page.get_by_role("status").inner_text().startswith("Commitment recorded.")
    ledger = page.get_by_role("table", name="Commitments and what happened")
    assert PROMISE in ledger.inner_text()


# The test ------------------------------------------------------------------------------------


def test_the_newcomers_path_through_make_run(make_run, open_page):
    make_run.start()
    try:
        make_run.wait_until_serving()
        base = make_run.base

        staff = open_page(base)
        sign_in(staff, PEER_EMAIL, DEMO_PASSWORD)
        participant_url = enrol_with_text_consent(staff)
        schedule_a_checkin_due_now(staff, participant_url)

        link = make_run.wait_for(
            "SMS with a check-in link in the outbox",
            lambda: make_run.sms_link(PHONE_E164),
            BEAT_SECONDS,
        )
        assert link.startswith(f"{base}/c/"), link
        checkin_with_the_lowest_answers(
            open_page(base, viewport=PHONE, is_mobile=True, has_touch=True), link
        )
        peer_sees_the_alert(staff)

        promise_with_a_reminder_due_now(staff, participant_url)
        # The email, printed by the worker: it names no one and quotes no promise.
        make_run.wait_for(
            "reminder email on the console",
            lambda: "Reminder: a commitment you made is due by " in make_run.text(),
            BEAT_SECONDS,
        )
        assert f"To: {PEER_EMAIL}" in make_run.text()
        assert f"you promised {NAME}" not in make_run.text()
        staff.get_by_role("link", name="Notifications").click()
        staff.wait_for_url(f"**/a/{AGENCY_SLUG}/notifications/")
        item = staff.locator("ul.notifications li", has_text=PROMISE)

        # The in-app copy is a delivery of its own, sent beside the email, not before it:
        # reload as a person would until it is there.
        def reminder_shown() -> bool:
            if item.count() == 1:
                return True
            staff.reload()
            return False

        make_run.wait_for("in-app reminder on the notifications page", reminder_shown, BEAT_SECONDS)
        assert f"Reminder: you promised {NAME} “{PROMISE}” by " in item.inner_text()
        # A path on this site, whatever address it is served from (decision 114).
        assert item.get_by_role("link").get_attribute("href").startswith("/a/")

        make_run.interrupt()
        assert "Stopping PostgreSQL" in make_run.text()
        deadline = time.monotonic() + 15  # the last PostgreSQL backends may take a moment
        while (left := make_run.processes_left()) and time.monotonic() < deadline:
            time.sleep(0.25)
        assert not left, "Still running after Ctrl-C:\n" + "\n".join(left)
    except Exception as error:  # pytest.fail (not an Exception) already carries the log
        pytest.fail(f"{type(error).__name__}: {error}\n\n{make_run.tail()}")
