"""Importing participants from a CSV file: upload, columns, preview, run, progress."""

import logging
import time
from datetime import date
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from agencies.models import AuditEvent, Role
from agencies.tenancy import agency_scope
from participants import imports
from participants.models import (
    CulturalProfile,
    ImportStatus,
    Participant,
    ParticipantImport,
)
from participants.tasks import participant_import_run
from tests.conftest import client_for
from tests.factories import make_agency, make_import, make_member, make_participant

SAMPLE = Path(__file__).resolve().parents[2] / "docs" / "samples" / "participants.csv"
HEADER = "Record Number,Preferred Name,Email,Mobile Phone,Enrolment Date,Language\n"


def base(agency):
    return f"/a/{agency.slug}/participants/import/"


def csv_file(text: str | bytes, name="people.csv") -> SimpleUploadedFile:
    data = text.encode("utf-8") if isinstance(text, str) else text
    return SimpleUploadedFile(name, data, content_type="text/csv")


def run_now(participant_import) -> ParticipantImport:
    """Queue (as "Run import" does, without the broker) and run the task function directly."""
    with agency_scope(participant_import.agency_id):
        ParticipantImport.objects.filter(pk=participant_import.pk).update(
            status=ImportStatus.QUEUED
        )
    participant_import_run(participant_import.agency_id, participant_import.pk)
    with agency_scope(participant_import.agency_id):
        return ParticipantImport.objects.get(pk=participant_import.pk)


def imported(text, agency, **fields) -> ParticipantImport:
    return run_now(make_import(agency, text, status=ImportStatus.MAPPED, **fields))


@pytest.fixture
def supervisor_a_client(supervisor_a):
    return client_for(supervisor_a.user)


@pytest.fixture
def sent(monkeypatch):
    """Records the task messages the views send, instead of sending them to the broker."""
    calls = []
    monkeypatch.setattr(participant_import_run, "delay", lambda *args: calls.append(args))
    return calls


# The whole flow -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_supervisor_uploads_maps_previews_runs_and_sees_the_result(
    supervisor_a_client, supervisor_a, agency_a, sent, django_capture_on_commit_callbacks
):
    client = supervisor_a_client
    response = client.post(base(agency_a), {"file": csv_file(SAMPLE.read_bytes().decode())})
    assert response.status_code == 302
    with agency_scope(agency_a):
        participant_import = ParticipantImport.objects.get()
    assert participant_import.status == ImportStatus.UPLOADED
    assert participant_import.total_rows == 6
    assert response["Location"] == f"{base(agency_a)}{participant_import.pk}/mapping/"

    # Columns are guessed from their names.
    response = client.get(response["Location"])
    form = response.context["form"]
    assert form.initial == {
        "external_id": "Record Number",
        "preferred_name": "Preferred Name",
        "legal_name": "Legal Name",
        "pronouns": "Pronouns",
        "email": "Email",
        "phone": "Mobile Phone",
        "time_zone": "Time Zone",
        "enrolled_on": "Enrolment Date",
        "language": "Language",
        "date_order": "",
    }
    # The sample has 03/02/2026: which day it is depends on the file's date order.
    response = client.post(f"{base(agency_a)}{participant_import.pk}/mapping/", form.initial)
    assert response.status_code == 400
    assert response.context["form"].errors["date_order"] == [
        "Dates such as 03/02/2026 can be read day first or month first (rows 3). "
        "Choose the order of the dates in this file; nothing has been imported."
    ]
    response = client.post(
        f"{base(agency_a)}{participant_import.pk}/mapping/", {**form.initial, "date_order": "mdy"}
    )
    assert response["Location"] == f"{base(agency_a)}{participant_import.pk}/preview/"

    response = client.get(response["Location"])
    assert response.status_code == 200
    assert (response.context["valid"], response.context["invalid"]) == (6, 0)
    assert [row["action"] for row in response.context["rows"]] == ["create"] * 6
    assert "Ariadne Example" in response.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{base(agency_a)}{participant_import.pk}/run/")
    assert response["Location"] == f"{base(agency_a)}{participant_import.pk}/"
    assert sent == [(agency_a.pk, participant_import.pk)]  # ids only

    page = client.get(response["Location"]).content.decode()
    assert '<meta http-equiv="refresh" content="2">' in page and "<progress" in page

    done = run_now(participant_import)
    assert done.status == ImportStatus.DONE and done.finished_at is not None
    assert (done.created_count, done.updated_count, done.skipped_count) == (6, 0, 0)
    assert done.processed_rows == done.total_rows == 6
    assert done.csv_text == ""  # the file does not linger
    page = client.get(f"{base(agency_a)}{participant_import.pk}/").content.decode()
    assert 'http-equiv="refresh"' not in page
    assert '<dd id="created-count">6</dd>' in page

    with agency_scope(agency_a):
        benji = Participant.objects.get(external_id="HR-1002")
        dani = Participant.objects.get(external_id="HR-1004")
        fern = Participant.objects.get(preferred_name="Fern")
        profiles = {p.participant_id: p.language for p in CulturalProfile.objects.all()}
        actions = list(AuditEvent.objects.values_list("action", flat=True))
    assert benji.phone == "+12025550102" and benji.enrolled_on == date(2026, 3, 2)
    assert benji.time_zone == agency_a.time_zone  # empty: the agency's
    assert profiles[benji.pk] == "en" and profiles[dani.pk] == "es"
    assert dani.enrolled_on == agency_a.today()
    assert fern.external_id == "" and fern.phone == "+12025550106"
    assert fern.time_zone == "America/Denver" and fern.enrolled_on == date(2026, 4, 15)
    assert benji.assigned_peer is None
    assert actions.count("participant.created") == 6
    assert {"participant_import.uploaded", "participant_import.queued"} <= set(actions)
    assert "participant_import.finished" in actions


