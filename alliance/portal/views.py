"""The participant portal: no login, the link's token is the credential.

Every view goes through `portal_page`, which
- answers 405 to a method the route never takes, before any lookup (decisions.md, 3);
- finds the link with `find_by_token` (the only cross-agency lookup) and answers the same
  friendly 404 to unknown, expired and revoked links, counting each failure against the
  visitor's IP address (agencies/links.py, the rule of every token link; 429 once limited);
- opens `agency_scope(link.agency_id)` and reaches the participant through the link only;
- renders in the participant's language and time zone;
- marks every response `never_cache` and `X-Robots-Tag: noindex`, and keeps the token out of
  Django's request log (the path carries it).

GET never writes to the database (mail scanners open links): no audit events, no "last seen".
Writes are POSTs through the services, which record the audit trail.
"""

import csv
import io
import json
import logging
from dataclasses import dataclass
from functools import wraps
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.http import HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from agencies import links
from agencies import selectors as agency_selectors
from agencies.models import Agency, Role
from agencies.tenancy import agency_scope, find_by_token
from agencies.tokens import token_hash
from alliance.checkins import charts
from alliance.goals import services as goal_services
from alliance.goals.forms import PortalAgreeForm, PortalGoalForm, StepToggleForm
from alliance.goals.models import GoalStep, RecoveryGoal
from alliance.portal import messages as portal_messages
from alliance.portal import selectors as portal_selectors
from alliance.portal.selectors import Outcome, Who
from participants import selectors, services
from participants.forms import WEEKDAYS, ChannelConsentForm, CulturalProfileForm
from participants.models import (
    BoundaryAgreement,
    Channel,
    Contact,
    ContactKind,
    CulturalProfile,
    Disclosure,
    DisclosureConsent,
    Participant,
    PortalLink,
)

logger = logging.getLogger(__name__)


# Notices shown after a POST redirects back to the home page (?done=...). A fixed list: the
# query string never puts text of its own on the page.
NOTICES = {
    "profile": gettext_lazy("Your profile is saved."),
    "preferences": gettext_lazy("Your contact preferences are saved."),
    "boundaries": gettext_lazy("Thank you. Your acknowledgement is recorded."),
    "changed": gettext_lazy(
        "The agreement changed while you were reading it. Please read this version, then "
        "acknowledge it."
    ),
    "goal-agreed": gettext_lazy("Thank you. Your agreement to the goal is recorded."),
    "goal-saved": gettext_lazy("Your goal is saved in your words, and your agreement recorded."),
    "goal-changed": gettext_lazy(
        "The words of this goal changed while you were reading them. Please read them again."
    ),
    "step": gettext_lazy("Your step is saved."),
}


@dataclass
class Portal:
    """What every portal view works with, reached through the link."""

    token: str
    link: PortalLink
    participant: Participant
    agency: Agency
    profile: CulturalProfile

    def url(self, name: str) -> str:
        return reverse(name, kwargs={"token": self.token})


def _quiet(response: HttpResponse) -> HttpResponse:
    """What every portal response carries besides `never_cache` (applied in `portal_page`).
    `_has_been_logged` stops Django's request logger from writing the path, which holds the
    token, for 4xx answers."""
    response["X-Robots-Tag"] = "noindex, nofollow"
    if response.status_code >= 400:
        response._has_been_logged = True
    return response


def _unusable(request) -> HttpResponse:
    """Unknown, expired and revoked links answer alike, in the visitor's own browser language
    (the participant's language would tell that the link once existed)."""
    limited = links.lookup_failed(request)
    logger.info("portal link lookup failed%s", " (rate limited)" if limited else "")
    response = render(
        request,
        "portal/unusable.html",
        {"limited": limited},
        status=429 if limited else 404,
    )
    return response  # Retry-After: agencies.middleware.PrivateResponseMiddleware


def _zone(participant: Participant, agency: Agency):
    for name in (participant.time_zone, agency.time_zone, "UTC"):
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError, TypeError):
            continue
    return ZoneInfo("UTC")


