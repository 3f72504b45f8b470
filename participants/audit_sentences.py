"""The audit trail as sentences staff read ("Jordan Lee viewed Dee's goals"), with a link to
the thing, never a raw action code or request id (decision 114).

One mapping, SENTENCES, says for each audited action on a participant's record what happened
and where it can be seen. An action not listed reads as a generic sentence (a view of a page
we do not name reads as a look at the record, anything else as a change to it), so a new
action is never shown as a code. Sentences say who and what, never a score. The participant's
own view of the same events (second person, "looked at your goals") is in
alliance/portal/views.py."""

from dataclasses import dataclass
from datetime import datetime

from django.urls import NoReverseMatch, reverse
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from participants.services import PARTICIPANT_LINK_ACTOR

VIEWED = "participant.viewed."


@dataclass(frozen=True)
class Sentence:
    text: str  # "%(who)s viewed %(thing)s"
    thing: str  # "%(name)s's goals": the linked words
    route: str  # the page where the thing is seen, taking (agency_slug, participant_id)


def _s(text, thing, route="participant_detail") -> Sentence:
    return Sentence(text, thing, route)


# What each action says. %(who)s is who acted, %(thing)s the linked words, %(name)s inside
# them the participant's preferred name.
SENTENCES = {
    VIEWED + "page": _s(
        gettext_lazy("%(who)s viewed %(thing)s"), gettext_lazy("%(name)s's record")
    ),
    VIEWED + "edit": _s(
        gettext_lazy("%(who)s opened %(thing)s to change it"),
        gettext_lazy("%(name)s's record"),
        "participant_edit",
    ),
    VIEWED + "profile": _s(
        gettext_lazy("%(who)s viewed %(thing)s"),
        gettext_lazy("how %(name)s wants to be met"),
        "participant_profile",
    ),
    VIEWED + "consents": _s(
        gettext_lazy("%(who)s viewed %(thing)s"),
        gettext_lazy("%(name)s's consents"),
        "participant_consents",
    ),
    VIEWED + "boundaries": _s(
        gettext_lazy("%(who)s viewed %(thing)s"),
        gettext_lazy("%(name)s's boundaries agreement"),
        "participant_boundaries",
    ),
    VIEWED + "audit": _s(
        gettext_lazy("%(who)s viewed %(thing)s"),
        gettext_lazy("who has seen %(name)s's record"),
        "participant_audit",
    ),
    VIEWED + "goals": _s(
        gettext_lazy("%(who)s viewed %(thing)s"), gettext_lazy("%(name)s's goals"), "goal_list"
    ),
    VIEWED + "goal": _s(
        gettext_lazy("%(who)s opened %(thing)s"),
        gettext_lazy("one of %(name)s's goals"),
        "goal_list",
    ),
    VIEWED + "checkins": _s(
        gettext_lazy("%(who)s viewed %(thing)s"),
        gettext_lazy("%(name)s's check-ins"),
        "participant_checkins",
    ),
    VIEWED + "fhir": _s(
        gettext_lazy("%(who)s exported %(thing)s"),
        gettext_lazy("one of %(name)s's check-ins"),
        "participant_checkins",
    ),
    VIEWED + "alert": _s(
        gettext_lazy("%(who)s viewed %(thing)s"),
        gettext_lazy("an alert about %(name)s's check-in"),
        "participant_checkins",
    ),
    VIEWED + "commitments": _s(
        gettext_lazy("%(who)s viewed %(thing)s"),
        gettext_lazy("the commitments made with %(name)s"),
        "participant_commitments",
    ),
    "participant.created": _s(
        gettext_lazy("%(who)s created %(thing)s"), gettext_lazy("%(name)s's record")
    ),
    "participant.updated": _s(
        gettext_lazy("%(who)s changed %(thing)s"), gettext_lazy("%(name)s's record")
    ),
    "participant.transferred": _s(
        gettext_lazy("%(who)s assigned %(thing)s a new peer specialist"), "%(name)s"
    ),
    "participant.active": _s(
        gettext_lazy("%(who)s marked %(thing)s as active"), gettext_lazy("%(name)s's record")
    ),
    "participant.paused": _s(
        gettext_lazy("%(who)s paused %(thing)s"), gettext_lazy("%(name)s's record")
    ),
    "participant.discharged": _s(
        gettext_lazy("%(who)s recorded %(thing)s"), gettext_lazy("%(name)s's discharge")
    ),
    "profile.updated": _s(
        gettext_lazy("%(who)s changed %(thing)s"),
        gettext_lazy("how %(name)s wants to be met"),
        "participant_profile",
    ),
    "portal_link.revoked": _s(
        gettext_lazy("%(who)s stopped %(thing)s"), gettext_lazy("%(name)s's portal link")
    ),
}
GENERIC_VIEW = SENTENCES[VIEWED + "page"]
GENERIC_CHANGE = SENTENCES["participant.updated"]


def sentence_for(action: str) -> Sentence:
    """The sentence of an action; an unknown one falls back to a generic, readable one."""
    if action in SENTENCES:
        return SENTENCES[action]
    return GENERIC_VIEW if action.startswith(VIEWED) else GENERIC_CHANGE


def actor_words(event, participant_name: str) -> str:
    """Who acted, in words: a staff member's name, the participant through their own link,
    an integration through the API, or an automated job."""
    if event.actor is not None:
        return event.actor.get_full_name() or event.actor.email
    if event.actor_label == PARTICIPANT_LINK_ACTOR:
        return _("%(name)s (through their own link)") % {"name": participant_name}
    if event.actor_label.startswith("api-key:"):
        return _("An integration (through the API)")
    return _("An automated job")


@dataclass(frozen=True)
class AuditLine:
    when: datetime
    html: SafeString  # the sentence, its thing linked


def audit_line(event, *, participant, agency_slug: str) -> AuditLine:
    sentence = sentence_for(event.action)
    name = participant.preferred_name
    thing = str(sentence.thing) % {"name": name}
    try:
        url = reverse(sentence.route, args=[agency_slug, participant.pk])
    except NoReverseMatch:  # a page that is gone: the sentence stays, without its link
        url = ""
    linked = format_html('<a href="{}">{}</a>', url, thing) if url else escape(thing)
    who = escape(actor_words(event, name))
    html = mark_safe(escape(str(sentence.text)) % {"who": who, "thing": linked})  # noqa: S308
    return AuditLine(when=event.occurred_at, html=html)