def test_column_names_are_guessed_in_several_spellings():
    assert imports.guess_mapping(
        ["preferred_name", "E-mail", "Teléfono", "Nombre legal", "ID", "Idioma", "Notes"]
    ) == {
        "preferred_name": "preferred_name",
        "email": "E-mail",
        "phone": "Teléfono",
        "legal_name": "Nombre legal",
        "external_id": "ID",
        "language": "Idioma",
    }
    assert imports.guess_mapping(["Nombre preferido", "Correo electrónico"]) == {
        "preferred_name": "Nombre preferido",
        "email": "Correo electrónico",
    }


@pytest.mark.django_db
def test_semicolons_windows_1252_and_a_byte_order_mark_are_read(
    admin_a_client, agency_a, supervisor_a
):
    text = "Preferred name;Email\nJosé;jose@example.org\n"
    for data in [text.encode("cp1252"), b"\xef\xbb\xbf" + text.encode("utf-8")]:
        response = admin_a_client.post(base(agency_a), {"file": csv_file(data)})
        assert response.status_code == 302
    with agency_scope(agency_a):
        for participant_import in ParticipantImport.objects.all():
            assert participant_import.delimiter == ";"
            assert participant_import.headers == ["Preferred name", "Email"]
            assert "José" in participant_import.csv_text


