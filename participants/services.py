"""Writes for participants and their records. Each runs inside the agency's scope."""

from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.models import Agency, Membership, Role, User
from agencies.services import audit_record
from agencies.tokens import token_new
from participants.models import (
    BoundaryAgreement,
    BoundaryTemplate,
    ChannelConsent,
    Contact,
    CulturalProfile,
    CulturalProfileChange,
    Disclosure,
    DisclosureConsent,
    LanguageTerm,
    Participant,
    ParticipantStatus,
    PortalLink,
)
from participants.signals import participant_transferred

PARTICIPANT_LINK_ACTOR = "participant-link"


def _check_peer(agency: Agency, peer: Membership | None) -> None:
    if peer is not None and (
        peer.agency_id != agency.pk or not peer.is_active or peer.role != Role.PEER
    ):
        raise ValidationError(
            {"assigned_peer": _("Choose an active peer specialist of this agency.")}
        )


@transaction.atomic
def participant_create(
    *, agency: Agency, created_by: User, fields: dict, language: str
) -> Participant:
    """Create a participant and their cultural profile. The time zone defaults to the agency's."""
    _check_peer(agency, fields.get("assigned_peer"))
    fields = {**fields, "time_zone": fields.get("time_zone") or agency.time_zone}
    participant = Participant.objects.create(agency=agency, **fields)
    CulturalProfile.objects.create(agency=agency, participant=participant, language=language)
    CulturalProfileChange.objects.create(
        agency=agency, participant=participant, changed_by=created_by, fields=["language"]
    )
    audit_record(
        agency=agency,
        actor=created_by,
        action="participant.created",
        target=participant,
    )
    return participant


@transaction.atomic
def participant_update(*, participant: Participant, changed_by: User, data: dict) -> Participant:
    """Change the record's fields to `data` (validated, e.g. a ParticipantForm's cleaned data)."""
    data = dict(data)
    to_peer = data.pop("assigned_peer", participant.assigned_peer)
    # The stored peer: a validated ModelForm has already set the new one on the instance.
    stored_peer_id = (
        Participant.objects.filter(pk=participant.pk).values_list("assigned_peer", flat=True).get()
    )
    for name, value in data.items():
        setattr(participant, name, value)
    participant.save(update_fields=list(data))
    audit_record(
        agency=participant.agency,
        actor=changed_by,
        action="participant.updated",
        target=participant,
    )
    if getattr(to_peer, "pk", None) != stored_peer_id:
        # A new peer through the edit form is a transfer, with its audit event and listeners.
        participant_transfer(participant=participant, to_peer=to_peer, changed_by=changed_by)
    return participant


def participant_transfer(
    *, participant: Participant, to_peer: Membership, changed_by: User
) -> None:
    _check_peer(participant.agency, to_peer)
    with transaction.atomic():
        participant.assigned_peer = to_peer
        participant.save(update_fields=["assigned_peer"])
        audit_record(
            agency=participant.agency,
            actor=changed_by,
            action="participant.transferred",
            target=participant,
        )
        # E.g. goal reviews due go to the new peer from now on (alliance.goals).
        participant_transferred.send(sender=Participant, participant=participant, by=changed_by)


@transaction.atomic
def participant_set_status(
    *,
    participant: Participant,
    status: str,
    changed_by: User,
    discharged_on: date | None = None,
    reason: str = "",
) -> None:
    """Pause, resume or discharge. A discharge needs its date and reason; the others clear them."""
    if status == ParticipantStatus.DISCHARGED and (discharged_on is None or not reason.strip()):
        raise ValidationError(_("A discharge needs a date and a reason."))
    participant.status = status
    participant.status_changed_at = timezone.now()
    is_discharge = status == ParticipantStatus.DISCHARGED
    participant.discharged_on = discharged_on if is_discharge else None
    participant.discharge_reason = reason.strip() if is_discharge else ""
    participant.save(
        update_fields=["status", "status_changed_at", "discharged_on", "discharge_reason"]
    )
    audit_record(
        agency=participant.agency,
        actor=changed_by,
        action=f"participant.{status}",
        target=participant,
    )


# Fields edited with the profile that are stored on the participant.
PROFILE_PARTICIPANT_FIELDS = {"pronouns"}


