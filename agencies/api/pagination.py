import re

from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination

POSITION = re.compile(r"-?\d{1,18}")


class IdCursorPagination(CursorPagination):
    """Newest first by id (unique, so cursors are stable). `page_size` up to 100. A malformed
    cursor is a 400 on the `cursor` parameter, not a 404."""

    ordering = "-id"
    page_size_query_param = "page_size"
    max_page_size = 100

    def decode_cursor(self, request):
        try:
            cursor = super().decode_cursor(request)
        except NotFound:
            raise ValidationError({"cursor": ["Invalid cursor."]}) from None
        if cursor is not None and cursor.position is not None:
            if not POSITION.fullmatch(cursor.position):
                raise ValidationError({"cursor": ["Invalid cursor."]})
        return cursor
