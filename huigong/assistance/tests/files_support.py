"""Builders for the files side's tests (screening, files, portal)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from huigong.assistance.models import HardshipCause, HardshipLevel
from huigong.assistance.services import files as file_services
from huigong.assistance.services import screening
from huigong.testing import make_member, new_id_number

DIBAO = 80000  # 800 yuan per person per month


def rule(cast, node=None, dibao=DIBAO, multiple="1.5", on=None):
    return screening.screening_rule_create(actor=cast.city_admin, node=node or cast.hangzhou, dibao_fen=dibao,
                                           relative_multiple=Decimal(multiple),
                                           effective_from=on or dt.date(2020, 1, 1))


def sweep(cast, node=None, actor=None):
    return screening.sweep_open(actor=actor or cast.city_admin, node=node or cast.hangzhou, title="2025年摸底排查",
                                year=2025, deadline=timezone.localdate() + dt.timedelta(days=30))


def deep_file(cast, head=None, *, members=None, level=HardshipLevel.DEEP, **kw):
    """A draft file whose figures give DEEP under the default rule (the rule must exist)."""
    head = head or cast.member.person
    kw.setdefault("household_size", 3)
    kw.setdefault("monthly_income_fen", 150000)  # 500 yuan per person
    return file_services.hardship_file_create(
        actor=kw.pop("actor", cast.city_admin), head=head, causes=kw.pop("causes", [HardshipCause.ILLNESS]),
        level=level, members=members if members is not None else [
            {"name": "李大山", "relation": "配偶", "id_number": new_id_number()}], **kw)


def member(cast, union=None, name="钱多多"):
    return make_member(cast.city_admin, union or cast.tech, name).person
