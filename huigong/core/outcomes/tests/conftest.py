import copy

import pytest


@pytest.fixture(scope="module")
def world(module_world):
    from huigong.accounts.models import Role
    from huigong.testing import Cast, make_staff

    def build():
        c = Cast().build()
        c.city_staff2 = make_staff(c.hangzhou, Role.STAFF, "city_staff2")
        return c

    return module_world(build)


@pytest.fixture
def w(world, db):
    return copy.deepcopy(world)
