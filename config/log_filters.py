"""Keep link tokens out of logs. The path of every route that takes a `<str:token>` (/c/, /f/,
/p/, /invitations/ and any added later) carries the credential itself, so the pattern of what
to hide is computed from the URL configuration, not listed here.

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

TOKEN_KWARG = "token"  # noqa: S105 (the URL keyword, not a secret)
SEPARATOR = r"(?:/|%2F)"  # a path, or a path inside a query string (?next=%2Ff%2F...)
TOKEN_CHARS = r"[^/\s?#&%\"'<>]+"  # noqa: S105

_patterns: dict[str, re.Pattern] = {}  # by ROOT_URLCONF
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
    urlconf = settings.ROOT_URLCONF
    if urlconf in _patterns or getattr(_computing, "active", False) or not apps.ready:
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
    if pattern is None:
        return text
    return pattern.sub(lambda match: match.group(1) + "[token]", text)


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
