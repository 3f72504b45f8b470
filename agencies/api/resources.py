"""The resources of the REST API, as an API key's scope names them. Every endpoint declares
which one it serves (`AgencyScopedViewSet.api_resource`); tests/test_api_key_scopes.py walks
every route and fails for an endpoint without a declaration or with a name not listed here.

What a key can read, and why it matters (42 CFR Part 2): check-in responses, alerts and
contact notes are records of a person's substance use support. An agency gives an integrator
only the resources its purpose needs (a billing export: participants; a dashboard: check-in
responses), read-only unless it must write."""

from django.utils.translation import gettext_lazy as _

API_RESOURCES = {
    "participants": _("Participants (names, contact details, profile, consent)"),
    "contacts": _("Contact notes"),
    "checkin-requests": _("Check-in links"),
    "checkin-responses": _("Check-in answers and scores"),
    "instruments": _("Check-in questions"),
    "alerts": _("Alerts"),
    "commitments": _("Commitments"),
    "goals": _("Goals and their steps"),
}
