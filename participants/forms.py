from datetime import date

from django import forms
from django.utils.translation import gettext_lazy as _
from django_scopes.forms import SafeModelChoiceField

from agencies.models import LANGUAGE_CHOICES
from agencies.time_zones import time_zone_choices
from participants import selectors
from participants.models import (
    BoundaryTemplate,
    Channel,
    Contact,
    CulturalProfile,
    Disclosure,
    DisclosureConsent,
    LanguageTerm,
    Participant,
    ParticipantStatus,
    RecoveryPathway,
)
from participants.phones import phone_to_e164

WEEKDAYS = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]
MAX_OBSERVANCE_DATES = 60


class DateInput(forms.DateInput):
    input_type = "date"


class TimeInput(forms.TimeInput):
    input_type = "time"


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class PeerChoiceMixin:
    """Offers the agency's active peer specialists (the queryset is built per request, inside
    the agency scope)."""

    def limit_peers(self, field_name="assigned_peer"):
        field = self.fields[field_name]
        field.queryset = selectors.peers_of_agency()
        field.label_from_instance = lambda membership: (
            membership.user.get_full_name() or membership.user.email
        )


class ParticipantForm(PeerChoiceMixin, forms.ModelForm):
    class Meta:
        model = Participant
        fields = [
            "preferred_name",
            "pronouns",
            "legal_name",
            "email",
            "phone",
            "time_zone",
            "enrolled_on",
            "assigned_peer",
            "external_id",
        ]
        widgets = {"enrolled_on": DateInput()}
        # Tenant querysets cannot be built at import time (no agency in scope); the real
        # choices are set per request in limit_peers().
        field_classes = {"assigned_peer": SafeModelChoiceField}

    def __init__(self, *args, agency, assigns_peers=True, **kwargs):
        super().__init__(*args, **kwargs)
        self.limit_peers()
        if not assigns_peers:
            # Assigning a participant to a peer is a transfer: supervisors and admins only. A
            # peer sees who is assigned; a new participant of theirs is theirs (the caller sets
            # the initial value).
            self.fields["assigned_peer"].disabled = True
            self.fields["assigned_peer"].help_text = _(
                "A supervisor or admin assigns participants to peer specialists."
            )
        self.fields["time_zone"].required = False
        self.fields["time_zone"].choices = time_zone_choices(
            self.instance.time_zone,
            self.data.get(self.add_prefix("time_zone"), ""),
            empty_label=_("The agency's time zone"),
        )
        self.fields["time_zone"].help_text = _(
            "Leave empty for the agency's time zone (%(zone)s)."
        ) % {"zone": agency.time_zone}
        self.agency = agency

    def clean_phone(self):
        return phone_to_e164(self.cleaned_data["phone"])

    def clean_preferred_name(self):
        name = self.cleaned_data["preferred_name"].strip()
        if not name:
            raise forms.ValidationError(_("Enter the name this person wants to be called."))
        return name

    def clean_time_zone(self):
        return self.cleaned_data["time_zone"] or self.agency.time_zone

    def clean_external_id(self):
        """Record numbers are unique in the agency (the constraint includes the agency, which the
        form does not show, so Django's own check would skip it)."""
        external_id = self.cleaned_data["external_id"].strip()
        clash = Participant.objects.filter(external_id=external_id).exclude(pk=self.instance.pk)
        if external_id and clash.exists():
            raise forms.ValidationError(_("Another participant already has this record number."))
        return external_id


class NewParticipantForm(ParticipantForm):
    language = forms.ChoiceField(label=_("Preferred language"), choices=LANGUAGE_CHOICES)

    def __init__(self, *args, agency, **kwargs):
        super().__init__(*args, agency=agency, **kwargs)
        self.fields["language"].initial = agency.default_language


