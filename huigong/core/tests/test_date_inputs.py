"""Date inputs render ISO values in every language: a browser's <input type="date"> drops anything
else (Chinese renders dates as 2026/12/07 by default, and a field meant to default to today was blank)."""

from __future__ import annotations

import datetime as dt
import importlib
import pkgutil

import pytest
from django import forms
from django.utils import translation

import huigong
from huigong.core.widgets import DateInput, DateTimeInput


def _form_classes():
    seen = []
    for mod in pkgutil.walk_packages(huigong.__path__, "huigong."):
        leaf = mod.name.rsplit(".", 1)[-1]
        if ".tests" in mod.name or ".migrations" in mod.name or not (leaf.startswith(("forms", "views"))):
            continue
        module = importlib.import_module(mod.name)
        for obj in vars(module).values():
            if isinstance(obj, type) and issubclass(obj, forms.BaseForm) and obj.__module__ == mod.name:
                seen.append(obj)
    return seen


def test_every_date_field_of_every_form_uses_the_iso_widgets():
    checked, wrong = 0, []
    for form in _form_classes():
        for name, field in getattr(form, "base_fields", {}).items():
            if isinstance(field, forms.DateTimeField):
                checked += 1
                if not isinstance(field.widget, DateTimeInput):
                    wrong.append(f"{form.__module__}.{form.__name__}.{name}")
            elif isinstance(field, forms.DateField):
                checked += 1
                if not isinstance(field.widget, DateInput):
                    wrong.append(f"{form.__module__}.{form.__name__}.{name}")
    assert checked >= 15
    assert wrong == []


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_date_widgets_render_iso_in_each_language(lang):
    with translation.override(lang):
        html = DateInput().render("d", dt.date(2026, 12, 7))
        html_dt = DateTimeInput().render("t", dt.datetime(2026, 12, 7, 9, 30))
    assert 'value="2026-12-07"' in html and 'type="date"' in html
    assert 'value="2026-12-07T09:30"' in html_dt


@pytest.mark.browser
def test_a_browser_keeps_the_default_date_in_both_languages(browser):
    """The notice form's start date defaults to today: chromium must show it in Chinese and English."""
    from huigong.assistance import clock
    from huigong.assistance.forms_flow import NoticeForm

    today = clock.today()
    page = browser.new_page()
    for lang in ("zh-hans", "en"):
        with translation.override(lang):
            form = NoticeForm.__new__(NoticeForm)
            forms.Form.__init__(form)
            form.fields["starts_on"].initial = today
            html = str(form["starts_on"])
        page.set_content(f"<!doctype html><html><body>{html}</body></html>")
        assert page.eval_on_selector("input", "e => e.value") == today.isoformat(), lang
    page.close()
