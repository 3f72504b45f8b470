"""Walks the URL configuration so tests can check every route, including ones added later."""

from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver

from agencies.access import Access, access_of


@dataclass(frozen=True)
class Route:
    pattern: str  # the full pattern, e.g. "a/<slug:agency_slug>/staff/<int:membership_id>/"
    name: str | None
    kwargs: tuple[str, ...]  # URL keyword arguments, in order
    access: Access | None = None  # who may use it, as declared with agency_path (None: not)

    def __str__(self):
        return self.name or self.pattern


def all_routes() -> list[Route]:
    routes: list[Route] = []

    def walk(patterns, prefix: str, converters: dict):
        for entry in patterns:
            text = prefix + str(entry.pattern)
            found = {**converters, **getattr(entry.pattern, "converters", {})}
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, text, found)
            elif isinstance(entry, URLPattern):
                routes.append(Route(text, entry.name, tuple(found), access_of(entry.callback)))

    walk(get_resolver().url_patterns, "", {})
    return routes


def agency_routes() -> list[Route]:
    return [route for route in all_routes() if "agency_slug" in route.kwargs]
