"""Every page a staff member or a participant can open, on a 390 px phone, in English and in
Spanish: the page must not scroll sideways, and axe-core must find nothing (WCAG 2.1 A/AA and
axe's best practices, such as landmark-unique).

The page list is generated from the URL configuration (tests/routes.py), like the route walk of
tests/test_route_access.py: every agency route is opened as the humblest role it allows (and as
every role for the overview pages whose content is per role), with sample objects built as the
route walk builds them. A route that is neither opened here nor listed in NOT_PAGES, with its
reason, fails test_every_route_is_walked_or_excused: a page added later is checked, or
deliberately excused.

The data is the demo's (demo/seed.py: two agencies with weeks of history), made once for the
module and served by a live server of the module's own, so the ~150 page visits share one
browser and a few signed-in contexts instead of rebuilding everything per page.
`WALK_SCREENSHOTS=1` also saves every page it opens as var/screenshots/walk-<page>.png, to look at.
"""

import os
import re
import time
from dataclasses import dataclass

import pytest
from django.core.management import call_command
from django.db import connections
from django.test import Client
from django.urls import reverse

from agencies.models import Role
from tests.e2e.conftest import (
    AXE_JS,
    AXE_TAGS,
    DESKTOP,
    PHONE,
    SCREENSHOTS_SCRATCH,
    TIMEOUT_MS,
)
from tests.routes import agency_routes, all_routes
from tests.test_cross_agency_routes import OBJECT_BUILDERS

pytestmark = [pytest.mark.e2e]

LANGUAGES = ("en", "es")
ROLES_UPWARD = (Role.PEER, Role.SUPERVISOR, Role.ADMIN)
# Overview pages whose content depends on the role (a supervisor's home shows the agency's
# figures, an admin's adds the setup): opened as every role allowed on them.
PER_ROLE = {"agency_home", "caseload", "alert_list", "notifications"}

# Routes the walk does not open, each with its reason. Everything else in the URL
# configuration is opened (see test_every_route_is_walked_or_excused).
POST_ONLY = "POST only: a button on a page the walk opens; GET answers 405"
NOT_PAGES = {
    # Not pages
    "healthz": "liveness probe: plain text",
    "home": "start page: redirects to the member's agency home (opened as agency_home)",
    "responses_csv": "download: CSV",
    "response_fhir": "download: FHIR JSON",
    "portal_export_json": "download: the participant's data as JSON",
    "portal_export_csv": "download: the participant's data as CSV",
    "mfa_download_recovery_codes": "download: recovery codes as text",
    "sms_inbound": "SMS provider's webhook: signed form posts from the provider, answered in TwiML",
    "sms_status": "SMS provider's delivery-status webhook: signed form posts, empty answer",
    "account_logout": "signs the walk's own session out (its confirmation is allauth's form)",
    # POST only (each answers 405 to GET: test_excused_post_routes_refuse_get)
    "invitation_revoke": POST_ONLY,
    "api_key_revoke": POST_ONLY,
    "participant_import_run": POST_ONLY,
    "disclosure_revoke": POST_ONLY,
    "language_term_delete": POST_ONLY,
    "language_hints": POST_ONLY + " (an htmx fragment)",
    "portal_link_create": POST_ONLY,
    "portal_link_revoke": POST_ONLY,
    "portal_link_send": POST_ONLY,
    "checkin_link_create": POST_ONLY,
    "checkin_kiosk_start": POST_ONLY,
    "checkin_request_revoke": POST_ONLY,
    "alert_acknowledge": POST_ONLY,
    "alert_triage": POST_ONLY + " (the triage form is on the alert page)",
    "checkin_link_send": POST_ONLY + " (the send-now button on the participant page)",
    "alert_resolve": POST_ONLY,
    "goal_step_toggle": POST_ONLY,
    "commitment_close": POST_ONLY,
    "notification_read": POST_ONLY,
    "portal_boundaries_acknowledge": POST_ONLY,
    "portal_goal_agree": POST_ONLY,
    "portal_goal_step_toggle": POST_ONLY,
    "checkin_schedule": POST_ONLY + " (the schedule form is on the commitments page)",
    "checkin_repair_choice": POST_ONLY + " (its answer is the thank-you page, opened here)",
    # allauth features Rapport does not use (settings: no sign-up, no email verification, no
    # login or reauthentication by emailed code)
    "account_email_verification_sent": "email verification is off (invitations prove it)",
    "account_confirm_email": "email verification is off (invitations prove it)",
    "account_confirm_login_code": "login by emailed code is off",
    "account_request_reauthentication_code": "reauthentication by emailed code is off",
    "account_confirm_reauthentication_code": "reauthentication by emailed code is off",
    "account_set_password": "every account has a password: redirects to change password",
}
NOT_PAGE_PREFIXES = {
    "api/": "REST API and its schema (JSON); api/docs/ is a developer tool, not a user page",
    "admin/": "Django admin: platform admins only, not staff or participants",
}


