"""Form widgets every app shares.

A browser's date input only takes ISO values (2026-12-07): Django renders a date with the active
language's first input format, which for Chinese is 2026/12/07, and the browser then shows an empty
field. These widgets always render ISO, whatever the language."""

from __future__ import annotations

from django import forms


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%dT%H:%M")
