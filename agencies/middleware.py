import time
import uuid
import zoneinfo
from contextlib import ExitStack

from allauth.mfa.utils import is_mfa_enabled
from allauth.usersessions.models import UserSession
from django.contrib import messages
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ImproperlyConfigured
from django.http import Http404
from django.shortcuts import redirect
from django.utils import timezone, translation
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _

from agencies import links
from agencies.access import access_of
from agencies.context import context_end, context_start, context_update
from agencies.models import Role
from agencies.selectors import agency_membership_for
from agencies.tenancy import agency_scope


class RequestIdMiddleware:
    """Gives each request an id (kept from a trusted proxy's X-Request-ID when it is a UUID),
    returned in the response header, and opens the request's context (agencies/context.py):
    the id, and, once authentication has run, the signed-in user. Services and the audit
    trail read them from there."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        try:
            request.request_id = str(uuid.UUID(incoming))
        except ValueError:
            request.request_id = str(uuid.uuid4())
        token = context_start(request_id=request.request_id)
        try:
            response = self.get_response(request)
        finally:
            context_end(token)
        response["X-Request-ID"] = request.request_id
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        # Every middleware has run by now, authentication included (request.user is lazy:
        # nothing is read until an audit event asks who acted).
        context_update(user=getattr(request, "user", None))


class StaffLanguageMiddleware:
    """After sign-in, pages speak the language the staff member chose in their profile
    (`User.language`), over the browser's; "the browser's language" (empty) leaves Django's
    LocaleMiddleware choice alone. Runs after authentication; a request without a session
    (token links, the API) reads no user. Portal and check-in pages still speak the
    participant's language: their views override it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        language = (
            getattr(user, "language", "") if user is not None and user.is_authenticated else ""
        )
        if language and language != request.LANGUAGE_CODE:
            translation.activate(language)
            request.LANGUAGE_CODE = translation.get_language()
        return self.get_response(request)


class PrivateResponseMiddleware:
    """Nothing personal stays in a browser's or a proxy's cache: every answer to a signed-in
    member, to an API caller (a key or a session) and to a token link says
    `Cache-Control: no-store, private`. On token links it also applies the failed-lookup limit
    and asks search engines not to index (agencies/links.py)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        token_route = links.is_token_route(request)
        if token_route:
            if response.status_code in links.FAILED_LOOKUP_STATUSES and links.lookup_failed(
                request
            ):
                response.status_code = 429
                response.reason_phrase = "Too Many Requests"
            if response.status_code == 429 and not response.has_header("Retry-After"):
                response["Retry-After"] = str(links.RETRY_AFTER_SECONDS)
            if not response.has_header("X-Robots-Tag"):
                response["X-Robots-Tag"] = "noindex, nofollow"
        user = getattr(request, "user", None)
        if (
            token_route
            or (user is not None and user.is_authenticated)
            or "HTTP_AUTHORIZATION" in request.META
            or request.path.startswith("/api/")
        ):
            patch_cache_control(response, no_store=True, private=True)
        return response


class SessionActivityMiddleware:
    """Pushes a signed-in session's idle deadline forward, and records its last activity for
    the Sessions page, at most once a minute.

    The session ends SESSION_COOKIE_AGE after it was last saved (automatic logoff). Saving it
    on every request would cost a database write per page; saving it when the last save is a
    minute old or more ends an idle session between one minute before the deadline and the
    deadline, never later.
    """

    TOUCH_EVERY_SECONDS = 60
    KEY = "_rapport_touched"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        session = getattr(request, "session", None)
        signed_in_by_session = session is not None and session.get(SESSION_KEY) is not None
        if not signed_in_by_session or user is None or not user.is_authenticated:
            return response  # anonymous, or an API key (no session to keep alive)
        now = time.time()
        if now - session.get(self.KEY, 0) >= self.TOUCH_EVERY_SECONDS:
            session[self.KEY] = now  # marks the session modified: saved with a new expiry
            UserSession.objects.create_from_request(request, user=user, session=session)
        return response


class AgencyMiddleware:
    """Resolves the agency of every page under /a/<agency_slug>/, once per request.

    A visitor who is not an active member of an active agency at that slug gets 404, whether
    the agency exists or not. For members it sets `request.agency` and `request.membership`
    (which also tells, from the same query, whether the user has other agencies to switch to)
    and opens the agency scope for the rest of the request, template rendering included, so
    every query on a tenant model in the view sees only this agency.

    Which members may use the page is declared on its route (agencies/access.py); a view here
    without that declaration is a wiring mistake, refused before anything else.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.agency = None
        request.membership = None
        with ExitStack() as request_scope:
            request.agency_scope_stack = request_scope
            request_scope.callback(timezone.deactivate)
            return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        slug = view_kwargs.get("agency_slug")
        if slug is None:
            return None
        if access_of(view_func) is None:
            raise ImproperlyConfigured(f"{request.path_info}: declare it with agency_path().")
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        found = agency_membership_for(user=request.user, slug=slug, note_other_agencies=True)
        if found is None:
            raise Http404(_("No such page."))
        request.agency, request.membership = found
        request.agency_scope_stack.enter_context(agency_scope(request.agency))
        # Staff pages show times in the agency's zone unless a page says otherwise.
        timezone.activate(zoneinfo.ZoneInfo(request.agency.time_zone))
        if request.membership.role == Role.ADMIN and not is_mfa_enabled(request.user):
            messages.warning(
                request, _("Agency admins must set up two-factor authentication before continuing.")
            )
            return redirect("mfa_activate_totp")
        return None
