"""The base classes of every API serializer: a body field the serializer does not take
(`is_superuser`, `agency`, a read-only `id`, a typo) is refused with a 400 naming each one,
instead of being silently dropped (issue 15; decision 130). tests/test_api_input.py checks that
every serializer of the API derives from these."""

from collections.abc import Mapping

from rest_framework import serializers

UNKNOWN_FIELD = "Unknown field: the API does not take it here."


class RefuseUnknownFields:
    """Refuses body keys that are not writable fields of this serializer (nested serializers
    check their own level), with the other fields' errors in the same answer.
    `unknown_field_messages` may say more about a key than "unknown" (why it cannot be set)."""

    unknown_field_messages: dict[str, str] = {}

    def to_internal_value(self, data):
        if not isinstance(data, Mapping):
            return super().to_internal_value(data)
        settable = {name for name, field in self.fields.items() if not field.read_only}
        unknown = {
            str(key): [self.unknown_field_messages.get(str(key), UNKNOWN_FIELD)]
            for key in data
            if key not in settable
        }
        unknown.update(self._too_long_as_sent(data, settable))
        unknown.update(self._not_text(data, settable))
        if not unknown:
            return super().to_internal_value(data)
        try:
            super().to_internal_value({k: v for k, v in data.items() if k in settable})
        except serializers.ValidationError as error:
            if isinstance(error.detail, dict):
                raise serializers.ValidationError({**error.detail, **unknown}) from None
        raise serializers.ValidationError(unknown)

    def _too_long_as_sent(self, data, settable) -> dict[str, list[str]]:
        """A text's length limit counts what was sent, as the schema's maxLength does, not
        what is left once white space is trimmed."""
        errors = {}
        for name in settable & set(data):
            field, value = self.fields[name], data[name]
            limit = getattr(field, "max_length", None)
            if isinstance(field, serializers.CharField) and limit and isinstance(value, str):
                if len(value) > limit:
                    errors[name] = [f"Ensure this field has no more than {limit} characters."]
        return errors

    def _not_text(self, data, settable) -> dict[str, list[str]]:
        """A text field takes a JSON string, as the schema says: DRF's CharField would also
        turn a number into text (`"note": 35797253231910936576`)."""
        return {
            name: ["Not a valid string."]
            for name in settable & set(data)
            if isinstance(self.fields[name], serializers.CharField)
            and data[name] is not None
            and not isinstance(data[name], str)
        }


class Serializer(RefuseUnknownFields, serializers.Serializer):
    pass


class ModelSerializer(RefuseUnknownFields, serializers.ModelSerializer):
    pass


class StrictBooleanField(serializers.BooleanField):
    """A JSON `true` or `false`, as the schema says, not 0, 1, "yes" or "on" (DRF's
    BooleanField reads those too, for HTML forms, which the API does not take)."""

    def to_internal_value(self, data):
        if data is True or data is False:
            return data
        self.fail("invalid", input=data)