def _profile_of(participant: Participant, agency: Agency) -> CulturalProfile:
    """The participant's profile; an unsaved one in the agency's language if it is missing (a
    GET must not create it; saving the profile form does)."""
    profile = CulturalProfile.objects.filter(participant=participant).first()
    if profile is None:
        profile = CulturalProfile(
            agency=agency, participant=participant, language=agency.default_language
        )
    return profile


def portal_page(*methods: str):
    """Decorator for portal views: `view(request, portal, **url_kwargs)`. See the module
    docstring."""

    # HEAD is answered like GET (link checkers send it); neither writes anything.
    allowed = [*methods, "HEAD"] if "GET" in methods else list(methods)

    def decorate(view):
        @wraps(view)
        def wrapper(request, token, **kwargs):
            if request.method not in allowed:
                return _quiet(HttpResponseNotAllowed(allowed))
            link = find_by_token(PortalLink, token)
            if link is None or not link.is_usable:
                return _quiet(_unusable(request))
            with agency_scope(link.agency_id):
                participant = link.participant
                agency = participant.agency
                if not agency.is_active:
                    return _quiet(_unusable(request))
                portal = Portal(
                    token=token,
                    link=link,
                    participant=participant,
                    agency=agency,
                    profile=_profile_of(participant, agency),
                )
                language = portal.profile.language
                with translation.override(language), timezone.override(_zone(participant, agency)):
                    response = view(request, portal, **kwargs)
            response["Content-Language"] = language
            return _quiet(response)

        return never_cache(wrapper)

    return decorate


def _done(portal: Portal, notice: str) -> HttpResponseRedirect:
    return HttpResponseRedirect(f"{portal.url('portal_home')}?done={notice}")


def _render(request, portal: Portal, template: str, context: dict, status: int = 200):
    return render(
        request,
        f"portal/{template}",
        {"portal": portal, "participant": portal.participant, **context},
        status=status,
    )


# Home ----------------------------------------------------------------------------------------


def _terms_digest(agreement: BoundaryAgreement | None) -> str:
    """A short fingerprint of the personal terms the participant was shown, so an
    acknowledgement never covers terms staff changed after the page was loaded."""
    return token_hash(agreement.personal_terms if agreement else "")[:16]


@portal_page("GET")
def portal_home(request, portal: Portal):
    template, agreement = selectors.boundary_status(portal.participant)
    return _render(
        request,
        portal,
        "home.html",
        {
            "profile": portal.profile,
            "channel_consents": selectors.channel_consents_of(portal.participant),
            "weekday_labels": _weekday_labels(portal.profile),
            "channel_labels": _channel_labels(portal.profile),
            "boundary_template": template,
            "boundary_text": template.in_language(portal.profile.language) if template else None,
            "boundary_agreement": agreement,
            "terms_digest": _terms_digest(agreement),
            "goals": goal_services.goals_of(portal.participant),
            "notice": NOTICES.get(request.GET.get("done", "")),
            "introduction": agency_selectors.introduction_for(
                portal.participant.assigned_peer_id, portal.profile.language
            ),
            "disclosures": _disclosures_of(portal.participant),
            **_relationship(portal.participant),
            "access": _access_lines(portal_selectors.record_access(portal.participant)),
            "access_days": portal_selectors.ACCESS_DAYS,
            "access_limit": portal_selectors.ACCESS_LIMIT,
        },
    )


# The relationship: promises made to the participant, and their check-ins ------------------------

OUTCOME_WORDS = {  # each of one promise ("compromiso" in Spanish)
    Outcome.UPCOMING: pgettext_lazy("promise outcome", "Upcoming"),
    Outcome.NOT_MARKED: pgettext_lazy("promise outcome", "Due time passed, not marked yet"),
    Outcome.KEPT_ON_TIME: pgettext_lazy("promise outcome", "Kept on time"),
    Outcome.KEPT_LATE: pgettext_lazy("promise outcome", "Kept late"),
    Outcome.RENEGOTIATED: pgettext_lazy("promise outcome", "Moved to a new time, then kept"),
    Outcome.MISSED: pgettext_lazy("promise outcome", "Missed"),
    Outcome.CANCELLED: pgettext_lazy("promise outcome", "Cancelled"),
}


