"""Check-in pages: staff (links, kiosk, paper, alerts, reports) and the participant's
single-use link."""

import csv
import json
import zoneinfo
from datetime import UTC, date, timedelta

import segno
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import transaction
from django.db.models import F, OuterRef, Subquery
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from agencies import links
from agencies.access import in_caseload
from agencies.formatting import format_day, format_moment
from agencies.services import audit_record
from agencies.submissions import stores_once
from agencies.tenancy import TokenLookup, agency_scope, find_by_token
from alliance.checkins import charts, pages, reports, services
from alliance.checkins import messages as checkin_messages
from alliance.checkins.forms import (
    AlertResolveForm,
    AlertTriageForm,
    CheckInForm,
    RepairChoiceForm,
    checkin_fields_html,
)
from alliance.checkins.models import (
    Alert,
    AlertStatus,
    Channel,
    CheckInRequest,
    CheckInResponse,
    InstrumentItem,
    Practice,
)
from alliance.checkins.repair import suggestions_ranked
from alliance.checkins.selectors import instrument_items
from alliance.messaging.contact_policy import next_allowed_time
from alliance.messaging.models import DeliveryChannel
from alliance.messaging.services import participant_channel
from participants.models import CulturalProfile

ALERTS_PAGE_SIZE = 25


def _link(token: str) -> str:
    return settings.SITE_URL + reverse("checkin", args=[token])


def _qr_svg(url: str) -> str:
    """The link as a QR code, inline SVG made on the server (no script, no image request).
    Dark on white with a quiet zone, so phone cameras read it off any screen."""
    code = segno.make(url, error="m")
    svg = code.svg_inline(
        scale=5, border=4, dark="#000", light="#fff", svgclass="qr", omitsize=True
    )
    label = escape(_("QR code of the check-in link: scan it with the phone's camera."))
    return svg.replace("<svg ", f'<svg role="img" aria-label="{label}" ', 1)


def _back(participant):
    return redirect(
        "participant_detail", agency_slug=participant.agency.slug, participant_id=participant.pk
    )