# Preview and row errors ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_preview_shows_each_rows_errors_and_the_totals(admin_a_client, agency_a):
    text = HEADER + (
        "R-1,Ana,ana@example.org,(202) 555-0101,2026-01-05,en\n"
        "R-2,Bo,,555-12,,\n"  # bad phone
        "R-3,Cy,,,2026-13-45,\n"  # bad date
        "R-4,,d@example.org,,,\n"  # no name
        ",Ed,,,,\n"  # no identity
        "R-1,Flo,,,,\n"  # repeats row 2's record number
        "R-7,Gus,,,,klingon\n"  # bad language
    )
    participant_import = make_import(agency_a, text, status=ImportStatus.MAPPED)
    response = admin_a_client.get(f"{base(agency_a)}{participant_import.pk}/preview/")
    assert response.status_code == 200
    assert (response.context["valid"], response.context["invalid"]) == (1, 6)
    errors = {row["number"]: row["errors"] for row in response.context["rows"]}
    assert errors[2] == []
    assert errors[3] == [("Mobile phone", "This is not a valid phone number.")]
    assert errors[4] == [("Enrolment date", "Not a date in the calendar.")]
    assert errors[5] == [("Preferred name", "Enter the name this person wants to be called.")]
    assert errors[6] == [
        (
            "Record number, email or phone",
            "Needs a record number, email or phone so a re-run cannot duplicate it.",
        )
    ]
    assert "row 2" in errors[7][0][1]
    assert errors[8][0][0] == "Preferred language"
    page = response.content.decode()
    assert "This is not a valid phone number." in page and "Run import" in page
    with agency_scope(agency_a):
        assert not Participant.objects.exists()  # a preview saves nothing

    done = run_now(participant_import)
    assert (done.created_count, done.error_count) == (1, 6)
    assert {(e["row"], e["field"]) for e in done.row_errors} >= {
        (3, "phone"),
        (4, "enrolled_on"),
        (5, "preferred_name"),
        (6, "identity"),
    }
    # Row errors say where and what, never the cell's value.
    assert "555-12" not in str(done.row_errors)


@pytest.mark.django_db
def test_mapping_needs_a_name_and_an_identity_and_distinct_columns(admin_a_client, agency_a):
    participant_import = make_import(agency_a)
    url = f"{base(agency_a)}{participant_import.pk}/mapping/"
    response = admin_a_client.post(url, {"preferred_name": "", "email": ""})
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert "preferred name" in errors["preferred_name"][0]
    assert "record number, email or phone" in errors["external_id"][0]
    response = admin_a_client.post(
        url, {"preferred_name": "Preferred Name", "email": "Email", "legal_name": "Email"}
    )
    assert response.status_code == 400
    assert "already chosen" in response.context["form"].errors["email"][0]
    response = admin_a_client.post(
        url, {"preferred_name": "Preferred Name", "external_id": "Record Number"}
    )
    assert response.status_code == 302
    with agency_scope(participant_import.agency_id):
        participant_import.refresh_from_db()
    assert participant_import.mapping == {
        "preferred_name": "Preferred Name",
        "external_id": "Record Number",
    }
    assert participant_import.status == ImportStatus.MAPPED


# Re-running and identity --------------------------------------------------------------------------


@pytest.mark.django_db
def test_running_the_same_file_again_creates_no_duplicates(agency_a):
    text = SAMPLE.read_text()
    first = imported(text, agency_a, date_order="mdy")
    assert first.created_count == 6
    again = imported(text, agency_a, date_order="mdy")
    assert (again.created_count, again.updated_count, again.skipped_count) == (0, 0, 6)
    # A changed row updates its participant; an empty cell changes nothing.
    changed = text.replace("HR-1002,Benji,Benjamin Sample", "HR-1002,Ben,").replace(
        ",Fern,,,,(202) 555-0106,America/Denver,4/15/2026,en", ",Fern,,,,(202) 555-0106,,,es"
    )
    third = imported(changed, agency_a, date_order="mdy")
    assert (third.created_count, third.updated_count, third.skipped_count) == (0, 2, 4)
    with agency_scope(agency_a):
        assert Participant.objects.count() == 6
        ben = Participant.objects.get(external_id="HR-1002")
        fern = Participant.objects.get(preferred_name="Fern")
        assert CulturalProfile.objects.get(participant=fern).language == "es"
        assert AuditEvent.objects.filter(action="participant.updated").count() == 2
    assert ben.preferred_name == "Ben" and ben.legal_name == "Benjamin Sample"
    assert fern.time_zone == "America/Denver"


