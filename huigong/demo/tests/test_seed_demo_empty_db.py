"""seed_demo on a database that is not the demo: reset, refusal of a real tree, zero members. (The
demo's own content is checked in test_seed_demo.py, on one demo built for that module.)"""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from huigong.core.models import AuditEvent
from huigong.demo.world import ROOT_CODE
from huigong.members.models import Person
from huigong.orgs.models import UnionNode


def seed(**kw) -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out, **kw)
    return out.getvalue()


def test_reset_rebuilds_the_demo(transactional_db):
    # Outside a test transaction, as in real use: PostgreSQL cannot TRUNCATE under pending FK checks.
    seed(members=80)
    out = seed(members=50, reset=True)
    assert "清空演示数据库" in out
    assert Person.objects.count() == 50
    assert UnionNode.objects.filter(code=ROOT_CODE).count() == 1
    assert AuditEvent.objects.filter(verb="demo.seed").count() == 1


def test_refuses_a_database_with_a_real_tree(cast):
    with pytest.raises(CommandError, match="演示数据只能建在空库中"):
        seed(members=10)
    with pytest.raises(CommandError, match="拒绝清空"):
        seed(members=10, reset=True)
    assert Person.objects.count() == 3  # the cast's members are untouched
    assert not UnionNode.objects.filter(code=ROOT_CODE).exists()


def test_zero_members_still_builds_the_tree(db):
    seed(members=0)
    assert Person.objects.count() == 0
    assert UnionNode.objects.filter(code=ROOT_CODE).exists()
