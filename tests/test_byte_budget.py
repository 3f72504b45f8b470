"""The participant's phone (issue 17, goal 4): the check-in page and the portal's pages fit
the first round trip of a poor mobile connection on their first view: at most 14 KB
transferred (the compressed HTML with its headers, and the compressed stylesheet), no
JavaScript, at most 2 requests (the page and its stylesheet; the icon is inline).

Compressed as the served stack compresses: pages by GZipMiddleware (config/settings/base.py),
the stylesheet by whitenoise, which stores a gzip copy at collectstatic (level 9). The
throttled-browser figures are in the benchmarks (bench/phone.py, docs/benchmarks.md)."""

import gzip
from html.parser import HTMLParser

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

from agencies.models import Role
from agencies.tenancy import agency_scope

from .factories import make_checkin_request, make_goal, make_member, make_participant

BUDGET = 14 * 1024
pytestmark = pytest.mark.django_db


class Resources(HTMLParser):
    """What a browser fetches besides the page, and whether the page runs any script."""

    def __init__(self):
        super().__init__()
        self.fetched: list[str] = []
        self.scripts = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script" or any(name.startswith("on") for name in attrs):
            self.scripts += 1
        url = attrs.get("src") or (attrs.get("href") if tag == "link" else None)
        if url and not url.startswith("data:"):
            self.fetched.append(url)


def first_view(url: str) -> dict:
    """The page as a phone fetches it, and what it would fetch next."""
    response = Client().get(url, headers={"accept-encoding": "gzip, br"})
    assert response.status_code == 200, (url, response.status_code)
    assert response.get("Content-Encoding") == "gzip", url
    html = gzip.decompress(response.content).decode()
    parser = Resources()
    parser.feed(html)
    headers = sum(len(f"{k}: {v}\r\n") for k, v in response.items()) + len("HTTP/1.1 200 OK\r\n")
    size = len(response.content) + headers
    for resource in parser.fetched:
        assert resource.endswith(".css"), (url, resource)
        path = finders.find(resource.removeprefix("/static/"))
        size += len(gzip.compress(open(path, "rb").read(), compresslevel=9))
    return {"bytes": size, "requests": 1 + len(parser.fetched), "scripts": parser.scripts}


def participant_pages(agency) -> dict[str, str]:
    from participants import services as portal_services

    peer = make_member(agency, Role.PEER)
    participant = make_participant(agency, peer=peer)
    _request, checkin = make_checkin_request(participant)
    goal = make_goal(participant)
    with agency_scope(agency):
        _link, portal = portal_services.portal_link_create(
            participant=participant, created_by=peer.user
        )
    return {
        "check-in": f"/c/{checkin}/",
        "portal": f"/p/{portal}/",
        "portal profile": f"/p/{portal}/profile/",
        "portal preferences": f"/p/{portal}/preferences/",
        "portal goal": f"/p/{portal}/goals/{goal.pk}/edit/",
    }


def test_participant_pages_fit_the_first_round_trip(agency_a):
    over = {}
    for name, url in participant_pages(agency_a).items():
        seen = first_view(url)
        if seen["bytes"] > BUDGET or seen["requests"] > 2 or seen["scripts"]:
            over[name] = seen
    assert over == {}, f"Over the phone budget ({BUDGET} bytes, 2 requests, no script): {over}"
