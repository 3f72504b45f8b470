"""Importing participants from a CSV file an agency already keeps.

The flow, and the rules each step follows:

1. `participant_import_create`: the uploaded file is checked and kept as text on a
   `ParticipantImport`. At most 2 MB and 5,000 data rows; UTF-8 (with or without BOM), else
   Windows-1252, and bytes not valid in the file's encoding (broken UTF-8, Shift-JIS and other
   multi-byte encodings) are refused rather than stored garbled; the delimiter (comma,
   semicolon or tab) is detected with `csv.Sniffer`; the first row holds the column names.
   Empty, binary or header-less files are refused with a message saying what to do, and
   nothing is stored.
2. `participant_import_set_mapping`: which CSV column feeds which of our fields
   (`IMPORT_FIELDS`), first guessed from the column names by `guess_mapping`.
3. `participant_import_preview`: every row is checked as the import would check it; the first
   rows are shown as they would be imported, with their errors, and the totals.
4. `participant_import_queue`: queues the Celery task once, however often "Run" is pressed
   (a conditional update mapped -> queued; the task is sent after the commit, with ids only).
5. `participant_import_run` (called by the task inside the agency scope): claims the import
   (queued -> running, conditionally, so two workers cannot both run it), processes the rows in
   batches of `BATCH_SIZE`, each batch committed together with the progress counters, and
   clears the file's text when it finishes.

Identity, so that running the same file again creates no duplicates: a row is matched on its
record number (`external_id`) when that column is mapped and the cell is filled; otherwise on
its email (case-insensitive); otherwise on its phone (E.164). A row with none of the three is an
error. A row whose record number is not known yet may also match, by email and then phone, a
participant who has no record number (someone added by hand), who then gets the number. A
matched participant is updated from the filled cells of the row (an empty cell changes
nothing) and counts as updated, or as skipped when nothing changed. A later row with the same
identity as an earlier row of the file is an error.

Peer specialist: a column with the peer's email (an active peer of this agency, else a row
error), or one peer chosen on the upload form for every row. The column wins over the one
choice; the one choice goes to new participants and to matched participants who have no peer,
and never takes anyone from the peer they have (decision 170).

Cell rules: preferred name required (at most 100 characters); phone normalised with
`phone_to_e164`; time zone an IANA name (empty: the agency's); enrolment date as YYYY-MM-DD
(always), or day/month/year or month/day/year (empty: today). A date that reads two ways
("03/02/2026") needs the file's date order (`ParticipantImport.date_order`): without it the
columns cannot be confirmed and nothing is imported (decision 171); language en/es or its name
(empty: the agency's default).

Nothing here logs or stores a cell's value outside the participant itself: row errors hold the
row number, the field and a message.
"""

import csv
import io
import logging
import re
import unicodedata
import zoneinfo
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache

import charset_normalizer
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from agencies.models import Agency, Membership, Role, User
from agencies.services import audit_record
from participants.models import (
    CulturalProfile,
    CulturalProfileChange,
    DateOrder,
    ImportStatus,
    Participant,
    ParticipantImport,
)
from participants.phones import phone_to_e164
from participants.services import participant_create

logger = logging.getLogger(__name__)

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 5000
PREVIEW_ROWS = 20
MAX_ROW_ERRORS = 200
BATCH_SIZE = 50
# A running import whose progress has not moved for this long lost its worker (the broker
# redelivers the task): the next delivery may take it over and resume after the last batch.
STALE_AFTER = timedelta(minutes=10)
IDENTITY = "identity"  # the "field" of a row error about the row's identity


@dataclass(frozen=True)
class ImportField:
    name: str
    label: str
    max_length: int | None
    guesses: tuple[str, ...]


