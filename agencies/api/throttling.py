"""Rate limits per API key (and per signed-in user for session calls). Rates come from
settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] ("api_key", "api_user"), read per request so
they can change without a restart of the class."""

from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from agencies.models import ApiKey


class ApiKeyRateThrottle(SimpleRateThrottle):
    def __init__(self):  # the scope (and so the rate) is known only per request
        self.scope = None
        self.ident = None

    def allow_request(self, request, view):
        if isinstance(request.auth, ApiKey):
            self.scope, self.ident = "api_key", str(request.auth.pk)
        elif request.user is not None and request.user.is_authenticated:
            self.scope, self.ident = "api_user", str(request.user.pk)
        else:
            return True  # unauthenticated requests are refused before any work
        self.rate = api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)
        if self.rate is None:
            return True
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.ident}
