from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from participants.models import ProposedBy


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class CommitmentForm(forms.Form):
    """Times are typed in the agency's time zone (active on staff pages) and stored aware."""

    what = forms.CharField(
        label=_("What was promised"),
        max_length=300,
        help_text=_("For example: “I'll call you Thursday at 3”."),
    )
    due_at = forms.DateTimeField(label=_("By when"), widget=DateTimeLocalInput())
    promised_by = forms.ChoiceField(
        label=_("Who promised"), choices=ProposedBy.choices, initial=ProposedBy.STAFF
    )

    def clean_due_at(self):
        due_at = self.cleaned_data["due_at"]
        if due_at <= timezone.now():
            raise forms.ValidationError(_("Choose a time in the future."))
        return due_at


class RenegotiateForm(forms.Form):
    new_due_at = forms.DateTimeField(label=_("New time"), widget=DateTimeLocalInput())
    asked_by = forms.ChoiceField(label=_("Who asked to change it"), choices=ProposedBy.choices)
    reason = forms.CharField(label=_("Why"), max_length=300)

    def clean_new_due_at(self):
        due_at = self.cleaned_data["new_due_at"]
        if due_at <= timezone.now():
            raise forms.ValidationError(_("Choose a time in the future."))
        return due_at


def _every_weeks_choices():
    """Built when a form is made, so in the language of the page (not at import)."""
    return [("", _("No schedule"))] + [
        (n, ngettext("Every week", "Every %(n)d weeks", n) % {"n": n}) for n in range(1, 9)
    ]


class CheckInScheduleForm(forms.Form):
    every_weeks = forms.TypedChoiceField(
        label=_("How often"),
        coerce=int,
        empty_value=None,
        required=False,
        choices=_every_weeks_choices,
    )
    weekday = forms.TypedChoiceField(
        label=_("On"),
        coerce=int,
        choices=[
            (0, _("Monday")),
            (1, _("Tuesday")),
            (2, _("Wednesday")),
            (3, _("Thursday")),
            (4, _("Friday")),
            (5, _("Saturday")),
            (6, _("Sunday")),
        ],
    )
    local_time = forms.TimeField(
        label=_("At (participant's time)"),
        widget=forms.TimeInput(format="%H:%M", attrs={"type": "time"}),
    )
