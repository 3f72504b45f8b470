"""Keep link tokens and personal search terms out of logs.

Tokens: the path of every route that takes a `<str:token>` (/c/, /f/, /p/, /invitations/ and
any added later) carries the credential itself, so the pattern of what to hide is computed from
the URL configuration, not listed here.

Search terms (decision 132): a query parameter that can carry a name, phone number, email
address or record number (`?q=Marcus`, `?external_id=MRN-1`) is logged as `q=[redacted]`. The
one list is `personal_query_parameters()`: every free-text filter (a django-filter CharFilter)
of every API view, found by walking the URL configuration, plus `PAGE_QUERY_PARAMETERS`, the
free-text fields of staff page forms sent by GET. A new free-text API filter is redacted without
a line here; tests/test_privacy.py fails for a page's GET form whose text field is not listed.
The request line, the referrer and a `?next=` holding an encoded query are all covered: the
whole message is rewritten, whichever logger made it (Django's request and server loggers,
gunicorn's access log, Celery).

The redaction happens when a log record is made (`install`, run when logging is configured):
every record of every logger, at every level, whichever handler or test capture receives it,
holds `/f/[token]/` instead of the token. `RedactLinkTokens` also stays on the console handler
for records made before `install` ran."""

import logging
import re
import threading

from django.apps import apps
from django.conf import settings
from django.urls import URLPattern, URLResolver, get_resolver
from django_filters import CharFilter

TOKEN_KWARG = "token"  # noqa: S105 (the URL keyword, not a secret)
SEPARATOR = r"(?:/|%2F)"  # a path, or a path inside a query string (?next=%2Ff%2F...)
TOKEN_CHARS = r"[^/\s?#&%\"'<>]+"  # noqa: S105

REDACTED = "[redacted]"
# Free-text fields of staff page forms that are sent by GET (the caseload's search by name).
PAGE_QUERY_PARAMETERS = ("q",)
# Query-string value characters: up to the next parameter, space, quote or fragment.
VALUE_CHARS = r"[^&\s\"'#<>]*"
ENCODED_VALUE_CHARS = r"(?:(?!%26)[^&\s\"'#<>])*"  # inside an encoded ?next=: up to %26

_patterns: dict[str, re.Pattern] = {}  # by ROOT_URLCONF
_query_patterns: dict[str, re.Pattern] = {}
_computing = threading.local()


def token_route_prefixes() -> list[tuple[str, list[str]]]:
    """Each token route's pattern up to its `<str:token>` (e.g. "f/"), with the literal path
    segments that share that prefix (e.g. "done" beside "c/<str:token>/"), which are not
    tokens."""
    patterns: list[str] = []

    def walk(entries, prefix: str):
        for entry in entries:
            text = prefix + str(entry.pattern)
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, text)
            elif isinstance(entry, URLPattern):
                patterns.append(text)

    walk(get_resolver().url_patterns, "")
    found: dict[str, list[str]] = {}
    for text in patterns:
        match = re.search(r"<(?:\w+:)?" + TOKEN_KWARG + ">", text)
        if match:
            found.setdefault(text[: match.start()], [])
    for prefix, literals in found.items():
        for text in patterns:
            if text.startswith(prefix) and text != prefix:
                segment = text[len(prefix) :].split("/")[0]
                if segment and "<" not in segment and segment not in literals:
                    literals.append(segment)
    return sorted(found.items())


def _views(entries):
    for entry in entries:
        if isinstance(entry, URLResolver):
            yield from _views(entry.url_patterns)
        elif isinstance(entry, URLPattern):
            yield entry.callback


def personal_query_parameters() -> list[str]:
    """Every query parameter that may carry a name, phone, email or record number: the
    free-text filters of the API's views and PAGE_QUERY_PARAMETERS."""
    names = set(PAGE_QUERY_PARAMETERS)
    for callback in _views(get_resolver().url_patterns):
        view_class = getattr(callback, "cls", None)
        filterset = getattr(view_class, "filterset_class", None)
        for name, declared in getattr(filterset, "base_filters", {}).items():
            if isinstance(declared, CharFilter):
                names.add(name)
    return sorted(names)