@dataclass(frozen=True)
class Page:
    route: str  # the route's name
    who: str  # a role, "anonymous", "participant" or "mfa-pending" (signed in, code not given)
    language: str

    def __str__(self):
        return f"{self.route}[{self.who}]-{self.language}"


def _staff_pages() -> list[tuple[str, str]]:
    pages = []
    for route in agency_routes():
        if route.name in NOT_PAGES or route.access is None:
            continue
        allowed = [role for role in ROLES_UPWARD if role in route.access.roles]
        for role in allowed if route.name in PER_ROLE else allowed[:1]:
            pages.append((route.name, str(role)))
    return pages


# Pages outside /a/<agency_slug>/, with who opens them.
OTHER_PAGES = [
    ("account_login", "anonymous"),
    ("account_signup", "anonymous"),  # sign-up is closed (invitations only): says so
    ("account_inactive", "anonymous"),  # shown to a deactivated user who signs in
    ("account_reset_password", "anonymous"),
    ("account_reset_password_done", "anonymous"),
    ("account_reset_password_from_key", "reset-link"),  # a context of its own
    ("account_reset_password_from_key_done", "anonymous"),
    ("mfa_authenticate", "mfa-pending"),
    ("invitation_accept", "anonymous"),
    ("account_reauthenticate", Role.PEER),
    ("account_email", Role.PEER),
    ("account_change_password", Role.PEER),
    ("mfa_index", Role.PEER),
    ("mfa_activate_totp", Role.PEER),
    ("usersessions_list", Role.PEER),
    ("mfa_reauthenticate", Role.ADMIN),
    ("mfa_deactivate_totp", Role.ADMIN),
    ("mfa_view_recovery_codes", Role.ADMIN),
    ("mfa_generate_recovery_codes", Role.ADMIN),
    ("portal_home", "participant"),
    ("portal_profile", "participant"),
    ("portal_preferences", "participant"),
    ("portal_goal_edit", "participant"),
    ("checkin", "participant"),
    ("checkin_kiosk_done", "participant"),
    ("follow_through", "participant"),
]
# Participant pages that have no route of their own: the answers of a POST, and error pages.
EXTRA_PAGES = [
    ("checkin_thanks", "participant"),  # after a check-in with a dip: the repair choices
    ("checkin_unusable", "participant"),  # a used, expired or mistyped check-in link
    ("portal_unusable", "participant"),  # the same for a portal link
]

PAGES = [
    Page(name, str(who), language)
    for language in LANGUAGES
    for name, who in _staff_pages() + OTHER_PAGES + EXTRA_PAGES
]


# The site: demo data, a live server, signed-in browser contexts --------------------------------


# Real addresses can be long and have no place to break: pages must wrap them, not widen.
LONG_EMAIL = (
    "{}.christopheralexander.montgomerywashington@peerrecoveryservicesofamerica.example.org"
)


