"""The contribution registry on its own: declarations are read in app order, ordered entries by their
key (ties keep app order), grants add up across apps, and a wrong declaration is refused by name."""

from types import SimpleNamespace

import pytest

from huigong.core import contrib
from huigong.core.contrib import Capability, Contributions, NavEntry


def _apps(monkeypatch, *configs):
    monkeypatch.setattr(contrib.apps, "get_app_configs", lambda: list(configs))


def _config(name, value):
    return SimpleNamespace(name=name, label=name, contributions=value)


def test_entries_come_in_app_order_and_ordered_ones_by_their_key(monkeypatch):
    a = _config("a", Contributions(nav=(NavEntry(20, "甲", "a:home", "x", ("a:",)), NavEntry(5, "甲二", "a:two", "x", ("a:",)))))
    b = _config("b", lambda: Contributions(nav=(NavEntry(20, "乙", "b:home", "x", ("b:",)),)))  # a method works too
    django_app = SimpleNamespace(name="django.contrib.auth", label="auth")  # declares nothing
    _apps(monkeypatch, a, django_app, b)
    assert [e.label for e in contrib.collect("nav")] == ["甲", "甲二", "乙"]
    assert [e.label for e in contrib.ordered("nav")] == ["甲二", "甲", "乙"]
    assert [c.label for c, _ in contrib.declared()] == ["a", "b"]


def test_grants_of_several_apps_add_up(monkeypatch):
    _apps(monkeypatch,
          _config("a", Contributions(capabilities=(Capability("money", "资金发放", ("finance",)),
                                                   Capability("view", "查看", ("admin", "finance"))))),
          _config("b", Contributions(capabilities=(Capability("money", "资金发放", ("admin",)),))))
    assert contrib.role_caps(["admin", "finance", "viewer"]) == {
        "admin": frozenset({"money", "view"}), "finance": frozenset({"money", "view"}), "viewer": frozenset()}


def test_a_declaration_of_the_wrong_type_is_refused_by_app_name(monkeypatch):
    _apps(monkeypatch, _config("huigong.broken", {"nav": []}))
    with pytest.raises(TypeError, match="huigong.broken.contributions"):
        contrib.collect("nav")