@pytest.mark.django_db
def test_a_participant_added_by_hand_is_matched_by_email_and_gets_the_record_number(agency_a):
    by_hand = make_participant(agency_a, preferred_name="Dee", email="Dee@Example.org")
    done = imported(HEADER + "R-9,Dee,dee@example.org,,,\n", agency_a)
    assert (done.created_count, done.updated_count) == (0, 1)
    with agency_scope(agency_a):
        assert Participant.objects.get().pk == by_hand.pk
        assert Participant.objects.get().external_id == "R-9"


@pytest.mark.django_db
def test_another_agencys_import_neither_sees_nor_touches_its_participants(agency_a, agency_b):
    theirs = make_participant(agency_a, preferred_name="Ana", external_id="R-1", email="a@x.org")
    done = imported(HEADER + "R-1,Ana B,a@x.org,,,\n", agency_b)
    assert (done.created_count, done.updated_count) == (1, 0)
    with agency_scope(agency_b):
        mine = Participant.objects.get()
    assert mine.pk != theirs.pk and mine.agency_id == agency_b.pk
    with agency_scope(theirs.agency_id):
        theirs.refresh_from_db()
    assert theirs.preferred_name == "Ana"

    # A task told another agency's id cannot claim the import.
    participant_import = make_import(agency_a, status=ImportStatus.QUEUED)
    assert participant_import_run(agency_b.pk, participant_import.pk) == ""
    with agency_scope(participant_import.agency_id):
        participant_import.refresh_from_db()
    assert participant_import.status == ImportStatus.QUEUED


@pytest.mark.django_db
def test_a_second_delivery_of_the_task_does_nothing(agency_a):
    participant_import = make_import(agency_a, status=ImportStatus.MAPPED)
    done = run_now(participant_import)
    assert done.created_count == 1
    assert participant_import_run(agency_a.pk, participant_import.pk) == ""
    with agency_scope(agency_a):
        assert Participant.objects.count() == 1


@pytest.mark.django_db
def test_an_unexpected_error_marks_the_import_failed_and_logs_only_its_id(
    agency_a, monkeypatch, caplog
):
    def broken(row, *args, **kwargs):
        raise RuntimeError(f"boom {row.values}")

    monkeypatch.setattr(imports, "_import_row", broken)
    participant_import = make_import(agency_a, status=ImportStatus.MAPPED)
    with caplog.at_level(logging.ERROR, logger="participants.imports"):
        failed = run_now(participant_import)
    assert failed.status == ImportStatus.FAILED and failed.csv_text == ""
    assert str(participant_import.pk) in caplog.text and "Dee" not in caplog.text


# Bad files, permissions, double submit ------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "The file is empty."),
        (b"\n\n  \n", "The file is empty."),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a text file"),
        (b"PK\x03\x04\x14\x00\x06\x00", "Excel workbook"),
        (b"Preferred Name,Email\n" + b"x" * (2 * 1024 * 1024), "larger than 2 MB"),
        (b"Dee,dee@example.org,202-555-0143\n", "first row must hold the column names"),
        (b"Preferred Name,Email\n", "no rows"),
        (b"Name,Name\nDee,Dee\n", "same name"),
        (b"Name\n" + b"Dee\n" * 5001, "more than 5,000 rows"),
    ],
    ids=[
        "empty",
        "blank",
        "binary",
        "xlsx",
        "too-large",
        "no-header",
        "no-rows",
        "dup-header",
        "too-many-rows",
    ],
)
def test_bad_files_get_a_form_error_and_store_nothing(admin_a_client, agency_a, data, message):
    response = admin_a_client.post(base(agency_a), {"file": csv_file(data)})
    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors["file"])
    with agency_scope(agency_a):
        assert not ParticipantImport.objects.exists()


@pytest.mark.django_db
def test_pressing_run_twice_queues_once(
    admin_a_client, agency_a, sent, django_capture_on_commit_callbacks
):
    participant_import = make_import(agency_a, status=ImportStatus.MAPPED)
    url = f"{base(agency_a)}{participant_import.pk}/run/"
    with django_capture_on_commit_callbacks(execute=True):
        assert admin_a_client.post(url).status_code == 302
        assert admin_a_client.post(url).status_code == 302
    assert sent == [(agency_a.pk, participant_import.pk)]
    assert admin_a_client.get(url).status_code == 405
    # Once queued, the columns can no longer change.
    response = admin_a_client.get(f"{base(agency_a)}{participant_import.pk}/mapping/")
    assert response["Location"] == f"{base(agency_a)}{participant_import.pk}/"