class CulturalProfileForm(forms.ModelForm):
    """The profile as staff and the participant (through their portal) edit it. Pronouns live
    on the participant and are edited here too."""

    pronouns = forms.CharField(label=_("Pronouns"), max_length=40, required=False)
    recovery_pathways = forms.MultipleChoiceField(
        label=_("Recovery pathways"),
        choices=RecoveryPathway.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Choose all that apply."),
    )
    observance_weekdays = forms.TypedMultipleChoiceField(
        label=_("Weekly days without contact"),
        choices=WEEKDAYS,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    observance_dates = forms.CharField(
        label=_("Dates without contact"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("One date per line, as YYYY-MM-DD."),
    )
    preferred_channels = forms.MultipleChoiceField(
        label=_("Preferred ways to be contacted"),
        choices=Channel.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = CulturalProfile
        fields = [
            "language",
            "pronouns",
            "cultural_identity",
            "faith_practice",
            "recovery_pathways",
            "recovery_pathway_other",
            "communication_style",
            "feels_respected_when",
            "approach_with_care",
            "observance_weekdays",
            "observance_dates",
            "quiet_hours_start",
            "quiet_hours_end",
            "preferred_channels",
            "checkin_by_reply",
            "max_contacts_per_week",
        ]
        widgets = {
            "quiet_hours_start": TimeInput(format="%H:%M"),
            "quiet_hours_end": TimeInput(format="%H:%M"),
            "feels_respected_when": forms.Textarea(attrs={"rows": 3}),
            "approach_with_care": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["pronouns"].initial = self.instance.participant.pronouns
        # The model stores a list; the textarea shows one date per line, with the line breaks
        # browsers send back, so an unchanged textarea does not count as a change.
        if not isinstance(self.initial.get("observance_dates"), str):
            self.initial["observance_dates"] = "\r\n".join(self.instance.observance_dates or [])

    def clean_observance_dates(self):
        lines = [
            line.strip()
            for line in self.cleaned_data["observance_dates"].splitlines()
            if line.strip()
        ]
        if len(lines) > MAX_OBSERVANCE_DATES:
            raise forms.ValidationError(_("At most %(n)d dates.") % {"n": MAX_OBSERVANCE_DATES})
        dates = []
        for line in lines:
            try:
                dates.append(date.fromisoformat(line).isoformat())
            except ValueError:
                raise forms.ValidationError(
                    _("“%(value)s” is not a date like 2026-12-24.") % {"value": line}
                ) from None
        return sorted(set(dates))

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("quiet_hours_start"), cleaned.get("quiet_hours_end")
        if (start is None) != (end is None):
            self.add_error(
                "quiet_hours_end" if start else "quiet_hours_start",
                _("Give both the start and the end of quiet hours, or neither."),
            )
        elif start is not None and start == end:
            self.add_error(
                "quiet_hours_end", _("Quiet hours must start and end at different times.")
            )
        if RecoveryPathway.OTHER not in cleaned.get("recovery_pathways", []):
            cleaned["recovery_pathway_other"] = ""
        return cleaned

    def save_participant_fields(self):
        participant = self.instance.participant
        if participant.pronouns != self.cleaned_data["pronouns"]:
            participant.pronouns = self.cleaned_data["pronouns"]
            participant.save(update_fields=["pronouns"])


class ContactForm(forms.ModelForm):
    class Meta:
        model = Contact
        fields = ["occurred_at", "kind", "duration_minutes", "note"]
        widgets = {"occurred_at": DateTimeLocalInput(), "note": forms.Textarea(attrs={"rows": 5})}


class ChannelConsentForm(forms.Form):
    sms = forms.BooleanField(label=_("Okay to text"), required=False)
    email = forms.BooleanField(label=_("Okay to email"), required=False)


class DisclosureConsentForm(forms.ModelForm):
    class Meta:
        model = DisclosureConsent
        fields = [
            "disclosing_party",
            "recipient",
            "information",
            "purpose",
            "expires_on",
            "expiry_event",
            "signed_by",
            "signed_on",
        ]
        widgets = {
            "expires_on": DateInput(),
            "signed_on": DateInput(),
            "information": forms.Textarea(attrs={"rows": 2}),
            "purpose": forms.Textarea(attrs={"rows": 2}),
        }

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("expires_on") and not cleaned.get("expiry_event", "").strip():
            self.add_error(
                "expires_on", _("Give an expiry date or the event upon which it expires.")
            )
        signed, expires = cleaned.get("signed_on"), cleaned.get("expires_on")
        if signed and expires and expires < signed:
            self.add_error("expires_on", _("The expiry is before the signature."))
        return cleaned


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=ParticipantStatus.choices)
    discharged_on = forms.DateField(label=_("Discharge date"), required=False, widget=DateInput())
    reason = forms.CharField(label=_("Discharge reason"), required=False, max_length=500)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("status") == ParticipantStatus.DISCHARGED:
            if not cleaned.get("discharged_on"):
                self.add_error("discharged_on", _("Give the discharge date."))
            if not cleaned.get("reason", "").strip():
                self.add_error("reason", _("Give the reason for the discharge."))
        return cleaned


class TransferForm(PeerChoiceMixin, forms.Form):
    assigned_peer = forms.ModelChoiceField(label=_("New peer specialist"), queryset=None)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.limit_peers()


class BoundaryTranslationForm(forms.Form):
    """The boundaries agreement in one more language (prefix: its code). Every box is
    optional: an empty one shows participants the text as published."""

    def __init__(self, *args, language_name: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in BoundaryTemplateForm().fields.items():
            self.fields[name] = forms.CharField(
                # Its own label, so each box has a name of its own ("…, in Spanish").
                label=_("%(label)s, in %(language)s")
                % {"label": field.label, "language": language_name},
                required=False,
                max_length=getattr(field, "max_length", None),
                widget=forms.Textarea(attrs={"rows": 3})
                if isinstance(field.widget, forms.Textarea)
                else forms.TextInput(),
            )

    def texts(self) -> dict:
        return {name: value.strip() for name, value in self.cleaned_data.items() if value.strip()}


class BoundaryTemplateForm(forms.ModelForm):
    class Meta:
        model = BoundaryTemplate
        fields = [
            "staff_contact_hours",
            "response_time",
            "peer_support_covers",
            "peer_support_does_not_cover",
            "confidentiality_limits",
        ]
        widgets = {
            name: forms.Textarea(attrs={"rows": 3})
            for name in [
                "staff_contact_hours",
                "peer_support_covers",
                "peer_support_does_not_cover",
                "confidentiality_limits",
            ]
        }


class PersonalTermsForm(forms.Form):
    personal_terms = forms.CharField(
        label=_("Terms agreed for this person"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class LanguageTermForm(forms.ModelForm):
    class Meta:
        model = LanguageTerm
        fields = ["term", "alternative"]

    def clean_term(self):
        term = self.cleaned_data["term"].strip().lower()
        if LanguageTerm.objects.filter(term=term).exists():
            raise forms.ValidationError(_("This term is already on the list."))
        return term


class CaseloadSearchForm(forms.Form):
    """The caseload's name search. Sent by POST and kept in the session, so a name never
    appears in an address, a browser history or a server log (docs/decisions.md 101)."""

    q = forms.CharField(label=_("Search by name"), required=False, max_length=100)


class CaseloadFilterForm(forms.Form):
    """The caseload's filters and sort, none of which says anything about a person, so they
    stay in the address (a filtered list can be bookmarked). `peer` cleans to a membership id
    among the agency's active peer specialists (choices read per request, inside the agency
    scope)."""

    template_name = "participants/caseload_filters.html"

    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any status")), *ParticipantStatus.choices],
    )
    peer = forms.TypedChoiceField(
        label=_("Peer specialist"), required=False, coerce=int, empty_value=None
    )
    flag = forms.ChoiceField(
        label=_("Show only"),
        required=False,
        choices=[
            ("", _("Everyone")),
            ("alert", _("Open alert")),
            ("supervisor", _("Asked for a supervisor")),
            ("overdue", _("Commitment overdue")),
            ("contact_due", _("Contact overdue")),
            ("dropped", _("Score went down")),
            ("sms", _("Okay to text")),
        ],
    )
    sort = forms.ChoiceField(
        label=_("Sort by"),
        required=False,
        choices=[
            ("name", _("Name")),
            ("alert", _("Alerts first")),
            ("score", _("Lowest score first")),
            ("next_commitment", _("Next commitment")),
            ("last_contact", _("Longest without contact")),
            ("-last_contact", _("Most recent contact")),
            ("-enrolled", _("Newest enrolment")),
        ],
    )

    def __init__(self, *args, staff=None, **kwargs):
        """`staff`: selectors.staff_names(), when the caller has read it already."""
        super().__init__(*args, **kwargs)
        self.fields["peer"].choices = [("", _("Any peer")), *selectors.peer_choices(staff)]


class DisclosureForm(forms.ModelForm):
    """A disclosure made under one of the participant's consents. Every consent is offered,
    with its status, so a revoked or expired one is refused with its reason
    (services.disclosure_record) rather than silently missing."""

    class Meta:
        model = Disclosure
        fields = ["consent", "disclosed_on", "recipient", "information", "purpose"]
        widgets = {
            "disclosed_on": DateInput(),
            "information": forms.Textarea(attrs={"rows": 2}),
            "purpose": forms.Textarea(attrs={"rows": 2}),
        }
        field_classes = {"consent": SafeModelChoiceField}

    def __init__(self, *args, participant, **kwargs):
        super().__init__(*args, **kwargs)
        statuses = {"active": _("active"), "expired": _("expired"), "revoked": _("revoked")}
        field = self.fields["consent"]
        field.queryset = DisclosureConsent.objects.filter(participant=participant)
        field.label_from_instance = lambda consent: (
            _("To %(recipient)s, signed %(signed)s (%(status)s)")
            % {
                "recipient": consent.recipient,
                "signed": consent.signed_on.isoformat(),
                "status": statuses[consent.status],
            }
        )
