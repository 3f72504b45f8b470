"""Staff pages for importing participants from a CSV file (supervisors and admins: declared on
the routes, participants/import_urls.py).

Upload -> choose columns -> preview -> run (a Celery task) -> progress. The rules live in
participants/imports.py; these views only show forms and call it.
"""

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from agencies.models import Membership, Role
from participants import imports
from participants.models import DateOrder, ImportStatus, ParticipantImport

RECENT_IMPORTS = 10


def _date_order_field() -> forms.ChoiceField:
    return forms.ChoiceField(
        label=gettext_lazy("Dates in this file"),
        choices=[("", gettext_lazy("Not chosen")), *DateOrder.choices],
        required=False,
        widget=forms.RadioSelect,
        help_text=gettext_lazy(
            "Needed when a date such as 03/02/2026 could be either day. Dates written "
            "2026-02-03 are always read as year-month-day."
        ),
    )


class PeerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, membership):
        user = membership.user
        return user.get_full_name() or user.email


class UploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("CSV file"),
        help_text=gettext_lazy(
            "Comma-, semicolon- or tab-separated, with the column names in the first row. "
            "At most 2 MB and 5,000 rows."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,text/csv"}),
        error_messages={
            "required": gettext_lazy("Choose the CSV file to import."),
            "empty": gettext_lazy("The file is empty."),
        },
    )
    peer = PeerChoiceField(
        label=gettext_lazy("Peer specialist for every row"),
        queryset=Membership.objects.none(),
        required=False,
        empty_label=gettext_lazy("None (or a column with the peer’s email)"),
        help_text=gettext_lazy(
            "New participants, and imported ones who have no peer yet, are assigned to this "
            "peer. A column with a peer’s email, if you choose one, wins for its row."
        ),
    )
    date_order = _date_order_field()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["peer"].queryset = Membership.objects.filter(
            role=Role.PEER, is_active=True, user__is_active=True
        ).select_related("user")


