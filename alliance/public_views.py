"""The check-in page participants open from their link (no login; the token is the credential).

GET shows the check-in and never spends the token (mail scanners open links). The POST spends
it with a conditional update. Expired, used, revoked and unknown tokens all get the same
friendly page. Failed lookups are rate-limited per IP.

This is the product's busiest page (benchmark 1 in docs/benchmarks.md): the GET is one query,
with the blank form rendered once per process; the POST is the lookup plus one transaction.
"""

import zoneinfo

from django.db.models import OuterRef, Subquery
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST
from django_ratelimit.core import is_ratelimited

from agencies.tenancy import TokenLookup, agency_scope, find_by_token
from participants.models import CulturalProfile

from . import services
from .forms import CheckInForm, RepairChoiceForm, checkin_fields_html
from .models import Channel, CheckInRequest, CheckInResponse
from .selectors import instrument_items

FAILED_LOOKUPS_PER_IP = "20/m"


def _language():
    return Subquery(
        CulturalProfile.objects.filter(participant=OuterRef("participant")).values("language")[:1]
    )


def _previous_percent():
    """The percent of the participant's previous check-in (for the drop rule)."""
    return Subquery(
        CheckInResponse.objects.filter(
            agency=OuterRef("agency"), participant=OuterRef("participant")
        )
        .order_by("-submitted_at")
        .values("percent")[:1]
    )


# One query each: the request, what the page and the submit read of its participant and
# agency, and the participant's language (the submit also the previous percent).
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
    fields=REQUEST_FIELDS,
    related=RELATED_FIELDS,
    annotate={"language": _language},
)
_for_submit = TokenLookup(
    CheckInRequest,
    fields=REQUEST_FIELDS,
    related=RELATED_FIELDS,
    annotate={"language": _language, "previous_percent": _previous_percent},
)


def _for_repair_choice(requests):
    return requests.select_related("participant", "agency").annotate(language=_language())


def _unusable(request, status=410):
    return render(request, "alliance/checkin_unusable.html", {"kiosk": False}, status=status)


def _lookup_failed(request):
    """The page for an unknown, expired, used or revoked link. Each failure counts against
    the visitor's IP; once over the limit the answer is 429 (a working link still works from
    that address: the limit is there to stop guessing, which only ever fails)."""
    if is_ratelimited(
        request, group="checkin-lookup", key="ip", rate=FAILED_LOOKUPS_PER_IP, increment=True
    ):
        return render(request, "alliance/checkin_unusable.html", {"limited": True}, status=429)
    return _unusable(request)


@never_cache
@require_http_methods(["GET", "POST"])
def checkin(request, token):
    submitting = request.method == "POST"
    checkin = (_for_submit if submitting else _for_page)(token)
    if checkin is None or checkin.status != "open":
        return _lookup_failed(request)
    language = checkin.language or checkin.agency.default_language
    with agency_scope(checkin.agency_id), translation.override(language):
        items = instrument_items(agency_id=checkin.agency_id, instrument_id=checkin.instrument_id)
        if not submitting:
            return _checkin_page(request, checkin, form=None, items=items, language=language)
        form = CheckInForm(request.POST, items=items, language=language)
        if form.is_valid():
            response = services.checkin_submit(
                checkin=checkin,
                items=items,
                answers=form.answers(),
                previous_percent=checkin.previous_percent,
            )
            if response is None:  # another submit of the same link won
                return _unusable(request)
            if checkin.channel == Channel.KIOSK and not response.has_alert:
                return redirect("checkin_kiosk_done")
            return render(
                request,
                "alliance/checkin_thanks.html",
                {
                    "checkin": checkin,
                    "offer_choice": response.has_alert,
                    "choice_form": RepairChoiceForm(),
                    "token": token,
                    "kiosk": checkin.channel == Channel.KIOSK,
                },
            )
        return _checkin_page(request, checkin, form=form, items=items, language=language)


def _checkin_page(request, checkin, *, form, items, language):
    """The check-in page: blank (form None; its fields are rendered once per process for
    this instrument and language, see checkin_fields_html) or with the answers and errors."""
    expires = timezone.localtime(
        checkin.expires_at, zoneinfo.ZoneInfo(checkin.participant.time_zone)
    )
    if form is None:
        fields_html = checkin_fields_html(checkin.instrument_id, items=items, language=language)
    else:
        fields_html = None
    return render(
        request,
        "alliance/checkin.html",
        {
            "checkin": checkin,
            "form": form,
            "fields_html": fields_html,
            "expires": expires,
            "kiosk": checkin.channel == Channel.KIOSK,
        },
        status=400 if form is not None and form.errors else 200,
    )


@never_cache
@require_POST
def checkin_repair_choice(request, token):
    """The participant's choice after a dip. The link is spent by now; the token still proves
    who answered, for a short while and once."""
    checkin = find_by_token(CheckInRequest, token, shape=_for_repair_choice)
    if checkin is None or checkin.completed_at is None:
        return _unusable(request)
    language = checkin.language or checkin.agency.default_language
    with agency_scope(checkin.agency_id), translation.override(language):
        form = RepairChoiceForm(request.POST)
        response = CheckInResponse.objects.filter(request=checkin).first()
        if not form.is_valid() or response is None:
            return render(
                request,
                "alliance/checkin_thanks.html",
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
            "alliance/checkin_thanks.html",
            {"checkin": checkin, "choice_outcome": outcome},
            status=410 if outcome == "too_late" else 200,
        )


def checkin_kiosk_done(request):
    """The neutral screen a kiosk returns to: nothing about anyone on it."""
    return render(request, "alliance/kiosk_done.html")
