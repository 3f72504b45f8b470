"""Links whose token is the credential (every route that takes `<str:token>`: /c/, /f/, /p/,
/invitations/ and any added later). One rule for all of them, applied by
`agencies.middleware.TokenLinkMiddleware` from the URL configuration, so a new token route is
covered without a line of its own:

- failed lookups (an answer of 404 or 410) count against the visitor's IP address; past
  `FAILED_LOOKUPS_PER_IP` the answer is 429 with `Retry-After` (a working link still works
  from that address: the limit is there to stop guessing, which only ever fails);
- every answer is `Cache-Control: no-store, private` and `X-Robots-Tag: noindex, nofollow`.

A view that wants to say "too many tries" on its own page calls `lookup_failed(request)`
before rendering; the middleware does not count that request twice."""

from django_ratelimit.core import is_ratelimited

FAILED_LOOKUPS_PER_IP = "20/m"
RETRY_AFTER_SECONDS = 60
LOOKUP_GROUP = "link-lookup"
FAILED_LOOKUP_STATUSES = (404, 410)


def is_token_route(request) -> bool:
    match = getattr(request, "resolver_match", None)
    return match is not None and "token" in match.kwargs


def lookup_failed(request) -> bool:
    """Counts one failed lookup for the visitor's address (once per request); True when the
    address is over the limit."""
    if not hasattr(request, "_link_lookup_limited"):
        request._link_lookup_limited = is_ratelimited(
            request, group=LOOKUP_GROUP, key="ip", rate=FAILED_LOOKUPS_PER_IP, increment=True
        )
    return request._link_lookup_limited
