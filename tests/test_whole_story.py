"""Issue 15, "done when": the whole story, with every logger at DEBUG, leaves no participant's
name, phone number, email address or any token in a log record, a staff email, or anywhere in
a participant's message but their own link.

Staff (a demo peer) signs in, enrols a participant, records consent, searches the caseload and
the API by name and record number, sets check-in schedules, records a commitment and makes a
check-in link; a participant answers that link, another answers the link a real Celery worker
sent them; the worker (its own process, logging at DEBUG to a file) sweeps and sends check-in
invitations, alerts and commitment reminders, by email (Django's file backend) and text (the
file outbox). Then every record this process made (caplog), every line the worker wrote,
every email and every text is scanned.

The scanner is checked first (`test_the_scanner_finds_what_it_looks_for`), and the story
plants one record of its own that the scan must find: a scan that found nothing because it
looked at nothing fails."""

import email
import email.policy
import logging
import re
import time
import zoneinfo
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from django.utils import timezone

from agencies.models import Agency, Membership
from agencies.tenancy import agency_scope, scopes_disabled
from alliance.checkins.models import Alert, InstrumentItem
from alliance.commitments.models import CheckInSchedule
from alliance.messaging.models import Delivery, DeliveryKind, DeliveryStatus
from alliance.messaging.transports import MemorySMS
from alliance.tasks import deliveries_sweep
from demo.seed import DEMO_PASSWORD, seed_demo
from participants.models import CulturalProfile, Participant
from tests.celery_worker import start_worker, stop_worker
from tests.factories import make_api_key

pytestmark = pytest.mark.celery_worker

TOKEN_LINK = re.compile(r"/(?:c|f|p|invitations)/([A-Za-z0-9_-]{20,})/")
NEW_PERSON = {
    "preferred_name": "Lucía Mendoza",
    "legal_name": "Lucía Mendoza Ortiz",
    "pronouns": "ella",
    "email": "lucia.mendoza@example.org",
    "phone": "+12025550199",
    "external_id": "HRB-2291",
    "language": "es",
}
PLANTED = "planted-by-the-story"


# The scanner ---------------------------------------------------------------------------------


def phone_forms(e164: str) -> list[str]:
    """+12025550178 as people and libraries write it: E.164, ten digits, (202) 555-0178,
    202-555-0178, 555-0178."""
    digits = e164.removeprefix("+1")
    if len(digits) != 10:
        return [e164]
    area, exchange, line = digits[:3], digits[3:6], digits[6:]
    return [
        e164,
        digits,
        f"({area}) {exchange}-{line}",
        f"{area}-{exchange}-{line}",
        f"{exchange}-{line}",
    ]


@dataclass
class Scanner:
    """What must not leave: names (whole words), phone numbers (in their usual forms),
    email addresses, and tokens."""

    words: set[str] = field(default_factory=set)
    literals: set[str] = field(default_factory=set)

    @classmethod
    def for_participants(cls, participants, tokens) -> "Scanner":
        scanner = cls()
        for participant in participants:
            for name in (participant.preferred_name, participant.legal_name):
                scanner.words.update(part for part in name.split() if len(part) > 1)
            if participant.phone:
                scanner.literals.update(phone_forms(participant.phone))
            if participant.email:
                scanner.literals.add(participant.email)
        scanner.literals.update(tokens)
        return scanner

    def hits(self, text: str) -> list[str]:
        found = [literal for literal in self.literals if literal and literal in text]
        found += [
            word for word in self.words if re.search(rf"(?<!\w){re.escape(word)}(?!\w)", text)
        ]
        return sorted(found)


def test_the_scanner_finds_what_it_looks_for():
    person = Participant(
        preferred_name="Marcus", legal_name="Marcus Aurelio", phone="+12025550178", email="m@x.org"
    )
    scanner = Scanner.for_participants([person], ["tok" * 10])
    assert scanner.hits("Hi Marcus!") == ["Marcus"]
    found = scanner.hits("call (202) 555-0178 or m@x.org")
    assert found == ["(202) 555-0178", "555-0178", "m@x.org"]
    assert scanner.hits("GET /c/" + "tok" * 10 + "/") == ["tok" * 10]
    assert scanner.hits("Aurelio's link") == ["Aurelio"]
    assert scanner.hits("Marcuse and Marcusson; /c/[token]/ q=[redacted]") == []


# Helpers -------------------------------------------------------------------------------------


def wait_for(condition, seconds=90):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.25)
    return False


def nothing_due_unsent() -> bool:
    with scopes_disabled():
        return not Delivery.objects.filter(
            due_at__lte=timezone.now(),
            status__in=[DeliveryStatus.PENDING, DeliveryStatus.QUEUED, DeliveryStatus.SENDING],
        ).exists()


