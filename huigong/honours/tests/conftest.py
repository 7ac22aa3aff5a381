import copy

import pytest


@pytest.fixture(scope="module")
def _hon_world(module_world):
    def build():
        from huigong.honours.testing import xihu_admin
        from huigong.testing import Cast

        cast = Cast().build()
        cast.xihu_admin = xihu_admin(cast)
        return cast

    return module_world(build)


@pytest.fixture
def w(_hon_world, db):
    """The standard cast plus an admin of 西湖区总, built once per module; each test has its own copy."""
    return copy.deepcopy(_hon_world)
