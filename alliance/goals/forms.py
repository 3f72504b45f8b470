"""Forms for goals: staff pages and the participant portal. Plain forms (not ModelForms), so
validating never touches the goal; the services in alliance/goals/services.py make the changes."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from alliance.goals.models import GoalStatus
from participants.forms import DateInput
from participants.models import ProposedBy

WORDS_MAX = 1000
STEP_MAX = 300


def _text_area(rows: int = 3) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows, "maxlength": WORDS_MAX})


class GoalForm(forms.Form):
    words = forms.CharField(
        label=_("The goal, in their words"),
        max_length=WORDS_MAX,
        widget=_text_area(),
        help_text=_("Write it the way they say it. They will be asked to agree to these words."),
    )
    why_it_matters = forms.CharField(
        label=_("Why it matters to them"), max_length=WORDS_MAX, required=False, widget=_text_area()
    )
    proposed_by = forms.ChoiceField(
        label=_("Who proposed it"),
        choices=ProposedBy.choices,
        initial=ProposedBy.PARTICIPANT,
        widget=forms.RadioSelect,
    )
    review_on = forms.DateField(
        label=_("Review on"),
        required=False,
        widget=DateInput(),
        help_text=_("Their peer specialist gets a reminder at 09:00 that day."),
    )
    status = forms.ChoiceField(label=_("Status"), choices=GoalStatus.choices)

    def __init__(self, *args, today=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today or timezone.localdate()

    @classmethod
    def initial_for(cls, goal) -> dict:
        """The goal's current values of the form's fields (its initial data when editing)."""
        return {name: getattr(goal, name) for name in cls.base_fields}

    def clean_review_on(self):
        value = self.cleaned_data.get("review_on")
        if value is not None and value != self.initial.get("review_on") and value < self.today:
            raise forms.ValidationError(_("Choose today or a later date."))
        return value


class StepForm(forms.Form):
    text = forms.CharField(
        label=_("Action step"),
        max_length=STEP_MAX,
        widget=forms.TextInput(attrs={"maxlength": STEP_MAX}),
    )


class StepToggleForm(forms.Form):
    """The state the step should be in after the submit (explicit, so a double submit of
    "done" stays done instead of flipping back)."""

    done = forms.TypedChoiceField(choices=[("1", "1"), ("0", "0")], coerce=lambda v: v == "1")


class PortalAgreeForm(forms.Form):
    """The fingerprint of the goal's words the participant was shown."""

    seen = forms.CharField(max_length=16)


class PortalGoalForm(forms.Form):
    words = forms.CharField(
        label=_("Your goal, in your words"),
        max_length=WORDS_MAX,
        widget=_text_area(),
    )
    why_it_matters = forms.CharField(
        label=_("Why it matters to you"),
        max_length=WORDS_MAX,
        required=False,
        widget=_text_area(),
    )
    seen = forms.CharField(max_length=16, widget=forms.HiddenInput)
