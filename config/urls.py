from django.urls import include, path

from agencies import views as agency_views
from agencies.admin import platform_admin
from alliance.commitment_views import follow_through

urlpatterns = [
    path("", agency_views.home, name="home"),
    path("healthz", agency_views.healthz, name="healthz"),
    path("accounts/", include("allauth.urls")),
    path("invitations/<str:token>/", agency_views.invitation_accept, name="invitation_accept"),
    path("admin/", platform_admin.urls),
    path("p/", include("participants.portal_urls")),
    path("c/", include("alliance.public_urls")),
    path("api/", include("config.api_urls")),
    path("f/<str:token>/", follow_through, name="follow_through"),
    # Everything an agency owns lives below here; AgencyMiddleware resolves the agency.
    path("a/<slug:agency_slug>/", include("agencies.urls")),
]

handler400 = "config.errors.bad_request"
handler403 = "config.errors.permission_denied"
handler404 = "config.errors.page_not_found"
handler500 = "config.errors.server_error"
