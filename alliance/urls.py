"""The staff home of an agency, under /a/<agency_slug>/ (config/urls.py). Who may use it is
declared here (agencies/access.py)."""

from agencies.access import EVERY_ROLE, agency_path
from alliance import views

urlpatterns = [
    # The home page shows figures of every feature app, so the app above them renders it.
    agency_path("", views.agency_home, name="agency_home", roles=EVERY_ROLE),
    # The caseload's columns come from every feature app too (alliance/selectors.py).
    agency_path("participants/", views.caseload, name="caseload", roles=EVERY_ROLE),
]
