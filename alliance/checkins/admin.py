"""Instruments in the platform admin (superusers with two-factor; runs unscoped, see
agencies/admin.py). Instruments are not added or edited field by field: a platform admin
uploads a JSON document for an agency (docs/instruments.md), which `instrument_load`
validates and creates inside that agency's scope. Only `is_default` can be changed later."""

import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path

from agencies.admin import platform_admin
from agencies.models import Agency
from agencies.tenancy import agency_scope
from alliance.checkins.instrument_loading import instrument_load
from alliance.checkins.models import Instrument, InstrumentItem

MAX_UPLOAD_BYTES = 1_000_000


class InstrumentItemInline(admin.TabularInline):
    model = InstrumentItem
    fields = [
        "position",
        "kind",
        "practice",
        "text",
        "scale_min",
        "scale_max",
        "label_min",
        "label_max",
        "required",
    ]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class InstrumentUploadForm(forms.Form):
    agency = forms.ModelChoiceField(queryset=Agency.objects.filter(is_active=True))
    file = forms.FileField(
        label="Instrument JSON file",
        help_text="The format is in docs/instruments.md. Nothing is created unless the whole "
        "file is valid.",
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise ValidationError(f"The file is larger than {MAX_UPLOAD_BYTES} bytes.")
        try:
            return json.loads(upload.read().decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise ValidationError(f"This is not a valid JSON file (UTF-8): {error}") from error


@admin.register(Instrument, site=platform_admin)
class InstrumentAdmin(admin.ModelAdmin):
    list_display = ["name", "key", "version", "agency", "is_default", "created_at"]
    list_filter = ["is_default", "agency"]
    search_fields = ["name", "key", "agency__name"]
    list_select_related = ["agency"]
    readonly_fields = ["agency", "key", "version", "name", "licence_note", "created_at"]
    fields = ["agency", "key", "version", "name", "licence_note", "is_default", "created_at"]
    inlines = [InstrumentItemInline]
    change_list_template = "checkins/reports/admin/instrument_change_list.html"

    def has_add_permission(self, request):
        return False  # instruments arrive as a whole, through the upload page

    def get_urls(self):
        upload = path(
            "upload/",
            self.admin_site.admin_view(self.upload_view),
            name="checkins_instrument_upload",
        )
        return [upload, *super().get_urls()]

    def upload_view(self, request):
        if not self.has_change_permission(request):
            raise PermissionDenied
        form = InstrumentUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            agency = form.cleaned_data["agency"]
            try:
                with agency_scope(agency):
                    instrument = instrument_load(
                        agency=agency, data=form.cleaned_data["file"], actor=request.user
                    )
            except ValidationError as error:
                for message in error.messages:
                    form.add_error("file", message)
            else:
                messages.success(
                    request,
                    f"Loaded {instrument.name} version {instrument.version} for {agency.name}. "
                    "It is not the default instrument until you tick “is default”.",
                )
                return redirect("admin:checkins_instrument_change", instrument.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Upload an instrument",
            "form": form,
        }
        return TemplateResponse(request, "checkins/reports/admin/instrument_upload.html", context)
