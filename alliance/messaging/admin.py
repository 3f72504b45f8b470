"""Each agency's SMS sender in the platform admin (agencies/admin.py: superusers with
two-factor, unscoped). The auth token is write-only: the form never shows it back, and a
blank field keeps the stored one."""

from django import forms
from django.contrib import admin

from agencies.admin import platform_admin
from alliance.messaging.models import SmsSender


class SmsSenderForm(forms.ModelForm):
    auth_token = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="Only for an agency with a Twilio account of its own. Blank keeps the stored "
        "token; leave account SID and token blank to use the platform's (TWILIO_* settings).",
    )
    clear_auth_token = forms.BooleanField(required=False, label="Remove the stored auth token")

    class Meta:
        model = SmsSender
        fields = [
            "agency",
            "provider",
            "from_number",
            "messaging_service_sid",
            "account_sid",
            "auth_token",
            "help_text",
        ]

    def clean_auth_token(self):
        token = self.cleaned_data["auth_token"]
        if self.cleaned_data.get("clear_auth_token"):
            return ""
        return token or (self.instance.auth_token if self.instance.pk else "")

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("clear_auth_token"):
            cleaned["auth_token"] = ""
        return cleaned


@admin.register(SmsSender, site=platform_admin)
class SmsSenderAdmin(admin.ModelAdmin):
    form = SmsSenderForm
    list_display = ["agency", "provider", "from_number", "messaging_service_sid", "own_account"]
    list_select_related = ["agency"]

    @admin.display(boolean=True, description="own account")
    def own_account(self, sender: SmsSender) -> bool:
        return bool(sender.account_sid and sender.auth_token)