def _checkin_chart(history):
    scored = [percent for _when, percent in history if percent is not None]
    if scored:
        desc = _(
            "Your check-ins from %(first)s to %(last)s. The latest was %(latest)s%%; the "
            "lowest %(lowest)s%% and the highest %(highest)s%%."
        ) % {
            "first": formats.date_format(timezone.localtime(history[0][0]), "DATE_FORMAT"),
            "last": formats.date_format(timezone.localtime(history[-1][0]), "DATE_FORMAT"),
            "latest": formats.number_format(scored[-1], decimal_pos=0),
            "lowest": formats.number_format(min(scored), decimal_pos=0),
            "highest": formats.number_format(max(scored), decimal_pos=0),
        }
    else:
        desc = _("No check-ins with answers yet.")
    # Drawn at about the width of a phone, so its labels read at their own size there.
    return charts.line_chart(
        history,
        chart_id="portal-checkins",
        title=_("How our work together felt to you, check-in by check-in"),
        desc=desc,
        width=360,
        height=200,
    )


def _relationship(participant: Participant) -> dict:
    promises = portal_selectors.promises_to(participant)
    history = portal_selectors.checkin_history(participant)
    return {
        "promises": [
            {"line": line, "outcome_words": OUTCOME_WORDS[line.outcome]} for line in promises
        ],
        "promise_counts": [
            (OUTCOME_WORDS[outcome], n) for outcome, n in portal_selectors.outcome_counts(promises)
        ],
        "checkins": history,
        "checkins_recent": history[::-1][:5],
        "checkin_chart": _checkin_chart(history) if history else None,
    }


# "Who has seen my record", in plain words (alliance/portal/selectors.py) ----------------------

# What each audited action means to the participant. A view of a page not listed here reads as
# a look at their record; a change not listed as a change to it.
ACCESS_WHAT = {
    "participant.viewed.page": gettext_lazy("looked at your record"),
    "participant.viewed.edit": gettext_lazy("opened your record to change it"),
    "participant.viewed.profile": gettext_lazy("looked at how you want to be met"),
    "participant.viewed.consents": gettext_lazy("looked at your consents"),
    "participant.viewed.boundaries": gettext_lazy("looked at your boundaries agreement"),
    "participant.viewed.audit": gettext_lazy("looked at who has seen your record"),
    "participant.viewed.goals": gettext_lazy("looked at your goals"),
    "participant.viewed.goal": gettext_lazy("looked at one of your goals"),
    "participant.viewed.checkins": gettext_lazy("looked at your check-in answers"),
    "participant.viewed.fhir": gettext_lazy("looked at one of your check-in answers"),
    "participant.viewed.alert": gettext_lazy("looked at an alert about your check-in"),
    "participant.viewed.commitments": gettext_lazy("looked at the commitments made with you"),
    "participant.created": gettext_lazy("created your record"),
    "participant.updated": gettext_lazy("changed your record"),
    "participant.transferred": gettext_lazy("assigned you a new peer specialist"),
    "participant.active": gettext_lazy("marked your record as active"),
    "participant.paused": gettext_lazy("paused your record"),
    "participant.discharged": gettext_lazy("recorded your discharge"),
    "profile.updated": gettext_lazy("changed how you want to be met"),
    "portal_link.revoked": gettext_lazy("stopped your portal link"),
}

ROLE_WORDS = {
    Role.PEER: gettext_lazy("a peer specialist"),
    Role.SUPERVISOR: gettext_lazy("a supervisor"),
    Role.ADMIN: gettext_lazy("an agency administrator"),
}