# Our fields, in the order of the mapping form. `guesses` are normalised column names
# (see `_normalise_header`) that pre-select a column.
IMPORT_FIELDS = [
    ImportField(
        "external_id",
        gettext_lazy("Record number"),
        64,
        (
            "record number",
            "record no",
            "record",
            "external id",
            "externalid",
            "id",
            "client id",
            "participant id",
            "case number",
            "mrn",
            "numero de expediente",
            "expediente",
            "numero",
        ),
    ),
    ImportField(
        "preferred_name",
        gettext_lazy("Preferred name"),
        100,
        (
            "preferred name",
            "preferredname",
            "name",
            "goes by",
            "known as",
            "nickname",
            "nombre preferido",
            "nombre",
        ),
    ),
    ImportField(
        "legal_name",
        gettext_lazy("Legal name"),
        200,
        ("legal name", "legalname", "full name", "nombre legal", "nombre completo"),
    ),
    ImportField("pronouns", gettext_lazy("Pronouns"), 40, ("pronouns", "pronoun", "pronombres")),
    ImportField(
        "email",
        gettext_lazy("Email"),
        254,
        ("email", "e mail", "email address", "correo", "correo electronico"),
    ),
    ImportField(
        "phone",
        gettext_lazy("Mobile phone"),
        None,
        (
            "phone",
            "mobile",
            "mobile phone",
            "cell",
            "cell phone",
            "phone number",
            "telephone",
            "telefono",
            "celular",
            "movil",
        ),
    ),
    ImportField(
        "time_zone",
        gettext_lazy("Time zone"),
        None,
        ("time zone", "timezone", "tz", "zona horaria"),
    ),
    ImportField(
        "enrolled_on",
        gettext_lazy("Enrolment date"),
        None,
        (
            "enrolled on",
            "enrolled",
            "enrolment date",
            "enrollment date",
            "intake date",
            "start date",
            "fecha de inscripcion",
            "fecha de ingreso",
        ),
    ),
    ImportField(
        "language",
        gettext_lazy("Preferred language"),
        None,
        ("language", "preferred language", "idioma", "lengua"),
    ),
    ImportField(
        "assigned_peer",
        gettext_lazy("Peer specialist (email)"),
        254,
        (
            "peer",
            "peer email",
            "peer specialist",
            "peer specialist email",
            "assigned peer",
            "assigned peer email",
            "peer support specialist",
            "especialista",
            "especialista de pares",
            "correo del especialista",
        ),
    ),
]
FIELDS_BY_NAME = {f.name: f for f in IMPORT_FIELDS}
IDENTITY_FIELDS = ("external_id", "email", "phone")
LANGUAGE_WORDS = {
    "en": "en",
    "eng": "en",
    "english": "en",
    "ingles": "en",
    "es": "es",
    "spa": "es",
    "spanish": "es",
    "espanol": "es",
    "castellano": "es",
}


class ImportFileError(Exception):
    """The uploaded file cannot be imported; the message says why, for the upload form."""


# Reading the file ----------------------------------------------------------------------------


@dataclass
class ParsedFile:
    text: str
    delimiter: str
    headers: list[str]
    rows: list[tuple[int, list[str]]]  # (row number as a spreadsheet shows it, cells)


# Encodings of several bytes per character (Japanese, Chinese, Korean, UTF-16/32): a file in
# one of them read as Windows-1252 would be stored as garbled text, so it is refused instead.
_MULTIBYTE = re.compile(
    r"^(cp932|shift_jis|euc_j|iso2022|gb|hz|big5|cp936|cp949|cp950|euc_kr|johab|utf_16|utf_32)"
)
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}")
_LOOKS_MULTIBYTE = re.compile(rb"[\x80-\x9f]|[\x80-\xff]{2}")
_GUESS_BYTES = 256 * 1024


def _line_of(data: bytes, position: int) -> int:
    return data.count(b"\n", 0, position) + 1


def _not_readable(line: int | None = None, encoding: str = "") -> ImportFileError:
    if encoding:
        return ImportFileError(
            _(
                "This file seems to be written in another encoding (%(encoding)s), so its "
                "letters would arrive garbled. In your spreadsheet, save it as “CSV UTF-8” and "
                "upload that."
            )
            % {"encoding": encoding}
        )
    return ImportFileError(
        _(
            "Some characters of this file cannot be read (first on line %(line)d): it is "
            "neither UTF-8 nor Windows-1252. In your spreadsheet, save it as “CSV UTF-8” and "
            "upload that."
        )
        % {"line": line}
    )


