"""Check-in trends, the supervisor dashboard, exports (CSV, FHIR) and agency instruments."""

import csv
import io
import json
import re
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Avg
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from agencies.models import AuditEvent, Role
from agencies.tenancy import agency_scope
from alliance.checkins import charts
from alliance.checkins.instrument_loading import instrument_load
from alliance.checkins.models import CheckInResponse, Instrument, InstrumentItem, Practice
from tests.conftest import client_for
from tests.factories import (
    make_checkin_response,
    make_dated_checkin_request,
    make_member,
    make_participant,
)

pytestmark = pytest.mark.django_db


def audit_actions(agency):
    with agency_scope(agency):
        return list(AuditEvent.objects.order_by("id").values_list("action", flat=True))


@pytest.fixture
def participant(agency_a, peer_a):
    return make_participant(agency_a, peer=peer_a, preferred_name="Dee")


def trend_url(agency, participant):
    return f"/a/{agency.slug}/participants/{participant.pk}/checkins/"


# Charts ------------------------------------------------------------------------------------


def test_line_chart_spaces_points_by_time_and_breaks_at_missing_scores():
    now = timezone.now()
    chart = charts.line_chart(
        [(now - timedelta(days=10), 50.0), (now - timedelta(days=9), None), (now, 100.0)],
        chart_id="c",
        title="t",
        desc="d",
        width=200,
        height=100,
        compact=True,
    )
    assert len(chart.points) == 2 and len(chart.segments) == 2
    assert chart.points[0].x == chart.left and chart.points[1].x == chart.right
    assert chart.points[1].y == chart.top and chart.points[0].y == (chart.top + chart.bottom) / 2


def test_one_point_sits_in_the_middle_and_no_data_draws_no_line():
    now = timezone.now()
    single = charts.line_chart([(now, 75.0)], chart_id="c", title="t", desc="d")
    assert single.points[0].x == (single.left + single.right) / 2
    assert charts.line_chart([], chart_id="c", title="t", desc="d").segments == []


def test_small_charts_are_labelled_on_the_same_scale_as_the_total():
    now = timezone.now()
    series = [(now - timedelta(days=9), 40.0), (now, 90.0)]
    total = charts.line_chart(series, chart_id="t", title="t", desc="d")
    small = charts.line_chart(
        series, chart_id="s", title="s", desc="d", width=240, height=120, compact=True
    )
    assert [tick.label for tick in small.y_ticks] == ["0%", "50%", "100%"]
    assert [tick.label for tick in small.x_ticks] == [t.label for t in total.x_ticks]
    # 100% is the top of both, 0% the bottom: the same scale, whatever the practice's range.
    assert small.y_ticks[-1].position == small.top and small.y_ticks[0].position == small.bottom


# Participant trend -------------------------------------------------------------------------


def test_trend_page_shows_svg_table_free_text_requests_and_licence(agency_a, peer_a, participant):
    make_checkin_response(participant, days_ago=20, scale_value=5, text="More time, please")
    make_checkin_response(
        participant, days_ago=10, answers_by_practice={"safety": 1}, channel="paper"
    )
    make_dated_checkin_request(participant, revoked=True)
    make_dated_checkin_request(participant, expired=True)
    make_dated_checkin_request(participant)
    with agency_scope(agency_a):
        Instrument.objects.update(licence_note="Written for Rapport; free to use.")
    page = client_for(peer_a.user).get(trend_url(agency_a, participant))
    assert page.status_code == 200
    html = page.text
    assert 'role="img"' in html and 'aria-labelledby="total-chart-title total-chart-desc"' in html
    assert '<title id="total-chart-title">' in html and '<desc id="total-chart-desc">' in html
    assert "<polyline" in html and "practice-chart-safety-title" in html
    # CSP: no inline scripts or styles.
    assert "<script" not in html and "style=" not in html
    assert (
        '<caption id="responses-caption">' in html
        and 'scope="col"' in html
        and 'scope="row"' in html
    )
    assert (
        'class="table-scroll" role="region" aria-labelledby="responses-caption" tabindex="0"'
        in html
    )
    assert "More time, please" in html
    assert ">Paper, entered by staff</span>" in html and "Paper Paper" not in html
    for status in ("Open", "Completed", "Expired", "Revoked"):
        assert f">{status}</span>" in html
    assert "Written for Rapport; free to use." in html
    assert audit_actions(agency_a).count("participant.viewed.checkins") == 1


