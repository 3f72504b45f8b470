"""The base classes of every API serializer: a body field the serializer does not take
(`is_superuser`, `agency`, a read-only `id`, a typo) is refused with a 400 naming each one,
instead of being silently dropped (issue 15; decision 130). tests/test_api_input.py checks that
every serializer of the API derives from these."""

from collections.abc import Mapping

from rest_framework import serializers

UNKNOWN_FIELD = "Unknown field: the API does not take it here."


class RefuseUnknownFields:
    """Refuses, before any other validation, body keys that are not writable fields of this
    serializer (nested serializers check their own level)."""

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            settable = {name for name, field in self.fields.items() if not field.read_only}
            unknown = [str(key) for key in data if key not in settable]
            if unknown:
                raise serializers.ValidationError({key: [UNKNOWN_FIELD] for key in unknown})
        return super().to_internal_value(data)


class Serializer(RefuseUnknownFields, serializers.Serializer):
    pass


class ModelSerializer(RefuseUnknownFields, serializers.ModelSerializer):
    pass
