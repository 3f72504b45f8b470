import re

from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination

POSITION = re.compile(r"-?\d{1,18}")


class IdCursorPagination(CursorPagination):
    """Newest first by id (unique, so cursors are stable). `page_size` up to 100. A cursor
    this API did not make names no page: 404 `not_found`, "Invalid cursor." (DRF's own answer;
    decision 136: the cursor is opaque, so no schema can tell a well-formed one apart)."""

    ordering = "-id"
    page_size_query_param = "page_size"
    max_page_size = 100

    def get_page_size(self, request):
        """`page_size` is a whole number from 1 to 100, or absent (25); anything else is a 400
        rather than silently the default."""
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not re.fullmatch(r"[0-9]{1,3}", raw) or not 1 <= int(raw) <= self.max_page_size:
            raise ValidationError(
                {"page_size": [f"Give a whole number from 1 to {self.max_page_size}."]}
            )
        return int(raw)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": self.max_page_size,
                    "default": self.page_size,
                }
        return parameters

    def decode_cursor(self, request):
        try:
            cursor = super().decode_cursor(request)
        except NotFound:
            raise NotFound("Invalid cursor.") from None
        if cursor is not None and cursor.position is not None:
            if not POSITION.fullmatch(cursor.position):
                raise NotFound("Invalid cursor.")
        return cursor