def _decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), else Windows-1252; a file whose bytes are not valid in
    the encoding it is in is refused, naming the line (decision 178): UTF-8 with broken
    bytes, a Japanese, Chinese or Korean encoding (detected with charset-normalizer), or bytes
    Windows-1252 does not define."""
    if data.startswith(b"PK\x03\x04"):
        raise ImportFileError(
            _("This looks like an Excel workbook. Save it as CSV and upload that.")
        )
    if b"\x00" in data:
        raise ImportFileError(
            _("This is not a text file. Save the spreadsheet as CSV and upload that.")
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        # Mostly valid UTF-8 with a few broken bytes: a damaged UTF-8 file, not another
        # encoding (whose bytes are rarely valid UTF-8 sequences).
        broken = data.decode("utf-8", errors="replace").count("\ufffd")
        if len(_UTF8_SEQUENCE.findall(data)) >= broken:
            raise _not_readable(_line_of(data, error.start)) from None
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError as error:
            raise _not_readable(_line_of(data, error.start)) from None
        # Every byte means something in Windows-1252, but the file may be in a multi-byte
        # encoding whose bytes happen to be valid there too (Shift-JIS katakana): ask.
        # Only when the Windows-1252 reading looks like one (a byte of 0x80-0x9F, or two
        # non-ASCII characters in a row), so "João" is not taken for Big5.
        guess = (
            charset_normalizer.from_bytes(data[:_GUESS_BYTES]).best()
            if _LOOKS_MULTIBYTE.search(data)
            else None
        )
        if guess is not None and _MULTIBYTE.match(guess.encoding):
            raise _not_readable(encoding=guess.encoding.replace("_", "-").upper()) from None
    text = text.rstrip("\x1a")  # the end-of-file mark of old DOS programs
    if any(unicodedata.category(ch) == "Cc" and ch not in "\t\n\r\x0c" for ch in text):
        raise ImportFileError(
            _("This is not a text file. Save the spreadsheet as CSV and upload that.")
        )
    return text


def _sniff_delimiter(text: str) -> str:
    sample = "\n".join(text.splitlines()[:20])[:65536]
    first_line = sample.split("\n", 1)[0]
    try:
        delimiter = csv.Sniffer().sniff(sample, delimiters=",;\t").delimiter
    except csv.Error:
        delimiter = None
    if delimiter is None or delimiter not in first_line:
        counts = {d: first_line.count(d) for d in ",;\t"}
        best = max(counts, key=counts.get)
        delimiter = best if counts[best] else ","
    return delimiter


_DATA_LIKE = re.compile(r"@|^[+()\d\s./-]{4,}$")


def parse_csv(text: str, delimiter: str | None = None) -> ParsedFile:
    """Split the file's text into column names and rows; raise ImportFileError when it has
    no rows, no column names or too many rows. Entirely empty rows are left out."""
    if not text.strip():
        raise ImportFileError(_("The file is empty."))
    delimiter = delimiter or _sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    headers: list[str] | None = None
    rows: list[tuple[int, list[str]]] = []
    try:
        for number, cells in enumerate(reader, start=1):
            cells = [cell.strip() for cell in cells]
            if not any(cells):
                continue
            if headers is None:
                headers = cells
                continue
            rows.append((number, cells))
            if len(rows) > MAX_ROWS:
                raise ImportFileError(
                    _("The file has more than %(max)s rows. Split it into smaller files.")
                    % {"max": f"{MAX_ROWS:,}"}
                )
    except csv.Error:
        raise ImportFileError(
            _("The file could not be read as CSV. Save the spreadsheet as CSV and try again.")
        ) from None
    if headers is None:
        raise ImportFileError(_("The file is empty."))
    if any(_DATA_LIKE.search(cell) for cell in headers):
        raise ImportFileError(
            _(
                "The first row must hold the column names (such as “Preferred name”, “Email”), "
                "but it looks like a participant. Add a row of column names at the top."
            )
        )
    # A column without a name is still offered, by its position.
    headers = [cell or _("Column %(n)d") % {"n": i} for i, cell in enumerate(headers, start=1)]
    if len(set(headers)) != len(headers):
        raise ImportFileError(
            _("Two columns have the same name. Give each column its own name in the first row.")
        )
    if not rows:
        raise ImportFileError(_("The file has column names but no rows of participants."))
    return ParsedFile(text=text, delimiter=delimiter, headers=headers, rows=rows)


def read_upload(upload) -> ParsedFile:
    """Check an uploaded file (a Django UploadedFile) and parse it, or raise ImportFileError."""
    if upload.size == 0:
        raise ImportFileError(_("The file is empty."))
    if upload.size > MAX_BYTES:
        raise ImportFileError(
            _("The file is larger than 2 MB. Split it into smaller files and import each.")
        )
    data = upload.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise ImportFileError(
            _("The file is larger than 2 MB. Split it into smaller files and import each.")
        )
    return parse_csv(_decode(data))


def _normalise_header(header: str) -> str:
    decomposed = unicodedata.normalize("NFKD", header)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()
    return re.sub(r"[^a-z0-9]+", " ", plain).strip()


def guess_mapping(headers: list[str]) -> dict[str, str]:
    """Pre-select a column for each of our fields whose name it resembles ("Preferred Name",
    "preferred_name", "Nombre preferido"). Each column is used at most once."""
    normalised = {header: _normalise_header(header) for header in headers}
    mapping: dict[str, str] = {}
    used: set[str] = set()
    for import_field in IMPORT_FIELDS:
        for guess in import_field.guesses:
            found = next(
                (h for h in headers if normalised[h] == guess and h not in used),
                None,
            )
            if found:
                mapping[import_field.name] = found
                used.add(found)
                break
    return mapping


# Checking rows -------------------------------------------------------------------------------


@cache
def _time_zones() -> dict[str, str]:
    return {name.lower(): name for name in zoneinfo.available_timezones()}


_SLASHED_DATE = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")


class AmbiguousDate(ValidationError):
    """A date such as 03/02/2026 that is a real date read day first and month first."""


def _parse_date(value: str, order: str = "") -> date:
    """YYYY-MM-DD always; D/M/YYYY or M/D/YYYY (also with . or -) by the file's date order.
    Without an order, a date that can be read only one way is read that way, and one that
    reads as two different days raises AmbiguousDate."""
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise ValidationError(_("Not a date in the calendar.")) from None
    found = _SLASHED_DATE.match(value)
    if found is None:
        raise ValidationError(_("Enter the date as YYYY-MM-DD, or as day/month/year."))
    first, second, year = (int(part) for part in found.groups())
    readings = {}
    for name, (month, day) in (
        (DateOrder.MONTH_FIRST, (first, second)),
        (DateOrder.DAY_FIRST, (second, first)),
    ):
        try:
            readings[name] = date(year, month, day)
        except ValueError:
            pass
    if order:
        if order in readings:
            return readings[order]
        raise ValidationError(
            _("Not a date when read %(order)s.") % {"order": DateOrder(order).label.lower()}
        )
    days = set(readings.values())
    if len(days) == 1:
        return days.pop()
    if days:
        raise AmbiguousDate(
            _("Reads two ways (day first or month first): choose the file's date order.")
        )
    raise ValidationError(_("Not a date in the calendar."))


@dataclass
class Row:
    number: int
    values: dict[str, str]  # our field -> the cell, as in the file
    cleaned: dict = field(default_factory=dict)  # our field -> value to store (filled cells)
    errors: list[tuple[str, str]] = field(default_factory=list)
    key: tuple[str, str] | None = None  # the identity: ("external_id", "A-17"), ...
    action: str = ""  # preview: "create", "update", "unchanged"
    ambiguous_date: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors


def _clean_row(
    number: int,
    cells: list[str],
    columns: dict[str, int],
    *,
    date_order: str = "",
    peers: dict[str, Membership] | None = None,
) -> Row:
    values = {name: (cells[index] if index < len(cells) else "") for name, index in columns.items()}
    row = Row(number=number, values=values)
    cleaned = row.cleaned
    for name, value in values.items():
        if not value:
            continue
        import_field = FIELDS_BY_NAME[name]
        if import_field.max_length and len(value) > import_field.max_length:
            row.errors.append(
                (name, _("At most %(n)d characters.") % {"n": import_field.max_length})
            )
            continue
        try:
            if name == "email":
                validate_email(value)
                cleaned[name] = value
            elif name == "phone":
                cleaned[name] = phone_to_e164(value)
            elif name == "time_zone":
                zone = _time_zones().get(value.lower())
                if zone is None:
                    raise ValidationError(_("Not a time zone; use a name such as America/Chicago."))
                cleaned[name] = zone
            elif name == "enrolled_on":
                try:
                    cleaned[name] = _parse_date(value, date_order)
                except AmbiguousDate:
                    row.ambiguous_date = True
                    raise
            elif name == "assigned_peer":
                peer = (peers or {}).get(value.lower())
                if peer is None:
                    raise ValidationError(
                        _("Not the email of an active peer specialist of this agency.")
                    )
                cleaned[name] = peer
            elif name == "language":
                code = LANGUAGE_WORDS.get(_normalise_header(value))
                if code is None:
                    raise ValidationError(_("Use en (English) or es (Spanish)."))
                cleaned[name] = code
            else:
                cleaned[name] = value
        except ValidationError as error:
            row.errors.append((name, " ".join(error.messages)))
    if not values.get("preferred_name"):
        row.errors.append(("preferred_name", _("Enter the name this person wants to be called.")))
    for name in IDENTITY_FIELDS:
        if values.get(name):
            if name in cleaned:
                value = cleaned[name].lower() if name == "email" else cleaned[name]
                row.key = (name, value)
            break
    else:
        row.errors.append(
            (
                IDENTITY,
                _("Needs a record number, email or phone so a re-run cannot duplicate it."),
            )
        )
    return row


def _columns(parsed_headers: list[str], mapping: dict[str, str]) -> dict[str, int]:
    return {
        name: parsed_headers.index(header)
        for name, header in mapping.items()
        if name in FIELDS_BY_NAME and header in parsed_headers
    }


def active_peers() -> dict[str, Membership]:
    """The agency's active peer specialists by their email, lower-cased (inside its scope)."""
    return {
        membership.user.email.lower(): membership
        for membership in Membership.objects.filter(
            role=Role.PEER, is_active=True, user__is_active=True
        ).select_related("user")
    }


