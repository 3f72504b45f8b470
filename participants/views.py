"""Staff pages about participants. Who may use each page is declared on its route
(participants/urls.py, agencies/access.py), which also hands the view the participant, found
through the caseload rule: a peer asking for someone outside their caseload, or anyone asking
for another agency's participant, gets 404 before the view runs. Objects of a participant (a
consent) are looked up through that participant."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from agencies.models import AuditEvent, Role
from agencies.submissions import stores_once
from participants import selectors, services
from participants.audit_sentences import audit_line
from participants.forms import (
    BoundaryTemplateForm,
    BoundaryTranslationForm,
    ChannelConsentForm,
    ContactForm,
    CulturalProfileForm,
    DisclosureConsentForm,
    DisclosureForm,
    LanguageTermForm,
    NewParticipantForm,
    ParticipantForm,
    PersonalTermsForm,
    StatusForm,
    TransferForm,
)
from participants.language import DEFAULT_TERMS
from participants.models import (
    BoundaryTemplate,
    Channel,
    DisclosureConsent,
    LanguageTerm,
    Participant,
)
from participants.panels import participant_panels

TIMELINE_LENGTH = 50


def _back_to(participant: Participant, page: str = "participant_detail"):
    """Redirect to one of the participant's pages (after a successful POST)."""
    return redirect(page, agency_slug=participant.agency.slug, participant_id=participant.pk)


def _status(form) -> int:
    return 400 if form.is_bound and form.errors else 200


