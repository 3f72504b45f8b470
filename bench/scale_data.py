"""A large, realistic data set, made quickly: `manage.py seed_scale` and the benchmarks (bench/).

Agencies, their staff (admin, supervisor, one peer per CASELOAD participants), participants
with cultural profiles and SMS consent, a contact every other week, a weekly check-in request
per participant, answered about 85% of the time with scores computed by
`alliance.checkins.services.score` and alerts by
`alliance.checkins.services.alert_rules_fired` (older alerts resolved, recent ones open).
Unanswered requests older than a week are expired and counted missed; the last week's may
still be open.

How it is fast: small per-agency rows (the instrument, memberships) go through the ORM inside
`agency_scope(agency)`; the big tables are written with PostgreSQL COPY (psycopg 3) in chunks
of agencies, with ids reserved from each table's sequence up front so rows can point at each
other without a round trip. That COPY is a deliberate platform-level bulk load across
agencies: it bypasses the ORM scope, so it runs inside `scopes_disabled()` to be found by
`git grep scopes_disabled`. Every row still carries its agency_id. PostgreSQL only.
"""

import hashlib
import json
import math
import random
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import connection, models, transaction
from django.utils import timezone

from agencies import row_level_security
from agencies.models import Agency, Membership, Role, User
from agencies.tenancy import agency_scope, scopes_disabled
from agencies.tokens import token_new
from alliance.checkins import services as alliance
from alliance.checkins.models import (
    Alert,
    AlertStatus,
    CheckInRequest,
    CheckInResponse,
    InstrumentItem,
    ItemKind,
)
from participants.models import ChannelConsent, Contact, CulturalProfile, Participant

CASELOAD = 25  # participants per peer specialist
RESPONSE_RATE = 0.85
CHUNK_ROWS = 150_000  # check-in requests generated before a chunk of agencies is written
TIME_ZONES = ["America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles"]
NAMES = [
    "Dee", "Marcus", "Sky", "Rosa", "Tom", "Lena", "Ana", "José", "Kai", "Nizhoni", "Amir",
    "Beth", "Carlos", "Dana", "Eli", "Fatima", "Gus", "Hana", "Ivan", "Jade", "Kofi", "Lupe",
    "Mai", "Nate", "Omar", "Pia", "Quinn", "Ray", "Sofia", "Tariq", "Uma", "Vic", "Wen", "Xio",
]  # fmt: skip
PRONOUNS = ["she/her", "he/him", "they/them", "ella", "él"]
PATHWAYS = ["mutual_help", "medication", "faith_based", "harm_reduction", "natural"]
FREE_TEXT = [
    "Good week. Thanks for calling back.",
    "I'd like more time to talk about work.",
    "Could we meet somewhere quieter?",
    "You really listened this time.",
]
NOTES = ["Checked in about the week.", "Talked through the next step on their goal."]


@dataclass
class ScaleResult:
    agencies: list[int] = field(default_factory=list)
    users: int = 0
    participants: int = 0
    requests: int = 0
    responses: int = 0
    alerts: int = 0
    contacts: int = 0
    seconds: float = 0.0

    def summary(self) -> str:
        return (
            f"{len(self.agencies)} agencies, {self.users} staff, {self.participants} "
            f"participants, {self.requests} check-in requests, {self.responses} responses, "
            f"{self.alerts} alerts, {self.contacts} contacts in {self.seconds:.1f} s"
        )


# COPY with ids reserved from the table's sequence ------------------------------------------


def _reserve_ids(model: type[models.Model], count: int) -> int:
    """The first of `count` consecutive ids taken from the model's id sequence. The caller
    is the only writer of the table while it loads (seed_scale is not run beside live
    traffic); a concurrent insert would at worst fail on the primary key, never mix rows."""
    if count == 0:
        return 0
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
        sequence = cursor.fetchone()[0]
        cursor.execute("SELECT nextval(%s)", [sequence])
        first = cursor.fetchone()[0]
        cursor.execute("SELECT setval(%s, %s)", [sequence, first + count - 1])
    return first


