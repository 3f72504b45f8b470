from django import forms
from django.contrib.auth import password_validation
from django.utils.translation import gettext_lazy as _

from agencies.models import Agency, Membership, Role, StaffIntroduction, User
from agencies.selectors import invitations_pending
from agencies.time_zones import time_zone_choices


class InvitationForm(forms.Form):
    email = forms.EmailField(label=_("Email address"), max_length=254)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.PEER)

    def clean_email(self):
        email = self.cleaned_data["email"].strip().lower()
        if Membership.objects.filter(user__email__iexact=email, is_active=True).exists():
            raise forms.ValidationError(_("This person is already a member of the agency."))
        if invitations_pending().filter(email=email).exists():
            raise forms.ValidationError(
                _("This address already has an open invitation. Revoke it first to send a new one.")
            )
        return email


class RoleForm(forms.ModelForm):
    class Meta:
        model = Membership
        fields = ["role"]


class AgencySettingsForm(forms.ModelForm):
    class Meta:
        model = Agency
        fields = [
            "name",
            "time_zone",
            "default_language",
            "invitation_expiry_days",
            "checkin_link_expiry_days",
            "portal_link_expiry_days",
            "alert_total_below_percent",
            "alert_drop_percent",
            "alert_item_at_or_below",
            "alert_missed_in_a_row",
            "commitment_first_reminder_hours",
            "commitment_second_reminder_hours",
            "commitment_grace_minutes",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = time_zone_choices(
            self.instance.time_zone, self.data.get(self.add_prefix("time_zone"), "")
        )


class NewStaffAccountForm(forms.Form):
    """The account an invited person creates for themselves when accepting."""

    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150)
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=_("Password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, email: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.email = email

    def clean(self):
        cleaned = super().clean()
        p1, p2 = cleaned.get("password1"), cleaned.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("The two passwords differ."))
        elif p1:
            candidate = User(
                email=self.email,
                first_name=cleaned.get("first_name", ""),
                last_name=cleaned.get("last_name", ""),
            )
            try:
                password_validation.validate_password(p1, candidate)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return cleaned


class IntroductionForm(forms.ModelForm):
    """One language of a staff member's introduction. Plain text only, every field optional;
    the page shows one of these per language (prefix: the language code)."""

    class Meta:
        model = StaffIntroduction
        fields = list(StaffIntroduction.TEXT_FIELDS)
        labels = {
            "called": _("What participants can call you"),
            "pronouns": _("Your pronouns"),
            "languages_spoken": _("Languages you speak"),
            "reachable": _("When you can be reached"),
            "about": _("A few sentences about your own path (optional)"),
        }
        help_texts = {
            "called": _("For example: Jordan, or Mr. Lee."),
            "languages_spoken": _("For example: English and Spanish."),
            "reachable": _("For example: weekdays 9 to 5, by text or phone."),
            "about": _(
                "Only what you choose to share, at most 600 characters. Participants read it "
                "exactly as written."
            ),
        }
        widgets = {"about": forms.Textarea(attrs={"rows": 5})}


class LanguagePreferenceForm(forms.ModelForm):
    """The signed-in staff member's language for every page, over the browser's."""

    class Meta:
        model = User
        fields = ["language"]
        widgets = {"language": forms.RadioSelect}
        labels = {"language": _("Language of the pages")}
        help_texts = {
            "language": _(
                "Pages, emails and notifications to you follow this choice on every device you "
                "sign in on. Participants always see their own language."
            )
        }
