from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from agencies import selectors, services
from agencies.forms import (
    AgencySettingsForm,
    IntroductionForm,
    InvitationForm,
    LanguagePreferenceForm,
    NewStaffAccountForm,
    RoleForm,
)
from agencies.models import Invitation, Membership
from agencies.tenancy import agency_scope, find_by_token


@require_GET
def healthz(request):
    """Liveness for load balancers: the database answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok", content_type="text/plain")


@login_required
def home(request):
    """Send a member of one agency straight there; let a member of several choose."""
    agencies = list(selectors.agencies_for_user(request.user))
    if len(agencies) == 1:
        return redirect("agency_home", agency_slug=agencies[0].slug)
    return render(request, "agencies/choose_agency.html", {"agencies": agencies})


# Staff management (agency admins) ------------------------------------------------------------


def staff_list(request, agency_slug):
    return render(
        request,
        "agencies/staff_list.html",
        {
            "memberships": selectors.staff_list(),
            "invitations": selectors.invitations_pending(),
            "form": InvitationForm(),
        },
    )


@require_http_methods(["GET", "POST"])
def staff_invite(request, agency_slug):
    form = InvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            created = services.invitation_create(
                agency=request.agency,
                invited_by=request.user,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
            )
        except services.InvitationAlreadyOpen:
            form.add_error("email", _("This address already has an open invitation."))
        else:
            # The raw link is shown this once, for copying; only its hash is kept.
            return render(
                request,
                "agencies/invitation_sent.html",
                {
                    "email": form.cleaned_data["email"],
                    "link": services.invitation_link(created.raw_token),
                    "emailed": created.emailed,
                },
            )
    return render(
        request, "agencies/staff_invite.html", {"form": form}, status=400 if form.errors else 200
    )


@require_http_methods(["GET", "POST"])
def staff_edit(request, agency_slug, membership_id):
    membership = get_object_or_404(Membership.objects.select_related("user"), pk=membership_id)
    form = RoleForm(request.POST or None, instance=Membership(role=membership.role))
    if request.method == "POST" and form.is_valid():
        try:
            services.membership_change_role(
                membership=membership,
                role=form.cleaned_data["role"],
                changed_by=request.user,
            )
        except PermissionDenied as refusal:
            form.add_error("role", str(refusal))
        else:
            messages.success(request, _("Role updated."))
            return redirect("staff_list", agency_slug=request.agency.slug)
    return render(
        request,
        "agencies/staff_edit.html",
        {"form": form, "target": membership},
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
def staff_deactivate(request, agency_slug, membership_id):
    membership = get_object_or_404(Membership.objects.select_related("user"), pk=membership_id)
    error = None
    if request.method == "POST":
        try:
            services.membership_deactivate(membership=membership, deactivated_by=request.user)
        except PermissionDenied as refusal:
            error = str(refusal)
        else:
            messages.success(request, _("Access removed and their sessions ended."))
            return redirect("staff_list", agency_slug=request.agency.slug)
    return render(
        request,
        "agencies/staff_deactivate.html",
        {"target": membership, "error": error},
        status=400 if error else 200,
    )


@require_POST
def invitation_revoke(request, agency_slug, invitation_id):
    invitation = get_object_or_404(Invitation, pk=invitation_id)
    services.invitation_revoke(invitation=invitation, revoked_by=request.user)
    messages.success(request, _("Invitation revoked."))
    return redirect("staff_list", agency_slug=request.agency.slug)


@require_http_methods(["GET", "POST"])
def agency_settings(request, agency_slug):
    form = AgencySettingsForm(request.POST or None, instance=request.agency)
    if request.method == "POST" and form.is_valid():
        services.agency_settings_update(
            agency=request.agency, changed_by=request.user, data=form.cleaned_data
        )
        messages.success(request, _("Settings saved."))
        return redirect("agency_settings", agency_slug=request.agency.slug)
    return render(
        request, "agencies/agency_settings.html", {"form": form}, status=400 if form.errors else 200
    )


# Accepting an invitation (no agency in the URL: the token is the credential) -----------------


@never_cache
@require_http_methods(["GET", "POST"])
def invitation_accept(request, token):
    invitation = find_by_token(Invitation, token)
    if invitation is None or invitation.status != "pending":
        status = invitation.status if invitation else "unknown"
        return render(
            request,
            "agencies/invitation_unusable.html",
            {"status": status},
            status=404 if status == "unknown" else 410,
        )
    with agency_scope(invitation.agency_id):
        return _invitation_accept_in_scope(request, invitation)


def _invitation_accept_in_scope(request, invitation):
    from agencies.models import User

    context = {"invitation": invitation, "agency": invitation.agency}
    user = request.user
    if user.is_authenticated and user.email.lower() != invitation.email:
        context["signed_in_as_someone_else"] = True
        return render(request, "agencies/invitation_accept.html", context)

    existing_account = (
        user.is_authenticated or User.objects.filter(email__iexact=invitation.email).exists()
    )
    form = (
        None
        if existing_account
        else NewStaffAccountForm(request.POST or None, email=invitation.email)
    )
    if request.method == "POST":
        try:
            if user.is_authenticated:
                services.invitation_accept(invitation=invitation, user=user)
            elif form is not None and form.is_valid():
                user = services.invitation_accept_as_new_user(
                    invitation=invitation,
                    first_name=form.cleaned_data["first_name"],
                    last_name=form.cleaned_data["last_name"],
                    password=form.cleaned_data["password1"],
                )
                login(request, user, backend="allauth.account.auth_backends.AuthenticationBackend")
            else:
                context.update(form=form, needs_sign_in=form is None)
                return render(request, "agencies/invitation_accept.html", context, status=400)
        except services.InvitationUnusable:
            return render(
                request, "agencies/invitation_unusable.html", {"status": "accepted"}, status=410
            )
        messages.success(request, _("Welcome to %(agency)s.") % {"agency": invitation.agency})
        return redirect("agency_home", agency_slug=invitation.agency.slug)

    context.update(form=form, needs_sign_in=existing_account and not user.is_authenticated)
    return render(request, "agencies/invitation_accept.html", context)


# The staff member's own introduction (every role) ---------------------------------------------


INTRODUCTION_LANGUAGES = [code for code, _name in settings.LANGUAGES]


@require_http_methods(["GET", "POST"])
def introduction_edit(request, agency_slug):
    """The signed-in member writes how they introduce themselves to participants, in each
    language; the portal shows it to their caseload (alliance/portal)."""
    stored = selectors.introductions_of(request.membership)
    names = dict(settings.LANGUAGES)
    forms = [
        (
            code,
            names[code],
            IntroductionForm(request.POST or None, instance=stored.get(code), prefix=code),
        )
        for code in INTRODUCTION_LANGUAGES
    ]
    if request.method == "POST" and all(form.is_valid() for _code, _name, form in forms):
        services.introduction_save(
            membership=request.membership,
            data={code: form.cleaned_data for code, _name, form in forms},
        )
        messages.success(request, _("Your introduction is saved."))
        return redirect("introduction_edit", agency_slug=request.agency.slug)
    invalid = request.method == "POST"
    return render(
        request,
        "agencies/introduction_edit.html",
        {"forms": forms},
        status=400 if invalid else 200,
    )


@require_http_methods(["GET", "POST"])
def profile_edit(request, agency_slug):
    """The signed-in staff member's own preferences: the language of their pages."""
    form = LanguagePreferenceForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        services.user_language_set(user=request.user, language=form.cleaned_data["language"])
        translation.activate(form.cleaned_data["language"] or request.LANGUAGE_CODE)
        messages.success(request, _("Your language is saved."))
        return redirect("profile_edit", agency_slug=request.agency.slug)
    return render(
        request,
        "agencies/profile_edit.html",
        {"form": form},
        status=400 if form.errors else 200,
    )
