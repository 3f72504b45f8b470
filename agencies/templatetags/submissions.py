from django import template
from django.utils.html import format_html

from agencies.submissions import FIELD, new_submission_id

register = template.Library()


@register.simple_tag(takes_context=True)
def submission_field(context):
    """The hidden one-time id that makes a double submit store once (agencies/submissions.py).
    A form shown again after errors keeps the id it was sent with."""
    request = context.get("request")
    sent = request.POST.get(FIELD, "") if request is not None and request.method == "POST" else ""
    return format_html(
        '<input type="hidden" name="{}" value="{}">', FIELD, sent or new_submission_id()
    )