class _Table:
    """Rows for one model, as dicts of attname -> value, written with COPY. Columns left out
    of a row take the field's default (computed once)."""

    def __init__(self, model: type[models.Model]):
        self.model = model
        self.fields = model._meta.concrete_fields
        self.defaults = {}
        for f in self.fields:
            if f.has_default():
                self.defaults[f.attname] = f.get_default()
            else:
                self.defaults[f.attname] = "" if f.empty_strings_allowed and not f.null else None
        self.json = {f.attname for f in self.fields if isinstance(f, models.JSONField)}
        self.rows: list[dict] = []
        self.next_id = 0

    def take_ids(self, count: int) -> None:
        self.next_id = _reserve_ids(self.model, count)

    def add(self, **values) -> int:
        values["id"] = self.next_id
        self.next_id += 1
        self.rows.append(values)
        return values["id"]

    def _tuples(self) -> Iterable[tuple]:
        attnames = [f.attname for f in self.fields]
        defaults, json_columns = self.defaults, self.json
        for row in self.rows:
            yield tuple(
                json.dumps(row.get(name, defaults[name]))
                if name in json_columns
                else row.get(name, defaults[name])
                for name in attnames
            )

    def copy(self) -> int:
        if not self.rows:
            return 0
        quote = connection.ops.quote_name
        columns = ", ".join(quote(f.column) for f in self.fields)
        with connection.cursor() as cursor:
            row_level_security.sync()  # COPY goes past Django's cursor
            with cursor.cursor.copy(
                f"COPY {quote(self.model._meta.db_table)} ({columns}) FROM STDIN"
            ) as copy:
                for row in self._tuples():
                    copy.write_row(row)
        count = len(self.rows)
        self.rows = []
        return count


# Agencies and staff (ORM, inside each agency's scope) --------------------------------------


@dataclass
class _AgencyKit:
    agency: Agency
    instrument_id: int
    items: list[InstrumentItem]
    admin: Membership
    supervisor: Membership
    peers: list[Membership]


def _agencies_create(
    count: int, participants: int, *, prefix: str, rng: random.Random, now: datetime
) -> list[_AgencyKit]:
    start = Agency.objects.filter(slug__startswith=f"{prefix}-").count()
    agencies = Agency.objects.bulk_create(
        [
            Agency(
                slug=f"{prefix}-{start + n + 1}",
                name=f"{prefix.title()} Agency {start + n + 1}",
                time_zone=rng.choice(TIME_ZONES),
                default_language="es" if rng.random() < 0.15 else "en",
                created_at=now - timedelta(days=900),
            )
            for n in range(count)
        ]
    )
    peers_each = max(1, math.ceil(participants / CASELOAD))
    roles = [Role.ADMIN, Role.SUPERVISOR] + [Role.PEER] * peers_each
    unusable = "!" + secrets.token_hex(8)  # scale staff cannot sign in with a password
    users = User.objects.bulk_create(
        [
            User(
                email=f"{role}{n}@{agency.slug}.scale.example",
                first_name=rng.choice(NAMES),
                last_name=f"Staff{n}",
                password=unusable,
            )
            for agency in agencies
            for n, role in enumerate(roles)
        ],
        batch_size=5000,
    )
    kits = []
    for index, agency in enumerate(agencies):
        staff = users[index * len(roles) : (index + 1) * len(roles)]
        with agency_scope(agency):
            instrument = alliance.instrument_install_default(agency=agency)
            items = list(InstrumentItem.objects.filter(instrument=instrument).order_by("position"))
            members = Membership.objects.bulk_create(
                [
                    Membership(agency=agency, user=user, role=role)
                    for user, role in zip(staff, roles, strict=True)
                ]
            )
        kits.append(_AgencyKit(agency, instrument.pk, items, members[0], members[1], members[2:]))
    return kits


# Participants and their history (COPY) -----------------------------------------------------


class _Scores:
    """alliance.checkins.services.score, remembered by the answers given (they repeat a lot)."""

    def __init__(self):
        self.known: dict[tuple, dict] = {}

    def __call__(self, items, answers: dict, key: tuple) -> dict:
        found = self.known.get(key)
        if found is None:
            found = self.known[key] = alliance.score(items, answers)
        return found


def _fake_token_hash(*parts) -> str:
    """A unique stored hash for a seeded request whose link nobody holds (never openable)."""
    return hashlib.sha256(("scale:" + ":".join(map(str, parts))).encode()).hexdigest()