def _access_who(entry) -> str:
    if entry.who == Who.YOU:
        return _("You")
    if entry.who == Who.YOUR_PEER:
        return _("%(name)s, your peer specialist,") % {"name": entry.name}
    if entry.who == Who.STAFF:
        return _("%(name)s, %(role)s,") % {"name": entry.name, "role": ROLE_WORDS[entry.role]}
    if entry.who == Who.FORMER_STAFF:
        return _("A former staff member")
    if entry.who == Who.PLATFORM:
        return _("Rapport's platform team, for maintenance,")
    return _("An automated job")


def _access_what(action: str) -> str:
    if action in ACCESS_WHAT:
        return str(ACCESS_WHAT[action])
    if action.startswith("participant.viewed."):
        return str(ACCESS_WHAT["participant.viewed.page"])
    return str(ACCESS_WHAT["participant.updated"])


def _access_lines(entries) -> list[dict]:
    """Each entry as a sentence ("Jordan Lee, your peer specialist, looked at your goals")
    with its time; the template adds the day."""
    return [
        {
            "when": entry.when,
            "text": _("%(who)s %(what)s")
            % {"who": _access_who(entry), "what": _access_what(entry.action)},
        }
        for entry in entries
    ]


def _weekday_labels(profile: CulturalProfile) -> list[str]:
    names = dict(WEEKDAYS)
    return [str(names[day]) for day in profile.observance_weekdays or [] if day in names]


def _channel_labels(profile: CulturalProfile) -> list[str]:
    names = dict(Channel.choices)
    return [str(names.get(code, code)) for code in profile.preferred_channels or []]


# Profile -------------------------------------------------------------------------------------


@portal_page("GET", "POST")
def portal_profile(request, portal: Portal):
    # Work-around: CulturalProfileForm sets the dates' initial on the field, but a ModelForm's
    # initial from the instance (the JSON list) wins, so the textarea would show "['…']" and
    # every save would count the dates as changed. Joined with CRLF, as browsers submit it.
    dates = "\r\n".join(portal.profile.observance_dates or [])
    form = CulturalProfileForm(
        request.POST or None, instance=portal.profile, initial={"observance_dates": dates}
    )
    if request.method == "POST" and form.is_valid():
        services.profile_update(
            profile=form.instance, data=form.cleaned_data, changed_by=None, by_participant=True
        )
        return _done(portal, "profile")
    return _render(
        request, portal, "profile.html", {"form": form}, status=400 if form.errors else 200
    )


# Contact preferences (channel consents) ------------------------------------------------------


@portal_page("GET", "POST")
def portal_preferences(request, portal: Portal):
    consents = selectors.channel_consents_of(portal.participant)
    current = {
        channel: channel in consents and consents[channel].is_granted
        for channel in (Channel.SMS, Channel.EMAIL)
    }
    form = ChannelConsentForm(request.POST or None, initial=current)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():  # both channels or neither
            for channel, granted in current.items():
                wanted = form.cleaned_data[str(channel)]
                if wanted != granted:  # a double submit finds nothing to change
                    services.channel_consent_set(
                        participant=portal.participant,
                        channel=channel,
                        granted=wanted,
                        recorded_by=None,
                        actor_label=services.PARTICIPANT_LINK_ACTOR,
                    )
        return _done(portal, "preferences")
    return _render(
        request, portal, "preferences.html", {"form": form}, status=400 if form.errors else 200
    )


# Boundaries agreement ------------------------------------------------------------------------


class AcknowledgeForm(forms.Form):
    """What the participant saw: the version and a fingerprint of their personal terms."""

    version = forms.IntegerField(min_value=1, max_value=2**31 - 1)
    terms = forms.CharField(max_length=16)


@portal_page("POST")
def portal_boundaries_acknowledge(request, portal: Portal):
    template, agreement = selectors.boundary_status(portal.participant)
    form = AcknowledgeForm(request.POST)
    if template is None:
        return HttpResponseRedirect(portal.url("portal_home"))
    if agreement is not None and agreement.acknowledged_at is not None:
        return _done(portal, "boundaries")  # a second submit keeps the first time
    if (
        not form.is_valid()
        or form.cleaned_data["version"] != template.version
        or form.cleaned_data["terms"] != _terms_digest(agreement)
    ):
        return _done(portal, "changed")
    services.boundary_acknowledge(participant=portal.participant, template=template)
    return _done(portal, "boundaries")


