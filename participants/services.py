"""Writes for participants and their records. Each runs inside the agency's scope."""

from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.models import Agency, Membership, Role, User
from agencies.services import audit_record
from agencies.tokens import token_new

from .models import (
    BoundaryAgreement,
    BoundaryTemplate,
    ChannelConsent,
    Contact,
    CulturalProfile,
    CulturalProfileChange,
    DisclosureConsent,
    Participant,
    ParticipantStatus,
    PortalLink,
)

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
    *, agency: Agency, created_by: User, fields: dict, language: str, request=None
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
        request=request,
    )
    return participant


def participant_update(
    *, participant: Participant, changed_by: User, form, request=None
) -> Participant:
    """Save a validated ParticipantForm."""
    _check_peer(
        participant.agency, form.cleaned_data.get("assigned_peer", participant.assigned_peer)
    )
    participant = form.save()
    audit_record(
        agency=participant.agency,
        actor=changed_by,
        action="participant.updated",
        target=participant,
        request=request,
    )
    return participant


def participant_transfer(
    *, participant: Participant, to_peer: Membership, changed_by: User, request=None
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
            request=request,
        )
        # Goal reviews due go to the new peer from now on.
        from alliance.goals import goal_reviews_replan

        goal_reviews_replan(participant=participant, by=changed_by, request=request)


def participant_set_status(
    *,
    participant: Participant,
    status: str,
    changed_by: User,
    discharged_on: date | None = None,
    reason: str = "",
    request=None,
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
        request=request,
    )


def profile_update(
    *, form, changed_by: User | None, by_participant: bool = False, request=None
) -> CulturalProfile:
    """Save a validated profile form and record who changed which fields. A participant acting
    through their portal link has no user: `by_participant` says it was them."""
    profile = form.instance
    changed = [name for name in form.changed_data]
    if not changed:
        return profile
    with transaction.atomic():
        profile = form.save(commit=False)
        profile.updated_at = timezone.now()
        profile.save()
        if hasattr(form, "save_participant_fields"):
            form.save_participant_fields()
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
            request=request,
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
    request=None,
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
        request=request,
    )
    return consent


def disclosure_consent_create(
    *, participant: Participant, created_by: User, form, request=None
) -> DisclosureConsent:
    consent = form.save(commit=False)
    consent.agency = participant.agency
    consent.participant = participant
    consent.created_by = created_by
    consent.save()
    audit_record(
        agency=participant.agency,
        actor=created_by,
        action="disclosure_consent.created",
        target=consent,
        request=request,
    )
    return consent


def disclosure_consent_revoke(
    *, consent: DisclosureConsent, revoked_by: User, request=None
) -> None:
    updated = DisclosureConsent.objects.filter(pk=consent.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    if updated:
        audit_record(
            agency=consent.agency,
            actor=revoked_by,
            action="disclosure_consent.revoked",
            target=consent,
            request=request,
        )


# Boundaries ----------------------------------------------------------------------------------


def boundary_template_publish(
    *, agency: Agency, published_by: User, form, request=None
) -> BoundaryTemplate:
    """Publish the next version of the agency's boundaries agreement. Earlier versions stay as
    they were; participants are asked to acknowledge the new one."""
    latest = (
        BoundaryTemplate.objects.order_by("-version").values_list("version", flat=True).first() or 0
    )
    template = form.save(commit=False)
    template.agency = agency
    template.version = latest + 1
    template.published_by = published_by
    try:
        with transaction.atomic():
            template.save()
    except IntegrityError as error:  # two admins published at once
        raise ValidationError(
            _("Someone published a version just now. Reload and try again.")
        ) from error
    audit_record(
        agency=agency,
        actor=published_by,
        action="boundaries.published",
        target=template,
        request=request,
    )
    return template


def boundary_terms_set(
    *,
    participant: Participant,
    template: BoundaryTemplate,
    personal_terms: str,
    changed_by: User,
    request=None,
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
            request=request,
        )
    return agreement


def boundary_acknowledge(
    *, participant: Participant, template: BoundaryTemplate, request=None
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
            request=request,
        )
    agreement.refresh_from_db()
    return agreement


# Contacts ------------------------------------------------------------------------------------


def contact_log(*, participant: Participant, staff: Membership, form, request=None) -> Contact:
    contact = form.save(commit=False)
    contact.agency = participant.agency
    contact.participant = participant
    contact.staff = staff
    contact.save()
    audit_record(
        agency=participant.agency,
        actor=staff.user,
        action="contact.logged",
        target=contact,
        request=request,
    )
    return contact


# Portal links --------------------------------------------------------------------------------


@transaction.atomic
def portal_link_create(
    *, participant: Participant, created_by: User | None, request=None
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
        request=request,
    )
    return link, raw_token


def portal_link_revoke(*, participant: Participant, revoked_by: User, request=None) -> int:
    revoked = PortalLink.objects.filter(participant=participant, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    if revoked:
        audit_record(
            agency=participant.agency,
            actor=revoked_by,
            action="portal_link.revoked",
            target=participant,
            request=request,
        )
    return revoked


def participant_viewed(
    *, participant: Participant, actor: User, what: str = "page", request=None
) -> None:
    """Every staff view of a participant's page or data leaves one audit event."""
    audit_record(
        agency=participant.agency,
        actor=actor,
        action=f"participant.viewed.{what}",
        target=participant,
        request=request,
    )
