import json

import pytest
from django.test import Client

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


@pytest.fixture
def worker_api(cast):
    """A Django client signed in as the cast's rider through the portal, CSRF enforced; `post_json` sends
    a JSON body with the CSRF header."""
    from huigong.portal.testing import make_worker_account, sign_in

    c = Client(enforce_csrf_checks=True)
    sign_in(c, make_worker_account(person=cast.rider.person))
    token = "a" * 32  # a CSRF secret as the browser would hold it in its cookie
    c.cookies["csrftoken"] = token

    def post(url, body):
        return c.post(url, json.dumps(body), content_type="application/json", headers={"X-CSRFToken": token})

    c.post_json = post
    return c