def check_rows(
    participant_import: ParticipantImport,
    *,
    mapping: dict[str, str] | None = None,
    date_order: str | None = None,
) -> list[Row]:
    """Every row of the file, checked (one query, for the peers, when their column is
    mapped). A row repeating the identity of an earlier row is an error. `mapping` and
    `date_order` default to the import's own."""
    parsed = parse_csv(participant_import.csv_text, participant_import.delimiter)
    mapping = participant_import.mapping if mapping is None else mapping
    if date_order is None:
        date_order = participant_import.date_order
    columns = _columns(parsed.headers, mapping)
    peers = active_peers() if "assigned_peer" in columns else {}
    first_row_of: dict[tuple[str, str], int] = {}
    rows = []
    for number, cells in parsed.rows:
        row = _clean_row(number, cells, columns, date_order=date_order, peers=peers)
        if row.key is not None:
            earlier = first_row_of.setdefault(row.key, number)
            if earlier != number:
                row.errors.append(
                    (
                        IDENTITY,
                        _("Same %(what)s as row %(row)d; only the first is imported.")
                        % {"what": FIELDS_BY_NAME[row.key[0]].label.lower(), "row": earlier},
                    )
                )
        rows.append(row)
    return rows


# Matching rows to participants -----------------------------------------------------------------


