"""API keys with scopes, walked over every route and method of /api/v1/ (generated from the
URL configuration, like tests/test_api_cross_agency.py): every endpoint declares the resource
it serves; a read-only key is refused every write (403) and can read; a key limited to other
resources is refused everything (403), while a key for the route's own resource gets through."""

import pytest
from django.urls import resolve

from agencies.api.resources import API_RESOURCES
from tests.factories import api_client, make_api_key
from tests.test_api_cross_agency import API_ROUTES, _url

WRITES = ("post", "put", "patch", "delete")


def _endpoint(route, url):
    match = resolve(url)
    # The viewset, and the methods it routes (a copy: DRF adds "head" while dispatching).
    return match.func.cls, [m for m in match.func.actions if m not in ("head", "options")]


@pytest.mark.parametrize("route", API_ROUTES, ids=str)
def test_every_api_endpoint_declares_a_listed_resource(route, agency_a):
    viewset, _actions = _endpoint(route, _url(route, agency_a))
    assert viewset.api_resource in API_RESOURCES, (
        f"{viewset.__name__} serves {route}: set api_resource to one of {list(API_RESOURCES)}"
    )


@pytest.mark.parametrize("route", API_ROUTES, ids=str)
def test_a_read_only_key_reads_and_is_refused_every_write(route, agency_a):
    url = _url(route, agency_a)
    _viewset, actions = _endpoint(route, url)
    reader = api_client(make_api_key(agency_a, access="read")[1])
    if "get" in actions:
        assert reader.get(url).status_code == 200, url  # the control
    for method in (m for m in WRITES if m in actions):
        answer = getattr(reader, method)(url, {})
        assert answer.status_code == 403, (url, method, answer.status_code)
        assert answer.json()["error"]["code"] == "read_only_key"


@pytest.mark.parametrize("route", API_ROUTES, ids=str)
def test_a_key_for_other_resources_is_refused_and_one_for_this_resource_is_not(route, agency_a):
    url = _url(route, agency_a)
    viewset, actions = _endpoint(route, url)
    others = [name for name in API_RESOURCES if name != viewset.api_resource]
    outsider = api_client(make_api_key(agency_a, resources=others)[1])
    insider = api_client(make_api_key(agency_a, resources=[viewset.api_resource])[1])
    for method in actions:
        answer = getattr(outsider, method)(url, {})
        assert answer.status_code == 403, (url, method, answer.status_code)
        assert answer.json()["error"]["code"] == "resource_not_allowed"
        # The control: the same request with a key for this resource is not refused for scope
        # (it may still be invalid: an empty body).
        assert getattr(insider, method)(url, {}).status_code != 403, (url, method)


def test_create_api_key_on_the_server_takes_a_scope(agency_a, capsys):
    from django.core.management import CommandError, call_command

    call_command(
        "create_api_key",
        "--agency",
        agency_a.slug,
        "--name",
        "Billing export",
        "--resources",
        "participants",
    )
    out = capsys.readouterr()
    raw = out.out.strip()
    assert "Read only, participants" in out.err
    key = api_client(raw)
    assert key.get("/api/v1/participants/").status_code == 200
    assert key.get("/api/v1/alerts/").status_code == 403
    assert key.post("/api/v1/participants/", {"preferred_name": "Rosa"}).status_code == 403
    with pytest.raises(CommandError, match="Unknown resources"):
        call_command(
            "create_api_key", "--agency", agency_a.slug, "--name", "x", "--resources", "notes"
        )
