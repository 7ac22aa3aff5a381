import pytest

from huigong.core.notify.sms import MemorySmsSender


@pytest.fixture(autouse=True)
def _clean_sms_outbox():
    MemorySmsSender.clear()
    yield
    MemorySmsSender.clear()


@pytest.fixture
def person(cast):
    """李小红, a member of 杭州某科技公司工会 with a phone on record and no portal account."""
    return cast.member.person