def _give_a_long_email(user) -> None:
    from allauth.account.models import EmailAddress

    email = LONG_EMAIL.format("peer")
    EmailAddress.objects.filter(user=user).update(email=email)
    user.email = email
    user.save(update_fields=["email"])


class Site:
    """The demo agencies, the objects the walk's URLs name, and a browser context per visitor."""

    def __init__(self, browser, base_url):
        self.browser = browser
        self.base_url = base_url
        self.contexts = {}
        self.urls = {}  # (route, who, language) -> path
        self.errors = []

    def context(self, who: str, language: str):
        key = (who, language)
        if key not in self.contexts:
            context = self.browser.new_context(
                base_url=self.base_url,
                viewport=PHONE,
                is_mobile=True,
                has_touch=True,
                locale="es-ES" if language == "es" else "en-US",
                extra_http_headers={"Accept-Language": language},
            )
            context.set_default_timeout(TIMEOUT_MS)
            if who in self.members:
                client = Client()
                client.force_login(self.members[who].user)
                # As if they had just confirmed their password: two-factor settings ask for
                # that (allauth's reauthentication), and the walk checks the pages behind it.
                user = self.members[who].user
                session = client.session
                session["account_authentication_methods_user"] = str(user.pk)
                session["account_authentication_methods"] = [
                    {"method": "password", "at": time.time(), "reauthenticated": True}
                ]
                session.save()
                context.add_cookies(
                    [
                        {
                            "name": "sessionid",
                            "value": client.cookies["sessionid"].value,
                            "url": self.base_url,
                        }
                    ]
                )
            context.on(
                "console",
                lambda message: message.type == "error" and self.errors.append(message.text),
            )
            self.contexts[key] = context
        return self.contexts[key]


def _build(site, route_name: str, who: str, language: str) -> str:
    """The path the walk opens for a page, making the objects it names."""
    from agencies.tenancy import agency_scope
    from alliance.commitments.models import Commitment
    from alliance.goals.models import RecoveryGoal as Goal
    from participants.models import ImportStatus
    from tests.factories import (
        make_checkin_request,
        make_commitment,
        make_import,
        make_invitation,
    )

    agency, participant = site.agency, site.participant
    route = site.routes.get(route_name)
    if route is not None and "agency_slug" in route.kwargs:
        built = {"peer": site.members[str(Role.PEER)]}
        for name in route.kwargs[1:]:
            if name == "participant_id":
                built[name] = participant
            elif name == "membership_id":
                built[name] = site.members[str(Role.PEER)]
            elif name == "import_id":  # columns chosen: its preview shows the rows
                built[name] = make_import(agency, status=ImportStatus.MAPPED)
            else:
                built[name] = OBJECT_BUILDERS[name](agency, built)
        kwargs = {name: obj.pk for name, obj in built.items() if name != "peer"}
        return reverse(route_name, kwargs={"agency_slug": agency.slug, **kwargs})

    person = site.participants[language]  # participant pages follow the person's language
    match route_name:
        case "account_reset_password_from_key":
            # The link of a real reset email (a key made by hand is refused as a bad token).
            from django.core import mail

            from tests.e2e.conftest import link_path

            Client().post(reverse("account_reset_password"), {"email": site.reset_user.email})
            return link_path(mail.outbox[-1].body, "/accounts/password/reset/key/")
        case "mfa_authenticate":
            return reverse("account_login")  # the visit signs in to reach the code step
        case "invitation_accept":
            invitation_agency = site.agency if language == "en" else site.spanish_agency
            invitation = make_invitation(invitation_agency, email=LONG_EMAIL.format("invitee"))
            return reverse(route_name, args=[invitation[1]])
        case "portal_home" | "portal_profile" | "portal_preferences":
            return reverse(route_name, args=[site.portal_token(person)])
        case "portal_goal_edit":
            with agency_scope(person.agency_id):
                goal = Goal.objects.filter(participant=person).first()
            return reverse(route_name, args=[site.portal_token(person), goal.pk])
        case "portal_unusable":
            return reverse("portal_home", args=["no-such-link"])
        case "checkin" | "checkin_thanks":
            request, token = make_checkin_request(person)
            return reverse("checkin", args=[token])
        case "checkin_unusable":
            return reverse("checkin", args=["no-such-link"])
        case "follow_through":
            from agencies.tokens import token_new

            raw, hashed = token_new()
            commitment = make_commitment(person, hours_ahead=-1)
            with agency_scope(person.agency_id):
                Commitment.objects.filter(pk=commitment.pk).update(followup_token_hash=hashed)
            return reverse(route_name, args=[raw])
        case _:
            return reverse(route_name)


