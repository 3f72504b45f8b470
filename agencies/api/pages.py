"""Browser pages where agency admins create, list and revoke API keys."""

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from agencies.decorators import agency_role_required
from agencies.models import ApiKey, Role

from .keys import api_key_create, api_key_revoke

ADMIN_ONLY = agency_role_required(Role.ADMIN)


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Name"),
        max_length=100,
        help_text=gettext_lazy("Which system uses it, e.g. “EHR nightly sync”."),
    )

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError(_("Give the key a name."))
        return name


@never_cache
@ADMIN_ONLY
@require_http_methods(["GET", "POST"])
def api_key_list(request, agency_slug):
    form = ApiKeyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        key, raw = api_key_create(
            agency=request.agency,
            name=form.cleaned_data["name"],
            created_by=request.user,
            request=request,
        )
        # Shown this once; only its hash is kept.
        return render(request, "agencies/api_keys/created.html", {"key": key, "raw_key": raw})
    return render(
        request,
        "agencies/api_keys/list.html",
        {
            "keys": ApiKey.objects.select_related("created_by"),
            "form": form,
            "docs_url": reverse("api-docs"),
        },
        status=400 if form.is_bound and form.errors else 200,
    )


@ADMIN_ONLY
@require_POST
def api_key_revoke_view(request, agency_slug, key_id):
    key = get_object_or_404(ApiKey, pk=key_id)
    if api_key_revoke(key=key, revoked_by=request.user, request=request):
        messages.success(request, _("Key revoked. Requests with it now fail."))
    return redirect("api_key_list", agency_slug=request.agency.slug)
