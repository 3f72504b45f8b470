"""The participant's two busiest pages, kept rendered in this process (issue 17, decision 182).

A check-in page differs from link to link in two values only: the CSRF token and the link's
expiry. Everything else follows from the instrument version (which never changes once made),
the language and whether it is a kiosk. So the page is rendered once per process for each of
those, with a marker in place of each value, and every visit fills the markers in. The
thank-you page without a repair choice carries nothing that differs at all: it is kept whole
per language.

Only for a visitor without a session or pending messages (a participant's phone): a page for
anyone else renders through the templates as usual, since the base template shows messages.
"""

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

# Characters that neither autoescaping nor the templates change, and no page text contains.
CSRF_MARK = "CHECKINCSRF7f3a"
UNTIL_MARK = "CHECKINUNTIL7f3a"
_MAX = 500  # distinct pages kept; a process that somehow meets more starts over

_checkin_shells: dict[tuple, str] = {}
_thanks: dict[str, str] = {}


def cacheable(request) -> bool:
    """Whether the page can come from this process's copy: the visitor has no session and no
    pending messages, so the base template would show nothing of theirs."""
    cookies = request.COOKIES
    return settings.SESSION_COOKIE_NAME not in cookies and CookieStorage.cookie_name not in cookies


def _kept(store: dict, key, render) -> str:
    html = store.get(key)
    if html is None:
        if len(store) >= _MAX:
            store.clear()
        html = store[key] = render()
    return html


def checkin_page_html(request, *, key: tuple, context: dict, until: str) -> SafeString:
    """The blank check-in page for `key` (instrument version, language, kiosk), with this
    visit's CSRF token and the link's expiry `until` (already in the participant's zone and
    language). Call it inside `translation.override(language)`."""

    def render():
        marked = {**context, "csrf_token": CSRF_MARK, "until": UNTIL_MARK}
        html = render_to_string("checkins/checkin.html", marked, request)
        if CSRF_MARK not in html or UNTIL_MARK not in html:
            raise RuntimeError("checkins/checkin.html lost a marker: render it uncached")
        return html

    shell = _kept(_checkin_shells, key, render)
    page = shell.replace(CSRF_MARK, get_token(request), 1).replace(UNTIL_MARK, escape(until), 1)
    return mark_safe(page)  # noqa: S308 (the shell is a rendered template; both values escaped)


def thanks_page_html(request, *, language: str, context: dict) -> str:
    """The thank-you page without a repair choice, in `language` (the active one)."""
    template = "checkins/checkin_thanks.html"
    return _kept(_thanks, language, lambda: render_to_string(template, context, request))


def forget() -> None:
    """Empty this process's copies (tests: templates and instrument ids change between them)."""
    _checkin_shells.clear()
    _thanks.clear()