def test_trend_page_with_no_check_ins(agency_a, admin_a_client, participant):
    page = admin_a_client.get(trend_url(agency_a, participant))
    assert page.status_code == 200 and "No check-ins yet." in page.text


def test_peer_outside_the_caseload_and_other_agencies_get_404(
    agency_a, agency_b, participant, admin_b
):
    other_peer = make_member(agency_a, Role.PEER)
    assert client_for(other_peer.user).get(trend_url(agency_a, participant)).status_code == 404
    assert client_for(admin_b.user).get(trend_url(agency_b, participant)).status_code == 404
    assert "participant.viewed.checkins" not in audit_actions(agency_a)


def test_trend_page_queries_do_not_grow_with_responses(
    agency_a, admin_a_client, participant, django_assert_max_num_queries
):
    make_checkin_response(participant, days_ago=30, text="first")
    url = trend_url(agency_a, participant)
    admin_a_client.get(url)  # the first request of a session records the session
    with CaptureQueriesContext(connection) as one:
        assert admin_a_client.get(url).status_code == 200
    for n in range(15):
        make_checkin_response(participant, days_ago=29 - n, text=f"answer {n}", scale_value=3)
    with django_assert_max_num_queries(len(one.captured_queries)):
        page = admin_a_client.get(url)
    assert page.text.count("<circle") == 2 * 16 + 16 * 9  # total chart (wide, narrow) + nine


def test_the_table_pages_newest_first_while_the_charts_keep_every_check_in(
    agency_a, admin_a_client, participant
):
    for n in range(23):
        make_checkin_response(participant, days_ago=60 - 2 * n, text=f"answer number {n}")
    for n in range(22):
        make_dated_checkin_request(participant, days_ago=n)
    url = trend_url(agency_a, participant)
    first = admin_a_client.get(url).text
    rows = re.findall(r"<q>answer number (\d+)</q>", first)
    assert rows == [str(n) for n in range(22, 2, -1)]  # the newest 20, newest first
    assert "newest first: 1 to 20 of 23." in first
    assert "23 check-ins from " in first  # the summary counts the whole history
    assert first.count("<circle") == 2 * 23 + 23 * 9  # and the charts draw every point
    assert 'href="?page=2#responses-h">Older check-ins</a>' in first
    assert "Newer check-ins" not in first
    # The 20 newest links, and a word that there are older ones.
    assert first.count('<span class="status') == 20 and "The 20 newest links." in first

    older = admin_a_client.get(f"{url}?page=2").text
    assert re.findall(r"<q>answer number (\d+)</q>", older) == ["2", "1", "0"]
    assert "newest first: 21 to 23 of 23." in older and "Page 2 of 2" in older
    assert 'href="?page=1#responses-h">Newer check-ins</a>' in older
    assert "Older check-ins" not in older
    # Past the last page is the last page; not a number is the first.
    assert "21 to 23 of 23" in admin_a_client.get(f"{url}?page=9").text
    assert "1 to 20 of 23" in admin_a_client.get(f"{url}?page=x").text


def test_svg_numbers_are_not_localized(agency_a, admin_a_client, participant):
    make_checkin_response(participant, days_ago=3, answers_by_practice={"safety": 2})
    make_checkin_response(participant, days_ago=1)
    page = admin_a_client.get(trend_url(agency_a, participant), HTTP_ACCEPT_LANGUAGE="es")
    numbers = re.findall(r' (?:cx|cy|x|y|x1|y1|width)="([^"]+)"', page.text)
    assert numbers and all(re.fullmatch(r"-?[0-9]+(\.[0-9]+)?", n) for n in numbers), numbers


# Dashboard ---------------------------------------------------------------------------------


def dashboard(client, agency, query=""):
    return client.get(f"/a/{agency.slug}/dashboard/{query}")


