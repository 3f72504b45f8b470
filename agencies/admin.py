"""Django admin for platform admins (superusers with MFA), behind allauth's login.

Platform admins look across agencies, so the admin is the one place where the agency scope is
lifted wholesale: `PlatformAdminSite.admin_view` runs each admin view, and its template
rendering, inside `scopes_disabled()`.
"""

from functools import wraps

from allauth.account.decorators import secure_admin_login
from allauth.mfa.utils import is_mfa_enabled
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from agencies.models import Agency, AuditEvent, Invitation, Membership, User
from agencies.signals import agency_created
from agencies.tenancy import scopes_disabled


class PlatformAdminSite(admin.AdminSite):
    site_header = "Rapport platform administration"
    site_title = "Rapport admin"

    def has_permission(self, request):
        user = request.user
        return bool(user.is_active and user.is_superuser and is_mfa_enabled(user))

    def admin_view(self, view, cacheable=False):
        @wraps(view)
        def unscoped_view(request, *args, **kwargs):
            with scopes_disabled():
                response = view(request, *args, **kwargs)
                if hasattr(response, "render") and not response.is_rendered:
                    response.render()
                return response

        return super().admin_view(unscoped_view, cacheable)


platform_admin = PlatformAdminSite(name="admin")
platform_admin.login = secure_admin_login(platform_admin.login)


@admin.register(Agency, site=platform_admin)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "time_zone", "default_language", "is_active", "created_at"]
    list_filter = ["is_active", "default_language", "time_zone"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change:  # e.g. a new agency starts with Rapport's default check-in
            agency_created.send(sender=Agency, agency=obj)


@admin.register(Membership, site=platform_admin)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "agency", "role", "is_active", "created_at"]
    list_filter = ["role", "is_active", "agency"]
    search_fields = ["user__email", "user__first_name", "user__last_name", "agency__name"]
    list_select_related = ["user", "agency"]
    autocomplete_fields = ["user", "agency"]


@admin.register(Invitation, site=platform_admin)
class InvitationAdmin(admin.ModelAdmin):
    list_display = [
        "email",
        "agency",
        "role",
        "created_at",
        "expires_at",
        "accepted_at",
        "revoked_at",
    ]
    list_filter = ["role", "agency"]
    search_fields = ["email", "agency__name"]
    list_select_related = ["agency"]
    readonly_fields = ["token_hash", "accepted_at", "accepted_by", "created_at"]

    def has_add_permission(self, request):
        return False  # invitations carry a one-time link: agency admins send them in the app


@admin.register(AuditEvent, site=platform_admin)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = [
        "occurred_at",
        "agency",
        "actor",
        "actor_label",
        "action",
        "object_type",
        "object_id",
        "request_id",
    ]
    list_filter = ["action", "object_type", "agency"]
    search_fields = ["object_id", "request_id", "actor__email"]
    list_select_related = ["agency", "actor"]
    date_hierarchy = "occurred_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(User, site=platform_admin)
class UserAdmin(DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "is_superuser", "is_active", "last_login"]
    list_filter = ["is_superuser", "is_active"]
    search_fields = ["email", "first_name", "last_name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Name", {"fields": ["first_name", "last_name"]}),
        ("Access", {"fields": ["is_active", "is_staff", "is_superuser"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]
