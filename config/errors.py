"""Error pages in the site's layout. The 500 page renders without the request context so it
cannot fail on the database that may have caused it."""

from django.http import HttpResponseServerError
from django.shortcuts import render
from django.template.loader import get_template


def bad_request(request, exception):
    return render(request, "errors/400.html", status=400)


def permission_denied(request, exception):
    return render(request, "errors/403.html", status=403)


def page_not_found(request, exception):
    return render(request, "errors/404.html", status=404)


def server_error(request):
    return HttpResponseServerError(get_template("errors/500.html").render())