class MappingForm(forms.Form):
    """For each of our fields, the CSV column that feeds it (or none)."""

    def __init__(self, *args, headers: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", _("— not in the file —")), *[(h, h) for h in headers]]
        for import_field in imports.IMPORT_FIELDS:
            self.fields[import_field.name] = forms.ChoiceField(
                label=import_field.label, choices=choices, required=False
            )
        self.fields["date_order"] = _date_order_field()
        self.fields["preferred_name"].help_text = _("Required.")
        self.fields["assigned_peer"].help_text = _(
            "The email the peer signs in with. Rows without one get the peer chosen for "
            "every row, if any."
        )
        self.fields["external_id"].help_text = _(
            "Rows are matched to participants by record number, else email, else phone, so "
            "importing the same file again updates them instead of adding them twice."
        )

    def clean_preferred_name(self):
        if not self.cleaned_data["preferred_name"]:
            raise forms.ValidationError(_("Choose the column with the preferred name."))
        return self.cleaned_data["preferred_name"]

    def clean(self):
        cleaned = super().clean()
        if not any(cleaned.get(name) for name in imports.IDENTITY_FIELDS):
            self.add_error(
                "external_id",
                _(
                    "Choose a column for the record number, email or phone, so that importing "
                    "the file again cannot duplicate anyone."
                ),
            )
        used: dict[str, str] = {}
        for import_field in imports.IMPORT_FIELDS:
            header = cleaned.get(import_field.name)
            if not header:
                continue
            if header in used:
                self.add_error(
                    import_field.name,
                    _("This column is already chosen for “%(field)s”.")
                    % {"field": imports.FIELDS_BY_NAME[used[header]].label},
                )
            else:
                used[header] = import_field.name
        return cleaned

    def mapping(self) -> dict[str, str]:
        return {
            name: header
            for name, header in self.cleaned_data.items()
            if header and name in imports.FIELDS_BY_NAME
        }


def _get_import(import_id) -> ParticipantImport:
    # Inside the agency scope: another agency's import is simply not found (404).
    return get_object_or_404(
        ParticipantImport.objects.select_related("created_by", "default_peer__user"), pk=import_id
    )


def _editable(participant_import) -> bool:
    return participant_import.status in (ImportStatus.UPLOADED, ImportStatus.MAPPED)


@require_http_methods(["GET", "POST"])
def upload(request, agency_slug):
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            participant_import = imports.participant_import_create(
                agency=request.agency,
                created_by=request.user,
                upload=form.cleaned_data["file"],
                default_peer=form.cleaned_data["peer"],
                date_order=form.cleaned_data["date_order"],
            )
        except imports.ImportFileError as refusal:
            form.add_error("file", str(refusal))
        else:
            return redirect(
                "participant_import_mapping", request.agency.slug, participant_import.pk
            )
    return render(
        request,
        "participants/import/upload.html",
        {"form": form, "recent": ParticipantImport.objects.all()[:RECENT_IMPORTS]},
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
def mapping(request, agency_slug, import_id):
    participant_import = _get_import(import_id)
    if not _editable(participant_import):
        return redirect("participant_import_progress", agency_slug, participant_import.pk)
    form = MappingForm(
        request.POST or None,
        headers=participant_import.headers,
        initial={**participant_import.mapping, "date_order": participant_import.date_order},
    )
    if request.method == "POST" and form.is_valid():
        try:
            imports.participant_import_set_mapping(
                participant_import=participant_import,
                mapping=form.mapping(),
                date_order=form.cleaned_data["date_order"],
            )
        except imports.ImportFileError as refusal:
            form.add_error("date_order", str(refusal))
        else:
            return redirect("participant_import_preview", agency_slug, participant_import.pk)
    return render(
        request,
        "participants/import/mapping.html",
        {"form": form, "import": participant_import},
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET"])
def preview(request, agency_slug, import_id):
    participant_import = _get_import(import_id)
    if participant_import.status == ImportStatus.UPLOADED:
        return redirect("participant_import_mapping", agency_slug, participant_import.pk)
    if not _editable(participant_import):
        return redirect("participant_import_progress", agency_slug, participant_import.pk)
    result = imports.participant_import_preview(participant_import=participant_import)
    mapped = [f for f in imports.IMPORT_FIELDS if f.name in participant_import.mapping]
    rows = [
        {
            "number": row.number,
            "action": row.action,
            "cells": [row.values.get(f.name, "") for f in mapped],
            "errors": [(_field_label(name), message) for name, message in row.errors],
        }
        for row in result.rows
    ]
    errors = [
        {**entry, "field": _field_label(entry["field"])}
        for entry in result.errors
        if entry["row"] > (result.rows[-1].number if result.rows else 0)
    ]
    return render(
        request,
        "participants/import/preview.html",
        {
            "import": participant_import,
            "columns": mapped,
            "rows": rows,
            "valid": result.valid,
            "invalid": result.invalid,
            "more_errors": errors,
            "errors_capped": len(result.errors) >= imports.MAX_ROW_ERRORS,
        },
    )


@require_POST
def run(request, agency_slug, import_id):
    participant_import = _get_import(import_id)
    if participant_import.status == ImportStatus.UPLOADED:
        messages.warning(request, _("Choose the columns first."))
        return redirect("participant_import_mapping", agency_slug, participant_import.pk)
    imports.participant_import_queue(participant_import=participant_import, queued_by=request.user)
    return redirect("participant_import_progress", agency_slug, participant_import.pk)


@require_http_methods(["GET"])
def progress(request, agency_slug, import_id):
    participant_import = _get_import(import_id)
    errors = [
        {**entry, "field": _field_label(entry["field"])} for entry in participant_import.row_errors
    ]
    return render(
        request,
        "participants/import/progress.html",
        {
            "import": participant_import,
            "refresh": participant_import.is_active,
            "errors": errors,
            "errors_capped": len(errors) >= imports.MAX_ROW_ERRORS,
            "editable": _editable(participant_import),
        },
    )


def _field_label(name: str) -> str:
    if name == imports.IDENTITY:
        return _("Record number, email or phone")
    import_field = imports.FIELDS_BY_NAME.get(name)
    return str(import_field.label) if import_field else name