def test_dashboard_figures(agency_a, peer_a, supervisor_a):
    dee = make_participant(agency_a, peer=peer_a)
    make_checkin_response(dee, days_ago=5, scale_value=5)  # 100%
    make_checkin_response(dee, days_ago=4, scale_value=1)  # 0%, alerts
    make_checkin_response(dee, days_ago=100, scale_value=4)  # outside 30 days
    make_dated_checkin_request(dee, days_ago=2)  # open
    make_dated_checkin_request(dee, revoked=True)  # left out of the rate
    unassigned = make_participant(agency_a)
    make_checkin_response(unassigned, days_ago=1, scale_value=4)  # 75%
    page = dashboard(client_for(supervisor_a.user), agency_a)
    assert page.status_code == 200
    context = page.context
    assert context["requests"] == {"created": 4, "completed": 3, "rate": 75.0}
    responses = context["responses"]
    assert responses["responses"] == 3 and responses["average"] == round(175 / 3, 1)
    assert [count for _key, _label, count in responses["bands"]] == [1, 0, 1, 1]
    assert context["open_alerts"] == 1
    rows = {row.membership.pk if row.membership else None: row for row in context["peers"]}
    assert (rows[peer_a.pk].caseload, rows[peer_a.pk].responses) == (1, 2)
    assert rows[peer_a.pk].average == 50.0 and rows[peer_a.pk].open_alerts == 1
    assert rows[None].responses == 1 and rows[None].caseload == 1
    assert "No peer assigned" in page.text and 'role="img"' in page.text

    year = dashboard(client_for(supervisor_a.user), agency_a, "?period=365")
    assert year.context["responses"]["responses"] == 4


def test_dashboard_custom_dates_and_field_errors(agency_a, admin_a_client, participant):
    make_checkin_response(participant, days_ago=50)
    first = (timezone.localdate() - timedelta(days=60)).isoformat()
    last = (timezone.localdate() - timedelta(days=40)).isoformat()
    page = dashboard(admin_a_client, agency_a, f"?from={first}&to={last}")
    assert page.status_code == 200 and page.context["responses"]["responses"] == 1
    for query, field in [
        ("?from=2026-02-30&to=2026-03-01", "from"),
        ("?from=2026-03-02&to=2026-03-01", "to"),
        ("?from=2026-03-01", "to"),
        ("?to=2026-03-01", "from"),
        ("?from=1850-01-01&to=2026-03-01", "from"),
        ("?from=2026-01-01&to=9999-12-31", "to"),
        ("?period=abc", "period"),
        ("?period=7", "period"),
    ]:
        page = dashboard(admin_a_client, agency_a, query)
        assert page.status_code == 400, query
        assert field in page.context["form"].errors, query
        assert 'class="errorlist' in page.text and 'aria-invalid="true"' in page.text


def test_dashboard_is_for_supervisors_and_admins(agency_a, peer_a_client):
    assert dashboard(peer_a_client, agency_a).status_code == 403


def _tables_read(queries, table):
    return sum(f'FROM "{table}"' in query["sql"] for query in queries)


def test_dashboard_queries_do_not_grow_with_participants(
    agency_a, admin_a_client, django_assert_max_num_queries
):
    peers = [make_member(agency_a, Role.PEER) for _ in range(2)]
    first = make_participant(agency_a, peer=peers[0])
    make_checkin_response(first, days_ago=2, scale_value=1)
    dashboard(admin_a_client, agency_a)  # the first request of a session records the session
    with CaptureQueriesContext(connection) as small:
        assert dashboard(admin_a_client, agency_a).status_code == 200
    for n in range(49):
        someone = make_participant(agency_a, peer=peers[n % 2] if n % 5 else None)
        make_checkin_response(someone, days_ago=n % 20, scale_value=1 + n % 5)
        make_dated_checkin_request(someone, days_ago=n % 30)
    with django_assert_max_num_queries(len(small.captured_queries)) as large:
        page = dashboard(admin_a_client, agency_a)
    assert page.context["responses"]["responses"] == 50
    assert len(large.captured_queries) == len(small.captured_queries)
    # Each table of figures is read once: totals and per-peer rows come from the same query.
    for table in ("checkins_checkinrequest", "checkins_checkinresponse", "checkins_alert"):
        assert _tables_read(large.captured_queries, table) == 1, table