def _history(kits: list[_AgencyKit], participants: int, weeks: int, *, rng, now, scores):
    tables = {
        model: _Table(model)
        for model in (
            Participant,
            CulturalProfile,
            ChannelConsent,
            Contact,
            CheckInRequest,
            CheckInResponse,
            Alert,
        )
    }
    people = len(kits) * participants
    requests = people * weeks
    tables[Participant].take_ids(people)
    tables[CulturalProfile].take_ids(people)
    tables[ChannelConsent].take_ids(people)
    tables[Contact].take_ids(people * math.ceil(weeks / 2))
    tables[CheckInRequest].take_ids(requests)
    tables[CheckInResponse].take_ids(requests)
    tables[Alert].take_ids(requests)
    salt = secrets.token_hex(4)
    for kit in kits:
        agency = kit.agency
        scale_items = [item for item in kit.items if item.kind == ItemKind.SCALE]
        text_items = [item for item in kit.items if item.kind == ItemKind.TEXT]
        for n in range(participants):
            peer = kit.peers[n % len(kit.peers)]
            roll = rng.random()
            status = "active" if roll < 0.9 else ("paused" if roll < 0.95 else "discharged")
            enrolled = now - timedelta(weeks=weeks, days=rng.randint(1, 60))
            phone = f"+1202555{rng.randint(0, 9999):04d}" if rng.random() < 0.7 else ""
            person = tables[Participant].add(
                agency_id=agency.pk,
                preferred_name=rng.choice(NAMES),
                pronouns=rng.choice(PRONOUNS),
                email=f"p{n}@{agency.slug}.example.org" if rng.random() < 0.5 else "",
                phone=phone,
                time_zone=agency.time_zone,
                status=status,
                status_changed_at=now - timedelta(days=rng.randint(1, 30)),
                discharged_on=(now - timedelta(days=10)).date() if status == "discharged" else None,
                enrolled_on=enrolled.date(),
                assigned_peer_id=peer.pk,
                external_id=f"S-{n + 1}",
                created_at=enrolled,
            )
            quiet = rng.random() < 0.5
            tables[CulturalProfile].add(
                agency_id=agency.pk,
                participant_id=person,
                language="es" if rng.random() < 0.2 else "en",
                recovery_pathways=rng.sample(PATHWAYS, rng.randint(1, 2)),
                communication_style="Short texts, then a call if needed.",
                quiet_hours_start="21:00" if quiet else None,
                quiet_hours_end="08:00" if quiet else None,
                preferred_channels=["sms"] if phone else ["email"],
                max_contacts_per_week=3,
                updated_at=enrolled,
            )
            if phone:
                tables[ChannelConsent].add(
                    agency_id=agency.pk,
                    participant_id=person,
                    channel="sms",
                    granted_at=enrolled,
                    recorded_by_id=peer.user_id,
                )
            baseline = rng.uniform(3.6, 4.9)
            previous = None
            for week in range(weeks, 0, -1):
                created = now - timedelta(weeks=week, hours=rng.randint(0, 72))
                if week % 2 == 0:
                    tables[Contact].add(
                        agency_id=agency.pk,
                        participant_id=person,
                        staff_id=peer.pk,
                        occurred_at=created - timedelta(days=2),
                        kind=rng.choice(["call", "in_person", "text"]),
                        duration_minutes=rng.choice([15, 30, 45]),
                        note=rng.choice(NOTES),
                        created_at=created - timedelta(days=2),
                    )
                answered = rng.random() < RESPONSE_RATE
                submitted = created + timedelta(hours=rng.randint(1, 48))
                expires = created + timedelta(days=7)
                if submitted > now:
                    answered = False
                request = tables[CheckInRequest].add(
                    agency_id=agency.pk,
                    participant_id=person,
                    instrument_id=kit.instrument_id,
                    token_hash=_fake_token_hash(salt, person, week),
                    channel="sms" if phone else "email",
                    created_at=created,
                    expires_at=expires,
                    completed_at=submitted if answered else None,
                    missed_counted=not answered and expires <= now,
                )
                if not answered:
                    continue
                values = tuple(
                    min(5, max(1, round(rng.gauss(baseline, 0.55)))) for _ in scale_items
                )
                answers = {
                    str(item.pk): value for item, value in zip(scale_items, values, strict=True)
                }
                if text_items and rng.random() < 0.1:
                    answers[str(text_items[0].pk)] = rng.choice(FREE_TEXT)
                scored = scores(kit.items, answers, values)
                response = tables[CheckInResponse].add(
                    agency_id=agency.pk,
                    request_id=request,
                    participant_id=person,
                    instrument_id=kit.instrument_id,
                    submitted_at=submitted,
                    channel="sms" if phone else "email",
                    answers=answers,
                    **scored,
                )
                rules, practices = alliance.alert_rules_fired(
                    agency=agency,
                    items=kit.items,
                    answers=answers,
                    scores=scored,
                    previous_percent=previous,
                )
                previous = scored["percent"]
                if rules:
                    recent = now - submitted < timedelta(days=14)
                    tables[Alert].add(
                        agency_id=agency.pk,
                        participant_id=person,
                        response_id=response,
                        rules=rules,
                        practices=practices,
                        created_at=submitted,
                        status=AlertStatus.OPEN if recent else AlertStatus.RESOLVED,
                        acknowledged_at=None if recent else submitted + timedelta(days=1),
                        acknowledged_by_id=None if recent else peer.user_id,
                        resolved_at=None if recent else submitted + timedelta(days=2),
                        resolved_by_id=None if recent else peer.user_id,
                        resolution_note="" if recent else "Talked it through at the next call.",
                    )
    # A deliberate platform-level bulk load across agencies (see the module docstring).
    with scopes_disabled():
        return {model: table.copy() for model, table in tables.items()}


