"""Participant pages, mounted under /a/<agency_slug>/ (config/urls.py). Each route says who
may use it (agencies/access.py); `participant_id` reaches the view as the participant, found
through the caseload rule (another peer's participant is 404)."""

from django.urls import include, path

from agencies.access import ADMINS, EVERY_ROLE, SUPERVISORS, agency_path
from participants import views

one = "participants/<int:participant_id>/"

urlpatterns = [
    # "participants/" itself, the caseload, is in alliance/urls.py: its columns come from
    # every feature app.
    agency_path(
        "participants/new/",
        views.participant_create,
        name="participant_create",
        roles=EVERY_ROLE,
    ),
    path("participants/import/", include("participants.import_urls")),
    agency_path(
        one, views.participant_detail, name="participant_detail", roles=EVERY_ROLE, viewed="page"
    ),
    agency_path(
        one + "edit/",
        views.participant_edit,
        name="participant_edit",
        roles=EVERY_ROLE,
        viewed="edit",
    ),
    agency_path(
        one + "profile/",
        views.profile_edit,
        name="participant_profile",
        roles=EVERY_ROLE,
        viewed="profile",
    ),
    agency_path(
        one + "contacts/new/", views.contact_create, name="contact_create", roles=EVERY_ROLE
    ),
    agency_path(
        one + "transfer/",
        views.participant_transfer,
        name="participant_transfer",
        roles=SUPERVISORS,
    ),
    agency_path(
        one + "status/", views.participant_status, name="participant_status", roles=SUPERVISORS
    ),
    agency_path(
        one + "consents/",
        views.consents,
        name="participant_consents",
        roles=EVERY_ROLE,
        viewed="consents",
    ),
    agency_path(
        one + "consents/disclosures/new/",
        views.disclosure_create,
        name="disclosure_create",
        roles=EVERY_ROLE,
    ),
    agency_path(
        one + "consents/disclosures/record/",
        views.disclosure_record,
        name="disclosure_record",
        roles=EVERY_ROLE,
    ),
    agency_path(
        one + "consents/disclosures/<int:consent_id>/revoke/",
        views.disclosure_revoke,
        name="disclosure_revoke",
        roles=EVERY_ROLE,
    ),
    agency_path(
        one + "boundaries/",
        views.boundaries_personal,
        name="participant_boundaries",
        roles=EVERY_ROLE,
        viewed="boundaries",
    ),
    agency_path(
        one + "audit/",
        views.participant_audit,
        name="participant_audit",
        roles=ADMINS,
        viewed="audit",
    ),
    agency_path("boundaries/", views.boundary_templates, name="boundary_templates", roles=ADMINS),
    agency_path("language/", views.language_terms, name="language_terms", roles=ADMINS),
    agency_path("language/hints/", views.language_hints, name="language_hints", roles=EVERY_ROLE),
    agency_path(
        "language/<int:term_id>/delete/",
        views.language_term_delete,
        name="language_term_delete",
        roles=ADMINS,
    ),
]