# Goals ---------------------------------------------------------------------------------------


def _not_found(request) -> HttpResponse:
    """A goal or step that is not this participant's, through a working link: the same page as
    an unusable link, without counting against the visitor (the link itself is good)."""
    return render(request, "portal/unusable.html", {"limited": False}, status=404)


def _goal(portal: Portal, goal_id: int) -> RecoveryGoal | None:
    return goal_services.goal_of(portal.participant, goal_id).first()


@portal_page("POST")
def portal_goal_agree(request, portal: Portal, goal_id: int):
    goal = _goal(portal, goal_id)
    if goal is None:
        return _not_found(request)
    form = PortalAgreeForm(request.POST)
    seen = form.cleaned_data["seen"] if form.is_valid() else ""
    try:
        goal_services.goal_agree(goal=goal, seen=seen)
    except goal_services.GoalChanged:
        return _done(portal, "goal-changed")
    return _done(portal, "goal-agreed")


@portal_page("GET", "POST")
def portal_goal_edit(request, portal: Portal, goal_id: int):
    """The participant writes the goal in their own words; saving records their agreement."""
    goal = _goal(portal, goal_id)
    if goal is None:
        return _not_found(request)
    initial = {
        "words": goal.words,
        "why_it_matters": goal.why_it_matters,
        "seen": goal_services.words_digest(goal.words),
    }
    form = PortalGoalForm(request.POST or None, initial=initial)
    changed = False
    if request.method == "POST" and form.is_valid():
        try:
            goal_services.goal_agree(
                goal=goal,
                seen=form.cleaned_data["seen"],
                words=form.cleaned_data["words"],
                why_it_matters=form.cleaned_data["why_it_matters"],
            )
        except goal_services.GoalChanged:
            # Show the current words beside what they typed, to start again from.
            changed = True
            goal.refresh_from_db()
            data = request.POST.copy()
            data["seen"] = goal_services.words_digest(goal.words)
            form = PortalGoalForm(data, initial=initial)
        else:
            return _done(portal, "goal-saved")
    return _render(
        request,
        portal,
        "goal_edit.html",
        {"form": form, "goal": goal, "changed": changed},
        status=400 if (form.is_bound and form.errors) or changed else 200,
    )


@portal_page("POST")
def portal_goal_step_toggle(request, portal: Portal, goal_id: int, step_id: int):
    goal = _goal(portal, goal_id)
    step = (
        GoalStep.objects.select_related("goal").filter(goal=goal, pk=step_id).first()
        if goal is not None
        else None
    )
    if step is None:
        return _not_found(request)
    form = StepToggleForm(request.POST)
    if form.is_valid():
        goal_services.goal_step_toggle(step=step, done=form.cleaned_data["done"], by=None)
    return HttpResponseRedirect(f"{portal.url('portal_home')}?done=step#goal-{goal.pk}")


# Downloads -----------------------------------------------------------------------------------


def _iso(value):
    return timezone.localtime(value).isoformat() if value else None