def profile_update(
    *,
    profile: CulturalProfile,
    data: dict,
    changed_by: User | None,
    by_participant: bool = False,
) -> CulturalProfile:
    """Change the profile to `data` (validated, e.g. a CulturalProfileForm's cleaned data) and
    record who changed which fields. A participant acting through their portal link has no
    user: `by_participant` says it was them. Compared with what is stored, not with `profile`
    itself: a validated ModelForm has already copied its data onto its instance."""
    with transaction.atomic():
        profile = CulturalProfile.objects.select_related("participant").get(pk=profile.pk)
        participant = profile.participant

        def stored(name):
            return getattr(participant if name in PROFILE_PARTICIPANT_FIELDS else profile, name)

        changed = [name for name, value in data.items() if stored(name) != value]
        if not changed:
            return profile
        for name in changed:
            setattr(
                participant if name in PROFILE_PARTICIPANT_FIELDS else profile, name, data[name]
            )
        profile.updated_at = timezone.now()
        profile.save()
        if PROFILE_PARTICIPANT_FIELDS & set(changed):
            participant.save(update_fields=sorted(PROFILE_PARTICIPANT_FIELDS & set(changed)))
        CulturalProfileChange.objects.create(
            agency=profile.agency,
            participant=profile.participant,
            changed_by=changed_by,
            by_participant=by_participant,
            fields=changed,
        )
        audit_record(
            agency=profile.agency,
            actor=changed_by,
            action="profile.updated",
            target=profile.participant,
            actor_label=PARTICIPANT_LINK_ACTOR if by_participant else "",
        )
    return profile


# Consent -------------------------------------------------------------------------------------


@transaction.atomic
def channel_consent_set(
    *,
    participant: Participant,
    channel: str,
    granted: bool,
    recorded_by: User | None,
    actor_label: str = "",
) -> ChannelConsent:
    """Grant or revoke consent for a channel. Revocation is effective at once: every sender
    checks consent when it sends. Revoking a channel never granted changes nothing."""
    now = timezone.now()
    consent = (
        ChannelConsent.objects.select_for_update()
        .filter(participant=participant, channel=channel)
        .first()
    )
    if consent is None:
        if not granted:
            return None
        consent = ChannelConsent(
            agency=participant.agency, participant=participant, channel=channel
        )
    if granted and not consent.is_granted:
        consent.granted_at, consent.revoked_at = now, None
    elif not granted and consent.is_granted:
        consent.revoked_at = now
    else:
        return consent
    consent.recorded_by = recorded_by
    consent.save()
    action = "consent.granted" if granted else "consent.revoked"
    audit_record(
        agency=participant.agency,
        actor=recorded_by,
        actor_label=actor_label,
        action=action,
        target=consent,
    )
    return consent


@transaction.atomic
def disclosure_consent_create(
    *, participant: Participant, created_by: User, data: dict
) -> DisclosureConsent:
    consent = DisclosureConsent.objects.create(
        agency=participant.agency, participant=participant, created_by=created_by, **data
    )
    audit_record(
        agency=participant.agency,
        actor=created_by,
        action="disclosure_consent.created",
        target=consent,
    )
    return consent


