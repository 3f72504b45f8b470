import copy

from django import forms
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from agencies.models import Membership
from alliance.checkins.models import InstrumentItem, ItemKind, RepairChoice

FREE_TEXT_MAX = 2000


class ScaleWidget(forms.RadioSelect):
    template_name = "checkins/widgets/scale.html"


class ScaleField(forms.TypedChoiceField):
    """A scale item's field. Its choices are built once and never changed, so a form's copy
    shares them: ChoiceField's copy deep-copies its choices, about a third of the cost of
    building a check-in form (issue 17). The widget, error messages and validators are still
    each form's own, as Field's copy makes them."""

    def __deepcopy__(self, memo):
        return forms.Field.__deepcopy__(self, memo)


class CheckInForm(forms.Form):
    """One field per instrument item, labelled in the participant's language. Scale items are
    radio buttons (keyboard-usable, no JavaScript); none is required unless the instrument says
    so. `answers()` gives the stored form: item id -> int or text; unanswered items are absent."""

    def __init__(self, *args, items: list[InstrumentItem], language: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.items = items
        # The fields are built once per process for these items in this language, and each
        # form gets its own copy, as a declared form's would (issue 17: the submit's cost).
        key = (tuple(item.pk for item in items), language, translation.get_language())
        fields = _FIELDS.get(key)
        if fields is None:
            if len(_FIELDS) >= _FIELDS_MAX:
                _FIELDS.clear()
            fields = _FIELDS[key] = self._fields_for(items, language)
        self.fields.update(copy.deepcopy(fields))

    @classmethod
    def _fields_for(cls, items: list[InstrumentItem], language: str) -> dict:
        fields = {}
        for item in items:
            label = item.in_language("text", language)
            if item.kind == ItemKind.SCALE:
                choices = [(n, str(n)) for n in range(item.scale_min, item.scale_max + 1)]
                field = ScaleField(
                    label=label,
                    choices=choices,
                    coerce=int,
                    required=item.required,
                    widget=ScaleWidget,
                    error_messages={
                        "invalid_choice": _("Choose a number from %(min)d to %(max)d.")
                        % {"min": item.scale_min, "max": item.scale_max}
                    },
                )
                field.label_min = item.in_language("label_min", language)
                field.label_max = item.in_language("label_max", language)
            else:
                field = forms.CharField(
                    label=label,
                    required=item.required,
                    max_length=FREE_TEXT_MAX,
                    widget=forms.Textarea(attrs={"rows": 3}),
                )
            fields[cls.field_name(item)] = field
        return fields

    def clean(self):
        cleaned = super().clean()
        if not self.errors and not self.answers():
            # An empty check-in says nothing, and sending one would spend the link.
            raise forms.ValidationError(
                _("Answer at least one question, then send. Nothing has been saved yet."),
                code="empty",
            )
        return cleaned

    @staticmethod
    def field_name(item: InstrumentItem) -> str:
        return f"item_{item.pk}"

    def answers(self) -> dict[str, int | str]:
        answers = {}
        for item in self.items:
            value = self.cleaned_data.get(self.field_name(item))
            if value not in (None, ""):
                answers[str(item.pk)] = value.strip() if isinstance(value, str) else value
        return answers


_FIELDS: dict[tuple, dict] = {}
_FIELDS_MAX = 500
_BLANK_FIELDS: dict[tuple[int, str], SafeString] = {}
_BLANK_FIELDS_MAX = 500


def checkin_fields_html(instrument_id: int, *, items: list[InstrumentItem], language: str):
    """The fields of a blank check-in form as HTML, rendered once per process for each
    (instrument version, language): versions never change once created, and a blank form
    carries nothing about the participant (the CSRF token is outside it). Call it inside
    `translation.override(language)`."""
    key = (instrument_id, language)
    html = _BLANK_FIELDS.get(key)
    if html is None:
        if len(_BLANK_FIELDS) >= _BLANK_FIELDS_MAX:
            _BLANK_FIELDS.clear()
        form = CheckInForm(items=items, language=language)
        html = _BLANK_FIELDS[key] = render_to_string("checkins/checkin_fields.html", {"form": form})
    return html


def checkin_fields_forget() -> None:
    """Empty this process's copies (tests: a rolled-back database reuses instrument ids)."""
    _BLANK_FIELDS.clear()
    _FIELDS.clear()


class RepairChoiceForm(forms.Form):
    choice = forms.ChoiceField(
        label=_("What would you like to happen next?"),
        choices=RepairChoice.choices,
        widget=forms.RadioSelect,
    )


class AlertResolveForm(forms.Form):
    note = forms.CharField(
        label=_("What was done"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


class AlertTriageForm(forms.Form):
    """Who has an unresolved alert, by when (in the agency's zone), and whether it is open or
    in progress. The owner is one of the agency's active staff."""

    owner = forms.ModelChoiceField(
        label=_("Owner"), queryset=None, required=False, empty_label=_("Nobody yet")
    )
    due_at = forms.DateTimeField(
        label=_("Due"),
        required=False,
        widget=DateTimeLocalInput(),
        input_formats=["%Y-%m-%dT%H:%M"],
    )
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[("open", _("Open")), ("acknowledged", _("In progress"))],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["owner"]
        field.queryset = Membership.objects.filter(is_active=True).select_related("user")
        field.label_from_instance = lambda m: (
            f"{m.user.get_full_name() or m.user.email} ({m.get_role_display()})"
        )
