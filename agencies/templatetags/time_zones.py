"""`{{ name|zone_label }}`: a time zone's readable, translated name ("Eastern Time (New
York)"), from the same list as the picker (agencies/time_zones.py)."""

from django import template

from agencies.time_zones import time_zone_label

register = template.Library()


@register.filter
def zone_label(name: str) -> str:
    return time_zone_label(name or "")