class _Index:
    """Participants by each identity key, the lowest id first. Kept current while a run
    creates and changes participants, so later rows see earlier rows' work."""

    def __init__(self):
        self.by_key: dict[tuple[str, str], Participant] = {}
        self.unnumbered: dict[tuple[str, str], Participant] = {}
        self.language: dict[int, CulturalProfile] = {}

    @staticmethod
    def keys(participant) -> list[tuple[str, str]]:
        keys = []
        if participant.external_id:
            keys.append(("external_id", participant.external_id))
        if participant.email:
            keys.append(("email", participant.email.lower()))
        if participant.phone:
            keys.append(("phone", participant.phone))
        return keys

    def add(self, participant) -> None:
        tables = [self.by_key] if participant.external_id else [self.by_key, self.unnumbered]
        for key in self.keys(participant):
            for table in tables:
                current = table.get(key)
                if current is None or current.pk > participant.pk:
                    table[key] = participant

    def discard(self, participant) -> None:
        """Forget the participant under its current keys (call before changing them)."""
        for key in self.keys(participant):
            for table in (self.by_key, self.unnumbered):
                if key in table and table[key].pk == participant.pk:
                    del table[key]

    def load(self, rows: list[Row]) -> None:
        """Fetch the participants the rows may match, and their profiles: two queries."""
        wanted: dict[str, set[str]] = {"external_id": set(), "email": set(), "phone": set()}
        for row in rows:
            if row.ok:
                for name in IDENTITY_FIELDS:
                    if name in row.cleaned:
                        value = row.cleaned[name]
                        wanted[name].add(value.lower() if name == "email" else value)
        lookups = {"external_id": "external_id__in", "email": "email_lower__in"}
        conditions = [
            Q(**{lookups.get(name, "phone__in"): sorted(values)})
            for name, values in wanted.items()
            if values
        ]
        if not conditions:
            return
        condition = conditions[0]
        for other in conditions[1:]:
            condition |= other
        found = list(
            Participant.objects.annotate(email_lower=Lower("email"))
            .filter(condition)
            .order_by("pk")
        )
        for participant in found:
            self.add(participant)
        missing = [p.pk for p in found if p.pk not in self.language]
        for profile in CulturalProfile.objects.filter(participant_id__in=missing):
            self.language[profile.participant_id] = profile

    def match(self, row: Row) -> Participant | None:
        name, value = row.key
        found = self.by_key.get(row.key)
        if found is not None or name != "external_id":
            return found
        for other in ("email", "phone"):
            if other in row.cleaned:
                value = row.cleaned[other].lower() if other == "email" else row.cleaned[other]
                found = self.unnumbered.get((other, value))
                if found is not None:
                    return found
        return None