@pytest.fixture(scope="module")
def site(browser, django_db_setup, django_db_blocker):
    """The demo data set and a live server, for the whole module; emptied at the end."""
    from django.test import override_settings
    from pytest_django.live_server_helper import LiveServer

    from agencies.models import Agency, Membership
    from agencies.tenancy import agency_scope
    from demo.seed import seed_demo
    from participants.models import Participant
    from participants.services import portal_link_create

    # The walk takes minutes: the "recent sign-in" of two-factor settings must outlast it.
    recent = override_settings(ACCOUNT_REAUTHENTICATION_TIMEOUT=3600)
    recent.enable()
    with django_db_blocker.unblock():
        server = LiveServer("localhost")
        server._live_server_modified_settings.enable()
        try:
            seed_demo()
            site = Site(browser, server.url)
            site.routes = {route.name: route for route in all_routes()}
            site.agency = Agency.objects.get(slug="harbor")
            site.spanish_agency = Agency.objects.get(slug="mesa")
            with agency_scope(site.agency):
                # Dee: the demo's first participant, with a dip, an alert, goals, commitments.
                site.participant = Participant.objects.get(preferred_name="Dee")
                peer = site.participant.assigned_peer
                _give_a_long_email(peer.user)
                site.members = {
                    str(Role.PEER): peer,
                    str(Role.SUPERVISOR): Membership.objects.get(
                        user__email="supervisor@harbor.example"
                    ),
                    str(Role.ADMIN): Membership.objects.get(user__email="admin@harbor.example"),
                }
                # A peer the walk never signs in as: a sign-in spoils a reset key made before.
                site.reset_user = (
                    Membership.objects.filter(role=Role.PEER).exclude(pk=peer.pk).first().user
                )
            site.two_factor_user = site.members[str(Role.ADMIN)].user
            with agency_scope(site.spanish_agency):
                ana = Participant.objects.get(preferred_name="Ana")
            site.participants = {"en": site.participant, "es": ana}
            tokens = {}

            def portal_token(person):
                if person.pk not in tokens:
                    with agency_scope(person.agency_id):
                        tokens[person.pk] = portal_link_create(participant=person, created_by=None)[
                            1
                        ]
                return tokens[person.pk]

            site.portal_token = portal_token
            from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes

            RecoveryCodes.activate(site.members[str(Role.ADMIN)].user)
            for page in PAGES:
                site.urls[page] = _build(site, page.route, page.who, page.language)
                site.context(page.who, page.language)  # signs in now, outside any test
            yield site
        finally:
            for context in site.contexts.values() if "site" in locals() else ():
                context.close()
            server._live_server_modified_settings.disable()
            server.stop()
            call_command("flush", verbosity=0, interactive=False, reset_sequences=False)
            recent.disable()
            connections.close_all()  # else the test database cannot be dropped at the end


# The checks ------------------------------------------------------------------------------------

