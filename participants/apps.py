from django.apps import AppConfig


class ParticipantsConfig(AppConfig):
    name = "participants"

    def ready(self):
        # The caseload rule and the participant lookup of every page under /a/ live with the
        # participants; agencies.access applies them without importing this app.
        from agencies import access
        from participants.models import Participant
        from participants.selectors import participants_visible_to
        from participants.services import participant_viewed

        access.caseload_rule_set(
            visible_to=participants_visible_to,
            record_view=participant_viewed,
            sees_whole_agency=lambda membership: membership.sees_whole_agency,
        )
        access.resolve_in_caseload(
            "participant_id",
            argument="participant",
            rows=lambda: Participant.objects.select_related("assigned_peer__user"),
            participant_field="pk",
        )