def _changes(
    participant: Participant,
    profile: CulturalProfile | None,
    row: Row,
    default_peer: Membership | None = None,
) -> dict:
    changes = {
        name: value
        for name, value in row.cleaned.items()
        if name not in ("language", "assigned_peer") and getattr(participant, name) != value
    }
    peer = row.cleaned.get("assigned_peer")
    if peer is None and participant.assigned_peer_id is None:
        peer = default_peer  # the one choice never takes anyone from their peer
    if peer is not None and participant.assigned_peer_id != peer.pk:
        changes["assigned_peer"] = peer
    language = row.cleaned.get("language")
    if language and profile is not None and profile.language != language:
        changes["language"] = language
    return changes


# The steps ---------------------------------------------------------------------------------------


def participant_import_create(
    *,
    agency: Agency,
    created_by: User,
    upload,
    default_peer: Membership | None = None,
    date_order: str = "",
) -> ParticipantImport:
    """Check the uploaded file (see the module's rules) and keep it for mapping, with the
    columns guessed, the peer chosen for every row (if any) and the file's date order (if
    given). Raises ImportFileError, storing nothing, when the file cannot be used."""
    if default_peer is not None and (
        default_peer.agency_id != agency.pk
        or default_peer.role != Role.PEER
        or not default_peer.is_active
    ):
        raise ImportFileError(_("Choose an active peer specialist of this agency."))
    parsed = read_upload(upload)
    participant_import = ParticipantImport.objects.create(
        agency=agency,
        created_by=created_by,
        filename=(upload.name or "")[:200],
        csv_text=parsed.text,
        delimiter=parsed.delimiter,
        headers=parsed.headers,
        mapping=guess_mapping(parsed.headers),
        total_rows=len(parsed.rows),
        default_peer=default_peer,
        date_order=date_order,
    )
    audit_record(
        agency=agency,
        actor=created_by,
        action="participant_import.uploaded",
        target=participant_import,
    )
    return participant_import


def ambiguous_date_rows(rows: list[Row]) -> list[int]:
    return [row.number for row in rows if row.ambiguous_date]


def rows_list(numbers: list[int], shown: int = 10) -> str:
    """ "2, 5 and 9", or "2, 5, 9 … and 14 more"."""
    words = [str(n) for n in numbers[:shown]]
    if len(numbers) > shown:
        return _("%(rows)s and %(n)d more") % {"rows": ", ".join(words), "n": len(numbers) - shown}
    if len(words) == 1:
        return words[0]
    return _("%(rows)s and %(last)s") % {"rows": ", ".join(words[:-1]), "last": words[-1]}


def ambiguous_dates_message(numbers: list[int]) -> str:
    return _(
        "Dates such as 03/02/2026 can be read day first or month first (rows %(rows)s). "
        "Choose the order of the dates in this file; nothing has been imported."
    ) % {"rows": rows_list(numbers)}


