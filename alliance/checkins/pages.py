"""The participant's busiest pages, kept rendered in this process (issue 17, decision 182).

A check-in page differs from link to link in two values only: the CSRF token and the link's
expiry. Everything else follows from the instrument version (which never changes once made),
the language and whether it is a kiosk. So the page is rendered once per process for each of
those, with a marker in place of each value, and every visit fills the markers in. The
thank-you page without a repair choice carries nothing that differs at all: it is kept whole
per language; with the repair choice (after a dip) it differs in the CSRF token and the
link's token in the form's address, and is kept the same way as the check-in page.

Only for a visitor without a session or pending messages (a participant's phone): a page for
anyone else renders through the templates as usual, since the base template shows messages.
"""

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

# A marker (_filled) is letters and digits, which neither autoescaping nor a URL changes, and
# no page text contains: CHECKIN<NAME>7f3a.
_MAX = 500  # distinct pages kept; a process that somehow meets more starts over

_checkin_shells: dict[tuple, str] = {}
_thanks: dict[str, str] = {}
_thanks_choice: dict[str, str] = {}


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


def _filled(request, store: dict, key, template: str, context: dict, values: dict) -> SafeString:
    """`template` rendered once per `key` with a marker in place of each of `values` (context
    name -> this visit's value), then the markers replaced by this visit's values, escaped."""
    marks = {name: f"CHECKIN{name.upper().replace('_', '')}7f3a" for name in values}

    def render():
        html = render_to_string(template, {**context, **marks}, request)
        if not all(mark in html for mark in marks.values()):
            raise RuntimeError(f"{template} lost a marker: render it uncached")
        return html

    page = _kept(store, key, render)
    for name, mark in marks.items():
        page = page.replace(mark, escape(values[name]), 1)
    return mark_safe(page)  # noqa: S308 (a rendered template; every value put in is escaped)


def checkin_page_html(request, *, key: tuple, context: dict, until: str) -> SafeString:
    """The blank check-in page for `key` (instrument version, language, kiosk), with this
    visit's CSRF token and the link's expiry `until` (already in the participant's zone and
    language). Call it inside `translation.override(language)`."""
    values = {"csrf_token": get_token(request), "until": until}
    return _filled(request, _checkin_shells, key, "checkins/checkin.html", context, values)


def thanks_page_html(request, *, language: str, context: dict) -> str:
    """The thank-you page without a repair choice, in `language` (the active one)."""
    template = "checkins/checkin_thanks.html"
    return _kept(_thanks, language, lambda: render_to_string(template, context, request))


def thanks_choice_page_html(request, *, language: str, token: str, context: dict) -> SafeString:
    """The thank-you page that offers the repair choice (after a dip), in `language` (the
    active one), with this visit's CSRF token and the link's token in the form's address."""
    values = {"csrf_token": get_token(request), "token": token}
    template = "checkins/checkin_thanks.html"
    return _filled(request, _thanks_choice, language, template, context, values)


def forget() -> None:
    """Empty this process's copies (tests: templates and instrument ids change between them)."""
    _checkin_shells.clear()
    _thanks.clear()
    _thanks_choice.clear()
