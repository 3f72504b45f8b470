"""Every route, in one table of contents: each app's urls.py holds its own routes, and this
file mounts them. Routes under /a/<agency_slug>/ belong to one agency (AgencyMiddleware resolves
it); tests/test_cross_agency_routes.py walks them all and fails for a route it cannot check."""

from django.urls import include, path

from agencies import views as agency_views
from agencies.admin import platform_admin
from alliance.checkins import urls as checkins_urls
from alliance.commitments import urls as commitments_urls
from alliance.messaging import urls as messaging_urls
from alliance.portal import urls as portal_urls

agency_pages = [
    path("", include("alliance.urls")),
    path("", include("agencies.urls")),
    path("", include("participants.urls")),
    path("", include("alliance.portal.urls")),
    path("", include("alliance.checkins.urls")),
    path("", include("alliance.goals.urls")),
    path("", include("alliance.commitments.urls")),
    path("", include("alliance.messaging.urls")),
]

urlpatterns = [
    path("", agency_views.home, name="home"),
    path("healthz", agency_views.healthz, name="healthz"),
    path("accounts/", include("allauth.urls")),
    path("invitations/<str:token>/", agency_views.invitation_accept, name="invitation_accept"),
    path("admin/", platform_admin.urls),
    path("p/", include(portal_urls.public_urlpatterns)),
    path("c/", include(checkins_urls.public_urlpatterns)),
    path("api/", include("config.api_urls")),
    path("f/", include(commitments_urls.public_urlpatterns)),
    path("sms/", include(messaging_urls.public_urlpatterns)),
    # Everything an agency owns lives below here; AgencyMiddleware resolves the agency.
    path("a/<slug:agency_slug>/", include(agency_pages)),
]

handler400 = "config.errors.bad_request"
handler403 = "config.errors.permission_denied"
handler404 = "config.errors.page_not_found"
handler500 = "config.errors.server_error"