def participant_import_set_mapping(
    *, participant_import: ParticipantImport, mapping: dict[str, str], date_order: str = ""
) -> None:
    """Keep the chosen columns (our field -> column name; unmapped fields left out) and the
    file's date order. Only before the import is queued. Raises ImportFileError, keeping
    nothing, when dates read two ways and no date order is given."""
    mapping = {
        name: header
        for name, header in mapping.items()
        if name in FIELDS_BY_NAME and header in participant_import.headers
    }
    if "enrolled_on" in mapping and not date_order:
        rows = check_rows(participant_import, mapping=mapping, date_order="")
        ambiguous = ambiguous_date_rows(rows)
        if ambiguous:
            raise ImportFileError(ambiguous_dates_message(ambiguous))
    ParticipantImport.objects.filter(
        pk=participant_import.pk, status__in=[ImportStatus.UPLOADED, ImportStatus.MAPPED]
    ).update(mapping=mapping, date_order=date_order, status=ImportStatus.MAPPED)
    participant_import.mapping = mapping
    participant_import.date_order = date_order
    participant_import.status = ImportStatus.MAPPED


@dataclass
class Preview:
    rows: list[Row]  # the first PREVIEW_ROWS rows, with their action or errors
    valid: int
    invalid: int
    errors: list[dict]  # every row's errors, at most MAX_ROW_ERRORS


def participant_import_preview(*, participant_import: ParticipantImport) -> Preview:
    """Check every row; show the first rows as they would be imported (create, update, no
    change) with their errors, and count valid and invalid rows."""
    rows = check_rows(participant_import)
    shown = rows[:PREVIEW_ROWS]
    index = _Index()
    index.load(shown)
    for row in shown:
        if row.ok:
            participant = index.match(row)
            if participant is None:
                row.action = "create"
            else:
                profile = index.language.get(participant.pk)
                changes = _changes(participant, profile, row, participant_import.default_peer)
                row.action = "update" if changes else "unchanged"
    invalid = sum(1 for row in rows if not row.ok)
    return Preview(
        rows=shown,
        valid=len(rows) - invalid,
        invalid=invalid,
        errors=_error_entries(rows)[:MAX_ROW_ERRORS],
    )


def _error_entries(rows: list[Row]) -> list[dict]:
    return [
        {"row": row.number, "field": name, "message": message}
        for row in rows
        for name, message in row.errors
    ]


@transaction.atomic
def participant_import_queue(*, participant_import: ParticipantImport, queued_by: User) -> bool:
    """Queue the import's task, once: only the request that moves it from mapped to queued
    sends it, after the commit, with the ids only. Returns whether this call queued it."""
    from participants.tasks import participant_import_run as task

    queued = ParticipantImport.objects.filter(
        pk=participant_import.pk, status=ImportStatus.MAPPED
    ).update(status=ImportStatus.QUEUED)
    if not queued:
        return False
    agency_id, import_id = participant_import.agency_id, participant_import.pk
    audit_record(
        agency=participant_import.agency,
        actor=queued_by,
        action="participant_import.queued",
        target=participant_import,
    )
    transaction.on_commit(lambda: task.delay(agency_id, import_id))
    return True


def _claim(import_id: int) -> bool:
    now = timezone.now()
    return bool(
        ParticipantImport.objects.filter(
            Q(status=ImportStatus.QUEUED)
            | Q(status=ImportStatus.RUNNING, heartbeat_at__lt=now - STALE_AFTER),
            pk=import_id,
        ).update(status=ImportStatus.RUNNING, heartbeat_at=now)
    )


def participant_import_run(*, import_id: int) -> str:
    """Run a queued import (inside the agency's scope, opened by the task). Returns the final
    status, or "" when the import was not there to claim (already run, or running elsewhere).

    Idempotent: rows are matched by identity, so a second run creates no duplicates; each
    batch's writes are committed with the progress counters, so a run taken over after a lost
    worker resumes after the last committed batch. Unexpected errors mark the import failed
    and are logged with the import's id only.
    """
    if not _claim(import_id):
        return ""
    try:
        return _run(
            ParticipantImport.objects.select_related("agency", "default_peer").get(pk=import_id)
        )
    except Exception as error:
        logger.error("Participant import %s failed (%s)", import_id, type(error).__name__)
        ParticipantImport.objects.filter(pk=import_id).update(
            status=ImportStatus.FAILED, csv_text="", finished_at=timezone.now()
        )
        return ImportStatus.FAILED


