import logging

from allauth.account.adapter import DefaultAccountAdapter
from django.utils.translation import gettext_noop

log = logging.getLogger(__name__)

# allauth's own strings that our pages show, kept in our catalog so they read in our register
# (Spanish: tú, decision 28): our catalog comes first, so these win over allauth's "usted".
ALLAUTH_STRINGS_IN_OUR_REGISTER = [gettext_noop("Forgot your password?")]


class InvitationOnlyAccountAdapter(DefaultAccountAdapter):
    """Staff join through an agency invitation (agencies.views.invitation_accept), never
    through open sign-up."""

    def is_open_for_signup(self, request):
        return False

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """allauth's emails (password reset, security notices). When the mail server refuses,
        the page carries on rather than failing: these pages answer the same whether or not an
        address has an account, so they could not say "not sent" anyway. Logged without the
        address."""
        try:
            super().send_mail(template_prefix, email, context)
        except OSError as error:  # smtplib's errors and refused or broken connections
            log.warning("account email %s not sent (%s)", template_prefix, type(error).__name__)
