"""OpenAPI: the error body, the documented error responses of every endpoint and the security
schemes. (The schema and Swagger UI views are in docs.py: drf-spectacular's views import this
module through the DEFAULT_SCHEMA_CLASS setting.)"""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers

from agencies.api.serializers import Serializer

AGENCY_HEADER = "X-Rapport-Agency"
IDEMPOTENCY_HEADER = "Idempotency-Key"


class ErrorDetailSerializer(Serializer):
    code = serializers.CharField(help_text="Stable machine-readable code, e.g. `invalid`.")
    message = serializers.CharField(help_text="Human-readable explanation.")
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Validation errors only: field (dotted path for nested) -> messages.",
    )


class ErrorSerializer(Serializer):
    error = ErrorDetailSerializer()


ERROR_TEXT = {
    400: "Invalid input (`invalid`, with `fields`), a malformed cursor, or no agency named.",
    401: "No or invalid API key / not signed in (`not_authenticated`, `authentication_failed`).",
    403: "Not allowed (`permission_denied`, `mfa_required`).",
    404: "Not found, or not in your agency (`not_found`).",
    409: "Idempotency-Key reused with another body, or still in progress; or a duplicate.",
    429: "Too many requests for this key (`throttled`); see Retry-After.",
}


def errors(*codes: int) -> dict:
    """Documented error responses. 400, 401, 403 and 429 apply to every endpoint."""
    wanted = sorted({400, 401, 403, 429, *codes})
    return {code: OpenApiResponse(ErrorSerializer, description=ERROR_TEXT[code]) for code in wanted}


def api_doc(*, summary: str, request=None, response=None, status: int = 200, codes=(), **extra):
    """extend_schema with the success response and the standard errors."""
    responses = {status: response, **errors(*codes)}
    return extend_schema(summary=summary, request=request, responses=responses, **extra)


IDEMPOTENCY_PARAMETER = OpenApiParameter(
    IDEMPOTENCY_HEADER,
    type=str,
    location=OpenApiParameter.HEADER,
    required=False,
    pattern=r"^[!-~]{1,255}$",
    description="Send the same key again to get the first response replayed (24 hours); "
    "the same key with a different body answers 409.",
)


class RapportAutoSchema(AutoSchema):
    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        responses = (operation or {}).get("responses", {})
        if self.method == "POST" and "409" not in responses and "400" in responses:
            responses["409"] = {**responses["400"], "description": ERROR_TEXT[409]}
        return operation

    def get_override_parameters(self):
        parameters = list(super().get_override_parameters())
        if self.method == "POST":
            parameters.append(IDEMPOTENCY_PARAMETER)
        return parameters


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "agencies.api.authentication.ApiKeyAuthentication"
    name = "apiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An agency API key: `Authorization: Bearer rk_…`. Created by agency "
            "admins (API keys page) or `manage.py create_api_key`.",
        }


class SessionAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "agencies.api.authentication.AgencySessionAuthentication"
    name = "session"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "cookie",
            "name": "sessionid",
            "description": f"A signed-in staff member. Name the agency in the `{AGENCY_HEADER}` "
            "header (its slug) unless you belong to one agency only; writes need the CSRF token.",
        }
