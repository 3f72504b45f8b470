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
    400: "Invalid input (`invalid`, with `fields`), or no agency named.",
    401: "No or invalid API key / not signed in (`not_authenticated`, `authentication_failed`).",
    403: "Not allowed (`permission_denied`, `mfa_required`).",
    404: "Not found, or not in your agency, or a cursor this API did not make (`not_found`).",
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
        cursor = any(p.get("name") == "cursor" for p in (operation or {}).get("parameters", []))
        if cursor and "404" not in responses and "400" in responses:
            responses["404"] = {**responses["400"], "description": ERROR_TEXT[404]}
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


# Input rules the OpenAPI document states (decision 137) ---------------------------------------
# Applied to the generated document (SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]), so every
# request body and query parameter, present and future, states them.


def _text_pattern(*, non_blank: bool) -> str:
    """A string without NUL or invisible formatting characters (agencies/text.py, refused by
    every text field); `non_blank`: with at least one character that is not white space (text
    is trimmed before it is checked)."""
    from agencies.text import INVISIBLE_FORMATTING

    refused = "\\u0000" + INVISIBLE_FORMATTING.encode("unicode_escape").decode().replace(
        "\\xad", "\\u00ad"
    )
    if non_blank:
        space = "".join(f"\\u{code:04x}" for code in range(0x3001) if chr(code).isspace())
        return f"^[{space}]*[^{space}{refused}][^{refused}]*$"
    return f"^[^{refused}]*$"


def _state_text_rules(schema: dict) -> None:
    if schema.get("type") != "string" or "enum" in schema or "format" in schema:
        return
    if "pattern" in schema:
        return
    schema["pattern"] = _text_pattern(non_blank=schema.get("minLength", 0) >= 1)


STRICT_QUERY_PARAMETERS = ("cursor", "page_size")


def _state_query_rules(parameter: dict) -> None:
    """A filter sent empty (`?status=`, as an HTML form sends it) is the same as leaving it
    out: the schema says so, rather than pretend only a date, a number or a choice goes."""
    schema = parameter.get("schema", {})
    _state_text_rules(schema)
    if parameter["name"] in STRICT_QUERY_PARAMETERS:
        return
    if schema.get("type") != "string" or "enum" in schema or "format" in schema:
        parameter["schema"] = {"anyOf": [schema, {"type": "string", "maxLength": 0}]}
        parameter.setdefault("description", "")
        parameter["description"] = (parameter["description"] + " Empty: not filtered.").strip()


def _walk_request_schema(schema: dict) -> None:
    if schema.get("type") == "object" and "properties" in schema:
        schema["additionalProperties"] = False
    for value in schema.get("properties", {}).values():
        _state_text_rules(value)
        _walk_request_schema(value)
    if isinstance(schema.get("items"), dict):
        _state_text_rules(schema["items"])
        _walk_request_schema(schema["items"])


def _request_components(result: dict) -> set[str]:
    """The component schemas request bodies use, and those they nest."""
    components = result.get("components", {}).get("schemas", {})
    names: set[str] = set()

    def refs(node):
        if isinstance(node, dict):
            if isinstance(node.get("$ref"), str):
                yield node["$ref"].rsplit("/", 1)[-1]
            for value in node.values():
                yield from refs(value)
        elif isinstance(node, list):
            for value in node:
                yield from refs(value)

    pending = [
        name
        for operations in result.get("paths", {}).values()
        for operation in operations.values()
        for name in refs(operation.get("requestBody", {}))
    ]
    while pending:
        name = pending.pop()
        if name not in names and name in components:
            names.add(name)
            pending.extend(refs(components[name]))
    return {name for name in names if components[name].get("type") == "object"}


def state_input_rules(result, generator, request, public):
    """Request bodies take no property they do not list (decision 130); text refuses NUL and
    invisible formatting (decision 135) and, where it may not be blank, white space alone;
    query parameters likewise; a body with a required property is itself required."""
    components = result.get("components", {}).get("schemas", {})
    for name in _request_components(result):
        _walk_request_schema(components[name])
        rule = EXTRA_REQUEST_RULES.get(name)
        if rule:
            rule(components[name])
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "query":
                    _state_query_rules(parameter)
            body = operation.get("requestBody")
            if body:
                ref = body["content"]["application/json"]["schema"].get("$ref", "")
                if components.get(ref.rsplit("/", 1)[-1], {}).get("required"):
                    body["required"] = True
    return result


def _email_rules(schema: dict) -> None:
    if "email" in schema.get("properties", {}):
        limit = schema["properties"]["email"].get("maxLength", 254)
        schema["properties"]["email"] = {
            "anyOf": [
                {"type": "string", "format": "email", "maxLength": limit},
                {"type": "string", "maxLength": 0},
            ],
            "description": "An email address, or empty for none.",
        }


def _participant_rules(schema: dict) -> None:
    _email_rules(schema)
    phone = schema["properties"]["phone"]
    phone["description"] = (
        "A phone number valid in its numbering plan (with the country code outside "
        "RAPPORT_PHONE_REGION), or empty for none. Stored in E.164."
    )


def _commitment_rules(schema: dict) -> None:
    """With an API key, a staff member's promise names the staff member."""
    schema["anyOf"] = [
        {"properties": {"promised_by": {"enum": ["participant"]}}, "required": ["promised_by"]},
        {"required": ["staff"]},
    ]


def _profile_rules(schema: dict) -> None:
    """Quiet hours come in pairs: both times, or neither (each absent or null)."""
    start, end = "quiet_hours_start", "quiet_hours_end"
    schema["anyOf"] = [
        {
            "required": [start, end],
            "properties": {start: {"type": "string"}, end: {"type": "string"}},
        },
        {"properties": {start: {"enum": [None]}, end: {"enum": [None]}}},
    ]


def _status_rules(schema: dict) -> None:
    """Discharging needs the date and a reason; pausing and resuming need neither."""
    reason = {**schema["properties"]["reason"], "pattern": _text_pattern(non_blank=True)}
    schema["oneOf"] = [
        {"properties": {"status": {"enum": ["active", "paused"]}}},
        {
            "properties": {
                "status": {"enum": ["discharged"]},
                "discharged_on": {"type": "string", "format": "date"},
                "reason": reason,
            },
            "required": ["status", "discharged_on", "reason"],
        },
    ]


def _contact_rules(schema: dict) -> None:
    """With an API key (what this document describes), the staff member is named."""
    schema["required"] = sorted({*schema.get("required", []), "staff"})


EXTRA_REQUEST_RULES = {
    "StatusRequest": _status_rules,
    "ContactRequest": _contact_rules,
    "CommitmentCreateRequest": _commitment_rules,
    "ParticipantWriteRequest": _participant_rules,
    "PatchedParticipantWriteRequest": _participant_rules,
    "PatchedProfileRequest": _profile_rules,
}