def _record(portal: Portal) -> dict:
    """Everything the portal shows about the participant, plus their contact log (notes
    included: they are part of the record the participant has a right to; decisions.md).
    Keys are stable English identifiers; chosen values are labels in the participant's
    language, so the file reads as the page does."""
    participant, profile = portal.participant, portal.profile
    consents = selectors.channel_consents_of(participant)
    agreements = (
        BoundaryAgreement.objects.filter(participant=participant)
        .select_related("template")
        .order_by("template__version")
    )
    contacts = Contact.objects.filter(participant=participant).order_by("occurred_at", "id")
    kinds = dict(ContactKind.choices)
    return {
        "exported_at": _iso(timezone.now()),
        "agency": portal.agency.name,
        "about_you": {
            "preferred_name": participant.preferred_name,
            "pronouns": participant.pronouns,
            "time_zone": participant.time_zone,
        },
        "cultural_profile": {
            "language": str(profile.get_language_display()),
            "cultural_identity": profile.cultural_identity,
            "faith_practice": profile.faith_practice,
            "recovery_pathways": profile.recovery_pathway_labels,
            "recovery_pathway_other": profile.recovery_pathway_other,
            "communication_style": profile.communication_style,
            "feels_respected_when": profile.feels_respected_when,
            "approach_with_care": profile.approach_with_care,
            "updated_at": _iso(profile.updated_at) if profile.pk else None,
        },
        "contact_preferences": {
            "okay_to_text": bool(consents.get("sms") and consents["sms"].is_granted),
            "okay_to_email": bool(consents.get("email") and consents["email"].is_granted),
            "consents": [
                {
                    "channel": str(consent.get_channel_display()),
                    "granted_at": _iso(consent.granted_at),
                    "revoked_at": _iso(consent.revoked_at),
                }
                for consent in consents.values()
            ],
            "preferred_channels": _channel_labels(profile),
            "weekly_days_without_contact": _weekday_labels(profile),
            "dates_without_contact": list(profile.observance_dates or []),
            "quiet_hours_start": profile.quiet_hours_start.strftime("%H:%M")
            if profile.quiet_hours_start
            else None,
            "quiet_hours_end": profile.quiet_hours_end.strftime("%H:%M")
            if profile.quiet_hours_end
            else None,
            "most_contacts_per_week": profile.max_contacts_per_week,
        },
        "boundaries_agreements": [
            {
                "version": agreement.template.version,
                "published_at": _iso(agreement.template.published_at),
                "when_staff_can_be_reached": text.staff_contact_hours,
                "how_soon_we_answer": text.response_time,
                "what_peer_support_covers": text.peer_support_covers,
                "what_peer_support_does_not_cover": text.peer_support_does_not_cover,
                "limits_of_confidentiality": text.confidentiality_limits,
                "personal_terms": agreement.personal_terms,
                "acknowledged_at": _iso(agreement.acknowledged_at),
            }
            for agreement in agreements
            for text in [agreement.template.in_language(profile.language)]
        ],
        "goals": [_goal_record(goal) for goal in goal_services.goals_of(participant)],
        "disclosures": [
            {
                "date": disclosure.disclosed_on.isoformat(),
                "shared_with": disclosure.recipient,
                "what_was_shared": disclosure.information,
                "why": disclosure.purpose,
                "consent_recipient": disclosure.consent.recipient,
                "consent_signed_on": disclosure.consent.signed_on.isoformat(),
            }
            for disclosure in _disclosures_of(participant)
        ],
        "disclosure_consents": [
            {
                "to_whom": consent.recipient,
                "who_may_disclose": consent.disclosing_party,
                "what_information": consent.information,
                "for_what_purpose": consent.purpose,
                "signed_on": consent.signed_on.isoformat(),
                "signed_by": consent.signed_by,
                "expires_on": consent.expires_on.isoformat() if consent.expires_on else None,
                "or_expires_upon": consent.expiry_event,
                "revoked_at": _iso(consent.revoked_at),
            }
            for consent in DisclosureConsent.objects.filter(participant=participant)
        ],
        "commitments_made_to_you": [
            {
                "what": line.what,
                "due": _iso(line.due_at),
                "outcome": str(OUTCOME_WORDS[line.outcome]),
                "closed_at": _iso(line.closed_at),
                "you_said_it_happened": line.participant_says_kept,
            }
            for line in portal_selectors.promises_to(participant, limit=None)
        ],
        "checkins": [
            {"date": _iso(when), "percent_of_highest": percent}
            for when, percent in portal_selectors.checkin_history(participant, limit=None)
        ],
        "contact_log": [
            {
                "date": _iso(contact.occurred_at),
                "kind": str(kinds.get(contact.kind, contact.kind)),
                "duration_minutes": contact.duration_minutes,
                "note": contact.note,
            }
            for contact in contacts
        ],
    }


def _disclosures_of(participant: Participant):
    """Disclosures made under the participant's consents (42 CFR Part 2), newest first."""
    return Disclosure.objects.filter(participant=participant).select_related("consent")