@pytest.mark.django_db
def test_peer_specialists_get_403(peer_a_client, agency_a):
    participant_import = make_import(agency_a, status=ImportStatus.MAPPED)
    one = f"{base(agency_a)}{participant_import.pk}/"
    for url in [base(agency_a), one, one + "mapping/", one + "preview/"]:
        assert peer_a_client.get(url).status_code == 403
    for url in [base(agency_a), one + "mapping/", one + "run/"]:
        assert peer_a_client.post(url).status_code == 403
    with agency_scope(participant_import.agency_id):
        participant_import.refresh_from_db()
    assert participant_import.status == ImportStatus.MAPPED


# Cost ---------------------------------------------------------------------------------------------


def _rows(n: int) -> str:
    return HEADER + "".join(f"R-{i},Person {i},p{i}@example.org,,2026-01-05,es\n" for i in range(n))


def _queries_to_run(agency, text) -> int:
    participant_import = make_import(agency, text, status=ImportStatus.MAPPED)
    with CaptureQueriesContext(connection) as captured:
        run_now(participant_import)
    return len(captured)


@pytest.mark.django_db
def test_queries_per_row_are_bounded_and_lookups_are_batched():
    small, large = make_agency(), make_agency()
    make_member(small, Role.ADMIN)
    created_5, created_50 = _queries_to_run(small, _rows(5)), _queries_to_run(large, _rows(50))
    # Creating a participant is its own few inserts (participant, profile, change, audit);
    # finding the rows' matches is not per row.
    assert (created_50 - created_5) / 45 <= 6, (created_5, created_50)
    # Running the same files again changes nothing: the cost no longer depends on the rows.
    again_5, again_50 = _queries_to_run(small, _rows(5)), _queries_to_run(large, _rows(50))
    assert again_50 == again_5, (again_5, again_50)


# A real worker ------------------------------------------------------------------------------------


@pytest.mark.celery_worker
def test_a_real_worker_runs_the_import(celery_worker_queue):
    agency = make_agency()
    participant_import = make_import(agency, _rows(120), status=ImportStatus.QUEUED)

    participant_import_run.apply_async(
        args=[agency.pk, participant_import.pk], queue=celery_worker_queue
    )

    def status():
        with agency_scope(agency):
            return ParticipantImport.objects.get(pk=participant_import.pk)

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and status().status != ImportStatus.DONE:
        time.sleep(0.2)
    done = status()
    assert done.status == ImportStatus.DONE
    assert (done.created_count, done.processed_rows) == (120, 120)
    with agency_scope(agency):
        assert Participant.objects.count() == 120


# Peer specialists and date order (issue 14, point 9) ----------------------------------------------


