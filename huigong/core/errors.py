"""Validation errors: every message names the field, in the language of the request."""

from django.core.exceptions import ValidationError


def field_error(field: str, message: str) -> ValidationError:
    return ValidationError({field: [message]})
