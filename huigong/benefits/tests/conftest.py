import pytest

from huigong.benefits.testing import make_programme


@pytest.fixture
def hz_programme(cast):
    return make_programme(cast.city_admin, cast.hangzhou, quota=5, title="杭州职工体检")


@pytest.fixture
def qd_programme(cast):
    return make_programme(cast.outsider, cast.gaoxin, quota=5, title="高新区职工体检")


@pytest.fixture
def rider_worker(cast, client):
    """A Django client signed in as the cast's rider (a member) through the portal."""
    from huigong.portal.testing import make_worker_account, sign_in

    account = make_worker_account(person=cast.rider.person)
    sign_in(client, account)
    client.account = account
    return client
