"""Browser pages where agency admins create, list and revoke API keys."""

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from agencies.api.keys import api_key_create, api_key_revoke
from agencies.api.resources import API_RESOURCES
from agencies.models import ApiKey


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Name"),
        max_length=100,
        help_text=gettext_lazy("Which system uses it, e.g. “EHR nightly sync”."),
    )

    access = forms.ChoiceField(
        label=gettext_lazy("Access"),
        choices=ApiKey.Access.choices,
        initial=ApiKey.Access.READ,
        widget=forms.RadioSelect,
        help_text=gettext_lazy("Read only, unless the system must also write."),
    )
    resources = forms.MultipleChoiceField(
        label=gettext_lazy("What it may use"),
        choices=list(API_RESOURCES.items()),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy(
            "Tick only what the system needs; with none ticked it may use everything."
        ),
    )

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError(_("Give the key a name."))
        return name


@never_cache
@require_http_methods(["GET", "POST"])
def api_key_list(request, agency_slug):
    form = ApiKeyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        key, raw = api_key_create(
            agency=request.agency,
            name=form.cleaned_data["name"],
            access=form.cleaned_data["access"],
            resources=form.cleaned_data["resources"],
            created_by=request.user,
        )
        # Shown this once; only its hash is kept.
        (key,) = _with_resource_labels([key])
        return render(request, "agencies/api_keys/created.html", {"key": key, "raw_key": raw})
    return render(
        request,
        "agencies/api_keys/list.html",
        {
            "keys": _with_resource_labels(ApiKey.objects.select_related("created_by")),
            "form": form,
            "docs_url": reverse("api-docs"),
        },
        status=400 if form.is_bound and form.errors else 200,
    )


def _with_resource_labels(keys) -> list[ApiKey]:
    """The keys, each with the names of the resources it may use (empty: all of them)."""
    keys = list(keys)
    for key in keys:
        key.resource_labels = [API_RESOURCES[name] for name in key.resources]
    return keys


@require_POST
def api_key_revoke_view(request, agency_slug, key_id):
    key = get_object_or_404(ApiKey, pk=key_id)
    if api_key_revoke(key=key, revoked_by=request.user):
        messages.success(request, _("Key revoked. Requests with it now fail."))
    return redirect("api_key_list", agency_slug=request.agency.slug)