def seed_scale(
    *,
    agencies: int,
    participants_per_agency: int,
    weeks: int,
    prefix: str = "scale",
    seed: int = 8,
    now: datetime | None = None,
    progress: Callable[[str], None] | None = None,
) -> ScaleResult:
    """Create `agencies` agencies of `participants_per_agency` participants with `weeks` weeks
    of history each. Repeatable: new agencies get the next free slugs `<prefix>-<n>`."""
    started = time.monotonic()
    now = now or timezone.now()
    rng = random.Random(seed)
    scores = _Scores()
    result = ScaleResult()
    per_chunk = max(1, CHUNK_ROWS // max(1, participants_per_agency * max(weeks, 1)))
    done = 0
    while done < agencies:
        count = min(per_chunk, agencies - done)
        with transaction.atomic():
            kits = _agencies_create(count, participants_per_agency, prefix=prefix, rng=rng, now=now)
            written = _history(
                kits, participants_per_agency, weeks, rng=rng, now=now, scores=scores
            )
        done += count
        result.agencies += [kit.agency.pk for kit in kits]
        result.users += sum(2 + len(kit.peers) for kit in kits)
        result.participants += written[Participant]
        result.requests += written[CheckInRequest]
        result.responses += written[CheckInResponse]
        result.alerts += written[Alert]
        result.contacts += written[Contact]
        if progress:
            progress(f"{done}/{agencies} agencies ({time.monotonic() - started:.0f} s)")
    # Fresh statistics for every table written, as autovacuum would give them in time: the
    # planner otherwise plans for the old sizes (a thousand agencies taken for seventy).
    with connection.cursor() as cursor:
        for model in (
            Agency,
            User,
            Membership,
            Participant,
            CulturalProfile,
            ChannelConsent,
            CheckInRequest,
            CheckInResponse,
            Alert,
            Contact,
        ):
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
    result.seconds = time.monotonic() - started
    return result


def checkin_links_create(*, agency_id: int, count: int, expires_in=timedelta(days=7)) -> list[str]:
    """`count` open check-in links spread over the agency's active participants, made in bulk
    inside the agency's scope. Returns the raw tokens (for load tests and benchmarks)."""
    with agency_scope(agency_id):
        people = list(
            Participant.objects.filter(status="active").values_list("id", flat=True).order_by("id")
        )
        instrument = alliance.instrument_default()
        tokens, rows = [], []
        now = timezone.now()
        for n in range(count):
            raw, hashed = token_new()
            tokens.append(raw)
            rows.append(
                CheckInRequest(
                    agency_id=agency_id,
                    participant_id=people[n % len(people)],
                    instrument=instrument,
                    token_hash=hashed,
                    channel="sms",
                    created_at=now,
                    expires_at=now + expires_in,
                )
            )
        CheckInRequest.objects.bulk_create(rows, batch_size=5000)
    return tokens
