from allauth.account.adapter import DefaultAccountAdapter


class InvitationOnlyAccountAdapter(DefaultAccountAdapter):
    """Staff join through an agency invitation (agencies.views.invitation_accept), never
    through open sign-up."""

    def is_open_for_signup(self, request):
        return False
