"""Figures people read: one date and time style per language (decision 110), a curated time-zone
picker (decision 111) and counts in the singular when there is one."""

import re
import zoneinfo
from datetime import date, datetime
from pathlib import Path

import pytest
from django.utils import translation

from agencies.formatting import format_day, format_moment
from agencies.time_zones import CURATED, time_zone_choices, time_zone_label
from tests.conftest import client_for

ROOT = Path(__file__).resolve().parents[2]
MOMENT = datetime(2026, 11, 30, 18, 23, tzinfo=zoneinfo.ZoneInfo("UTC"))


@pytest.fixture(autouse=True)
def _in_english():
    """English unless a test says otherwise (an earlier test may leave another active)."""
    with translation.override("en"):
        yield


@pytest.mark.parametrize(
    "language, moment, day",
    [
        ("en", "Mon, Nov 30, 2026, 1:23 PM", "Mon, Nov 30, 2026"),
        ("es", "lun 30 nov 2026, 13:23", "lun 30 nov 2026"),
    ],
)
def test_one_date_and_time_style_per_language(language, moment, day):
    with translation.override(language):
        assert format_moment(MOMENT, "America/New_York") == moment
        assert format_day(date(2026, 11, 30)) == day


def test_a_sentence_ending_in_a_time_does_not_end_in_two_periods():
    with translation.override("en"):
        assert not format_moment(MOMENT, "America/New_York").endswith(".")


ALLOWED_TEMPLATE_FORMATS = {"DATE_FORMAT", "DATETIME_FORMAT", "TIME_FORMAT", "c", "T"}


def test_templates_use_only_the_shared_date_styles():
    """`|date:"D j M, H:i"` or SHORT_DATETIME_FORMAT would be a fourth style on one page."""
    found = []
    for path in (ROOT / "templates").rglob("*"):
        if path.suffix not in {".html", ".txt"}:
            continue
        for match in re.finditer(r"\|(?:date|time):[\"']([^\"']*)[\"']", path.read_text()):
            if match.group(1) not in ALLOWED_TEMPLATE_FORMATS:
                found.append(f"{path.relative_to(ROOT)}: {match.group(0)}")
    assert not found, "\n".join(found)


def test_python_formats_dates_only_through_the_shared_styles():
    found = []
    for folder in ("agencies", "participants", "alliance", "config"):
        for path in (ROOT / folder).rglob("*.py"):
            if "migrations" in path.parts or "formats" in path.parts:
                continue
            text = path.read_text()
            for match in re.finditer(r"date_format\([^)]*?[\"']([^\"']+)[\"']\)", text):
                if match.group(1) not in {"DATE_FORMAT", "DATETIME_FORMAT", "SHORT_DATE_FORMAT"}:
                    found.append(f"{path.relative_to(ROOT)}: {match.group(0)}")
    assert not found, "\n".join(found)


def test_the_time_zone_picker_is_a_short_grouped_list_of_real_zones():
    choices = time_zone_choices("America/Chicago")
    names = [name for _region, zones in choices for name, _label in zones]
    assert len(names) < 60 and len(names) == len(set(names))
    assert "Factory" not in names and "localtime" not in names
    assert set(names) <= zoneinfo.available_timezones()
    with translation.override("en"):
        assert [str(region) for region, _zones in choices][0] == "United States and Canada"
        assert time_zone_label("America/New_York") == "Eastern Time (New York)"
    with translation.override("es"):
        assert str(CURATED[0][0]) == "Estados Unidos y Canadá"


def test_a_stored_zone_not_on_the_list_stays_chosen(admin_a_client, agency_a):
    agency_a.time_zone = "America/Boise"
    agency_a.save(update_fields=["time_zone"])
    page = admin_a_client.get("/a/agency-a/settings/")
    html = page.text
    assert '<optgroup label="United States and Canada">' in html
    assert '<option value="America/Boise" selected>America/Boise</option>' in html
    assert "Factory" not in html and ">localtime<" not in html
    assert '<option value="America/New_York">Eastern Time (New York)</option>' in html


def test_the_participant_form_offers_the_agency_zone_first(agency_a, peer_a):
    html = client_for(peer_a.user).get("/a/agency-a/participants/new/").text
    assert "The agency&#x27;s time zone" in html and "Factory" not in html


def test_schedule_choices_say_every_week_in_the_page_language():
    from alliance.commitments.forms import CheckInScheduleForm

    with translation.override("es"):
        labels = [str(label) for _n, label in CheckInScheduleForm().fields["every_weeks"].choices]
    assert "Cada semana" in labels and "Cada 2 semanas" in labels
    with translation.override("en"):
        labels = [str(label) for _n, label in CheckInScheduleForm().fields["every_weeks"].choices]
    assert labels[1:3] == ["Every week", "Every 2 weeks"]


def test_pages_name_the_time_zone_in_words(agency_a, peer_a):
    from tests.factories import make_participant

    agency_a.time_zone = "America/New_York"
    agency_a.save(update_fields=["time_zone"])
    person = make_participant(agency_a, peer=peer_a)
    page = client_for(peer_a.user).get(f"/a/agency-a/participants/{person.pk}/commitments/")
    assert "Times are in Eastern Time (New York)." in page.text