def _run(participant_import: ParticipantImport) -> str:
    agency = participant_import.agency
    actor = participant_import.created_by
    rows = check_rows(participant_import)
    ambiguous = ambiguous_date_rows(rows)
    if ambiguous:  # the mapping step refuses these; a file changed behind it stops here
        ParticipantImport.objects.filter(pk=participant_import.pk).update(
            status=ImportStatus.FAILED,
            csv_text="",
            finished_at=timezone.now(),
            row_errors=[
                {"row": n, "field": "enrolled_on", "message": ambiguous_dates_message([n])}
                for n in ambiguous[:MAX_ROW_ERRORS]
            ],
        )
        return ImportStatus.FAILED
    default_peer = participant_import.default_peer
    today = agency.today()
    index = _Index()
    counts = {
        "processed_rows": participant_import.processed_rows,
        "created_count": participant_import.created_count,
        "updated_count": participant_import.updated_count,
        "skipped_count": participant_import.skipped_count,
        "error_count": participant_import.error_count,
    }
    row_errors = list(participant_import.row_errors)
    ParticipantImport.objects.filter(pk=participant_import.pk).update(total_rows=len(rows))
    for start in range(participant_import.processed_rows, len(rows), BATCH_SIZE):
        batch = rows[start : start + BATCH_SIZE]
        with transaction.atomic():
            index.load(batch)
            for row in batch:
                if row.ok:
                    outcome = _import_row(
                        row,
                        index,
                        agency=agency,
                        actor=actor,
                        today=today,
                        default_peer=default_peer,
                    )
                else:
                    outcome = "error"
                counts[f"{outcome}_count"] += 1
                if not row.ok and len(row_errors) < MAX_ROW_ERRORS:
                    row_errors.extend(_error_entries([row])[: MAX_ROW_ERRORS - len(row_errors)])
            counts["processed_rows"] = start + len(batch)
            ParticipantImport.objects.filter(pk=participant_import.pk).update(
                **counts, row_errors=row_errors, heartbeat_at=timezone.now()
            )
    ParticipantImport.objects.filter(pk=participant_import.pk).update(
        status=ImportStatus.DONE, csv_text="", finished_at=timezone.now()
    )
    audit_record(
        agency=agency, actor=actor, action="participant_import.finished", target=participant_import
    )
    return ImportStatus.DONE


def _import_row(row: Row, index: _Index, *, agency, actor, today, default_peer=None) -> str:
    """Create or update the row's participant. Returns "created", "updated" or "skipped"
    (or "error" when the database refuses it, e.g. a record number taken meanwhile)."""
    participant = index.match(row)
    if participant is None:
        fields = {name: value for name, value in row.cleaned.items() if name != "language"}
        fields.setdefault("enrolled_on", today)
        if default_peer is not None:
            fields.setdefault("assigned_peer", default_peer)
        try:
            participant = participant_create(
                agency=agency,
                created_by=actor,
                fields=fields,
                language=row.cleaned.get("language") or agency.default_language,
            )
        except IntegrityError:
            row.errors.append((IDENTITY, _("Another participant has this record number.")))
            return "error"
        index.add(participant)
        return "created"
    profile = index.language.get(participant.pk)
    changes = _changes(participant, profile, row)
    if not changes:
        return "skipped"
    language = changes.pop("language", None)
    if changes:
        index.discard(participant)
        for name, value in changes.items():
            setattr(participant, name, value)
        try:
            with transaction.atomic():
                participant.save(update_fields=list(changes))
        except IntegrityError:
            participant.refresh_from_db()
            index.add(participant)
            row.errors.append((IDENTITY, _("Another participant has this record number.")))
            return "error"
        index.add(participant)
    if language and profile is not None:
        profile.language = language
        profile.updated_at = timezone.now()
        profile.save(update_fields=["language", "updated_at"])
        CulturalProfileChange.objects.create(
            agency=agency, participant=participant, changed_by=actor, fields=["language"]
        )
    audit_record(agency=agency, actor=actor, action="participant.updated", target=participant)
    return "updated"
