"""Spanish: the catalog is complete, and participant-facing pages and messages cannot show an
untranslated string.

Two static checks run over every participant-facing template, without rendering:
- every `{% translate %}` / `{% blocktranslate %}` msgid (and every gettext string of the
  modules that render participant pages and messages) has a Spanish translation, not fuzzy;
- no visible text is written outside translation tags (letters left after removing Django
  tags, variables, comments, HTML tags and attribute values other than alt, title,
  aria-label, placeholder and the value of buttons).

Behavioural tests then open a Spanish participant's check-in and portal pages and read their
reminder text message. Updating the catalog: `make messages` (README, "Languages").
"""

import ast
import re
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path

import polib
import pytest
from django.test import Client
from django.utils import timezone
from django.utils.translation.template import templatize

from agencies.models import Role
from agencies.tenancy import agency_scope
from alliance.checkins import services as alliance_services
from alliance.messaging.models import Delivery, DeliveryKind, DeliveryStatus
from alliance.messaging.services import deliver, delivery_schedule
from alliance.messaging.transports import MemorySMS
from participants import services as participant_services
from participants.services import channel_consent_set
from tests.conftest import client_for
from tests.factories import make_commitment, make_member, make_participant

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "templates"
CATALOG = ROOT / "locale" / "es" / "LC_MESSAGES" / "django.po"
COMPILED = CATALOG.with_suffix(".mo")

# What a participant sees: the pages of check-in, follow-through and portal links, the error
# pages, and base.html, whose frame (title, skip link, messages) every one of them inherits.
PARTICIPANT_TEMPLATE_GLOBS = [
    "base.html",
    "participant_base.html",
    "checkins/checkin*.html",
    "checkins/kiosk_done.html",
    "commitments/follow_through.html",
    "checkins/widgets/*",
    "portal/**/*",
    "errors/*",
]
# Staff pages that only happen to match a glob above.
STAFF_ONLY = {"checkins/checkin_link_created.html"}

# Modules whose strings reach participants: message renderers (texts and emails), the portal
# views (notices), and the forms and models behind the fields and choices of their pages.
PARTICIPANT_MODULES = [
    "alliance/commitments/messages.py",
    "alliance/commitments/models.py",
    "alliance/checkins/messages.py",
    "alliance/checkins/forms.py",
    "alliance/checkins/models.py",
    "alliance/goals/messages.py",
    "alliance/goals/forms.py",
    "alliance/goals/models.py",
    "alliance/portal/messages.py",
    "alliance/portal/views.py",
    "participants/forms.py",
    "participants/models.py",
    "participants/phones.py",
]