def query_pattern() -> re.Pattern:
    """Group 1: the parameter's name and `=`, plain (`?q=`) or percent-encoded inside another
    parameter (`%3Fq%3D`); the rest of the match is its value."""
    ready = apps.ready and not getattr(_computing, "active", False)
    urlconf = settings.ROOT_URLCONF if apps.ready else None
    if urlconf in _query_patterns:
        return _query_patterns[urlconf]
    names = list(PAGE_QUERY_PARAMETERS)
    if ready:
        _computing.active = True
        try:
            names = personal_query_parameters()
        except Exception:  # the URL configuration cannot be imported yet
            ready = False
        finally:
            _computing.active = False
    alternatives = "|".join(re.escape(name) for name in names)
    pattern = re.compile(
        rf"([?&](?:{alternatives})=){VALUE_CHARS}"
        rf"|((?:%3F|%26)(?:{alternatives})%3D){ENCODED_VALUE_CHARS}",
        re.IGNORECASE,
    )
    if ready:
        _query_patterns[urlconf] = pattern
    return pattern


def _prefix_regex(prefix: str) -> str:
    parts = re.split(r"(<[^>]+>)", prefix)
    regex = "".join(
        r"[^/\s]+" if part.startswith("<") else re.escape(part).replace("/", SEPARATOR)
        for part in parts
    )
    return SEPARATOR + regex


def token_pattern() -> re.Pattern | None:
    """The compiled pattern (group 1: everything before the token), built once from the URL
    configuration; None while it cannot be built yet (apps loading)."""
    if not apps.ready:  # also before settings exist (gunicorn's master process)
        return None
    urlconf = settings.ROOT_URLCONF
    if urlconf in _patterns or getattr(_computing, "active", False):
        return _patterns.get(urlconf)
    _computing.active = True
    try:
        alternatives = []
        for prefix, literals in token_route_prefixes():
            not_literal = "".join(
                rf"(?!{re.escape(literal)}(?:{SEPARATOR}|$|[\s?#&]))" for literal in literals
            )
            alternatives.append(f"{_prefix_regex(prefix)}{not_literal}")
        _patterns[urlconf] = re.compile(
            ("(" + "|".join(alternatives) + ")" + TOKEN_CHARS) if alternatives else "(?!)",
            re.IGNORECASE,
        )
    except Exception:  # the URL configuration cannot be imported yet
        return None
    finally:
        _computing.active = False
    return _patterns[urlconf]


def redact(text: str) -> str:
    pattern = token_pattern()
    if pattern is not None:
        text = pattern.sub(lambda match: match.group(1) + "[token]", text)
    if "=" in text or "%3D" in text or "%3d" in text:
        text = query_pattern().sub(
            lambda match: (match.group(1) or match.group(2)) + REDACTED, text
        )
    return text


def _redact_record(record: logging.LogRecord) -> None:
    try:
        message = record.getMessage()
    except Exception:  # a malformed record: leave it for the handler to report
        return
    redacted = redact(message)
    if redacted != message:
        record.msg, record.args = redacted, ()


_installed = False


def install() -> None:
    """Redact every log record when it is made (idempotent)."""
    global _installed
    if _installed:
        return
    _installed = True
    make_record = logging.getLogRecordFactory()

    def redacting_factory(*args, **kwargs):
        record = make_record(*args, **kwargs)
        _redact_record(record)
        return record

    logging.setLogRecordFactory(redacting_factory)


class RedactLinkTokens(logging.Filter):
    def __init__(self, name: str = ""):
        super().__init__(name)
        install()

    def filter(self, record: logging.LogRecord) -> bool:
        _redact_record(record)
        return True
