"""One JSON error format for every API failure:

    {"error": {"code": "invalid", "message": "…", "fields": {"phone": ["…"]}}}

`fields` appears only for validation errors (nested fields as dotted paths). The custom DRF
exception handler below produces it for validation, authentication, permission, not found,
conflict and throttling errors alike."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.http import Http404, JsonResponse
from rest_framework import exceptions, serializers, status
from rest_framework.views import exception_handler as drf_exception_handler


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state of the resource."
    default_code = "conflict"


class Duplicate(Conflict):
    """A value another row already holds (a record number): 409 `conflict`, with `fields`
    naming it, as a validation error does."""

    default_detail = "This conflicts with an existing record (a duplicate)."


class AgencyRequired(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = (
        "You belong to several agencies: name one in the X-Rapport-Agency header (its slug)."
    )
    default_code = "agency_required"


class TooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "too_large"


API_PREFIX = "/api/"

# What Django itself answers under /api/ (config/errors.py), outside any API view: a URL that
# matches no route (`/api/v1/participants/null,null/`), a body too large to read, a crash.
DJANGO_ERRORS = {
    400: ("bad_request", "The request could not be read."),
    403: ("permission_denied", "You do not have permission to perform this action."),
    404: ("not_found", "Not found."),
    413: ("too_large", TooLarge.default_detail),
    500: ("server_error", "Something went wrong on our side; it has been logged."),
}


def is_api_request(request) -> bool:
    return request.path.startswith(API_PREFIX)


def json_error(status_code: int) -> JsonResponse:
    """The API's error body for a failure Django answers before (or instead of) an API view."""
    code, message = DJANGO_ERRORS[status_code]
    return JsonResponse({"error": {"code": code, "message": message}}, status=status_code)


def _flatten(detail, prefix="") -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for name, value in detail.items():
            key = f"{prefix}.{name}" if prefix else str(name)
            fields.update(_flatten(value, key))
    elif isinstance(detail, list):
        if all(not isinstance(item, dict | list) for item in detail):
            fields[prefix or "non_field_errors"] = [str(item) for item in detail]
        else:
            for index, item in enumerate(detail):
                if item:
                    key = f"{prefix}.{index}" if prefix else str(index)
                    fields.update(_flatten(item, key))
    else:
        fields[prefix or "non_field_errors"] = [str(detail)]
    return fields


def _code(exc: exceptions.APIException) -> str:
    codes = exc.get_codes()
    return codes if isinstance(codes, str) else exc.default_code


def exception_handler(exc, context):
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(*exc.args[:1])
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(serializers.as_serializer_error(exc))
    elif isinstance(exc, RequestDataTooBig):
        exc = TooLarge()
    elif isinstance(exc, IntegrityError):
        exc = Conflict("This conflicts with an existing record (a duplicate?).")
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # a bug: let Django answer 500 and log it
    if isinstance(exc, Duplicate) and isinstance(exc.detail, dict):
        body = {
            "code": "conflict",
            "message": Duplicate.default_detail,
            "fields": _flatten(exc.detail),
        }
    elif isinstance(exc, exceptions.ValidationError):
        body = {
            "code": "invalid",
            "message": "Some fields are invalid.",
            "fields": _flatten(exc.detail),
        }
    else:
        body = {"code": _code(exc), "message": str(exc.detail)}
    response.data = {"error": body}
    return response
