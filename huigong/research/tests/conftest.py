import copy

import pytest


@pytest.fixture(scope="module")
def _world(module_world):
    """The standard cast and Hangzhou's 新音台 programme, built once per module."""
    def build():
        from huigong.research.testing import make_programme
        from huigong.testing import Cast

        c = Cast().build()
        c.programme = make_programme(c)
        return c

    return module_world(build)


@pytest.fixture
def w(_world, db):
    return copy.deepcopy(_world)
