"""LongSelect (agencies/widgets.py) is Django's Select for flat choices, written faster."""

from html.parser import HTMLParser

from django import forms

from agencies.models import TIME_ZONE_CHOICES
from agencies.widgets import LongSelect

CHOICES = [("", "---------"), *TIME_ZONE_CHOICES, ("<&>", 'Odd "one"')]


class Parsed(HTMLParser):
    def __init__(self, html):
        super().__init__()
        self.tags, self.text = [], []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, sorted(attrs)))

    def handle_data(self, data):
        if data.strip():
            self.text.append(data)


def test_it_renders_what_djangos_select_renders():
    attrs = {"id": "id_time_zone", "required": True, "aria-describedby": "id_time_zone_help"}
    for value in ("America/Chicago", "", None, "<&>"):
        django_select = forms.Select(choices=CHOICES).render("time_zone", value, attrs=attrs)
        long_select = LongSelect(choices=CHOICES).render("time_zone", value, attrs=attrs)
        expected, found = Parsed(django_select), Parsed(long_select)
        assert (found.tags, found.text) == (expected.tags, expected.text), value
    assert sum("selected" in dict(a) for _, a in Parsed(long_select).tags) == 1