def sweep_in_the_worker(queue: str) -> None:
    deliveries_sweep.apply_async(queue=queue)
    assert wait_for(nothing_due_unsent), "the worker did not send what was due"


def low_answers(agency) -> dict[str, str]:
    with agency_scope(agency):
        items = list(InstrumentItem.objects.filter(kind="scale"))
    return {f"item_{item.pk}": "1" for item in items}


class ServedClient(Client):
    """The test client, with the line a server writes for each request (runserver's format,
    on its logger; gunicorn's access line holds the same request line): the query string
    and the token paths pass through the log pipeline as they would in production."""

    def request(self, **request):
        response = super().request(**request)
        query = request.get("QUERY_STRING", "")
        line = f"{request['REQUEST_METHOD']} {request['PATH_INFO']}{'?' + query if query else ''}"
        logging.getLogger("django.server").info(
            '"%s HTTP/1.1" %s %s', line, response.status_code, len(response.content)
        )
        return response


@dataclass
class Sent:
    to: str
    text: str  # subject and body


def emails_in(folder: Path) -> list[Sent]:
    sent = []
    for path in sorted(folder.glob("*")):
        for raw in path.read_bytes().split(b"\n" + b"-" * 79 + b"\n"):
            if not raw.strip():
                continue
            message = email.message_from_bytes(raw, policy=email.policy.default)
            body = message.get_body(preferencelist=("plain",)).get_content()
            sent.append(Sent(to=str(message["To"]), text=f"{message['Subject']}\n{body}"))
    return sent


def texts_in(folder: Path) -> list[Sent]:
    sent = []
    for path in sorted(folder.glob("*.txt")):
        head, _, body = path.read_text().partition("\n\n")
        sent.append(Sent(to=head.removeprefix("To: ").strip(), text=body))
    return sent