# The outermost element that sticks out past the right edge of the viewport and is not inside
# a box that scrolls or clips it (a wide table in an overflow-x:auto wrapper is fine).
WIDEST_JS = """() => {
  const root = document.documentElement;
  const width = root.clientWidth;
  if (root.scrollWidth <= width) return null;
  const clipped = (el) => {
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      const style = getComputedStyle(a);
      if (style.overflowX !== 'visible' && a.getBoundingClientRect().right <= width + 1) {
        return true;
      }
    }
    return false;
  };
  const describe = (el) => {
    let text = el.tagName.toLowerCase();
    if (el.id) text += '#' + el.id;
    if (el.classList.length) text += '.' + [...el.classList].join('.');
    const words = (el.innerText || el.value || '').trim().replace(/\\s+/g, ' ').slice(0, 60);
    return text + (words ? ` "${words}"` : '');
  };
  const sticking = [...document.body.querySelectorAll('*')].filter(
    (el) => el.getBoundingClientRect().right > width + 1 && !clipped(el)
  );
  // Text that runs past its own box (a long address with nowhere to break): its element.
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const range = document.createRange();
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!node.textContent.trim() || sticking.includes(node.parentElement)) continue;
    range.selectNodeContents(node);
    if (range.getBoundingClientRect().right > width + 1 && !clipped(node)) {
      sticking.push(node.parentElement);
    }
  }
  const outermost = sticking.filter((el) => !sticking.includes(el.parentElement));
  return {
    scrollWidth: root.scrollWidth,
    width,
    elements: outermost.slice(0, 3).map(describe),
  };
}"""


# Pages whose address changes on the way, and where they land.
REDIRECTED = {
    "mfa_authenticate": r"/accounts/2fa/authenticate/",  # the sign-in form leads there
    "checkin_thanks": r"/c/[^/]+/",  # the answer to the check-in's POST
    # allauth moves the key from the address into the session, then shows the form.
    "account_reset_password_from_key": r"/accounts/password/reset/key/\w+-set-password/",
}
# Error pages answer their error on purpose.
EXPECTED_STATUS = {"checkin_unusable": {404, 410}, "portal_unusable": {404, 410}}


def _open(site, page: Page, tab) -> int:
    path = site.urls[page]
    if page.who == "mfa-pending":
        from demo.seed import DEMO_PASSWORD

        tab.goto(path)
        tab.locator("input[name=login]").fill(site.two_factor_user.email)
        tab.locator("input[name=password]").fill(DEMO_PASSWORD)
        tab.locator("main button[type=submit]").click()
        tab.wait_for_url("**/accounts/2fa/authenticate/")
        return 200
    response = tab.goto(path)
    if page.route == "checkin_thanks":
        # The lowest answer to every question: a dip, so the page offers the repair choices.
        for group in tab.locator("fieldset").all():
            group.locator("input[type=radio]").first.check()
        tab.locator("main button[type=submit]").click()
        tab.wait_for_load_state()
        return 200
    return response.status


# The test itself touches no data (the fixture made it all, committed, for the live server); the
# marker asks pytest-django for the test database even when only these tests are selected.
@pytest.mark.django_db
@pytest.mark.parametrize("page", PAGES, ids=str)
def test_page_fits_a_phone_and_axe_finds_nothing(site, page):
    expected = EXPECTED_STATUS.get(page.route, {200})
    tab = site.context(page.who, page.language).new_page()
    try:
        status = _open(site, page, tab)
        assert status in expected, f"{page}: {site.urls[page]} answered {status}"
        opened = re.sub(r"\?.*", "", tab.url.removeprefix(site.base_url))
        if page.route in REDIRECTED:
            assert re.fullmatch(REDIRECTED[page.route], opened), (
                f"{page} went to {opened}: {tab.locator('h1').first.inner_text()}"
            )
        else:
            assert opened == site.urls[page], f"{page}: {site.urls[page]} went to {opened}"
        lang = tab.evaluate("() => document.documentElement.lang")
        assert lang.startswith(page.language), f"{page} is in '{lang}', not '{page.language}'"

        overflow = tab.evaluate(WIDEST_JS)
        assert overflow is None, (
            f"{page} scrolls sideways: {overflow['scrollWidth']}px wide on a "
            f"{overflow['width']}px screen; sticking out: {'; '.join(overflow['elements'])}"
        )
        if os.environ.get("WALK_SCREENSHOTS") == "1":  # to look at every page, not committed
            SCREENSHOTS_SCRATCH.mkdir(parents=True, exist_ok=True)
            tab.screenshot(path=str(SCREENSHOTS_SCRATCH / f"walk-{page}.png"), full_page=True)
        _assert_axe_clean(tab, str(page))
        errors = [
            error
            for error in site.errors
            if not any(f"status of {code}" in error for code in expected - {200})
        ]
        assert not errors, f"{page}: the browser reported errors: {errors}"
    finally:
        site.errors.clear()
        tab.close()


