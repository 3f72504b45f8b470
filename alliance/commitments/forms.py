from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from alliance.commitments.services import AfterTheFact
from participants.models import ProposedBy


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


MADE_AT_MOST_DAYS_AGO = 30


class CommitmentForm(forms.Form):
    """Times are typed in the agency's time zone (active on staff pages) and stored aware.

    A promise may be recorded after the fact (decision 177): it was made at a past time, and
    if its due time has passed too, staff say what became of it."""

    what = forms.CharField(
        label=_("What was promised"),
        max_length=300,
        help_text=_("For example: “I'll call you Thursday at 3”."),
    )
    due_at = forms.DateTimeField(label=_("By when"), widget=DateTimeLocalInput())
    promised_by = forms.ChoiceField(
        label=_("Who promised"), choices=ProposedBy.choices, initial=ProposedBy.STAFF
    )
    made_at = forms.DateTimeField(
        label=_("When it was promised"),
        required=False,
        widget=DateTimeLocalInput(),
        help_text=_("Leave empty for now. Fill it in to record a promise made earlier."),
    )
    already = forms.ChoiceField(
        label=_("What has happened so far"),
        required=False,
        initial="",
        choices=[
            ("", _("Still to do")),
            (AfterTheFact.KEPT_ON_TIME, _("Already kept, on time")),
            (AfterTheFact.KEPT_LATE, _("Already kept, late")),
            (AfterTheFact.MISSED, _("Already missed")),
        ],
    )

    def clean_made_at(self):
        made_at = self.cleaned_data["made_at"]
        now = timezone.now()
        if made_at is None:
            return None
        if made_at > now + timedelta(minutes=5):
            raise forms.ValidationError(_("A promise cannot be made in the future."))
        if made_at < now - timedelta(days=MADE_AT_MOST_DAYS_AGO):
            raise forms.ValidationError(
                _("Record promises within %(days)d days of making them.")
                % {"days": MADE_AT_MOST_DAYS_AGO}
            )
        return made_at

    def clean(self):
        cleaned = super().clean()
        due_at, made_at = cleaned.get("due_at"), cleaned.get("made_at")
        already = cleaned.get("already", "")
        if due_at is None:
            return cleaned
        now = timezone.now()
        if made_at is not None and due_at < made_at:
            self.add_error("due_at", _("The due time is before the promise was made."))
        elif not already and due_at <= now:
            self.add_error(
                "due_at",
                _(
                    "This time has passed. Say below whether it was kept or missed, or choose "
                    "a time in the future."
                ),
            )
        elif already in (AfterTheFact.KEPT_LATE, AfterTheFact.MISSED) and due_at > now:
            self.add_error(
                "already", _("It cannot be late or missed before its due time has come.")
            )
        return cleaned


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
