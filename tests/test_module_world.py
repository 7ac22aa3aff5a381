"""conftest's `module_world`: a world built once for a module is seen by each of its tests, and what a
test writes on top of it is rolled back before the next test (as Django's setUpTestData)."""

from __future__ import annotations

import copy

import pytest
from django.db import connection

from huigong.orgs.models import NodeLevel, UnionNode
from huigong.testing import make_node

built: list[int] = []


@pytest.fixture(scope="module")
def _root(module_world):
    def make():
        built.append(1)
        return make_node(None, "模块工会", NodeLevel.PROVINCE, "330000")

    return module_world(make)


@pytest.fixture
def root(_root, db):
    return copy.deepcopy(_root)


@pytest.mark.parametrize("turn", [1, 2])
def test_each_test_sees_the_world_and_not_the_writes_of_the_one_before(root, turn):
    assert list(UnionNode.objects.values_list("name", flat=True)) == ["模块工会"]
    assert root.name == "模块工会"  # not the in-memory rename of the turn before
    assert len(built) == 1  # built once, not per test
    assert connection.in_atomic_block
    make_node(root, f"第{turn}次写入", NodeLevel.CITY, "330100")
    root.name = "改名"
    assert UnionNode.objects.count() == 2