def participant_modules() -> list[str]:
    """The list above, plus any module that registers a message renderer (so a new kind of
    message is checked without anyone remembering to add it here)."""
    found = set(PARTICIPANT_MODULES)
    for app in ("agencies", "alliance", "participants"):
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" not in path.parts and "@message_renderer(" in path.read_text("utf-8"):
                found.add(str(path.relative_to(ROOT)))
    return sorted(found)


# Words that stay the same in every language.
UNTRANSLATED_WORDS = re.compile(r"\bRapport\b")  # the product's name

GETTEXT_FUNCTIONS = {
    "_",
    "gettext",
    "gettext_lazy",
    "gettext_noop",
    "ngettext",
    "ngettext_lazy",
    "pgettext",
    "pgettext_lazy",
    "npgettext",
    "npgettext_lazy",
}


def participant_templates() -> list[Path]:
    found = set()
    for pattern in PARTICIPANT_TEMPLATE_GLOBS:
        found.update(p for p in TEMPLATES.glob(pattern) if p.is_file())
    return sorted(p for p in found if str(p.relative_to(TEMPLATES)) not in STAFF_ONLY)


def _name(path: Path) -> str:
    return str(path.relative_to(ROOT))


@pytest.fixture(scope="module")
def catalog() -> dict:
    po = polib.pofile(str(CATALOG))
    return {(e.msgctxt, e.msgid): e for e in po if not e.obsolete}


# Extracting msgids ---------------------------------------------------------------------------

# Django's templatize turns a template into Python-like text with gettext calls, exactly as
# makemessages feeds it to xgettext.
_STRING = r"""u?('(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")"""
_TEMPLATIZED_CALL = re.compile(
    rf"\b(n?p?gettext|_)\(\s*{_STRING}(?:\s*,\s*{_STRING})?(?:\s*,\s*{_STRING})?"
)


def _msgid_of_call(function: str, args: list[str | None]) -> tuple[str | None, str]:
    """(msgctxt, msgid) of a gettext call, given its leading string arguments."""
    if function.startswith(("pgettext", "npgettext")):
        return args[0], args[1]
    return None, args[0]


def template_msgids(path: Path) -> set[tuple[str | None, str]]:
    text = templatize(path.read_text(encoding="utf-8"), origin=str(path))
    found = set()
    for match in _TEMPLATIZED_CALL.finditer(text):
        function = match.group(1)
        args = [ast.literal_eval(s) if s else None for s in match.groups()[1:]]
        found.add(_msgid_of_call(function, args))
    return found


def module_msgids(path: Path) -> set[tuple[str | None, str]]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
        if name not in GETTEXT_FUNCTIONS:
            continue
        args = [a.value if isinstance(a, ast.Constant) else None for a in node.args[:3]]
        context, msgid = _msgid_of_call(name, args + [None, None])
        if isinstance(msgid, str):
            found.add((context, msgid))
    return found


def _untranslated(catalog: dict, msgids: set, where: str) -> list[str]:
    problems = []
    for key in sorted(msgids, key=lambda k: (k[0] or "", k[1])):
        entry = catalog.get(key)
        if entry is None:
            problems.append(f"{where}: {key[1]!r} is not in the Spanish catalog")
        elif not entry.translated():
            state = "fuzzy" if entry.fuzzy else "untranslated"
            problems.append(f"{where}: {key[1]!r} is {state} in the Spanish catalog")
    return problems


HOW_TO_FIX = (
    "\nRun `make messages`, translate the new entries in locale/es/LC_MESSAGES/django.po "
    "(scripts/po-fill helps), then `make messages` again to compile."
)


def test_the_participant_templates_are_found():
    names = {str(p.relative_to(TEMPLATES)) for p in participant_templates()}
    assert {
        "participant_base.html",
        "checkins/checkin.html",
        "checkins/checkin_thanks.html",
        "commitments/follow_through.html",
        "checkins/widgets/scale.html",
        "portal/home.html",
        "errors/404.html",
    } <= names
    assert "checkins/checkin_link_created.html" not in names


@pytest.mark.parametrize("path", participant_templates(), ids=lambda p: _name(p))
def test_participant_template_strings_are_translated(path, catalog):
    problems = _untranslated(catalog, template_msgids(path), _name(path))
    assert not problems, "\n".join(problems) + HOW_TO_FIX


@pytest.mark.parametrize("module", participant_modules())
def test_participant_message_strings_are_translated(module, catalog):
    msgids = module_msgids(ROOT / module)
    assert msgids, f"no gettext strings found in {module}: is the list above out of date?"
    problems = _untranslated(catalog, msgids, module)
    assert not problems, "\n".join(problems) + HOW_TO_FIX


# Visible text outside translation tags -------------------------------------------------------

_DJANGO_COMMENT = re.compile(r"\{#.*?#\}", re.S)
_COMMENT_BLOCK = re.compile(r"\{%\s*comment\b.*?%\}.*?\{%\s*endcomment\s*%\}", re.S)
_BLOCKTRANSLATE = re.compile(
    r"\{%\s*blocktrans(?:late)?\b.*?%\}.*?\{%\s*endblocktrans(?:late)?\s*%\}", re.S
)
_TAG = re.compile(r"\{%.*?%\}", re.S)
_VARIABLE = re.compile(r"\{\{.*?\}\}", re.S)
_LETTER = re.compile(r"[^\W\d_]")

TEXT_ATTRIBUTES = {"alt", "title", "aria-label", "placeholder"}
BUTTON_TYPES = {"submit", "button", "reset"}


class _VisibleText(HTMLParser):
    """Collects the text a person can read or hear: character data outside script and style,
    and the attributes that browsers show or screen readers speak."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        for name, value in attrs:
            spoken = name in TEXT_ATTRIBUTES or (
                name == "value" and tag == "input" and values.get("type") in BUTTON_TYPES
            )
            if spoken and value:
                self.chunks.append(value)
        if tag in ("script", "style"):
            self._hidden += 1

    def handle_startendtag(self, tag, attrs):
        if tag not in ("script", "style"):
            self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._hidden:
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden:
            self.chunks.append(data)


def untranslated_text(source: str) -> list[str]:
    """Visible text of a template written outside translation tags."""
    for pattern in (_DJANGO_COMMENT, _COMMENT_BLOCK, _BLOCKTRANSLATE, _TAG, _VARIABLE):
        source = pattern.sub("", source)
    parser = _VisibleText()
    parser.feed(source)
    parser.close()
    found = []
    for chunk in parser.chunks:
        text = " ".join(chunk.split())
        if _LETTER.search(UNTRANSLATED_WORDS.sub("", text)):
            found.append(text)
    return found


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("<p>{% translate 'Thank you' %}</p>", []),
        ("<p>Thank you</p>", ["Thank you"]),
        ("{% blocktranslate with n=x %}Hi {{ n }}{% endblocktranslate %}", []),
        ('<img alt="A chart" src="a.png">', ["A chart"]),
        ('<a class="button" href="/x/">{% translate "Go" %}</a>', []),
        ('<input type="submit" value="Send">', ["Send"]),
        ('<input type="hidden" name="version" value="{{ v }}">', []),
        ("<button aria-label=\"{% translate 'Close' %}\">×</button>", []),
        ("{# a note #}{% comment %}Staff only{% endcomment %}<p>{{ name }} – 3</p>", []),
        ("<title>{% translate 'Hi' %} · Rapport</title>", []),
    ],
)
def test_the_visible_text_check_itself(source, expected):
    assert untranslated_text(source) == expected


@pytest.mark.parametrize("path", participant_templates(), ids=lambda p: _name(p))
def test_participant_template_has_no_text_outside_translation_tags(path):
    found = untranslated_text(path.read_text(encoding="utf-8"))
    assert not found, (
        f"{_name(path)} shows text outside {{% translate %}} / {{% blocktranslate %}}: "
        + "; ".join(repr(t) for t in found)
    )


# The catalog as a whole ----------------------------------------------------------------------


def test_the_spanish_catalog_is_complete():
    """Staff UI included: after `make messages` picks up a new string, this fails until it is
    translated."""
    po = polib.pofile(str(CATALOG))
    todo = [f"untranslated: {e.msgid!r}" for e in po.untranslated_entries()]
    todo += [f"fuzzy: {e.msgid!r}" for e in po.fuzzy_entries()]
    assert len(po) > 500
    assert not todo, "\n".join(todo) + HOW_TO_FIX


_PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|%%")


def test_translations_keep_their_placeholders():
    po = polib.pofile(str(CATALOG))
    wrong = []
    for entry in po.translated_entries():
        forms = list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]
        # A plural's "one" form may leave the number out ("The first row").
        wanted = [sorted(_PLACEHOLDER.findall(m)) for m in (entry.msgid, entry.msgid_plural) if m]
        for form in forms:
            if sorted(_PLACEHOLDER.findall(form)) not in wanted:
                wrong.append(f"{entry.msgid!r} -> {form!r}")
    assert not wrong, "placeholders differ:\n" + "\n".join(wrong)


def test_the_compiled_catalog_matches_the_po_file():
    """The .mo file is committed (so Spanish works without GNU gettext): it must be the
    compilation of the .po next to it."""

    def translations(entries):
        return {
            (e.msgctxt, e.msgid): (dict(e.msgstr_plural) if e.msgid_plural else e.msgstr)
            for e in entries
            if e.msgid
        }

    po = polib.pofile(str(CATALOG))
    compiled = translations(polib.mofile(str(COMPILED)))
    assert compiled == translations(po.translated_entries()), (
        "locale/es/LC_MESSAGES/django.mo is out of date: run `make messages`."
    )


# In the browser's place ----------------------------------------------------------------------


def _sentences(html: str) -> set[str]:
    """Visible text of a rendered page, in pieces of at least two words."""
    parser = _VisibleText()
    parser.feed(html)
    return {
        " ".join(chunk.split())
        for chunk in parser.chunks
        if len(re.findall(r"[^\W\d_]{2,}", chunk)) >= 2
    }


def _english_left_in(spanish_html: str, english_html: str) -> list[str]:
    spanish = " ".join(_sentences(spanish_html))
    return sorted(s for s in _sentences(english_html) if s in spanish)


@pytest.fixture
def instrument(agency_a):
    with agency_scope(agency_a):
        return alliance_services.instrument_install_default(agency=agency_a)


def _checkin_url(participant) -> str:
    with agency_scope(participant.agency_id):
        _checkin, raw = alliance_services.checkin_request_create(
            participant=participant, channel="link", created_by=None
        )
    return f"/c/{raw}/"


def _portal_url(participant) -> str:
    staff = make_member(participant.agency, Role.PEER).user
    with agency_scope(participant.agency_id):
        _link, raw = participant_services.portal_link_create(
            participant=participant, created_by=staff
        )
    return f"/p/{raw}/"


@pytest.mark.django_db
def test_a_spanish_participants_check_in_is_in_spanish(agency_a, peer_a, instrument):
    english = make_participant(agency_a, peer=peer_a, language="en", preferred_name="Rosa")
    spanish = make_participant(agency_a, peer=peer_a, language="es", preferred_name="Rosa")
    # The browser asks for English: the participant's language wins.
    english_page = Client().get(_checkin_url(english), HTTP_ACCEPT_LANGUAGE="en").text
    spanish_url = _checkin_url(spanish)
    spanish_page = Client().get(spanish_url, HTTP_ACCEPT_LANGUAGE="en").text
    assert "Send my answers" in english_page
    assert '<html lang="es">' in spanish_page
    assert "Hola. ¿Cómo van las cosas entre nosotros?" in spanish_page
    assert "Enviar mis respuestas" in spanish_page
    assert "Tus respuestas ayudan a tu compañero o compañera de apoyo" in spanish_page
    assert _english_left_in(spanish_page, english_page) == []

    with agency_scope(agency_a):
        first_item = instrument.items.order_by("position").first()
    one_answer = {f"item_{first_item.pk}": "4"}
    thanks = Client().post(spanish_url, one_answer, HTTP_ACCEPT_LANGUAGE="en").text
    assert "<h1>Gracias</h1>" in thanks and "Thank you" not in thanks


@pytest.mark.django_db
def test_a_spanish_participants_portal_is_in_spanish(agency_a, peer_a):
    english = make_participant(agency_a, peer=peer_a, language="en", preferred_name="Rosa")
    spanish = make_participant(agency_a, peer=peer_a, language="es", preferred_name="Rosa")
    english_page = Client().get(_portal_url(english), HTTP_ACCEPT_LANGUAGE="en").text
    spanish_url = _portal_url(spanish)
    spanish_page = Client().get(spanish_url, HTTP_ACCEPT_LANGUAGE="en").text
    assert "Hello, Rosa" in english_page
    assert "Hola, Rosa" in spanish_page and "Sobre ti" in spanish_page
    assert "Cómo quieres que te tratemos" in spanish_page
    assert _english_left_in(spanish_page, english_page) == []
    for page in ("profile/", "preferences/"):
        english_form = Client().get(_portal_url(english) + page).text
        spanish_form = Client().get(spanish_url + page).text
        assert "Guardar" in spanish_form and "Volver sin guardar" in spanish_form
        assert _english_left_in(spanish_form, english_form) == []


@pytest.mark.django_db
def test_a_spanish_participants_reminder_text_is_in_spanish(agency_a, peer_a):
    MemorySMS.outbox.clear()
    participant = make_participant(
        agency_a, peer=peer_a, language="es", preferred_name="Dee", phone="+12025550143"
    )
    with agency_scope(agency_a):
        channel_consent_set(participant=participant, channel="sms", granted=True, recorded_by=None)
    commitment = make_commitment(participant, hours_ahead=72)
    with agency_scope(agency_a):
        commitment.promised_by = "participant"
        commitment.save()
        row = delivery_schedule(
            agency_id=agency_a.pk,
            kind=DeliveryKind.COMMITMENT_REMINDER,
            subject_id=commitment.pk,
            due_at=timezone.now() - timedelta(minutes=1),
            channel="sms",
            participant=participant,
            offset_key="-24h",
        )
    with agency_scope(agency_a):
        Delivery.objects.filter(pk=row.pk).update(status=DeliveryStatus.QUEUED)
        deliver(row.pk)
    [(_address, text)] = MemorySMS.outbox
    assert text.startswith("Hola: un recordatorio de lo que planeaste"), text
    MemorySMS.outbox.clear()


def test_the_spanish_sign_in_page_speaks_in_one_register(client):
    """FOUND-IN-USE: allauth's "¿Ha olvidado su contraseña?" (usted) sat beside our tú, and
    "Lenguaje" stood where "Idioma" (a language one speaks) is meant."""
    page = client.get("/accounts/login/", headers={"Accept-Language": "es"}).text
    assert "¿Olvidaste tu contraseña?" in page and "¿Ha olvidado" not in page


def test_spanish_says_idioma_for_a_language_one_speaks(agency_a, admin_a):
    participant = make_participant(agency_a)
    page = client_for(admin_a.user).get(
        f"/a/{agency_a.slug}/participants/{participant.pk}/", headers={"Accept-Language": "es"}
    )
    assert "<dt>Idioma</dt>" in page.text
    # The person-first wording page keeps "Lenguaje": it is about words, not languages.
    assert ">Lenguaje</a>" in page.text
