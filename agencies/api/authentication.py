"""Who is calling: an API key (`Authorization: Bearer rk_…`), or a signed-in staff member's
session (the browser). The agency is resolved afterwards by AgencyScopedViewSet."""

from rest_framework.authentication import (
    BaseAuthentication,
    SessionAuthentication,
    get_authorization_header,
)
from rest_framework.exceptions import AuthenticationFailed

from agencies.api.keys import api_key_find, api_key_touch


class ApiKeyPrincipal:
    """`request.user` for a request made with an API key: it acts as the agency, not as a
    person. Services receive `None` as the acting user (see AgencyScopedViewSet.actor)."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    pk = id = None

    def __init__(self, api_key):
        self.api_key = api_key

    def __str__(self):
        return f"api-key:{self.api_key.pk}"


class ApiKeyAuthentication(BaseAuthentication):
    keyword = b"bearer"

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword:
            return None
        if len(parts) != 2:
            raise AuthenticationFailed("Send the key as: Authorization: Bearer <key>.")
        try:
            raw = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise AuthenticationFailed("Invalid API key.") from None
        key = api_key_find(raw)
        if key is None:
            raise AuthenticationFailed("Invalid API key.")
        api_key_touch(key)
        return ApiKeyPrincipal(key), key

    def authenticate_header(self, request):
        return 'Bearer realm="api"'


class AgencySessionAuthentication(SessionAuthentication):
    """Django's session (a signed-in staff member), CSRF-checked for writes. The agency comes
    from the X-Rapport-Agency header, or is the member's only agency."""
