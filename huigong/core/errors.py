"""Bilingual validation errors: every message names the field in Chinese and English."""

from django.core.exceptions import ValidationError


def field_error(field: str, message: str) -> ValidationError:
    return ValidationError({field: [message]})
