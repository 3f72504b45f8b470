"""Double submits store once.

A form that creates something carries a one-time submission id (`{% submission_field %}`).
`@stores_once` lets the first POST with that id through; a repeat (a double click, a resent
form, a second tab) is redirected to where the first one went, without storing anything. A
POST that fails validation, or whose view raises, frees the id, so the form can be sent again.
"""

import uuid
from functools import wraps

from django.contrib import messages
from django.core.cache import cache
from django.http import HttpResponseRedirect
from django.utils.translation import gettext as _

FIELD = "submission"
KEEP_SECONDS = 60 * 60
PENDING = "pending"


def new_submission_id() -> str:
    return uuid.uuid4().hex


def _key(request, submission: str) -> str:
    return f"submission:{request.user.pk}:{submission}"


def stores_once(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        submission = request.POST.get(FIELD, "") if request.method == "POST" else ""
        if not submission or len(submission) > 64:
            return view(request, *args, **kwargs)
        key = _key(request, submission)
        if not cache.add(key, PENDING, KEEP_SECONDS):
            earlier = cache.get(key)
            messages.info(request, _("That was already saved."))
            return HttpResponseRedirect(earlier if earlier and earlier != PENDING else request.path)
        try:
            response = view(request, *args, **kwargs)
        except BaseException:
            # The services write in one transaction, so an error stored nothing: a retry must
            # run again, not be told "That was already saved."
            cache.delete(key)
            raise
        if isinstance(response, HttpResponseRedirect):
            cache.set(key, response["Location"], KEEP_SECONDS)
        else:
            cache.delete(key)  # not stored (errors shown): the corrected form may be sent
        return response

    return wrapper