@pytest.mark.django_db
def test_peers_come_from_a_column_or_one_choice_and_are_checked_against_the_agency(
    agency_a, agency_b, peer_a, supervisor_a
):
    other_peer = make_member(agency_a)
    left = make_member(agency_a, is_active=False)
    elsewhere = make_member(agency_b)
    kept = make_participant(agency_a, external_id="R-9", preferred_name="Kept", peer=other_peer)
    text = "Record number,Preferred name,Peer\n" + (
        f"R-1,Ana,{peer_a.user.email.upper()}\n"  # the column: any case
        "R-2,Bo,\n"  # empty: the one choice
        f"R-3,Cy,{elsewhere.user.email}\n"  # another agency's peer
        f"R-4,Di,{left.user.email}\n"  # no longer active
        f"R-5,Ed,{supervisor_a.user.email}\n"  # not a peer
        "R-9,Kept,\n"  # already has a peer: the one choice does not take them
    )
    done = imported(text, agency_a, default_peer=other_peer)
    assert (done.created_count, done.skipped_count, done.error_count) == (2, 1, 3)
    message = "Not the email of an active peer specialist of this agency."
    assert {(e["row"], e["field"], e["message"]) for e in done.row_errors} == {
        (4, "assigned_peer", message),
        (5, "assigned_peer", message),
        (6, "assigned_peer", message),
    }
    assert elsewhere.user.email not in str(done.row_errors)
    with agency_scope(agency_a):
        peers = dict(Participant.objects.values_list("external_id", "assigned_peer"))
    assert peers == {"R-1": peer_a.pk, "R-2": other_peer.pk, "R-9": kept.assigned_peer_id}

    # A column naming another peer does reassign: it is the file's explicit choice.
    done = imported(
        "Record number,Preferred name,Peer\n" + f"R-9,Kept,{peer_a.user.email}\n", agency_a
    )
    assert done.updated_count == 1
    with agency_scope(agency_a):
        assert Participant.objects.get(external_id="R-9").assigned_peer_id == peer_a.pk


@pytest.mark.django_db
def test_the_upload_form_offers_only_this_agencys_active_peers(
    supervisor_a_client, agency_a, agency_b, peer_a
):
    elsewhere = make_member(agency_b)
    page = supervisor_a_client.get(base(agency_a)).content.decode()
    assert f'<option value="{peer_a.pk}">' in page
    assert f'<option value="{elsewhere.pk}">' not in page
    response = supervisor_a_client.post(
        base(agency_a), {"file": csv_file("Name,Email\nDee,d@example.org\n"), "peer": elsewhere.pk}
    )
    assert response.status_code == 400
    response = supervisor_a_client.post(
        base(agency_a),
        {
            "file": csv_file("Name,Email\nDee,d@example.org\n"),
            "peer": peer_a.pk,
            "date_order": "dmy",
        },
    )
    assert response.status_code == 302
    with agency_scope(agency_a):
        participant_import = ParticipantImport.objects.get()
    assert (participant_import.default_peer_id, participant_import.date_order) == (peer_a.pk, "dmy")
    preview = supervisor_a_client.post(
        response["Location"], {"preferred_name": "Name", "email": "Email", "date_order": "dmy"}
    )
    page = supervisor_a_client.get(preview["Location"]).content.decode()
    assert "Peer specialist for every row" in page and "Day first (31/12/2026)" in page


@pytest.mark.parametrize(
    "value, order, expected",
    [
        ("2026-02-03", "", date(2026, 2, 3)),
        ("2026-02-03", "mdy", date(2026, 2, 3)),  # ISO whatever the order
        ("03/02/2026", "dmy", date(2026, 2, 3)),
        ("03/02/2026", "mdy", date(2026, 3, 2)),
        ("3.2.2026", "dmy", date(2026, 2, 3)),
        ("13/02/2026", "", date(2026, 2, 13)),  # only one reading
        ("02/13/2026", "", date(2026, 2, 13)),
        ("03/03/2026", "", date(2026, 3, 3)),  # both readings are the same day
    ],
)
def test_dates_are_read_in_the_files_order(value, order, expected):
    assert imports._parse_date(value, order) == expected


@pytest.mark.parametrize(
    "value, order, message",
    [
        ("03/02/2026", "", "Reads two ways"),
        ("13/02/2026", "mdy", "Not a date when read month first"),
        ("2026-02-30", "", "Not a date in the calendar."),
        ("Feb 3", "", "Enter the date as YYYY-MM-DD, or as day/month/year."),
    ],
)
def test_dates_that_cannot_be_read_say_why(value, order, message):
    with translation.override("en"), pytest.raises(imports.ValidationError) as refused:
        imports._parse_date(value, order)
    assert message in refused.value.messages[0]


