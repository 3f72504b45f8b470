"""Participant pages, mounted under /a/<agency_slug>/ (see agencies/urls.py)."""

from django.urls import include, path

from . import views

one = "participants/<int:participant_id>/"

urlpatterns = [
    path("participants/", views.caseload, name="caseload"),
    path("participants/new/", views.participant_create, name="participant_create"),
    path("participants/import/", include("participants.import_urls")),
    path(one, views.participant_detail, name="participant_detail"),
    path(one + "edit/", views.participant_edit, name="participant_edit"),
    path(one + "profile/", views.profile_edit, name="participant_profile"),
    path(one + "contacts/new/", views.contact_create, name="contact_create"),
    path(one + "transfer/", views.participant_transfer, name="participant_transfer"),
    path(one + "status/", views.participant_status, name="participant_status"),
    path(one + "consents/", views.consents, name="participant_consents"),
    path(one + "consents/disclosures/new/", views.disclosure_create, name="disclosure_create"),
    path(
        one + "consents/disclosures/<int:consent_id>/revoke/",
        views.disclosure_revoke,
        name="disclosure_revoke",
    ),
    path(one + "boundaries/", views.boundaries_personal, name="participant_boundaries"),
    path(one + "portal-link/", views.portal_link_create, name="portal_link_create"),
    path(one + "portal-link/revoke/", views.portal_link_revoke, name="portal_link_revoke"),
    path(one + "portal-link/send/", views.portal_link_send, name="portal_link_send"),
    path(one + "audit/", views.participant_audit, name="participant_audit"),
    path("boundaries/", views.boundary_templates, name="boundary_templates"),
    path("language/", views.language_terms, name="language_terms"),
    path("language/hints/", views.language_hints, name="language_hints"),
    path("language/<int:term_id>/delete/", views.language_term_delete, name="language_term_delete"),
]
