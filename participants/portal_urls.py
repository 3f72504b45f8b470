"""The participant portal, mounted under /p/ (no login: the link's token is the credential)."""

urlpatterns: list = []