def _assert_axe_clean(tab, name: str) -> None:
    tab.evaluate(AXE_JS.read_text(encoding="utf-8") + "\n;undefined")
    results = tab.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})",
        [*AXE_TAGS, "best-practice"],
    )
    lines = [
        f"- {v['id']} [{v['impact']}] {v['help']}: "
        + ", ".join(" ".join(node["target"]) for node in v["nodes"][:3])
        for v in results["violations"]
    ]
    assert not lines, f"{name}: axe found:\n" + "\n".join(lines)


# The walk covers the URL configuration ---------------------------------------------------------


def test_every_route_is_walked_or_excused():
    walked = {page.route for page in PAGES}
    missing = [
        route.pattern
        for route in all_routes()
        if route.name not in walked
        and route.name not in NOT_PAGES
        and not any(route.pattern.startswith(prefix) for prefix in NOT_PAGE_PREFIXES)
    ]
    assert missing == [], (
        f"Open these routes in tests/e2e/test_every_page.py, or say in NOT_PAGES why not: {missing}"
    )
    stale = set(NOT_PAGES) - {route.name for route in all_routes()}
    assert stale == set(), f"NOT_PAGES names routes that no longer exist: {stale}"


def test_the_walk_opens_pages_of_every_kind():
    # Guards the walk itself: if the generation broke, the checks above would pass empty.
    walked = {(page.route, page.who) for page in PAGES if page.language == "es"}
    assert {
        ("agency_home", "admin"),
        ("agency_home", "supervisor"),
        ("agency_home", "peer"),
        ("participant_detail", "peer"),
        ("staff_list", "admin"),
        ("alliance_dashboard", "supervisor"),
        ("portal_home", "participant"),
        ("checkin", "participant"),
        ("account_login", "anonymous"),
    } <= walked


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name", sorted(name for name, why in NOT_PAGES.items() if why.startswith(POST_ONLY))
)
def test_excused_post_routes_refuse_get(name, agency_a, admin_a):
    """A route excused as POST only really is: GET answers 405, so no page hides behind it."""
    from tests.test_cross_agency_routes import build_objects, url_of

    route = next(route for route in all_routes() if route.name == name)
    if "agency_slug" in route.kwargs:
        url = url_of(route, agency_a, build_objects(route, agency_a))
        client = Client()
        client.force_login(admin_a.user)
    else:
        from agencies.tenancy import agency_scope
        from participants.services import portal_link_create
        from tests.factories import make_participant

        person = make_participant(agency_a)
        with agency_scope(agency_a):
            token = portal_link_create(participant=person, created_by=None)[1]
        kwargs = {"token": token, "goal_id": 1, "step_id": 1}
        url = reverse(name, kwargs={k: kwargs[k] for k in route.kwargs})
        client = Client()
    assert client.get(url).status_code == 405, url


@pytest.mark.django_db
@pytest.mark.parametrize("role", [str(role) for role in ROLES_UPWARD])
def test_staff_home_on_a_desktop_passes_axe_best_practices(site, role):
    """The home page lays its cards out side by side on a desktop; axe's best practices
    (landmark-unique among them: each card is a region named by its heading) hold there too."""
    tab = site.context(role, "en").new_page()
    try:
        tab.set_viewport_size(DESKTOP)
        tab.goto(site.urls[Page("agency_home", role, "en")])
        _assert_axe_clean(tab, f"agency_home[{role}] at 1280 px")
    finally:
        tab.close()