@pytest.fixture
def every_logger_at_debug(caplog):
    caplog.set_level(logging.DEBUG)
    loggers = [logging.getLogger(name) for name in list(logging.root.manager.loggerDict)]
    levels = [(logger, logger.level) for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
    yield caplog
    for logger, level in levels:
        logger.setLevel(level)


# The story -----------------------------------------------------------------------------------


def test_the_whole_story_leaves_nothing_personal_behind(
    worker_queue, every_logger_at_debug, tmp_path
):
    caplog = every_logger_at_debug
    mail_dir, sms_dir = tmp_path / "mail", tmp_path / "sms"
    mail_dir.mkdir()
    sms_dir.mkdir()
    worker_log = (tmp_path / "worker.log").open("wb")
    worker = start_worker(
        worker_queue,
        settings="tests.story_settings",
        loglevel="DEBUG",
        log_file=worker_log,
        env={
            "RAPPORT_STORY_MAIL_DIR": str(mail_dir),
            "RAPPORT_STORY_SMS_DIR": str(sms_dir),
            "RAPPORT_STORY_QUEUE": worker_queue,
        },
    )
    tokens: set[str] = set()
    try:
        seed_demo()
        harbor = Agency.objects.get(slug="harbor")
        base = "/a/harbor/participants/"

        # Staff signs in and works.
        staff = ServedClient()
        signed_in = staff.post(
            "/accounts/login/", {"login": "peer@harbor.example", "password": DEMO_PASSWORD}
        )
        assert signed_in.status_code == 302
        with agency_scope(harbor):
            peer = Membership.objects.get(user__email="peer@harbor.example")
            marcus = Participant.objects.get(preferred_name="Marcus")
        enrolled = staff.post(
            base + "new/",
            {
                **NEW_PERSON,
                "enrolled_on": harbor.today().isoformat(),
                "assigned_peer": peer.pk,
                "time_zone": "",
            },
        )
        assert enrolled.status_code == 302, enrolled.content[:2000]
        with agency_scope(harbor):
            lucia = Participant.objects.get(external_id=NEW_PERSON["external_id"])
        consents = {marcus: {"sms": "on"}, lucia: {"email": "on"}}
        for person, granted in consents.items():
            assert staff.post(f"{base}{person.pk}/consents/", granted).status_code == 302
        found = staff.get(base, {"q": "Marcus"})
        assert found.status_code == 200 and "Marcus" in found.text

        raw_key = make_api_key(harbor)[1]
        tokens.add(raw_key)
        api = ServedClient(headers={"Authorization": f"Bearer {raw_key}"})
        listed = api.get(
            "/api/v1/participants/", {"q": "Lucía", "external_id": NEW_PERSON["external_id"]}
        )
        assert [row["id"] for row in listed.json()["results"]] == [lucia.pk]

        zone = zoneinfo.ZoneInfo(harbor.time_zone)
        weekday = timezone.localtime(timezone.now(), zone).weekday()
        for person in (marcus, lucia):
            scheduled = staff.post(
                f"{base}{person.pk}/checkin-schedule/",
                {"every_weeks": "1", "weekday": str(weekday), "local_time": "09:00"},
            )
            assert scheduled.status_code == 302
        with scopes_disabled():  # the first invitations are due now
            CheckInSchedule.objects.filter(participant__in=[marcus, lucia]).update(
                next_due_at=timezone.now() - timedelta(minutes=1)
            )
            # The story runs at any hour: the demo's Marcus keeps quiet hours (21:00 to 08:00),
            # which would hold his text until the morning.
            CulturalProfile.objects.filter(participant=marcus).update(
                quiet_hours_start=None, quiet_hours_end=None
            )

        due = timezone.localtime(timezone.now() + timedelta(hours=2), zone)
        promised = staff.post(
            f"{base}{marcus.pk}/commitments/",
            {
                "what": "Call Marcus about the housing form",
                "due_at": due.strftime("%Y-%m-%dT%H:%M"),
                "promised_by": "staff",
            },
        )
        assert promised.status_code == 302
        with scopes_disabled():  # the one-hour reminders are due now
            Delivery.objects.filter(kind=DeliveryKind.COMMITMENT_REMINDER).update(
                due_at=timezone.now() - timedelta(seconds=5)
            )

        made = staff.post(f"{base}{marcus.pk}/checkins/link/")
        assert made.status_code == 200
        [link_token] = TOKEN_LINK.findall(made.text)
        tokens.add(link_token)

        # Marcus answers the link staff gave him: low, so an alert.
        participant = ServedClient()
        assert participant.get(f"/c/{link_token}/").status_code == 200
        answered = participant.post(f"/c/{link_token}/", low_answers(harbor))
        assert answered.status_code == 200

        # The worker sends invitations, the alert and the reminders.
        sweep_in_the_worker(worker_queue)
        invitations = [s for s in emails_in(mail_dir) if s.to == NEW_PERSON["email"]]
        assert invitations, "Lucía's check-in invitation was not emailed"
        [invite_token] = TOKEN_LINK.findall(invitations[0].text)

        # Lucía answers the link the worker emailed her: another alert, sent by the worker.
        answered = ServedClient().post(f"/c/{invite_token}/", low_answers(harbor))
        assert answered.status_code == 200
        with agency_scope(harbor):
            assert Alert.objects.filter(participant__in=[marcus, lucia]).count() == 2
        sweep_in_the_worker(worker_queue)
    finally:
        stop_worker(worker)
        worker_log.close()

    # What was sent, and what was logged.
    emails = emails_in(mail_dir) + [
        Sent(to=", ".join(m.to), text=f"{m.subject}\n{m.body}") for m in mail.outbox
    ]
    texts = texts_in(sms_dir) + [Sent(to=to, text=text) for to, text in MemorySMS.outbox]
    for message in emails + texts:
        tokens.update(TOKEN_LINK.findall(message.text))
    with scopes_disabled():
        people = list(Participant.objects.all())
        kinds_sent = set(
            Delivery.objects.filter(status=DeliveryStatus.SENT).values_list("kind", flat=True)
        )
    assert {"checkin_invite", "alert", "commitment_reminder"} <= kinds_sent
    assert any(s.to == "+12025550178" for s in texts), "Marcus's invitation was not texted"
    assert any(s.to.endswith("@harbor.example") for s in emails), "no staff email was sent"
    scanner = Scanner.for_participants(people, tokens)
    assert invite_token in scanner.literals and "Lucía" in scanner.words

    logging.getLogger("rapport.story").debug("%s: %s", PLANTED, NEW_PERSON["phone"])
    records = [(r.name, r.getMessage()) for r in caplog.records]
    worker_lines = (tmp_path / "worker.log").read_text(errors="replace").splitlines()
    assert any("q=[redacted]" in m for _name, m in records)  # the search was logged, redacted
    assert any("/c/[token]/" in m for _name, m in records)
    assert any("deliveries_sweep" in line for line in worker_lines)  # its DEBUG log was read
    assert any("[DEBUG" in line or " DEBUG " in line for line in worker_lines)

    findings = [(name, m, scanner.hits(m)) for name, m in records if scanner.hits(m)]
    assert [m for _name, m, _hits in findings if PLANTED in m], "the scan missed a planted record"
    findings = [finding for finding in findings if PLANTED not in finding[1]]
    findings += [("worker", line, hits) for line in worker_lines if (hits := scanner.hits(line))]

    participant_addresses = {p.email for p in people} | {p.phone for p in people} - {""}
    for message in emails + texts:
        text = message.text
        if message.to in participant_addresses:
            # A participant's own message carries their link, and nothing else of the list.
            text = re.sub(rf"{re.escape(settings.SITE_URL)}/c/[A-Za-z0-9_-]+/", "<link>", text)
        hits = scanner.hits(text)
        if hits:
            findings.append((f"message to {message.to}", text, hits))
    assert findings == []