def test_dashboard_figures_are_those_of_the_separate_reports(agency_a, peer_a, supervisor_a):
    from alliance.checkins import reports

    other_peer = make_member(agency_a, Role.PEER)
    make_member(agency_a, Role.PEER)  # no participants: a row of zeros
    for n in range(12):
        someone = make_participant(
            agency_a,
            peer=[peer_a, other_peer, None][n % 3],
        )
        make_checkin_response(someone, days_ago=n * 3, scale_value=1 + n % 5)
        make_checkin_response(
            someone, days_ago=n, answers_by_practice=dict.fromkeys(Practice.values)
        )
        make_dated_checkin_request(someone, days_ago=n, revoked=n == 7)
        if n == 4:  # discharged after their check-ins (a discharged person gets no new links)
            with agency_scope(agency_a):
                type(someone).objects.filter(pk=someone.pk).update(status="discharged")
    with agency_scope(agency_a):
        for period in (reports.period_last_days(30), reports.period_last_days(7)):
            figures = reports.dashboard_figures(period)
            assert figures.requests == reports.request_summary(period)
            assert figures.responses == reports.response_summary(period)
            assert figures.responses["unscored"] > 0
            assert figures.open_alerts == reports.open_alert_count() > 0

            def rows(peer_rows):
                return [
                    (
                        r.membership and r.membership.pk,
                        r.caseload,
                        r.responses,
                        r.average,
                        r.open_alerts,
                    )
                    for r in peer_rows
                ]

            assert rows(figures.peers) == rows(reports.peer_summary(period))
            # The averages are AVG's, overall and by peer.
            in_period = CheckInResponse.objects.filter(
                submitted_at__gte=period.start, submitted_at__lt=period.end
            )
            overall = in_period.aggregate(average=Avg("percent"))["average"]
            assert figures.responses["average"] == round(overall, 1)
            by_peer = dict(
                in_period.values_list("participant__assigned_peer")
                .annotate(average=Avg("percent"))
                .order_by()
            )
            assert {
                row.membership and row.membership.pk: row.average
                for row in figures.peers
                if row.responses
            } == {peer: round(average, 1) for peer, average in by_peer.items()}


# CSV export --------------------------------------------------------------------------------


def export(client, agency, query=""):
    return client.get(f"/a/{agency.slug}/exports/responses.csv{query}")


def test_csv_export_has_ids_not_names(agency_a, supervisor_a, participant):
    response_row = make_checkin_response(
        participant, days_ago=3, answers_by_practice={"safety": 2}, text="=cmd|calc"
    )
    make_checkin_response(participant, days_ago=90)  # outside the dates
    today = timezone.localdate()
    query = f"?from={(today - timedelta(days=10)).isoformat()}&to={today.isoformat()}"
    got = export(client_for(supervisor_a.user), agency_a, query)
    assert got.status_code == 200
    assert got["Content-Disposition"].startswith("attachment;")
    assert set(got["Cache-Control"].split(", ")) == {"no-store", "private"}
    rows = list(csv.DictReader(io.StringIO(got.content.decode())))
    assert len(rows) == 1
    row = rows[0]
    assert row["response_id"] == str(response_row.pk)
    assert row["participant_id"] == str(participant.pk)
    assert row["submitted_at_utc"].endswith("+00:00")
    assert row["instrument_key"] == "peer-alliance-checkin" and row["instrument_version"] == "1"
    assert row["practice_safety_percent"] == "25.0" and row["practice_listening_percent"] == "75.0"
    assert row["channel"] == "link" and row["max_total"] == "45"
    text = got.content.decode()
    assert "Dee" not in text and "cmd" not in text  # no names, no free text
    assert set(rows[0]) >= {f"practice_{value}_percent" for value in Practice.values}
    assert audit_actions(agency_a).count("responses.exported") == 1


def test_csv_export_defaults_refuses_bad_dates_and_peers(agency_a, admin_a_client, peer_a_client):
    assert export(admin_a_client, agency_a).status_code == 200
    bad = export(admin_a_client, agency_a, "?from=yesterday&to=2026-01-01")
    assert bad.status_code == 400 and "errorlist" in bad.text
    assert export(peer_a_client, agency_a).status_code == 403


# FHIR --------------------------------------------------------------------------------------


