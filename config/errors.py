"""Error pages in the site's layout. The 500 page renders without the request context so it
cannot fail on the database that may have caused it. Under /api/ every error Django answers
itself (no route, a body too large, a crash) is the API's JSON error instead
(agencies.api.errors.json_error), so an integrator never parses an HTML page."""

from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponseServerError
from django.shortcuts import render
from django.template.loader import get_template

from agencies.api.errors import is_api_request, json_error


def bad_request(request, exception):
    if is_api_request(request):
        return json_error(413 if isinstance(exception, RequestDataTooBig) else 400)
    return render(request, "errors/400.html", status=400)


def permission_denied(request, exception):
    if is_api_request(request):
        return json_error(403)
    return render(request, "errors/403.html", status=403)


def page_not_found(request, exception):
    if is_api_request(request):
        return json_error(404)
    return render(request, "errors/404.html", status=404)


def server_error(request):
    if is_api_request(request):
        return json_error(500)
    return HttpResponseServerError(get_template("errors/500.html").render())