@pytest.mark.django_db
def test_ambiguous_dates_without_an_order_import_nothing_and_name_the_rows(
    admin_a_client, agency_a
):
    text = "Preferred name,Email,Enrolment date\n" + "".join(
        f"P{n},p{n}@example.org,{'03/02/2026' if n % 2 else '2026-01-05'}\n" for n in range(1, 30)
    )
    participant_import = make_import(agency_a, text)
    url = f"{base(agency_a)}{participant_import.pk}/mapping/"
    mapping = {
        "preferred_name": "Preferred name",
        "email": "Email",
        "enrolled_on": "Enrolment date",
    }
    response = admin_a_client.post(url, mapping)
    assert response.status_code == 400
    (message,) = response.context["form"].errors["date_order"]
    assert "(rows 2, 4, 6, 8, 10, 12, 14, 16, 18, 20 and 5 more)" in message
    assert "nothing has been imported" in message
    with agency_scope(agency_a):
        assert ParticipantImport.objects.get().status == ImportStatus.UPLOADED
    # A task run on such a file (the file changed behind the mapping step) imports nothing.
    done = run_now(make_import(agency_a, text, mapping=mapping, status=ImportStatus.MAPPED))
    assert done.status == ImportStatus.FAILED
    assert [e["row"] for e in done.row_errors][:3] == [2, 4, 6]
    with agency_scope(agency_a):
        assert not Participant.objects.exists()
    # With the order chosen, the same file goes through, each date read that way.
    response = admin_a_client.post(url, {**mapping, "date_order": "dmy"})
    assert response.status_code == 302
    run_now(participant_import)
    with agency_scope(agency_a):
        assert set(Participant.objects.values_list("enrolled_on", flat=True)) == {
            date(2026, 2, 3),
            date(2026, 1, 5),
        }


# Encodings (FOUND-IN-USE: a Shift-JIS file was stored garbled) ------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "data, message",
    [
        (
            "Preferred name,Email\nタナカ,t@example.org\nスズキ,s@example.org\n".encode(
                "shift_jis"
            ),
            "another encoding (CP932)",
        ),
        # "ー" is 0x81 0x5B in Shift-JIS, and 0x81 means nothing in Windows-1252.
        ("氏名,メール\n田中太郎,t@example.org\n".encode("shift_jis"), "first on line 1"),
        ("Name,Email\n张伟,z@example.org\n李娜,l@example.org\n".encode("gbk"), "another encoding"),
        ("이름,이메일\n김민수,k@example.org\n".encode("euc-kr"), "another encoding"),
        # UTF-8 with one broken byte on line 3: the rest would arrive as "JosÃ©".
        (
            "Name,Email\nJosé,j@example.org\n".encode() + b"Ren\xe9e,r@example.org\n",
            "first on line 3",
        ),
        # Bytes Windows-1252 does not define.
        (b"Name,Email\nAna,a@example.org\nB\x81o,b@example.org\n", "first on line 3"),
    ],
    ids=["shift-jis-katakana", "shift-jis-kanji", "gbk", "euc-kr", "broken-utf8", "undefined"],
)
def test_files_in_an_encoding_we_cannot_read_are_refused_not_garbled(
    admin_a_client, agency_a, data, message
):
    response = admin_a_client.post(base(agency_a), {"file": csv_file(data)})
    assert response.status_code == 400
    errors = " ".join(response.context["form"].errors["file"])
    assert message in errors and "CSV UTF-8" in errors
    with agency_scope(agency_a):
        assert not ParticipantImport.objects.exists()


@pytest.mark.django_db
def test_western_files_with_accents_and_curly_quotes_are_still_read(admin_a_client, agency_a):
    text = "Nombre preferido;Correo\nJosé Muñoz;j@example.org\nO’Brien “Bri”;o@example.org\n"
    text += "Jürgen Größe;g@example.org\nRenée Côté;r@example.org\n"
    response = admin_a_client.post(base(agency_a), {"file": csv_file(text.encode("cp1252"))})
    assert response.status_code == 302
    with agency_scope(agency_a):
        assert "O’Brien “Bri”" in ParticipantImport.objects.get().csv_text