@require_http_methods(["GET", "POST"])
@stores_once
def participant_create(request, agency_slug):
    is_peer = request.membership.role == Role.PEER
    form = NewParticipantForm(
        request.POST or None,
        agency=request.agency,
        assigns_peers=not is_peer,
        initial={"assigned_peer": request.membership.pk} if is_peer else None,
    )
    if request.method == "POST" and form.is_valid():
        fields = {name: value for name, value in form.cleaned_data.items() if name != "language"}
        try:
            participant = services.participant_create(
                agency=request.agency,
                created_by=request.user,
                fields=fields,
                language=form.cleaned_data["language"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Participant added."))
            return _back_to(participant, "participant_detail")
    return render(
        request,
        "participants/participant_form.html",
        {"form": form, "creating": True},
        status=_status(form),
    )


def participant_detail(request, agency_slug, participant):
    template, agreement = selectors.boundary_status(participant)
    return render(
        request,
        "participants/participant_detail.html",
        {
            "participant": participant,
            "profile": selectors.profile_of(participant),
            "channel_consents": selectors.channel_consents_of(participant),
            "disclosures": DisclosureConsent.objects.filter(participant=participant),
            "disclosures_made": participant.disclosures.select_related("consent"),
            "boundary_template": template,
            "boundary_agreement": agreement,
            "contacts": participant.contacts.select_related("staff__user")[:TIMELINE_LENGTH],
            # What the feature apps show here, e.g. consistency (participants/panels.py).
            "panels": participant_panels(participant),
        },
    )


@require_http_methods(["GET", "POST"])
def participant_edit(request, agency_slug, participant):
    form = ParticipantForm(
        request.POST or None,
        instance=participant,
        agency=request.agency,
        assigns_peers=request.membership.role != Role.PEER,
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.participant_update(
                participant=participant, changed_by=request.user, data=form.cleaned_data
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Saved."))
            return _back_to(participant, "participant_detail")
    return render(
        request,
        "participants/participant_form.html",
        {"form": form, "participant": participant},
        status=_status(form),
    )


@require_http_methods(["GET", "POST"])
def profile_edit(request, agency_slug, participant):
    form = CulturalProfileForm(request.POST or None, instance=selectors.profile_of(participant))
    if request.method == "POST" and form.is_valid():
        services.profile_update(
            profile=form.instance, data=form.cleaned_data, changed_by=request.user
        )
        messages.success(request, _("Profile saved."))
        return _back_to(participant, "participant_detail")
    return render(
        request,
        "participants/profile_form.html",
        {"form": form, "participant": participant},
        status=_status(form),
    )


@require_http_methods(["GET", "POST"])
@stores_once
def contact_create(request, agency_slug, participant):
    form = ContactForm(request.POST or None)
    # While the note is written, htmx asks for person-first hints (the form still works, and
    # shows them on save, without JavaScript).
    form.fields["note"].widget.attrs.update(
        {
            "hx-post": reverse("language_hints", args=[request.agency.slug]),
            "hx-trigger": "input changed delay:600ms",
            "hx-target": "#language-hints",
            "hx-swap": "outerHTML",
        }
    )
    if request.method == "POST" and form.is_valid():
        contact = services.contact_log(
            participant=participant, staff=request.membership, data=form.cleaned_data
        )
        hints = selectors.hints_for(contact.note)
        if hints:
            # Hints never block saving; they come back with the saved note, to consider.
            messages.info(
                request,
                _("Saved. Person-first wording to consider: %(hints)s.")
                % {"hints": "; ".join(f"“{h.term}” → {h.alternative}" for h in hints)},
            )
        else:
            messages.success(request, _("Contact logged."))
        return _back_to(participant, "participant_detail")
    hints = selectors.hints_for(form.data.get("note", "")) if form.is_bound else []
    return render(
        request,
        "participants/contact_form.html",
        {"form": form, "participant": participant, "hints": hints},
        status=_status(form),
    )


@require_POST
def language_hints(request, agency_slug):
    """The hints for a text being written (htmx fragment; also works as a plain form post)."""
    text = request.POST.get("note", "")[:10000]
    return render(
        request, "participants/language_hints.html#hints", {"hints": selectors.hints_for(text)}
    )


@require_http_methods(["GET", "POST"])
def participant_transfer(request, agency_slug, participant):
    form = TransferForm(
        request.POST or None, initial={"assigned_peer": participant.assigned_peer_id}
    )
    if request.method == "POST" and form.is_valid():
        services.participant_transfer(
            participant=participant,
            to_peer=form.cleaned_data["assigned_peer"],
            changed_by=request.user,
        )
        messages.success(request, _("Participant transferred."))
        return _back_to(participant, "participant_detail")
    return render(
        request,
        "participants/simple_form.html",
        {
            "form": form,
            "participant": participant,
            "title": _("Transfer to another peer specialist"),
            "submit": _("Transfer"),
        },
        status=_status(form),
    )


@require_http_methods(["GET", "POST"])
def participant_status(request, agency_slug, participant):
    form = StatusForm(request.POST or None, initial={"status": participant.status})
    if request.method == "POST" and form.is_valid():
        services.participant_set_status(
            participant=participant,
            status=form.cleaned_data["status"],
            changed_by=request.user,
            discharged_on=form.cleaned_data["discharged_on"],
            reason=form.cleaned_data["reason"],
        )
        messages.success(request, _("Status changed."))
        return _back_to(participant, "participant_detail")
    return render(
        request,
        "participants/simple_form.html",
        {
            "form": form,
            "participant": participant,
            "title": _("Pause, resume or discharge"),
            "submit": _("Save"),
        },
        status=_status(form),
    )


@require_http_methods(["GET", "POST"])
def consents(request, agency_slug, participant):
    current = selectors.channel_consents_of(participant)
    form = ChannelConsentForm(
        request.POST or None, initial={channel: current[channel].is_granted for channel in current}
    )
    if request.method == "POST" and form.is_valid():
        for channel in (Channel.SMS, Channel.EMAIL):
            services.channel_consent_set(
                participant=participant,
                channel=channel,
                granted=form.cleaned_data[channel],
                recorded_by=request.user,
            )
        messages.success(request, _("Contact consent saved."))
        return _back_to(participant, "participant_consents")
    return render(
        request,
        "participants/consents.html",
        {
            "participant": participant,
            "form": form,
            "channel_consents": current,
            "disclosures": DisclosureConsent.objects.filter(participant=participant),
            "disclosures_made": participant.disclosures.select_related("consent"),
        },
    )


@require_http_methods(["GET", "POST"])
@stores_once
def disclosure_create(request, agency_slug, participant):
    form = DisclosureConsentForm(
        request.POST or None, initial={"disclosing_party": request.agency.name}
    )
    if request.method == "POST" and form.is_valid():
        services.disclosure_consent_create(
            participant=participant, created_by=request.user, data=form.cleaned_data
        )
        messages.success(request, _("Consent to disclose recorded."))
        return _back_to(participant, "participant_consents")
    return render(
        request,
        "participants/simple_form.html",
        {
            "form": form,
            "participant": participant,
            "title": _("Record a consent to disclose"),
            "submit": _("Record consent"),
        },
        status=_status(form),
    )


@require_http_methods(["GET", "POST"])
@stores_once
def disclosure_record(request, agency_slug, participant):
    """Record a disclosure made under a consent; a revoked or expired consent is refused."""
    form = DisclosureForm(
        request.POST or None,
        participant=participant,
        initial={"disclosed_on": request.agency.today()},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.disclosure_record(
                participant=participant, recorded_by=request.user, data=form.cleaned_data
            )
        except services.DisclosureRefused as refusal:
            form.add_error(None, refusal)
        else:
            messages.success(request, _("Disclosure recorded."))
            return _back_to(participant, "participant_consents")
    return render(
        request,
        "participants/simple_form.html",
        {
            "form": form,
            "participant": participant,
            "title": _("Record a disclosure"),
            "submit": _("Record disclosure"),
        },
        status=_status(form),
    )


@require_POST
def disclosure_revoke(request, agency_slug, participant, consent_id):
    consent = get_object_or_404(participant.disclosure_consents, pk=consent_id)
    services.disclosure_consent_revoke(consent=consent, revoked_by=request.user)
    messages.success(request, _("Consent revoked. It no longer allows any disclosure."))
    return _back_to(participant, "participant_consents")


@require_http_methods(["GET", "POST"])
def boundaries_personal(request, agency_slug, participant):
    template, agreement = selectors.boundary_status(participant)
    if template is None:
        messages.warning(request, _("Your agency has not published a boundaries agreement yet."))
        return _back_to(participant, "participant_detail")
    form = PersonalTermsForm(
        request.POST or None,
        initial={"personal_terms": agreement.personal_terms if agreement else ""},
    )
    if request.method == "POST" and form.is_valid():
        services.boundary_terms_set(
            participant=participant,
            template=template,
            personal_terms=form.cleaned_data["personal_terms"],
            changed_by=request.user,
        )
        messages.success(
            request, _("Boundaries saved. The participant is asked to acknowledge them.")
        )
        return _back_to(participant, "participant_detail")
    return render(
        request,
        "participants/boundaries_personal.html",
        {
            "form": form,
            "participant": participant,
            "template": template,
            "agreement": agreement,
        },
        status=_status(form),
    )


def participant_audit(request, agency_slug, participant):
    events = (
        AuditEvent.objects.filter(object_type="participant", object_id=str(participant.pk))
        .select_related("actor")
        .order_by("-occurred_at", "-id")
    )
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    lines = [
        audit_line(event, participant=participant, agency_slug=request.agency.slug)
        for event in page
    ]
    return render(
        request,
        "participants/audit.html",
        {"participant": participant, "page": page, "lines": lines},
    )


# Agency-wide settings for participants (admins) ----------------------------------------------


@require_http_methods(["GET", "POST"])
@stores_once
def boundary_templates(request, agency_slug):
    current = selectors.boundary_template_current()
    form = BoundaryTemplateForm(
        request.POST or None, instance=None, initial=_template_initial(current)
    )
    # The agreement in each other language the agency serves, optional box by box.
    names = dict(settings.LANGUAGES)
    translation_forms = [
        (
            code,
            names[code],
            BoundaryTranslationForm(
                request.POST or None,
                language_name=names[code],
                prefix=f"in-{code}",
                initial=(current.translations.get(code, {}) if current else {}),
            ),
        )
        for code, _name in settings.LANGUAGES
        if code != request.agency.default_language
    ]
    valid = request.method == "POST" and form.is_valid()
    valid = valid and all(f.is_valid() for _code, _name, f in translation_forms)
    if valid:
        try:
            template = services.boundary_template_publish(
                agency=request.agency,
                published_by=request.user,
                data=form.cleaned_data,
                translations={code: f.texts() for code, _name, f in translation_forms},
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Version %(v)d published.") % {"v": template.version})
            return redirect("boundary_templates", agency_slug=request.agency.slug)
    return render(
        request,
        "participants/boundary_templates.html",
        {
            "form": form,
            "translation_forms": translation_forms,
            "written_in": names.get(request.agency.default_language, ""),
            "current": current,
            "versions": BoundaryTemplate.objects.all()[:20],
        },
        status=400 if request.method == "POST" else 200,
    )


def _template_initial(template) -> dict:
    if template is None:
        return {}
    return {name: getattr(template, name) for name in BoundaryTemplateForm.Meta.fields}


@require_http_methods(["GET", "POST"])
def language_terms(request, agency_slug):
    form = LanguageTermForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.language_term_add(
            agency=request.agency, added_by=request.user, data=form.cleaned_data
        )
        messages.success(request, _("Term added."))
        return redirect("language_terms", agency_slug=request.agency.slug)
    return render(
        request,
        "participants/language_terms.html",
        {
            "form": form,
            "terms": LanguageTerm.objects.all(),
            "default_terms": DEFAULT_TERMS,
        },
        status=_status(form),
    )


@require_POST
def language_term_delete(request, agency_slug, term_id):
    term = get_object_or_404(LanguageTerm, pk=term_id)
    services.language_term_delete(term=term, deleted_by=request.user)
    messages.success(request, _("Term removed."))
    return redirect("language_terms", agency_slug=request.agency.slug)
