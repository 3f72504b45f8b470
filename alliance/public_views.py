"""The check-in page participants open from their link (no login; the token is the credential).

GET shows the check-in and never spends the token (mail scanners open links). The POST spends
it with a conditional update. Expired, used, revoked and unknown tokens all get the same
friendly page. Failed lookups are rate-limited per IP.
"""

import zoneinfo

from django.db.models import OuterRef, Subquery
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST
from django_ratelimit.core import is_ratelimited

from agencies.tenancy import agency_scope, find_by_token
from participants.models import CulturalProfile

from . import services
from .forms import CheckInForm, RepairChoiceForm
from .models import Channel, CheckInRequest, CheckInResponse
from .selectors import instrument_items

FAILED_LOOKUPS_PER_IP = "20/m"


def _with_context(requests):
    """One query: the request, its participant, instrument and agency, the participant's
    language, and the percent of their previous check-in (for the drop rule)."""
    previous = CheckInResponse.objects.filter(participant=OuterRef("participant")).order_by(
        "-submitted_at"
    )
    language = CulturalProfile.objects.filter(participant=OuterRef("participant")).values(
        "language"
    )[:1]
    return requests.select_related("participant", "instrument", "agency").annotate(
        language=Subquery(language), previous_percent=Subquery(previous.values("percent")[:1])
    )


def _unusable(request, status=410):
    return render(request, "alliance/checkin_unusable.html", {"kiosk": False}, status=status)


def _lookup(request, token):
    """The open request for `token`, or None. Counts failed lookups against the IP's limit."""
    if is_ratelimited(
        request, group="checkin-lookup", key="ip", rate=FAILED_LOOKUPS_PER_IP, increment=False
    ):
        return "limited"
    checkin = find_by_token(CheckInRequest, token, shape=_with_context)
    if checkin is None or checkin.status != "open":
        is_ratelimited(
            request, group="checkin-lookup", key="ip", rate=FAILED_LOOKUPS_PER_IP, increment=True
        )
        return None
    return checkin


@never_cache
@require_http_methods(["GET", "POST"])
def checkin(request, token):
    found = _lookup(request, token)
    if found == "limited":
        return render(request, "alliance/checkin_unusable.html", {"limited": True}, status=429)
    if found is None:
        return _unusable(request)
    checkin = found
    language = checkin.language or checkin.agency.default_language
    with agency_scope(checkin.agency_id), translation.override(language):
        items = instrument_items(agency_id=checkin.agency_id, instrument_id=checkin.instrument_id)
        form = CheckInForm(
            request.POST if request.method == "POST" else None, items=items, language=language
        )
        if request.method == "POST" and form.is_valid():
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
        expires = timezone.localtime(
            checkin.expires_at, zoneinfo.ZoneInfo(checkin.participant.time_zone)
        )
        return render(
            request,
            "alliance/checkin.html",
            {
                "checkin": checkin,
                "form": form,
                "expires": expires,
                "kiosk": checkin.channel == Channel.KIOSK,
            },
            status=400 if form.errors else 200,
        )


@never_cache
@require_POST
def checkin_repair_choice(request, token):
    """The participant's choice after a dip. The link is spent by now; the token still proves
    who answered, for a short while and once."""
    checkin = find_by_token(CheckInRequest, token, shape=_with_context)
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
        services.repair_choice_record(response=response, choice=form.cleaned_data["choice"])
        if checkin.channel == Channel.KIOSK:
            return redirect("checkin_kiosk_done")
        return render(
            request, "alliance/checkin_thanks.html", {"checkin": checkin, "choice_recorded": True}
        )


def checkin_kiosk_done(request):
    """The neutral screen a kiosk returns to: nothing about anyone on it."""
    return render(request, "alliance/kiosk_done.html")