def _goal_record(goal: RecoveryGoal) -> dict:
    return {
        "goal": goal.words,
        "why_it_matters": goal.why_it_matters,
        "proposed_by": str(goal.get_proposed_by_display()),
        "status": str(goal.get_status_display()),
        "review_on": goal.review_on.isoformat() if goal.review_on else None,
        "agreed_at": _iso(goal.agreed_at),
        "agreed_words": goal.agreed_words,
        "needs_your_agreement": goal.needs_agreement,
        "created_at": _iso(goal.created_at),
        "steps": [
            {"step": step.text, "done": step.done_at is not None, "done_at": _iso(step.done_at)}
            for step in goal.steps.all()
        ],
    }


def _attachment(content, content_type: str, extension: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    filename = f"rapport-record-{timezone.localdate().isoformat()}.{extension}"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@portal_page("GET")
def portal_export_json(request, portal: Portal):
    body = json.dumps(_record(portal), cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
    return _attachment(body, "application/json; charset=utf-8", "json")


def _cell(value) -> str:
    """A CSV cell that a spreadsheet will not run as a formula."""
    if value is None:
        return ""
    if isinstance(value, bool):
        text = _("yes") if value else _("no")
    elif isinstance(value, list):
        text = "; ".join(str(item) for item in value)
    else:
        text = str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        text = "'" + text
    return text


def _rows(record: dict):
    """Flatten the record into (section, entry, field, value) rows."""
    for section, content in record.items():
        if isinstance(content, dict):
            for field, value in content.items():
                if isinstance(value, list) and value and isinstance(value[0], dict):
                    for number, item in enumerate(value, start=1):
                        for key, item_value in item.items():
                            yield section, f"{field} {number}", key, item_value
                else:
                    yield section, "", field, value
        elif isinstance(content, list):
            for number, item in enumerate(content, start=1):
                for field, value in item.items():
                    if isinstance(value, list) and value and isinstance(value[0], dict):
                        for sub_number, sub_item in enumerate(value, start=1):
                            for key, sub_value in sub_item.items():
                                yield section, f"{number} {field} {sub_number}", key, sub_value
                    else:
                        yield section, str(number), field, value
        else:
            yield "", "", section, content


@portal_page("GET")
def portal_export_csv(request, portal: Portal):
    buffer = io.StringIO()
    buffer.write("\ufeff")  # so spreadsheet programs read the accents of Spanish text
    writer = csv.writer(buffer)
    writer.writerow(["section", "entry", "field", "value"])
    for section, entry, field, value in _rows(_record(portal)):
        writer.writerow([section, entry, field, _cell(value)])
    return _attachment(buffer.getvalue(), "text/csv; charset=utf-8", "csv")


# Staff actions on a participant's portal link (under /a/<agency_slug>/) ----------------------


def _to_participant(participant):
    return redirect(
        "participant_detail", agency_slug=participant.agency.slug, participant_id=participant.pk
    )


@require_POST
def portal_link_create(request, agency_slug, participant):
    link, raw_token = services.portal_link_create(participant=participant, created_by=request.user)
    # The raw link is shown this once, for copying; only its hash is kept.
    return render(
        request,
        "portal/portal_link_created.html",
        {
            "participant": participant,
            "link": link,
            "url": settings.SITE_URL + reverse("portal_home", args=[raw_token]),
        },
    )


@require_POST
def portal_link_send(request, agency_slug, participant):
    """Send the portal link by the participant's preferred consented channel (a fresh link,
    made when the message goes out)."""
    if portal_messages.portal_link_send(participant=participant, sent_by=request.user):
        messages.success(request, _("The link is on its way."))
    else:
        messages.error(
            request, _("This person has not agreed to texts or emails. Copy the link instead.")
        )
    return _to_participant(participant)


@require_POST
def portal_link_revoke(request, agency_slug, participant):
    services.portal_link_revoke(participant=participant, revoked_by=request.user)
    messages.success(request, _("Portal link revoked."))
    return _to_participant(participant)