def fhir_url(agency, response):
    return f"/a/{agency.slug}/checkins/responses/{response.pk}/fhir.json"


def test_fhir_questionnaire_response_shape(agency_a, peer_a, participant):
    stored = make_checkin_response(
        participant, days_ago=1, answers_by_practice={"goals": None}, text="Call on Fridays"
    )
    got = client_for(peer_a.user).get(fhir_url(agency_a, stored))
    assert got.status_code == 200 and got["Content-Type"].startswith("application/fhir+json")
    assert set(got["Cache-Control"].split(", ")) == {"no-store", "private"}
    body = json.loads(got.content)
    assert body["resourceType"] == "QuestionnaireResponse"
    assert body["id"] == str(stored.pk) and body["status"] == "completed"
    assert body["questionnaire"] == "urn:rapport:instrument:peer-alliance-checkin|1"
    assert body["subject"] == {"reference": f"Patient/{participant.pk}"}
    assert isinstance(body["authored"], str) and body["authored"].endswith("+00:00")
    assert isinstance(body["item"], list) and len(body["item"]) == 9  # 8 scale + 1 text
    for item in body["item"]:
        assert set(item) == {"linkId", "text", "answer"}
        assert isinstance(item["linkId"], str) and item["linkId"].isdigit()
        assert isinstance(item["text"], str) and item["text"]
        assert len(item["answer"]) == 1
        ((kind, value),) = item["answer"][0].items()
        assert (kind, type(value)) in {("valueInteger", int), ("valueString", str)}
    assert body["item"][-1]["answer"] == [{"valueString": "Call on Fridays"}]
    assert "Dee" not in got.content.decode()
    assert "participant.viewed.fhir" in audit_actions(agency_a)


def test_fhir_is_404_outside_the_caseload(agency_a, participant):
    stored = make_checkin_response(participant)
    other_peer = make_member(agency_a, Role.PEER)
    assert client_for(other_peer.user).get(fhir_url(agency_a, stored)).status_code == 404


# Agency instruments ------------------------------------------------------------------------


def fictional_instrument(**changes):
    data = {
        "key": "harbor-weekly",
        "version": 1,
        "name": "Harbor weekly check-in",
        "licence_note": "Written by Harbor staff; free to use.",
        "items": [
            {
                "position": 1,
                "kind": "scale",
                "practice": "listening",
                "text": {"en": "I was heard today.", "es": "Hoy me escucharon."},
                "scale_min": 0,
                "scale_max": 4,
                "label_min": {"en": "No"},
                "label_max": {"en": "Yes"},
                "required": True,
            },
            {"position": 2, "kind": "text", "text": {"en": "Anything else?"}},
        ],
    }
    data.update(changes)
    return data


def test_loading_an_instrument_creates_it_and_its_items(agency_a):
    with agency_scope(agency_a):
        instrument = instrument_load(agency=agency_a, data=fictional_instrument())
        items = list(InstrumentItem.objects.filter(instrument=instrument).order_by("position"))
    assert instrument.agency_id == agency_a.pk and not instrument.is_default
    assert [(i.kind, i.practice, i.scale_max, i.required) for i in items] == [
        ("scale", "listening", 4, True),
        ("text", "", None, False),
    ]
    with agency_scope(agency_a), pytest.raises(ValidationError, match="already has"):
        instrument_load(agency=agency_a, data=fictional_instrument())


@pytest.mark.parametrize(
    "change, message",
    [
        ({"key": "Not A Slug"}, "key"),
        ({"version": "2"}, "version"),
        ({"version": 0}, "version"),
        ({"name": ""}, "name"),
        ({"colour": "red"}, "colour"),
        ({"items": []}, "items"),
        ({"items": [{"position": 1, "kind": "text", "text": {"en": "Only text"}}]}, "scale item"),
    ],
)
def test_loading_refuses_bad_instruments(agency_a, change, message):
    with agency_scope(agency_a), pytest.raises(ValidationError) as error:
        instrument_load(agency=agency_a, data=fictional_instrument(**change))
    assert message in " ".join(error.value.messages)
    with agency_scope(agency_a):
        assert not Instrument.objects.filter(key__in=["harbor-weekly", "Not A Slug"]).exists()


