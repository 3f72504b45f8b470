"""Staff pages for check-in trends, the supervisor dashboard and exports.

Who may use each page, and the participant (or one of their responses) a page shows, come from
its route (alliance/report_urls.py, agencies/access.py): another agency's, or, for a peer,
someone outside their caseload, is 404. Every GET that shows a participant's check-ins writes
one audit event (declared on the route); the CSV export writes one agency-level event.
"""

import csv
import json
from datetime import UTC, date

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from agencies.services import audit_record

from . import charts, reports
from .models import Channel, Practice

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


@require_safe
def participant_checkins(request, agency_slug, participant):
    """Total and per-practice scores over time (inline SVG), a table of every response with
    the participant's free text, and the list of check-in requests."""
    trend = reports.participant_trend(participant, language=request.LANGUAGE_CODE)
    threshold = request.agency.alert_total_below_percent
    series = [(row.response.submitted_at, row.response.percent) for row in trend.rows]
    scored = [percent for _when, percent in series if percent is not None]
    if scored:
        summary = _(
            "%(count)d check-ins from %(first)s to %(last)s. Latest %(latest)s, lowest "
            "%(lowest)s, highest %(highest)s. The dashed line marks the alert threshold of "
            "%(threshold)s%%. Every check-in is listed in the table below."
        ) % {
            "count": len(series),
            "first": formats.date_format(timezone.localtime(series[0][0]), "DATE_FORMAT"),
            "last": formats.date_format(timezone.localtime(series[-1][0]), "DATE_FORMAT"),
            "latest": _percent(scored[-1]),
            "lowest": _percent(min(scored)),
            "highest": _percent(max(scored)),
            "threshold": threshold,
        }
    else:
        summary = _("No scored check-ins yet.")
    total_chart = charts.line_chart(
        series,
        chart_id="total-chart",
        title=_("Total score over time, as a percent of the maximum"),
        desc=summary,
        threshold=threshold,
        threshold_label=_("Alert threshold"),
    )
    practice_charts = []
    for index, (value, label) in enumerate(trend.practices):
        points = [(row.response.submitted_at, row.practice_percents[index]) for row in trend.rows]
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
                width=200,
                height=80,
                compact=True,
            )
        )
    return render(
        request,
        "alliance/reports/participant_checkins.html",
        {
            "participant": participant,
            "trend": trend,
            "total_chart": total_chart,
            "practice_charts": practice_charts,
            "paper": Channel.PAPER,
        },
    )


# Dashboard ---------------------------------------------------------------------------------


@require_safe
def alliance_dashboard(request, agency_slug):
    """Response rate, scores and their distribution, unresolved alerts and a per-peer summary
    for a period. A constant number of queries (see alliance/reports.py)."""
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
        "alliance/reports/dashboard.html",
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
        return render(request, "alliance/reports/export_form.html", {"form": form}, status=400)
    rows = reports.responses_for_export(period)
    if request.method == "GET":
        audit_record(
            agency=request.agency,
            actor=request.user,
            action="responses.exported",
            request=request,
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