@transaction.atomic
def disclosure_consent_revoke(*, consent: DisclosureConsent, revoked_by: User) -> None:
    updated = DisclosureConsent.objects.filter(pk=consent.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    if updated:
        audit_record(
            agency=consent.agency,
            actor=revoked_by,
            action="disclosure_consent.revoked",
            target=consent,
        )


class DisclosureRefused(ValidationError):
    """The consent did not allow the disclosure on that day (revoked, expired, not yet
    signed), or the day is in the future."""


@transaction.atomic
def disclosure_record(*, participant: Participant, recorded_by: User, data: dict) -> Disclosure:
    """Record a disclosure made under one of the participant's consents to disclose (`data`:
    a validated DisclosureForm's cleaned data, `consent` among them). The consent is read
    locked, so a revocation at the same moment is either before (refused) or after."""
    consent = DisclosureConsent.objects.select_for_update().get(
        pk=data["consent"].pk, participant=participant
    )
    day = data["disclosed_on"]
    local_today = participant.agency.today()
    if day > local_today:
        raise DisclosureRefused({"disclosed_on": _("A disclosure cannot be dated in the future.")})
    if day < consent.signed_on:
        raise DisclosureRefused(
            {"consent": _("This consent was not yet signed on that day. Nothing was recorded.")}
        )
    if consent.revoked_at is not None and timezone.localdate(consent.revoked_at) <= day:
        raise DisclosureRefused(
            {
                "consent": _(
                    "This consent was revoked. It allows no disclosure from the day it was "
                    "revoked. Nothing was recorded."
                )
            }
        )
    if consent.expires_on is not None and consent.expires_on < day:
        raise DisclosureRefused(
            {
                "consent": _(
                    "This consent had expired on that day. Ask the participant for a new "
                    "consent first. Nothing was recorded."
                )
            }
        )
    disclosure = Disclosure.objects.create(
        agency=participant.agency,
        participant=participant,
        consent=consent,
        disclosed_on=day,
        recipient=data["recipient"],
        information=data["information"],
        purpose=data["purpose"],
        recorded_by=recorded_by,
    )
    audit_record(
        agency=participant.agency,
        actor=recorded_by,
        action="disclosure.recorded",
        target=disclosure,
    )
    return disclosure


# Boundaries ----------------------------------------------------------------------------------


def boundary_template_publish(
    *, agency: Agency, published_by: User, data: dict, translations: dict | None = None
) -> BoundaryTemplate:
    """Publish the next version of the agency's boundaries agreement, written in the agency's
    default language, with its `translations` ({"es": {field: text}}; empty languages left
    out). Earlier versions stay as they were; participants are asked to acknowledge the new
    one."""
    translations = {
        code: texts
        for code, texts in (translations or {}).items()
        if texts and code != agency.default_language
    }
    latest = (
        BoundaryTemplate.objects.order_by("-version").values_list("version", flat=True).first() or 0
    )
    template = BoundaryTemplate(
        agency=agency,
        version=latest + 1,
        published_by=published_by,
        language=agency.default_language,
        translations=translations,
        **data,
    )
    try:
        with transaction.atomic():
            template.save()
            audit_record(
                agency=agency,
                actor=published_by,
                action="boundaries.published",
                target=template,
            )
    except IntegrityError as error:  # two admins published at once
        raise ValidationError(
            _("Someone published a version just now. Reload and try again.")
        ) from error
    return template


@transaction.atomic
def boundary_terms_set(
    *,
    participant: Participant,
    template: BoundaryTemplate,
    personal_terms: str,
    changed_by: User,
) -> BoundaryAgreement:
    agreement, _created = BoundaryAgreement.objects.get_or_create(
        agency=participant.agency, participant=participant, template=template
    )
    if agreement.personal_terms != personal_terms:
        agreement.personal_terms = personal_terms
        agreement.acknowledged_at = None  # changed terms need a new acknowledgement
        agreement.save(update_fields=["personal_terms", "acknowledged_at"])
        audit_record(
            agency=participant.agency,
            actor=changed_by,
            action="boundaries.terms_set",
            target=agreement,
        )
    return agreement


@transaction.atomic
def boundary_acknowledge(
    *, participant: Participant, template: BoundaryTemplate
) -> BoundaryAgreement:
    """Record the participant's acknowledgement of `template` (idempotent: a second submit keeps
    the first time)."""
    agreement, _created = BoundaryAgreement.objects.get_or_create(
        agency=participant.agency, participant=participant, template=template
    )
    acknowledged = BoundaryAgreement.objects.filter(
        pk=agreement.pk, acknowledged_at__isnull=True
    ).update(acknowledged_at=timezone.now())
    if acknowledged:
        audit_record(
            agency=participant.agency,
            actor=None,
            actor_label=PARTICIPANT_LINK_ACTOR,
            action="boundaries.acknowledged",
            target=agreement,
        )
    agreement.refresh_from_db()
    return agreement


# Contacts ------------------------------------------------------------------------------------


@transaction.atomic
def contact_log(*, participant: Participant, staff: Membership, data: dict) -> Contact:
    contact = Contact.objects.create(
        agency=participant.agency, participant=participant, staff=staff, **data
    )
    audit_record(
        agency=participant.agency,
        actor=staff.user,
        action="contact.logged",
        target=contact,
    )
    return contact


# Language terms (person-first hints) -------------------------------------------------------


@transaction.atomic
def language_term_add(*, agency: Agency, added_by: User, data: dict) -> LanguageTerm:
    """Add a term the contact log's hints suggest another word for."""
    term = LanguageTerm.objects.create(agency=agency, **data)
    audit_record(agency=agency, actor=added_by, action="language_term.added", target=term)
    return term


@transaction.atomic
def language_term_delete(*, term: LanguageTerm, deleted_by: User) -> None:
    audit_record(agency=term.agency, actor=deleted_by, action="language_term.deleted", target=term)
    term.delete()


# Portal links --------------------------------------------------------------------------------


@transaction.atomic
def portal_link_create(
    *, participant: Participant, created_by: User | None
) -> tuple[PortalLink, str]:
    """Issue a new portal link and revoke the older ones. Returns the raw token, which is not
    stored: show it once, send it, forget it."""
    now = timezone.now()
    PortalLink.objects.filter(participant=participant, revoked_at__isnull=True).update(
        revoked_at=now
    )
    raw_token, hashed = token_new()
    link = PortalLink.objects.create(
        agency=participant.agency,
        participant=participant,
        token_hash=hashed,
        created_by=created_by,
        expires_at=now + timedelta(days=participant.agency.portal_link_expiry_days),
    )
    audit_record(
        agency=participant.agency,
        actor=created_by,
        action="portal_link.created",
        target=link,
    )
    return link, raw_token


@transaction.atomic
def portal_link_revoke(*, participant: Participant, revoked_by: User) -> int:
    revoked = PortalLink.objects.filter(participant=participant, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    if revoked:
        audit_record(
            agency=participant.agency,
            actor=revoked_by,
            action="portal_link.revoked",
            target=participant,
        )
    return revoked


@transaction.atomic
def participant_viewed(*, participant: Participant, actor: User, what: str = "page") -> None:
    """Every staff view of a participant's page or data leaves one audit event."""
    audit_record(
        agency=participant.agency,
        actor=actor,
        action=f"participant.viewed.{what}",
        target=participant,
    )