@pytest.mark.parametrize(
    "item_change, message",
    [
        ({"kind": "slider"}, "items[1] (position 1): kind"),
        ({"practice": "kindness"}, "items[1] (position 1): practice"),
        ({"text": {"es": "Solo español"}}, "items[1] (position 1): text"),
        ({"text": {"en": "Hi", "fr": "Salut"}}, "items[1] (position 1): text"),
        ({"scale_min": 4}, "items[1] (position 1): scale_max"),
        ({"scale_max": 50}, "items[1] (position 1): scale_max"),
        ({"scale_min": -1}, "items[1] (position 1): scale_min"),
        ({"required": "yes"}, "items[1] (position 1): required"),
        ({"position": 2}, "items[2] (position 2): position"),
    ],
)
def test_loading_names_the_item_and_field(agency_a, item_change, message):
    data = fictional_instrument()
    data["items"][0].update(item_change)
    with agency_scope(agency_a), pytest.raises(ValidationError) as error:
        instrument_load(agency=agency_a, data=data)
    assert any(m.startswith(message) for m in error.value.messages), error.value.messages


def test_text_items_take_no_scale_or_practice(agency_a):
    data = fictional_instrument()
    data["items"][1].update({"practice": "goals", "scale_max": 5})
    with agency_scope(agency_a), pytest.raises(ValidationError) as error:
        instrument_load(agency=agency_a, data=data)
    assert {m.split(":")[1].strip() for m in error.value.messages} == {"practice", "scale_max"}


def test_management_command(agency_a, tmp_path):
    path = tmp_path / "instrument.json"
    path.write_text(json.dumps(fictional_instrument()))
    out = io.StringIO()
    call_command("load_instrument", str(path), agency=agency_a.slug, stdout=out)
    assert "Harbor weekly check-in" in out.getvalue()
    with agency_scope(agency_a):
        assert Instrument.objects.filter(key="harbor-weekly").count() == 1
    with pytest.raises(CommandError, match="already has"):
        call_command("load_instrument", str(path), agency=agency_a.slug)
    with pytest.raises(CommandError, match="No agency"):
        call_command("load_instrument", str(path), agency="nowhere")
    path.write_text("{not json")
    with pytest.raises(CommandError, match="JSON"):
        call_command("load_instrument", str(path), agency=agency_a.slug)


@pytest.fixture
def platform_admin(db):
    from allauth.mfa.totp.internal.auth import TOTP

    from agencies.models import User
    from tests.factories import TOTP_SECRET

    user = User.objects.create_superuser(email="root@example.org", password="x-long-password-1")
    TOTP.activate(user, TOTP_SECRET)
    return user


def test_platform_admin_uploads_an_instrument_for_an_agency(platform_admin, agency_a, agency_b):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = client_for(platform_admin)
    url = "/admin/checkins/instrument/upload/"
    assert client.get(url).status_code == 200
    upload = SimpleUploadedFile(
        "i.json", json.dumps(fictional_instrument()).encode(), "application/json"
    )
    got = client.post(url, {"agency": agency_b.pk, "file": upload})
    assert got.status_code == 302
    with agency_scope(agency_b):
        assert Instrument.objects.filter(key="harbor-weekly").exists()
    with agency_scope(agency_a):
        assert not Instrument.objects.filter(key="harbor-weekly").exists()
    bad = SimpleUploadedFile("i.json", b'{"key": "x"}', "application/json")
    refused = client.post(url, {"agency": agency_b.pk, "file": bad})
    assert refused.status_code == 200 and "version" in refused.text
    listing = client.get("/admin/checkins/instrument/")
    assert listing.status_code == 200 and "Harbor weekly check-in" in listing.text


def test_the_documented_example_loads(agency_a):
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "instruments.md").read_text()
    example = json.loads(re.search(r"```json\n(.*?)```", text, re.S).group(1))
    with agency_scope(agency_a):
        instrument = instrument_load(agency=agency_a, data=example)
        assert instrument.items.count() == len(example["items"])


def test_one_check_in_is_counted_in_the_singular(agency_a, peer_a, participant):
    make_checkin_response(participant)
    html = client_for(peer_a.user).get(trend_url(agency_a, participant)).text
    assert "1 check-in from" in html and "1 check-ins" not in html