@require_POST
def checkin_link_create(request, agency_slug, participant):
    """A link to hand over now: to copy, to scan (QR code) or to read out. Shown once; only
    its hash is kept."""
    try:
        checkin, raw_token = services.checkin_request_create(
            participant=participant, channel=Channel.LINK, created_by=request.user
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return _back(participant)
    url = _link(raw_token)
    return render(
        request,
        "checkins/checkin_link_created.html",
        {
            "participant": participant,
            "checkin": checkin,
            "url": url,
            "qr": mark_safe(_qr_svg(url)),  # noqa: S308 (segno's SVG, our escaped label)
            # Formatted here: the date filter would turn it back into the agency's zone.
            "expires_for_participant": format_moment(checkin.expires_at, participant.time_zone),
            "participant_zone": participant.time_zone,
            "other_zone": participant.time_zone != request.agency.time_zone,
            "send_channel": participant_channel(participant),
        },
    )


@require_POST
def checkin_link_send(request, agency_slug, participant):
    """Send a one-off check-in link now by the participant's preferred consented channel."""
    try:
        channel = checkin_messages.checkin_link_send(participant=participant, sent_by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return _back(participant)
    if channel is None:
        messages.error(
            request,
            _("This person has not agreed to texts or emails. Show them a link to copy or scan."),
        )
        return _back(participant)
    now = timezone.now()
    profile = CulturalProfile.objects.filter(participant=participant).first()
    goes_out = (
        next_allowed_time(profile=profile, time_zone=participant.time_zone, at=now)
        if profile is not None
        else now
    )
    # Their quiet hours or a day without contact: the delivery waits (decision 180).
    if goes_out > now:
        messages.success(
            request,
            _(
                "A check-in link will go out at %(when)s, after %(name)s's quiet hours or "
                "day without contact. To check in sooner, show them a link to copy or scan."
            )
            % {"when": format_moment(goes_out), "name": participant.preferred_name},
        )
    elif channel == DeliveryChannel.SMS:
        messages.success(request, _("A check-in link is on its way by text message."))
    else:
        messages.success(request, _("A check-in link is on its way by email."))
    return _back(participant)


@require_POST
def checkin_kiosk_start(request, agency_slug, participant):
    """Hand the tablet over: a short-lived link opened right here, locked to the check-in. The
    staff session in this browser ends first: the tablet is the participant's now, and no
    staff page opens on it again without signing in (the button says so)."""
    try:
        _checkin, raw_token = services.checkin_request_create(
            participant=participant,
            channel=Channel.KIOSK,
            created_by=request.user,
            expires_in=timedelta(hours=1),
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return _back(participant)
    logout(request)
    return redirect("checkin", token=raw_token)


@require_POST
def checkin_request_revoke(request, agency_slug, participant, request_id):
    checkin = get_object_or_404(participant.checkin_requests, pk=request_id)
    if services.checkin_request_revoke(checkin=checkin, revoked_by=request.user):
        messages.success(request, _("Link revoked."))
    return redirect(
        "participant_detail", agency_slug=request.agency.slug, participant_id=participant.pk
    )


@require_http_methods(["GET", "POST"])
@stores_once
def checkin_paper_enter(request, agency_slug, participant):
    """Enter a check-in the participant filled in on paper (stored as channel 'paper')."""
    instrument = services.instrument_default()
    items = instrument_items(agency_id=request.agency.pk, instrument_id=instrument.pk)
    form = CheckInForm(
        request.POST if request.method == "POST" else None,
        items=items,
        language=request.LANGUAGE_CODE,
    )
    if request.method == "POST" and form.is_valid():
        previous = (
            CheckInResponse.objects.filter(participant=participant)
            .order_by("-submitted_at")
            .values_list("percent", flat=True)
            .first()
        )
        services.paper_checkin_enter(
            participant=participant,
            items=items,
            instrument=instrument,
            answers=form.answers(),
            entered_by=request.user,
            previous_percent=previous,
        )
        messages.success(request, _("Paper check-in saved."))
        return redirect(
            "participant_detail", agency_slug=request.agency.slug, participant_id=participant.pk
        )
    return render(
        request,
        "checkins/paper_checkin.html",
        {"participant": participant, "form": form},
        status=400 if form.errors else 200,
    )


# Alerts ------------------------------------------------------------------------------------


ALERT_VIEWS = {
    "open": gettext_lazy("Open and in progress"),
    "mine": gettext_lazy("Mine"),
    "supervisor": gettext_lazy("Asked for a supervisor"),
    "all": gettext_lazy("All, resolved too"),
}


def alert_list(request, agency_slug):
    """Unresolved alerts, the most urgent first: a request to talk with a supervisor, then by
    due time. "Mine" are those the member owns."""
    show = request.GET.get("show", "open")
    show = show if show in ALERT_VIEWS else "open"
    alerts = in_caseload(Alert.objects.all(), request.membership, "participant").select_related(
        "participant", "response", "owner__user"
    )
    if show != "all":
        alerts = alerts.exclude(status=AlertStatus.RESOLVED).order_by(
            F("supervisor_requested_at").desc(nulls_last=True),
            F("due_at").asc(nulls_last=True),
            "-created_at",
            "-id",
        )
    if show == "mine":
        alerts = alerts.filter(owner=request.membership)
    elif show == "supervisor":
        alerts = alerts.filter(supervisor_requested_at__isnull=False)
    page = Paginator(alerts, ALERTS_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "checkins/alert_list.html",
        {"page": page, "show": show, "views": ALERT_VIEWS, "now": timezone.now()},
    )


def _alert_page(request, alert, *, triage_form=None, resolve_form=None, status=200):
    free_text = []
    previous_scores = None
    scores = {}
    if alert.response:
        items = InstrumentItem.objects.filter(
            instrument_id=alert.response.instrument_id, kind="text"
        )
        free_text = [
            (item.in_language("text", request.LANGUAGE_CODE), alert.response.answers[str(item.pk)])
            for item in items
            if str(item.pk) in alert.response.answers
        ]
        scores = alert.response.practice_scores or {}
        previous_scores = (
            CheckInResponse.objects.filter(
                participant_id=alert.participant_id,
                submitted_at__lt=alert.response.submitted_at,
            )
            .order_by("-submitted_at", "-id")
            .values_list("practice_scores", flat=True)
            .first()
        )
    ranked = suggestions_ranked(alert.practices, scores, previous_scores)
    if triage_form is None:
        triage_form = AlertTriageForm(
            initial={
                "owner": alert.owner_id,
                "due_at": timezone.localtime(alert.due_at) if alert.due_at else None,
                "status": alert.status if alert.status != AlertStatus.RESOLVED else "open",
            }
        )
    return render(
        request,
        "checkins/alert_detail.html",
        {
            "alert": alert,
            "suggestions": ranked[:TOP_SUGGESTIONS],
            "more_suggestions": ranked[TOP_SUGGESTIONS:],
            "free_text": free_text,
            "triage_form": triage_form,
            "resolve_form": resolve_form or AlertResolveForm(),
            "overdue": alert.due_at is not None
            and alert.due_at < timezone.now()
            and alert.status != AlertStatus.RESOLVED,
        },
        status=status,
    )


TOP_SUGGESTIONS = 3


def alert_detail(request, agency_slug, alert):
    return _alert_page(request, alert)


@require_POST
def alert_triage(request, agency_slug, alert):
    form = AlertTriageForm(request.POST)
    if not form.is_valid():
        return _alert_page(request, alert, triage_form=form, status=400)
    services.alert_triage(
        alert=alert,
        by=request.user,
        owner=form.cleaned_data["owner"],
        due_at=form.cleaned_data["due_at"],
        status=form.cleaned_data["status"],
    )
    messages.success(request, _("Saved."))
    return redirect("alert_detail", agency_slug=request.agency.slug, alert_id=alert.pk)


@require_POST
def alert_acknowledge(request, agency_slug, alert):
    services.alert_acknowledge(alert=alert, by=request.user)
    return redirect("alert_detail", agency_slug=request.agency.slug, alert_id=alert.pk)


@require_POST
def alert_resolve(request, agency_slug, alert):
    form = AlertResolveForm(request.POST)
    if not form.is_valid():
        return _alert_page(request, alert, resolve_form=form, status=400)
    services.alert_resolve(alert=alert, by=request.user, note=form.cleaned_data["note"])
    messages.success(request, _("Alert resolved."))
    return redirect("alert_detail", agency_slug=request.agency.slug, alert_id=alert.pk)


def _language():
    return Subquery(
        CulturalProfile.objects.filter(participant=OuterRef("participant")).values("language")[:1]
    )


# One query: the request, what the page reads of its participant and agency, and the
# participant's language. The submit reads the same in its claim (services.checkin_claim).
REQUEST_FIELDS = [
    "agency_id",
    "participant_id",
    "instrument_id",
    "channel",
    "expires_at",
    "completed_at",
    "revoked_at",
]
RELATED_FIELDS = {
    "participant": ["preferred_name", "time_zone"],
    "agency": [
        "default_language",
        "alert_total_below_percent",
        "alert_drop_percent",
        "alert_item_at_or_below",
    ],
}
_for_page = TokenLookup(
    CheckInRequest,
    name="rapport_checkin_page",
    fields=REQUEST_FIELDS,
    related=RELATED_FIELDS,
    annotate={"language": _language},
)


def _for_repair_choice(requests):
    return requests.select_related("participant", "agency").annotate(language=_language())


def _unusable(request, status=410):
    return render(request, "checkins/checkin_unusable.html", {"kiosk": False}, status=status)


def _lookup_failed(request):
    """The page for an unknown, expired, used or revoked link. Each failure counts against
    the visitor's IP; once over the limit the answer is 429 (a working link still works from
    that address: the limit is there to stop guessing, which only ever fails)."""
    if links.lookup_failed(request):
        return render(request, "checkins/checkin_unusable.html", {"limited": True}, status=429)
    return _unusable(request)


@never_cache
@require_http_methods(["GET", "POST"])
def checkin(request, token):
    if request.method == "POST":
        return _checkin_submit(request, token)
    checkin = _for_page(token)
    if checkin is None or checkin.status != "open":
        return _lookup_failed(request)
    language = checkin.language or checkin.agency.default_language
    with agency_scope(checkin.agency_id), translation.override(language):
        items = instrument_items(agency_id=checkin.agency_id, instrument_id=checkin.instrument_id)
        return _checkin_page(request, checkin, form=None, items=items, language=language)


def _checkin_submit(request, token):
    """One transaction: spend the link and read it (one statement, `checkin_claim`), then
    store the answers; answers to correct roll it back, leaving the link open."""
    with transaction.atomic():
        checkin = services.checkin_claim(raw_token=token)
        if checkin is None:
            page = None
        else:
            language = checkin.language or checkin.agency.default_language
            with agency_scope(checkin.agency_id), translation.override(language):
                page = _checkin_answers_store(request, token, checkin, language)
    return _lookup_failed(request) if page is None else page


def _checkin_answers_store(request, token, checkin, language):
    items = instrument_items(agency_id=checkin.agency_id, instrument_id=checkin.instrument_id)
    form = CheckInForm(request.POST, items=items, language=language)
    if not form.is_valid():
        transaction.set_rollback(True)
        return _checkin_page(request, checkin, form=form, items=items, language=language)
    response = services.checkin_submit(
        checkin=checkin,
        items=items,
        answers=form.answers(),
        previous_percent=checkin.previous_percent,
        spent=True,
    )
    if checkin.channel == Channel.KIOSK and not response.has_alert:
        return redirect("checkin_kiosk_done")
    context = {"offer_choice": response.has_alert}
    if response.has_alert:
        context["choice_form"] = RepairChoiceForm()
    if pages.cacheable(request):
        if response.has_alert:
            page = pages.thanks_choice_page_html(
                request, language=language, token=token, context=context
            )
        else:
            page = pages.thanks_page_html(request, language=language, context=context)
        return HttpResponse(page)
    return render(request, "checkins/checkin_thanks.html", {**context, "token": token})


def _checkin_page(request, checkin, *, form, items, language):
    """The check-in page: blank (form None; kept rendered in this process, see
    alliance/checkins/pages.py) or with the answers and errors."""
    kiosk = checkin.channel == Channel.KIOSK
    # Every time on the page in the participant's own zone (a time is otherwise shown in the
    # server's UTC).
    with timezone.override(zoneinfo.ZoneInfo(checkin.participant.time_zone)):
        until = formats.date_format(timezone.localtime(checkin.expires_at), "DATETIME_FORMAT")
    if form is None:
        fields_html = checkin_fields_html(checkin.instrument_id, items=items, language=language)
        context = {"form": None, "fields_html": fields_html, "kiosk": kiosk}
        if pages.cacheable(request):
            key = (checkin.instrument_id, language, kiosk)
            page = pages.checkin_page_html(request, key=key, context=context, until=until)
            return HttpResponse(page)
    else:
        context = {"form": form, "fields_html": None, "kiosk": kiosk}
    return render(
        request,
        "checkins/checkin.html",
        {**context, "until": until},
        status=400 if form is not None and form.errors else 200,
    )


@never_cache
@require_POST
def checkin_repair_choice(request, token):
    """The participant's choice after a dip. The link is spent by now; the token still proves
    who answered, for a short while and once."""
    checkin = find_by_token(CheckInRequest, token, shape=_for_repair_choice)
    if checkin is None or checkin.completed_at is None:
        return _lookup_failed(request)
    language = checkin.language or checkin.agency.default_language
    with agency_scope(checkin.agency_id), translation.override(language):
        form = RepairChoiceForm(request.POST)
        response = CheckInResponse.objects.filter(request=checkin).first()
        if not form.is_valid() or response is None:
            return render(
                request,
                "checkins/checkin_thanks.html",
                {
                    "checkin": checkin,
                    "offer_choice": True,
                    "choice_form": form,
                    "token": token,
                    "kiosk": checkin.channel == Channel.KIOSK,
                },
                status=400,
            )
        recorded = services.repair_choice_record(
            response=response, choice=form.cleaned_data["choice"]
        )
        if checkin.channel == Channel.KIOSK:
            return redirect("checkin_kiosk_done")
        if recorded:
            outcome = "recorded"
        else:  # a choice was made before (this one is not stored), or the page is too old
            response.refresh_from_db(fields=["repair_choice"])
            outcome = "already" if response.repair_choice else "too_late"
        return render(
            request,
            "checkins/checkin_thanks.html",
            {"checkin": checkin, "choice_outcome": outcome},
            status=410 if outcome == "too_late" else 200,
        )


def checkin_kiosk_done(request):
    """The neutral screen a kiosk returns to: nothing about anyone on it."""
    return render(request, "checkins/kiosk_done.html")


EARLIEST_DATE = date(2000, 1, 1)
LATEST_DATE = date(2100, 12, 31)


# Forms -------------------------------------------------------------------------------------


class PeriodForm(forms.Form):
    """The reporting period: one of the last 30/90/365 days, or two dates (both inclusive,
    in the agency's time zone), which take precedence. Query keys: period, from, to."""

    period = forms.TypedChoiceField(
        label=gettext_lazy("Period"),
        choices=[
            (30, gettext_lazy("Last 30 days")),
            (90, gettext_lazy("Last 90 days")),
            (365, gettext_lazy("Last 365 days")),
        ],
        coerce=int,
        required=False,
        empty_value=None,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bounds = [
            MinValueValidator(
                EARLIEST_DATE,
                message=gettext_lazy("Choose a date in %(year)d or later.")
                % {"year": EARLIEST_DATE.year},
            ),
            MaxValueValidator(
                LATEST_DATE,
                message=gettext_lazy("Choose a date in %(year)d or earlier.")
                % {"year": LATEST_DATE.year},
            ),
        ]
        date_widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
        # "from" is a Python keyword, so these fields are added here rather than declared.
        self.fields["from"] = forms.DateField(
            label=gettext_lazy("From"),
            required=False,
            validators=bounds,
            widget=date_widget,
            input_formats=["%Y-%m-%d"],
            help_text=gettext_lazy(
                "Or choose both dates (YYYY-MM-DD, both included); they replace the period."
            ),
        )
        self.fields["to"] = forms.DateField(
            label=gettext_lazy("To"),
            required=False,
            validators=bounds,
            widget=date_widget,
            input_formats=["%Y-%m-%d"],
        )

    def clean(self):
        cleaned = super().clean()
        if "from" in self.errors or "to" in self.errors:
            return cleaned
        first, last = cleaned.get("from"), cleaned.get("to")
        if first and not last:
            self.add_error("to", _("Give an end date too, or leave both dates empty."))
        elif last and not first:
            self.add_error("from", _("Give a start date too, or leave both dates empty."))
        elif first and last and first > last:
            self.add_error("to", _("The end date must be on or after the start date."))
        return cleaned

    def chosen_period(self) -> reports.Period:
        """The period of a valid form (the last 30 days when nothing was chosen)."""
        first, last = self.cleaned_data.get("from"), self.cleaned_data.get("to")
        if first and last:
            return reports.Period(first_day=first, last_day=last)
        return reports.period_last_days(self.cleaned_data.get("period") or 30)


def _period_form(request) -> PeriodForm:
    keys = {"period", "from", "to"}
    return PeriodForm(request.GET if keys & set(request.GET) else None)


def _period_or_none(form: PeriodForm) -> reports.Period | None:
    if not form.is_bound:
        return reports.period_last_days(30)
    return form.chosen_period() if form.is_valid() else None


def _percent(value) -> str:
    if value is None:
        return "—"
    return f"{formats.number_format(value, decimal_pos=1)}%"


# Participant trend -------------------------------------------------------------------------


# The responses table shows this many check-ins a page, newest first (the charts and their
# summary keep the whole history; the CSV export has every response). Decision 154.
TREND_TABLE_PAGE = 20
# The check-in links listed, newest first; older links' outcomes are the responses above.
TREND_REQUESTS_SHOWN = 20


def _page_asked(request) -> int:
    """`?page=` (1 is the newest check-ins); anything not a page number is the first page
    (past the last, reports.participant_trend gives the last)."""
    raw = request.GET.get("page", "")
    return int(raw) if raw.isdigit() and len(raw) < 7 else 1


@require_safe
def participant_checkins(request, agency_slug, participant):
    """Total and per-practice scores over time (inline SVG, every check-in), a table of the
    responses with the participant's free text, newest first and 20 a page, and the newest
    check-in requests."""
    trend = reports.participant_trend(
        participant,
        language=request.LANGUAGE_CODE,
        page=_page_asked(request),
        page_size=TREND_TABLE_PAGE,
        request_limit=TREND_REQUESTS_SHOWN,
    )
    threshold = request.agency.alert_total_below_percent
    series = [(point.submitted_at, point.percent) for point in trend.points]
    scored = [percent for _when, percent in series if percent is not None]
    if scored:
        summary = ngettext(
            "%(count)d check-in from %(first)s to %(last)s. Latest %(latest)s, lowest "
            "%(lowest)s, highest %(highest)s. The dashed line marks the alert threshold of "
            "%(threshold)s%%. Every check-in is listed in the table below, newest first.",
            "%(count)d check-ins from %(first)s to %(last)s. Latest %(latest)s, lowest "
            "%(lowest)s, highest %(highest)s. The dashed line marks the alert threshold of "
            "%(threshold)s%%. Every check-in is listed in the table below, newest first.",
            len(series),
        ) % {
            "count": len(series),
            "first": format_day(series[0][0]),
            "last": format_day(series[-1][0]),
            "latest": _percent(scored[-1]),
            "lowest": _percent(min(scored)),
            "highest": _percent(max(scored)),
            "threshold": threshold,
        }
    else:
        summary = _("No scored check-ins yet.")
    # Every chart has the same dates: each is formatted once for all of them.
    date_labels: dict = {}
    # The total chart spans the page; a phone gets its own narrower drawing (CSS shows one),
    # so its labels stay readable instead of shrinking with a desktop-wide drawing.
    total_chart, total_chart_narrow = (
        charts.line_chart(
            series,
            chart_id=chart_id,
            title=_("Total score over time, as a percent of the maximum"),
            desc=summary,
            threshold=threshold,
            threshold_label=_("Alert threshold"),
            width=width,
            height=height,
            date_labels=date_labels,
        )
        for chart_id, width, height in (("total-chart", 960, 300), ("total-chart-narrow", 360, 240))
    )
    practice_charts = []
    for index, (value, label) in enumerate(trend.practices):
        points = [(point.submitted_at, point.practice_percents[index]) for point in trend.points]
        values = [percent for _when, percent in points if percent is not None]
        practice_charts.append(
            charts.line_chart(
                points,
                chart_id=f"practice-chart-{value}",
                title=label,
                desc=_("%(label)s: latest %(latest)s, lowest %(lowest)s, highest %(highest)s.")
                % {
                    "label": label,
                    "latest": _percent(values[-1]) if values else "—",
                    "lowest": _percent(min(values)) if values else "—",
                    "highest": _percent(max(values)) if values else "—",
                },
                width=240,
                height=120,
                compact=True,
                date_labels=date_labels,
            )
        )
    return render(
        request,
        "checkins/reports/participant_checkins.html",
        {
            "participant": participant,
            "trend": trend,
            "total_chart": total_chart,
            "total_chart_narrow": total_chart_narrow,
            "practice_charts": practice_charts,
            "paper": Channel.PAPER,
            "requests_shown": TREND_REQUESTS_SHOWN,
        },
    )


# Dashboard ---------------------------------------------------------------------------------


@require_safe
def alliance_dashboard(request, agency_slug):
    """Response rate, scores and their distribution, unresolved alerts and a per-peer summary
    for a period. A constant number of queries (see alliance/checkins/reports.py)."""
    form = _period_form(request)
    period = _period_or_none(form)
    context = {"form": form, "period": period}
    if period is not None:
        figures = reports.dashboard_figures(period)
        responses = figures.responses
        context.update(
            requests=figures.requests,
            responses=responses,
            open_alerts=figures.open_alerts,
            peers=figures.peers,
            bands_chart=charts.bar_chart(
                [(str(label), count) for _key, label, count in responses["bands"]],
                chart_id="bands-chart",
                title=_("Check-ins by score band"),
                desc="; ".join(f"{label}: {count}" for _key, label, count in responses["bands"]),
            ),
            export_query=f"from={period.first_day.isoformat()}&to={period.last_day.isoformat()}",
        )
    return render(
        request,
        "checkins/reports/dashboard.html",
        context,
        status=400 if period is None else 200,
    )


# Exports -----------------------------------------------------------------------------------

PRACTICE_COLUMNS = [f"practice_{value}_percent" for value in Practice.values]
CSV_HEADER = [
    "response_id",
    "participant_id",
    "submitted_at_utc",
    "channel",
    "instrument_key",
    "instrument_version",
    "total",
    "max_total",
    "percent",
    *PRACTICE_COLUMNS,
    "repair_choice",
]


def _csv_number(value) -> str:
    return "" if value is None else str(value)


@require_safe
def responses_csv(request, agency_slug):
    """Every response submitted in the period, one row each, participants by internal id only
    (docs/decisions.md). Built in full here, inside the agency scope, not streamed."""
    form = _period_form(request)
    period = _period_or_none(form)
    if period is None:
        return render(request, "checkins/reports/export_form.html", {"form": form}, status=400)
    rows = reports.responses_for_export(period)
    if request.method == "GET":
        audit_record(
            agency=request.agency,
            actor=request.user,
            action="responses.exported",
        )
    filename = (
        f"checkin-responses-{request.agency.slug}-"
        f"{period.first_day.isoformat()}-to-{period.last_day.isoformat()}.csv"
    )
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    writer = csv.writer(response)
    writer.writerow(CSV_HEADER)
    for row in rows:
        scores = row["practice_scores"] or {}
        writer.writerow(
            [
                row["id"],
                row["participant_id"],
                row["submitted_at"].astimezone(UTC).isoformat(),
                row["channel"],
                row["instrument__key"],
                row["instrument__version"],
                row["total"],
                row["max_total"],
                _csv_number(row["percent"]),
                *(_csv_number(scores.get(value)) for value in Practice.values),
                row["repair_choice"],
            ]
        )
    return response


@require_safe
def response_fhir(request, agency_slug, checkin_response):
    """One response as a FHIR R4 QuestionnaireResponse, for staff who may see the
    participant."""
    body = json.dumps(reports.fhir_questionnaire_response(checkin_response), ensure_ascii=False)
    response = HttpResponse(body, content_type="application/fhir+json; charset=utf-8")
    response["Cache-Control"] = "no-store"
    return response
